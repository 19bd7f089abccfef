{
  clan.inventory.instances = {
    nginx = {
      module.input = "self";
      roles.default.tags.web = { };
    };
    postgres.roles.primary.machines.db = { };
    syncthing.roles.peer.tags = [ "staff" "db" ];
  };
}
