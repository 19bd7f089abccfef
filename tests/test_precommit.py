"""The hook, end to end, with the real pre-commit package (`pre-commit try-repo`)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

GOOD = '{\n  "machines": {"jon": {}},\n  "instances": {"sshd": {"roles": {"server": {"machines": {"jon": {}}}}}}\n}\n'
BAD = '{\n  "machines": {"jon": {}},\n  "instances": {"sshd": {"roles": {"server": {"machines": {"jhon": {}}}}}}\n}\n'


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


def _try_repo(repo: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PRE_COMMIT_HOME=str(home))
    env.pop("PRE_COMMIT", None)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pre_commit",
            "try-repo",
            str(ROOT),
            "inventory-solver",
            "--all-files",
        ],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def _clan(tmp_path: Path, text: str) -> Path:
    repo = tmp_path / "clan"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / "inventory.json").write_text(text, encoding="utf-8")
    _git(repo, "add", "inventory.json")
    _git(repo, "commit", "-qm", "clan")
    return repo


def test_hook_fails_on_bad_inventory_with_located_finding(tmp_path: Path, home: Path) -> None:
    before = BAD.encode()
    repo = _clan(tmp_path, BAD)
    proc = _try_repo(repo, home)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "inventory.json:3:60: error[unknown-machine]" in out
    assert "did you mean" not in out or "jon" in out
    assert (repo / "inventory.json").read_bytes() == before


def test_hook_passes_on_good_inventory(tmp_path: Path, home: Path) -> None:
    repo = _clan(tmp_path, GOOD)
    proc = _try_repo(repo, home)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Passed" in proc.stdout
