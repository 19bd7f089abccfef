# flake-parts module: the clan, its inventory kept in one file per concern
{ self, inputs, ... }:
{
  imports = [
    ./machines.nix
    ./tags.nix
  ];

  clan = {
    meta.name = "split";
    meta.description = "inventory split into machines, tags and instances";
    imports = [ ./instances.nix ];
  };
}
