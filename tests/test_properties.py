"""Metamorphic properties: renaming machines renames the result, adding a tag never
removes a membership, key order never changes the output, and the same input always gives
byte-identical output. Budget: tests/strategies.py."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from hypothesis import assume, given
from hypothesis import strategies as st

import solver
from solver.cli import cli
from tests import oracle
from tests.strategies import budget, inventories, rename, rename_membership, shuffled


def _membership(inv: dict[str, Any]) -> oracle.Membership:
    return oracle.drop_empty_roles(oracle.from_report(solver.check(copy.deepcopy(inv)).resolution))


def _run(args: list[str], cwd: Path) -> tuple[int, str]:
    runner = CliRunner()
    import os

    old = os.getcwd()
    os.chdir(cwd)
    try:
        out = runner.invoke(cli, args)
    finally:
        os.chdir(old)
    assert out.exception is None or isinstance(out.exception, SystemExit), out.output
    return out.exit_code, out.stdout


@budget(100)
@given(inventories(), st.data())
def test_renaming_machines_renames_the_result(inv: dict[str, Any], data: Any) -> None:
    machines = sorted({"jon", "sara", "web", "db", "laptop", "a", "b", "c", "ghost"})
    perm = data.draw(st.permutations(machines))
    # a permutation of the machine pool, with fresh suffixes so tags never collide
    table = {m: p + "_r" for m, p in zip(machines, perm, strict=True)}

    def f(n: str) -> str:
        return table.get(n, n)

    renamed = rename(inv, f)
    legacy = {
        f"{mod}/{i}": f"{mod}/{f(i)}"
        for mod, insts in (inv.get("services") or {}).items()
        for i in insts
    }
    names = list(renamed.get("instances") or {}) + list(legacy.values())
    assume(len(names) == len(set(names)))
    assert _membership(renamed) == rename_membership(_membership(inv), f, legacy)


@budget(100)
@given(inventories(), st.data())
def test_adding_a_tag_never_removes_a_membership(inv: dict[str, Any], data: Any) -> None:
    machines = list(inv.get("machines") or {})
    assume(machines)
    m = data.draw(st.sampled_from(machines))
    tag = data.draw(st.sampled_from(["web", "db", "all", "nixos", "darwin", "ghosttag", "new"]))
    before = _membership(inv)
    more = copy.deepcopy(inv)
    more["machines"][m] = {
        **more["machines"][m],
        "tags": [*more["machines"][m].get("tags", []), tag],
    }
    after = _membership(more)
    for i, roles in before.items():
        for r, members in roles.items():
            for mm, provs in members.items():
                assert provs <= after[i][r][mm], (i, r, mm)
    # also through the top-level tags
    more = copy.deepcopy(inv)
    more.setdefault("tags", {})
    more["tags"] = {**more["tags"], tag: [*more["tags"].get(tag, []), m]}
    if tag in ("all", "nixos", "darwin") and tag not in (inv.get("tags") or {}):
        return  # defining tags.<builtin> replaces the builtin list (docs/semantics.md#membership-by-name-and-tag): may remove
    after = _membership(more)
    for i, roles in before.items():
        for r, members in roles.items():
            for mm, provs in members.items():
                assert provs <= after[i][r][mm], (i, r, mm)


def _without_locations(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_locations(v) for k, v in value.items() if k != "location"}
    if isinstance(value, list):
        return [_without_locations(v) for v in value]
    return value


@budget(40)
@given(inventories(), st.randoms(use_true_random=False))
def test_key_order_never_changes_the_output(
    tmp_path_factory: Any, inv: dict[str, Any], rnd: random.Random
) -> None:
    base = tmp_path_factory.mktemp("order")
    (base / "a").mkdir()
    (base / "b").mkdir()
    (base / "a" / "inventory.json").write_text(json.dumps(inv, indent=2), encoding="utf-8")
    (base / "b" / "inventory.json").write_text(
        json.dumps(shuffled(inv, rnd), indent=2), encoding="utf-8"
    )
    # resolve has no positions: byte-identical
    for args in (
        ["resolve", "inventory.json", "--format", "json"],
        ["resolve", "inventory.json"],
        ["resolve", "inventory.json", "--by", "machine"],
    ):
        a, b = _run(args, base / "a"), _run(args, base / "b")
        assert a == b, args
    # check reports positions (which move with the keys): same findings otherwise
    code_a, out_a = _run(["check", "inventory.json", "--format", "json"], base / "a")
    code_b, out_b = _run(["check", "inventory.json", "--format", "json"], base / "b")
    assert code_a == code_b
    da = [
        json.dumps(_without_locations(d), sort_keys=True) for d in json.loads(out_a)["diagnostics"]
    ]
    db = [
        json.dumps(_without_locations(d), sort_keys=True) for d in json.loads(out_b)["diagnostics"]
    ]
    assert sorted(da) == sorted(db)
    # and the library: the same resolution
    ra = solver.check(base / "a" / "inventory.json").resolution
    rb = solver.check(base / "b" / "inventory.json").resolution
    assert ra.model_dump_json() == rb.model_dump_json()


@budget(25)
@given(inventories())
def test_same_input_gives_byte_identical_output(tmp_path_factory: Any, inv: dict[str, Any]) -> None:
    base = tmp_path_factory.mktemp("same")
    (base / "inventory.json").write_text(json.dumps(inv), encoding="utf-8")
    for fmt in ("text", "json", "sarif", "concise", "github"):
        args = ["check", "inventory.json", "--format", fmt, "--no-cache"]
        assert _run(args, base) == _run(args, base), fmt
    args = ["resolve", "inventory.json", "--format", "json", "--no-cache"]
    assert _run(args, base) == _run(args, base)
    # a fresh data structure (other dict identity, other hash seed for the ids) too
    r1 = solver.check(copy.deepcopy(inv)).model_dump_json()
    r2 = solver.check(json.loads(json.dumps(inv))).model_dump_json()
    assert r1 == r2


def test_byte_identical_across_processes_and_hash_seeds(tmp_path: Path) -> None:
    """Other processes, other PYTHONHASHSEED (set/dict order of strings): same bytes."""
    import subprocess
    import sys

    inv = {
        "machines": {
            f"m{i}": {
                "tags": [f"t{i % 3}", "web"],
                **({"machineClass": "darwin"} if i % 4 == 0 else {}),
            }
            for i in range(12)
        },
        "tags": {"all": ["m1", "m2", "ghost"], "extra": ["m3"]},
        "instances": {
            "sshd": {
                "roles": {
                    "server": {"tags": {"t1": {}, "nope": {}}},
                    "client": {"tags": ["all", "darwin"]},
                }
            },
            "borg": {
                "module": {"name": "borgbackup"},
                "roles": {"client": {"machines": {"m5": {}, "ghost": {}}}, "server": {}},
            },
        },
        "services": {
            "zerotier": {
                "z": {"roles": {"peer": {"machines": ["m1", "m1"], "tags": ["t2", "nope", "t0"]}}}
            }
        },
    }
    (tmp_path / "inventory.json").write_text(json.dumps(inv, indent=1), encoding="utf-8")
    outputs = set()
    for seed in ("0", "1", "12345"):
        for args in (
            ["check", "--format", "json"],
            ["check"],
            ["resolve", "--format", "json"],
            ["resolve", "--by", "machine"],
        ):
            proc = subprocess.run(
                [sys.executable, "-m", "solver", *args, "inventory.json", "--no-cache"],
                capture_output=True,
                cwd=tmp_path,
                env={**__import__("os").environ, "PYTHONHASHSEED": seed},
                timeout=120,
            )
            assert proc.returncode in (0, 1), proc.stderr
            outputs.add((tuple(args), proc.stdout))
    assert len(outputs) == 4


def test_class_mismatch_path_does_not_follow_key_order() -> None:
    """Regression: with a machine reached through two tags of an attrset, the finding
    pointed at whichever tag came first in the file."""
    paths = set()
    for order in (["jon", "all"], ["all", "jon"]):
        inv = {
            "machines": {"sara": {"tags": ["jon"], "machineClass": "darwin"}},
            "instances": {
                "i2": {
                    "module": {"name": "sshd"},
                    "roles": {"client": {"tags": {t: {} for t in order}}},
                }
            },
        }
        report = solver.check(inv)
        paths |= {d.path for d in report.diagnostics if d.code == "class-mismatch"}
    assert paths == {"instances.i2.roles.client.tags.all"}
