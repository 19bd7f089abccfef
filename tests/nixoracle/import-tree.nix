# Stand-in for the `import-tree` flake input (vic/import-tree), written for the tests.
# `import-tree ./dir` is a module importing every `.nix` file below `dir`, in path order,
# leaving out every file whose path relative to `dir` has a component starting with `_`.
# A list of folders (or files) is accepted too. (builtins.readDir only: Debian's Nix 2.8
# has no builtins.readFileType, which lib.filesystem needs.)
{ lib }:
let
  # every .nix file below `dir`, sorted by path, skipping `_`-components
  files =
    dir:
    lib.concatMap (
      name:
      let
        type = (builtins.readDir dir).${name};
        path = dir + "/${name}";
      in
      if lib.hasPrefix "_" name then
        [ ]
      else if type == "directory" then
        files path
      else if lib.hasSuffix ".nix" name then
        [ path ]
      else
        [ ]
    ) (builtins.attrNames (builtins.readDir dir));
  isDir = p: builtins.pathExists (toString p + "/.");
  below = root: if isDir root then files root else [ root ];
in
paths: {
  imports = lib.concatMap below (lib.toList paths);
}
