{
  flake.clan.machines.vm-1 =
    { config, ... }:
    {
      networking.hostName = "vm-1";
    };
}
