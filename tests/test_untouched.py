"""Nothing touched: every command leaves its inputs byte-identical (and adds no file next
to them); ``--output FILE`` is written atomically (a temporary file in the same folder,
then a rename): on failure no partial file is left and an existing file is unchanged."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from solver.cli import cli

ROOT = Path(__file__).resolve().parent.parent


def snapshot(folder: Path) -> dict[str, tuple[str, int, float]]:
    out = {}
    for p in sorted(folder.rglob("*")):
        st = p.stat()
        digest = hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
        out[str(p.relative_to(folder))] = (digest, st.st_mode, st.st_mtime)
    return out


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clan directory, a JSON inventory, a catalogue, a config and a policy file."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    proj = tmp_path / "proj"
    shutil.copytree(ROOT / "tests" / "data" / "clans" / "withjson", proj / "clan")
    (proj / "inventory.json").write_text(
        json.dumps(
            {
                "machines": {"jon": {"tags": ["web"]}, "sara": {}},
                "instances": {
                    "sshd": {
                        "roles": {
                            "server": {"machines": {"jon": {"settings": {"x": 1}}}, "tags": ["all"]}
                        }
                    },
                    "dns": {
                        "module": {"name": "dns", "input": "self"},
                        "roles": {"primary": {"machines": {"ghost": {}}}},
                    },
                },
            },
            indent=2,
        ),
        encoding="utf-8",
    )
    shutil.copy(ROOT / "examples" / "mistakes" / "modules.toml", proj / "modules.toml")
    (proj / "inventory-solver.toml").write_text(
        'modules = ["modules.toml"]\n[severity]\nempty-role = "info"\n', encoding="utf-8"
    )
    policies = sorted((ROOT / "examples" / "policies").glob("*.lp"))
    if policies:
        shutil.copy(policies[0], proj / "policy.lp")
    for p in proj.rglob("*"):  # read-only inputs: a write would fail loudly for non-root
        if p.is_file():
            p.chmod(0o444)
    return proj


def _commands(proj: Path) -> list[list[str]]:
    inv = str(proj / "inventory.json")
    clan = str(proj / "clan")
    extra = [
        "--modules",
        str(proj / "modules.toml"),
        "--config",
        str(proj / "inventory-solver.toml"),
    ]
    if (proj / "policy.lp").exists():
        extra += ["--rules", str(proj / "policy.lp")]
    cmds: list[list[str]] = []
    for target in (inv, clan):
        for fmt in ("text", "json", "sarif", "concise", "github"):
            cmds.append(["check", target, "--format", fmt])
        cmds.append(["check", target, *extra])
        cmds.append(["resolve", target, "--format", "json", *extra])
        cmds.append(["resolve", target, "--by", "machine"])
        cmds.append(["explain", "jon", target])
        cmds.append(["explain", "unknown-tag", target])
        cmds.append(["check", target])  # second run: from the cache, if any
    return cmds


def test_inputs_are_byte_identical_after_every_command(project: Path) -> None:
    before = snapshot(project)
    old = os.getcwd()
    os.chdir(project)
    try:
        for args in _commands(project):
            out = CliRunner().invoke(cli, args)
            assert out.exit_code in (0, 1, 2), (args, out.output)
            assert "internal error" not in out.output, (args, out.output)
            assert snapshot(project) == before, args
    finally:
        os.chdir(old)


def test_output_file_is_complete(project: Path, tmp_path: Path) -> None:
    target = tmp_path / "out" / "report.json"
    target.parent.mkdir()
    for cmd in (["check", "--format", "json"], ["resolve", "--format", "json"]):
        out = CliRunner().invoke(cli, [*cmd, str(project / "inventory.json"), "-o", str(target)])
        assert out.exit_code in (0, 1), out.output
        json.loads(target.read_text(encoding="utf-8"))
        assert os.listdir(target.parent) == ["report.json"]  # no temporary file left


def test_output_file_untouched_when_the_write_fails(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "report.json"
    target.write_text("previous report\n", encoding="utf-8")

    def broken_replace(src: Any, dst: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    out = CliRunner().invoke(cli, ["check", str(project / "inventory.json"), "-o", str(target)])
    assert out.exit_code == 2
    assert "cannot write" in out.output and "internal error" not in out.output
    assert target.read_text(encoding="utf-8") == "previous report\n"
    assert not [n for n in os.listdir(tmp_path) if n.startswith(".inventory-solver-")]


def test_output_file_untouched_when_interrupted(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure half-way through the write (here: while writing the text)."""
    import solver.commands.common as common

    target = tmp_path / "report.json"
    target.write_text("previous report\n", encoding="utf-8")
    real_fdopen = os.fdopen

    class Half:
        def __init__(self, fh: Any) -> None:
            self.fh = fh

        def __enter__(self) -> Half:
            return self

        def __exit__(self, *a: Any) -> None:
            self.fh.close()

        def write(self, text: str) -> None:
            self.fh.write(text[: len(text) // 2])
            raise KeyboardInterrupt

    monkeypatch.setattr(common.os, "fdopen", lambda fd, *a, **kw: Half(real_fdopen(fd, *a, **kw)))
    out = CliRunner().invoke(cli, ["check", str(project / "inventory.json"), "-o", str(target)])
    assert out.exit_code != 0
    assert target.read_text(encoding="utf-8") == "previous report\n"
    assert not [n for n in os.listdir(tmp_path) if n.startswith(".inventory-solver-")]


def test_output_file_not_created_for_unusable_input(tmp_path: Path) -> None:
    bad = tmp_path / "inventory.json"
    bad.write_text("{", encoding="utf-8")
    target = tmp_path / "report.json"
    out = CliRunner().invoke(cli, ["check", str(bad), "--format", "json", "-o", str(target)])
    assert out.exit_code == 2
    assert not target.exists()
    assert sorted(os.listdir(tmp_path)) == ["inventory.json"]


def test_output_into_a_missing_folder_is_a_clear_error(project: Path, tmp_path: Path) -> None:
    """Regression: was "internal error (FileNotFoundError ...); this is a bug"."""
    out = CliRunner().invoke(
        cli, ["check", str(project / "inventory.json"), "-o", str(tmp_path / "no" / "r.json")]
    )
    assert out.exit_code == 2
    assert "io-error" in out.output and "cannot write" in out.output
    assert "internal error" not in out.output
