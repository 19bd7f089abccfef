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


# -- what a cached catalogue adds (issue 12 target: <= 5 ms added to `check`) ---------------


@pytest.fixture
def warm_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """clan-core read once into a private cache directory."""
    from solver.catalogue.source import read_modules

    monkeypatch.setenv("INVENTORY_SOLVER_CACHE_DIR", str(tmp_path / "cache"))
    root = str(_vendor())
    read_modules(root)
    return root


def test_cached_clan_core_catalogue(benchmark: Any, warm_cache: str) -> None:
    """`--clan-core PATH` from the cache: the entry, its stat signature, the layering."""
    from solver.catalogue.source import choose

    chosen = benchmark(choose, warm_cache, None)
    assert chosen.origin == "path" and len(chosen.catalogue.names("service")) >= 30


def test_cached_pinned_catalogue(benchmark: Any, warm_cache: str) -> None:
    """A pinned store path (immutable: the entry is used unchecked)."""
    from solver.catalogue.source import layered, read_modules

    def run() -> Any:
        modules, _ = read_modules(warm_cache, immutable=True)
        return layered(modules)

    cat = benchmark(run)
    assert len(cat.names("service")) >= 30


def _small_inventory(tmp_path: Path) -> Path:
    import json

    inv = {
        "machines": {f"m{i}": {"tags": ["all"]} for i in range(5)},
        "instances": {
            "sshd": {"module": {"name": "sshd"}, "roles": {"server": {"tags": {"all": {}}}}},
            "admin": {
                "module": {"name": "admin"},
                "roles": {"default": {"machines": {"m0": {"settings": {"allowedKeys": {}}}}}},
            },
        },
    }
    (tmp_path / ".git").mkdir(exist_ok=True)
    p = tmp_path / "inventory.json"
    p.write_text(json.dumps(inv))
    return p


def test_check_with_builtin_catalogue(benchmark: Any, tmp_path: Path) -> None:
    """Baseline for the next benchmark: `check` of a small inventory, built-in catalogue."""
    import solver

    inv = _small_inventory(tmp_path)
    report = benchmark(solver.check, inv)
    assert report is not None


def test_check_with_cached_clan_core(benchmark: Any, warm_cache: str, tmp_path: Path) -> None:
    """The same `check` against a cached `--clan-core` checkout: the difference to the
    baseline is what the cached catalogue adds."""
    import solver

    inv = _small_inventory(tmp_path)
    report = benchmark(solver.check, inv, clan_core=warm_cache)
    assert not [d for d in report.diagnostics if d.code == "catalogue-source"]
