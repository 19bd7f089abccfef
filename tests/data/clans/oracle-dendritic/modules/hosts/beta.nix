# a machine that exists only through its configuration block
{
  flake.clan.machines.beta = {
    imports = [ ];
    services.openssh.enable = true;
  };
  flake.clan.inventory.machines.beta.tags = [ "workstation" ];
}
