{ config, lib, self, inputs, ... }:
{
  imports = with inputs; [
    clan-core.flakeModules.default
    ./extra
  ];

  clan = {
    meta.name = "flakeparts";
    inventory.machines.alpha = { };
  };
}
