{ lib, ... }:
{
  _class = "clan.service";
  manifest.name = "my/netbird";
  manifest.description = "NetBird mesh VPN, self-hosted";
  manifest.categories = [ "Network" ];
  manifest.constraints = {
    maxInstances = 1;
    roles.coordinator = {
      minMachines = 1;
      maxMachines = 1;
    };
  };

  roles.coordinator = {
    description = "Runs the management server and signal relay";
    interface = { lib, ... }: {
      options.domain = lib.mkOption { type = lib.types.str; };
    };
    perInstance = { settings, ... }: { nixosModule = { }; };
  };
  roles.peer = {
    description = "Joins the mesh";
    perInstance = { ... }: { nixosModule = { }; };
  };

  perMachine = { ... }: { nixosModule = { }; };
}
