{
  inventory.machines = {
    s1 = { };
    s2 = { };
    mac.machineClass = "darwin";
  };
}
