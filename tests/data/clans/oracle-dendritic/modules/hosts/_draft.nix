{
  flake.clan.inventory.machines.draft = { };
}
