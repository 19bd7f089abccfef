"""The broken-input corpus (tests/bad/): every file gives the exit code, the code and the
line:column written in tests/bad/expected.json (regenerate with tests/bad/make_corpus.py).

Plus the cases made at test time: a directory instead of a file, a missing file, a file
that cannot be read.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from solver.cli import cli

BAD = Path(__file__).parent / "bad"
EXPECTED: dict[str, dict[str, Any]] = json.loads(
    (BAD / "expected.json").read_text(encoding="utf-8")
)


def run_check(path: str, cwd: Path) -> tuple[int, dict[str, Any] | None, str]:
    runner = CliRunner()
    old = os.getcwd()
    os.chdir(cwd)
    try:
        out = runner.invoke(cli, ["check", path, "--format", "json", "--no-cache"])
    finally:
        os.chdir(old)
    assert out.exception is None or isinstance(out.exception, SystemExit), out.output
    assert "Traceback" not in out.output
    report = json.loads(out.stdout) if out.stdout.strip() else None
    return out.exit_code, report, out.output


def test_corpus_is_big_enough() -> None:
    assert len(EXPECTED) >= 60
    on_disk = {p.name for p in BAD.iterdir() if p.suffix == ".json" and p.name != "expected.json"}
    assert on_disk == set(EXPECTED)


# Known product bugs: the expectation says what the tool must report; strict xfail so
# that the fix is noticed.
KNOWN_BUGS: dict[str, str] = {}


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=pytest.mark.xfail(reason=KNOWN_BUGS[n], strict=True))
        if n in KNOWN_BUGS
        else n
        for n in sorted(EXPECTED)
    ],
)
def test_bad_input(name: str) -> None:
    want = EXPECTED[name]
    code, report, output = run_check(name, BAD)
    assert code == want["exit"], output
    assert report is not None, output  # json format prints the findings, also on exit 2
    if want["code"] is None:
        assert not [d for d in report["diagnostics"] if d["severity"] == "error"]
        return
    found = [
        (d["location"] or {}).get("line", 0) and (d["location"]["line"], d["location"]["column"])
        for d in report["diagnostics"]
        if d["code"] == want["code"]
    ]
    assert found, f"no {want['code']} in {[d['code'] for d in report['diagnostics']]}"
    assert (want["line"], want["column"]) in found, (name, found)
    for d in report["diagnostics"]:
        assert d["message"], d
        if d["location"] is not None:
            assert d["location"]["file"] == name


def test_directory_instead_of_a_file(tmp_path: Path) -> None:
    d = tmp_path / "inventory.json"
    d.mkdir()
    # a directory is read as a clan directory: with no inventory in it, not usable or empty
    code, _report, output = run_check(str(d), tmp_path)
    assert code in (0, 1, 2), output
    from solver.errors import InputError
    from solver.read.json_reader import read_json

    with pytest.raises(InputError) as exc:
        read_json(str(d))
    assert exc.value.diagnostics[0].code == "io-error"


def test_missing_file(tmp_path: Path) -> None:
    code, report, _ = run_check("nope.json", tmp_path)
    assert code == 2
    assert report is not None and report["diagnostics"][0]["code"] == "io-error"
    assert "nope.json" in report["diagnostics"][0]["message"]


def test_missing_file_text_format(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "solver", "check", str(tmp_path / "nope.json")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "io-error" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_permission_denied(tmp_path: Path) -> None:
    f = tmp_path / "inventory.json"
    f.write_text("{}", encoding="utf-8")
    f.chmod(0)
    try:
        code, report, _ = run_check(str(f), tmp_path)
    finally:
        f.chmod(0o644)
    assert code == 2
    assert report is not None and report["diagnostics"][0]["code"] == "io-error"


def test_permission_denied_even_as_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Root ignores file modes: simulate the refusal where the reader opens the file."""
    f = tmp_path / "inventory.json"
    f.write_text("{}", encoding="utf-8")
    real_open = os.open

    def deny(file: Any, *a: Any, **kw: Any) -> Any:
        if os.fspath(file) == os.path.realpath(f):
            raise PermissionError(13, "Permission denied", str(f))
        return real_open(file, *a, **kw)

    monkeypatch.setattr(os, "open", deny)
    code, report, _ = run_check(str(f), tmp_path)
    assert code == 2
    assert report is not None
    d = report["diagnostics"][0]
    assert d["code"] == "io-error" and "permission denied" in d["message"]


def test_unreadable_fifo_or_device(tmp_path: Path) -> None:
    """Reading something that is not a regular file ends with a message, not a hang:
    a device is never read."""
    code, report, _ = run_check("/dev/null", tmp_path)
    assert code == 2 and report is not None
    d = report["diagnostics"][0]
    assert d["code"] == "io-error" and "not read" in d["message"]
