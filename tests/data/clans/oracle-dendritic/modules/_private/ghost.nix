# under a folder starting with `_`: import-tree never imports it
{
  flake.clan.inventory.machines.ghost.tags = [ "workstation" ];
  flake.clan.inventory.instances.haunted.roles.default.machines.ghost = { };
}
