{ config, lib, ... }:
{
  flake.clan.inventory.machines.ws = {
    machineClass = "darwin";
    tags = [ "staff" ];
  };
}
