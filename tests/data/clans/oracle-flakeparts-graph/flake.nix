{
  description = "A flake-parts module graph: directories, inline modules, `with inputs;` lists";

  inputs = {
    clan-core.url = "https://git.clan.lol/clan/clan-core/archive/main.tar.gz";
    nixpkgs.follows = "clan-core/nixpkgs";
    flake-parts.url = "github:hercules-ci/flake-parts";
  };

  outputs =
    inputs@{ flake-parts, ... }:
    flake-parts.lib.mkFlake { inherit inputs; } (
      { self, lib, ... }:
      {
        systems = [ "x86_64-linux" ];
        imports = with inputs; [
          clan-core.flakeModules.default
          ./hosts
          ./clan
          { clan.meta.name = "graph"; }
        ];
        perSystem =
          { pkgs, ... }:
          {
            clan.pkgs = pkgs;
          };
      }
    );
}
