{
  flake.clan.inventory.machines = {
    vm-1.tags = [ "vm" ];
    vm-2.tags = [ "vm" ];
  };
}
