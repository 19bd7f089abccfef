# the same instance continued in a second file
{
  flake.clan.inventory.instances.monitoring.roles.client.tags = [ "nixos" ];
}
