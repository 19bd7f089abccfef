"""Reading a clan-core checkout's services (issue 12 target: <= 1 s uncached)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from solver.catalogue.clancore import read_checkout


def _vendor() -> Path:
    here = Path(__file__).resolve()
    for up in (here.parents[1] / "..", here.parents[2] / ".."):
        p = up / "shared" / "vendor" / "clan-core"
        if (p / "clanServices").is_dir():
            return p
    pytest.skip("the clan-core snapshot (../shared/vendor/clan-core) is not present")


def test_read_clan_core_checkout(benchmark: Any) -> None:
    root = str(_vendor())
    cat = benchmark(read_checkout, root)
    assert len(cat.modules) >= 30
