{
  outputs =
    { self, clan-core, ... }:
    {
      clan = clan-core.lib.clan {
        inherit self;
        meta.name = "from-nix";
        imports = [ ./clan.nix ];

        inventory.machines.a.machineClass = "nixos";
        inventory.instances.vpn = {
          module.name = "zerotier";
          roles.peer.settings.port = 9993;
          roles.peer.machines.a.settings.x = 1;
          roles.peer.machines.a.settings.y = 2;
        };
      };
    };
}
