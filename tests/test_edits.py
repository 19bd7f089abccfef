"""Edits of the user's files from repair actions: JSON and Nix alike, only the located
spans, formatting and comments kept; computed values left alone; all-or-none writing."""

from __future__ import annotations

import copy
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solver.fix.actions import Action, Repair
from solver.fix.diff import _opcodes, repo_relative, unified_diff
from solver.fix.edits import EditConflict, EditPlan, plan_edits
from solver.fix.write import NotWritten, write_files
from solver.read import Loaded, load

CLANS = Path(__file__).parent / "data" / "clans"


def _repo(tmp_path: Path, files: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".git").mkdir()
    for name, text in files.items():
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _plan(target: str, *actions: Action) -> tuple[EditPlan, Loaded]:
    loaded = load(target)
    return plan_edits(Repair(actions=actions), loaded), loaded


def _apply(plan: EditPlan, root: Path) -> None:
    write_files(plan.texts, plan.edited(), str(root))


# -- JSON -------------------------------------------------------------------------------

INVENTORY_JSON = """\
{
  "machines": {
    "jon": { "tags": ["backup", "laptop"] },
    "sara": {},
    "kim": {}
  },
  "instances": {
    "borg": {
      "module": { "name": "borgbackp" },
      "roles": {
        "client": { "machines": ["jon", "sara"] },
        "server": {
          "machines": { "all": {}, "sara": {} },
          "tags": ["backup"]
        },
        "peer": {
          "machines": {
            "laptop": {}
          }
        }
      }
    }
  }
}
"""

JSON_FIXED = """\
{
  "machines": {
    "jonny": { "tags": ["backup"] },
    "sara": {}
  },
  "instances": {
    "borg": {
      "module": { "name": "borgbackup" },
      "roles": {
        "client": { "machines": {"jon": {}, "sara": {}} },
        "server": {
          "machines": { "sara": {} },
          "tags": ["backup", "all"]
        },
        "peer": {
          "tags": ["laptop"],
          "machines": {}
        }
      }
    }
  }
}
"""

JSON_ACTIONS = (
    Action(kind="rename", path=("machines", "jon"), new="jonny"),
    Action(kind="remove", path=("machines", "jon", "tags", 1)),
    Action(kind="remove", path=("machines", "kim")),
    Action(
        kind="rename", path=("instances", "borg", "module", "name"), part="value", new="borgbackup"
    ),
    Action(kind="to-attrset", path=("instances", "borg", "roles", "client", "machines")),
    Action(kind="move-to-tags", path=("instances", "borg", "roles", "server", "machines", "all")),
    Action(kind="move-to-tags", path=("instances", "borg", "roles", "peer", "machines", "laptop")),
)


def test_json_every_kind_keeps_the_layout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _repo(tmp_path, {"inventory.json": INVENTORY_JSON}, monkeypatch)
    plan, _ = _plan("inventory.json", *JSON_ACTIONS)
    assert plan.not_applied == []
    assert plan.edited() == {"inventory.json": JSON_FIXED}
    _apply(plan, root)
    assert (root / "inventory.json").read_text() == JSON_FIXED
    assert load("inventory.json").data == json.loads(JSON_FIXED)


@pytest.mark.parametrize(
    ("text", "path", "after"),
    [
        ('{"a": [1, 2, 3]}', ("a", 0), '{"a": [2, 3]}'),
        ('{"a": [1, 2, 3]}', ("a", 1), '{"a": [1, 3]}'),
        ('{"a": [1, 2, 3]}', ("a", 2), '{"a": [1, 2]}'),
        ('{"a": [ 1 ]}', ("a", 0), '{"a": []}'),
        ('{\n  "x": 1,\n  "y": 2\n}\n', ("x",), '{\n  "y": 2\n}\n'),
        ('{\n  "x": 1,\n  "y": 2\n}\n', ("y",), '{\n  "x": 1\n}\n'),
        ('{\n  "x": 1\n}\n', ("x",), "{}\n"),
    ],
)
def test_json_remove_leaves_valid_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, path: Any, after: str
) -> None:
    _repo(tmp_path, {"inv.json": text}, monkeypatch)
    plan, _ = _plan("inv.json", Action(kind="remove", path=path))
    assert plan.edited()["inv.json"] == after


def test_names_in_a_machines_list_are_edited_as_list_elements(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _repo(
        tmp_path,
        {"inv.json": '{"instances": {"i": {"roles": {"r": {"machines": ["a", "b"]}}}}}'},
        monkeypatch,
    )
    role = ("instances", "i", "roles", "r")
    plan, _ = _plan(
        "inv.json",
        Action(kind="rename", path=(*role, "machines", "a"), new="c"),
        Action(kind="move-to-tags", path=(*role, "machines", "b")),
    )
    assert plan.edited()["inv.json"] == (
        '{"instances": {"i": {"roles": {"r": {"tags": ["b"], "machines": ["c"]}}}}}'
    )


def test_json_removing_neighbours_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _repo(tmp_path, {"inv.json": '{"t": ["a", "b", "c", "d"]}'}, monkeypatch)
    plan, _ = _plan(
        "inv.json",
        Action(kind="remove", path=("t", 1)),
        Action(kind="remove", path=("t", 2)),
        Action(kind="remove", path=("t", 0)),
    )
    assert plan.edited()["inv.json"] == '{"t": ["d"]}'
    # each action has its own edit (for editors): disjoint, together the whole change
    assert [(e.action.path, e.start, e.end) for e in plan.edits] == [
        (("t", 0), 7, 12),
        (("t", 1), 12, 17),
        (("t", 2), 17, 22),
    ]


# -- Nix --------------------------------------------------------------------------------

FLAKE = """\
{
  outputs =
    { self, clan-core, ... }:
    let
      common = [ "web" ];
      clan = clan-core.lib.clan {
        inherit self;
        inventory = {
          machines = {
            # the laptop
            jon = { tags = [ "backup" "laptop" ]; };
            sara = { tags = common; };
            kim = { }; # to go
            "old-name" = { };
          };
          instances.borg = {
            module.name = "borgbackp";
            roles.client.machines = [ "jon" "sara" ];
            roles.server.machines.all = { };
            roles.server.machines.sara = { };
            roles.peer.machines = { laptop = { }; };
            roles.peer.tags = [ "web" ];
          };
          instances.zt.roles.peer.machines.jon.settings.port = 1; # only one
        };
      };
    in
    { clan = clan.config; };
}
"""

FLAKE_FIXED = """\
{
  outputs =
    { self, clan-core, ... }:
    let
      common = [ "web" ];
      clan = clan-core.lib.clan {
        inherit self;
        inventory = {
          machines = {
            # the laptop
            "jon-2.0" = { tags = [ "backup" ]; };
            sara = { tags = common; };
            "new-name" = { };
          };
          instances.borg = {
            module.name = "borgbackup";
            roles.client.machines = { jon = { }; sara = { }; };
            roles.server.tags = [ "all" ];
            roles.server.machines.sara = { };
            roles.peer.machines = { };
            roles.peer.tags = [ "web" "laptop" ];
          };
          instances.zt.roles.peer.machines = { }; # only one
        };
      };
    in
    { clan = clan.config; };
}
"""

NIX_ACTIONS = (
    Action(kind="rename", path=("machines", "jon"), new="jon-2.0"),
    Action(kind="rename", path=("machines", "old-name"), new="new-name"),
    Action(kind="remove", path=("machines", "jon", "tags", 1)),
    Action(kind="remove", path=("machines", "kim")),
    Action(
        kind="rename", path=("instances", "borg", "module", "name"), part="value", new="borgbackup"
    ),
    Action(kind="to-attrset", path=("instances", "borg", "roles", "client", "machines")),
    Action(kind="move-to-tags", path=("instances", "borg", "roles", "server", "machines", "all")),
    Action(kind="move-to-tags", path=("instances", "borg", "roles", "peer", "machines", "laptop")),
    Action(kind="remove", path=("instances", "zt", "roles", "peer", "machines", "jon")),
)


def _expected_nix_data(data: dict[str, Any]) -> dict[str, Any]:
    d = copy.deepcopy(data)
    m = d["machines"]
    m["jon-2.0"] = m.pop("jon")
    m["jon-2.0"]["tags"] = ["backup"]
    del m["kim"]
    m["new-name"] = m.pop("old-name")
    borg = d["instances"]["borg"]
    borg["module"]["name"] = "borgbackup"
    borg["roles"]["client"]["machines"] = {"jon": {}, "sara": {}}
    borg["roles"]["server"]["machines"].pop("all")
    borg["roles"]["server"]["tags"] = ["all"]
    borg["roles"]["peer"]["machines"] = {}
    borg["roles"]["peer"]["tags"] = ["web", "laptop"]
    d["instances"]["zt"]["roles"]["peer"]["machines"] = {}
    return d


def test_nix_every_kind_keeps_comments_and_layout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _repo(tmp_path, {"flake.nix": FLAKE}, monkeypatch)
    plan, loaded = _plan(".", *NIX_ACTIONS)
    assert plan.not_applied == []
    assert plan.edited() == {"flake.nix": FLAKE_FIXED}
    _apply(plan, root)
    assert load(".").data == _expected_nix_data(loaded.data)


def test_nix_computed_values_are_not_edited(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _repo(tmp_path, {"flake.nix": FLAKE}, monkeypatch)
    plan, _ = _plan(
        ".",
        Action(kind="remove", path=("machines", "sara", "tags", 0)),
        Action(kind="rename", path=("machines", "sara", "tags", 0), part="value", new="x"),
        Action(kind="remove", path=("machines", "kim")),
    )
    assert [n.message() for n in plan.not_applied] == [
        "not applied: remove machines.sara.tags[0]: the list element is computed at flake.nix:5",
        "not applied: rename machines.sara.tags[0] to 'x': the value is computed at flake.nix:5",
    ]
    # the computed value's action writes nothing; the other one is applied
    assert [e.action.path for e in plan.edits] == [("machines", "kim")]


def test_nix_function_results_are_not_edited(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    flake = """\
{
  inputs.nixpkgs.url = "github:nixos/nixpkgs";
  outputs =
    { self, clan-core, nixpkgs, ... }:
    let
      lib = nixpkgs.lib;
    in
    {
      clan = (clan-core.lib.clan {
        inherit self;
        inventory.machines = lib.genAttrs [ "a" "b" ] (n: { tags = map (x: x) [ "t" ]; });
        inventory.instances.i.roles.r.machines.a = { };
      }).config;
    };
}
"""
    root = _repo(tmp_path, {"flake.nix": flake}, monkeypatch)
    (root / "machines" / "c").mkdir(parents=True)
    (root / "machines" / "c" / "configuration.nix").write_text("{ }\n")
    plan, loaded = _plan(
        ".",
        Action(kind="rename", path=("machines", "a"), new="z"),
        Action(kind="remove", path=("machines", "b", "tags", 0)),
        Action(kind="remove", path=("machines", "c")),
    )
    assert "c" in loaded.data["machines"]
    assert plan.edits == []
    reasons = {n.action.path: n.reason for n in plan.not_applied}
    assert reasons[("machines", "a")] == "the name is computed at flake.nix:11"
    assert reasons[("machines", "b", "tags", 0)].endswith("computed at flake.nix:11")
    assert "computed at machines/c" in reasons[("machines", "c")]


def test_nix_quoting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _repo(tmp_path, {"flake.nix": FLAKE}, monkeypatch)
    odd = 'a "b" ${c} \\d'
    plan, _ = _plan(
        ".",
        Action(kind="rename", path=("machines", "sara"), new="if"),
        Action(kind="rename", path=("machines", "old-name"), new="plain"),
        Action(kind="rename", path=("machines", "jon", "tags", 0), part="value", new=odd),
    )
    text = plan.edited()["flake.nix"]
    assert '"if" = { tags = common; };' in text  # a keyword is quoted
    assert '"plain" = { };' in text  # a quoted key stays quoted
    _apply(plan, root)
    data = load(".").data
    assert set(data["machines"]) == {"jon", "if", "plain", "kim"}
    assert data["machines"]["jon"]["tags"] == [odd, "laptop"]


def test_nix_dotted_bindings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clan = """\
{
  inventory.instances.a.roles.r.machines.x = { };
  inventory.instances.a.roles.r.machines.y.settings.port = 1;
  inventory.instances.a.roles.r.tags.t = { };
  inventory.instances.b.roles.r.machines.only = { };
}
"""
    root = _repo(tmp_path, {"clan.nix": clan}, monkeypatch)
    plan, _ = _plan(
        ".",
        Action(kind="remove", path=("instances", "a", "roles", "r", "machines", "y")),
        Action(kind="move-to-tags", path=("instances", "a", "roles", "r", "machines", "x")),
        Action(kind="remove", path=("instances", "b", "roles", "r", "machines", "only")),
    )
    assert plan.edited()["clan.nix"] == (
        "{\n"
        "  inventory.instances.a.roles.r.tags.x = { };\n"
        "  inventory.instances.a.roles.r.tags.t = { };\n"
        "  inventory.instances.b.roles.r.machines = { };\n"
        "}\n"
    )
    _apply(plan, root)
    assert load(".").data["instances"] == {
        "a": {"roles": {"r": {"tags": {"x": {}, "t": {}}}}},
        "b": {"roles": {"r": {"machines": {}}}},
    }


def test_nix_and_json_in_one_clan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _repo(
        tmp_path,
        {
            "clan.nix": "{\n  inventory.machines.jon = { };\n  inventory.instances.i.roles.r.machines.jon = { };\n}\n",
            "inventory.json": '{\n  "machines": {"sara": {}},\n  "instances": {"i": {"roles": {"r": {"machines": {"sara": {}}}}}}\n}\n',
        },
        monkeypatch,
    )
    plan, _ = _plan(".", Action(kind="rename", path=("instances", "i"), new="k"))
    assert plan.files() == ["clan.nix", "inventory.json"]
    _apply(plan, root)
    assert set(load(".").data["instances"]) == {"k"}


def test_overlapping_edits_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _repo(tmp_path, {"inventory.json": INVENTORY_JSON}, monkeypatch)
    loaded = load("inventory.json")
    path = ("instances", "borg", "roles", "client", "machines")
    repair = Repair(
        actions=(Action(kind="to-attrset", path=path), Action(kind="remove", path=(*path, 0)))
    )
    with pytest.raises(EditConflict, match=r"overlap in inventory\.json:11"):
        plan_edits(repair, loaded)


def test_a_binding_that_overrides_another_with_update_is_not_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nix = """\
let
  common = { port = 1; mtu = 2; };
in
{
  instances.wg.roles.peer.settings = common // { port = 3; };
}
"""
    _repo(tmp_path, {"inventory.nix": nix}, monkeypatch)
    path = ("instances", "wg", "roles", "peer", "settings", "port")
    plan, _ = _plan("inventory.nix", Action(kind="remove", path=path))
    assert plan.edits == []
    [skipped] = plan.not_applied
    assert "overrides another one with `//' at inventory.nix:5" in skipped.reason


def test_diff_is_unified_and_relative_to_the_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _repo(tmp_path, {"sub/inventory.json": INVENTORY_JSON}, monkeypatch)
    monkeypatch.chdir(root / "sub")
    plan, _ = _plan("inventory.json", Action(kind="remove", path=("machines", "kim")))
    names = {f: repo_relative(f, str(root)) for f in plan.texts}
    assert names == {"inventory.json": "sub/inventory.json"}
    diff = unified_diff(plan.texts, plan.edited(), names)
    assert diff.splitlines()[:3] == [
        "--- a/sub/inventory.json",
        "+++ b/sub/inventory.json",
        "@@ -1,8 +1,7 @@",
    ]
    assert '-    "sara": {},' in diff and '+    "sara": {}' in diff


# -- writing ------------------------------------------------------------------------------


def test_a_file_changed_since_reading_stops_every_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _repo(
        tmp_path,
        {
            "clan.nix": "{\n  inventory.instances.i.roles.r.machines.jon = { };\n}\n",
            "inventory.json": '{"instances": {"i": {"module": {"name": "m"}}}}\n',
        },
        monkeypatch,
    )
    plan, _ = _plan(".", Action(kind="rename", path=("instances", "i"), new="k"))
    assert plan.files() == ["clan.nix", "inventory.json"]
    before = (root / "clan.nix").read_text()
    (root / "inventory.json").write_text('{"instances": {"i": {}}}\n')
    with pytest.raises(NotWritten, match=r"inventory\.json changed since it was read"):
        _apply(plan, root)
    assert (root / "clan.nix").read_text() == before
    assert (root / "inventory.json").read_text() == '{"instances": {"i": {}}}\n'


def test_links_are_not_written_through(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _repo(tmp_path, {"real.json": '{"machines": {"a": {}}}'}, monkeypatch)
    os.symlink("real.json", root / "inventory.json")
    plan, _ = _plan("inventory.json", Action(kind="rename", path=("machines", "a"), new="b"))
    with pytest.raises(NotWritten, match="symbolic link"):
        _apply(plan, root)
    assert (root / "real.json").read_text() == '{"machines": {"a": {}}}'


def test_mode_and_byte_order_mark_are_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _repo(tmp_path, {}, monkeypatch)
    f = root / "inventory.json"
    f.write_bytes(b'\xef\xbb\xbf{"machines": {"a": {}}}')
    f.chmod(0o640)
    plan, _ = _plan("inventory.json", Action(kind="rename", path=("machines", "a"), new="b"))
    _apply(plan, root)
    assert f.read_bytes() == b'\xef\xbb\xbf{"machines": {"b": {}}}'
    assert f.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in root.iterdir() if p.name.startswith(".inventory-solver")] == []


# -- the project's Nix fixtures ----------------------------------------------------------


def _fixture_ops(data: dict[str, Any]) -> list[tuple[str, tuple[Any, ...]]]:
    """One role member to remove, one machine tag to rename, one instance to rename."""
    out: list[tuple[str, tuple[Any, ...]]] = []
    for iname, inst in sorted((data.get("instances") or {}).items()):
        roles = [
            (r, sorted(role["machines"]))
            for r, role in sorted((inst.get("roles") or {}).items())
            if isinstance(role.get("machines"), dict) and role["machines"]
        ]
        if roles:
            r, names = roles[0]
            out.append(("remove", ("instances", iname, "roles", r, "machines", names[0])))
            break
    for mname, m in sorted((data.get("machines") or {}).items()):
        if isinstance(m, dict) and m.get("tags"):
            out.append(("value", ("machines", mname, "tags", 0)))
            break
    if data.get("instances"):
        out.append(("key", ("instances", sorted(data["instances"])[0])))
    return out


def _expected(data: dict[str, Any], kind: str, path: tuple[Any, ...]) -> dict[str, Any]:
    d = copy.deepcopy(data)
    parent = d
    for k in path[:-1]:
        parent = parent[k]
    if kind == "remove":
        del parent[path[-1]]
    elif kind == "value":
        parent[path[-1]] = "renamed"
    else:
        parent["renamed"] = parent.pop(path[-1])
    return d


@pytest.mark.parametrize("name", sorted(p.name for p in CLANS.iterdir() if p.is_dir()))
def test_edits_of_each_nix_fixture_read_back_as_intended(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / name
    shutil.copytree(CLANS / name, root, symlinks=True)
    (root / ".git").mkdir()
    monkeypatch.chdir(root)
    data = load(".").data
    ops = _fixture_ops(data)
    assert ops, f"{name}: nothing to edit"
    applied = 0
    for kind, path in ops:
        if kind == "remove":
            action = Action(kind="remove", path=path)
        else:
            part = "value" if kind == "value" else "key"
            action = Action(kind="rename", path=path, part=part, new="renamed")
        loaded = load(".")
        plan = plan_edits(Repair(actions=(action,)), loaded)
        if plan.not_applied:  # a computed value: said where, and nothing written
            assert " is computed at " in plan.not_applied[0].reason
            assert plan.edits == []
            continue
        old, new = dict(plan.texts), plan.edited()
        write_files(old, new, str(root))
        assert load(".").data == _expected(loaded.data, kind, path), (kind, path)
        write_files(new, old, str(root))
        applied += 1
    assert applied, f"{name}: no edit could be applied"


# -- the command (with a given repair; tests/test_fix_command.py runs the real one) ---------


def _cli(monkeypatch: pytest.MonkeyPatch, repair: Repair, *args: str) -> Any:
    from solver.cli import cli
    from solver.fix import repair as repair_mod

    monkeypatch.setattr(repair_mod, "compute_repair", lambda loaded, opts, select: repair)
    return CliRunner().invoke(cli, ["fix", *args])


def test_command_shows_a_diff_and_applies_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _repo(tmp_path, {"inventory.json": INVENTORY_JSON}, monkeypatch)
    repair = Repair(actions=JSON_ACTIONS, cost=len(JSON_ACTIONS))
    shown = _cli(monkeypatch, repair, "inventory.json")
    assert shown.exit_code == 1
    assert shown.stdout.startswith("--- a/inventory.json\n+++ b/inventory.json\n@@ ")
    assert (root / "inventory.json").read_text() == INVENTORY_JSON
    done = _cli(monkeypatch, repair, "inventory.json", "--apply")
    assert done.exit_code == 0, done.output
    assert (root / "inventory.json").read_text() == JSON_FIXED
    again = _cli(monkeypatch, Repair(), "inventory.json")
    assert again.exit_code == 0 and again.stdout == ""
    assert "nothing to fix" in again.stderr


def test_command_json_format(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _repo(tmp_path, {"inventory.json": INVENTORY_JSON}, monkeypatch)
    action = Action(
        kind="rename",
        path=("instances", "borg", "module", "name"),
        part="value",
        new="borgbackup",
        fixes=("unknown-module@instances.borg.module.name",),
    )
    out = _cli(monkeypatch, Repair(actions=(action,)), "inventory.json", "--format", "json")
    assert out.exit_code == 1
    data = json.loads(out.stdout)
    assert data["edits"] == [
        {
            "file": "inventory.json",
            "range": {
                "start": {"line": 9, "column": 27, "offset": INVENTORY_JSON.index('"borgbackp"')},
                "end": {
                    "line": 9,
                    "column": 38,
                    "offset": INVENTORY_JSON.index('"borgbackp"') + len('"borgbackp"'),
                },
            },
            "replacement": '"borgbackup"',
            "action": "rename instances.borg.module.name to 'borgbackup'",
            "kind": "rename",
            "path": ["instances", "borg", "module", "name"],
            "fixes": ["unknown-module@instances.borg.module.name"],
        }
    ]


def test_command_names_the_alternatives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _repo(tmp_path, {"inventory.json": INVENTORY_JSON}, monkeypatch)
    keep = Action(kind="remove", path=("machines", "kim"))
    one = Action(kind="remove", path=("machines", "sara"))
    other = Action(kind="remove", path=("machines", "jon"), cost=1)
    repair = Repair(
        actions=(keep, one), alternatives=((keep.model_copy(update={"cost": 2}), other),)
    )
    out = _cli(monkeypatch, repair)
    assert (
        "inventory-solver: alternative 1 of the same cost: remove machines.jon instead of remove machines.sara\n"
        in out.stderr
    )


def test_command_reports_what_it_could_not_apply(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _repo(tmp_path, {"flake.nix": FLAKE}, monkeypatch)
    repair = Repair(actions=(Action(kind="remove", path=("machines", "sara", "tags", 0)),))
    out = _cli(monkeypatch, repair, "--apply")
    assert out.exit_code == 1
    assert out.stdout == ""
    assert "not applied: remove machines.sara.tags[0]: the list element is computed at " in (
        out.stderr
    )


def test_command_refuses_bad_input_and_overlaps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _repo(tmp_path, {"inventory.json": INVENTORY_JSON, "bad.json": "{"}, monkeypatch)
    bad = _cli(monkeypatch, Repair(), "bad.json")
    assert bad.exit_code == 2 and "Traceback" not in bad.output
    piped = _cli(monkeypatch, Repair(), "-")
    assert piped.exit_code == 2 and "not a pipe" in piped.output
    unknown = _cli(monkeypatch, Repair(), "inventory.json", "--select", "no-such-code")
    assert unknown.exit_code == 2 and "unknown code no-such-code" in unknown.output
    path = ("instances", "borg", "roles", "client", "machines")
    overlap = Repair(
        actions=(Action(kind="to-attrset", path=path), Action(kind="remove", path=(*path, 0)))
    )
    out = _cli(monkeypatch, overlap, "inventory.json", "--apply")
    assert out.exit_code == 2 and "fix refused" in out.stderr
    assert (root / "inventory.json").read_text() == INVENTORY_JSON


# -- generated: any set of removals reads back as the data without them ------------------

_NAMES = st.sampled_from(["a", "b", "c", "d-1", "e.f"])


@st.composite
def _inventories(draw: st.DrawFn) -> tuple[dict[str, Any], list[tuple[Any, ...]], bool]:
    machines = draw(st.dictionaries(_NAMES, st.lists(_NAMES, max_size=3), max_size=4))
    roles = draw(st.dictionaries(_NAMES, st.lists(_NAMES, max_size=3, unique=True), max_size=3))
    data = {
        "machines": {m: {"tags": tags} for m, tags in machines.items()},
        "instances": {
            "i": {"roles": {r: {"machines": {n: {} for n in ms}} for r, ms in roles.items()}}
        },
    }
    paths: list[tuple[Any, ...]] = [
        ("machines", m, "tags", k) for m, t in machines.items() for k in range(len(t))
    ]
    paths += [("machines", m) for m in machines]
    paths += [("instances", "i", "roles", r, "machines", n) for r, ms in roles.items() for n in ms]
    chosen = draw(st.lists(st.sampled_from(paths), unique=True)) if paths else []
    return data, chosen, draw(st.booleans())


def _nix(value: Any, indent: str, multiline: bool) -> str:
    from solver.fix.edits import nix_key, nix_string

    if isinstance(value, str):
        return nix_string(value)
    if isinstance(value, list):
        return "[ " + "".join(nix_string(v) + " " for v in value) + "]"
    if not value:
        return "{ }"
    if multiline:
        inner = indent + "  "
        body = "".join(
            f"{inner}{nix_key(k)} = {_nix(v, inner, multiline)}; # {k}\n" for k, v in value.items()
        )
        return "{\n" + body + indent + "}"
    return (
        "{ "
        + "".join(f"{nix_key(k)} = {_nix(v, indent, multiline)}; " for k, v in value.items())
        + "}"
    )


def _without(data: dict[str, Any], paths: list[tuple[Any, ...]]) -> dict[str, Any]:
    d = copy.deepcopy(data)
    # deepest and highest indices first, so that earlier removals do not shift later ones
    for path in sorted(
        paths, key=lambda p: (len(p), p[-1] if isinstance(p[-1], int) else -1), reverse=True
    ):
        parent: Any = d
        for k in path[:-1]:
            if isinstance(parent, dict) and k not in parent:
                break
            parent = parent[k]
        else:
            del parent[path[-1]]
    return d


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(_inventories())
def test_generated_removals_read_back(
    tmp_path_factory: pytest.TempPathFactory,
    case: tuple[dict[str, Any], list[tuple[Any, ...]], bool],
) -> None:
    data, paths, multiline = case
    root = tmp_path_factory.mktemp("gen")
    (root / ".git").mkdir()
    files = {
        "inventory.json": json.dumps(data, indent=2 if multiline else None),
        "inventory.nix": _nix(data, "", multiline) + "\n",
    }
    for name, text in files.items():
        (root / name).write_text(text)
        target = str(root / name)
        loaded = load(target)
        assert loaded.data == data
        plan = plan_edits(
            Repair(actions=tuple(Action(kind="remove", path=p) for p in paths)), loaded
        )
        assert plan.not_applied == []
        write_files(plan.texts, plan.edited(), str(root))
        assert load(target).data == _without(data, paths), (name, (root / name).read_text())


@st.composite
def _mixed(draw: st.DrawFn) -> tuple[dict[str, Any], list[Action], dict[str, Any], bool]:
    """An inventory, renames of machines and tags and moves of role members to tags (none
    overlapping), and the data they should give."""
    from solver.location import format_path

    machines = draw(st.dictionaries(_NAMES, st.lists(_NAMES, max_size=3), max_size=3))
    roles = draw(
        st.dictionaries(
            _NAMES,
            st.tuples(
                st.lists(_NAMES, max_size=3, unique=True),
                st.none() | st.lists(_NAMES, max_size=2, unique=True),
            ),
            max_size=3,
        )
    )
    data: dict[str, Any] = {
        "machines": {m: {"tags": t} for m, t in machines.items()},
        "instances": {"i": {"roles": {}}},
    }
    for r, (ms, tags) in roles.items():
        role: dict[str, Any] = {"machines": {n: {} for n in ms}}
        if tags is not None:
            role["tags"] = tags
        data["instances"]["i"]["roles"][r] = role
    want = copy.deepcopy(data)
    actions: list[Action] = []
    for m, tags in machines.items():
        if tags and draw(st.booleans()):
            k = draw(st.integers(0, len(tags) - 1))
            actions.append(
                Action(kind="rename", path=("machines", m, "tags", k), part="value", new="t-r")
            )
            want["machines"][m]["tags"][k] = "t-r"
        if draw(st.booleans()):
            actions.append(Action(kind="rename", path=("machines", m), new=f"{m}-r"))
    for m in list(want["machines"]):
        if any(a.path == ("machines", m) for a in actions):
            want["machines"][f"{m}-r"] = want["machines"].pop(m)
    for r, (ms, _tags) in roles.items():
        moved = draw(st.lists(st.sampled_from(ms), unique=True)) if ms else []
        base = ("instances", "i", "roles", r)
        moved.sort(key=lambda n: format_path((*base, "machines", n)))
        actions += [Action(kind="move-to-tags", path=(*base, "machines", n)) for n in moved]
        role = want["instances"]["i"]["roles"][r]
        for n in moved:
            del role["machines"][n]
        if moved:
            have = role.setdefault("tags", [])
            have += [n for n in moved if n not in have]
    return data, actions, want, draw(st.booleans())


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(_mixed())
def test_generated_renames_and_moves_read_back(
    tmp_path_factory: pytest.TempPathFactory,
    case: tuple[dict[str, Any], list[Action], dict[str, Any], bool],
) -> None:
    data, actions, want, multiline = case
    root = tmp_path_factory.mktemp("gen")
    (root / ".git").mkdir()
    files = {
        "inventory.json": json.dumps(data, indent=2 if multiline else None),
        "inventory.nix": _nix(data, "", multiline) + "\n",
    }
    for name, text in files.items():
        (root / name).write_text(text)
        target = str(root / name)
        loaded = load(target)
        plan = plan_edits(Repair(actions=tuple(actions)), loaded)
        assert plan.not_applied == []
        # the diff compared only around the edits is a patch from the old to the new text
        new = plan.edited()
        diff = unified_diff(plan.texts, new, {f: "x" for f in new}, plan.edits)
        for f in new:
            assert _opcodes(plan.texts[f], new[f], [e for e in plan.edits if e.file == f])
            assert _patched(plan.texts[f], diff) == new[f]
        write_files(plan.texts, plan.edited(), str(root))
        assert load(target).data == want, (name, (root / name).read_text())


def _patched(old: str, diff: str) -> str:
    """`old` with the unified `diff` (one file) applied, every context line checked."""
    import re

    lines = old.splitlines(keepends=True)
    out: list[str] = []
    pos = 0
    last = ""
    for line in diff.splitlines(keepends=True)[2:]:
        m = re.match(r"@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@", line)
        if m:
            start = int(m.group(1)) - (0 if m.group(2) != "0" else -1) - 1
            out += lines[pos:start]
            pos = start
            continue
        if line.startswith("\\"):
            if last == "+":
                out[-1] = out[-1].rstrip("\n")
            continue
        last = line[0]
        if line[0] == " ":
            assert lines[pos] == line[1:] or lines[pos] + "\n" == line[1:]
            out.append(lines[pos])
            pos += 1
        elif line[0] == "-":
            pos += 1
        else:
            out.append(line[1:])
    return "".join(out + lines[pos:])
