{ inputs, ... }:
{
  imports = [ inputs.clan-core.flakeModules.default ];
  systems = [ "x86_64-linux" ];
  flake.clan.meta.name = "dendritic";
}
