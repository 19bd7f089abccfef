{ lib, config, ... }:
{
  inventory.instances.wifi-home = {
    module.name = "wifi";
    roles.default.tags = [ "laptop" ];
    roles.default.settings.networks.home = { };
  };
  inventory.machines.alice.tags = [ "wifi" ];
}
