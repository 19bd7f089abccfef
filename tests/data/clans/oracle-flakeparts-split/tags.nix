{
  clan.inventory.tags = {
    backup-clients = [ "laptop" "macbook" "kiosk" ];
  };
}
