"""Inline suppressions (solver/suppress.py): finding the `# inventory-solver:` comments of
a parsed .nix file. A file without the marker costs one substring search; each comment
is one lookup in the syntax tree."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

MACHINES = 10_000


def _nix(tmp_path: Path, every: int | None) -> Path:
    lines = ["{", "  inventory.machines = {"]
    for n in range(MACHINES):
        line = f'    m{n} = {{ tags = [ "t{n % 7}" ]; }};'
        if every is not None and n % every == 0:
            line += " # inventory-solver: ignore[unknown-tag] generated"
        lines.append(line)
    lines += ["  };", "}", ""]
    path = tmp_path / "clan.nix"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@pytest.mark.parametrize("every", [None, 100, 1], ids=["none", "1-in-100", "every-line"])
def test_scan_10k_lines(benchmark: Any, tmp_path: Path, every: int | None) -> None:
    from solver.read.nix.parse import parse_file
    from solver.suppress import scan

    path = _nix(tmp_path, every)
    src = parse_file(str(path), "clan.nix")
    found = benchmark(scan, src)
    assert len(found) == (0 if every is None else MACHINES // every)
