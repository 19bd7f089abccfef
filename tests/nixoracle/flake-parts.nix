# Stand-in for the `flake-parts` flake input, written for the tests: `lib.mkFlake` evaluates
# the flake's top-level module with `lib.evalModules` the way flake-parts does (module
# arguments `self`, `inputs`, `flake-parts-lib`; `imports` handled by the module system), with
# only the options that matter for reading a clan:
#   systems  -- list of strings;
#   perSystem -- a deferred module, never evaluated (no packages here);
#   flake    -- a submodule whose other attributes are lazy raw values; clan-core's flake
#               module (clan-core.nix, `flakeModules.default`) adds `flake.clan` to it.
{ lib }:
let
  inherit (lib) mkOption types;
  flake-parts-lib = {
    # as flake-parts: declare options inside the `flake` submodule from another module
    mkSubmoduleOptions =
      options:
      mkOption {
        type = types.submoduleWith { modules = [ { inherit options; } ]; };
      };
    mkPerSystemOption =
      module:
      mkOption {
        type = types.deferredModuleWith { staticModules = [ module ]; };
      };
    importApply = lib.modules.importApply;
  };
  topLevel = {
    options = {
      systems = mkOption {
        type = types.listOf types.str;
        default = [ ];
      };
      perSystem = mkOption {
        type = types.deferredModule;
        default = { };
      };
      flake = mkOption {
        type = types.submoduleWith {
          modules = [ { freeformType = types.lazyAttrsOf types.raw; } ];
        };
        default = { };
      };
    };
  };
in
{
  lib = {
    inherit (flake-parts-lib) mkSubmoduleOptions mkPerSystemOption importApply;
    mkFlake =
      args: module:
      let
        inputs = args.inputs or (throw "nixoracle flake-parts: mkFlake needs { inputs }");
        self = args.self or inputs.self;
        eval = lib.evalModules {
          class = "flake";
          specialArgs = {
            inherit self inputs flake-parts-lib;
          }
          // (args.specialArgs or { });
          modules = [
            topLevel
            {
              _module.args = {
                withSystem = _: _: throw "nixoracle flake-parts: withSystem is not available";
                getSystem = _: throw "nixoracle flake-parts: getSystem is not available";
                moduleWithSystem = _: throw "nixoracle flake-parts: moduleWithSystem is not available";
              };
            }
            module
          ];
        };
      in
      eval.config.flake;
  };
}
