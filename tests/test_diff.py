"""`inventory-solver diff`: the effect of a change between two git revisions.

Each test builds its own repository (git init, commits of a clan in JSON and one in Nix),
then compares revisions and the working tree."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from solver.api import check
from solver.changes import compare
from solver.cli import get_cli

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

BASE_JSON: dict[str, Any] = {
    "meta": {"name": "t"},
    "machines": {
        "jon": {"tags": ["backup"]},
        "sara": {"tags": ["backup"]},
        "old": {},
        "mac": {},
        "server": {"tags": ["server"]},
    },
    "instances": {
        "borg": {
            "module": {"name": "borgbackup"},
            "roles": {
                "client": {
                    "tags": ["backup", "nosuchtag"],
                    "machines": {"jon": {"settings": {"startAt": "daily"}}},
                },
                "server": {"machines": {"server": {}}},
            },
        },
        "ssh": {
            "module": {"name": "sshd"},
            "roles": {
                "server": {
                    "machines": {"old": {}, "server": {}},
                    "settings": {"authorizedKeys": {"alice": "ssh-ed25519 AAAAold"}},
                }
            },
        },
        "retired": {"module": {"name": "hello-world"}, "roles": {"morning": {}}},
    },
}


def target_json() -> dict[str, Any]:
    data = json.loads(json.dumps(BASE_JSON))
    m = data["machines"]
    m["sara"] = {}  # tag removed: loses borg/client (via tag backup)
    m["web"] = {"tags": ["backup"]}  # machine added: gains borg/client via tag backup
    m["mac"] = {"machineClass": "darwin"}  # class change
    m["server"]["tags"] = ["server", "edge"]  # tag added
    inst = data["instances"]
    client = inst["borg"]["roles"]["client"]
    client["tags"] = ["backup"]  # fixes the unknown-tag warning
    client["machines"]["jon"]["settings"]["startAt"] = "hourly"  # setting changed
    client["machines"]["sara"] = {}  # sara now named explicitly (was: tag) -> reason change
    client["machines"]["ghost"] = {}  # new error: unknown machine
    # secret-looking setting changed
    inst["ssh"]["roles"]["server"]["settings"]["authorizedKeys"]["alice"] = "ssh-ed25519 AAAAnew"
    del inst["retired"]  # instance removed
    inst["greet"] = {  # instance added
        "module": {"name": "hello-world"},
        "roles": {"morning": {"machines": {"jon": {}}}},
    }
    return data


BASE_NIX = """{ ... }:
{
  meta.name = "n";
  inventory.machines = {
    a = { tags = [ "web" ]; };
    b = { };
  };
  inventory.instances = {
    hi = {
      module.name = "hello-world";
      roles.morning.tags = [ "web" ];
      roles.morning.machines.a.settings = { };
    };
  };
}
"""

TARGET_NIX = """{ ... }:
{
  meta.name = "n";
  inventory.machines = {
    a = { tags = [ "web" ]; };
    b = { tags = [ "web" ]; };
  };
  inventory.instances = {
    hi = {
      module.name = "hello-world";
      roles.morning.tags = [ "web" ];
      roles.morning.machines.a.settings = { };
    };
  };
}
"""

# the same clan as BASE_NIX, formatted differently and in another order
REFORMATTED_NIX = """{ ... }: {
  inventory.instances.hi = { roles.morning.machines.a.settings = {}; module.name = "hello-world";
    roles.morning.tags = ["web"]; };
  inventory.machines.b = {};
  inventory.machines.a.tags = ["web"];
  meta.name = "n";
}
"""


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args],
        check=True,
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@example.org",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@example.org",
        },
    ).stdout


def write_json(path: Path, data: Any, **kw: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, **kw) + "\n")


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    r = tmp_path / "repo"
    r.mkdir()
    git(r, "init", "-q", "-b", "main")
    write_json(r / "cj" / "inventory.json", BASE_JSON, indent=2)
    (r / "cn").mkdir()
    (r / "cn" / "clan.nix").write_text(BASE_NIX)
    git(r, "add", "-A")
    git(r, "commit", "-qm", "base")
    monkeypatch.chdir(r)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    return r


def run(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(get_cli(), ["diff", *args], catch_exceptions=False)
    return res.exit_code, res.output


def run_json(*args: str) -> tuple[int, dict[str, Any]]:
    res = CliRunner().invoke(get_cli(), ["diff", *args, "--format", "json"])
    return res.exit_code, json.loads(res.stdout)


def test_every_kind_of_change_json_clan(repo: Path) -> None:
    write_json(repo / "cj" / "inventory.json", target_json(), indent=2)
    code, d = run_json("HEAD", "--clan", "cj")
    assert code == 0
    assert d["version"] == 1
    assert d["base"]["rev"] == "HEAD" and len(d["base"]["commit"]) == 40
    assert d["target"] == {"rev": "working tree", "commit": None}
    assert d["machines"]["added"] == [
        {"name": "web", "machineClass": "nixos", "tags": ["all", "backup", "nixos"]}
    ]
    assert d["machines"]["removed"] == []
    assert d["machines"]["changed"] == [
        {
            "name": "mac",
            "tagsAdded": ["darwin"],
            "tagsRemoved": ["nixos"],
            "machineClass": {"old": "nixos", "new": "darwin"},
        },
        {"name": "sara", "tagsAdded": [], "tagsRemoved": ["backup"]},
        {"name": "server", "tagsAdded": ["edge"], "tagsRemoved": []},
    ]
    assert d["instances"] == {
        "added": [{"name": "greet", "module": "hello-world"}],
        "removed": [{"name": "retired", "module": "hello-world"}],
        "changed": [],
    }
    assert d["memberships"] == [
        {
            "instance": "borg",
            "role": "client",
            "machine": "ghost",
            "change": "added",
            "via": ["explicit"],
        },
        {
            "instance": "borg",
            "role": "client",
            "machine": "sara",
            "change": "reason",
            "via": ["explicit"],
            "oldVia": ["tag backup"],
        },
        {
            "instance": "borg",
            "role": "client",
            "machine": "web",
            "change": "added",
            "via": ["tag backup"],
        },
        {
            "instance": "greet",
            "role": "morning",
            "machine": "jon",
            "change": "added",
            "via": ["explicit"],
        },
    ]
    settings = {(s["machine"], s["instance"], s["path"]): s for s in d["settings"]}
    assert set(settings) == {
        ("jon", "borg", "startAt"),
        ("old", "ssh", "authorizedKeys.alice"),  # role-level settings: every member
        ("server", "ssh", "authorizedKeys.alice"),
    }
    assert (
        settings["jon", "borg", "startAt"]["old"],
        settings["jon", "borg", "startAt"]["new"],
    ) == (
        "daily",
        "hourly",
    )
    secret = settings["server", "ssh", "authorizedKeys.alice"]
    assert secret["masked"] and secret["old"] == secret["new"] == "***"
    new = [(f["code"], f["path"]) for f in d["findings"]["new"]]
    fixed = [(f["code"], f["path"]) for f in d["findings"]["fixed"]]
    assert new == [("unknown-machine", "instances.borg.roles.client.machines.ghost")]
    assert fixed == [
        ("empty-instance", "instances.retired"),  # the instance is gone
        ("unknown-tag", "instances.borg.roles.client.tags[1]"),
    ]
    # located in the repository's own file names, not the export folder
    assert d["findings"]["fixed"][1]["file"] == "cj/inventory.json"
    assert d["findings"]["new"][0]["file"] == "cj/inventory.json"
    s = d["summary"]
    assert (s["memberships_added"], s["memberships_removed"], s["memberships_reason_changed"]) == (
        3,
        0,
        1,
    )


def test_text_and_markdown_show_each_change_once_and_mask_secrets(repo: Path) -> None:
    write_json(repo / "cj" / "inventory.json", target_json(), indent=2)
    code, text = run("HEAD", "--clan", "cj")
    assert code == 0
    assert "AAAAnew" not in text and "AAAAold" not in text
    assert "authorizedKeys.alice: *** -> ***" in text
    assert 'startAt: "daily" -> "hourly"' in text
    assert text.count("+ web (tag backup)") == 1
    assert text.count("~ sara (tag backup -> explicit)") == 1
    assert text.count("+ greet (hello-world)") == 1
    assert text.count("- retired (hello-world)") == 1
    assert "class: nixos -> darwin" in text
    assert "tags added: edge" in text
    code, md = run("HEAD", "--clan", "cj", "--format", "markdown")
    assert md.startswith("**inventory-solver diff**")
    assert md.count("<details") == 4 and md.count("</details>") == 4
    assert "AAAAnew" not in md
    # deterministic
    assert run("HEAD", "--clan", "cj", "--format", "markdown")[1] == md


def test_nix_clan_membership_by_tag(repo: Path) -> None:
    (repo / "cn" / "clan.nix").write_text(TARGET_NIX)
    code, d = run_json("HEAD", "--clan", "cn")
    assert code == 0
    assert d["memberships"] == [
        {"instance": "hi", "role": "morning", "machine": "b", "change": "added", "via": ["tag web"]}
    ]
    assert d["machines"]["changed"] == [{"name": "b", "tagsAdded": ["web"], "tagsRemoved": []}]
    assert d["machines"]["added"] == d["machines"]["removed"] == []
    assert d["findings"] == {"new": [], "fixed": []}


def test_between_two_commits(repo: Path) -> None:
    (repo / "cn" / "clan.nix").write_text(TARGET_NIX)
    git(repo, "commit", "-qam", "b joins web")
    (repo / "cn" / "clan.nix").write_text(BASE_NIX)  # the work tree is not what is compared
    code, d = run_json("HEAD~1", "HEAD", "--clan", "cn")
    assert code == 0
    assert [m["machine"] for m in d["memberships"]] == ["b"]
    assert d["target"]["rev"] == "HEAD"
    code, d = run_json("--base", "HEAD~1", "HEAD", "--clan", "cn")
    assert [m["machine"] for m in d["memberships"]] == ["b"]


def test_renamed_machine_is_removed_and_added(repo: Path) -> None:
    data = json.loads(json.dumps(BASE_JSON))
    data["machines"]["jonathan"] = data["machines"].pop("jon")
    client = data["instances"]["borg"]["roles"]["client"]
    client["machines"]["jonathan"] = client["machines"].pop("jon")
    write_json(repo / "cj" / "inventory.json", data, indent=2)
    code, d = run_json("HEAD", "--clan", "cj")
    assert code == 0
    assert [m["name"] for m in d["machines"]["added"]] == ["jonathan"]
    assert [m["name"] for m in d["machines"]["removed"]] == ["jon"]
    assert d["machines"]["changed"] == []
    assert [(m["machine"], m["change"]) for m in d["memberships"]] == [
        ("jon", "removed"),
        ("jonathan", "added"),
    ]
    assert d["settings"] == [] and d["findings"] == {"new": [], "fixed": []}


def test_key_order_and_formatting_report_nothing(repo: Path) -> None:
    def reorder(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: reorder(v[k]) for k in reversed(list(v))}
        return v

    # another key order and indentation: every finding moves to another line
    write_json(repo / "cj" / "inventory.json", reorder(BASE_JSON), indent=7)
    (repo / "cn" / "clan.nix").write_text(REFORMATTED_NIX)
    for clan in ("cj", "cn"):
        code, text = run("HEAD", "--clan", clan)
        assert code == 0
        assert "No changes to roles, settings or findings." in text
        assert len(text.strip().splitlines()) == 2, text
    code, d = run_json("HEAD", "--clan", "cj", "--fail-on-new", "warning")
    assert code == 0 and d["findings"] == {"new": [], "fixed": []}


def test_work_tree_and_index_untouched(repo: Path) -> None:
    (repo / "cn" / "clan.nix").write_text(TARGET_NIX)
    git(repo, "commit", "-qam", "two")
    write_json(repo / "cj" / "inventory.json", target_json())
    (repo / "untracked.txt").write_text("x")
    git(repo, "add", "untracked.txt")  # staged
    status = git(repo, "status", "--porcelain")
    index = repo / ".git" / "index"

    def snapshot() -> dict[str, tuple[int, bytes]]:
        out = {}
        for p in sorted(repo.rglob("*")):
            if p.is_file() and ".git" not in p.relative_to(repo).parts[:1]:
                out[str(p)] = (p.stat().st_mtime_ns, p.read_bytes())
        out["index"] = (index.stat().st_mtime_ns, index.read_bytes())
        return out

    before = snapshot()
    head = git(repo, "rev-parse", "HEAD")
    assert run("HEAD~1", "--clan", "cj")[0] == 0
    assert run("HEAD~1", "HEAD", "--clan", "cn")[0] == 0
    assert snapshot() == before
    assert git(repo, "status", "--porcelain") == status
    assert git(repo, "rev-parse", "HEAD") == head
    assert git(repo, "stash", "list") == ""


def test_fail_on_new(repo: Path) -> None:
    data = json.loads(json.dumps(BASE_JSON))
    data["instances"]["borg"]["roles"]["client"]["tags"].append("alsonotag")  # new warning
    write_json(repo / "cj" / "inventory.json", data)
    assert run("HEAD", "--clan", "cj")[0] == 0
    assert run("HEAD", "--clan", "cj", "--fail-on-new", "error")[0] == 0
    code, out = run("HEAD", "--clan", "cj", "--fail-on-new", "warning")
    assert code == 1 and "unknown-tag" in out
    data["instances"]["borg"]["roles"]["client"]["machines"]["ghost"] = {}  # new error
    write_json(repo / "cj" / "inventory.json", data)
    assert run("HEAD", "--clan", "cj", "--fail-on-new", "error")[0] == 1
    # an error that was already there is not new
    git(repo, "commit", "-qam", "with errors")
    assert run("HEAD", "--clan", "cj", "--fail-on-new", "warning")[0] == 0


def test_github_summary_and_annotations(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    write_json(repo / "cj" / "inventory.json", target_json(), indent=2)
    code, out = run("HEAD", "--clan", "cj", "--format", "github")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 1 and lines[0].startswith("::error file=cj/inventory.json,line=")
    assert "title=inventory-solver%3A new unknown-machine::" in lines[0]
    assert summary.read_text().startswith("**inventory-solver diff**")


def test_default_base_is_the_merge_base(repo: Path) -> None:
    git(repo, "checkout", "-qb", "feature")
    (repo / "cn" / "clan.nix").write_text(TARGET_NIX)
    git(repo, "commit", "-qam", "feature work")
    # main moves on after the branch: the merge base, not main's tip, is compared
    git(repo, "checkout", "-q", "main")
    write_json(repo / "cj" / "inventory.json", target_json())
    git(repo, "commit", "-qam", "main moves")
    git(repo, "checkout", "-q", "feature")
    code, d = run_json("--clan", "cn")
    assert code == 0
    assert [m["machine"] for m in d["memberships"]] == ["b"]
    assert d["base"]["commit"] == git(repo, "merge-base", "HEAD", "main").strip()
    code, d = run_json("--clan", "cj")
    assert d["memberships"] == [] and d["machines"]["added"] == []


def test_bad_revision_and_no_repository(repo: Path, tmp_path: Path) -> None:
    code, out = run("no-such-rev", "--clan", "cj")
    assert code == 2 and "unknown revision 'no-such-rev'" in out
    assert "Traceback" not in out
    lone = tmp_path / "lone"
    write_json(lone / "inventory.json", BASE_JSON)
    code, out = run("HEAD", "--clan", str(lone))
    assert code == 2 and "Traceback" not in out


def test_clan_added_by_the_change(repo: Path) -> None:
    write_json(repo / "new" / "inventory.json", BASE_JSON)
    code, d = run_json("HEAD", "--clan", "new")
    assert code == 0
    assert len(d["machines"]["added"]) == 5 and d["machines"]["removed"] == []


def test_findings_matched_by_code_path_and_message_as_a_multiset() -> None:
    base = check(BASE_JSON)
    moved = check(json.loads(json.dumps(BASE_JSON)))
    assert compare(base, moved).empty
    # the same finding twice in the target: the second one is new
    doubled = moved.model_copy(update={"diagnostics": [*moved.diagnostics, moved.diagnostics[0]]})
    d = compare(base, doubled)
    assert [f.code for f in d.new_findings] == [moved.diagnostics[0].code]
    assert d.fixed_findings == []
    d = compare(doubled, base)
    assert [f.code for f in d.fixed_findings] == [moved.diagnostics[0].code]


def test_nix_clan_importing_a_file_beside_its_folder(repo: Path) -> None:
    """The export is confined like the work tree: the repository, not the clan folder."""
    (repo / "shared").mkdir()
    (repo / "shared" / "machines.nix").write_text('{ c = { tags = [ "web" ]; }; }\n')
    (repo / "cn" / "clan.nix").write_text(
        BASE_NIX.replace("b = { };", "b = { };\n  } // (import ../shared/machines.nix) // {")
    )
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "shared machines")
    code, d = run_json("HEAD", "--clan", "cn")
    assert code == 0
    assert d["memberships"] == [] and d["findings"] == {"new": [], "fixed": []}
    (repo / "shared" / "machines.nix").write_text("{ c = { }; }\n")
    code, d = run_json("HEAD", "--clan", "cn")
    assert [(m["machine"], m["change"]) for m in d["memberships"]] == [("c", "removed")]


# --- the base is not checked when it reads the same files as the target -----------------


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The clan folders `diff` checks (one process: no fork)."""
    import solver.commands.diff as diff_cmd

    monkeypatch.setenv("INVENTORY_SOLVER_DIFF_SERIAL", "1")
    seen: list[str] = []
    real = diff_cmd._check

    def counted(path: str, kw: dict[str, Any], view: Any = None, plain: bool = False) -> Any:
        seen.append(path)
        return real(path, kw, view, plain)

    monkeypatch.setattr(diff_cmd, "_check", counted)
    return seen


@pytest.mark.parametrize("clan", ["cj", "cn"])
def test_an_unchanged_clan_is_checked_once(
    repo: Path, checks: list[str], clan: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from solver import cache

    (repo / "notes.txt").write_text("an uncommitted file the clan does not read\n")
    # an earlier run of this process (the language server, tests) left its state
    monkeypatch.setattr(cache.RUN, "unrecorded", True)
    code, out = run("HEAD", "--clan", clan)
    assert code == 0
    assert "No changes to roles, settings or findings." in out
    assert len(checks) == 1


def test_a_change_in_an_imported_file_is_compared(repo: Path, checks: list[str]) -> None:
    # the machines are in a file the clan imports; only that file changes
    (repo / "cn" / "clan.nix").write_text(
        BASE_NIX.replace(
            'inventory.machines = {\n    a = { tags = [ "web" ]; };\n    b = { };\n  };',
            "inventory.machines = import ./machines.nix;",
        )
    )
    (repo / "cn" / "machines.nix").write_text('{ a = { tags = [ "web" ]; }; b = { }; }\n')
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "split")
    code, out = run("HEAD", "--clan", "cn")
    assert code == 0 and "No changes" in out and len(checks) == 1
    (repo / "cn" / "machines.nix").write_text(
        '{ a = { tags = [ "web" ]; }; b = { tags = [ "web" ]; }; }\n'
    )
    checks.clear()
    code, d = run_json("HEAD", "--clan", "cn")
    assert code == 0 and len(checks) == 2
    assert d["machines"]["changed"] == [{"name": "b", "tagsAdded": ["web"], "tagsRemoved": []}]
    assert [(m["machine"], m["change"]) for m in d["memberships"]] == [("b", "added")]


@pytest.mark.parametrize("where", ["base", "target"])
def test_a_flake_lock_on_one_side_only_is_compared(
    repo: Path, checks: list[str], where: str
) -> None:
    # flake.lock picks the catalogue; looking for it is not a read the clan's record has
    lock = repo / "cj" / "flake.lock"
    lock.write_text('{"nodes": {"root": {"inputs": {}}}, "root": "root", "version": 7}\n')
    if where == "base":
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", "lock")
        lock.unlink()
    code, _ = run("HEAD", "--clan", "cj")
    assert code == 0 and len(checks) == 2


def test_an_unchanged_clan_that_cannot_be_read_still_exits_2(repo: Path, checks: list[str]) -> None:
    (repo / "cj" / "inventory.json").write_text('{"machines": {"a": ')
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "broken")
    res = CliRunner().invoke(get_cli(), ["diff", "HEAD", "--clan", "cj"])
    assert res.exit_code == 2
    assert "cannot be read at working tree" in res.output
