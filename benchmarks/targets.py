"""Measure every target of issue 7 in one run and print the table for README.md.

    python benchmarks/targets.py            # everything but 100,000 machines (~2 min)
    python benchmarks/targets.py --big      # with 100,000 machines (~+2 min)

Every CLI time is the median of fresh processes (byte code compiled first, no result
cache unless stated); ratios compare numbers taken in this same run.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.generate import SIZES, generate

PY = sys.executable
BIN = str(Path(PY).with_name("inventory-solver"))


def env(cache: str | None = None) -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PRE_COMMIT")}
    if cache is None:
        e["INVENTORY_SOLVER_NO_CACHE"] = "1"
    else:
        e["INVENTORY_SOLVER_CACHE_DIR"] = cache
    return e


def timed(cmd: list[str], n: int, cache: str | None = None) -> float:
    e = env(cache)
    subprocess.run(cmd, env=e, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ts = []
    for _ in range(n):
        t = time.perf_counter()
        subprocess.run(cmd, env=e, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def peak_rss_mb(cmd: list[str]) -> tuple[float, float]:
    """(seconds, peak RSS in MB) of one run, measured in a wrapper process."""
    code = (
        "import resource, subprocess, sys, time; t = time.perf_counter(); "
        "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
        "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = subprocess.run([PY, "-c", code, *cmd], env=env(), capture_output=True, text=True)
    secs, kb = out.stdout.split()
    return float(secs), int(kb) / 1024


def oracle_vs_clingo(path: Path) -> tuple[float, float]:
    """(pure-Python oracle membership, clingo path facts + ground + solve + read-back)."""
    code = f"""
import json, time, sys
sys.path.insert(0, {str(Path(__file__).resolve().parent.parent)!r})
from tests import oracle
from solver.read import load
from solver.model import validate
from solver.catalogue import load as lc
from solver import facts, settings
from solver.solve import solve
loaded = load({str(path)!r}); inv, _ = validate(loaded.data, loaded.locator); cat = lc()
solve("", resolve=True)  # imports
t = time.perf_counter(); oracle.membership(loaded.data); o = time.perf_counter() - t
t = time.perf_counter()
prog, side = facts.build(inv, cat)
solve(prog, resolve=True)
c = time.perf_counter() - t
print(o, c)
"""
    out = subprocess.run([PY, "-c", code], env=env(), capture_output=True, text=True, check=True)
    o, c = out.stdout.split()
    return float(o), float(c)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--big", action="store_true")
    ap.add_argument("-n", type=int, default=5, help="runs per CLI median")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="inventory-solver-bench-")
    files: dict[str, str] = {}
    for size in ["precommit", "5k1k", "10k"] + (["100k"] if a.big else []):
        n, m = SIZES[size]
        files[size] = os.path.join(tmp, f"inv-{size}.json")
        with open(files[size], "w") as fh:
            json.dump(generate(n, m, seed=0), fh, indent=2, sort_keys=True)
    rows: list[tuple[str, str, str, str]] = []

    def row(what: str, measured: str, target: str, ok: bool) -> None:
        rows.append((what, measured, target, "met" if ok else "NOT met"))
        print(f"{what}: {measured} (target {target})", file=sys.stderr)

    n = a.n
    t_pass = timed([PY, "-c", "pass"], 3 * n)
    t_imp = timed([PY, "-c", "import clingo, pydantic, click"], 3 * n)
    t_pc = timed([BIN, "check", files["precommit"]], 3 * n)
    row(
        "pre-commit `check`, 30 machines / 40 instances",
        f"{t_pc * 1000:.0f} ms = {t_pc / t_imp:.2f}× imports ({t_imp * 1000:.0f} ms)",
        "≤ 1.5×",
        t_pc <= 1.5 * t_imp,
    )
    cache = os.path.join(tmp, "cache")
    t_hit = timed([BIN, "check", files["precommit"]], 3 * n, cache=cache)
    t_hit_m = timed([PY, "-m", "solver", "check", files["precommit"]], 3 * n, cache=cache)
    row(
        "cache hit (`inventory-solver check`, unchanged 30/40)",
        f"{t_hit * 1000:.1f} ms = {t_hit / t_pass:.2f}× `python -c pass` ({t_pass * 1000:.1f} ms); "
        f"`python -m solver`: {t_hit_m * 1000:.1f} ms",
        "≤ 1.2×",
        t_hit <= 1.2 * t_pass,
    )
    t_hit10 = timed([BIN, "check", files["10k"]], 3 * n, cache=cache)
    row(
        "cache hit, 10,000 machines",
        f"{t_hit10 * 1000:.1f} ms = {t_hit10 / t_pass:.2f}× `python -c pass`",
        "≤ 1.2×",
        t_hit10 <= 1.2 * t_pass,
    )
    c5 = timed([BIN, "check", files["5k1k"]], n)
    # memberships + merged settings: the JSON view (the text view by instance merges none)
    r5 = timed([BIN, "resolve", "--format", "json", files["5k1k"]], n)
    row(
        "`check` 5,000 machines / 1,000 instances (settings checks included)",
        f"{c5:.2f} s",
        "< 0.6 s",
        c5 < 0.6,
    )
    row(
        "`resolve --format json` 5k/1k (memberships + merged settings)",
        f"{r5:.2f} s",
        "< 1.1 s",
        r5 < 1.1,
    )
    c10 = timed([BIN, "check", files["10k"]], n)
    r10 = timed([BIN, "resolve", files["10k"]], n)
    row("`check` 10,000 machines", f"{c10:.2f} s", "< 1 s", c10 < 1.0)
    row(
        "`resolve` / `check` at 10,000",
        f"{r10 / c10:.2f}× ({r10:.2f} s)",
        "≤ 1.5×",
        r10 <= 1.5 * c10,
    )
    r10j = timed([BIN, "resolve", "--format", "json", files["10k"]], n)
    row(
        "`resolve --format json` / `check` at 10,000 (with merged settings)",
        f"{r10j / c10:.2f}× ({r10j:.2f} s)",
        "≤ 1.5×",
        r10j <= 1.5 * c10,
    )
    if a.big:
        c100, rss = peak_rss_mb([BIN, "check", files["100k"]])
        r100, rss_r = peak_rss_mb([BIN, "resolve", files["100k"]])
        row(
            "`check` 100,000 machines",
            f"{c100:.1f} s, peak RSS {rss:.0f} MB",
            "< 8 s, < 1.5 GB",
            c100 < 8 and rss < 1536,
        )
        row(
            "`resolve` / `check` at 100,000",
            f"{r100 / c100:.2f}× ({r100:.1f} s, {rss_r:.0f} MB)",
            "≤ 1.5×",
            r100 <= 1.5 * c100,
        )
        row("growth `check` 100k / 10k", f"{c100 / c10:.1f}×", "≤ 12×", c100 <= 12 * c10)
        # The worst fan-out: 20 more instances give a role to tag `all` (2,000,000 more
        # memberships): memory stays bounded and the user is told the resolution is huge.
        data = generate(*SIZES["100k"], seed=0)
        for k in range(20):
            data["instances"][f"fanout-{k}"] = {
                "module": {"name": "packages"},
                "roles": {"default": {"tags": {"all": {}}}},
            }
        worst = os.path.join(tmp, "inv-fanout.json")
        with open(worst, "w") as fh:
            json.dump(data, fh, indent=2, sort_keys=True)
        cw, rss_w = peak_rss_mb([BIN, "check", worst])
        warned = (
            '"fanout"'
            in subprocess.run(
                [BIN, "check", worst, "--format", "json"], env=env(), capture_output=True, text=True
            ).stdout
        )
        row(
            "worst fan-out: 100,000 machines + 20 instances on tag `all` (`check`)",
            f"{cw:.1f} s, peak RSS {rss_w:.0f} MB, `fanout` warning: {'yes' if warned else 'no'}",
            "< 1.5 GB, user told",
            rss_w < 1536 and warned,
        )
    o, c = oracle_vs_clingo(Path(files["10k"]))
    row(
        "membership at 10k: clingo (facts+ground+solve+read-back) vs tests/oracle.py",
        f"{c:.2f} s vs {o:.2f} s = {c / o:.2f}×",
        "≤ 3×",
        c <= 3 * o,
    )
    print(
        f"Measured {datetime.date.today().isoformat()}, {os.cpu_count()} cores, Python {sys.version.split()[0]}\n"
    )
    print("| target | measured | goal | status |\n|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
