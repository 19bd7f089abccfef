{ ... }:
{
  clan.inventory.machines.beta.tags = [ "web" ];
}
