# the hosts, as plain data other modules read through config.flake.hosts
{
  flake.hosts = {
    web-1 = {
      tags = [ "web" ];
      system = "x86_64-linux";
    };
    web-2 = {
      tags = [ "web" ];
      system = "x86_64-linux";
    };
    db = {
      tags = [ "db" ];
      system = "aarch64-linux";
    };
  };
  imports = [ ./workstation.nix ];
}
