self:
let
  inherit (self.inputs) clan-core nixpkgs;
  inherit (nixpkgs) lib;
  servers = {
    web1.tags = [ "server" ];
    web2.tags = [ "server" ];
  };
in
clan-core.lib.clan {
  inherit self;
  meta.name = "applied-self";
  directory = ../.;
  imports = [ (lib.modules.importApply ./backup.nix { target = "web1"; }) ];
  inventory.machines = servers // {
    laptop = { };
  };
}
