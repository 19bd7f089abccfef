{
  description = "The clan lives in files applied to arguments";

  inputs = {
    clan-core.url = "https://git.clan.lol/clan/clan-core/archive/main.tar.gz";
    nixpkgs.follows = "clan-core/nixpkgs";
  };

  outputs =
    { self, clan-core, nixpkgs, ... }:
    let
      clan = import ./machines/inventory.nix self;
    in
    {
      inherit (clan.config) nixosConfigurations clanInternals;
    };
}
