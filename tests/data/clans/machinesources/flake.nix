{
  inputs.clan-core.url = "git+https://git.clan.lol/clan/clan-core";

  outputs =
    { self, clan-core, ... }:
    clan-core.lib.clan {
      inherit self;
      directory = ./infra;
      inventory.machines.a = { };
      machines.b = { config, ... }: { networking.hostName = "b"; };
      inventory.instances.ssh = {
        module.name = "sshd";
        roles.client.tags.all = { };
      };
    };
}
