"""Did-you-mean in a large fleet: narrowed through an index, still finds a typo."""

from __future__ import annotations

from solver.render.suggest import BIG_POOL, did_you_mean


def test_big_pool_finds_a_typo_in_the_middle() -> None:
    pool = {f"web-{i:05d}-eu" for i in range(BIG_POOL + 1000)} | {"backup-server-frankfurt"}
    assert did_you_mean("backup-sever-frankfurt", pool) == ["backup-server-frankfurt"]
