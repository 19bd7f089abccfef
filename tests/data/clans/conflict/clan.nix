{
  inventory.machines.a.machineClass = "darwin";
  inventory.instances.vpn.module.name = "zerotier";
  inventory.instances.vpn.roles.peer.settings = { port = 9993; };
}
