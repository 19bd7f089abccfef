{ inputs, ... }:
{
  imports = [ inputs.clan-core.flakeModules.default ];

  clan = {
    meta.name = "fpsplit";
    imports = [
      ./machines.nix
      ./tags.nix
      ./instances.nix
    ];
  };
}
