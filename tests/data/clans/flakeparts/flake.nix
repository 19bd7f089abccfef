{
  inputs.clan-core.url = "git+https://git.clan.lol/clan/clan-core";
  inputs.flake-parts.url = "github:hercules-ci/flake-parts";

  outputs =
    inputs@{ flake-parts, ... }:
    flake-parts.lib.mkFlake { inherit inputs; } {
      systems = [ "x86_64-linux" ];
      imports = [
        ./clan.nix
        ./hosts
      ];
      perSystem =
        { pkgs, ... }:
        {
          clan.pkgs = pkgs;
        };
    };
}
