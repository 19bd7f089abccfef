"""Hostile names: quotes, backslashes, newlines, control characters, unicode, ``%``, names
that look like ASP terms or numbers, empty strings, 10,000-character names.

They must round-trip exactly into the results (machine, tag, role, instance and module
names) and never change what the rules derive (checked against the oracle and by renaming
a plain inventory to hostile names). Text output must not carry raw control characters.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import assume, given
from hypothesis import strategies as st

import solver
from solver.cli import cli
from tests import oracle
from tests.strategies import HOSTILE, budget, hostile_names, inventories, rename, rename_membership

LONG = "m" * 10_000
NAMES = [*HOSTILE, LONG, "x" * 9_999 + "\u00e9"]
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _display_names(inv: dict[str, Any]) -> list[str]:
    names = list(inv.get("instances") or {})
    for mod, insts in (inv.get("services") or {}).items():
        names += [f"{mod}/{i}" for i in insts]
    return names


def _membership(inv: dict[str, Any]) -> oracle.Membership:
    return oracle.drop_empty_roles(oracle.from_report(solver.check(copy.deepcopy(inv)).resolution))


def _one_name_everywhere(name: str) -> dict[str, Any]:
    """`name` as a machine, a tag, a role, an instance, a module and a legacy instance."""
    return {
        "machines": {name: {"tags": [name]}, "plain": {}},
        "tags": {name: ["plain"]},
        "instances": {
            name: {
                "module": {"name": name, "input": "self"},
                "roles": {name: {"machines": {name: {}}, "tags": {name: {}}}},
            },
            "other": {"roles": {"r": {"machines": {name + "-undefined": {}}, "tags": [name]}}},
        },
        "services": {name: {name: {"roles": {name: {"machines": [name, name], "tags": [name]}}}}},
    }


@pytest.mark.parametrize(
    "name", NAMES, ids=lambda n: repr(n[:20]) + (f"..{len(n)}" if len(n) > 20 else "")
)
def test_name_round_trips_exactly(name: str) -> None:
    inv = _one_name_everywhere(name)
    report = solver.check(copy.deepcopy(inv))
    res = report.resolution
    # machines, tags
    assert res.machines[name].defined
    assert name in res.machines[name].tags
    assert set(res.machines["plain"].tags) == {"all", "nixos", name}
    # instance, module, role, members, provenance
    inst = res.instances[name]
    assert inst.module.name == name and inst.module.input == "self"
    assert inst.roles[name].members == sorted({name, "plain"})
    assert {str(v) for v in inst.roles[name].via[name]} == {"explicit", f"tag {name}"}
    assert res.instances["other"].roles["r"].members == sorted({name, "plain", name + "-undefined"})
    assert not res.machines[name + "-undefined"].defined
    legacy = res.instances[f"{name}/{name}"]
    assert legacy.module.name == name and legacy.kind == "legacy"
    assert legacy.roles[name].members == sorted({name, "plain"})
    # the rules derive the same as the oracle
    assert _membership(inv) == oracle.drop_empty_roles(oracle.membership(inv))
    # diagnostics name the undefined machine exactly
    unknown = [
        d for d in report.diagnostics if d.code == "unknown-machine" and d.instance == "other"
    ]
    assert [d.machine for d in unknown] == [name + "-undefined"]


@pytest.mark.parametrize("name", [*HOSTILE[:20], LONG], ids=lambda n: repr(n[:20]))
def test_name_round_trips_through_cli_json(tmp_path: Any, name: str) -> None:
    inv = _one_name_everywhere(name)
    f = tmp_path / "inventory.json"
    f.write_text(json.dumps(inv), encoding="utf-8")
    runner = CliRunner()
    out = runner.invoke(cli, ["resolve", str(f), "--format", "json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["instances"][name]["roles"][name] == sorted({name, "plain"})
    assert data["instances"][name]["module"] == {"name": name, "input": "self"}
    assert name in data["machines"][name]["tags"]
    assert data["instances"][f"{name}/{name}"]["roles"][name] == sorted({name, "plain"})
    out = runner.invoke(cli, ["check", str(f), "--format", "json"])
    assert out.exit_code == 1, out.output  # services is a removed option
    diags = json.loads(out.stdout)["diagnostics"]
    assert name + "-undefined" in [d["machine"] for d in diags if d["code"] == "unknown-machine"]


@pytest.mark.parametrize("fmt", ["text", "concise", "github"])
def test_text_outputs_have_no_raw_control_characters(tmp_path: Any, fmt: str) -> None:
    inv = {"machines": {}, "instances": {}}
    for i, name in enumerate(HOSTILE):
        inv["instances"][f"i{i}{name}"] = {
            "roles": {name: {"machines": {name: {}}, "tags": [name + "?"]}}
        }
    f = tmp_path / "inventory.json"
    f.write_text(json.dumps(inv, ensure_ascii=False), encoding="utf-8")
    runner = CliRunner()
    out = runner.invoke(cli, ["check", str(f), "--format", fmt, "--color", "never"])
    assert out.exit_code == 1, out.output
    body = out.stdout.replace("\n", "")
    assert not RAW_CONTROL.search(body), RAW_CONTROL.findall(body)[:5]
    for by in ("instance", "machine"):
        out = runner.invoke(cli, ["resolve", str(f), "--by", by])
        assert out.exit_code == 0, out.output
        assert not RAW_CONTROL.search(out.stdout.replace("\n", ""))
        # every name is on its own line: a name with a newline does not add lines
        assert "new\\x0aline" in out.stdout


def test_legacy_and_current_instances_never_share_an_entry() -> None:
    """Regression: "<module>/<instance>" of a legacy instance could equal another
    instance's name ("a/b" + "c" vs "a" + "b/c", or a current instance "a/b"), and the two
    instances were silently merged into one entry of the resolution."""
    inv = {
        "machines": {"m": {}},
        "instances": {"a/b": {"roles": {"r1": {"machines": {"m": {}}}}}},
        "services": {
            "a": {"b": {"roles": {"r2": {"machines": ["m"]}}}},
            "a/b": {"c": {"roles": {"r3": {"machines": ["m"]}}}},
            "a/b/c": {"x": {"roles": {"r4": {"machines": ["m"]}}}},
        },
    }
    inv["services"]["a"]["b/c"] = {"roles": {"r5": {"machines": ["m"]}}}
    res = solver.check(inv).resolution
    roles = sorted(tuple(i.roles) for i in res.instances.values())
    assert roles == [("r1",), ("r2",), ("r3",), ("r4",), ("r5",)]
    assert res.instances["a/b"].kind == "service"
    assert len(res.machines["m"].assignments) == 5


# -- generated -------------------------------------------------------------------------
@budget(200)
@given(inventories(hostile=True))
def test_hostile_inventory_matches_oracle(inv: dict[str, Any]) -> None:
    names = _display_names(inv)
    assume(len(names) == len(set(names)))  # collisions get a longer name (test above)
    assert _membership(inv) == oracle.drop_empty_roles(oracle.membership(inv))


@budget(100)
@given(inventories(), st.data())
def test_renaming_to_hostile_names_changes_nothing_else(inv: dict[str, Any], data: Any) -> None:
    """Rename every plain name to a hostile one (injectively): the result is the renamed
    result, and still agrees with the oracle."""
    plain = sorted(
        {"jon", "sara", "web", "db", "laptop", "a", "b", "c", "ghost", "ghosttag"}
        | {"server", "client", "peer", "default", "controller", "i1", "i2", "sshd", "x"}
    )
    targets = data.draw(
        st.lists(
            hostile_names.filter(lambda n: n not in ("all", "nixos", "darwin")),
            min_size=len(plain),
            max_size=len(plain),
            unique=True,
        )
    )
    table = dict(zip(plain, targets, strict=True))

    def f(n: str) -> str:
        return table.get(n, n)

    renamed = rename(inv, f)
    legacy = {
        f"{mod}/{i}": f"{mod}/{f(i)}"
        for mod, insts in (inv.get("services") or {}).items()
        for i in insts
    }
    names = _display_names(renamed)
    assume(len(names) == len(set(names)))
    got = _membership(renamed)
    assert got == rename_membership(_membership(inv), f, legacy)
    assert got == oracle.drop_empty_roles(oracle.membership(renamed))
