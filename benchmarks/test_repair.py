"""The repair computation (issue #14) next to `check`, in process, on the generated fleets
with their usual sprinkling of mistakes (benchmarks/generate.py).

Target: computing the repair (and applying it to the data) under twice `check` (findings
only, as the command runs it). Both sides start from the file: read, then check / repair.

    pytest benchmarks/test_repair.py --benchmark-enable
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from benchmarks.conftest import sized


def _check(path: Path) -> Callable[[], Any]:
    def run() -> Any:
        from solver.api import Options, run
        from solver.read import load

        # findings only, as `inventory-solver check` runs it
        opts = Options(clan_path=str(path), resolve=False, settings=False)
        return run(load(str(path)), opts)

    return run


def _fix(path: Path) -> Callable[[], Any]:
    def run() -> Any:
        from solver.api import Options
        from solver.fix.apply_data import apply_actions
        from solver.fix.repair import compute_repair
        from solver.read import load

        loaded = load(str(path))
        repair = compute_repair(loaded, Options(clan_path=str(path)))
        return repair, apply_actions(loaded.data, repair.actions)

    return run


@pytest.mark.parametrize("what", ["check", "repair"])
@pytest.mark.parametrize("size", sized("1k", "10k", "100k"))
def test_repair(
    benchmark: Any, inventory_file: Callable[[str], Path], size: str, what: str
) -> None:
    benchmark.group = f"repair-{size}"
    path = inventory_file(size)
    fn = _check(path) if what == "check" else _fix(path)
    rounds = 1 if size == "100k" else 3
    got = benchmark.pedantic(fn, rounds=rounds, iterations=1, warmup_rounds=1)
    if what == "repair":
        repair, _ = got
        # every generated mistake that is an error has a repair
        assert repair.actions
        assert repair.unfixed == ()
