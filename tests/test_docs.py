"""The README documents every diagnostic code of the registry, with its severity."""

from __future__ import annotations

import re
from pathlib import Path

from solver.codes import CODES

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_every_code_is_in_the_readme_table() -> None:
    rows = dict(re.findall(r"^\| `([a-z][a-z-]+)` \| ([a-z]+)", README, re.M))
    assert set(rows) == set(CODES)
    for code, info in CODES.items():
        assert rows[code] == info.severity, code


def test_every_code_emitted_by_the_code_is_registered() -> None:
    root = Path(__file__).resolve().parent.parent / "solver"
    used: set[str] = set()
    for f in root.rglob("*.py"):
        text = f.read_text(encoding="utf-8")
        used |= set(re.findall(r'code="([a-z][a-z-]+)"', text))
        used |= set(re.findall(r'InputError\.single\(\s*"([a-z][a-z-]+)"', text))
    assert used - set(CODES) == set()


# Rule-level codes that are reported under another registered code (or refine one).
RULE_ALIASES = {
    "machine_is_tag": "unknown-machine",  # a hint for unknown-machine
    "unknown_tag_machine": "unknown-machine",
    "single_instance_clan": "single-instance",
    "single_instance_machine": "single-instance",
    "role_count_min": "min-machines",
    "role_count_max": "max-machines",
    "class_mismatch_tag": "class-mismatch",  # the machines reached through a tag, grouped
}


def test_every_violation_of_the_rules_is_a_registered_code() -> None:
    rules = Path(__file__).resolve().parent.parent / "rules"
    found: set[str] = set()
    for f in rules.glob("*.lp"):
        found |= set(re.findall(r"violation\(([a-z_]+),", f.read_text(encoding="utf-8")))
    assert found, "no violation atoms found in rules/*.lp"
    for code in found:
        assert RULE_ALIASES.get(code, code.replace("_", "-")) in CODES, code
