{
  inputs.clan-core.url = "https://git.clan.lol/clan/clan-core/archive/main.tar.gz";

  outputs =
    { self, clan-core, ... }:
    let
      clan = clan-core.lib.clan {
        inherit self;
        meta.name = "withjson";

        inventory.machines.neuromancer.tags = [ "server" ];
        inventory.instances.sshd = {
          roles.server.tags.all = { };
          roles.client.tags = [ "workstation" ];
        };
      };
    in
    {
      inherit (clan.config) nixosConfigurations clanInternals;
    };
}
