"""Benchmark fixtures: generated inventories (cached per session), the 100k case opt-in.

pytest benchmarks --benchmark-enable            # default sizes, a few minutes
pytest benchmarks --benchmark-enable --big      # also 100,000 machines
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from benchmarks.generate import SIZES, generate


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--big", action="store_true", help="also run the 100,000-machine case")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "big: the 100,000-machine case (needs --big)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--big"):
        return
    skip = pytest.mark.skip(reason="100,000 machines: run with --big")
    for item in items:
        if "big" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def inventory_file(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """`inventory_file("10k")` -> path of the generated inventory (seed 0) of that size."""
    base = tmp_path_factory.mktemp("inventories")
    made: dict[str, Path] = {}

    def get(size: str) -> Path:
        if size not in made:
            n, m = SIZES[size]
            p = base / f"inv-{size}.json"
            p.write_text(json.dumps(generate(n, m, seed=0), indent=2, sort_keys=True))
            made[size] = p
        return made[size]

    return get


def sized(*names: str) -> list[object]:
    """Parameters for the sizes `names`; "100k" carries the `big` marker."""
    return [pytest.param(s, marks=pytest.mark.big) if s == "100k" else s for s in names]
