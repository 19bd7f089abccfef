"""Static reading of a clan in Nix (issue 5): a 300-line flake.nix must read in well
under the time it takes to start Python."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LARGE = ROOT / "tests" / "data" / "clans" / "large300"


def test_read_300_line_flake(benchmark: Any) -> None:
    from solver.read.nix.clan import load_clan

    lines = (LARGE / "flake.nix").read_text(encoding="utf-8").count("\n")
    assert lines >= 300
    loaded = benchmark(load_clan, str(LARGE))
    assert len(loaded.data["instances"]) > 20


def test_python_startup_for_comparison(benchmark: Any) -> None:
    """The yardstick: `python -c pass` in a fresh process (run in the same session)."""

    def start() -> float:
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        return time.perf_counter() - t

    benchmark.pedantic(start, rounds=10, iterations=1)
