# A clan module on its own (as `clan init` lays it out): machines come from machines/*/ and
# inventory.json as well as from here.
{ self, lib, ... }:
{
  meta.name = "smart-home";

  inventory.machines.hub = {
    tags = [ "controller" ];
    deploy.targetHost = "root@hub.local";
  };
  inventory.machines.lamp.tags = [ "sensor" ];

  inventory.instances = {
    mqtt = {
      roles.broker.machines.hub = { };
      roles.client.tags = [ "sensor" ];
    };
    sshd.roles.server.tags.all = { };
  };

  machines.hub = {
    services.mosquitto.enable = true;
  };
}
