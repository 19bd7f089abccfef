{
  inputs.clan-core.url = "https://git.clan.lol/clan/clan-core/archive/main.tar.gz";
  inputs.nixpkgs.follows = "clan-core/nixpkgs";

  outputs =
    { self, clan-core, nixpkgs, ... }@inputs:
    let
      clan = clan-core.lib.clan {
        inherit self;
        specialArgs = { inherit inputs; };
        imports = [ ./clan.nix ];
      };
    in
    {
      inherit (clan.config) nixosConfigurations nixosModules clanInternals;
      clan = clan.config;
    };
}
