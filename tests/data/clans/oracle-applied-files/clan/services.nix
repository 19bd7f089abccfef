# applied with lib.modules.importApply: the first argument comes from the importer, the
# second is the clan module's
{ admins }:
{ lib, ... }:
{
  inventory.instances.admin = {
    roles.default.tags.all = { };
    roles.default.settings.allowedKeys = lib.genAttrs admins (name: "ssh-ed25519 AAAA ${name}");
  };
  inventory.instances.dmz-firewall = {
    module.name = "firewall";
    roles.default.machines = lib.genAttrs (builtins.filter (n: n != "r2") [ "edge" "r1" "r2" ]) (_: { });
  };
}
