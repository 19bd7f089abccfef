"""User policies (issue 6): examples, protection, errors, time limit, names, `test`."""

from __future__ import annotations

import json
import os
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from solver import policy
from solver.api import Options, check, run
from solver.cli import cli
from solver.codes import CODES
from solver.errors import InputError
from solver.location import NullLocator
from solver.read import load

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "policies"

EXAMPLE_CODES = {
    "server-backup": "server-without-backup",
    "laptop-no-borg-server": "laptop-borg-server",
    "wireguard-one-controller": "wireguard-controller-count",
    "monitoring-server-not-client": "monitoring-server-is-client",
}


def _write(tmp: Path, name: str, text: str) -> str:
    path = tmp / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return str(path)


def _inventory(tmp: Path, data: dict[str, object], name: str = "inventory.json") -> str:
    path = tmp / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


def _policy_error(inv: str, rules: list[str], timeout: float = 5.0) -> InputError:
    with pytest.raises(InputError) as info:
        run(load(inv), Options(rules=rules, resolve=False, settings=False, policy_timeout=timeout))
    assert {d.code for d in info.value.diagnostics} == {"policy-error"}
    return info.value


SIMPLE = {
    "machines": {"jon": {"tags": ["laptop"]}, "sara": {"tags": ["server"]}},
    "instances": {
        "backup": {
            "module": {"name": "borgbackup"},
            "roles": {"server": {"machines": {"sara": {}}}, "client": {"tags": {"laptop": {}}}},
        }
    },
}


# -- the example policies ---------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(EXAMPLE_CODES))
def test_example_fires(name: str) -> None:
    report = check(EXAMPLES / f"{name}.fires.json", rules=[EXAMPLES / f"{name}.lp"])
    codes = {d.code for d in report.diagnostics}
    assert EXAMPLE_CODES[name] in codes
    assert codes <= {EXAMPLE_CODES[name]}  # the fires inventory has no other problem
    for d in report.diagnostics:
        assert d.location is not None and d.location.file.endswith(f"{name}.fires.json")
        assert "{" not in d.message


@pytest.mark.parametrize("name", sorted(EXAMPLE_CODES))
def test_example_clean(name: str) -> None:
    report = check(EXAMPLES / f"{name}.clean.json", rules=[EXAMPLES / f"{name}.lp"])
    assert report.diagnostics == []


def test_example_finding_is_located_and_named() -> None:
    name = "laptop-no-borg-server"
    report = check(EXAMPLES / f"{name}.fires.json", rules=[EXAMPLES / f"{name}.lp"])
    (d,) = report.diagnostics
    assert d.code == "laptop-borg-server"
    assert d.severity == "error"
    assert d.message == "laptop thinkpad holds role server of borgbackup instance backup"
    assert d.path == "instances.backup.roles.server"
    assert (d.machine, d.instance, d.role, d.module) == (
        "thinkpad",
        "backup",
        "server",
        "borgbackup",
    )
    assert d.location is not None and (d.location.line, d.location.column) == (11, 9)
    assert d.args == {"values": ["server", "thinkpad", "backup"]}


def test_each_subject_kind_locates(tmp_path: Path) -> None:
    inv = _inventory(tmp_path, {**SIMPLE, "tags": {"ops": ["sara"]}})
    rules = _write(
        tmp_path,
        "subjects.lp",
        """\
        violation("m", info, "{0}", (machine(M),)) :- machine(M), name(M,"jon").
        violation("i", info, "{0}", instance(I)) :- instance(I).
        violation("r", info, "{0}", (role(I,R), 7, "s")) :- instance_role(I,R), name(R,"client").
        violation("t-defined", info, "{0}", (tag(T),)) :- name(T,"ops"), has_tag(_,T).
        violation("t-machine", info, "{0}", (tag(T),)) :- name(T,"laptop"), has_tag(_,T).
        violation("k", warning, "{0}", (module(K),)) :- instance_module(_,K).
        violation("none", info, "{0} {1} {{}}", (3, "x")) :- machine(M), name(M,"jon").
        """,
    )
    got = {d.code: d for d in check(inv, rules=[rules]).diagnostics}
    assert got["m"].path == "machines.jon" and got["m"].machine == "jon"
    assert got["i"].path == "instances.backup" and got["i"].message == "backup"
    assert got["r"].path == "instances.backup.roles.client" and got["r"].role == "client"
    assert got["r"].args == {"values": ["client", "7", "s"]}
    assert got["t-defined"].path == "tags.ops" and got["t-defined"].tag == "ops"
    assert got["t-machine"].path == "machines.jon.tags[0]"
    assert got["k"].path == "instances.backup" and got["k"].message == "borgbackup"
    assert got["k"].severity == "warning"
    assert got["none"].path == "" and got["none"].message == "3 x {}"
    for d in got.values():
        assert d.code not in CODES


def test_project_config_rules_and_timeout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from solver.commands.common import RunArgs
    from solver.runner import execute

    inv = _inventory(tmp_path, SIMPLE)
    (tmp_path / "policies").mkdir()
    _write(
        tmp_path / "policies",
        "laptop.lp",
        'violation("has-laptop", warning, "{0}", (machine(M),)) :- has_tag(M,T), name(T,"laptop").\n',
    )
    _write(
        tmp_path, "inventory-solver.toml", 'rules = ["policies/laptop.lp"]\npolicy-timeout = 3\n'
    )
    monkeypatch.chdir(tmp_path)
    report = execute(RunArgs(paths=(inv,)))
    assert [(d.code, d.machine) for d in report.diagnostics] == [("has-laptop", "jon")]


def test_no_rules_no_names() -> None:
    """Without policies, the string facts are not part of the program."""
    from solver import facts as facts_mod
    from solver.catalogue import builtin
    from solver.model import validate
    from solver.solve import solve

    inv, _ = validate(SIMPLE, NullLocator())
    program, _side = facts_mod.build(inv, builtin())
    assert "name(" not in program
    atoms = solve(program).atoms
    assert "name" not in atoms and policy.ATOMS_KEY not in atoms


# -- errors in policy files -------------------------------------------------------------------
def test_syntax_error_is_located(tmp_path: Path) -> None:
    inv = _inventory(tmp_path, SIMPLE)
    bad = _write(tmp_path, "bad.lp", "p(1).\nq(X) :- p(X)\n r(.\n")
    err = _policy_error(inv, [bad])
    (d,) = err.diagnostics
    assert d.location is not None
    assert d.location.file.endswith("bad.lp") and (d.location.line, d.location.column) == (3, 2)
    assert "syntax error" in d.message


def test_syntax_error_cli_exit_2(tmp_path: Path) -> None:
    inv = _inventory(tmp_path, SIMPLE)
    bad = _write(tmp_path, "bad.lp", "violation(\n")
    result = CliRunner().invoke(cli, ["check", "--format", "concise", "--rules", bad, inv])
    assert result.exit_code == 2
    assert "policy-error" in result.output
    assert "bad.lp:2:1" in result.output


def test_unsafe_variable_is_located(tmp_path: Path) -> None:
    inv = _inventory(tmp_path, SIMPLE)
    bad = _write(tmp_path, "unsafe.lp", "p(M) :- machine(M).\n\nq(M) :- p(M), not p(Z).\n")
    (d, *_rest) = _policy_error(inv, [bad]).diagnostics
    assert d.location is not None and d.location.line == 3 and d.location.file.endswith("unsafe.lp")
    assert "unsafe" in d.message and "#inc_base" not in d.message


@pytest.mark.parametrize(
    ("text", "needle", "line", "column"),
    [
        ("% comment\nmember(1,2,3).\n", "`member/3`", 2, 1),
        ("x :- machine(M).\nhas_tag(M,T) :- machine(M), T = 1.\n", "`has_tag/2`", 2, 1),
        ("violation(x,(1,)) :- machine(_).\n", "`violation/2`", 1, 1),
        ("machine(99).\n", "`machine/1`", 1, 1),
        ('name(1,"x").\n', "`name/2`", 1, 1),
        ("tag_carried(T) :- has_tag(_,T).\n", "`tag_carried/1`", 1, 1),
        ("-machine(1).\n", "`machine/1`", 1, 1),
        (":- machine(M).\n", "integrity constraints", 1, 1),
        ("{ p(M) } :- machine(M).\n", "only normal rules", 1, 1),
        ("p(M) ; q(M) :- machine(M).\n", "only normal rules", 1, 1),
        ("#script (python)\nimport os\n#end.\n", "#script", 1, 1),
        ("#external e.\n", "not allowed", 1, 1),
        ("#show machine/1.\n", "not allowed", 1, 1),
        ("#const resolve = 1.\n", "resolve", 1, 1),
        ("#program other.\n", "#program other", 1, 1),
        ("p(X) :- machine(M), X = @f(M).\n", "@f", 1, 25),
        ("p(M) :- hastag(M,_).\n", "`hastag/2`", 1, 9),
        ('violation("a", error, "m").\n', "violation/3", 1, 1),
        ('violation("a", fatal, "m", ()) :- machine(_).\n', "severity `fatal`", 1, 16),
        ('violation("unknown-machine", error, "m", ()) :- machine(_).\n', "built-in code", 1, 11),
        ('violation("has space", error, "m", ()) :- machine(_).\n', "must start", 1, 11),
        ('violation(1, error, "m", ()) :- machine(_).\n', "not a string", 1, 11),
    ],
)
def test_rejected_policies(tmp_path: Path, text: str, needle: str, line: int, column: int) -> None:
    inv = _inventory(tmp_path, SIMPLE)
    rules = _write(tmp_path, "policy.lp", text)
    (d,) = _policy_error(inv, [rules]).diagnostics
    assert needle in d.message
    assert d.location is not None and d.location.file.endswith("policy.lp")
    assert (d.location.line, d.location.column) == (line, column)


def test_include_beside_the_policy(tmp_path: Path) -> None:
    """An #include of a file beside the policy is read (the outside ones are refused:
    tests/test_policy_safety.py); its rules are checked and located in their own file."""
    inv = _inventory(tmp_path, SIMPLE)
    _write(tmp_path, "helper.lp", "helper(M) :- machine(M).\n")
    rules = _write(
        tmp_path,
        "main.lp",
        '% x\n  #include "helper.lp".\n'
        'violation("seen", info, "{0}", (machine(M),)) :- helper(M).\n',
    )
    report = check(inv, rules=[rules])
    assert sorted(d.machine or "" for d in report.diagnostics if d.code == "seen") == [
        "jon",
        "sara",
    ]
    _write(tmp_path, "helper.lp", "\nmachine(M) :- helper(M).\n")
    (d,) = _policy_error(inv, [rules]).diagnostics
    assert "`machine/1`" in d.message
    assert d.location is not None and d.location.file.endswith("helper.lp")
    assert (d.location.line, d.location.column) == (2, 1)


def test_builtin_signatures_cover_rules_and_facts() -> None:
    sigs = policy.builtin_signatures()
    for sig in [("member", 3), ("via", 4), ("machine", 1), ("role_machine", 3), ("violation", 2)]:
        assert sig in sigs
    for sig in [("name", 2), ("instance_name", 2), ("module_name", 2), ("instance_module", 3)]:
        assert sig in sigs
    assert ("violation", 4) not in sigs
    assert "resolve" in policy.builtin_constants()


def test_own_helpers_and_defined_are_allowed(tmp_path: Path) -> None:
    inv = _inventory(tmp_path, SIMPLE)
    rules = _write(
        tmp_path,
        "ok.lp",
        """\
        #const wanted = "server".
        #defined exempt/1.
        member(M) :- member(_,_,M).
        wanted_tag(T) :- name(T, wanted).
        violation(tagged, warning, "{0}", (machine(M),)) :-
            member(M), has_tag(M,T), wanted_tag(T), not exempt(M).
        """,
    )
    report = check(inv, rules=[rules])
    assert [(d.code, d.machine) for d in report.diagnostics] == [("tagged", "sara")]


@pytest.mark.parametrize(
    ("head", "needle"),
    [
        ('violation("x", S, "m", ()) :- machine(_), S = fatal.', "severity"),
        ('violation(C, error, "m", ()) :- machine(_), C = "unknown-tag".', "built-in code"),
        ('violation("x", error, M, ()) :- machine(M).', "message must be a string"),
    ],
)
def test_invalid_violation_at_run_time(tmp_path: Path, head: str, needle: str) -> None:
    inv = _inventory(tmp_path, SIMPLE)
    rules = _write(tmp_path, "late.lp", head + "\n")
    (d,) = _policy_error(inv, [rules]).diagnostics
    assert needle in d.message


def test_unsatisfiable_policy(tmp_path: Path) -> None:
    inv = _inventory(tmp_path, SIMPLE)
    rules = _write(tmp_path, "odd.lp", "p :- not p, machine(_).\n")
    (d,) = _policy_error(inv, [rules]).diagnostics
    assert "no answer set" in d.message


def test_missing_policy_file(tmp_path: Path) -> None:
    inv = _inventory(tmp_path, SIMPLE)
    (d,) = _policy_error(inv, [str(tmp_path / "nope.lp")]).diagnostics
    assert "cannot read" in d.message


# -- time limit -------------------------------------------------------------------------------
def test_time_limit_stops_endless_grounding(tmp_path: Path) -> None:
    inv = _inventory(tmp_path, SIMPLE)
    loop = _write(tmp_path, "loop.lp", "p(0).\np(X+1) :- p(X).\n")
    start = time.monotonic()
    (d,) = _policy_error(inv, [loop], timeout=1.0).diagnostics
    assert time.monotonic() - start < 15
    assert "did not finish within 1 s" in d.message
    assert d.location is not None and d.location.file.endswith("loop.lp")
    assert d.hint is not None and "policy-timeout" in d.hint


def test_time_limit_cli(tmp_path: Path) -> None:
    inv = _inventory(tmp_path, SIMPLE)
    loop = _write(tmp_path, "loop.lp", "p(0).\np(X+1) :- p(X).\n")
    args = ["check", "--format", "concise", "--policy-timeout", "0.5", "--rules", loop, inv]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert "did not finish within 0.5 s" in result.output


# -- names --------------------------------------------------------------------------------------
HOSTILE = [
    'a"b',
    "back\\slash",
    "new\nline",
    "üñí €",
    "100%",
    "x). #false. p(y",
    "\\n",
    '\\"',
    "tab\there",
    "{0}",
    "*/ %* ",
]


def test_quote_examples() -> None:
    assert policy.quote('a"b') == '"a\\"b"'
    assert policy.quote("a\\b") == '"a\\\\b"'
    assert policy.quote("a\nb") == '"a\\nb"'
    assert policy.quote("x). #false. p(y") == '"x). #false. p(y"'
    assert policy.quote("nul\x00") == '"nul\ufffd"'
    assert policy.quote("lone\ud800") == '"lone\ufffd"'


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")))
@settings(max_examples=300, deadline=None)
def test_quote_round_trips(text: str) -> None:
    import clingo

    sym = clingo.parse_term(policy.quote(text))
    assert sym.type == clingo.SymbolType.String
    assert sym.string == text


def test_hostile_names_round_trip(tmp_path: Path) -> None:
    machines = {n: {"tags": [n]} for n in HOSTILE}
    data = {
        "machines": machines,
        "instances": {
            n: {"module": {"name": "borgbackup"}, "roles": {"client": {"machines": {n: {}}}}}
            for n in HOSTILE
        },
    }
    inv = _inventory(tmp_path, data)
    lines = [
        'violation("echo", info, "{0}|{1}", (machine(M), S)) :- machine(M), name(M,S).',
        'violation("inst", info, "{0}", (instance(I), S)) :- instance(I), instance_name(I,S).',
        'violation("mod", info, "{0}", (S,)) :- instance_module(I,"clan-core",S), instance(I).',
    ]
    for n, name in enumerate(HOSTILE):
        lines.append(
            f'violation("hit", info, "{n}", (machine(M),)) :- has_tag(M,T), name(T,{policy.quote(name)}).'
        )
    rules = _write(tmp_path, "names.lp", "\n".join(lines) + "\n")
    diags = check(inv, rules=[rules]).diagnostics
    echo = {d.machine: d for d in diags if d.code == "echo"}
    assert set(echo) == set(HOSTILE)
    for name, d in echo.items():
        assert d.args["values"] == [name, name]
        assert d.message == f"{name}|{name}"
    inst = {d.instance: d.args["values"][1] for d in diags if d.code == "inst"}
    assert inst == {n: n for n in HOSTILE}
    hits = {int(d.message): d.machine for d in diags if d.code == "hit"}
    assert hits == dict(enumerate(HOSTILE))
    assert {d.message for d in diags if d.code == "mod"} == {"borgbackup"}


def test_format_message() -> None:
    f = policy.format_message
    assert f("{0} and {1}", ["a", "b"]) == "a and b"
    assert f("{{0}} {0}", ["a"]) == "{0} a"
    assert f("{2} {0.__class__} {x}", ["a"]) == "{2} {0.__class__} {x}"
    assert f("{1}", ["a", "{0}"]) == "{0}"


# -- the test command -------------------------------------------------------------------------
def test_examples_pass() -> None:
    result = CliRunner().invoke(cli, ["test", str(EXAMPLES)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[-1] == "8 passed, 0 failed"
    assert "PASS laptop-no-borg-server::fires" in lines
    assert "PASS wireguard-one-controller::clean" in lines


def _copy_example(tmp: Path, name: str) -> None:
    for suffix in (".lp", ".fires.json", ".clean.json"):
        (tmp / f"{name}{suffix}").write_text((EXAMPLES / f"{name}{suffix}").read_text())


def test_failing_test_reports_missing_and_unexpected(tmp_path: Path) -> None:
    _copy_example(tmp_path, "laptop-no-borg-server")
    _write(
        tmp_path,
        "laptop.test.toml",
        """\
        rules = ["laptop-no-borg-server.lp"]
        exact = true

        [[test]]
        name = "wrong-path"
        inventory = "laptop-no-borg-server.fires.json"
        [[test.expect]]
        code = "laptop-borg-server"
        path = "instances.backup.roles.client"

        [[test]]
        name = "silent"
        inventory = "laptop-no-borg-server.clean.json"
        """,
    )
    _write(
        tmp_path,
        "single.test.toml",
        """\
        inventory = "laptop-no-borg-server.fires.json"
        rules = ["laptop-no-borg-server.lp"]
        [[expect]]
        code = "laptop-borg-server"
        path = "instances.*.roles.server"
        """,
    )
    result = CliRunner().invoke(cli, ["test", str(tmp_path)])
    assert result.exit_code == 1
    out = result.output
    assert "FAIL laptop::wrong-path" in out
    assert "missing:    laptop-borg-server at instances.backup.roles.client" in out
    assert "unexpected: laptop-borg-server at instances.backup.roles.server" in out
    assert "PASS laptop::silent" in out
    assert "PASS single" in out
    assert out.splitlines()[-1] == "2 passed, 1 failed"


def test_unusable_tests_exit_2(tmp_path: Path) -> None:
    _copy_example(tmp_path, "server-backup")
    _write(tmp_path, "broken.test.toml", "rules = [\n")
    _write(tmp_path, "typo.test.toml", 'inventory = "server-backup.fires.json"\nrule = []\n')
    _write(tmp_path, "bad-policy.lp", "violation(\n")
    _write(
        tmp_path,
        "policy.test.toml",
        'inventory = "server-backup.fires.json"\nrules = ["bad-policy.lp"]\n',
    )
    _write(
        tmp_path,
        "ok.test.toml",
        'inventory = "server-backup.clean.json"\nrules = ["server-backup.lp"]\nexact = true\n',
    )
    result = CliRunner().invoke(cli, ["test", str(tmp_path)])
    assert result.exit_code == 2
    out = result.output
    assert "ERROR broken" in out and "ERROR typo" in out and "ERROR policy" in out
    assert "bad-policy.lp:2:1" in out
    assert "PASS ok" in out
    assert out.splitlines()[-1] == "1 passed, 0 failed, 3 errors"


def test_no_tests_found(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["test", str(tmp_path)])
    assert result.exit_code == 2
    assert "no policy tests" in result.output


def test_single_file_target() -> None:
    target = EXAMPLES / "server-backup.test.toml"
    result = CliRunner().invoke(cli, ["test", str(target)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "PASS server-backup::fires",
        "PASS server-backup::clean",
        "2 passed, 0 failed",
    ]


def test_examples_directory_is_complete() -> None:
    for name in EXAMPLE_CODES:
        for suffix in (".lp", ".fires.json", ".clean.json", ".test.toml"):
            assert os.path.isfile(EXAMPLES / f"{name}{suffix}")


def test_spawn_start_method(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where fork is unavailable (or unwanted), the child is spawned; the result is the same."""
    import multiprocessing

    monkeypatch.setattr(policy, "_context", lambda: multiprocessing.get_context("spawn"))
    name = "wireguard-one-controller"
    report = check(EXAMPLES / f"{name}.fires.json", rules=[EXAMPLES / f"{name}.lp"])
    assert sorted(d.path for d in report.diagnostics) == ["instances.lab", "instances.vpn"]


# -- characters clingo's lexer cannot report ----------------------------------------------------
@pytest.mark.parametrize(
    ("data", "line", "column", "needle"),
    [
        # found by test_fuzz: clingo's message held half of "\xcb\xa9" and the process aborted
        (b"\x1d\xcb\xa9aJ", 1, 2, "U+02E9"),
        ("p(1).\nq(X) :- p(X), é(X).\n".encode(), 2, 15, "U+00E9"),
        ("\ufeffp.\n".encode(), 1, 1, "byte order mark"),
        ('p("a\\"b"). % é\n%* é\n *% q(ü).\n'.encode(), 3, 7, "U+00FC"),
        # lexer errors inside strings that hold non-ASCII text: a bad escape, an open string
        ('p("\\é").\n'.encode(), 1, 3, "lexer error"),
        ('p("é\n'.encode(), 1, 3, "lexer error"),
        ('p :- q("é\\x").\n'.encode(), 1, 8, "lexer error"),
    ],
)
def test_non_ascii_outside_strings_is_located(
    tmp_path: Path, data: bytes, line: int, column: int, needle: str
) -> None:
    """Run in a child process: before the fix, clingo aborted the whole interpreter."""
    import subprocess
    import sys

    inv = _inventory(tmp_path, SIMPLE)
    (tmp_path / "p.lp").write_bytes(data)
    args = ["check", inv, "--rules", str(tmp_path / "p.lp"), "--no-cache", "--format", "concise"]
    out = subprocess.run(
        [sys.executable, "-m", "solver", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2, out.stderr
    text = out.stdout + out.stderr
    assert f"p.lp:{line}:{column}: error[policy-error]" in text, text
    assert needle in text and "PANIC" not in text and "Traceback" not in text


def test_non_ascii_in_strings_and_comments_is_allowed(tmp_path: Path) -> None:
    inv = _inventory(tmp_path, SIMPLE)
    ok = _write(
        tmp_path,
        "ok.lp",
        """\
        % Ünïcödé in a comment
        %* and in a
           block comment ✓ *%
        violation("no-laptop", warning, "machine {0} — é", (machine(M),)) :-
            has_tag(M, T), name(T, "laptop").
        """,
    )
    report = check(inv, rules=[ok])
    assert [d.message for d in report.diagnostics if d.code == "no-laptop"] == ["machine jon — é"]


def test_policies_leave_the_resolution_unchanged() -> None:
    """With --rules the solve runs in a child process that reads its own atoms back; the
    memberships, their provenance and the settings must come out the same."""
    inv = str(EXAMPLES / "server-backup.fires.json")
    plain = check(inv)
    with_policy = check(inv, rules=[str(EXAMPLES / "server-backup.lp")])
    assert with_policy.resolution.model_dump() == plain.resolution.model_dump()
    assert any(rr.via for i in plain.resolution.instances.values() for rr in i.roles.values())
