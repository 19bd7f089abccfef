{
  clan.inventory.instances.sshd = {
    module.name = "sshd";
    roles.server.tags.web = { };
    roles.client.tags.all = { };
    roles.client.machines.delta = { };
  };
}
