"""Project configuration: discovery, severity overrides, ignores, located errors."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from solver.cli import cli

INV = {
    "machines": {"jon": {}},
    "instances": {
        "sshd": {"roles": {"server": {"machines": {"jon": {}, "ghost": {}}}, "client": {}}}
    },
}


def _run(tmp_path: Path, config: str | None, name: str = "inventory-solver.toml", *args: str):
    (tmp_path / "inventory.json").write_text(json.dumps(INV, indent=2))
    if config is not None:
        (tmp_path / name).write_text(config)
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        return CliRunner().invoke(
            cli, ["check", "inventory.json", "--format", "json", "--no-cache", *args]
        )
    finally:
        os.chdir(old)


def _codes(result) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    data = json.loads(result.output)
    return [(d["code"], d["severity"]) for d in data["diagnostics"]]


def test_without_config(tmp_path: Path) -> None:
    r = _run(tmp_path, None)
    assert r.exit_code == 1
    assert sorted(_codes(r)) == [("empty-role", "warning"), ("unknown-machine", "error")]


def test_ignore_with_reason_is_counted(tmp_path: Path) -> None:
    r = _run(
        tmp_path,
        '[[ignore]]\ncode = "unknown-machine"\ninstance = "sshd"\nreason = "defined in Nix"\n',
    )
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert [d["code"] for d in data["diagnostics"]] == ["empty-role"]
    assert data["summary"]["ignored"] == 1


def test_unused_ignore_is_reported(tmp_path: Path) -> None:
    r = _run(
        tmp_path,
        'modules = []\n\n[[ignore]]\ncode = "unknown-machine"\nmachine = "nobody"\nreason = "x"\n',
    )
    data = json.loads(r.output)
    unused = [d for d in data["diagnostics"] if d["code"] == "unused-ignore"]
    assert len(unused) == 1
    assert unused[0]["location"]["file"] == "inventory-solver.toml"
    assert unused[0]["location"]["line"] == 3


def test_severity_override(tmp_path: Path) -> None:
    r = _run(tmp_path, '[severity]\nunknown-machine = "warning"\nempty-role = "off"\n')
    assert r.exit_code == 0
    assert _codes(r) == [("unknown-machine", "warning")]
    assert json.loads(r.output)["summary"]["ignored"] == 1


def test_pyproject_table_is_found(tmp_path: Path) -> None:
    r = _run(
        tmp_path,
        '[project]\nname = "x"\n\n[tool.inventory-solver.severity]\nunknown-machine = "info"\n',
        "pyproject.toml",
    )
    assert ("unknown-machine", "info") in _codes(r)


def test_config_found_from_subdirectory(tmp_path: Path) -> None:
    (tmp_path / "inventory-solver.toml").write_text('[severity]\nempty-role = "off"\n')
    sub = tmp_path / "clan"
    sub.mkdir()
    r = _run(sub, None)
    assert [c for c, _ in _codes(r)] == ["unknown-machine"]


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('[severity]\nempty-role = "loud"\n', 2),
        ('modules = []\n[[ignore]]\ncode = "x"\n', 2),
        ("bogus = 1\n", 1),
        ("[severity\n", 1),
    ],
)
def test_invalid_config_is_located_exit_2(tmp_path: Path, text: str, line: int) -> None:
    r = _run(tmp_path, text)
    assert r.exit_code == 2
    data = json.loads(r.output)
    d = data["diagnostics"][0]
    assert d["code"] == "config-error"
    assert d["location"]["file"] == "inventory-solver.toml"
    assert d["location"]["line"] == line
