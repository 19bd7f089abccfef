"""The text output of the bundled examples, pinned (plain-file snapshots).

Regenerate after an intended change with ``UPDATE_SNAPSHOTS=1 pytest tests/test_snapshots.py``
and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from solver.cli import cli

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"

CASES = {
    "mistakes-text": [
        "check",
        "examples/mistakes/inventory.json",
        "--modules",
        "examples/mistakes/modules.toml",
        "--color",
        "never",
    ],
    "mistakes-concise": [
        "check",
        "examples/mistakes/inventory.json",
        "--modules",
        "examples/mistakes/modules.toml",
        "--format",
        "concise",
    ],
    "mistakes-github": [
        "check",
        "examples/mistakes/inventory.json",
        "--modules",
        "examples/mistakes/modules.toml",
        "--format",
        "github",
    ],
    "one-instance-text": ["check", "examples/borgbackup-one-instance/inventory.json"],
    "clients-by-tag-resolve": ["resolve", "examples/borgbackup-clients-by-tag/inventory.json"],
    "two-instances-by-machine": [
        "resolve",
        "examples/borgbackup-two-instances/inventory.json",
        "--by",
        "machine",
    ],
    "one-instance-by-machine": [
        "resolve",
        "examples/borgbackup-one-instance/inventory.json",
        "--by",
        "machine",
    ],
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_snapshot(name: str) -> None:
    old = os.getcwd()
    os.chdir(ROOT)
    try:
        result = CliRunner().invoke(cli, [*CASES[name], "--no-cache"])
    finally:
        os.chdir(old)
    assert result.exit_code in (0, 1), result.output
    snap = SNAPSHOTS / f"{name}.txt"
    if os.environ.get("UPDATE_SNAPSHOTS"):
        snap.write_text(result.output, encoding="utf-8")
    assert result.output == snap.read_text(encoding="utf-8")
