{
  description = "A clan built by lib.clan in its own file, applied to the flake's inputs";

  inputs = {
    clan-core.url = "https://git.clan.lol/clan/clan-core/archive/main.tar.gz";
    nixpkgs.follows = "clan-core/nixpkgs";
  };

  outputs =
    inputs@{ self, clan-core, nixpkgs, ... }:
    let
      clan = import ./clan/default.nix { inherit inputs self; };
    in
    {
      inherit (clan.config) nixosConfigurations darwinConfigurations clanInternals;
      clan = clan.config;
    };
}
