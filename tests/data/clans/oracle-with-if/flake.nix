{
  description = "with lib, if/then/else and module-system priorities around the inventory";

  inputs = {
    clan-core.url = "https://git.clan.lol/clan/clan-core/archive/main.tar.gz";
    nixpkgs.follows = "clan-core/nixpkgs";
  };

  outputs =
    { self, clan-core, nixpkgs, ... }:
    let
      inherit (nixpkgs) lib;
      haveMac = true;
      withMedia = false;
      site = "office";
    in
    {
      clan =
        (clan-core.lib.clan (
          with lib;
          {
            inherit self;
            meta.name = "withif";

            imports = [
              {
                # overridden below: mkForce wins over this plain definition
                inventory.machines.printer.machineClass = "darwin";
                # a plain definition wins over the mkDefault below
                inventory.machines.desk.tags = [ "staff" ];
              }
            ];

            inventory = {
              machines = mkMerge [
                {
                  desk.tags = mkDefault [ "fallback" ];
                  printer.machineClass = mkForce "nixos";
                  router = {
                    tags = [ "net" ] ++ optional (site == "office") "office";
                  };
                }
                (mkIf haveMac {
                  mac = {
                    machineClass = if haveMac then "darwin" else "nixos";
                    tags = [ "staff" ];
                  };
                })
                (mkIf withMedia { media.tags = [ "staff" ]; })
              ];

              instances =
                {
                  dns = {
                    module.name = "coredns";
                    roles.server.machines.router = { };
                    roles.default.tags = if site == "office" then [ "office" "staff" ] else [ "all" ];
                  };
                  printing = mkIf true {
                    roles.server.machines.printer = { };
                    roles.client.tags.staff = { };
                  };
                  media = mkIf withMedia { roles.server.tags = [ "staff" ]; };
                }
                // optionalAttrs haveMac {
                  mac-updates = {
                    module = {
                      name = "mac-updates";
                      input = "self";
                    };
                    roles.default.tags = [ "darwin" ];
                  };
                }
                // optionalAttrs withMedia { jellyfin.roles.server.machines.router = { }; };
            };
          }
        )).config;
    };
}
