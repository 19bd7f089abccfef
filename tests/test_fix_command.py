"""``inventory-solver fix`` with the real repair program (``solver.fix.repair``): after
``--apply`` the fixed findings are gone, and a second ``fix`` has nothing left to do."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).parents[1]
CLANS = ROOT / "tests" / "data" / "clans"


def _fix(*args: str) -> Any:
    from solver.cli import cli

    return CliRunner().invoke(cli, ["fix", *args])


def _findings(target: str, modules: tuple[str, ...] = ()) -> set[str]:
    from solver.api import check

    report = check(target, modules=modules)
    return {f"{d.code}@{d.path}" for d in report.diagnostics}


def _fixed_by_apply(folder: Path, target: str, *extra: str) -> list[str]:
    planned = _fix(target, "--format", "json", *extra)
    assert planned.exit_code in (0, 1), planned.output
    fixed: list[str] = json.loads(planned.stdout)["fixed"]
    applied = _fix(target, "--apply", *extra)
    assert applied.exit_code in (0, 1), applied.output
    assert "Traceback" not in applied.output
    return fixed


def test_examples_mistakes_fixed_in_one_apply(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "mistakes"
    shutil.copytree(ROOT / "examples" / "mistakes", folder)
    (folder / ".git").mkdir()
    monkeypatch.chdir(folder)
    catalogue = ("modules.toml",) if (folder / "modules.toml").exists() else ()
    modules = tuple(x for m in catalogue for x in ("--modules", m))
    before = _findings("inventory.json", catalogue)
    fixed = _fixed_by_apply(folder, "inventory.json", *modules)
    assert fixed, "the example has errors a repair fixes"
    assert set(fixed) <= before
    assert not set(fixed) & _findings("inventory.json", catalogue)
    again = _fix("inventory.json", *modules)
    assert again.exit_code == 0 and again.stdout == ""


@pytest.mark.parametrize("name", sorted(p.name for p in CLANS.iterdir() if p.is_dir()))
def test_fix_of_each_nix_fixture(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / name
    shutil.copytree(CLANS / name, folder, symlinks=True)
    (folder / ".git").mkdir()
    monkeypatch.chdir(folder)
    fixed = _fixed_by_apply(folder, ".")
    assert not set(fixed) & _findings(".")
