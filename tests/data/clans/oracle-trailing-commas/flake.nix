{
  description = "Formatted with trailing commas in every function header";

  inputs = {
    clan-core.url = "https://git.clan.lol/clan/clan-core/archive/main.tar.gz";
    nixpkgs.follows = "clan-core/nixpkgs";
  };

  outputs =
    inputs@{
      self,
      clan-core,
      nixpkgs,
    }:
    let
      mkHost =
        {
          tags ? [ ],
          class ? "nixos",
        }:
        {
          inherit tags;
          machineClass = class;
        };
      clan = clan-core.lib.clan {
        inherit self;
        specialArgs = {
          inherit inputs;
        };
        imports = [
          ./modules/inventory.nix
          ./modules/services.nix
        ];
        inventory.machines = {
          rook = mkHost { tags = [ "edge" ]; };
          bishop = mkHost {
            tags = [
              "edge"
              "core"
            ];
          };
          knight = mkHost {
            class = "darwin";
          };
        };
      };
    in
    {
      inherit (clan.config)
        nixosConfigurations
        darwinConfigurations
        clanInternals
        ;
      clan = clan.config;
    };
}
