"""Limits: very deep nesting, a large inventory, a 100,000-element list, a big settings
tree. Each either works within a time bound or stops with a clear message (exit 2);
never a hang, never a traceback.

Runs the CLI in a subprocess with a timeout (a hang fails the test instead of hanging
the suite). The biggest cases are marked slow (``pytest --runslow``).

Measured on the development machine (CLI, cold process):
  100,000-level nesting (lists or objects)  exit 2 too-deep         ~0.4 s
  100,000 tags on a machine (1 MB)          exit 0                  ~1.5 s
  100,000 unknown tags in a role            exit 1, 100,000 warnings ~6.5 s (was ~99 s)
  settings tree, 100,000 leaves (1 MB)      exit 1                  ~5.6 s
  10 MB inventory, 38,000 machines          exit 1                  ~8 s
  settings tree, 1,000,000 leaves (10 MB)   exit 1                  ~76 s  (slow; time
                                            is grounding the settings facts + settings.py)
  50 MB inventory, 190,000 machines         exit 1                  ~63 s  (slow)
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

CLI = [sys.executable, "-m", "solver"]


def run(path: Path, *args: str, timeout: float = 120) -> tuple[int, str, str, float]:
    start = time.perf_counter()
    proc = subprocess.run(
        [*CLI, "check", str(path), "--format", "concise", "--no-cache", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=path.parent,
    )
    elapsed = time.perf_counter() - start
    assert proc.returncode in (0, 1, 2), proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, proc.stderr[
        -2000:
    ]
    if proc.returncode == 2:
        assert proc.stderr.strip() or proc.stdout.strip()
    return proc.returncode, proc.stdout, proc.stderr, elapsed


def write(tmp_path: Path, data: Any) -> Path:
    p = tmp_path / "inventory.json"
    p.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return p


@pytest.mark.parametrize("opener,closer", [("[", "]"), ('{"a": ', "}")])
def test_deep_nesting_100k(tmp_path: Path, opener: str, closer: str) -> None:
    p = write(tmp_path, '{"machines": ' + opener * 100_000 + "{}" + closer * 100_000 + "}")
    code, out, err, _ = run(p)
    assert code == 2
    assert "too-deep" in out + err and "inventory.json:1:1" in out + err


def test_deep_settings_nesting_just_below_the_limit(tmp_path: Path) -> None:
    """A settings tree nested 500 deep is valid JSON: it must work or stop cleanly."""
    deep: Any = 1
    for _ in range(500):
        deep = {"k": deep}
    p = write(
        tmp_path,
        {
            "machines": {"a": {}},
            "instances": {"i": {"roles": {"r": {"machines": {"a": {}}, "settings": deep}}}},
        },
    )
    code, _, _, _ = run(p, timeout=120)
    assert code in (0, 1, 2)


def test_list_100k(tmp_path: Path) -> None:
    p = write(tmp_path, {"machines": {"a": {"tags": [f"t{i}" for i in range(100_000)]}}})
    code, out, _, elapsed = run(p)
    assert code == 0, out
    assert elapsed < 30


def test_role_with_100k_unknown_tags(tmp_path: Path) -> None:
    """Regression: locating each unknown tag was a list.index per tag (quadratic, ~99 s)."""
    inv = {
        "machines": {f"m{i}": {} for i in range(100)},
        "instances": {"sshd": {"roles": {"server": {"tags": [f"t{i}" for i in range(100_000)]}}}},
    }
    code, out, _, elapsed = run(write(tmp_path, inv))
    assert code in (0, 1)
    # every unknown tag (the instance they empty is a related note of each, not a finding)
    assert "100000 warnings" in out
    assert elapsed < 45


def test_top_level_tag_with_50k_undefined_machines(tmp_path: Path) -> None:
    inv = {"machines": {"a": {}}, "tags": {"t": [f"ghost{i}" for i in range(50_000)]}}
    code, _, _, elapsed = run(write(tmp_path, inv))
    assert code in (0, 1)
    assert elapsed < 45


def test_long_names(tmp_path: Path) -> None:
    """Regression: did-you-mean on 10,000-character names took minutes (quadratic)."""
    names = ["m" * 10_000 + str(i) for i in range(5)]
    inv = {
        "machines": {n: {} for n in names},
        "instances": {"sshd": {"roles": {"server": {"machines": {n + "x": {} for n in names}}}}},
    }
    code, _, _, elapsed = run(write(tmp_path, inv))
    assert code == 1
    assert elapsed < 20


def _tree(leaves: int, fan: int = 10) -> Any:
    if leaves <= fan:
        return {f"k{i}": i for i in range(leaves)}
    return {f"k{i}": _tree(leaves // fan, fan) for i in range(fan)}


def _settings_inventory(leaves: int) -> dict[str, Any]:
    return {
        "machines": {"a": {}},
        "instances": {
            "i": {
                "module": {"name": "x", "input": "self"},
                "roles": {"r": {"machines": {"a": {}}, "settings": _tree(leaves)}},
            }
        },
    }


def test_settings_tree_100k_leaves(tmp_path: Path) -> None:
    code, _, _, elapsed = run(write(tmp_path, _settings_inventory(100_000)))
    assert code in (0, 1)
    assert elapsed < 45


@pytest.mark.slow
def test_settings_tree_1m_leaves(tmp_path: Path) -> None:
    code, _, _, _ = run(write(tmp_path, _settings_inventory(1_000_000)), timeout=600)
    assert code in (0, 1, 2)


def _large(machines: int) -> dict[str, Any]:
    inv: dict[str, Any] = {
        "machines": {
            f"machine-{i:06d}": {"tags": [f"rack{i % 50}", "fleet"], "description": "x" * 200}
            for i in range(machines)
        },
        "instances": {},
    }
    for j in range(50):
        inv["instances"][f"inst{j}"] = {
            "module": {"name": "sshd"},
            "roles": {"server": {"tags": [f"rack{j}"]}, "client": {"tags": {"fleet": {}}}},
        }
    return inv


def test_large_inventory_10mb(tmp_path: Path) -> None:
    p = write(tmp_path, _large(38_000))
    assert p.stat().st_size > 9_000_000
    code, _, _, elapsed = run(p, timeout=300)
    assert code in (0, 1)
    assert elapsed < 120


@pytest.mark.slow
def test_large_inventory_50mb(tmp_path: Path) -> None:
    p = write(tmp_path, _large(190_000))
    assert p.stat().st_size > 45_000_000
    code, _, _, _ = run(p, timeout=600)
    assert code in (0, 1, 2)


def test_input_too_large(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the size limit: a clear input-too-large (limit lowered for the test)."""
    from click.testing import CliRunner

    from solver import files
    from solver.cli import cli

    monkeypatch.setattr(files, "MAX_BYTES", 1024)
    p = write(tmp_path, {"machines": {f"m{i}": {} for i in range(200)}})
    out = CliRunner().invoke(cli, ["check", str(p), "--format", "json"])
    assert out.exit_code == 2
    assert json.loads(out.stdout)["diagnostics"][0]["code"] == "input-too-large"
