{
  inputs.clan-core.url = "git+https://git.clan.lol/clan/clan-core";

  outputs =
    inputs@{ self, clan-core, ... }:
    let
      clan = clan-core.lib.clan (
        {
          inherit self;
          meta.name = "applied-update";
        }
        // import ./clan.nix { inherit inputs; }
      );
    in
    {
      inherit (clan.config) nixosConfigurations;
    };
}
