"""The module system's wrappers in a clan written in Nix: ``lib.mkOverride`` (``mkDefault``,
``mkForce``, …), ``lib.mkIf`` and ``lib.mkMerge`` are merged as nixpkgs' ``lib/modules.nix``
merges them (discharge, keep the lowest priority number per option, push down), and kept in
their JSON override form inside ``settings``."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

import solver
from solver.diagnostics import Diagnostic
from solver.read import load

HEAD = """{
  outputs = { self, clan-core, nixpkgs, ... }:
    let lib = nixpkgs.lib; in
    {
      clan = clan-core.lib.clan {
        inherit self;
        meta.name = "wrappers";
"""


def _flake(tmp_path: Path, *modules: str, extra: str = "") -> Path:
    """A flake whose clan imports one clan module ``{ inventory = M; }`` per text `M`."""
    imports = "\n".join(f"          {{ inventory = {m}; }}" for m in modules)
    text = f"{HEAD}        imports = [\n{imports}\n        ];\n{extra}      }};\n    }};\n}}\n"
    (tmp_path / "flake.nix").write_text(text, encoding="utf-8")
    return tmp_path


def _data(tmp_path: Path, *modules: str) -> dict[str, Any]:
    loaded = load(str(_flake(tmp_path, *modules)))
    opaque = [n.message for n in loaded.notes if n.code == "opaque-value"]
    assert not opaque, opaque
    return loaded.data


def _errors(tmp_path: Path, *modules: str) -> list[Diagnostic]:
    loaded = load(str(_flake(tmp_path, *modules)))
    return [n for n in loaded.notes if n.severity == "error"]


def _line_col(tmp_path: Path, needle: str) -> tuple[int, int]:
    for i, line in enumerate((tmp_path / "flake.nix").read_text().splitlines(), 1):
        if needle in line:
            return i, line.index(needle) + 1
    raise AssertionError(needle)


# -- priorities --------------------------------------------------------------------------


def test_plain_definition_wins_over_mkdefault(tmp_path: Path) -> None:
    data = _data(
        tmp_path,
        '{ machines.a.machineClass = lib.mkDefault "darwin"; }',
        '{ machines.a.machineClass = "nixos"; }',
    )
    assert data["machines"]["a"] == {"machineClass": "nixos"}


def test_lone_mkdefault_is_the_value(tmp_path: Path) -> None:
    data = _data(tmp_path, '{ machines.a.machineClass = lib.mkDefault "darwin"; }')
    assert data["machines"]["a"] == {"machineClass": "darwin"}


def test_mkforce_wins_over_plain_lists_without_concatenating(tmp_path: Path) -> None:
    data = _data(
        tmp_path,
        '{ machines.a.tags = [ "plain" ]; }',
        '{ machines.a.tags = lib.mkForce [ "x" ]; }',
        '{ machines.a.tags = lib.mkDefault [ "fallback" ]; }',
    )
    assert data["machines"]["a"]["tags"] == ["x"]


def test_mkoverride_takes_any_priority(tmp_path: Path) -> None:
    data = _data(
        tmp_path,
        '{ machines.a.machineClass = lib.mkForce "nixos"; }',
        '{ machines.a.machineClass = lib.mkOverride 10 "darwin"; }',
    )
    assert data["machines"]["a"]["machineClass"] == "darwin"


def test_two_mkdefaults_that_differ_conflict_at_the_inner_values(tmp_path: Path) -> None:
    errors = _errors(
        tmp_path,
        '{ machines.a.machineClass = lib.mkDefault "darwin"; }',
        '{ machines.a.machineClass = lib.mkDefault "nixos"; }',
    )
    [d] = errors
    assert d.code == "conflicting-definition" and d.path == "machines.a.machineClass"
    assert '"darwin" and "nixos"' in d.message
    assert d.location is not None
    assert (d.location.line, d.location.column) == _line_col(tmp_path, '"darwin"')
    assert d.related[0].location is not None
    rel = d.related[0].location
    assert (rel.line, rel.column) == _line_col(tmp_path, '"nixos"')


def test_a_dropped_definition_does_not_conflict(tmp_path: Path) -> None:
    assert not _errors(
        tmp_path,
        '{ machines.a.machineClass = lib.mkDefault "darwin"; }',
        '{ machines.a.machineClass = lib.mkDefault "nixos"; }',
        '{ machines.a.machineClass = "nixos"; }',
    )


# -- mkIf / mkMerge ----------------------------------------------------------------------


def test_mkif_false_drops_the_definition(tmp_path: Path) -> None:
    data = _data(
        tmp_path,
        "{ machines.a = { }; instances.x = lib.mkIf false { roles.r.machines.a = { }; }; }",
        '{ machines.a.tags = lib.mkIf (1 == 2) [ "never" ]; }',
    )
    assert data["instances"] == {}
    assert data["machines"] == {"a": {}}


def test_mkif_true_is_its_content(tmp_path: Path) -> None:
    data = _data(
        tmp_path,
        "{ machines.a = { }; instances.x = lib.mkIf true { roles.r.machines.a = { }; }; }",
    )
    assert data["instances"] == {"x": {"roles": {"r": {"machines": {"a": {}}}}}}


def test_mkmerge_of_role_sets(tmp_path: Path) -> None:
    data = _data(
        tmp_path,
        """{ instances.x.roles = lib.mkMerge [
               { server.machines.a = { }; }
               { client.tags = [ "t" ]; }
               { client.machines.b = { }; }
             ]; }""",
    )
    assert data["instances"]["x"]["roles"] == {
        "server": {"machines": {"a": {}}},
        "client": {"tags": ["t"], "machines": {"b": {}}},
    }


def test_mkmerge_items_are_separate_definitions(tmp_path: Path) -> None:
    """Two items of one mkMerge defining a list concatenate (not a repeated attribute)."""
    data = _data(tmp_path, '{ machines.a.tags = lib.mkMerge [ [ "x" ] [ "y" ] ]; }')
    assert data["machines"]["a"]["tags"] == ["x", "y"]


def test_nested_wrappers(tmp_path: Path) -> None:
    data = _data(
        tmp_path,
        # mkIf true (mkDefault x) loses to a plain definition
        '{ machines.a.machineClass = lib.mkIf true (lib.mkDefault "darwin"); }',
        '{ machines.a.machineClass = "nixos"; }',
        # mkMerge [ (mkDefault a) b ]: b
        '{ machines.b.tags = lib.mkMerge [ (lib.mkDefault [ "a" ]) [ "b" ] ]; }',
        # mkDefault { tags = mkForce …; } alone: its content, where mkForce wins below
        '{ machines.c = lib.mkDefault { tags = lib.mkForce [ "forced" ]; }; }',
        # mkMerge inside mkIf inside mkMerge
        "{ machines = lib.mkMerge [ (lib.mkIf true (lib.mkMerge [ { d = { }; } ])) ]; }",
    )
    assert data["machines"] == {
        "a": {"machineClass": "nixos"},
        "b": {"tags": ["b"]},
        "c": {"tags": ["forced"]},
        "d": {},
    }


def test_override_is_decided_per_option(tmp_path: Path) -> None:
    """A whole machine set with mkDefault loses to a plain machine set: Nix drops `y'
    (the priority is compared among the definitions of `machines', not pushed down)."""
    data = _data(
        tmp_path,
        "{ machines = lib.mkDefault { y = { }; }; }",
        "{ machines.x = { }; }",
    )
    assert data["machines"] == {"x": {}}


def test_pushed_down_override_meets_other_definitions(tmp_path: Path) -> None:
    """An override left inside a kept definition of a submodule applies to each of its
    attributes: machineClass is only defined with mkDefault (kept), tags also by mkForce."""
    data = _data(
        tmp_path,
        """{ machines.a = lib.mkForce (lib.mkDefault {
               machineClass = "darwin"; tags = [ "default" ]; }); }""",
        '{ machines.a = lib.mkForce { tags = [ "forced" ]; }; }',
    )
    assert data["machines"]["a"] == {"machineClass": "darwin", "tags": ["forced"]}


def test_wrapped_inventory(tmp_path: Path) -> None:
    data = _data(
        tmp_path,
        "lib.mkMerge [ { machines.a = { }; } (lib.mkIf false { machines.b = { }; }) ]",
        '{ machines.a.tags = [ "t" ]; }',
    )
    assert data["machines"] == {"a": {"tags": ["t"]}}


def test_unknown_condition_is_said(tmp_path: Path) -> None:
    loaded = load(str(_flake(tmp_path, "{ machines.a = lib.mkIf self.ci { }; machines.b = { }; }")))
    [note] = [n for n in loaded.notes if n.code == "opaque-value"]
    assert note.path == "machines.a" and "mkIf" in note.message
    assert loaded.data["machines"] == {"b": {}}


# -- settings ----------------------------------------------------------------------------


SETTINGS = """{
  machines.jon = { };
  machines.sara = { };
  instances.svc = {
    module = { name = "svc"; input = "self"; };
    roles.peer.machines.jon.settings = { timeout = 3; names = lib.mkIf true [ "m" ]; };
    roles.peer.machines.sara.settings.timeout = lib.mkIf false 4;
    roles.peer.settings = {
      timeout = lib.mkForce 5;
      level = lib.mkDefault 1;
      gone = lib.mkIf false 1;
      merged = lib.mkMerge [ { a = 1; } { b = lib.mkDefault 2; } { b = 3; } ];
    };
  };
}"""


def test_settings_keep_the_override_form(tmp_path: Path) -> None:
    data = _data(tmp_path, SETTINGS)
    roles = data["instances"]["svc"]["roles"]["peer"]
    assert roles["settings"] == {
        "timeout": {"_type": "override", "priority": 50, "content": 5},
        "level": {"_type": "override", "priority": 1000, "content": 1},
        "merged": {"a": 1, "b": 3},
    }
    assert roles["machines"]["jon"]["settings"] == {"timeout": 3, "names": ["m"]}
    assert roles["machines"]["sara"]["settings"] == {}


def test_settings_merge_honours_the_priorities_per_machine(tmp_path: Path) -> None:
    report = solver.check(str(_flake(tmp_path, SETTINGS)))
    assert not [d for d in report.diagnostics if d.code.startswith("settings")], [
        (d.code, d.message) for d in report.diagnostics
    ]
    got = {
        m: next(a.settings for a in report.resolution.machines[m].assignments)
        for m in ("jon", "sara")
    }
    assert got["jon"] == {"timeout": 5, "level": 1, "merged": {"a": 1, "b": 3}, "names": ["m"]}
    assert got["sara"] == {"timeout": 5, "level": 1, "merged": {"a": 1, "b": 3}}


def test_settings_defined_twice_through_mkmerge(tmp_path: Path) -> None:
    """``settings`` takes one definition: two items of a mkMerge are two definitions."""
    errors = _errors(
        tmp_path,
        "{ instances.svc.roles.peer.settings = lib.mkMerge [ { a = 1; } { b = 2; } ]; }",
    )
    assert [d.code for d in errors] == ["duplicate-definition"]
    assert errors[0].path == "instances.svc.roles.peer.settings"


def test_settings_override_around_the_block_is_consumed_there(tmp_path: Path) -> None:
    """An override of the `settings` option itself is decided among the definitions of
    `settings` (as clan-core's inventory does); an override left inside stays."""
    data = _data(
        tmp_path,
        "{ instances.svc.roles.peer.settings = lib.mkDefault { a = 1; }; }",
        "{ instances.svc.roles.sub.settings = lib.mkForce (lib.mkDefault { a = 1; }); }",
    )
    roles = data["instances"]["svc"]["roles"]
    assert roles["peer"]["settings"] == {"a": 1}
    assert roles["sub"]["settings"] == {
        "_type": "override",
        "priority": 1000,
        "content": {"a": 1},
    }


# -- the same module sets evaluated by Nix -------------------------------------------------


def _vendor_lib() -> Path | None:
    here = Path(__file__).resolve()
    for base in (here.parents[1] / "..", here.parents[2] / ".."):
        v = base / "shared" / "vendor" / "nixpkgs-lib" / "lib"
        if (v / "default.nix").is_file():
            return v.resolve()
    return None


DIFFERENTIAL: dict[str, list[str]] = {
    "default-vs-plain": [
        '{ machines.a.machineClass = lib.mkDefault "darwin"; }',
        '{ machines.a.machineClass = "nixos"; machines.b.machineClass = lib.mkDefault "darwin"; }',
    ],
    "force-vs-plain": [
        '{ machines.a.tags = [ "p" ]; }',
        '{ machines.a.tags = lib.mkForce [ "f" ]; }',
        '{ machines.a.tags = lib.mkOverride 60 [ "o" ]; }',
    ],
    "if": [
        '{ machines.a.tags = lib.mkIf false [ "no" ]; machines.b = lib.mkIf true { }; }',
        "{ machines.c = lib.mkIf false { }; }",
        '{ machines.a.tags = [ "yes" (lib.mkIf false "no") ]; }',
    ],
    "merge": [
        '{ machines = lib.mkMerge [ { a.tags = [ "x" ]; } { a.tags = [ "y" ]; b = { }; } ]; }',
        '{ machines.b.machineClass = lib.mkMerge [ (lib.mkDefault "nixos") "darwin" ]; }',
    ],
    "nested": [
        '{ machines.a = lib.mkIf true (lib.mkDefault { machineClass = "darwin"; }); }',
        '{ machines.a.tags = [ "t" ]; }',
        '{ machines.b = lib.mkDefault { tags = lib.mkForce [ "f" ]; }; }',
        '{ machines.c.machineClass = lib.mkIf true (lib.mkForce "darwin"); }',
        '{ machines.c.machineClass = "nixos"; }',
    ],
    "option-level": [
        "{ machines = lib.mkDefault { y = { }; }; }",
        "{ machines.x = { }; }",
    ],
    "push-down": [
        """{ machines.a = lib.mkForce (lib.mkDefault {
               machineClass = "darwin"; tags = [ "d" ]; }); }""",
        '{ machines.a = lib.mkForce { tags = [ "f" ]; }; }',
        '{ machines.a = { machineClass = "nixos"; }; }',
    ],
}


def _normal(machines: dict[str, Any]) -> dict[str, Any]:
    """Machines with the options' defaults, tags sorted (Nix orders imports its way)."""
    return {
        name: {
            "machineClass": m.get("machineClass", "nixos"),
            "tags": sorted(m.get("tags", [])),
        }
        for name, m in machines.items()
    }


def test_same_result_as_nix_evalmodules(tmp_path: Path) -> None:
    lib = _vendor_lib()
    if shutil.which("nix-instantiate") is None:
        pytest.skip("nix-instantiate is not installed")
    if lib is None:
        pytest.skip("the vendored nixpkgs lib (../shared/vendor/nixpkgs-lib) is absent")
    cases = "\n".join(
        f'  "{name}" = ev [\n' + "\n".join(f"    ({m})" for m in mods) + "\n  ];"
        for name, mods in DIFFERENTIAL.items()
    )
    expr = f"""
let
  lib = import {lib};
  inherit (lib) types mkOption;
  machine = types.submodule {{
    options.tags = mkOption {{ type = types.listOf types.str; default = [ ]; }};
    options.machineClass = mkOption {{
      type = types.enum [ "nixos" "darwin" ]; default = "nixos"; }};
  }};
  ev = mods: (lib.evalModules {{
    modules = [ {{ options.machines = mkOption {{
      type = types.attrsOf machine; default = {{ }}; }}; }} ] ++ mods;
  }}).config.machines;
in {{
{cases}
}}
"""
    out = subprocess.run(
        ["nix-instantiate", "--eval", "--strict", "--json", "--expr", expr],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    nix = json.loads(out.stdout)
    for name, mods in DIFFERENTIAL.items():
        folder = tmp_path / name
        folder.mkdir()
        ours = _data(folder, *mods).get("machines", {})
        assert _normal(ours) == _normal(nix[name]), f"{name}: static {ours}, nix {nix[name]}"
