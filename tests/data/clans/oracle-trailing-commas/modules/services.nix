# (a module function needs `...`: the module system passes every argument, and Nix
# accepts no comma after `...`)
args@{
  lib,
  self,
  ...
}:
let
  role =
    {
      machines ? [ ],
      tags ? [ ],
    }:
    {
      machines = lib.genAttrs machines (_: { });
      inherit tags;
    };
in
{
  inventory.instances = {
    dns = {
      module.name = "coredns";
      roles.server = role { machines = [ "queen" ]; };
      roles.default = role { tags = [ "gateways" ]; };
    };
    edge-proxy = {
      module = {
        name = "nginx";
        input = "self";
      };
      roles.default = role {
        machines = [ "knight" ];
        tags = [
          "edge"
        ];
      };
    };
  };
}
