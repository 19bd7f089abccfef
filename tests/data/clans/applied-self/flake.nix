{
  inputs.clan-core.url = "git+https://git.clan.lol/clan/clan-core";
  inputs.nixpkgs.follows = "clan-core/nixpkgs";

  outputs =
    { self, nixpkgs, ... }@inputs:
    let
      clan = import ./machines/inventory.nix self;
    in
    {
      inherit (clan.config) nixosConfigurations clanInternals;
      clan = clan.config;
    };
}
