{ ... }:
{
  flake.clan.inventory.instances.borgbackup = {
    module.name = "borgbackup";
    roles.server.machines.vm-3 = { };
    roles.client.tags.vm = { };
    roles.client.machines.vm-7 = { };
  };
}
