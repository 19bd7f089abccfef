"""`inventory-solver fix` end to end next to `inventory-solver check`: fresh processes on
the generated fleets with their usual sprinkling of mistakes (benchmarks/generate.py),
and on the same fleet with two typos the *schema* reports (a settings key, a machine
key), whose renames `fix` checks once more before it keeps them.

Target (issue #14): `fix` (the repair, the text edits and the diff it prints, not
applied) under twice `check`.

    pytest benchmarks/test_fix.py --benchmark-enable
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from benchmarks.conftest import sized

BIN = str(Path(sys.executable).with_name("inventory-solver"))


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE",)}
    env.pop("PRE_COMMIT", None)
    env["INVENTORY_SOLVER_NO_CACHE"] = "1"
    return env


def with_schema_typos(src: Path, dest: Path) -> Path:
    """`src` with a misspelt settings key (renamed: the rules read settings, so `fix` checks
    the renamed inventory once more) and a misspelt machine key (renamed, no check)."""
    data = json.loads(src.read_text(encoding="utf-8"))
    data["machines"][sorted(data["machines"])[0]]["descripton"] = "typo"
    wg = next(k for k in sorted(data["instances"]) if k.startswith("wg-conflict"))
    data["instances"][wg]["roles"]["peer"]["settings"] = {"prot": 51820}
    dest.write_text(json.dumps(data, indent=2, sort_keys=True), encoding="utf-8")
    return dest


def _runner(cmd: list[str]) -> Callable[[], int]:
    def run() -> int:
        return subprocess.run(
            cmd, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        ).returncode

    run()  # warm-up: byte code compiled, files in the page cache
    return run


@pytest.mark.parametrize("command", ["check", "fix"])
@pytest.mark.parametrize("schema", [False, True], ids=["usual", "schema-typos"])
@pytest.mark.parametrize("size", sized("1k", "10k", "100k"))
def test_fix_cli(
    benchmark: Any,
    inventory_file: Callable[[str], Path],
    tmp_path: Path,
    size: str,
    schema: bool,
    command: str,
) -> None:
    benchmark.group = f"fix-{size}" + ("-schema" if schema else "")
    path = inventory_file(size)
    if schema:
        path = with_schema_typos(path, tmp_path / path.name)
    run = _runner([BIN, command, str(path)])
    rounds = 1 if size == "100k" else 3
    code = benchmark.pedantic(run, rounds=rounds, iterations=1)
    assert code == 1  # findings (check), a diff to show (fix)
