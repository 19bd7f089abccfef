# per-system packages for the clan: not part of the inventory
{
  perSystem =
    { pkgs, ... }:
    {
      clan.pkgs = pkgs;
    };
}
