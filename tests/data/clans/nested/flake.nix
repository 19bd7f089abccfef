{
  inputs = {
    clan-core.url = "https://git.clan.lol/clan/clan-core/archive/main.tar.gz";
    nixpkgs.follows = "clan-core/nixpkgs";
    flake-parts.url = "github:hercules-ci/flake-parts";
    flake-parts.inputs.nixpkgs-lib.follows = "nixpkgs";
  };

  outputs =
    inputs@{ flake-parts, ... }:
    flake-parts.lib.mkFlake { inherit inputs; } {
      systems = [ "x86_64-linux" "aarch64-linux" ];
      imports = [ inputs.clan-core.flakeModules.default ];

      # https://docs.clan.lol/guides/flake-parts
      clan = {
        meta.name = "nested";

        inventory = {
          machines = {
            "web-01" = {
              tags = [ "web" "prod" ];
              deploy = {
                targetHost = "root@web-01.example.com";
                buildHost = null;
              };
            };
            db = {
              tags = [ "prod" ];
              installedAt = 1735689600;
              description = ''
                The database host.
                  Backed up nightly.
              '';
            };
          };

          tags = {
            monitoring = [ "db" "web-01" ];
          };

          instances = {
            "sshd-prod" = {
              module = {
                name = "sshd";
                input = "clan-core";
              };
              roles = {
                server = {
                  tags = [ "prod" ];
                  settings = {
                    certificate.searchDomains = [ "example.com" ];
                    hostKeys.rsa.enable = false;
                  };
                };
                client.tags = [ "prod" ];
              };
            };
            monitor = {
              module.name = "monitoring";
              roles.server.machines.db = {
                settings.retentionDays = 30;
              };
              roles.client.tags = [ "monitoring" ];
              roles.client.settings = {
                scrapeInterval = 15.5;
              };
            };
          };
        };
      };

      perSystem = { pkgs, inputs', ... }: {
        devShells.default = pkgs.mkShell { packages = [ inputs'.clan-core.packages.clan-cli ]; };
      };
    };
}
