{
  inputs.clan-core.url = "https://git.clan.lol/clan/clan-core/archive/main.tar.gz";

  outputs =
    { self, clan-core, ... }@inputs:
    let
      clan = clan-core.lib.buildClan {
        inherit self;
        meta.name = "localmodule";

        modules."netbird" = ./service-modules/netbird.nix;
        modules.motd = {
          _class = "clan.service";
          manifest.name = "motd";
          roles.default.description = "Shows a message of the day";
          roles.default.perInstance = { settings, ... }: {
            nixosModule = { users.motd = settings.text; };
          };
        };
        modules.external = inputs.other.clan.modules.thing;

        inventory.machines = {
          alpha = { };
          beta = { };
          gamma = { };
        };
        inventory.instances = {
          netbird = {
            module.name = "netbird";
            module.input = "self";
            roles.coordinator.machines.alpha = { };
            roles.peer.machines = {
              beta = { };
              gamma = { };
            };
          };
          motd = {
            module = {
              name = "motd";
              input = "self";
            };
            roles.default.tags.all = { };
            roles.default.settings.text = "Welcome";
          };
        };
      };
    in
    {
      inherit (clan.config) nixosConfigurations clanInternals;
    };
}
