"""Reading clan repositories: flake.nix / clan.nix / inventory.json / machines/ merged."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from solver.api import check
from solver.errors import InputError
from solver.read import display_name, load
from solver.read.nix.clan import load_clan

CLANS = Path(__file__).parent / "data" / "clans"
CASES = sorted(p.name for p in CLANS.iterdir() if (p / "expected.json").is_file())


def norm(data: Any) -> Any:
    return json.loads(json.dumps(data, sort_keys=True))


def where(case: str, rel: str, line: int, col: int) -> str:
    return f"{display_name(str(CLANS / case / rel))}:{line}:{col}"


def loc(loaded: Any, path: tuple[Any, ...], part: str = "key") -> str:
    return str(loaded.locator.locate(path, part))


def test_cases_exist() -> None:
    assert {
        "attrpaths",
        "nested",
        "imports",
        "letbindings",
        "opaque",
        "localmodule",
        "withjson",
    } <= set(CASES)


@pytest.mark.parametrize("case", CASES)
def test_case_matches_expected(case: str) -> None:
    loaded = load_clan(str(CLANS / case))
    expected = json.loads((CLANS / case / "expected.json").read_text())
    assert norm(loaded.data) == norm(expected)
    assert not [n for n in loaded.notes if n.severity == "error"]


@pytest.mark.parametrize("case", CASES)
def test_dispatch_through_load(case: str) -> None:
    assert norm(load(str(CLANS / case)).data) == norm(load_clan(str(CLANS / case)).data)


def test_attribute_paths_locations() -> None:
    c = load_clan(str(CLANS / "attrpaths"))
    f = "flake.nix"
    assert loc(c, ("meta", "name")) == where("attrpaths", f, 13, 14)
    assert loc(c, ("meta", "name"), "value") == where("attrpaths", f, 13, 21)
    assert loc(c, ("machines", "sally-laptop")) == where("attrpaths", f, 18, 28)
    assert loc(c, ("instances", "borg", "roles", "client", "settings")) == where(
        "attrpaths", f, 24, 47
    )
    # a path inside a nested attribute set
    assert loc(c, ("instances", "zt", "roles", "controller", "machines", "sara")) == where(
        "attrpaths", f, 31, 37
    )
    # a list element, and a path that does not exist (deepest existing prefix)
    assert loc(c, ("machines", "jon", "tags", 1)) == where("attrpaths", f, 16, 50)
    assert loc(c, ("instances", "zt", "roles", "peer", "nothing", "here")) == where(
        "attrpaths", f, 33, 38
    )


def test_machine_directories() -> None:
    c = load_clan(str(CLANS / "withjson"))
    assert "wintermute" in c.data["machines"]
    assert (
        loc(c, ("machines", "wintermute"))
        == f"{display_name(str(CLANS / 'withjson' / 'machines' / 'wintermute'))}:1:1"
    )
    # a machine that is both in Nix and in a directory is located in Nix
    a = load_clan(str(CLANS / "attrpaths"))
    assert loc(a, ("machines", "jon")) == where("attrpaths", "flake.nix", 16, 28)


def test_inventory_json_locations_delegate() -> None:
    c = load_clan(str(CLANS / "withjson"))
    j = "inventory.json"
    assert loc(c, ("machines", "case", "machineClass")) == where("withjson", j, 12, 7)
    assert loc(c, ("instances", "borg", "roles", "server", "machines", "wintermute")) == where(
        "withjson", j, 24, 33
    )
    assert loc(c, ("instances", "sshd", "roles", "server", "settings", "hostKeys")) == where(
        "withjson", j, 18, 41
    )
    # concatenated lists: Nix elements first, then the JSON ones, each located at home
    assert c.data["machines"]["neuromancer"]["tags"] == ["server", "backup"]
    assert loc(c, ("machines", "neuromancer", "tags", 0)) == where("withjson", "flake.nix", 11, 49)
    assert loc(c, ("machines", "neuromancer", "tags", 1)) == where("withjson", j, 7, 16)
    assert set(c.files) == {
        display_name(str(CLANS / "withjson" / n)) for n in ("flake.nix", "inventory.json")
    }


def test_imports_and_let_locations() -> None:
    c = load_clan(str(CLANS / "imports"))
    assert loc(c, ("machines", "printer")) == where("imports", "clan.nix", 9, 26)
    assert loc(c, ("instances", "users-root", "roles", "default", "settings", "user")) == where(
        "imports", "inventory.nix", 6, 7
    )
    assert loc(c, ("instances", "wifi-home")) == where("imports", "modules/wifi.nix", 3, 23)
    assert loc(c, ("machines", "gateway")) == where("imports", "clan.nix", 26, 5)
    let = load_clan(str(CLANS / "letbindings"))
    path = (
        "instances",
        "wireguard",
        "roles",
        "controller",
        "machines",
        "hopper",
        "settings",
        "port",
    )
    assert loc(let, path) == where("letbindings", "flake.nix", 49, 23)  # `inherit port;`
    assert loc(let, path, "value") == where("letbindings", "flake.nix", 16, 16)  # port = 51820


def test_nix_file_target() -> None:
    direct = load_clan(str(CLANS / "imports" / "clan.nix"))
    assert norm(direct.data) == norm(json.loads((CLANS / "imports" / "expected.json").read_text()))


def test_conflicting_and_duplicate_definitions() -> None:
    c = load_clan(str(CLANS / "conflict"))
    errors = {d.path: d for d in c.notes if d.severity == "error"}
    assert set(errors) == {
        "machines.a.machineClass",
        "meta.name",
        "instances.vpn.roles.peer.settings",
    }
    mc = errors["machines.a.machineClass"]
    assert mc.code == "conflicting-definition"
    assert mc.message.startswith(
        "The option `inventory.machines.a.machineClass' has conflicting definition values"
    )
    assert str(mc.location) == where("conflict", "flake.nix", 10, 45)
    assert [str(r.location) for r in mc.related] == [where("conflict", "clan.nix", 2, 39)]
    meta = errors["meta.name"]
    assert str(meta.location) == where("conflict", "flake.nix", 7, 21)
    assert [str(r.location) for r in meta.related] == [where("conflict", "inventory.json", 2, 20)]
    st = errors["instances.vpn.roles.peer.settings"]
    assert st.code == "duplicate-definition"
    assert st.message == (
        "The option `inventory.instances.vpn.roles.peer.settings' is defined multiple times "
        "while it's expected to be unique."
    )
    assert str(st.location) == where("conflict", "flake.nix", 13, 22)
    assert [str(r.location) for r in st.related] == [where("conflict", "clan.nix", 4, 49)]
    # settings merged in one attribute set (machines.a.settings.x / .y) are one definition,
    # equal values in two places are fine, and one definition per place of tag settings too
    assert c.data["instances"]["vpn"]["roles"]["peer"]["machines"]["a"]["settings"] == {
        "x": 1,
        "y": 2,
    }
    assert c.data["instances"]["vpn"]["module"] == {"name": "zerotier"}
    assert c.data["machines"]["extra"] == {}


def test_json_and_nix_settings_conflict(tmp_path: Path) -> None:
    (tmp_path / "flake.nix").write_text(
        "{ outputs = { clan-core, ... }: clan-core.lib.clan {\n"
        "  inventory.instances.i1.roles.peer.settings.a = 1;\n} ; }\n"
    )
    (tmp_path / "inventory.json").write_text(
        '{"instances": {"i1": {"roles": {"peer": {"settings": {"b": 2}}}}}}'
    )
    c = load_clan(str(tmp_path))
    [d] = [n for n in c.notes if n.severity == "error"]
    assert d.code == "duplicate-definition" and d.path == "instances.i1.roles.peer.settings"
    assert d.location is not None and d.location.line == 2
    assert d.related[0].location is not None
    assert d.related[0].location.file.endswith("inventory.json")


def test_opaque_notes() -> None:
    c = load_clan(str(CLANS / "opaque"))
    notes = {n.path: n for n in c.notes}
    assert all(n.code == "opaque-value" and n.severity == "info" for n in c.notes)
    m = notes["machines"]
    assert "the machine set is not checked" in m.message
    assert "`inventory.machines' could not be read statically" in m.message
    assert str(m.location) == where("opaque", "flake.nix", 17, 22)
    # `if self ? ci then … else …' and `lib.mkDefault { head = { }; }' are read
    roles = c.data["instances"]
    assert roles["monitoring"]["roles"]["client"]["tags"] == ["worker"]
    assert roles["users-admin"]["roles"]["default"]["machines"] == {"head": {}}
    assert "instances.monitoring.roles.client.tags" not in notes
    assert "instances.users-admin.roles.default.machines" not in notes
    assert "membership" in notes["instances.backup.roles.client.tags[1]"].message
    assert "membership" in notes["instances.backup.roles.server.machines"].message
    labels = notes["instances.monitoring.roles.client.settings.labels"]
    assert "membership" not in labels.message and labels.args["membership"] is False
    assert notes["machines"].args == {"inventory_path": ["machines"], "membership": True}


def test_local_modules() -> None:
    c = load_clan(str(CLANS / "localmodule"))
    mods = {m.name: m for m in c.modules}
    assert set(mods) == {"netbird", "motd"}
    nb = mods["netbird"]
    assert nb.input == "self" and nb.kind == "service"
    assert nb.manifest_name == "my/netbird"
    assert nb.max_instances == 1
    assert set(nb.roles) == {"coordinator", "peer"}
    assert (nb.roles["coordinator"].min_machines, nb.roles["coordinator"].max_machines) == (1, 1)
    assert nb.roles["peer"].min_machines is None
    assert nb.source == display_name(str(CLANS / "localmodule" / "service-modules" / "netbird.nix"))
    motd = mods["motd"]
    assert motd.manifest_name == "motd" and set(motd.roles) == {"default"}
    assert motd.roles["default"].description == "Shows a message of the day"
    [note] = [n for n in c.notes if n.path == "modules.external"]
    assert "local module `external' could not be read statically" in note.message


def test_flake_parts_clan_spread_over_bindings(tmp_path: Path) -> None:
    (tmp_path / "flake.nix").write_text(
        '{\n  inputs.clan.url = "github:x/y";\n'
        "  outputs = inputs: inputs.flake-parts.lib.mkFlake { inherit inputs; } {\n"
        '    clan.meta.name = "fp";\n'
        "    clan.inventory.machines.m1 = { };\n"
        "    clan.imports = [ ./more.nix ];\n  };\n}\n"
    )
    (tmp_path / "more.nix").write_text('{ inventory.machines.m2.tags = [ "t" ]; }\n')
    c = load_clan(str(tmp_path))
    assert c.data == {"meta": {"name": "fp"}, "machines": {"m1": {}, "m2": {"tags": ["t"]}}}


def test_clan_in_imported_file(tmp_path: Path) -> None:
    (tmp_path / "flake.nix").write_text("{ outputs = inputs: import ./outputs.nix inputs; }\n")
    (tmp_path / "outputs.nix").write_text(
        "{ clan-core, self, ... }: { clan = clan-core.lib.clan { inherit self; "
        "inventory.machines.x = { }; }; }\n"
    )
    assert load_clan(str(tmp_path)).data == {"machines": {"x": {}}}


def test_flake_without_clan_uses_inventory_json(tmp_path: Path) -> None:
    (tmp_path / "flake.nix").write_text("{ outputs = _: { }; }\n")
    (tmp_path / "inventory.json").write_text('{"machines": {"a": {}}}')
    c = load_clan(str(tmp_path))
    assert c.data == {"machines": {"a": {}}}
    assert [n.code for n in c.notes] == ["clan-not-found"]
    assert c.locator.locate(("machines", "a")) is not None


def test_json_only_directory(tmp_path: Path) -> None:
    (tmp_path / "inventory.json").write_text('{\n  "machines": {"a": {}}\n}')
    (tmp_path / "machines" / "b").mkdir(parents=True)
    c = load_clan(str(tmp_path))
    assert c.data == {"machines": {"a": {}, "b": {}}}
    a = c.locator.locate(("machines", "a"))
    assert a is not None and (a.line, a.column) == (2, 16)


def test_no_clan_found(tmp_path: Path) -> None:
    (tmp_path / "flake.nix").write_text("{ outputs = _: { }; }\n")
    with pytest.raises(InputError) as exc:
        load_clan(str(tmp_path))
    assert exc.value.diagnostics[0].code == "io-error"
    assert exc.value.diagnostics[0].hint
    with pytest.raises(InputError) as exc2:
        load_clan(str(tmp_path / "empty-dir-does-not-exist"))
    assert exc2.value.diagnostics[0].code == "io-error"


def test_syntax_error_in_imported_file(tmp_path: Path) -> None:
    (tmp_path / "flake.nix").write_text(
        "{ outputs = { clan-core, ... }: clan-core.lib.clan { imports = [ ./clan.nix ]; }; }\n"
    )
    (tmp_path / "clan.nix").write_text("{\n  inventory.machines.a = { }\n}\n")
    with pytest.raises(InputError) as exc:
        load_clan(str(tmp_path))
    [d] = exc.value.diagnostics
    assert d.code == "nix-syntax"
    assert d.location is not None and d.location.file.endswith("clan.nix")
    assert (d.location.line, d.location.column) == (3, 1)


def test_nix_eval_without_nix(monkeypatch: pytest.MonkeyPatch) -> None:
    from solver.read import nix_eval

    monkeypatch.setattr(nix_eval.shutil, "which", lambda _name: None)
    with pytest.raises(InputError) as exc:
        nix_eval.load_eval(str(CLANS / "attrpaths"))
    assert exc.value.diagnostics[0].code == "nix-missing"


@pytest.mark.skipif(shutil.which("nix") is None, reason="nix is not installed")
def test_nix_eval_file(tmp_path: Path) -> None:
    from solver.read import nix_eval

    f = tmp_path / "inv.nix"
    f.write_text(
        "{ clanInternals.inventoryClass.inventorySerialization = "
        '{ machines.a.tags = [ "x" ]; }; }\n'
    )
    assert nix_eval.load_eval(str(f)).data == {"machines": {"a": {"tags": ["x"]}}}
    bad = tmp_path / "bad.nix"
    bad.write_text('{ a = throw "boom"; }\n')
    with pytest.raises(InputError) as exc:
        nix_eval.load_eval(str(bad))
    assert exc.value.diagnostics[0].code == "nix-eval"


def test_static_reading_is_fast() -> None:
    import time

    target = str(CLANS / "large300")
    load_clan(target)  # parser and query set up once per process
    best = min(_timed(time.perf_counter, target) for _ in range(5))
    assert best < 0.05, f"reading a 300-line flake.nix took {best * 1000:.1f} ms"


def _timed(clock: Any, target: str) -> float:
    start = clock()
    load_clan(target)
    return float(clock() - start)


def test_extra_modules_are_not_reported_as_opaque(tmp_path: Path) -> None:
    """extraModules hold NixOS module code that nothing reads; an opaque role is reported."""
    (tmp_path / "flake.nix").write_text(
        "{ outputs = { self, clan-core, ... }@inputs: clan-core.lib.clan {\n"
        "  inventory.machines.web = { };\n"
        "  inventory.instances.sshd.roles.server.tags.all = { };\n"
        "  inventory.instances.sshd.roles.server.extraModules = [\n"
        "    inputs.self.nixosModules.hardening\n"
        "    ({ config, ... }: { services.openssh.enable = true; })\n"
        "    { users.users.root.openssh.authorizedKeys.keyFiles = with inputs; [ keys ]; }\n"
        "  ];\n"
        "  inventory.instances.users.roles.default.tags = builtins.attrNames self.tags;\n"
        "} ; }\n"
    )
    c = load_clan(str(tmp_path))
    assert [n.path for n in c.notes] == ["instances.users.roles.default.tags"]


def test_path_literals_are_paths(tmp_path: Path) -> None:
    """`./users/ssh.pub` is a value of type `path` (Nix resolves it against its file's
    directory); a string that is not absolute is not."""
    (tmp_path / "flake.nix").write_text(
        "{ outputs = { clan-core, ... }: clan-core.lib.clan {\n"
        "  inventory.machines.web = { };\n"
        "  inventory.instances.user-root = {\n"
        '    module.name = "users";\n'
        "    roles.default.tags.all = { };\n"
        '    roles.default.settings.user = "root";\n'
        "    roles.default.settings.openssh.authorizedKeys.keyFiles = [ ./users/ssh.pub ];\n"
        "  };\n"
        "  inventory.instances.user-bob = {\n"
        '    module.name = "users";\n'
        "    roles.default.tags.all = { };\n"
        '    roles.default.settings.user = "bob";\n'
        '    roles.default.settings.openssh.authorizedKeys.keyFiles = [ "users/ssh.pub" ];\n'
        "  };\n"
        "} ; }\n"
    )
    report = check(tmp_path)
    errors = [(d.code, d.instance) for d in report.diagnostics if d.severity == "error"]
    assert errors == [("setting-type", "user-bob")]
    (a,) = [x for x in report.resolution.machines["web"].assignments if x.instance == "user-root"]
    assert a.settings is not None
    keys = a.settings["openssh"]["authorizedKeys"]["keyFiles"]
    assert keys == [str(tmp_path / "users" / "ssh.pub")]


def test_wrong_module_input_hints(tmp_path: Path) -> None:
    """A local module used without `module.input = "self"`, and a clan-core module used
    with input "self": the hint names the input that provides the module."""
    (tmp_path / "roster").mkdir()
    (tmp_path / "roster" / "default.nix").write_text(
        '{ _class = "clan.service"; manifest.name = "roster"; roles.default = { }; }\n'
    )
    (tmp_path / "flake.nix").write_text(
        "{ outputs = { self, clan-core, ... }: clan-core.lib.clan {\n"
        "  modules.roster = ./roster;\n"
        "  inventory.machines.web = { };\n"
        '  inventory.instances.team.module.name = "roster";\n'
        "  inventory.instances.team.roles.default.tags.all = { };\n"
        '  inventory.instances.backup.module = { name = "borgbackup"; input = "self"; };\n'
        "  inventory.instances.backup.roles.client.tags.all = { };\n"
        "} ; }\n"
    )
    found = {d.instance: d for d in check(tmp_path).diagnostics if d.code == "unknown-module"}
    assert found["team"].severity == "error"
    assert (
        found["team"].hint
        == 'module \'roster\' is provided by flake input "self"; set module.input = "self"'
    )
    assert found["backup"].severity == "warning"
    assert found["backup"].hint == (
        "clan-core provides a module 'borgbackup': remove module.input, or set it to \"clan-core\""
    )
