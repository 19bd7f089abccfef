{
  inputs.clan-core.url = "git+https://git.clan.lol/clan/clan-core";

  outputs =
    { self, clan-core, ... }:
    clan-core.lib.clan {
      inherit self;
      meta.name = "functags";
      imports = [ { inventory.tags.web = [ "alpha" ]; } ];
      inventory = {
        machines.alpha = { };
        machines.beta.machineClass = "darwin";
        machines.gamma = { };
        tags =
          { config, ... }:
          {
            linux = config.nixos;
            everyone = config.all;
            frontends = config.web ++ [ "beta" ];
            macs = config.darwin;
          };
        instances.sshd = {
          module.name = "sshd";
          roles.server.tags.linux = { };
          roles.client.tags.everyone = { };
        };
        instances.backup = {
          module.name = "borgbackup";
          roles.server.machines.gamma = { };
          roles.client.tags = [ "frontends" ];
        };
      };
    };
}
