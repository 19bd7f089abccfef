{
  flake.clan.machines.delta = { };
}
