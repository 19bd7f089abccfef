"""`inventory-solver diff` on a large fleet, next to `check` of the same clan (issue 13:
about twice the time of one `check`, since it checks the clan at both revisions).

A repository is built with the generated inventory committed; the work tree then has a
change (one machine more, one tag moved, one setting changed), and `diff HEAD` compares.
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
from benchmarks.generate import SIZES, generate

BIN = str(Path(sys.executable).with_name("inventory-solver"))


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE",)}
    env.pop("PRE_COMMIT", None)
    env["INVENTORY_SOLVER_NO_CACHE"] = "1"
    env.update(
        GIT_AUTHOR_NAME="b",
        GIT_AUTHOR_EMAIL="b@example.org",
        GIT_COMMITTER_NAME="b",
        GIT_COMMITTER_EMAIL="b@example.org",
    )
    return env


def make_repo(root: Path, size: str) -> Path:
    n, m = SIZES[size]
    data = generate(n, m, seed=0)
    repo = root / f"repo-{size}"
    repo.mkdir()
    inv = repo / "inventory.json"
    inv.write_text(json.dumps(data, indent=2, sort_keys=True))
    env = _env()
    for cmd in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "fleet"]):
        subprocess.run(["git", "-C", str(repo), *cmd], check=True, env=env)
    # the change under review
    names = sorted(data["machines"])
    first = data["machines"][names[0]]
    data["machines"]["new-machine"] = {"tags": list(first.get("tags", []))}
    first["tags"] = list(first.get("tags", []))[1:]
    inst = sorted(data["instances"])[0]
    roles = data["instances"][inst].setdefault("roles", {})
    role = sorted(roles)[0] if roles else "default"
    roles.setdefault(role, {}).setdefault("settings", {})["benchmarkChange"] = True
    inv.write_text(json.dumps(data, indent=2, sort_keys=True))
    return repo


def _runner(cmd: list[str], cwd: Path) -> Callable[[], int]:
    env = _env()

    def run() -> int:
        return subprocess.run(
            cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        ).returncode

    run()  # warm-up
    return run


@pytest.fixture(scope="module")
def repos(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    base = tmp_path_factory.mktemp("diff-repos")
    made: dict[str, Path] = {}

    def get(size: str) -> Path:
        if size not in made:
            made[size] = make_repo(base, size)
        return made[size]

    return get


@pytest.mark.parametrize("command", ["check", "diff"])
@pytest.mark.parametrize("size", sized("1k", "10k", "100k"))
def test_diff_vs_check(
    benchmark: Any, repos: Callable[[str], Path], size: str, command: str
) -> None:
    benchmark.group = f"diff-{size}"
    repo = repos(size)
    cmd = [BIN, "check", "inventory.json"] if command == "check" else [BIN, "diff", "HEAD"]
    run = _runner(cmd, repo)
    rounds = 1 if size == "100k" else 3
    code = benchmark.pedantic(run, rounds=rounds, iterations=1)
    assert code in (0, 1)


def _timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU user+sys of the process and its children) of one run of `cmd`."""
    import resource
    import time

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


@pytest.mark.parametrize("size", sized("10k"))
def test_diff_vs_check_interleaved(
    benchmark: Any, repos: Callable[[str], Path], size: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """One run each of `check`, `diff HEAD` (in one process, and with the base checked in
    a forked child) and `diff HEAD` of an unchanged work tree, in turn, several rounds:
    on a shared machine the load changes between runs, so only runs side by side compare.
    Wall and CPU time per run go to `extra_info` (and are printed with `-s`)."""
    repo = repos(size)
    same = repo.parent / f"same-{size}"
    if not same.exists():
        subprocess.run(["git", "clone", "-q", str(repo), str(same)], check=True, env=_env())
    env = _env()
    variants: dict[str, tuple[list[str], Path, dict[str, str]]] = {
        "check": ([BIN, "check", "inventory.json"], repo, env),
        "diff (one process)": (
            [BIN, "diff", "HEAD"],
            repo,
            {**env, "INVENTORY_SOLVER_DIFF_SERIAL": "1"},
        ),
        "diff (forked base)": (
            [BIN, "diff", "HEAD"],
            repo,
            {**env, "INVENTORY_SOLVER_DIFF_SERIAL": "0"},
        ),
        "diff, unchanged tree": ([BIN, "diff", "HEAD"], same, env),
    }
    for cmd, cwd, e in variants.values():  # warm-up
        _timed(cmd, cwd, e)
    got: dict[str, list[tuple[float, float]]] = {k: [] for k in variants}

    def one_round() -> None:
        for name, (cmd, cwd, e) in variants.items():
            got[name].append(_timed(cmd, cwd, e))

    benchmark.group = f"diff-interleaved-{size}"
    benchmark.pedantic(one_round, rounds=3, iterations=1)
    base = got["check"]
    lines = []
    for name, runs in got.items():
        ratios = [w / c[0] for (w, _), c in zip(runs, base, strict=True)]
        benchmark.extra_info[name] = [[round(w, 3), round(c, 3)] for w, c in runs]
        lines.append(
            f"{name}: wall {min(w for w, _ in runs):.2f}-{max(w for w, _ in runs):.2f} s, "
            f"CPU {min(c for _, c in runs):.2f}-{max(c for _, c in runs):.2f} s, "
            f"{min(ratios):.1f}-{max(ratios):.1f}x check (same round)"
        )
    with capsys.disabled():
        print("\n" + "\n".join(lines))
