{
  inputs.clan-core.url = "git+https://git.clan.lol/clan/clan-core";
  inputs.flake-parts.url = "github:hercules-ci/flake-parts";

  outputs =
    inputs@{ flake-parts, self, ... }:
    flake-parts.lib.mkFlake { inherit inputs; } {
      systems = [ "x86_64-linux" "aarch64-darwin" ];
      imports = [ ./clan.nix ];
      flake = {
        inherit (self.clan.config) nixosConfigurations;
      };
    };
}
