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


def test_vendored_clan_core_reads_to_the_builtin_entries() -> None:
    """`catalogue build` on the vendored clan-core gives builtin.json, entry for entry."""
    from solver.catalogue import BUILTIN
    from solver.catalogue.build import build_data

    root = _vendor()
    with open(BUILTIN, encoding="utf-8") as fh:
        shipped = json.load(fh)
    built, notes = build_data(str(root), shipped["revision"])
    assert notes == []  # nothing of the services was left unread
    assert len(built["modules"]) >= 30
    assert [m["name"] for m in built["modules"]] == [m["name"] for m in shipped["modules"]]
    for mine, theirs in zip(built["modules"], shipped["modules"], strict=True):
        assert _json(mine) == _json(theirs), mine["name"]
    # every service that declares roles has an interface read for each role
    for m in built["modules"]:
        for rname, role in (m.get("roles") or {}).items():
            assert role.get("interface") is not None, (m["name"], rname)


# -- locating the pinned clan-core ---------------------------------------------------------

# (narHash, store dir, store path) from Nix 2.8: `nix hash path DIR` / `nix-hash --type
# sha256 DIR`, then `[NIX_STORE_DIR=…] nix-store --print-fixed-path --recursive sha256 HEX
# source`.
KNOWN_PATHS = [
    (
        "sha256-SQ6yIQYazG3I99qNks68hkHZYfp8ufFQd1KSTAGUS1s=",
        "/nix/store",
        "/nix/store/by5hi2lfw7byb1bbhslhv20afy2649pb-source",
    ),
    ("sha256:" + "0" * 64, "/nix/store", "/nix/store/bqfq4db6nwycmkdrql9igsbrayqsw3g2-source"),
    (
        "sha256:490eb221061acc6dc8f7da8d92cebc8641d961fa7cb9f1507752924c01944b5b",
        "/tmp/fakestore",
        "/tmp/fakestore/jki3zf28y02z7bqaf3939m3c8pb2n29a-source",
    ),
]


@pytest.mark.parametrize(("nar", "store", "expected"), KNOWN_PATHS)
def test_store_path_of_a_flake_input_source(nar: str, store: str, expected: str) -> None:
    from solver.catalogue.source import fixed_source_path

    assert fixed_source_path(nar, store) == expected


NAR = KNOWN_PATHS[0][0]
STORE_NAME = "by5hi2lfw7byb1bbhslhv20afy2649pb-source"
OLD_NAR = KNOWN_PATHS[1][0]


def lock(clan_core_ref: object, nodes: dict[str, object], root_inputs: dict[str, object]) -> str:
    data = {
        "nodes": {
            "root": {
                "inputs": {**root_inputs, **({"clan-core": clan_core_ref} if clan_core_ref else {})}
            },
            **nodes,
        },
        "root": "root",
        "version": 7,
    }
    return json.dumps(data)


GIT_NODE = {
    "locked": {
        "narHash": NAR,
        "rev": "abcdef1234567890",
        "type": "git",
        "url": "https://git.clan.lol/clan/clan-core",
    },
    "original": {"type": "git", "url": "https://git.clan.lol/clan/clan-core"},
}
TARBALL_NODE = {
    "locked": {
        "narHash": NAR,
        "type": "tarball",
        "url": "https://git.clan.lol/clan/clan-core/archive/main.tar.gz",
    },
    "original": {
        "type": "tarball",
        "url": "https://git.clan.lol/clan/clan-core/archive/main.tar.gz",
    },
}

SMALL_SERVICE = """\
{ lib, ... }: {
  _class = "clan.service";
  manifest.name = "clan-core/admin";
  roles.default.interface = { lib, ... }: {
    options.allowedKeys = lib.mkOption { type = lib.types.attrsOf lib.types.str; default = { }; };
%s
  };
}
"""
NEW_OPTION = (
    "    options.certificate.enable = lib.mkOption { type = lib.types.bool; default = true; };"
)


SSHD_SERVICE = """\
{ lib, ... }: {
  _class = "clan.service";
  manifest.name = "clan-core/sshd";
  roles.client = { };
  roles.server.interface = { lib, ... }: {
    options.rotateKeys = lib.mkOption { type = lib.types.bool; default = false; };
  };
}
"""


def clan(
    tmp_path: Path, lock_text: str | None, settings: dict[str, object], module: str = "admin"
) -> Path:
    d = tmp_path / "clan"
    (d / ".git").mkdir(parents=True)
    inv = {
        "machines": {"jon": {}},
        "instances": {
            module: {
                "module": {"name": module},
                "roles": {
                    "server" if module == "sshd" else "default": {
                        "machines": {"jon": {}},
                        "settings": settings,
                    }
                },
            }
        },
    }
    (d / "inventory.json").write_text(json.dumps(inv))
    if lock_text is not None:
        (d / "flake.lock").write_text(lock_text)
    return d


def fake_nix(bin_dir: Path, script: str) -> Path:
    """A `nix` on PATH (the folder `bin_dir`, put first by the caller) running `script`
    (sh); each call's arguments are appended to `bin_dir/calls`."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    nix = bin_dir / "nix"
    log = f'echo "$@" "[$GIT_ALLOW_PROTOCOL $https_proxy $no_proxy]" >> "{bin_dir}/calls"'
    nix.write_text(f"#!/bin/sh\n{log}\n{script}\n")
    nix.chmod(0o755)
    return nix


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return make_store(tmp_path, monkeypatch)


def make_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stand-in Nix store, a private cache and a `nix` that finds nothing (the real one
    is never asked by the tests)."""
    import os

    s = tmp_path / "store"
    s.mkdir()
    monkeypatch.setenv("INVENTORY_SOLVER_NIX_STORE", str(s))
    monkeypatch.setenv("INVENTORY_SOLVER_CACHE_DIR", str(tmp_path / "cache"))
    from solver.catalogue import source

    monkeypatch.setattr(source, "_ASKED", {})  # what nix said is kept per process
    fake_nix(tmp_path / "bin", "exit 1")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}")
    return s


def codes(report: object) -> list[str]:
    return [d.code for d in report.diagnostics]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("nodes", "ref", "root_inputs"),
    [
        ({"clan-core": GIT_NODE}, "clan-core", {}),
        ({"clan-core_2": TARBALL_NODE}, "clan-core_2", {}),
        # root's clan-core follows the one of another input
        (
            {
                "other": {"inputs": {"clan-core": "clan-core_3"}, "locked": {}},
                "clan-core_3": GIT_NODE,
            },
            ["other", "clan-core"],
            {"other": "other"},
        ),
        # no input named clan-core: the one whose url names it
        ({"clan": GIT_NODE}, None, {"clan": "clan"}),
    ],
)
def test_pinned_clan_core_is_used_from_the_store(
    tmp_path: Path,
    store: Path,
    nodes: dict[str, object],
    ref: object,
    root_inputs: dict[str, object],
) -> None:
    import solver

    write_checkout(store / STORE_NAME, {"sshd": SSHD_SERVICE})
    d = clan(tmp_path, lock(ref, nodes, root_inputs), {"rotateKeys": True}, "sshd")
    r = solver.check(d / "inventory.json")
    assert "unknown-setting" not in codes(r) and "catalogue-source" not in codes(r)
    # the same clan against the built-in catalogue (no store path): the option is unknown
    (store / STORE_NAME).rename(store / "gone")
    r = solver.check(d / "inventory.json")
    infos = [x for x in r.diagnostics if x.code == "catalogue-source"]
    assert len(infos) == 1 and "d7c35d912" in infos[0].message
    assert STORE_NAME in infos[0].message
    # ... and the pinned revision may declare it: a warning naming both revisions, not an
    # error that would block a correct change
    (unknown,) = [x for x in r.diagnostics if x.code == "unknown-setting"]
    assert unknown.severity == "warning"
    assert unknown.hint is not None and "d7c35d912" in unknown.hint
    assert "--clan-core" in unknown.hint


def test_built_in_catalogue_of_the_pinned_revision_keeps_errors(
    tmp_path: Path, store: Path
) -> None:
    """When the clan pins the very revision the built-in catalogue was generated from, an
    unknown option is an error as usual."""
    import solver
    from solver.catalogue import builtin_file

    node = {**GIT_NODE, "locked": {**GIT_NODE["locked"], "rev": builtin_file()["revision"]}}
    d = clan(tmp_path, lock("clan-core", {"clan-core": node}, {}), {"rotateKeys": True}, "sshd")
    r = solver.check(d / "inventory.json")
    (unknown,) = [x for x in r.diagnostics if x.code == "unknown-setting"]
    assert unknown.severity == "error"
    assert r.summary.errors >= 1


def test_no_clan_core_in_the_lock_says_nothing(tmp_path: Path, store: Path) -> None:
    import solver

    d = clan(
        tmp_path, lock(None, {"nixpkgs": {"locked": {"narHash": NAR}}}, {"nixpkgs": "nixpkgs"}), {}
    )
    assert "catalogue-source" not in codes(solver.check(d / "inventory.json"))
    d2 = clan(tmp_path / "b", None, {})
    assert "catalogue-source" not in codes(solver.check(d2 / "inventory.json"))


def test_option_of_a_newer_revision(tmp_path: Path, store: Path) -> None:
    """An option only the newer clan-core declares: an error against the old, clean
    against the new; a misspelt one gets a did-you-mean over the role's options."""
    from click.testing import CliRunner

    from solver.cli import cli

    old = write_checkout(tmp_path / "old", {"admin": SMALL_SERVICE % ""})
    new = write_checkout(tmp_path / "new", {"admin": SMALL_SERVICE % NEW_OPTION})
    d = clan(tmp_path, None, {"certificate": {"enable": False}, "allowedkeys": {}})
    inv = str(d / "inventory.json")

    def run(*args: str) -> str:
        res = CliRunner().invoke(cli, ["check", "--format", "json", *args, inv])
        assert res.exit_code == 1, res.output
        return res.output

    against_old = json.loads(run("--clan-core", str(old)))["diagnostics"]
    against_new = json.loads(run("--clan-core", str(new)))["diagnostics"]
    old_paths = sorted(x["path"] for x in against_old if x["code"] == "unknown-setting")
    new_paths = sorted(x["path"] for x in against_new if x["code"] == "unknown-setting")
    assert old_paths == [
        "instances.admin.roles.default.settings.allowedkeys",
        "instances.admin.roles.default.settings.certificate",
    ]
    assert new_paths == ["instances.admin.roles.default.settings.allowedkeys"]
    (typo,) = [x for x in against_new if x["code"] == "unknown-setting"]
    assert typo["hint"].startswith('did you mean "allowedKeys"?')
    # the project config's `clan-core` key does the same
    (d / "inventory-solver.toml").write_text(f'clan-core = "{new}"\n')
    res = CliRunner().invoke(
        cli,
        [
            "check",
            "--no-cache",
            "--config",
            str(d / "inventory-solver.toml"),
            "--format",
            "json",
            inv,
        ],
    )
    paths = [
        x["path"] for x in json.loads(res.output)["diagnostics"] if x["code"] == "unknown-setting"
    ]
    assert paths == ["instances.admin.roles.default.settings.allowedkeys"]


def test_not_a_checkout_is_an_input_error(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from solver.cli import cli

    d = clan(tmp_path, None, {})
    res = CliRunner().invoke(
        cli, ["check", "--clan-core", str(tmp_path), str(d / "inventory.json")]
    )
    assert res.exit_code == 2
    assert "not a clan-core checkout" in res.output


def test_read_catalogue_is_cached_per_checkout_content(tmp_path: Path, store: Path) -> None:
    from solver.catalogue import source

    root = write_checkout(tmp_path / "cc", {"admin": SMALL_SERVICE % ""})
    first, _ = source.read_modules(str(root))
    assert list((tmp_path / "cache" / "clancore").iterdir())
    second, _ = source.read_modules(str(root))
    assert second == first
    # an edited service is read again
    (root / "clanServices" / "admin" / "default.nix").write_text(SMALL_SERVICE % NEW_OPTION)
    third, _ = source.read_modules(str(root))
    opts = third[0]["roles"]["default"]["interface"]
    assert sorted(opts) == ["allowedKeys", "certificate"]


def test_layering_keeps_curated_knowledge() -> None:
    from solver.catalogue.source import layered

    root = _vendor()
    cat = read_checkout(str(root))
    lay = layered([m.model_dump(exclude_defaults=True) for m in cat.modules])
    wg = lay.get(None, "wireguard", "service")
    assert wg is not None and wg.incompatible_roles  # curated: controller and peer
    assert wg.roles["controller"].description  # read: clan-core's own wording
    mon = lay.get(None, "monitoring", "service")
    assert mon is not None and mon.role_counts
    users = lay.get(None, "users", "service")
    assert users is not None and users.roles["default"].interface is not None
    desc = users.roles["default"].interface["user"].description or ""
    assert "computed default" in desc
    assert lay.get(None, "borgbackup", "legacy") is not None  # legacy modules stay


def test_result_cache_follows_the_store(
    tmp_path: Path, store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cached answer is not reused once the pinned clan-core appears in (or leaves) the
    store: the run's record includes the store probe and flake.lock."""
    from tests.test_cache import _inprocess

    write_checkout(store / STORE_NAME, {"sshd": SSHD_SERVICE})
    d = clan(tmp_path, lock("clan-core", {"clan-core": GIT_NODE}, {}), {"rotateKeys": True}, "sshd")
    monkeypatch.chdir(d)
    cache = tmp_path / "result-cache"
    args = ["check", "--format", "concise", "inventory.json"]
    first = _inprocess(args, cache)
    assert first == _inprocess(args, cache) and "unknown-setting" not in first[1]
    (store / STORE_NAME).rename(store / "elsewhere")
    code, out, _ = _inprocess(args, cache)
    # the built-in catalogue stands in for the pinned revision: a warning, not an error
    assert "catalogue-source" in out and "warning[unknown-setting]" in out and code == 0
