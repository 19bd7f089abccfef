{
  inputs.clan-core.url = "https://git.clan.lol/clan/clan-core/archive/main.tar.gz";

  outputs =
    { self, clan-core, ... }:
    let
      domain = "example.net";
    in
    clan-core.lib.clan {
      inherit self;
      meta.name = "big";
      inventory = {
        machines = {
          host-00 = {
            tags = [ "rack-0" "prod" ];
            deploy.targetHost = "root@host-00.${domain}";
          };
          host-01 = {
            tags = [ "rack-1" "prod" ];
            deploy.targetHost = "root@host-01.${domain}";
          };
          host-02 = {
            tags = [ "rack-2" "prod" ];
            deploy.targetHost = "root@host-02.${domain}";
          };
          host-03 = {
            tags = [ "rack-3" "prod" ];
            deploy.targetHost = "root@host-03.${domain}";
          };
          host-04 = {
            tags = [ "rack-0" "prod" ];
            deploy.targetHost = "root@host-04.${domain}";
          };
          host-05 = {
            tags = [ "rack-1" "prod" ];
            deploy.targetHost = "root@host-05.${domain}";
          };
          host-06 = {
            tags = [ "rack-2" "prod" ];
            deploy.targetHost = "root@host-06.${domain}";
          };
          host-07 = {
            tags = [ "rack-3" "prod" ];
            deploy.targetHost = "root@host-07.${domain}";
          };
          host-08 = {
            tags = [ "rack-0" "prod" ];
            deploy.targetHost = "root@host-08.${domain}";
          };
          host-09 = {
            tags = [ "rack-1" "prod" ];
            deploy.targetHost = "root@host-09.${domain}";
          };
          host-10 = {
            tags = [ "rack-2" "prod" ];
            deploy.targetHost = "root@host-10.${domain}";
          };
          host-11 = {
            tags = [ "rack-3" "prod" ];
            deploy.targetHost = "root@host-11.${domain}";
          };
          host-12 = {
            tags = [ "rack-0" "prod" ];
            deploy.targetHost = "root@host-12.${domain}";
          };
          host-13 = {
            tags = [ "rack-1" "prod" ];
            deploy.targetHost = "root@host-13.${domain}";
          };
          host-14 = {
            tags = [ "rack-2" "prod" ];
            deploy.targetHost = "root@host-14.${domain}";
          };
          host-15 = {
            tags = [ "rack-3" "prod" ];
            deploy.targetHost = "root@host-15.${domain}";
          };
          host-16 = {
            tags = [ "rack-0" "prod" ];
            deploy.targetHost = "root@host-16.${domain}";
          };
          host-17 = {
            tags = [ "rack-1" "prod" ];
            deploy.targetHost = "root@host-17.${domain}";
          };
          host-18 = {
            tags = [ "rack-2" "prod" ];
            deploy.targetHost = "root@host-18.${domain}";
          };
          host-19 = {
            tags = [ "rack-3" "prod" ];
            deploy.targetHost = "root@host-19.${domain}";
          };
          host-20 = {
            tags = [ "rack-0" "prod" ];
            deploy.targetHost = "root@host-20.${domain}";
          };
          host-21 = {
            tags = [ "rack-1" "prod" ];
            deploy.targetHost = "root@host-21.${domain}";
          };
          host-22 = {
            tags = [ "rack-2" "prod" ];
            deploy.targetHost = "root@host-22.${domain}";
          };
          host-23 = {
            tags = [ "rack-3" "prod" ];
            deploy.targetHost = "root@host-23.${domain}";
          };
          host-24 = {
            tags = [ "rack-0" "prod" ];
            deploy.targetHost = "root@host-24.${domain}";
          };
          host-25 = {
            tags = [ "rack-1" "prod" ];
            deploy.targetHost = "root@host-25.${domain}";
          };
          host-26 = {
            tags = [ "rack-2" "prod" ];
            deploy.targetHost = "root@host-26.${domain}";
          };
          host-27 = {
            tags = [ "rack-3" "prod" ];
            deploy.targetHost = "root@host-27.${domain}";
          };
          host-28 = {
            tags = [ "rack-0" "prod" ];
            deploy.targetHost = "root@host-28.${domain}";
          };
          host-29 = {
            tags = [ "rack-1" "prod" ];
            deploy.targetHost = "root@host-29.${domain}";
          };
        };
        instances = {
          "svc-00" = {
            module.name = "service-0";
            roles.server.machines.host-00.settings.port = 8000;
            roles.client.tags.rack-0 = { };
            roles.client.settings = { retries = 3; verbose = false; };
          };
          "svc-01" = {
            module.name = "service-1";
            roles.server.machines.host-01.settings.port = 8001;
            roles.client.tags.rack-1 = { };
            roles.client.settings = { retries = 3; verbose = false; };
          };
          "svc-02" = {
            module.name = "service-2";
            roles.server.machines.host-02.settings.port = 8002;
            roles.client.tags.rack-2 = { };
            roles.client.settings = { retries = 3; verbose = false; };
          };
          "svc-03" = {
            module.name = "service-3";
            roles.server.machines.host-03.settings.port = 8003;
            roles.client.tags.rack-3 = { };
            roles.client.settings = { retries = 3; verbose = false; };
          };
          "svc-04" = {
            module.name = "service-4";
            roles.server.machines.host-04.settings.port = 8004;
            roles.client.tags.rack-0 = { };
            roles.client.settings = { retries = 3; verbose = false; };
          };
          "svc-05" = {
            module.name = "service-0";
            roles.server.machines.host-05.settings.port = 8005;
            roles.client.tags.rack-1 = { };
            roles.client.settings = { retries = 3; verbose = false; };
          };
          "svc-06" = {
            module.name = "service-1";
            roles.server.machines.host-06.settings.port = 8006;
            roles.client.tags.rack-2 = { };
            roles.client.settings = { retries = 3; verbose = false; };
          };
          "svc-07" = {
            module.name = "service-2";
            roles.server.machines.host-07.settings.port = 8007;
            roles.client.tags.rack-3 = { };
            roles.client.settings = { retries = 3; verbose = false; };
          };
          "svc-08" = {
            module.name = "service-3";
            roles.server.machines.host-08.settings.port = 8008;
            roles.client.tags.rack-0 = { };
            roles.client.settings = { retries = 3; verbose = false; };
          };
          "svc-09" = {
            module.name = "service-4";
            roles.server.machines.host-09.settings.port = 8009;
            roles.client.tags.rack-1 = { };
            roles.client.settings = { retries = 3; verbose = false; };
          };
          "svc-10" = {
            module.name = "service-0";
            roles.server.machines.host-10.settings.port = 8010;
            roles.client.tags.rack-2 = { };
            roles.client.settings = { retries = 3; verbose = false; };
          };
          "svc-11" = {
            module.name = "service-1";
            roles.server.machines.host-11.settings.port = 8011;
            roles.client.tags.rack-3 = { };
            roles.client.settings = { retries = 3; verbose = false; };
          };
          "svc-12" = {
            module.name = "service-2";
            roles.server.machines.host-12.settings.port = 8012;
            roles.client.tags.rack-0 = { };
            roles.client.settings = { retries = 3; verbose = false; };
          };
          "svc-13" = {
            module.name = "service-3";
            roles.server.machines.host-13.settings.port = 8013;
            roles.client.tags.rack-1 = { };
            roles.client.settings = { retries = 3; verbose = false; };
          };
          "svc-14" = {
            module.name = "service-4";
            roles.server.machines.host-14.settings.port = 8014;
            roles.client.tags.rack-2 = { };
            roles.client.settings = { retries = 3; verbose = false; };
          };
          "svc-15" = {
            module.name = "service-0";
            roles.server.machines.host-15.settings.port = 8015;
            roles.client.tags.rack-3 = { };
            roles.client.settings = { retries = 3; verbose = false; };
          };
          "svc-16" = {
            module.name = "service-1";
            roles.server.machines.host-16.settings.port = 8016;
            roles.client.tags.rack-0 = { };
            roles.client.settings = { retries = 3; verbose = false; };
          };
          "svc-17" = {
            module.name = "service-2";
            roles.server.machines.host-17.settings.port = 8017;
            roles.client.tags.rack-1 = { };
            roles.client.settings = { retries = 3; verbose = false; };
          };
          "svc-18" = {
            module.name = "service-3";
            roles.server.machines.host-18.settings.port = 8018;
            roles.client.tags.rack-2 = { };
            roles.client.settings = { retries = 3; verbose = false; };
          };
          "svc-19" = {
            module.name = "service-4";
            roles.server.machines.host-19.settings.port = 8019;
            roles.client.tags.rack-3 = { };
            roles.client.settings = { retries = 3; verbose = false; };
          };
          "svc-20" = {
            module.name = "service-0";
            roles.server.machines.host-20.settings.port = 8020;
            roles.client.tags.rack-0 = { };
            roles.client.settings = { retries = 3; verbose = false; };
          };
          "svc-21" = {
            module.name = "service-1";
            roles.server.machines.host-21.settings.port = 8021;
            roles.client.tags.rack-1 = { };
            roles.client.settings = { retries = 3; verbose = false; };
          };
          "svc-22" = {
            module.name = "service-2";
            roles.server.machines.host-22.settings.port = 8022;
            roles.client.tags.rack-2 = { };
            roles.client.settings = { retries = 3; verbose = false; };
          };
          "svc-23" = {
            module.name = "service-3";
            roles.server.machines.host-23.settings.port = 8023;
            roles.client.tags.rack-3 = { };
            roles.client.settings = { retries = 3; verbose = false; };
          };
          "svc-24" = {
            module.name = "service-4";
            roles.server.machines.host-24.settings.port = 8024;
            roles.client.tags.rack-0 = { };
            roles.client.settings = { retries = 3; verbose = false; };
          };
          "svc-25" = {
            module.name = "service-0";
            roles.server.machines.host-25.settings.port = 8025;
            roles.client.tags.rack-1 = { };
            roles.client.settings = { retries = 3; verbose = false; };
          };
          "svc-26" = {
            module.name = "service-1";
            roles.server.machines.host-26.settings.port = 8026;
            roles.client.tags.rack-2 = { };
            roles.client.settings = { retries = 3; verbose = false; };
          };
        };
      };
      machines.host-00 = { config, ... }: { };
    };
}
