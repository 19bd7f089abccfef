self:
let
  inherit (self.inputs) clan-core nixpkgs;
  inherit (nixpkgs) lib;
  racks = {
    r1 = "10.0.1.1";
    r2 = "10.0.1.2";
  };
in
clan-core.lib.clan (
  {
    inherit self;
    meta.name = "applied";
    # replaced as a whole by the `inventory` of ./hosts.nix below (`//` is not a merge)
    inventory.machines.lost.tags = [ "rack" ];
    imports = [
      (lib.modules.importApply ../clan/services.nix { admins = [ "ana" "bo" ]; })
    ];
  }
  // import ../clan/hosts.nix { inherit lib racks; }
)
