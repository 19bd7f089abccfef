{ config, self, ... }:
{
  clan.inventory = {
    machines = config.flake.hosts;
    tags.edge = config.flake.edge;
    instances.ssh = {
      module.name = "sshd";
      roles.server.machines = self.hosts;
      roles.client.tags.edge = { };
    };
    instances.backup = {
      module.name = "borgbackup";
      roles.server.machines = self.nixosConfigurations;
    };
  };
}
