{
  inputs.clan-core.url = "https://git.clan.lol/clan/clan-core/archive/main.tar.gz";

  outputs =
    { self, clan-core, ... }:
    let
      domain = "lan";
      laptops = [ "ada" "grace" ];
      servers = [ "hopper" ];
      backupHost = "hopper";
      admins = {
        ada = "ssh-ed25519 AAAAC3Nz ada";
        grace = "ssh-ed25519 AAAAC3Nz grace";
      };
      common = rec {
        port = 51820;
        interface = "wg0";
        endpoint = "hopper.${domain}";
        peerPort = port;
      };
      inherit (common) port;
    in
    clan-core.lib.clan {
      inherit self;
      meta = {
        name = "letbindings";
        inherit domain;
      };

      inventory = rec {
        machines = {
          ada.tags = laptops ++ [ "desktop" ];
          grace.tags = laptops;
          hopper = {
            tags = servers;
            deploy.targetHost = "root@${backupHost}.${domain}";
          };
        };

        tags.everyone = laptops ++ servers;

        instances = {
          borgbackup = {
            roles.client.tags.everyone = { };
            roles.server.machines.${backupHost} = { };
          };
          wireguard = {
            roles.controller.machines.hopper.settings = {
              inherit port;
              inherit (common) endpoint;
            };
            roles.peer.tags = [ "everyone" ];
            roles.peer.settings = common // { peerPort = -1; };
          };
          "admin" = {
            roles.default.tags.all = { };
            roles.default.settings.allowedKeys = admins;
          };
        };
      };
    };
}
