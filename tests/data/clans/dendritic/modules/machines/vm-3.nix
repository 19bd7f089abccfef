{
  flake.clan.machines.vm-3 =
    { config, ... }:
    {
      networking.hostName = "vm-3";
    };
}
