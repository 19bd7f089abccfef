{
  flake.clan = {
    meta.name = "dendrite";
    meta.domain = "dendrite.internal";
  };
}
