# The clan, as `clan init` lays it out.
{ self, ... }:
{
  meta.name = "imports";
  meta.domain = "home.arpa";

  imports = [
    ./modules/wifi.nix
    { inventory.machines.printer.tags = [ "office" ]; }
    { inventory = import ./inventory.nix; }
  ];

  inventory.machines = {
    alice = { tags = [ "office" "laptop" ]; };
    bob.tags = [ "office" ];
  };

  inventory.instances = {
    internet = {
      roles.default.machines.alice.settings.host = "alice.home.arpa";
    };
  };

  machines = {
    alice = { imports = [ ./machines/alice/configuration.nix ]; };
    gateway = { };
  };
}
