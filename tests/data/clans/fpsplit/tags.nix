{
  inventory.tags =
    { config, ... }:
    {
      servers = [
        "s1"
        "s2"
      ];
      linux = config.nixos;
    };
}
