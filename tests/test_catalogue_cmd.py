"""`inventory-solver catalogue`, `catalogue build`, `explain MODULE`, the interfaces of
the clan's own services and the `nix flake metadata` fallback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from solver.cli import cli
from tests.test_clancore import (
    GIT_NODE,
    NEW_OPTION,
    SERVICE_ALL_TYPES,
    SMALL_SERVICE,
    SSHD_SERVICE,
    STORE_NAME,
    clan,
    fake_nix,
    lock,
    make_store,
    write_checkout,
)


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return make_store(tmp_path, monkeypatch)


def invoke(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(cli, list(args))
    return res.exit_code, res.output


# -- catalogue ---------------------------------------------------------------------------------


def test_lists_the_modules_in_use_with_the_builtin_revision(tmp_path: Path, store: Path) -> None:
    d = clan(tmp_path, None, {"rotateKeys": True}, "sshd")
    code, out = invoke("catalogue", str(d / "inventory.json"))
    assert code == 0, out
    first = out.splitlines()[0]
    assert first.startswith("catalogue: clan-core d7c35d912, built-in")
    assert "1 module in use" in out
    assert "sshd [clan-core/sshd] — instances: sshd" in out
    assert "certificate.enable: boolean = true" in out
    assert "borgbackup" not in out  # only what the clan uses


def test_json_report_is_versioned_and_names_unknown_modules(tmp_path: Path, store: Path) -> None:
    d = clan(tmp_path, None, {}, "nosuch")
    code, out = invoke("catalogue", "--format", "json", str(d / "inventory.json"))
    assert code == 0, out
    data = json.loads(out)
    assert data["version"] == 1
    assert data["catalogue"]["origin"] == "built-in"
    assert data["catalogue"]["revision"] == "d7c35d912"
    (m,) = data["modules"]
    assert (m["name"], m["in_catalogue"], m["spec"], m["instances"]) == (
        "nosuch",
        False,
        None,
        ["nosuch"],
    )


def test_all_lists_every_module_sorted(tmp_path: Path, store: Path) -> None:
    d = clan(tmp_path, None, {}, "admin")
    code, out = invoke("catalogue", "--all", "--format", "json", str(d / "inventory.json"))
    assert code == 0, out
    mods = json.loads(out)["modules"]
    services = [m["name"] for m in mods if m["kind"] == "service"]
    legacy = [m["name"] for m in mods if m["kind"] == "legacy"]
    assert services == sorted(services) and len(services) >= 30
    assert legacy == sorted(legacy) and "borgbackup" in legacy
    assert [m["kind"] for m in mods] == sorted(m["kind"] for m in mods)[::-1]  # services first
    admin = next(m for m in mods if m["name"] == "admin" and m["kind"] == "service")
    assert admin["instances"] == ["admin"]
    assert admin["spec"]["replaced_by"]  # curated knowledge on top


def test_catalogue_follows_a_clan_core_checkout(tmp_path: Path, store: Path) -> None:
    new = write_checkout(tmp_path / "new", {"admin": SMALL_SERVICE % NEW_OPTION})
    (new / ".git").mkdir()
    (new / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (new / ".git" / "packed-refs").write_text("# pack-refs\n" + "ab" * 20 + " refs/heads/main\n")
    d = clan(tmp_path, None, {}, "admin")
    code, out = invoke("catalogue", "--clan-core", str(new), str(d / "inventory.json"))
    assert code == 0, out
    assert out.splitlines()[0] == f"catalogue: clan-core {'ab' * 20}, read from the checkout {new}"
    assert "certificate.enable: boolean = true" in out


def test_catalogue_of_a_broken_inventory_is_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "inventory.json"
    bad.write_text("{ nope")
    code, out = invoke("catalogue", str(bad))
    assert code == 2 and "Traceback" not in out


# -- explain MODULE -----------------------------------------------------------------------------


def test_explain_module_shows_options_with_descriptions(tmp_path: Path, store: Path) -> None:
    d = clan(tmp_path, None, {}, "admin")
    code, out = invoke("explain", "wireguard", str(d / "inventory.json"))
    assert code == 0, out
    assert "module wireguard [clan-core/wireguard]" in out
    assert "roles controller and peer may not share a machine" in out
    assert "port: signed integer = 51820" in out
    assert "Port for the wireguard interface" in out  # the option's description
    # a machine still wins over a module; an unknown name is exit 2
    code, out = invoke("explain", "jon", str(d / "inventory.json"))
    assert code == 0 and out.startswith("machine jon")
    code, out = invoke("explain", "nosuch", str(d / "inventory.json"))
    assert code == 2 and "nor a module of its catalogue" in out


def test_explain_module_without_an_inventory(
    tmp_path: Path, store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "empty" / ".git").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "empty")
    code, out = invoke("explain", "sshd")
    assert code == 0, out
    assert "module sshd [clan-core/sshd]" in out and "module sshd (legacy clanModule)" in out
    code, out = invoke("explain", "legacy-nope")
    assert code == 2 and "nor a module of the catalogue" in out


# -- catalogue build ------------------------------------------------------------------------------


def test_build_is_deterministic_and_records_the_revision(tmp_path: Path) -> None:
    root = write_checkout(
        tmp_path / "cc", {"kitchen": SERVICE_ALL_TYPES, "admin": SMALL_SERVICE % ""}
    )
    out1, out2 = tmp_path / "a.json", tmp_path / "b.json"
    for out in (out1, out2):
        code, text = invoke("catalogue", "build", "--revision", "f00d", str(root), "-o", str(out))
        assert code == 0, text
    assert out1.read_bytes() == out2.read_bytes()
    data = json.loads(out1.read_text())
    assert data["revision"] == "f00d"
    names = [m["name"] for m in data["modules"]]
    assert names == sorted(names) == ["@clan/admin", "@clan/kitchen", "admin", "kitchen"]
    kitchen = next(m for m in data["modules"] if m["name"] == "kitchen")
    assert kitchen["roles"]["server"]["min_machines"] == 1
    assert "f00d" in kitchen["source"]
    # without a revision and outside git: exit 2, nothing written
    code, text = invoke("catalogue", "build", str(root), "-o", str(tmp_path / "c.json"))
    assert code == 2 and "--revision" in text
    assert not (tmp_path / "c.json").exists()
    code, text = invoke("catalogue", "build", str(tmp_path), "-o", str(tmp_path / "c.json"))
    assert code == 2 and "not a clan-core checkout" in text


def test_builtin_catalogue_is_the_generated_file_with_curated_knowledge() -> None:
    from solver.catalogue import builtin, builtin_file

    generated = {m["name"] for m in builtin_file()["modules"]}
    cat = builtin()
    assert set(cat.names("service")) == generated
    wg = cat.get(None, "wireguard", "service")
    assert wg is not None and wg.incompatible_roles  # curated
    controller = wg.roles["controller"].interface
    assert controller is not None and "ipv4" in controller  # newer option, built-in only
    assert cat.get(None, "zerotier", "legacy") is not None  # legacy modules


# -- the clan's own services ---------------------------------------------------------------------

LOCAL_FLAKE = """\
{
  inputs.clan-core.url = "https://git.clan.lol/clan/clan-core/archive/main.tar.gz";
  outputs = { self, clan-core, ... }:
    let
      clan = clan-core.lib.clan {
        inherit self;
        modules.dns = ./dns.nix;
        modules.opaque = ./opaque.nix;
        inventory.machines.a = { };
        inventory.instances.dns = {
          module = { name = "dns"; input = "self"; };
          roles.primary.machines.a.settings = { zoen = "x"; port = "53"; };
        };
        inventory.instances.opaque = {
          module = { name = "opaque"; input = "self"; };
          roles.default.machines.a.settings.anything = 1;
        };
      };
    in { inherit (clan.config) nixosConfigurations; };
}
"""
DNS = """\
{ lib, ... }: {
  _class = "clan.service";
  manifest.name = "my/dns";
  roles.primary.interface = { lib, ... }: {
    options.zone = lib.mkOption { type = lib.types.str; };
    options.port = lib.mkOption { type = lib.types.port; default = 53; };
  };
  roles.primary.perInstance = { ... }: { nixosModule = { }; darwinModule = { }; };
}
"""
OPAQUE = """\
{ lib, ... }: {
  _class = "clan.service";
  manifest.name = "my/opaque";
  roles.default.interface = builtins.fetchurl "https://example.org/interface.nix";
}
"""


def test_local_service_interfaces_are_checked(tmp_path: Path, store: Path) -> None:
    d = tmp_path / "clan"
    (d / ".git").mkdir(parents=True)
    (d / "flake.nix").write_text(LOCAL_FLAKE)
    (d / "dns.nix").write_text(DNS)
    (d / "opaque.nix").write_text(OPAQUE)
    code, out = invoke("check", "--no-cache", "--format", "json", str(d))
    assert code == 1, out
    diags = json.loads(out)["diagnostics"]
    found = {(x["code"], x["path"].rsplit(".", 1)[-1]) for x in diags}
    assert ("unknown-setting", "zoen") in found
    assert ("setting-type", "port") in found
    typo = next(x for x in diags if x["code"] == "unknown-setting")
    assert typo["hint"].startswith('did you mean "zone"?')
    # the module whose interface is not read: said once, its settings not checked
    local = [x for x in diags if x["code"] == "local-module"]
    assert len(local) == 1 and "opaque" in local[0]["message"]
    assert not any(x["path"].endswith("anything") for x in diags)
    code, out = invoke("catalogue", str(d))
    assert "dns of flake input 'self' [my/dns]" in out
    assert "machine classes: nixos, darwin" in out  # read from its perInstance


# -- nix flake metadata ---------------------------------------------------------------------------


def _pinned_clan(tmp_path: Path) -> Path:
    return clan(
        tmp_path, lock("clan-core", {"clan-core": GIT_NODE}, {}), {"rotateKeys": True}, "sshd"
    )


def test_nix_flake_metadata_names_the_source(tmp_path: Path, store: Path) -> None:
    import solver

    elsewhere = "0" * 32 + "-source"
    write_checkout(store / elsewhere, {"sshd": SSHD_SERVICE})
    bin_dir = tmp_path / "bin"
    fake_nix(bin_dir, f'echo \'{{"path": "/nix/store/{elsewhere}"}}\'')
    d = _pinned_clan(tmp_path)
    r = solver.check(d / "inventory.json")
    codes = [x.code for x in r.diagnostics]
    assert "unknown-setting" not in codes and "catalogue-source" not in codes
    calls = (bin_dir / "calls").read_text()
    assert "flake metadata --json --offline --no-update-lock-file --no-write-lock-file" in calls
    assert "git+https://git.clan.lol/clan/clan-core?rev=abcdef1234567890&narHash=" in calls
    assert "--option substituters  --option connect-timeout 1" in calls
    assert "[file http://127.0.0.1:9 ]" in calls  # no network for the child
    assert len(calls.splitlines()) == 1  # asked once per process
    code, out = invoke("catalogue", str(d / "inventory.json"))
    assert code == 0, out
    assert f"pinned by flake.lock, read from {store / elsewhere}" in out
    assert "clan-core abcdef1234567890" in out


def test_no_nix_never_runs_nix(tmp_path: Path, store: Path) -> None:
    bin_dir = tmp_path / "bin"
    d = _pinned_clan(tmp_path)
    code, out = invoke("check", "--no-nix", "--no-cache", "--format", "concise", str(d))
    assert code == 0 and not (bin_dir / "calls").exists()
    assert "catalogue-source" in out and "--no-nix" in out and STORE_NAME in out
    # without the flag, the (fake) nix is asked, finds nothing, and that is said
    code, out = invoke("check", "--no-cache", "--format", "concise", str(d))
    assert code == 0 and (bin_dir / "calls").exists()
    assert "did not find it" in out


def test_nix_that_hangs_is_stopped(
    tmp_path: Path, store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from solver.catalogue import source

    monkeypatch.setattr(source, "NIX_TIMEOUT", 0.5)
    fake_nix(tmp_path / "bin", "exec sleep 30")
    d = _pinned_clan(tmp_path)
    code, out = invoke("check", "--no-cache", "--format", "concise", str(d))
    assert code == 0 and "did not answer within 0.5 s" in out


@pytest.mark.parametrize(
    ("locked", "expected"),
    [
        (
            {
                "type": "github",
                "owner": "clan-lol",
                "repo": "clan-core",
                "rev": "abc",
                "narHash": GIT_NODE["locked"]["narHash"],
            },  # type: ignore[index]
            "github:clan-lol/clan-core/abc?narHash=",
        ),
        (
            {
                "type": "tarball",
                "url": "https://x.org/a.tar.gz",
                "lastModified": 17,
                "narHash": GIT_NODE["locked"]["narHash"],  # type: ignore[index]
            },
            "https://x.org/a.tar.gz?narHash=sha256-",
        ),
        ({"type": "path", "path": "/etc", "narHash": GIT_NODE["locked"]["narHash"]}, None),  # type: ignore[index]
        (
            {
                "type": "git",
                "url": "file:///tmp/x",
                "rev": "a",
                "narHash": GIT_NODE["locked"]["narHash"],
            },
            None,
        ),  # type: ignore[index]
        ({"type": "github", "owner": "o", "repo": "r", "rev": "a"}, None),  # no narHash
    ],
)
def test_flake_refs_only_for_locked_remote_sources(
    locked: dict[str, str], expected: str | None
) -> None:
    from solver.catalogue.source import flake_ref

    got = flake_ref(locked)
    if expected is None:
        assert got is None
    else:
        assert got is not None and got.startswith(expected)


def test_explain_machine_follows_the_clan_core_checkout(tmp_path: Path, store: Path) -> None:
    new = write_checkout(tmp_path / "new", {"admin": SMALL_SERVICE % NEW_OPTION})
    d = clan(tmp_path, None, {}, "admin")
    inv = {
        "machines": {"jon": {}},
        "instances": {
            "admin": {
                "module": {"name": "admin"},
                "roles": {
                    "default": {
                        "machines": {"jon": {"settings": {"certificate": {"enable": False}}}}
                    }
                },
            }
        },
    }
    (d / "inventory.json").write_text(json.dumps(inv))
    code, out = invoke("explain", "jon", str(d / "inventory.json"))
    assert code == 0 and "unknown-setting" in out  # built-in admin has no `certificate`
    code, out = invoke("explain", "jon", "--clan-core", str(new), str(d / "inventory.json"))
    assert code == 0 and "unknown-setting" not in out and "findings about jon: 0" in out
