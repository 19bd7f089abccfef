# Stand-ins for the flake inputs that the fixtures of tests/data/clans use (clan-core's
# lib.clan, flake-parts' mkFlake, import-tree), written for the differential tests of
# tests/test_nix_modules.py: the fixtures evaluated by real Nix and nixpkgs' module system.
# The clan's option types are the parts of clan-core's that decide membership: machines
# (tags: list of strings, machineClass), inventory.tags (a submodule with computed
# all/nixos/darwin as defaults, freeform lists), instances (anything), machines/ folders
# and inventory.json in the clan's `directory`.
{ lib, dir, get }:
let
  inherit (lib) mkOption types;

  inventoryModule =
    { config, ... }:
    {
      freeformType = types.lazyAttrsOf types.anything;
      options.machines = mkOption {
        default = { };
        type = types.attrsOf (
          types.submodule {
            freeformType = types.attrsOf types.anything;
            options.tags = mkOption {
              type = types.listOf types.str;
              default = [ ];
            };
            options.machineClass = mkOption {
              type = types.enum [ "nixos" "darwin" ];
              default = "nixos";
            };
          }
        );
      };
      options.tags = mkOption {
        default = { };
        type = types.submodule {
          freeformType = types.lazyAttrsOf (types.listOf types.str);
          options.all = mkOption {
            type = types.listOf types.str;
            default = builtins.attrNames config.machines;
          };
          options.nixos = mkOption {
            type = types.listOf types.str;
            default = builtins.filter (m: config.machines.${m}.machineClass == "nixos") (
              builtins.attrNames config.machines
            );
          };
          options.darwin = mkOption {
            type = types.listOf types.str;
            default = builtins.filter (m: config.machines.${m}.machineClass == "darwin") (
              builtins.attrNames config.machines
            );
          };
        };
      };
      options.instances = mkOption {
        type = types.attrsOf types.anything;
        default = { };
      };
    };

  clanModule =
    { config, ... }:
    let
      mdir = config.directory + "/machines";
      folders =
        if builtins.pathExists mdir then
          lib.filterAttrs (_: t: t == "directory") (builtins.readDir mdir)
        else
          { };
      json = config.directory + "/inventory.json";
    in
    {
      options.inventory = mkOption {
        type = types.submodule inventoryModule;
        default = { };
      };
      options.machines = mkOption {
        type = types.attrsOf types.raw;
        default = { };
      };
      options.meta = mkOption {
        type = types.attrsOf types.anything;
        default = { };
      };
      options.modules = mkOption {
        type = types.attrsOf types.raw;
        default = { };
      };
      options.directory = mkOption {
        type = types.path;
        default = dir;
      };
      options.self = mkOption {
        type = types.raw;
        default = null;
      };
      options.specialArgs = mkOption {
        type = types.attrsOf types.raw;
        default = { };
      };
      config.inventory = lib.mkMerge [
        { machines = lib.mapAttrs (_: _: { }) config.machines // lib.mapAttrs (_: _: { }) folders; }
        (lib.optionalAttrs (builtins.pathExists json) (lib.importJSON json))
      ];
    };

  evalClan =
    modules:
    (lib.evalModules {
      modules = [ clanModule ] ++ modules;
      specialArgs = {
        inherit inputs;
        self = selfArg;
      };
    }).config;

  clanResult =
    module:
    let
      config = evalClan [ module ];
    in
    {
      config = config // {
        nixosConfigurations.__inventory = config.inventory;
      };
    };

  flakePartsModule =
    { config, ... }:
    {
      options.clan = mkOption {
        type = types.deferredModule;
        default = { };
      };
      options.flake = mkOption {
        default = { };
        type = types.submodule {
          freeformType = types.lazyAttrsOf types.anything;
          options.clan = mkOption {
            type = types.deferredModule;
            default = { };
          };
        };
      };
      options.perSystem = mkOption {
        type = types.deferredModule;
        default = { };
      };
      options.systems = mkOption {
        type = types.listOf types.str;
        default = [ ];
      };
    };

  mkFlake =
    args: module:
    let
      config =
        (lib.evalModules {
          modules = [
            flakePartsModule
            module
          ];
          specialArgs = {
            inherit (args) inputs;
            self = selfArg;
          };
        }).config;
    in
    config.flake
    // {
      __inventory =
        (evalClan [
          config.clan
          config.flake.clan
        ]).inventory;
    };

  importTree = path: {
    imports = builtins.filter (
      p:
      lib.hasSuffix ".nix" (toString p)
      && !(lib.hasInfix "/_" (lib.removePrefix (toString path) (toString p)))
    ) (lib.filesystem.listFilesRecursive path);
  };

  inputs = {
    self = selfArg;
    nixpkgs.lib = lib;
    clan-core.lib.clan = clanResult;
    clan-core.flakeModules.default = { };
    flake-parts.lib.mkFlake = mkFlake;
    import-tree = importTree;
  };

  outputs = (import (dir + "/flake.nix")).outputs inputs;

  # the flake's outputs as `self` sees them; what the stubs do not produce throws
  selfArg = { nixosConfigurations = throw "not evaluated"; } // outputs // { inherit inputs; };

  inventory = get outputs;

  names = x: if builtins.isList x then x else builtins.attrNames x;

  roles =
    inst:
    lib.mapAttrs (_: r: {
      machines = names (r.machines or { });
      tags = names (r.tags or { });
    }) (inst.roles or { });
in
{
  machines = lib.mapAttrs (_: m: { inherit (m) tags machineClass; }) inventory.machines;
  tags = inventory.tags;
  instances = lib.filterAttrs (_: v: v != null) (
    lib.mapAttrs (
      _: inst:
      let
        got = builtins.tryEval (builtins.deepSeq (roles inst) (roles inst));
      in
      if got.success then { roles = got.value; } else null
    ) inventory.instances
  );
}
