{ inputs }:
{
  inventory = {
    machines.a = { };
    machines.b = { };
    instances.ssh = {
      module.name = "sshd";
      roles.server.machines.a = { };
      roles.client.tags.all = { };
    };
  };
}
