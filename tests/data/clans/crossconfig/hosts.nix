{
  flake.hosts = {
    web = { };
    db = { };
  };
  flake.edge = [ "web" ];
}
