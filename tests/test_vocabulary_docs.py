"""docs/vocabulary.md stays in step with the rules: every documented predicate is produced.

The documented predicates are the first cells of the table between the
``<!-- vocabulary:begin -->`` / ``<!-- vocabulary:end -->`` markers. Each must have at least
one atom when the built-in rules run, with the string facts of a policy run, on a sample
inventory that uses every feature. A predicate the rules do not know at all yet (settings,
being built in rules/settings.lp) is skipped, not failed.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from solver import policy
from solver.catalogue import builtin
from solver.facts import build
from solver.location import NullLocator
from solver.model import validate
from solver.solve import rules_text

DOC = Path(__file__).resolve().parent.parent / "docs" / "vocabulary.md"
ROW = re.compile(r"^\|\s*`([a-z_][A-Za-z0-9_]*)\(([^)]*)\)`\s*\|")
# Documented as provided only once the settings rules produce them.
PENDING = {("setting", 5)}

SAMPLE: dict[str, Any] = {
    "machines": {
        "jon": {"tags": ["laptop"], "machineClass": "nixos"},
        "sara": {"tags": ["server"], "machineClass": "darwin"},
    },
    "tags": {"ops": ["sara"]},
    "instances": {
        "backup": {
            "module": {"name": "borgbackup"},
            "roles": {
                "server": {"machines": {"sara": {}}, "settings": {"directory": "/srv"}},
                "client": {"tags": {"laptop": {}}},
            },
        },
    },
}
# legacy(I) needs the legacy shape (inventory.services), a separate inventory.
LEGACY: dict[str, Any] = {
    "machines": {"jon": {"tags": ["laptop"]}},
    "services": {
        "borgbackup": {"old": {"roles": {"client": {"machines": ["jon"], "tags": ["laptop"]}}}},
    },
}


def documented() -> list[tuple[str, int]]:
    text = DOC.read_text(encoding="utf-8")
    block = text.split("<!-- vocabulary:begin -->", 1)[1].split("<!-- vocabulary:end -->", 1)[0]
    out = []
    for line in block.splitlines():
        m = ROW.match(line)
        if m:
            out.append((m.group(1), len(m.group(2).split(","))))
    return out


def test_documents_the_required_vocabulary() -> None:
    docs = set(documented())
    required = {
        ("machine", 1),
        ("machine_class", 2),
        ("has_tag", 2),
        ("instance", 1),
        ("instance_module", 2),
        ("module_name", 2),
        ("module_input", 2),
        ("instance_module", 3),
        ("member", 3),
        ("via", 4),
        ("name", 2),
        ("setting", 5),
    }
    assert required <= docs


@cache
def _produced() -> frozenset[tuple[str, int]]:
    import clingo

    out: set[tuple[str, int]] = set()
    for data in (SAMPLE, LEGACY):
        inv, diags = validate(data, NullLocator())
        # (the legacy shape is reported as removed-option, and still modelled)
        assert not [d for d in diags if d.code != "removed-option"], diags
        program, side = build(inv, builtin())
        ctl = clingo.Control(["--warn=none"])
        for _name, text in rules_text():
            ctl.add("base", [], text)
        ctl.add("base", [], policy.name_facts(side))
        ctl.add("base", [], program)
        ctl.ground([("base", [])])
        out |= {(s.symbol.name, len(s.symbol.arguments)) for s in ctl.symbolic_atoms}
    return frozenset(out)


@pytest.mark.parametrize(("name", "arity"), documented())
def test_documented_predicate_is_produced(name: str, arity: int) -> None:
    if (name, arity) in PENDING and (name, arity) not in policy.builtin_signatures():
        pytest.skip(f"{name}/{arity} is not produced by the rules yet (rules/settings.lp)")
    assert (name, arity) in _produced(), f"{name}/{arity} is documented but never produced"


def test_documented_predicates_are_protected() -> None:
    """Every documented predicate is a built-in signature, so no policy can redefine it."""
    sigs = policy.builtin_signatures()
    for sig in documented():
        if sig in PENDING and sig not in sigs:
            continue
        assert sig in sigs
