{
  description = "A clan written with attribute paths";

  inputs.clan-core.url = "https://git.clan.lol/clan/clan-core/archive/main.tar.gz";
  inputs.nixpkgs.follows = "clan-core/nixpkgs";

  outputs =
    { self, clan-core, ... }:
    let
      # Usage see: https://docs.clan.lol
      clan = clan-core.lib.clan {
        inherit self;
        meta.name = "attrpaths";
        meta.description = "machines from directories, instances by attribute path";

        inventory.machines.jon.tags = [ "backup" "laptop" ];
        inventory.machines.sara.deploy.targetHost = "root@sara.local";
        inventory.machines."sally-laptop".machineClass = "darwin";

        inventory.instances.borg.module.name = "borgbackup";
        inventory.instances.borg.module.input = "clan-core";
        inventory.instances.borg.roles.client.tags.backup = { };
        inventory.instances.borg.roles.server.machines.sara = { };
        inventory.instances.borg.roles.client.settings.startAt = "*-*-* 03:00:00";

        inventory.instances.admin.roles.default.tags.all = { };
        inventory.instances.admin.roles.default.settings.allowedKeys.jon = "ssh-ed25519 AAAAC3Nza jon@laptop";

        inventory.instances.zt = {
          module.name = "zerotier";
          roles.controller.machines.sara = { };
        };
        inventory.instances.zt.roles.peer.tags.all = { };

        machines.jon = { config, ... }: {
          networking.hostName = "jon";
        };
      };
    in
    {
      inherit (clan.config) nixosConfigurations clanInternals;
      clan = clan.config;
    };
}
