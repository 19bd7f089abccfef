{ lib, racks }:
{
  inventory.machines =
    lib.mapAttrs (name: address: {
      tags = [ "rack" ];
      deploy.targetHost = "root@${address}";
    }) racks
    // {
      edge.tags = [ "dmz" ];
    };
  inventory.instances.backup = {
    module.name = "borgbackup";
    roles.server.machines.r1 = { };
    roles.client.tags = [ "rack" "dmz" ];
  };
}
