{ lib, ... }:
{
  clan.inventory.machines = {
    nas = {
      tags = [ "storage" ];
      deploy.targetHost = "root@nas.home.arpa";
    };
    laptop = {
      tags = [ "mobile" ];
    };
    macbook = {
      machineClass = "darwin";
      tags = [ "mobile" ];
    };
  };
  # a second definition of the same machine merges with the first
  flake.clan.inventory.machines.nas.tags = [ "always-on" ];
}
