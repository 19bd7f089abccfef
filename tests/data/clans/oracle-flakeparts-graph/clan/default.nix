{ config, lib, ... }:
let
  inherit (config.flake) hosts;
in
{
  imports = [ ./instances.nix ];
  clan.inventory.machines = builtins.mapAttrs (name: host: { inherit (host) tags; }) hosts;
  clan.inventory.instances.node-exporter = {
    module.name = "monitoring";
    roles.client.machines = builtins.mapAttrs (_: _: { }) hosts;
    roles.server.machines.db = { };
  };
}
