"""Suppressions where the code is (``# inventory-solver: ignore[CODE] reason`` in .nix
files) and ``--select``/``--ignore`` on the command line (solver/suppress.py)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from solver.cli import cli

# Line numbers below are those of this text (line 1 is the opening brace).
CLAN = """\
{
  inventory = {
    machines.jon = { };
    instances.sshd = {
      module.name = "sshd";
      roles.server.machines.ghost = { };{ghost}
{before}      roles.client = { };
      roles.server.machines.jon = { };
    };
  };
}
"""


def clan_text(ghost: str = "", before: str = "") -> str:
    return CLAN.replace("{ghost}", ghost).replace("{before}", before)


def _write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "clan.nix").write_text(text, encoding="utf-8")
    return tmp_path


def _check(folder: Path, *args: str, fmt: str = "json") -> Result:
    old = os.getcwd()
    os.chdir(folder)
    try:
        return CliRunner().invoke(cli, ["check", ".", "--no-cache", "--format", fmt, *args])
    finally:
        os.chdir(old)


def _data(result: Result) -> dict[str, Any]:
    assert result.exit_code in (0, 1), result.output
    data: dict[str, Any] = json.loads(result.output)
    return data


def _codes(data: dict[str, Any]) -> list[tuple[str, int]]:
    return [(d["code"], d["location"]["line"]) for d in data["diagnostics"]]


def test_without_suppressions_both_findings_are_reported(tmp_path: Path) -> None:
    data = _data(_check(_write(tmp_path, clan_text())))
    assert _codes(data) == [("unknown-machine", 6), ("empty-role", 7)]
    assert data["summary"]["suppressed"] == 0
    assert data["suppressed"] == []


def test_on_the_line_of_the_definition(tmp_path: Path) -> None:
    folder = _write(
        tmp_path, clan_text(ghost=" # inventory-solver: ignore[unknown-machine] defined in Nix")
    )
    r = _check(folder)
    data = _data(r)
    assert _codes(data) == [("empty-role", 7)]
    assert r.exit_code == 0  # the only error is suppressed
    assert data["summary"]["suppressed"] == 1
    [entry] = data["suppressed"]
    assert entry["kind"] == "inSource"
    assert entry["reason"] == "defined in Nix"
    assert entry["diagnostic"]["code"] == "unknown-machine"
    assert entry["location"]["line"] == 6
    assert entry["location"]["column"] == 42  # the comment, after the definition
    text = _check(folder, fmt="text").output
    assert "ghost" not in text
    assert text.rstrip().endswith("1 warning in clan.nix (1 suppressed)")


def test_on_the_line_before_the_definition(tmp_path: Path) -> None:
    before = "      # inventory-solver: ignore[empty-role] the clients come next week\n"
    data = _data(_check(_write(tmp_path, clan_text(before=before))))
    # the comment takes line 7; the role moves to line 8
    assert _codes(data) == [("unknown-machine", 6)]
    assert [s["diagnostic"]["location"]["line"] for s in data["suppressed"]] == [8]
    assert data["suppressed"][0]["location"]["line"] == 7


def test_a_comment_alone_on_its_line_does_not_cover_its_own_line_or_further(
    tmp_path: Path,
) -> None:
    # above line 6 (ghost): covers line 6 only, not the empty role on the line after
    text = clan_text().replace(
        "      roles.server.machines.ghost",
        "      # inventory-solver: ignore[empty-role] misplaced\n      roles.server.machines.ghost",
    )
    data = _data(_check(_write(tmp_path, text)))
    assert ("empty-role", 8) in _codes(data)
    assert ("unused-ignore", 6) in _codes(data)


def test_several_codes_in_one_comment(tmp_path: Path) -> None:
    text = clan_text().replace(
        "      roles.server.machines.ghost = { };\n      roles.client = { };",
        "      roles.server.machines.ghost = { }; roles.client = { }; "
        "# inventory-solver: ignore[unknown-machine, empty-role] both known",
    )
    data = _data(_check(_write(tmp_path, text)))
    assert _codes(data) == []
    assert sorted(s["diagnostic"]["code"] for s in data["suppressed"]) == [
        "empty-role",
        "unknown-machine",
    ]
    assert data["summary"]["suppressed"] == 2


def test_stacked_comments_above_a_definition(tmp_path: Path) -> None:
    text = clan_text(ghost=" # inventory-solver: ignore[unknown-machine] a")
    text = text.replace(
        "      roles.client",
        "      # inventory-solver: ignore[empty-role] first\n"
        "      # a note in between\n"
        "      roles.client",
    )
    data = _data(_check(_write(tmp_path, text)))
    assert _codes(data) == []
    assert data["summary"]["suppressed"] == 2


def test_missing_reason_is_a_finding_and_suppresses_nothing(tmp_path: Path) -> None:
    folder = _write(tmp_path, clan_text(ghost="  # inventory-solver: ignore[unknown-machine]"))
    r = _check(folder)
    data = _data(r)
    assert r.exit_code == 1
    assert _codes(data) == [("unknown-machine", 6), ("invalid-suppression", 6), ("empty-role", 7)]
    bad = next(d for d in data["diagnostics"] if d["code"] == "invalid-suppression")
    assert "reason is required" in bad["message"]
    assert bad["location"]["column"] == 43
    assert data["summary"]["suppressed"] == 0


@pytest.mark.parametrize(
    "comment, why",
    [
        ("# inventory-solver: ignore unknown-machine because", "is not `ignore[CODE,...]"),
        ("# inventory-solver: ignore[] because", "no code between the brackets"),
        ("# inventory-solver: ignore[unknown-machine,] because", "an empty code"),
        ("/* inventory-solver: ignore[unknown-machine] because */", "a `#` comment"),
    ],
)
def test_malformed_suppressions_are_reported(tmp_path: Path, comment: str, why: str) -> None:
    data = _data(_check(_write(tmp_path, clan_text(ghost=" " + comment))))
    assert ("unknown-machine", 6) in _codes(data)
    bad = [d for d in data["diagnostics"] if d["code"] == "invalid-suppression"]
    assert len(bad) == 1 and why in bad[0]["message"], bad


def test_unknown_code_is_reported_with_a_near_match(tmp_path: Path) -> None:
    comment = " # inventory-solver: ignore[unknwon-machine,empty-role] typo in one code"
    text = clan_text(ghost=comment).replace(
        "{ };" + comment + "\n      roles.client = { };",
        "{ }; roles.client = { };" + comment,
    )
    data = _data(_check(_write(tmp_path, text)))
    # the known code still applies, the unknown one is reported
    assert _codes(data) == [("unknown-machine", 6), ("invalid-suppression", 6)]
    bad = data["diagnostics"][1]
    assert "unknown code `unknwon-machine`" in bad["message"]
    assert '"unknown-machine"' in bad["message"]
    assert [s["diagnostic"]["code"] for s in data["suppressed"]] == ["empty-role"]


def test_a_suppression_that_matches_nothing_is_unused(tmp_path: Path) -> None:
    folder = _write(tmp_path, clan_text(ghost=" # inventory-solver: ignore[max-machines] stale"))
    data = _data(_check(folder))
    unused = [d for d in data["diagnostics"] if d["code"] == "unused-ignore"]
    assert len(unused) == 1
    assert unused[0]["location"]["file"] == "clan.nix"
    assert (unused[0]["location"]["line"], unused[0]["location"]["column"]) == (6, 42)
    assert "`max-machines` (stale)" in unused[0]["message"]
    assert ("unknown-machine", 6) in _codes(data)


def test_a_hash_inside_a_string_is_not_a_comment(tmp_path: Path) -> None:
    text = clan_text().replace(
        '      module.name = "sshd";',
        '      module.name = "sshd";\n'
        '      roles.server.machines.ghost.tags = [ "# inventory-solver: ignore[unknown-machine] s" ];\n'
        "      roles.server.machines.ghost.x = ''\n"
        "        # inventory-solver: ignore[unknown-machine] in an indented string\n"
        "      '';",
    )
    data = _data(_check(_write(tmp_path, text)))
    codes = [c for c, _ in _codes(data)]
    assert "unknown-machine" in codes
    assert "unused-ignore" not in codes and "invalid-suppression" not in codes
    assert data["summary"]["suppressed"] == 0


def test_prose_mentioning_the_marker_is_not_a_suppression(tmp_path: Path) -> None:
    folder = _write(tmp_path, clan_text(ghost=" # see the inventory-solver: ignore[x] docs"))
    data = _data(_check(folder))
    assert [c for c, _ in _codes(data)] == ["unknown-machine", "empty-role"]


# -- --select / --ignore ----------------------------------------------------------------


def test_select_reports_only_the_selected_codes(tmp_path: Path) -> None:
    folder = _write(tmp_path, clan_text())
    data = _data(_check(folder, "--select", "empty-role"))
    assert _codes(data) == [("empty-role", 7)]
    assert data["summary"]["ignored"] == 1
    r = _check(folder, "--select", "empty-role")
    assert r.exit_code == 0  # the error was not selected


def test_ignore_and_patterns(tmp_path: Path) -> None:
    folder = _write(tmp_path, clan_text())
    assert _codes(_data(_check(folder, "--ignore", "unknown-machine"))) == [("empty-role", 7)]
    assert _codes(_data(_check(folder, "--ignore", "unknown-*,empty-*"))) == []
    both = _data(_check(folder, "--select", "unknown-machine", "--select", "empty-role"))
    assert len(both["diagnostics"]) == 2
    r = _check(folder, "--select", "unknown-machine,empty-role", "--ignore", "empty-role")
    assert _codes(_data(r)) == [("unknown-machine", 6)]


@pytest.mark.parametrize(
    "args, shown",
    [
        (("--select", "unknwon-machine"), 'did you mean the code "unknown-machine"?'),
        (("--ignore", "empty-rol"), 'did you mean the code "empty-role"?'),
        (("--ignore", "nothing-*"), "`nothing-*` matches no code"),
    ],
)
def test_unknown_codes_exit_2_with_near_matches(
    tmp_path: Path, args: tuple[str, ...], shown: str
) -> None:
    r = _check(_write(tmp_path, clan_text()), *args, fmt="text")
    assert r.exit_code == 2
    assert "unknown-code" in r.output and shown in r.output


def test_a_user_policy_code_can_be_selected(tmp_path: Path) -> None:
    folder = _write(tmp_path, clan_text())
    (folder / "p.lp").write_text(
        'violation("no-ghosts", warning, "machine {0}", (machine(M),)) :- machine(M).\n'
    )
    data = _data(_check(folder, "--rules", "p.lp", "--select", "no-ghosts"))
    assert [c for c, _ in _codes(data)] == ["no-ghosts"]
    r = _check(folder, "--select", "no-ghosts")  # without the policy: unknown
    assert r.exit_code == 2


def test_select_does_not_report_unselected_suppressions_as_unused(tmp_path: Path) -> None:
    folder = _write(tmp_path, clan_text(ghost=" # inventory-solver: ignore[max-machines] stale"))
    (folder / "inventory-solver.toml").write_text(
        '[[ignore]]\ncode = "class-mismatch"\nreason = "old"\n'
    )
    everything = _codes(_data(_check(folder)))
    assert everything.count(("unused-ignore", 6)) == 1
    assert sum(c == "unused-ignore" for c, _ in everything) == 2  # inline and config
    data = _data(_check(folder, "--select", "unknown-machine,unused-ignore"))
    assert _codes(data) == [("unknown-machine", 6)]
    data = _data(_check(folder, "--select", "max-machines,unused-ignore"))
    assert _codes(data) == [("unused-ignore", 6)]


# -- SARIF, cache -------------------------------------------------------------------------


def test_sarif_marks_suppressed_results(tmp_path: Path) -> None:
    folder = _write(
        tmp_path, clan_text(ghost=" # inventory-solver: ignore[unknown-machine] in Nix")
    )
    r = _check(folder, fmt="sarif")
    log = json.loads(r.output)
    results = log["runs"][0]["results"]
    by_rule = {res["ruleId"]: res for res in results}
    assert set(by_rule) == {"unknown-machine", "empty-role"}
    assert "suppressions" not in by_rule["empty-role"]
    [sup] = by_rule["unknown-machine"]["suppressions"]
    assert sup["kind"] == "inSource"
    assert sup["justification"] == "in Nix"
    region = sup["location"]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"]) == (6, 42)
    rule_ids = [rule["id"] for rule in log["runs"][0]["tool"]["driver"]["rules"]]
    assert by_rule["unknown-machine"]["ruleIndex"] == rule_ids.index("unknown-machine")
    # the log, suppressions included, validates against the OASIS schema
    import jsonschema

    schema_path = Path(__file__).parent / "render" / "data" / "sarif-schema-2.1.0.json"
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    problems = [e.message for e in jsonschema.Draft4Validator(schema).iter_errors(log)]
    assert problems == []


def test_the_cache_does_not_answer_when_a_comment_changed(tmp_path: Path) -> None:
    folder = _write(tmp_path, clan_text())
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "PRE_COMMIT")}
    env["INVENTORY_SOLVER_CACHE_DIR"] = str(tmp_path / "cache")
    env.pop("INVENTORY_SOLVER_NO_CACHE", None)

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "solver", "check", "clan.nix", "--format", "concise"],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
        )

    first = run()
    assert first.returncode == 1 and "unknown-machine" in first.stdout
    _write(folder, clan_text(ghost=" # inventory-solver: ignore[unknown-machine] in Nix"))
    second = run()
    assert second.returncode == 0, second.stdout
    assert "unknown-machine" not in second.stdout and "1 suppressed" in second.stdout
    third = run()  # answered from the cache: the same bytes
    assert (third.returncode, third.stdout) == (second.returncode, second.stdout)


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_diff_honours_ignore_and_inline_suppressions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.org",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.org",
    }

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, env=env)

    base = clan_text().replace("      roles.server.machines.ghost = { };\n", "")
    _write(tmp_path, base)
    git("init", "-q", "-b", "main")
    git("add", "-A")
    git("commit", "-qm", "base")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)

    def diff(*args: str) -> Result:
        return CliRunner().invoke(cli, ["diff", "HEAD", "--fail-on-new", "error", *args])

    _write(tmp_path, clan_text())  # the change adds an unknown machine
    new = diff()
    assert new.exit_code == 1 and "unknown-machine" in new.output
    assert diff("--ignore", "unknown-machine").exit_code == 0
    assert diff("--select", "nope-code").exit_code == 2
    _write(tmp_path, clan_text(ghost=" # inventory-solver: ignore[unknown-machine] on purpose"))
    assert diff().exit_code == 0


def test_explain_machine_leaves_out_suppressed_findings(tmp_path: Path) -> None:
    def explain(folder: Path) -> str:
        old = os.getcwd()
        os.chdir(folder)
        try:
            r = CliRunner().invoke(cli, ["explain", "ghost", ".", "--no-cache"])
        finally:
            os.chdir(old)
        assert r.exit_code == 0, r.output
        return r.output

    assert "findings about ghost: 1" in explain(_write(tmp_path, clan_text()))
    _write(tmp_path, clan_text(ghost=" # inventory-solver: ignore[unknown-machine] in Nix"))
    assert "findings about ghost: 0" in explain(tmp_path)


def test_library_check_takes_select_and_applies_inline_suppressions(tmp_path: Path) -> None:
    from solver import check
    from solver.errors import InputError

    folder = _write(tmp_path, clan_text(ghost=" # inventory-solver: ignore[unknown-machine] x"))
    report = check(folder, config=None)
    assert [d.code for d in report.diagnostics] == ["empty-role"]
    assert [s.diagnostic.code for s in report.suppressed] == ["unknown-machine"]
    assert report.summary.suppressed == 1
    only = check(folder, config=None, select=["unknown-*"])
    assert only.diagnostics == [] and only.summary.ignored == 1
    with pytest.raises(InputError, match="unknown code `empty-rol`"):
        check(folder, config=None, select=["empty-rol"])
    with pytest.raises(TypeError):
        check(folder, config=None, select="empty-role")  # type: ignore[arg-type]
