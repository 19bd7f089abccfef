"""End to end, as a user runs it: fresh processes of `inventory-solver check|resolve`,
next to the baselines the targets are stated against (`python -c pass`,
`python -c "import clingo, pydantic, click"`) and the cached answer."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from benchmarks.conftest import sized

BIN = str(Path(sys.executable).with_name("inventory-solver"))


def _env(cache: Path | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE",)}
    env.pop("PRE_COMMIT", None)
    if cache is None:
        env["INVENTORY_SOLVER_NO_CACHE"] = "1"
    else:
        env["INVENTORY_SOLVER_CACHE_DIR"] = str(cache)
    return env


def _runner(cmd: list[str], env: dict[str, str]) -> Callable[[], int]:
    def run() -> int:
        return subprocess.run(
            cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        ).returncode

    run()  # warm-up: byte code compiled, files in the page cache
    return run


@pytest.mark.parametrize(
    "code", ["pass", "import clingo, pydantic, click"], ids=["python", "imports"]
)
def test_baseline(benchmark: Any, code: str) -> None:
    benchmark.group = "baseline"
    benchmark(_runner([sys.executable, "-c", code], _env(None)))


@pytest.mark.parametrize("command", ["check", "resolve"])
@pytest.mark.parametrize("size", sized("precommit", "1k", "5k1k", "10k", "100k"))
def test_cli(
    benchmark: Any, inventory_file: Callable[[str], Path], size: str, command: str
) -> None:
    benchmark.group = f"cli-{size}"
    run = _runner([BIN, command, str(inventory_file(size))], _env(None))
    rounds = 1 if size == "100k" else 3 if size in ("10k", "5k1k") else 10
    code = benchmark.pedantic(run, rounds=rounds, iterations=1)
    assert code in (0, 1)


@pytest.mark.parametrize("size", sized("precommit", "10k"))
def test_cli_cached(
    benchmark: Any, inventory_file: Callable[[str], Path], size: str, tmp_path: Path
) -> None:
    benchmark.group = "cached"
    run = _runner([BIN, "check", str(inventory_file(size))], _env(tmp_path))
    assert benchmark(run) in (0, 1)
