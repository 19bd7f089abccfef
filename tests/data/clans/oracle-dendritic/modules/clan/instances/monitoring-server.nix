{
  flake.clan.inventory.instances.monitoring = {
    module.name = "monitoring";
    roles.server.machines.alpha = { };
  };
}
