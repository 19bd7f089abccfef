{
  inputs.clan-core.url = "https://git.clan.lol/clan/clan-core/archive/main.tar.gz";
  inputs.nixpkgs.follows = "clan-core/nixpkgs";

  outputs =
    { self, clan-core, nixpkgs, ... }:
    let
      inherit (nixpkgs) lib;
      workers = map (i: "worker-${toString i}") (lib.range 1 self.workerCount);
    in
    {
      clan = clan-core.lib.clan {
        inherit self;
        meta.name = "opaque";

        inventory = {
          machines = lib.genAttrs workers (name: { tags = [ "worker" ]; }) // {
            head = { };
          };
          instances = {
            monitoring = {
              roles.server.machines.head = { };
              roles.client.tags = if self ? ci then [ "ci" ] else [ "worker" ];
              roles.client.settings.labels = with lib; mapAttrs (n: v: v) self.labels;
              roles.client.settings.interval = 30;
            };
            users-admin = {
              module.name = "users";
              roles.default.machines = lib.mkDefault { head = { }; };
              roles.default.settings.user = "admin";
            };
            backup = {
              roles.client.tags = [ "worker" self.extraTag ];
              roles.server.machines.${self.backupServer} = { };
              roles.server.settings.directory = "/var/lib/${self.name}";
            };
          };
        };
      };
    };
}
