{
  flake.clan.inventory.machines.alpha.tags = [ "server" ];
  flake.clan.machines.alpha =
    { config, ... }:
    {
      networking.hostName = "alpha";
    };
}
