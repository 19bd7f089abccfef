"""``fix``'s edit writer: locating and editing the spans of a repair's actions in a
generated inventory (the repair itself is measured with the repair program)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from benchmarks.conftest import sized
from solver.fix.actions import Action, Repair
from solver.fix.edits import plan_edits
from solver.read import load


def _actions(data: dict[str, Any], n: int) -> tuple[Action, ...]:
    """`n` renames of machines and `n` removals of a machine's first tag."""
    out: list[Action] = []
    names = sorted(data["machines"])[:n]
    for name in names:
        out.append(Action(kind="rename", path=("machines", name), new=f"{name}-x"))
        if data["machines"][name].get("tags"):
            out.append(Action(kind="remove", path=("machines", name, "tags", 0)))
    return tuple(out)


@pytest.mark.parametrize("size", sized("1k", "10k", "100k"))
def test_plan_edits(benchmark: Any, inventory_file: Callable[[str], Path], size: str) -> None:
    path = str(inventory_file(size))
    actions = _actions(load(path).data, 100)

    def run() -> int:
        loaded = load(path)  # a fresh locator: nothing indexed yet
        plan = plan_edits(Repair(actions=actions), loaded)
        return len(plan.edited()[path] if path in plan.texts else "")

    assert benchmark(run) > 0
