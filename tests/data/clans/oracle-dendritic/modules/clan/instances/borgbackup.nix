{
  flake.clan.inventory.instances.borgbackup = {
    roles.server.machines.alpha = { };
    roles.client.tags = [ "workstation" ];
  };
}
