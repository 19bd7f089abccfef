{
  inventory.instances = {
    sshd = {
      module.name = "sshd";
      roles.server.tags.servers = { };
      roles.client.tags.all = { };
    };
    backup = {
      module.name = "borgbackup";
      roles.server.machines.s1 = { };
      roles.client.tags.linux = { };
      roles.client.tags.workstations = { };
    };
  };
}
