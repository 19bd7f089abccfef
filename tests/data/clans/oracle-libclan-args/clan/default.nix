{ inputs, self }:
let
  inherit (inputs.nixpkgs) lib;
  inherit (builtins) filter mapAttrs listToAttrs;

  workstations = [ "ws-1" "ws-2" "ws-3" ];
  # server name -> system
  servers = {
    storage = "x86_64-linux";
    gate = "aarch64-linux";
  };
  serverDefaults = {
    tags = [ "server" ];
    deploy.buildHost = null;
  };
in
inputs.clan-core.lib.clan {
  inherit self;
  meta.name = "argclan";

  inventory = {
    machines =
      lib.genAttrs workstations (name: { tags = [ "desktop" ]; })
      // mapAttrs (name: system: serverDefaults // { deploy.targetHost = "root@${name}.lan"; }) servers
      // {
        mini = {
          machineClass = "darwin";
          tags = [ "desktop" ];
        };
      };

    # functional tags: computed from the tags clan-core computes itself
    tags =
      { config, ... }:
      {
        backup = filter (n: n != "gate") config.all;
        linux-desktops = filter (n: lib.hasPrefix "ws-" n) config.nixos;
      };

    instances = {
      borg = {
        module.name = "borgbackup";
        roles.client.tags.backup = { };
        roles.server.machines.storage = { };
      };
      admin.roles.default.tags = [ "all" ];
      zt = {
        module = {
          name = "zerotier";
          input = "clan-core";
        };
        roles.controller.machines.gate = { };
        roles.peer.tags = {
          desktop = { };
          server = { };
        };
      };
    }
    // listToAttrs (
      map (m: {
        name = "home-${m}";
        value = {
          module.name = "wifi";
          roles.default.machines.${m} = { };
        };
      }) workstations
    );
  };
}
