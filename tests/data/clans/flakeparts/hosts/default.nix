{
  imports = [ ./beta.nix ];
  flake.clan.inventory.machines.gamma.tags = [ "web" ];
}
