# A flake-less stand-in for the clan-core flake input, wired the way clan-core's flake wires
# itself (see /work/shared/reference/clan-core-oracle.md): clan-core's own `lib/` and
# `modules/clan/` from the vendored snapshot `src`, so that the clan module (inventory
# interface, computed tags, `machines/` folders, `inventory.json`) is clan-core's real one.
# Only the inventory is read from it: NixOS, nix-darwin and packages are placeholders that
# are never forced; the clan.service registry is empty (membership does not need it).
{ lib, src }:
let
  never = what: throw "nixoracle: ${what} is not available in the test oracle";
  nixpkgs = {
    inherit lib;
    legacyPackages = never "nixpkgs.legacyPackages";
  };
  clan-core = lib.fix (self: {
    clanLib = lib.fix (
      lib.extends (final: _: {
        clan = import (src + "/lib/clan") {
          inherit lib;
          clan-core = self;
        };
        buildClan = module: (final.clan module).config;
      }) (import (src + "/lib") { inherit lib; }).__unfix__
    );
    lib = self.clanLib;
    modules.clan.default = lib.modules.importApply (src + "/modules/clan/default.nix") {
      clan-core = self;
    };
    clan = {
      modules = { };
      deprecatedModules = [ ];
      templates = { };
    };
    inputs = {
      inherit nixpkgs;
      nix-darwin = never "nix-darwin";
    };
    nixosModules = { };
    darwinModules = { };
    packages = never "clan-core.packages";
    flakeModules = {
      default = flakeModule;
      clan = flakeModule;
    };
  });
  # clan-core's flake-parts module, as clan-core declares it (flakeModules/clan.nix): the
  # option `flake.clan` is one clan module (every definition of `clan` / `flake.clan`, in
  # every flake-parts module, merges into it), and `clan` is renamed to `flake.clan`.
  flakeModule =
    {
      config,
      inputs,
      self,
      flake-parts-lib,
      ...
    }:
    {
      imports = [ (lib.mkRenamedOptionModule [ "clan" ] [ "flake" "clan" ]) ];
      options.flake = flake-parts-lib.mkSubmoduleOptions {
        clan = lib.mkOption {
          default = { };
          type = lib.types.submoduleWith {
            class = "clan";
            specialArgs = {
              inherit self;
              nixpkgs = inputs.nixpkgs or nixpkgs;
              nix-darwin = inputs.nix-darwin or clan-core.inputs.nix-darwin;
            };
            modules = [
              clan-core.modules.clan.default
              { _dependencies.flake-config = config; }
            ];
          };
          apply = c: clan-core.clanLib.checkConfig c.checks c;
        };
        clanInternals = lib.mkOption {
          default = config.flake.clan.clanInternals;
        };
      };
    };
in
clan-core
