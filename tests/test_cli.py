"""The command line as a user meets it: exit codes, formats, colour, output files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from solver.cli import cli

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
WARN_ONLY = '{\n  "machines": {"a": {}},\n  "instances": {"sshd": {"roles": {"server": {"tags": ["nope"]}}}}\n}\n'


def invoke(*args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, [*args], env=env)


@pytest.fixture
def warn_only(tmp_path: Path) -> Path:
    f = tmp_path / "inventory.json"
    f.write_text(WARN_ONLY)
    return f


def test_clean_example_exits_0() -> None:
    r = invoke("check", str(EXAMPLES / "borgbackup-two-instances" / "inventory.json"), "--no-cache")
    assert r.exit_code == 0
    assert "no problems found" in r.output


def test_fail_on_warning(warn_only: Path) -> None:
    assert invoke("check", str(warn_only), "--no-cache").exit_code == 0
    assert invoke("check", str(warn_only), "--no-cache", "--fail-on", "warning").exit_code == 1


def test_exit_zero_but_still_2_on_unusable(tmp_path: Path) -> None:
    mistakes = EXAMPLES / "mistakes" / "inventory.json"
    assert invoke("check", str(mistakes), "--no-cache").exit_code == 1
    assert invoke("check", str(mistakes), "--no-cache", "--exit-zero").exit_code == 0
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    r = invoke("check", str(bad), "--no-cache", "--exit-zero")
    assert r.exit_code == 2
    assert "bad.json:1:2" in r.output


def test_missing_file_exit_2_without_traceback(tmp_path: Path) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "solver", "check", str(tmp_path / "nope.json"), "--no-cache"],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert "no such file" in r.stderr


def test_concise_format(warn_only: Path) -> None:
    r = invoke("check", str(warn_only), "--no-cache", "--format", "concise")
    line = next(ln for ln in r.output.splitlines() if "unknown-tag" in ln)
    assert line.endswith(
        "inventory.json:3:56: warning[unknown-tag] Service instance 'sshd': - server tags: "
        "no machine with tag 'nope' found."
    )


def test_json_format_is_versioned(warn_only: Path) -> None:
    data = json.loads(invoke("check", str(warn_only), "--no-cache", "--format", "json").output)
    assert data["version"] == 1
    d = next(x for x in data["diagnostics"] if x["code"] == "unknown-tag")
    assert set(d) >= {"code", "severity", "message", "path", "location", "related", "hint"}
    assert d["location"]["line"] == 3 and d["location"]["column"] == 56


def test_no_color_env_and_always(warn_only: Path) -> None:
    plain = invoke("check", str(warn_only), "--no-cache", "--color", "always", env={"NO_COLOR": ""})
    assert "\x1b[" in plain.output  # --color always wins over an empty NO_COLOR
    off = invoke("check", str(warn_only), "--no-cache", env={"NO_COLOR": "1"})
    assert "\x1b[" not in off.output
    never = invoke("check", str(warn_only), "--no-cache", "--color", "never")
    assert "\x1b[" not in never.output


def test_pre_commit_env_defaults_to_concise(warn_only: Path) -> None:
    r = invoke("check", str(warn_only), "--no-cache", env={"PRE_COMMIT": "1"})
    # one finding for one cause: the unknown tag (it empties the instance: a related note)
    assert r.output.splitlines()[0].endswith("no machine with tag 'nope' found.")
    assert "-->" not in r.output


def test_output_file_written_and_input_untouched(warn_only: Path, tmp_path: Path) -> None:
    before = warn_only.read_bytes()
    out = tmp_path / "report.json"
    r = invoke("check", str(warn_only), "--no-cache", "--format", "json", "-o", str(out))
    assert r.exit_code == 0 and r.output == ""
    assert json.loads(out.read_text())["version"] == 1
    assert warn_only.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".inventory-solver-")] == []


def test_resolve_json_shape() -> None:
    inv = EXAMPLES / "borgbackup-two-instances" / "inventory.json"
    data = json.loads(invoke("resolve", str(inv), "--format", "json", "--no-cache").output)
    inst = data["instances"]["borgbackup-offsite"]
    assert inst["module"] == {"name": "borgbackup", "input": None}
    assert inst["roles"] == {"client": ["backup-server"], "server": ["offsite"]}
    assert data["instances"]["borgbackup-local"]["roles"]["client"] == ["jon", "sara"]


def test_resolve_by_machine_text() -> None:
    inv = EXAMPLES / "borgbackup-two-instances" / "inventory.json"
    out = invoke("resolve", str(inv), "--by", "machine", "--no-cache").output
    block = out.split("\n\n")[0]
    assert block.splitlines()[0] == "backup-server (nixos; tags: all, nixos, server)"
    assert "borgbackup-local / server  (borgbackup; explicit)" in block
    assert "borgbackup-offsite / client  (borgbackup; explicit)" in block


def test_explain_code_and_unknown_subject() -> None:
    r = invoke("explain", "incompatible-roles")
    assert r.exit_code == 0 and r.output.startswith("incompatible-roles: roles must not share")


def test_explain_machine() -> None:
    inv = EXAMPLES / "borgbackup-clients-by-tag" / "inventory.json"
    old = os.getcwd()
    os.chdir(ROOT)
    try:
        r = invoke("explain", "fred", str(inv.relative_to(ROOT)), "--no-cache")
    finally:
        os.chdir(old)
    assert r.exit_code == 0
    assert "borgbackup / client  (module borgbackup)" in r.output
    assert (
        "because: tag backup is listed at instances.borgbackup.roles.client.tags[0] "
        "(examples/borgbackup-clients-by-tag/inventory.json:12:30)" in r.output
    )
    assert (
        "its own tag at machines.fred.tags[0] (examples/borgbackup-clients-by-tag/inventory.json:6:24)"
        in r.output
    )


def test_explain_unknown_code_outside_a_clan(tmp_path: Path) -> None:
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        r = invoke("explain", "unknown-tg", "--no-cache")
    finally:
        os.chdir(old)
    assert r.exit_code == 2
    assert 'did you mean the code "unknown-tag"?' in r.output


def test_command_ends_with_all_output_written(tmp_path: Path) -> None:
    """The command exits without tearing its heap down (solver.cli.entry): every byte of a
    large output still arrives, on a pipe and in --output, and the exit code is kept."""
    from benchmarks.generate import generate

    inv = tmp_path / "inventory.json"
    inv.write_text(json.dumps(generate(2000, 200, seed=3)))
    cmd = [sys.executable, "-m", "solver", "resolve", str(inv), "--no-cache", "--format", "json"]
    piped = subprocess.run(cmd, capture_output=True, text=True)
    assert piped.returncode == 0, piped.stderr
    data = json.loads(piped.stdout)
    assert sum(len(ms) for i in data["instances"].values() for ms in i["roles"].values()) > 2000
    out = tmp_path / "out.json"
    written = subprocess.run([*cmd, "--output", str(out)], capture_output=True, text=True)
    assert written.returncode == 0 and written.stdout == ""
    assert json.loads(out.read_text()) == data
    # a finding still gives exit 1 through the hard exit
    check = subprocess.run(
        [sys.executable, "-m", "solver", "check", str(inv), "--no-cache", "--format", "concise"],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 1
    # (the unknown tag that empties an instance is one warning, not two: tests/test_signal.py;
    # the other 32 are darwin machines reached through tags of nixos-only services)
    assert check.stdout.splitlines()[-1] == f"7 errors, 33 warnings in {inv}"


@pytest.mark.parametrize(
    ("extra", "absent", "present"),
    [
        # the pre-commit path: text output, a JSON inventory
        (
            ["--no-cache"],
            {"orjson", "xxhash", "tree_sitter", "solver.read.nix.eval", "solver.policy"}
            | {"solver.render.json_format", "solver.render.sarif", "solver.render.github"}
            | {"solver.commands.resolve", "solver.commands.explain"},
            {"clingo", "solver.render.text"},
        ),
        # with the cache: the key needs xxhash, nothing else changes
        ([], {"orjson", "tree_sitter", "solver.render.sarif"}, {"xxhash"}),
        # JSON output needs orjson, and no other renderer
        (["--no-cache", "--format", "json"], {"solver.render.sarif"}, {"orjson"}),
    ],
)
def test_check_imports_only_what_it_needs(
    warn_only: Path, tmp_path: Path, extra: list[str], absent: set[str], present: set[str]
) -> None:
    """What `check` loads is what a pre-commit run pays for (benchmarks/README.md)."""
    probe = (
        "import sys\nfrom solver.cli import main\n"
        f"try:\n    main(['check', {str(warn_only)!r}, *{extra!r}])\nexcept SystemExit:\n    pass\n"
        "sys.stderr.write('\\nMODULES ' + ' '.join(sorted(sys.modules)))\n"
    )
    env = dict(os.environ, INVENTORY_SOLVER_CACHE_DIR=str(tmp_path / "cache"))
    env.pop("INVENTORY_SOLVER_NO_CACHE", None)
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True
    )
    loaded = set(out.stderr.rsplit("MODULES ", 1)[1].split())
    assert not (absent & loaded), sorted(absent & loaded)
    assert present <= loaded, sorted(present - loaded)


def test_closed_stdout_still_gives_the_exit_code() -> None:
    """Started with stdout closed (`>&-`): no traceback, and the exit code still tells."""
    mistakes = str(EXAMPLES / "mistakes" / "inventory.json")
    r = subprocess.run(
        [sys.executable, "-m", "solver", "check", mistakes, "--no-cache"],
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: os.close(1),
    )
    assert r.returncode == 1
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_full_disk_on_stdout_is_exit_2_with_a_message() -> None:
    mistakes = str(EXAMPLES / "mistakes" / "inventory.json")
    with open("/dev/full", "w") as full:
        r = subprocess.run(
            [sys.executable, "-m", "solver", "check", mistakes, "--no-cache"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
        )
    assert r.returncode == 2
    assert "cannot write the output: No space left on device" in r.stderr
    assert "Traceback" not in r.stderr and "bug" not in r.stderr
