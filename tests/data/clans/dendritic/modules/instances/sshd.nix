{
  flake.clan.inventory.instances.sshd = {
    module.name = "sshd";
    roles.server.tags.vm = { };
    roles.client.tags.all = { };
  };
}
