"""The clan as real repositories write it: the flake-parts module graph, files applied to
arguments, functional tags, ``config.flake.<x>`` across modules, every source of machines,
and reading confined to the repository (fixtures under tests/data/clans/, written for
this project in the styles seen in public clans)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from solver.api import check
from solver.cli import cli
from solver.errors import InputError
from solver.read import display_name
from solver.read.nix.clan import load_clan

CLANS = Path(__file__).parent / "data" / "clans"


def members(report: Any) -> dict[str, dict[str, list[str]]]:
    return {
        name: {role: sorted(rr.members) for role, rr in inst.roles.items()}
        for name, inst in report.resolution.instances.items()
    }


def at(case: str, rel: str, line: int) -> tuple[str, int]:
    return display_name(str(CLANS / case / rel)), line


def where(d: Any) -> tuple[str, int]:
    assert d.location is not None, d
    return d.location.file, d.location.line


def codes(report: Any, severity: str | None = None) -> list[str]:
    return sorted(d.code for d in report.diagnostics if severity in (None, d.severity))


# -- 1. the flake-parts module graph --------------------------------------------------------


def test_flake_parts_module_graph() -> None:
    """`imports` followed through files, dir/default.nix, functions and `with inputs; [ … ]`;
    `clan` and `flake.clan` definitions of every module merged; perSystem ignored."""
    report = check(CLANS / "flakeparts")
    assert members(report) == {
        "sshd": {"server": ["beta", "gamma"], "client": ["alpha", "beta", "delta", "gamma"]}
    }
    [d] = [d for d in report.diagnostics if d.code == "unknown-machine"]
    assert where(d) == at("flakeparts", "extra/default.nix", 6)
    loaded = load_clan(str(CLANS / "flakeparts"))
    assert loaded.data["meta"] == {"name": "flakeparts"}
    assert "pkgs" not in loaded.data and not loaded.notes
    assert str(loaded.locator.locate(("machines", "gamma", "tags"))).startswith(
        display_name(str(CLANS / "flakeparts" / "hosts" / "default.nix")) + ":3:"
    )


def test_per_system_and_output_bindings_are_not_the_clan(tmp_path: Path) -> None:
    (tmp_path / "flake.nix").write_text(
        "{\n  outputs = inputs: inputs.flake-parts.lib.mkFlake { inherit inputs; } ({ config, ... }: {\n"
        "    perSystem = { pkgs, ... }: { clan.pkgs = pkgs; clan.inventory.machines.ghost = { }; };\n"
        "    flake = { inherit (config.flake.clan) nixosConfigurations; };\n"
        "    clan.inventory.machines.real = { };\n"
        "  });\n}\n"
    )
    loaded = load_clan(str(tmp_path))
    assert loaded.data == {"machines": {"real": {}}}
    assert not loaded.notes
    # a plain flake: `clan = clan.config` and `inherit (clan.config) …` are outputs
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "flake.nix").write_text(
        "{ outputs = { self, clan-core, ... }: let\n"
        "    clan = clan-core.lib.clan { inherit self; inventory.machines.m = { }; };\n"
        "  in {\n"
        "    inherit (clan.config) nixosConfigurations;\n"
        "    clan = clan.config;\n"
        "    devShells.x86_64-linux.default = { clan = { inventory.machines.ghost = { }; }; };\n"
        "  };\n}\n"
    )
    loaded = load_clan(str(plain))
    assert loaded.data == {"machines": {"m": {}}}
    assert not loaded.notes


def test_flake_parts_module_is_a_function_of_import_tree(tmp_path: Path) -> None:
    """mkFlake's module may be `(import-tree ./modules)` directly, or a function."""
    (tmp_path / "modules" / "sub").mkdir(parents=True)
    (tmp_path / "modules" / "_private").mkdir()
    (tmp_path / "flake.nix").write_text(
        "{ outputs = inputs@{ flake-parts, import-tree, ... }:\n"
        "    flake-parts.lib.mkFlake { inherit inputs; } ({ ... }: {\n"
        "      imports = [ (import-tree ./modules) ];\n"
        "    });\n}\n"
    )
    (tmp_path / "modules" / "a.nix").write_text("{ clan.inventory.machines.a = { }; }\n")
    (tmp_path / "modules" / "sub" / "b.nix").write_text(
        "{ lib, ... }: { flake.clan.inventory.machines.b = { }; }\n"
    )
    (tmp_path / "modules" / "sub" / "README.md").write_text("{ not nix\n")
    (tmp_path / "modules" / "_private" / "c.nix").write_text(
        "{ clan.inventory.machines.c = { }; }\n"
    )
    assert load_clan(str(tmp_path)).data == {"machines": {"a": {}, "b": {}}}


# -- 2. files applied to arguments --------------------------------------------------------


def test_file_applied_to_self_and_import_apply() -> None:
    """`clan = import ./machines/inventory.nix self;` where the file calls lib.clan, whose
    imports use `lib.modules.importApply ./backup.nix { target = "web1"; }`."""
    report = check(CLANS / "applied-self")
    assert members(report) == {
        "backup": {"server": ["web1"], "client": ["laptop", "web1", "web2"]},
    }
    loaded = load_clan(str(CLANS / "applied-self"))
    assert loaded.data["meta"] == {"name": "applied-self"}
    assert not loaded.notes
    # `directory = ../.;` is the flake's root: machines/laptop/ is a machine folder there
    assert str(loaded.locator.locate(("machines", "web1"))).startswith(
        display_name(str(CLANS / "applied-self" / "machines" / "inventory.nix")) + ":6:"
    )
    server = loaded.locator.locate(("instances", "backup", "roles", "server", "machines", "web1"))
    assert server is not None and (server.file, server.line) == at(
        "applied-self", "machines/backup.nix", 6
    )


def test_clan_argument_updated_with_an_imported_file() -> None:
    report = check(CLANS / "applied-update")
    assert members(report) == {"ssh": {"server": ["a"], "client": ["a", "b"]}}
    loaded = load_clan(str(CLANS / "applied-update"))
    assert loaded.data["meta"] == {"name": "applied-update"}
    loc = loaded.locator.locate(("instances", "ssh", "roles", "server", "machines", "a"))
    assert loc is not None and (loc.file, loc.line) == at("applied-update", "clan.nix", 8)


# -- 4. functional tags ---------------------------------------------------------------------


def test_functional_tags() -> None:
    """`tags = { config, ... }: { … }` sees all/nixos/darwin and the tags defined elsewhere."""
    loaded = load_clan(str(CLANS / "functags"))
    assert loaded.data["tags"] == {
        "web": ["alpha"],
        "linux": ["alpha", "gamma"],
        "everyone": ["alpha", "beta", "gamma"],
        "frontends": ["alpha", "beta"],
        "macs": ["beta"],
    }
    assert not loaded.notes
    report = check(CLANS / "functags")
    assert members(report) == {
        "sshd": {"server": ["alpha", "gamma"], "client": ["alpha", "beta", "gamma"]},
        "backup": {"server": ["gamma"], "client": ["alpha", "beta"]},
    }
    assert "unknown-tag" not in codes(report)


def test_functional_tags_unknown_body_is_opaque(tmp_path: Path) -> None:
    (tmp_path / "flake.nix").write_text(
        "{ outputs = { self, clan-core, ... }: clan-core.lib.clan {\n"
        "  inventory.machines.a = { };\n"
        '  inventory.tags = { config, ... }: { x = config.nosuchtag; y = [ "a" ]; };\n'
        '  inventory.instances.i = { module.name = "sshd"; roles.server.tags.x = { }; };\n'
        "}; }\n"
    )
    loaded = load_clan(str(tmp_path))
    assert loaded.data["tags"] == {"y": ["a"]}
    [n] = loaded.notes
    assert n.code == "opaque-value" and n.path == "tags.x"
    assert "membership of tag `x' is not checked" in n.message
    assert n.location is not None and n.location.line == 3
    report = check(tmp_path)
    assert "unknown-tag" not in codes(report)  # not guessed: the tag's members are unknown


def test_functional_tags_with_builtins_filter(tmp_path: Path) -> None:
    (tmp_path / "flake.nix").write_text(
        "{ outputs = { self, clan-core, ... }: clan-core.lib.clan {\n"
        "  inventory.machines = { a = { }; b = { }; blob64 = { }; };\n"
        '  inventory.tags = { config, ... }: { backup = builtins.filter (n: n != "blob64") '
        "config.nixos; };\n"
        "}; }\n"
    )
    assert load_clan(str(tmp_path)).data["tags"] == {"backup": ["a", "b"]}


# -- 5. config.flake.<x> across modules --------------------------------------------------


def test_config_flake_across_modules() -> None:
    """`config.flake.hosts` / `self.hosts` read in clan.nix, defined in hosts.nix;
    `self.nixosConfigurations` stays opaque."""
    report = check(CLANS / "crossconfig")
    got = members(report)
    assert got["ssh"] == {"server": ["db", "web"], "client": ["web"]}
    loaded = load_clan(str(CLANS / "crossconfig"))
    assert loaded.data["machines"] == {"db": {}, "web": {}}
    assert loaded.data["tags"] == {"edge": ["web"]}
    [n] = loaded.notes
    assert n.code == "opaque-value"
    assert n.path == "instances.backup.roles.server.machines"
    assert (n.location.file, n.location.line) == at("crossconfig", "clan.nix", 13)  # type: ignore[union-attr]
    assert loaded.opaque_count == 1


def test_config_that_does_not_settle_is_opaque(tmp_path: Path) -> None:
    (tmp_path / "flake.nix").write_text(
        "{ outputs = inputs: inputs.flake-parts.lib.mkFlake { inherit inputs; } {\n"
        "  imports = [ ({ config, ... }: { flake.a = config.flake.b; flake.b = config.flake.a;\n"
        "    clan.inventory.machines = config.flake.a; }) ];\n"
        "}; }\n"
    )
    loaded = load_clan(str(tmp_path))
    [n] = loaded.notes
    assert n.code == "opaque-value" and n.path == "machines"
    assert "the machine set is not checked" in n.message


def test_config_flake_through_map_attrs(tmp_path: Path) -> None:
    (tmp_path / "flake.nix").write_text(
        "{ outputs = inputs: inputs.flake-parts.lib.mkFlake { inherit inputs; } {\n"
        "  imports = [ ./hosts.nix ./clan.nix ];\n}; }\n"
    )
    (tmp_path / "hosts.nix").write_text("{ flake.hosts = { a = { }; b = { }; }; }\n")
    (tmp_path / "clan.nix").write_text(
        "{ config, ... }: { clan.inventory = {\n"
        "  machines = builtins.mapAttrs (n: v: { }) config.flake.hosts;\n"
        '  instances.i = { module.name = "sshd";\n'
        "    roles.server.machines = builtins.mapAttrs (n: v: { }) config.flake.hosts; };\n"
        "}; }\n"
    )
    report = check(tmp_path)
    assert members(report) == {"i": {"server": ["a", "b"]}}


# -- 6. where machines come from ------------------------------------------------------------


def test_machines_from_every_source_in_the_clan_directory() -> None:
    """inventory.machines ∪ clan.machines ∪ <directory>/inventory.json ∪
    <directory>/machines/*/ — machines/ beside flake.nix is not the clan's when
    `directory = ./infra`."""
    loaded = load_clan(str(CLANS / "machinesources"))
    assert loaded.data["machines"] == {"a": {}, "b": {}, "c": {"tags": ["x"]}, "d": {}}
    assert loaded.data["meta"] == {"name": "machinesources"}
    infra = CLANS / "machinesources" / "infra"
    assert str(loaded.locator.locate(("machines", "d"))) == (
        display_name(str(infra / "machines" / "d")) + ":1:1"
    )
    assert display_name(str(infra / "inventory.json")) in loaded.files
    report = check(CLANS / "machinesources")
    assert members(report) == {"ssh": {"client": ["a", "b", "c", "d"]}}


# -- composite clans --------------------------------------------------------------------------


def test_dendritic_clan() -> None:
    """import-tree folder, one instance per file (`flake.clan.inventory.instances.<x>`),
    machines from `flake.clan.machines.<m>` in many files, `_disabled/` skipped."""
    report = check(CLANS / "dendritic")
    assert members(report) == {
        "sshd": {"server": ["vm-1", "vm-2"], "client": ["vm-1", "vm-2", "vm-3"]},
        "borgbackup": {"server": ["vm-3"], "client": ["vm-1", "vm-2", "vm-7"]},
    }
    [d] = [d for d in report.diagnostics if d.severity == "error"]
    assert d.code == "unknown-machine" and "vm-7" in d.message
    assert where(d) == at("dendritic", "modules/instances/borgbackup.nix", 7)
    loaded = load_clan(str(CLANS / "dendritic"))
    assert "vm-9" not in loaded.data["machines"]
    assert not loaded.notes
    assert loaded.data["meta"] == {"name": "dendritic"}
    vm3 = loaded.locator.locate(("machines", "vm-3"))
    assert vm3 is not None and (vm3.file, vm3.line) == at(
        "dendritic", "modules/machines/vm-3.nix", 2
    )


def test_flake_parts_clan_split_in_files() -> None:
    """clan.nix imports machines.nix, tags.nix (functional) and instances.nix."""
    report = check(CLANS / "fpsplit")
    assert members(report) == {
        "sshd": {"server": ["s1", "s2"], "client": ["mac", "s1", "s2"]},
        "backup": {"server": ["s1"], "client": ["s1", "s2"]},
    }
    warnings = {d.code: d for d in report.diagnostics if d.severity == "warning"}
    assert set(warnings) == {"unknown-tag", "class-mismatch"}
    assert "workstations" in warnings["unknown-tag"].message
    assert where(warnings["unknown-tag"]) == at("fpsplit", "instances.nix", 12)
    assert where(warnings["class-mismatch"]) == at("fpsplit", "instances.nix", 6)


# -- 7. confinement and coverage --------------------------------------------------------------


def _repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    return repo


def test_imports_outside_the_repository_are_not_read(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    (tmp_path / "outside.nix").write_text("{ inventory.machines.outsider = { }; }\n")
    (repo / "flake.nix").write_text(
        "{ outputs = { self, clan-core, ... }: clan-core.lib.clan {\n"
        "  imports = [ ../outside.nix ];\n"
        "  inventory = {\n"
        "    machines.m = { };\n"
        "    meta = import /etc/hostname;\n"
        "  };\n"
        "}; }\n"
    )
    loaded = load_clan(str(repo))
    assert loaded.data == {"machines": {"m": {}}}
    found = [n for n in loaded.notes if n.code == "file-not-read"]
    assert [(n.severity, n.message, n.location.line) for n in found] == [  # type: ignore[union-attr]
        ("warning", "import of ../outside.nix not read: outside the repository", 2),
        ("warning", "import of /etc/hostname not read: outside the repository", 5),
    ]
    assert [s.file for s in loaded.skipped] == ["../outside.nix", "/etc/hostname"]
    # a refused path is recorded (so that the cache notices when it changes), never read
    outside = [e for e in loaded.reads if e.path.startswith(str(tmp_path / "outside"))]
    assert all(e.kind == "refused" or (e.kind, e.digest) == ("stat", "outside") for e in outside)
    assert {e.path for e in loaded.reads if e.kind == "file"} == {str(repo / "flake.nix")}


def test_symlinked_module_outside_is_not_printed(tmp_path: Path) -> None:
    secret = "s3cr3t-token-0f-the-host"
    repo = _repo(tmp_path)
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "module.nix").write_text(
        f'{{ clan.inventory.machines."{secret}" = {{ }}; clan.inventory.meta.name = "{secret}" }}\n'
    )
    os.symlink(tmp_path / "elsewhere" / "module.nix", repo / "hosts.nix")
    (repo / "flake.nix").write_text(
        "{ outputs = inputs: inputs.flake-parts.lib.mkFlake { inherit inputs; } {\n"
        "  imports = [ ./hosts.nix ./clan.nix ];\n}; }\n"
    )
    (repo / "clan.nix").write_text(
        '{ clan.inventory.machines.m = { };\n  clan.inventory.instances.s.module.name = "sshd";\n'
        "  clan.inventory.instances.s.roles.server.tags.all = { }; }\n"
    )
    result = CliRunner().invoke(cli, ["check", str(repo)])
    assert result.exit_code != 2, result.output
    assert "file-not-read" in result.output
    assert secret not in result.output
    result = CliRunner().invoke(cli, ["check", "--format", "json", str(repo)])
    assert "file-not-read" in result.output and secret not in result.output


def test_broken_module_file_is_skipped_but_the_clans_own_file_is_not(tmp_path: Path) -> None:
    (tmp_path / "flake.nix").write_text(
        "{ outputs = inputs: inputs.flake-parts.lib.mkFlake { inherit inputs; } {\n"
        "  imports = [ ./broken.nix ./clan.nix ];\n}; }\n"
    )
    (tmp_path / "broken.nix").write_text("{ perSystem = { ... }: {\n")
    (tmp_path / "clan.nix").write_text("{ clan.inventory.machines.m = { }; }\n")
    loaded = load_clan(str(tmp_path))
    assert loaded.data == {"machines": {"m": {}}}
    [n] = loaded.notes
    assert n.code == "file-not-read" and n.severity == "warning"
    assert n.location is not None and n.location.file == display_name(str(tmp_path / "broken.nix"))
    assert [s.file for s in loaded.skipped] == [display_name(str(tmp_path / "broken.nix"))]
    # the file that holds the clan must parse
    (tmp_path / "clan.nix").write_text("{ clan = import ./inventory.nix; }\n")
    (tmp_path / "inventory.nix").write_text("{ inventory.machines.m = { }\n")
    with pytest.raises(InputError) as exc:
        load_clan(str(tmp_path))
    assert exc.value.diagnostics[0].code == "nix-syntax"


def test_coverage_record(tmp_path: Path) -> None:
    loaded = load_clan(str(CLANS / "flakeparts"))
    read = {e.path for e in loaded.reads if e.kind == "file"}
    assert read == {
        str((CLANS / "flakeparts" / f).resolve())
        for f in (
            "flake.nix",
            "clan.nix",
            "extra/default.nix",
            "hosts/default.nix",
            "hosts/beta.nix",
        )
    }
    assert len(loaded.files) == 5 and loaded.skipped == [] and loaded.opaque_count == 0


def test_unreadable_flake_parts_module_is_said(tmp_path: Path) -> None:
    """A module that cannot be read is an opaque-value note; a module from a flake input
    (`inputs.clan-core.flakeModules.default`, `with inputs; [ … ]`) is not the clan's."""
    (tmp_path / "flake.nix").write_text(
        '{ inputs.clan-core.url = "x";\n'
        "  outputs = inputs: inputs.flake-parts.lib.mkFlake { inherit inputs; } {\n"
        "    imports = [ inputs.clan-core.flakeModules.default (with inputs; clan-core.x)\n"
        "      (mystery ./modules) ./clan.nix ];\n"
        "  }; }\n"
    )
    (tmp_path / "clan.nix").write_text("{ clan.inventory.machines.m = { }; }\n")
    loaded = load_clan(str(tmp_path))
    assert loaded.data == {"machines": {"m": {}}}
    [n] = loaded.notes
    assert n.code == "opaque-value" and "a flake-parts module could not be read" in n.message
    assert n.location is not None and (n.location.line, n.location.column) == (4, 8)


def test_broken_output_that_the_clan_does_not_need(tmp_path: Path) -> None:
    (tmp_path / "flake.nix").write_text(
        "{ outputs = { self, clan-core, ... }: {\n"
        "  packages = import ./packages.nix;\n"
        "  clan = clan-core.lib.clan { inherit self; inventory.machines.m = { }; };\n"
        "}; }\n"
    )
    (tmp_path / "packages.nix").write_text("{ hello = ; }\n")
    loaded = load_clan(str(tmp_path))
    assert loaded.data == {"machines": {"m": {}}}
    [n] = loaded.notes
    assert n.code == "file-not-read" and n.location is not None
    assert n.location.file == display_name(str(tmp_path / "packages.nix"))
    # the same file holding the clan: a syntax error (exit 2)
    (tmp_path / "flake.nix").write_text(
        "{ outputs = inputs: { clan = import ./packages.nix; }; }\n"
    )
    with pytest.raises(InputError) as exc:
        load_clan(str(tmp_path))
    assert exc.value.diagnostics[0].code == "nix-syntax"


def test_clan_module_config_reads_other_modules(tmp_path: Path) -> None:
    """A clan module function's `config` is the clan's merged definitions."""
    (tmp_path / "flake.nix").write_text(
        "{ outputs = { self, clan-core, ... }: clan-core.lib.clan {\n"
        "  imports = [ ./machines.nix ./instances.nix ];\n}; }\n"
    )
    (tmp_path / "machines.nix").write_text("{ inventory.machines = { a = { }; b = { }; }; }\n")
    (tmp_path / "instances.nix").write_text(
        "{ config, ... }: { inventory.instances.i = {\n"
        '  module.name = "sshd";\n'
        "  roles.server.machines = config.inventory.machines;\n"
        "}; }\n"
    )
    report = check(tmp_path)
    assert members(report) == {"i": {"server": ["a", "b"]}}


def test_import_tree_symlink_loop(tmp_path: Path) -> None:
    (tmp_path / "modules").mkdir()
    (tmp_path / "modules" / "a.nix").write_text("{ clan.inventory.machines.a = { }; }\n")
    os.symlink("..", tmp_path / "modules" / "up")
    (tmp_path / "flake.nix").write_text(
        "{ outputs = inputs: inputs.flake-parts.lib.mkFlake { inherit inputs; }"
        " (inputs.import-tree ./modules); }\n"
    )
    assert load_clan(str(tmp_path)).data == {"machines": {"a": {}}}


# -- differential: the same fixtures evaluated by Nix (stub inputs, nixpkgs' module system) --


def _vendor() -> Path | None:
    here = Path(__file__).resolve()
    for base in (here.parents[1] / "..", here.parents[2] / ".."):
        v = base / "shared" / "vendor" / "nixpkgs-lib" / "lib"
        if (v / "default.nix").is_file():
            return v.resolve()
    return None


DIFFERENTIAL = {
    "flakeparts": "o.__inventory",
    "dendritic": "o.__inventory",
    "fpsplit": "o.__inventory",
    "crossconfig": "o.__inventory",
    "applied-self": "o.clan.inventory",
    "applied-update": "o.nixosConfigurations.__inventory",
    "functags": "o.config.inventory",
    "machinesources": "o.config.inventory",
}


@pytest.mark.parametrize("case", sorted(DIFFERENTIAL))
def test_same_membership_as_nix(case: str) -> None:
    """tests/data/nixstubs/flake.nix stands in for clan-core, flake-parts and import-tree;
    Nix evaluates the fixture's flake.nix with them, and the machines, their tags and
    classes, and every role's members equal what the static reader finds."""
    import json
    import shutil
    import subprocess

    from tests.oracle import membership

    lib = _vendor()
    if shutil.which("nix-instantiate") is None or lib is None:
        pytest.skip("nix-instantiate or the vendored nixpkgs lib is not available")
    stubs = Path(__file__).parent / "data" / "nixstubs" / "flake.nix"
    expr = (
        f"import {stubs} {{ lib = import {lib}; dir = {CLANS / case}; "
        f"get = o: {DIFFERENTIAL[case]}; }}"
    )
    out = subprocess.run(
        ["nix-instantiate", "--eval", "--strict", "--json", "--expr", expr],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if out.returncode != 0 and "error: getting status of" in out.stderr:
        pytest.skip(f"nix cannot read the fixture here: {out.stderr[:200]}")
    assert out.returncode == 0, out.stderr
    nix = json.loads(out.stdout)
    loaded = load_clan(str(CLANS / case))
    static_machines = {
        name: (sorted(m.get("tags", [])), m.get("machineClass", "nixos"))
        for name, m in loaded.data.get("machines", {}).items()
    }
    assert static_machines == {
        name: (sorted(m["tags"]), m["machineClass"]) for name, m in nix["machines"].items()
    }
    expected = {
        inst: {role: sorted(ms) for role, ms in roles.items()}
        for inst, roles in membership(nix).items()
    }
    got = members(check(CLANS / case))
    assert {i: got.get(i) for i in expected} == expected
