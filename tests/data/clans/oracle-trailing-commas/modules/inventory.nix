{
  lib,
  config,
  ...
}:
{
  inventory.tags =
    {
      config,
      machines,
      ...
    }:
    {
      gateways = lib.filter (name: name != "knight") config.all;
    };
  inventory.machines.queen.tags = [ "core" ];
}
