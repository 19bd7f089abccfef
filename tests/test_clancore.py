"""Reading clan-core's services statically (solver/catalogue/clancore.py)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from solver.catalogue.clancore import read_checkout

SERVICE_ALL_TYPES = """\
{ lib, config, clanLib, ... }:
let
  inherit (lib) mkOption types;
  shared = mkOption { type = types.listOf types.str; default = [ ]; description = "shared"; };
in
{
  _class = "clan.service";
  manifest.name = "fixture/kitchen";
  manifest.description = "Every option type";
  manifest.categories = [ "System" ];
  manifest.constraints.maxInstances = 1;
  manifest.constraints.roles.server.minMachines = 1;
  manifest.constraints.roles.server.maxMachines = 2;

  roles.server = {
    description = "The server";
    interface =
      { lib, meta, ... }:
      {
        options = {
          name = mkOption { type = types.str; default = "x"; description = "a string"; };
          count = mkOption { type = types.int; default = 3; };
          on = lib.mkEnableOption "the thing";
          port = mkOption { type = types.port; default = 80; };
          dir = mkOption { type = types.path; };
          mode = mkOption { type = types.enum [ "a" "b" ]; default = "a"; };
          hosts = shared;
          tags = mkOption { type = types.attrsOf types.int; default = { }; };
          maybe = mkOption { type = types.nullOr types.str; default = null; };
          either = mkOption { type = types.either types.str types.int; };
          oneOf = mkOption { type = types.oneOf [ types.str types.bool ]; };
          pkg = lib.mkPackageOption pkgs "hello" { };
          raw = mkOption { type = types.raw; };
          pattern = mkOption { type = types.strMatching "^[a-z]+$"; };
          computed = mkOption { type = types.str; default = meta.domain; defaultText = "the clan domain"; };
          fromConfig = mkOption { type = types.str; default = config.manifest.name + "!"; };
          gone = clanLib.mkRemovedOption "gone" "Use 'name' instead.";
          nested.deeper.flag = mkOption { type = types.bool; default = true; };
          peers = mkOption {
            type = types.attrsOf (types.submodule ({ name, ... }: {
              options.address = mkOption { type = types.str; };
              options.weight = mkOption { type = types.ints.unsigned; default = 1; };
            }));
            default = { };
          };
          free = mkOption {
            type = types.submodule { freeformType = types.attrsOf types.str; options.known = mkOption { type = types.str; }; };
            default = { };
          };
        };
      };
    perInstance = { settings, ... }: { nixosModule = { }; };
  };
  roles.client = {
    description = "A client";
    perInstance = { ... }: { nixosModule = { }; darwinModule = { }; };
  };
}
"""

DEPRECATED_SERVICE = """\
throw ''
  The `gone` service moved to the `elsewhere` flake.
''
"""

FLAKE_MODULE = """\
{ ... }:
let module = ./default.nix; in
{
  clan.modules = { %s = module; "@clan/%s" = module; };
  clan.deprecatedModules = [ %s ];
}
"""


def write_checkout(root: Path, services: dict[str, str], deprecated: tuple[str, ...] = ()) -> Path:
    for name, text in services.items():
        d = root / "clanServices" / name
        d.mkdir(parents=True, exist_ok=True)
        (d / "default.nix").write_text(textwrap.dedent(text))
        dep = " ".join(f'"{n}"' for n in (name, f"@clan/{name}") if name in deprecated)
        (d / "flake-module.nix").write_text(FLAKE_MODULE % (name, name, dep))
    return root


def test_every_option_type_is_read(tmp_path: Path) -> None:
    write_checkout(tmp_path, {"kitchen": SERVICE_ALL_TYPES})
    cat = read_checkout(str(tmp_path))
    mods = {m.name: m for m in cat.modules}
    assert sorted(mods) == ["@clan/kitchen", "kitchen"]
    m = mods["kitchen"]
    assert m.manifest_name == "fixture/kitchen"
    assert m.description == "Every option type"
    assert m.max_instances == 1
    assert m.classes == ["nixos", "darwin"]  # the client role has a darwinModule
    assert sorted(m.roles) == ["client", "server"]
    assert (m.roles["server"].min_machines, m.roles["server"].max_machines) == (1, 2)
    assert m.roles["client"].interface == {} and m.roles["client"].freeform is False
    i = m.roles["server"].interface
    assert i is not None
    got = {k: (v.type, v.nullable, v.default if v.has_default else "-") for k, v in i.items()}
    assert got == {
        "computed": ("str", False, "-"),
        "count": ("int", False, 3),
        "dir": ("path", False, "-"),
        "either": ("anything", False, "-"),
        "fromConfig": ("str", False, "fixture/kitchen!"),
        "free": ("submodule", False, {}),
        "gone": ("anything", False, None),
        "hosts": ("list", False, []),
        "maybe": ("str", True, None),
        "mode": ("enum", False, "a"),
        "name": ("str", False, "x"),
        "nested": ("submodule", False, {}),
        "on": ("bool", False, False),
        "oneOf": ("anything", False, "-"),
        "pattern": ("str", False, "-"),
        "peers": ("attrs", False, {}),
        "pkg": ("anything", False, "-"),
        "port": ("port", False, 80),
        "raw": ("anything", False, "-"),
        "tags": ("attrs", False, {}),
    }
    assert i["mode"].values == ["a", "b"]
    assert i["either"].nix_type == "string or signed integer"
    assert i["pattern"].nix_type == "string matching the pattern ^[a-z]+$"
    assert i["on"].description == "Whether to enable the thing."
    assert i["gone"].description == "[removed] Use 'name' instead."
    assert i["computed"].description == "[computed default: the clan domain] "
    assert i["hosts"].elem is not None and i["hosts"].elem.type == "str"
    nested = i["nested"].options
    assert nested is not None and nested["deeper"].options is not None
    assert nested["deeper"].options["flag"].default is True
    peer = i["peers"].elem
    assert peer is not None and peer.type == "submodule" and peer.options is not None
    assert sorted(peer.options) == ["address", "weight"]
    assert peer.options["weight"].nix_type == "unsigned integer, meaning >=0"
    assert i["free"].freeform is True and i["free"].options is not None
    assert list(i["free"].options) == ["known"]
    assert m.roles["server"].freeform is False
    assert cat.notes == []


def test_thrown_service_is_deprecated_with_its_message(tmp_path: Path) -> None:
    write_checkout(tmp_path, {"gone": DEPRECATED_SERVICE}, deprecated=("gone",))
    mods = {m.name: m for m in read_checkout(str(tmp_path)).modules}
    assert mods["gone"].deprecated == "The `gone` service moved to the `elsewhere` flake."
    assert mods["gone"].roles == {}


def test_registry_deprecation_without_throw(tmp_path: Path) -> None:
    svc = '{ ... }: { _class = "clan.service"; manifest.name = "old"; roles.default = { }; }'
    write_checkout(tmp_path, {"old": svc}, deprecated=("old",))
    mods = {m.name: m for m in read_checkout(str(tmp_path)).modules}
    assert mods["old"].deprecated is not None and "deprecated" in mods["old"].deprecated


def test_unreadable_parts_are_said(tmp_path: Path) -> None:
    svc = """\
    { lib, ... }: {
      _class = "clan.service";
      manifest.name = "odd";
      roles.default.interface = { lib, ... }: { options = somethingUnknown; };
    }
    """
    write_checkout(tmp_path, {"odd": svc})
    cat = read_checkout(str(tmp_path))
    assert [n.module for n in cat.notes] == ["odd"]
    assert "somethingUnknown" in cat.notes[0].what


def test_nothing_outside_the_checkout_is_read(tmp_path: Path) -> None:
    outside = tmp_path / "outside.nix"
    outside.write_text('{ options.secret = throw "read"; }')
    svc = """\
    { lib, ... }: {
      _class = "clan.service";
      manifest.name = "escape";
      roles.default.interface = import ../../../outside.nix;
    }
    """
    root = write_checkout(tmp_path / "checkout", {"escape": svc})
    cat = read_checkout(str(root))
    m = {x.name: x for x in cat.modules}["escape"]
    # not read: the interface is unknown (settings unchecked), and that is said
    assert m.roles["default"].interface == {}
    assert m.roles["default"].freeform is True
    assert cat.notes and cat.notes[0].module == "escape"
    assert cat.files is not None
    read = [e.path for e in cat.files.record() if e.kind == "file"]
    assert str(outside) not in read and read  # the service itself was read


def _vendor() -> Path:
    here = Path(__file__).resolve()
    for up in (
        here.parents[1] / ".." / "shared" / "vendor",
        here.parents[2] / ".." / "shared" / "vendor",
    ):
        if (up / "clan-core" / "clanServices").is_dir():
            return up / "clan-core"
    pytest.skip("the clan-core snapshot (../shared/vendor/clan-core) is not present")


def _json(x: object) -> str:
    return json.dumps(x, sort_keys=True)


# Options the hand-kept catalogue knows but clan-core d7c35d912 does not declare: taken from
# a newer wireguard (see solver/catalogue/SOURCES.md); a clan pinning d7c35d912 is checked
# against what that revision declares when its source is found.
HAND_ONLY_OPTIONS = {("wireguard", "controller"): {"externalPeers", "ipv4"}}


def test_vendored_clan_core_agrees_with_the_hand_kept_catalogue() -> None:
    from solver.catalogue import builtin

    root = _vendor()
    cat = read_checkout(str(root))
    read = {m.name: m for m in cat.modules if not m.name.startswith("@")}
    hand = builtin()
    assert len(read) >= 30
    assert sorted(read) == hand.names("service")
    for name, r in read.items():
        h = hand.get(None, name, "service")
        assert h is not None
        assert sorted(r.roles) == sorted(h.roles), name
        assert r.max_instances == h.max_instances, name
        assert r.manifest_name == h.manifest_name, name
        for role, rs in r.roles.items():
            hs = h.roles[role]
            bounds = (rs.min_machines, rs.max_machines)
            assert bounds == (hs.min_machines, hs.max_machines), (name, role)
            if hs.interface is None:
                continue
            assert rs.interface is not None
            extra = HAND_ONLY_OPTIONS.get((name, role), set())
            assert sorted(rs.interface) == sorted(set(hs.interface) - extra), (name, role)
            for opt, spec in rs.interface.items():
                mine = hs.interface[opt]
                assert (spec.type, spec.nullable) == (mine.type, mine.nullable), (name, opt)
        # a module deprecated by clan-core (a throw) is deprecated in the hand-kept one too
        if r.deprecated:
            assert h.deprecated, name
    # every service that declares an interface has one read
    assert all(rs.interface is not None for m in read.values() for rs in m.roles.values())
    assert cat.notes == []  # nothing of the 31 services was left unread
