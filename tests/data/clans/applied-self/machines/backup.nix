{ target }:
{ ... }:
{
  inventory.instances.backup = {
    module.name = "borgbackup";
    roles.server.machines.${target} = { };
    roles.client.machines.laptop = { };
    roles.client.tags.server = { };
  };
}
