{
  perSystem =
    { pkgs, ... }:
    {
      clan.pkgs = pkgs;
      devShells.default = pkgs.mkShell { };
    };
}
