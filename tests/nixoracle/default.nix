# The Nix side of the differential tests (tests/test_nix_differential.py): evaluate the clan
# of a fixture folder with real Nix, flake-less and offline, and return what the static reader
# must agree with.
#
#   nix-instantiate --eval --strict --json tests/nixoracle/default.nix \
#     --argstr nixpkgsLib <nixpkgs-lib>/lib --argstr clanCore <clan-core> \
#     --argstr fixture <folder> --argstr entry flake.nix
# (absolute paths; strings, so that any folder name is accepted)
#
# entry "flake.nix": `(import <dir>/flake.nix).outputs` is called with stub inputs (clan-core,
# flake-parts, import-tree, nixpkgs; any other input is an empty flake) and the clan is found
# in its outputs (`clanInternals`, `clan`, or the value of `lib.clan` itself).
# entry "<file>.nix" (e.g. clan.nix): the file is a clan module, evaluated by `lib.clan` with
# `directory = <dir>`.
{
  nixpkgsLib,
  clanCore,
  fixture,
  entry ? "flake.nix",
}:
let
  lib = import (/. + nixpkgsLib);
  clanCoreSrc = /. + clanCore;
  dir = /. + fixture;
  clan-core = import ./clan-core.nix {
    inherit lib;
    src = clanCoreSrc;
  };
  stubs = {
    nixpkgs = {
      inherit lib;
      outPath = "/nixoracle/nixpkgs";
      legacyPackages = throw "nixoracle: nixpkgs.legacyPackages is not available";
    };
    inherit clan-core;
    flake-parts = import ./flake-parts.nix { inherit lib; };
    import-tree = import ./import-tree.nix { inherit lib; };
  };

  flake = import (dir + "/flake.nix");
  # the inputs Nix passes to `outputs`: the declared ones and those named in the formals of
  # `outputs` (Nix adds the latter from the registry), plus `self`; an input the oracle has
  # no stand-in for is an empty flake
  names = lib.subtractLists [ "self" ] (
    lib.unique (
      builtins.attrNames (flake.inputs or { }) ++ builtins.attrNames (builtins.functionArgs flake.outputs)
    )
  );
  inputs =
    lib.genAttrs names (name: stubs.${name} or { outPath = "/nixoracle/inputs/${name}"; })
    // {
      inherit self;
    };
  outputs = flake.outputs inputs;
  # `self` of a flake is its outputs plus `outPath`/`inputs`; the outputs are left out here,
  # since the clan of most flakes is among them (`lib.clan` forces `self` while checking).
  self = {
    outPath = dir;
    inherit inputs;
    _type = "flake";
  };

  # where flakes keep their clan
  findClan =
    o:
    if o ? clanInternals then
      o.clanInternals.inventoryClass.inventory
    else if o ? inventory then
      o.inventory
    else if o ? clan then
      findClan o.clan
    else if o ? config then
      findClan o.config
    else
      throw "nixoracle: no clan in the outputs of ${toString dir}/${entry} (no clanInternals, clan, or lib.clan result)";

  inventory =
    if entry == "flake.nix" then
      findClan outputs
    else
      (clan-core.clanLib.clan {
        self = {
          outPath = dir;
          inputs = stubs;
        };
        directory = toString dir;
        imports = [ (dir + "/${entry}") ];
      }).config.inventory;

  sorted = names: lib.sort lib.lessThan (lib.unique names);
in
{
  machines = lib.mapAttrs (_: m: {
    tags = sorted m.tags;
    inherit (m) machineClass;
  }) inventory.machines;
  tags = lib.mapAttrs (_: sorted) inventory.tags;
  instances = lib.mapAttrs (
    instanceName: instance: {
      module = {
        inherit (instance.module) name input;
      };
      roles = lib.mapAttrs (
        roleName: role:
        let
          machines = builtins.attrNames role.machines;
          tags = builtins.attrNames role.tags;
        in
        {
          machines = sorted machines;
          tags = sorted tags;
          # clan-core's own resolution (as modules/clan/distributed-services.nix calls it)
          members = sorted
            (clan-core.clanLib.inventory.resolveTags {
              members = { inherit machines tags; };
              inherit (inventory) machines;
              inherit instanceName roleName;
            }).machines;
        }
      ) instance.roles;
    }
  ) inventory.instances;
}
