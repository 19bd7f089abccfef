{
  flake.clan.machines.vm-2 =
    { config, ... }:
    {
      networking.hostName = "vm-2";
    };
}
