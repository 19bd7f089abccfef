{ lib, ... }:
{
  flake.clan.inventory.instances.wg-mesh = {
    module.name = "wireguard";
    roles.controller.machines.alpha.settings.endpoint = "alpha.dendrite.internal";
    roles.peer.tags.workstation = { };
  };
}
