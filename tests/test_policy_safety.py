"""User policies on untrusted input (issue 15): confined #include, read once, bounded.

A pre-commit hook runs whatever policy a pull request brings. These tests check that a
policy cannot make the tool read or print a file outside its folder, that every policy
file is read once (a pipe works), that the time limit is validated and bounds the whole
policy run (parse, check, ground, solve, messages), that memory and the size of findings
are capped, and that the child process running the policies dies with its parent.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from solver import policy, policy_source
from solver.api import Options, check, run
from solver.cli import cli
from solver.errors import InputError
from solver.read import load

SIMPLE = {
    "machines": {"jon": {"tags": ["laptop"]}, "sara": {"tags": ["server"]}},
    "instances": {
        "backup": {
            "module": {"name": "borgbackup"},
            "roles": {"server": {"machines": {"sara": {}}}, "client": {"tags": {"laptop": {}}}},
        }
    },
}
SECRET = "TOP-SECRET-7f3a: do not print"  # a clingo syntax error: old code showed this line
ENDLESS = "p(0).\np(X+1) :- p(X).\n"
SEEN = 'violation("seen", warning, "{0}", (machine(M),)) :- machine(M).\n'


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """proj/ (a git repository) with an inventory; outside/secret.lp beside it."""
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.lp").write_text(SECRET + "\n", encoding="utf-8")
    proj = tmp_path / "proj"
    (proj / ".git").mkdir(parents=True)
    (proj / "inventory.json").write_text(json.dumps(SIMPLE), encoding="utf-8")
    return proj


def _cli(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(cli, [*args, "--format", "concise"])
    return result.exit_code, result.output


def _policy_error(inv: Path | str, rules: list[str], timeout: float = 5.0) -> InputError:
    opts = Options(rules=rules, resolve=False, settings=False, policy_timeout=timeout)
    with pytest.raises(InputError) as info:
        run(load(str(inv)), opts)
    assert {d.code for d in info.value.diagnostics} == {"policy-error"}, info.value.diagnostics
    return info.value


# -- #include: only files beside the policy ----------------------------------------------------
@pytest.mark.parametrize(
    "target",
    ["{outside}/secret.lp", "../outside/secret.lp", "sub/../../outside/secret.lp", "link.lp"],
)
def test_include_outside_the_policy_folder_is_refused(project: Path, target: str) -> None:
    pol = project / "policies"
    pol.mkdir()
    (pol / "link.lp").symlink_to(project.parent / "outside" / "secret.lp")
    name = target.format(outside=project.parent / "outside")
    (pol / "main.lp").write_text(f'% policy\n#include "{name}".\n' + SEEN, encoding="utf-8")
    code, out = _cli(["check", str(project / "inventory.json"), "--rules", str(pol / "main.lp")])
    assert code == 2, out
    assert "main.lp:2:1: error[policy-error]" in out
    assert "only files beside the policy" in out
    assert "TOP-SECRET" not in out


def test_include_of_etc_shadow_prints_nothing_of_it(project: Path) -> None:
    (project / "p.lp").write_text('#include "/etc/shadow".\n', encoding="utf-8")
    code, out = _cli(["check", str(project / "inventory.json"), "--rules", str(project / "p.lp")])
    assert code == 2 and "p.lp:1:1: error[policy-error]" in out
    assert "root:" not in out and "not read" in out


def test_include_beside_the_policy_and_below_it(project: Path) -> None:
    (project / "lib").mkdir()
    (project / "lib" / "helpers.lp").write_text(
        'laptop(M) :- has_tag(M,T), name(T,"laptop").\n#include "more.lp".\n', encoding="utf-8"
    )
    (project / "lib" / "more.lp").write_text("flagged(M) :- laptop(M).\n", encoding="utf-8")
    main = project / "main.lp"
    main.write_text(
        '#include "lib/helpers.lp".\n#include "lib/helpers.lp".\n'
        'violation("laptop", warning, "{0}", (machine(M),)) :- flagged(M).\n',
        encoding="utf-8",
    )
    report = check(project / "inventory.json", rules=[main])
    assert [(d.code, d.machine) for d in report.diagnostics] == [("laptop", "jon")]


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ('% #include "a.lp".\np("#include \\"b.lp\\".").\n', []),
        ('%* nested %* #include "a.lp". *% still *% #include "b.lp".\n', ["b.lp"]),
        ('#includes "a.lp".\n', []),
        ('#include /* x */ "c.lp" .\n', ["<refused>"]),  # clingo: a syntax error
        ('#include %c\n  "d.lp"\n .\n', ["d.lp"]),
        ('"\\q" #include "e.lp".\n', []),  # a malformed string, then a string, as clingo
    ],
)
def test_scan_finds_includes_as_clingo_does(text: str, names: list[str]) -> None:
    try:
        found = [inc.name for inc in policy_source.scan(text).includes]
    except policy_source._Bad:
        found = ["<refused>"]
    assert found == names


def test_directive_blanked_keeps_lines_and_columns() -> None:
    text = 'a.\n#include "x.lp".\nb :- a.\n'
    scanned = policy_source.scan(text)
    assert scanned.text.splitlines() == ["a.", " " * 16, "b :- a."]


def test_clingo_cannot_open_a_file_while_parsing(tmp_path: Path) -> None:
    """Defence in depth: an #include that reached clingo (bypassing the scan) is not read."""
    secret = tmp_path / "secret.lp"
    secret.write_text(SECRET + "\n", encoding="utf-8")
    src = policy_source.Source("p.lp", "p.lp", f'#include "{secret}".\n', None)
    with pytest.raises(InputError) as info:
        policy._check([src])
    text = " ".join(d.message for d in info.value.diagnostics)
    assert "could not be opened" in text and "TOP-SECRET" not in text
    assert all(d.location and d.location.file == "p.lp" for d in info.value.diagnostics)


def test_policy_linked_out_of_the_repository_is_refused(project: Path) -> None:
    """A pull request replaces the policy the hook names with a link to a secret."""
    (project / "policies").mkdir()
    (project / "policies" / "p.lp").symlink_to(project.parent / "outside" / "secret.lp")
    code, out = _cli(
        ["check", str(project / "inventory.json"), "--rules", str(project / "policies/p.lp")]
    )
    assert code == 2 and "leads outside its repository" in out
    assert "TOP-SECRET" not in out


def test_config_rules_outside_the_repository_are_refused(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "inventory-solver.toml").write_text(
        'rules = ["../outside/secret.lp"]\n', encoding="utf-8"
    )
    monkeypatch.chdir(project)
    code, out = _cli(["check", "inventory.json"])
    assert code == 2 and "config-error" in out and "outside the repository" in out
    assert "TOP-SECRET" not in out


# -- read once, regular files or pipes, with a size limit ----------------------------------------
def test_policy_from_a_pipe_is_read(project: Path, tmp_path: Path) -> None:
    """`--rules <(cat p.lp)`: the cache key and the run used to read the pipe twice."""
    r, w = os.pipe()
    os.write(w, SEEN.encode())
    os.close(w)
    env = dict(os.environ, INVENTORY_SOLVER_CACHE_DIR=str(tmp_path / "cache"))
    args = ["check", "inventory.json", "--rules", f"/dev/fd/{r}", "--format", "concise"]
    try:
        out = subprocess.run(
            [sys.executable, "-m", "solver", *args],
            cwd=project,
            env=env,
            pass_fds=(r,),
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        os.close(r)
    assert out.returncode == 0, out.stdout + out.stderr  # warnings only
    assert out.stdout.count("warning[seen]") == 2


def test_device_is_not_read(project: Path) -> None:
    code, out = _cli(["check", str(project / "inventory.json"), "--rules", "/dev/zero"])
    assert code == 2 and "a device" in out and "not read" in out


def test_size_limit(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(policy_source, "MAX_POLICY_BYTES", 1024)
    big = project / "big.lp"
    big.write_text(SEEN + "%" * 2000 + "\n", encoding="utf-8")
    (d,) = _policy_error(project / "inventory.json", [str(big)]).diagnostics
    assert "policies are read up to" in d.message


# -- the time limit: validated ---------------------------------------------------------------
@pytest.mark.parametrize("value", ["nan", "inf", "1e11", "0", "-1", "3601"])
def test_policy_timeout_option_is_validated(project: Path, value: str) -> None:
    (project / "p.lp").write_text(SEEN, encoding="utf-8")
    args = ["check", str(project / "inventory.json"), "--rules", str(project / "p.lp")]
    code, out = _cli([*args, "--policy-timeout", value])
    assert code == 2, out
    assert "--policy-timeout" in out and "more than 0 and at most 3600" in out
    result = CliRunner().invoke(cli, ["test", str(project), "--policy-timeout", value])
    assert result.exit_code == 2 and "at most 3600" in result.output


@pytest.mark.parametrize("value", ["inf", "nan", "-inf", '"5"', "true", "0", "4000"])
def test_policy_timeout_in_the_config_is_validated(
    project: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    (project / "inventory-solver.toml").write_text(
        f"modules = []\npolicy-timeout = {value}\n", encoding="utf-8"
    )
    monkeypatch.chdir(project)
    code, out = _cli(["check", "inventory.json"])
    assert code == 2, out
    assert "inventory-solver.toml:2:1: error[config-error] policy-timeout:" in out
    assert "more than 0 and at most 3600" in out


def test_library_timeout_is_validated(project: Path) -> None:
    (project / "p.lp").write_text(SEEN, encoding="utf-8")
    for bad in (float("nan"), float("inf"), 0.0, -1.0, 1e11):
        (d,) = _policy_error(project / "inventory.json", [str(project / "p.lp")], bad).diagnostics
        assert "not a time limit" in d.message


# -- the time limit bounds the whole policy run --------------------------------------------------
def test_checking_runs_under_the_time_limit(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check of the statements ran in the parent without a limit (20,000 rules: 14 s)."""
    (project / "p.lp").write_text(SEEN, encoding="utf-8")

    def slow(*_args: object) -> None:
        time.sleep(20)

    monkeypatch.setattr(policy, "_check_statement", slow)
    (d,) = _policy_error(project / "inventory.json", [str(project / "p.lp")], 0.5).diagnostics
    assert "did not finish within 0.5 s" in d.message


def test_messages_are_formatted_under_the_time_limit(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "p.lp").write_text(SEEN, encoding="utf-8")

    def slow(*_args: object, **_kw: object) -> str:
        time.sleep(20)
        return ""

    monkeypatch.setattr(policy, "format_message", slow)
    (d,) = _policy_error(project / "inventory.json", [str(project / "p.lp")], 0.5).diagnostics
    assert "did not finish within 0.5 s" in d.message


def test_endless_policy_is_stopped_with_a_located_message(project: Path) -> None:
    (project / "loop.lp").write_text(ENDLESS, encoding="utf-8")
    args = ["check", str(project / "inventory.json"), "--rules", str(project / "loop.lp")]
    code, out = _cli([*args, "--policy-timeout", "0.5"])
    assert code == 2
    assert "loop.lp:1:1: error[policy-error]" in out and "did not finish within 0.5 s" in out


# -- caps: message size, number of findings, memory --------------------------------------------
def test_a_large_format_argument_is_capped(project: Path) -> None:
    """An 80 KB policy whose message repeats a long argument wrote hundreds of MB."""
    long = "x" * 4000
    template = "{0}" * 10_000
    (project / "fmt.lp").write_text(
        f'violation("big", error, "{template}", ("{long}",)) :- machine(_).\n', encoding="utf-8"
    )
    args = ["check", str(project / "inventory.json"), "--rules", str(project / "fmt.lp")]
    result = CliRunner().invoke(cli, [*args, "--format", "json"])
    assert result.exit_code == 1, result.output[:2000]
    assert len(result.output) < 50_000
    (d,) = json.loads(result.output)["diagnostics"]
    assert len(d["message"]) == policy.MAX_MESSAGE and d["message"].endswith("…")
    assert len(d["args"]["values"][0]) == policy.MAX_MESSAGE


def test_format_message_is_bounded() -> None:
    f = policy.format_message
    assert f("{0} and {1}", ["a", "b"]) == "a and b"
    assert f("{0}" * 1000, ["yz"], limit=11) == "yzyzyzyzyz…"
    assert f("x" * 50, [], limit=10) == "x" * 9 + "…"
    assert f("{99999999999}", ["a"]) == "{99999999999}"


def test_number_of_findings_is_capped(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(policy, "MAX_VIOLATIONS", 50)
    (project / "many.lp").write_text(
        'violation("many", info, "n{0}", (X,)) :- X = 1..120.\n', encoding="utf-8"
    )
    report = check(project / "inventory.json", rules=[project / "many.lp"])
    assert sum(d.code == "many" for d in report.diagnostics) == 50
    (note,) = [d for d in report.diagnostics if d.code == "policy-error"]
    assert note.severity == "warning" and "120 violations" in note.message


def test_memory_is_limited(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(policy, "MEMORY_BYTES", 48 * 2**20)
    (project / "big.lp").write_text("big(X) :- X = 1..500000000.\n", encoding="utf-8")
    (d,) = _policy_error(project / "inventory.json", [str(project / "big.lp")], 60).diagnostics
    assert "48 MiB" in d.message
    assert d.location is not None and d.location.file.endswith("big.lp")


# -- the child dies with its parent ---------------------------------------------------------------
def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry))
    return found


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            state = fh.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")  # a zombie has ended; only its parent's wait is missing


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGKILL])
def test_child_ends_with_its_parent(project: Path, sig: signal.Signals) -> None:
    (project / "endless.lp").write_text(ENDLESS, encoding="utf-8")
    args = ["check", "inventory.json", "--rules", "endless.lp", "--policy-timeout", "120"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "solver", *args, "--no-cache"],
        cwd=project,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    children: list[int] = []
    try:
        deadline = time.monotonic() + 30
        while not children and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
            children = _children(proc.pid)
        assert children, "the policy child never started"
        proc.send_signal(sig)
        proc.wait(timeout=10)
        deadline = time.monotonic() + 5
        while any(_alive(c) for c in children) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(_alive(c) for c in children)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for c in children:
            if _alive(c):
                os.kill(c, signal.SIGKILL)
