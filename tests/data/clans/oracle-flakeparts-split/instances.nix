# a clan module (imported by the clan, not by flake-parts)
{ lib, config, ... }:
{
  inventory.instances = {
    borgbackup = {
      roles.server.tags.storage = { };
      roles.client.tags.backup-clients = { };
    };
    sshd = {
      module.input = "clan-core";
      roles.server.tags = [ "always-on" "nixos" ];
      roles.client.tags = [ "mobile" ];
    };
    syncthing = {
      roles.peer.machines = {
        laptop = { };
        nas.settings.folders = [ "photos" ];
      };
    };
  };
}
