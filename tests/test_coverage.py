"""What the user sees of coverage: the summary says what was read, ``--verbose`` lists it,
``--strict`` fails an incomplete read, ``clan-not-read`` replaces a silent pass, the clan is
found from a subfolder, and a ``.nix`` path means the same with and without ``--eval``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from solver.api import Options, run
from solver.cli import cli
from solver.diagnostics import Diagnostic
from solver.location import Location
from solver.read import Loaded, Skipped
from solver.render import summary_line
from solver.report import Coverage, SkippedFile, Summary

CLEAN_JSON = '{"machines": {"jon": {}}, "instances": {"s": {"module": {"name": "sshd"}, "roles": {"server": {"machines": {"jon": {}}}}}}}\n'

# a flake-parts-free clan: plain data, except the machine set, built by an input's function
OPAQUE_FLAKE = """{
  inputs.clan-core.url = "git+https://git.clan.lol/clan/clan-core";
  outputs = { self, clan-core, fleet, ... }:
    clan-core.lib.clan {
      inherit self;
      inventory.machines = fleet.lib.machines;
      inventory.instances.sshd = {
        module.name = "sshd";
        roles.server.tags.all = { };
      };
    };
}
"""

# the whole clan argument is built by a function of the flake's own
UNREADABLE_FLAKE = """{
  inputs.clan-core.url = "git+https://git.clan.lol/clan/clan-core";
  outputs = { self, clan-core, ... }:
    let
      mkFleet = import ./lib/fleet.nix;
    in
    clan-core.lib.clan (mkFleet { inherit self; hosts = [ "jon" "sara" ]; });
}
"""

FLAKE_LOCK = json.dumps(
    {
        "nodes": {
            "clan-core": {
                "locked": {"type": "git", "url": "https://git.clan.lol/clan/clan-core"},
                "original": {"type": "git", "url": "https://git.clan.lol/clan/clan-core"},
            },
            "root": {"inputs": {"clan-core": "clan-core"}},
        },
        "root": "root",
        "version": 7,
    }
)

INVENTORY_NIX = """{ lib, ... }:
let server = "jon"; in
{
  machines.jon.tags = [ "web" ];
  instances.sshd = {
    module.name = "sshd";
    roles.server.machines.${server} = { };
    roles.server.machines.ghost = { };
  };
}
"""

CLAN_MODULE_NIX = """{
  inventory = {
    machines.jon.tags = [ "web" ];
    instances.sshd = {
      module.name = "sshd";
      roles.server.machines.jon = { };
      roles.server.machines.ghost = { };
    };
  };
}
"""

FLAKE_PARTS_MODULE_NIX = """{ config, ... }:
{
  clan.inventory = {
    machines.jon.tags = [ "web" ];
    instances.sshd = {
      module.name = "sshd";
      roles.server.machines.jon = { };
      roles.server.machines.ghost = { };
    };
  };
}
"""


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, ["check", "--no-cache", *args])


def repo(tmp_path: Path, files: dict[str, str]) -> Path:
    """A repository (``.git``) holding `files`."""
    (tmp_path / ".git").mkdir(parents=True)
    for name, text in files.items():
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return tmp_path


# -- the summary -----------------------------------------------------------------------


def test_summary_line_says_what_was_not_read() -> None:
    cov = Coverage(
        files=[f"f{i}.nix" for i in range(9)],
        skipped=[
            SkippedFile(file="a.nix", reason="syntax error"),
            SkippedFile(file="b", reason="x"),
        ],
        opaque_values=3,
    )
    clean = Summary(files=cov.files)
    assert summary_line(clean, cov) == (
        "no problems found (read 9 files; 2 skipped, 3 values not evaluated)"
    )
    findings = Summary(errors=2, warnings=1, ignored=1, files=cov.files)
    assert summary_line(findings, cov) == (
        "2 errors, 1 warning in 9 files (2 skipped, 3 values not evaluated, 1 ignored)"
    )
    # a complete read says what it always said
    assert summary_line(clean, Coverage(files=cov.files)) == "no problems found in 9 files"
    one = Coverage(files=["flake.nix"], opaque_values=1)
    assert summary_line(Summary(files=one.files), one) == (
        "no problems found (read 1 file; 1 value not evaluated)"
    )


def test_json_inventory_reads_one_file_completely(tmp_path: Path) -> None:
    f = tmp_path / "inventory.json"
    f.write_text(CLEAN_JSON)
    r = invoke(str(f), "--format", "json")
    assert r.exit_code == 0
    data = json.loads(r.stdout)
    assert data["coverage"]["files"] == [str(f)]
    assert data["coverage"]["skipped"] == []
    assert data["coverage"]["opaque_values"] == 0
    assert data["coverage"]["clan_read"] is True
    # the existing fields are unchanged: the contract only grows
    assert list(data)[:3] == ["version", "diagnostics", "summary"]
    assert data["summary"]["files"] == [str(f)]


def test_opaque_values_are_counted_in_text_concise_and_json(tmp_path: Path) -> None:
    clan = repo(tmp_path, {"flake.nix": OPAQUE_FLAKE})
    text = invoke(str(clan))
    assert text.exit_code == 0
    assert text.stdout.rstrip().endswith("(1 value not evaluated)")
    concise = invoke(str(clan), "--format", "concise")
    assert concise.stdout.rstrip().endswith("(1 value not evaluated)")
    data = json.loads(invoke(str(clan), "--format", "json").stdout)
    cov = data["coverage"]
    assert cov["opaque_values"] == 1
    assert cov["opaque_membership"] == 1
    assert cov["opaque"][0]["path"] == "machines"
    assert cov["opaque"][0]["location"]["line"] == 6
    assert cov["files"] == [str(clan / "flake.nix")]


def test_skipped_files_reach_the_report() -> None:
    loc = Location(file="flake.nix", line=3, column=5)
    loaded = Loaded(
        data={"machines": {"jon": {}}},
        files=["flake.nix", "clan.nix"],
        skipped=[Skipped(file="../outside.nix", reason="outside the repository", location=loc)],
    )
    report = run(loaded, Options())
    assert report.coverage.skipped[0].file == "../outside.nix"
    assert report.coverage.skipped[0].location == loc
    assert report.coverage.gaps() == ["1 file skipped"]
    from solver.render import SourceText, get_renderer

    out = get_renderer("json")(report, sources=SourceText(read_files=False), color=False)
    assert json.loads(out)["coverage"]["skipped"] == [
        {
            "file": "../outside.nix",
            "reason": "outside the repository",
            "location": {
                "file": "flake.nix",
                "line": 3,
                "column": 5,
                "end_line": None,
                "end_column": None,
            },
        }
    ]


def test_file_not_read_notes_count_as_skipped_and_opaque_count_is_kept() -> None:
    note = Diagnostic(
        code="file-not-read",
        severity="warning",
        message="broken.nix is not read: syntax error",
        path="",
        location=Location(file="broken.nix", line=1, column=1),
    )
    report = run(Loaded(data={}, files=["flake.nix"], notes=[note], opaque_count=4), Options())
    assert [s.file for s in report.coverage.skipped] == ["broken.nix"]
    assert report.coverage.opaque_values == 4


# -- --verbose and --strict -------------------------------------------------------------


def test_verbose_lists_files_and_values_on_stderr(tmp_path: Path) -> None:
    clan = repo(tmp_path, {"flake.nix": OPAQUE_FLAKE})
    r = invoke(str(clan), "--verbose", "--format", "json")
    assert r.exit_code == 0
    json.loads(r.stdout)  # stdout stays the JSON document
    assert "read 1 file:" in r.stderr
    assert f"  {clan / 'flake.nix'}" in r.stderr
    assert f"{clan / 'flake.nix'}:6:" in r.stderr
    assert "machines (decides role membership)" in r.stderr


def test_strict_fails_on_opaque_membership(tmp_path: Path) -> None:
    clan = repo(tmp_path, {"flake.nix": OPAQUE_FLAKE})
    assert invoke(str(clan)).exit_code == 0
    r = invoke(str(clan), "--strict")
    assert r.exit_code == 1
    assert "--strict" in r.stderr
    assert "1 value deciding role membership not evaluated" in r.stderr
    assert invoke(str(clan), "--strict", "--exit-zero").exit_code == 0


def test_strict_from_the_config(tmp_path: Path) -> None:
    clan = repo(tmp_path, {"flake.nix": OPAQUE_FLAKE, "inventory-solver.toml": "strict = true\n"})
    r = invoke(str(clan), "--config", str(clan / "inventory-solver.toml"))
    assert r.exit_code == 1
    assert "deciding role membership" in r.stderr


def test_strict_passes_a_complete_read(tmp_path: Path) -> None:
    f = tmp_path / "inventory.json"
    f.write_text(CLEAN_JSON)
    r = invoke(str(f), "--strict")
    assert r.exit_code == 0
    assert "--strict" not in r.stderr


# -- clan-not-read -----------------------------------------------------------------------


def test_clan_built_by_unknown_function_is_a_warning(tmp_path: Path) -> None:
    clan = repo(
        tmp_path,
        {
            "flake.nix": UNREADABLE_FLAKE,
            "flake.lock": FLAKE_LOCK,
            "machines/jon/configuration.nix": "{ }\n",
        },
    )
    r = invoke(str(clan), "--format", "concise")
    assert "no problems found" not in r.stdout
    assert "warning[clan-not-read]" in r.stdout
    assert "a clan-core input in flake.lock" in r.stdout
    assert f"{clan / 'flake.nix'}:7:" in r.stdout  # at the expression that was not read
    assert r.exit_code == 0  # a warning: exit 1 with --fail-on warning or --strict
    assert invoke(str(clan), "--fail-on", "warning").exit_code == 1
    strict = invoke(str(clan), "--strict")
    assert strict.exit_code == 1
    assert "clan-not-read" in strict.stderr
    data = json.loads(invoke(str(clan), "--format", "json").stdout)
    assert data["coverage"]["clan_read"] is False


def test_machines_folders_without_a_readable_clan_are_a_warning(tmp_path: Path) -> None:
    flake = "{ outputs = inputs: import ./outputs.nix inputs; }\n"
    clan = repo(tmp_path, {"flake.nix": flake, "machines/jon/configuration.nix": "{ }\n"})
    r = invoke(str(clan), "--format", "concise")
    assert r.exit_code == 0, r.output
    assert "warning[clan-not-read]" in r.stdout
    assert "1 folder under machines/" in r.stdout
    assert r.stdout.rstrip().endswith(f"1 warning in {clan / 'flake.nix'}")


def test_no_clan_and_no_sign_of_one_is_still_unusable(tmp_path: Path) -> None:
    clan = repo(tmp_path, {"flake.nix": "{ outputs = _: { }; }\n"})
    r = invoke(str(clan))
    assert r.exit_code == 2
    assert "no clan found" in r.stderr


def test_a_clan_without_instances_is_not_a_false_alarm(tmp_path: Path) -> None:
    flake = """{
  inputs.clan-core.url = "git+https://git.clan.lol/clan/clan-core";
  outputs = { self, clan-core, ... }:
    clan-core.lib.clan { inherit self; inventory.machines.jon = { }; };
}
"""
    clan = repo(tmp_path, {"flake.nix": flake, "flake.lock": FLAKE_LOCK})
    r = invoke(str(clan), "--format", "concise", "--strict")
    assert r.exit_code == 0, r.output
    assert "clan-not-read" not in r.output


def test_instances_mentioned_but_not_read_is_a_warning(tmp_path: Path) -> None:
    flake = """{
  inputs.clan-core.url = "git+https://git.clan.lol/clan/clan-core";
  outputs = { self, clan-core, ... }:
    clan-core.lib.clan { inherit self; inventory.machines.jon = { }; };
  # instances = import ./instances.nix;  (moved to a module this flake no longer imports)
}
"""
    clan = repo(tmp_path, {"flake.nix": flake})
    r = invoke(str(clan), "--format", "concise")
    assert "warning[clan-not-read]" in r.stdout
    assert "mentions instances" in r.stdout


# -- found from a subfolder ----------------------------------------------------------------


def test_found_from_a_subfolder_with_paths_relative_to_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clan = repo(
        tmp_path, {"flake.nix": OPAQUE_FLAKE.replace("fleet.lib.machines", "{ jon = { }; }")}
    )
    flake = (
        (clan / "flake.nix")
        .read_text()
        .replace("roles.server.tags.all = { };", "roles.server.machines.ghost = { };")
    )
    (clan / "flake.nix").write_text(flake)
    sub = clan / "docs" / "deep"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    r = invoke("--format", "concise")
    assert r.exit_code == 1, r.output
    assert r.stdout.startswith("../../flake.nix:9:")
    assert "unknown-machine" in r.stdout
    text = invoke()  # the text format finds the snippet through the same relative name
    assert "roles.server.machines.ghost" in text.stdout


def test_the_search_stops_at_the_repository_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "flake.nix").write_text(OPAQUE_FLAKE)  # above the repository: not ours
    inner = repo(tmp_path / "project", {"README.md": "x\n"})
    (inner / "src").mkdir()
    monkeypatch.chdir(inner / "src")
    r = invoke()
    assert r.exit_code == 2
    assert "no clan found" in r.stderr


def test_library_check_finds_the_clan_upward(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import solver

    clan = repo(tmp_path, {"inventory.json": CLEAN_JSON})
    (clan / "machines" / "jon").mkdir(parents=True)
    monkeypatch.chdir(clan / "machines" / "jon")
    report = solver.check()
    assert report.summary.files == ["../../inventory.json"]
    assert report.ok


# -- one meaning for a .nix path ----------------------------------------------------------


def _findings(r: Result) -> list[tuple[str, str]]:
    data = json.loads(r.stdout)
    return sorted((d["code"], d["path"]) for d in data["diagnostics"] if d["severity"] != "info")


@pytest.mark.parametrize(
    "text",
    [INVENTORY_NIX, CLAN_MODULE_NIX, FLAKE_PARTS_MODULE_NIX],
    ids=["inventory", "module", "flake-parts"],
)
def test_a_nix_file_is_read_by_its_shape(tmp_path: Path, text: str) -> None:
    f = tmp_path / "clan-part.nix"
    f.write_text(text)
    r = invoke(str(f), "--format", "json")
    assert r.exit_code == 1, r.output
    assert _findings(r) == [("unknown-machine", "instances.sshd.roles.server.machines.ghost")]
    loc = next(
        d["location"] for d in json.loads(r.stdout)["diagnostics"] if d["code"] == "unknown-machine"
    )
    assert loc["file"] == str(f)


def test_shape_rules() -> None:
    from solver.read.shape import shape_of_keys

    assert shape_of_keys({"machines", "instances"}) == "inventory"
    assert shape_of_keys({"machines", "services"}) == "inventory"
    assert shape_of_keys({"inventory", "machines"}) == "clan-module"
    assert shape_of_keys({"clan"}) == "clan-module"
    assert shape_of_keys({"machines"}) == "clan-module"  # NixOS configurations of a clan
    assert shape_of_keys(None) == "clan-module"  # a call (lib.clan { … }), an import, …


@pytest.mark.skipif(shutil.which("nix") is None, reason="nix is not installed")
@pytest.mark.parametrize(
    "text",
    [
        INVENTORY_NIX.replace("{ lib, ... }:", ""),
        CLAN_MODULE_NIX,
        FLAKE_PARTS_MODULE_NIX,
    ],
    ids=["inventory", "module", "flake-parts"],
)
def test_eval_tells_the_shapes_apart_the_same_way(tmp_path: Path, text: str) -> None:
    f = tmp_path / "clan-part.nix"
    f.write_text(text)
    static = invoke(str(f), "--format", "json")
    evaluated = invoke(str(f), "--format", "json", "--eval")
    assert evaluated.exit_code == 1, evaluated.output
    assert _findings(evaluated) == _findings(static)


def test_cache_from_a_subfolder_is_keyed_by_the_clan_found(tmp_path: Path) -> None:
    """Run twice from a subfolder with the cache on; a change in the clan root's file
    (outside the subfolder) must not be answered from the stale entry."""
    import os
    import subprocess
    import sys

    clan = repo(tmp_path / "clan", {"inventory.json": CLEAN_JSON})
    sub = clan / "machines" / "jon"
    sub.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "PRE_COMMIT")}
    env.pop("INVENTORY_SOLVER_NO_CACHE", None)
    env["INVENTORY_SOLVER_CACHE_DIR"] = str(tmp_path / "cache")

    def check() -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "solver", "check", "--format", "concise"]
        return subprocess.run(cmd, cwd=sub, env=env, capture_output=True, text=True)

    first = check()
    assert first.returncode == 0, first.stderr
    assert first.stdout == "no problems found in ../../inventory.json\n"
    assert check().stdout == first.stdout  # answered again (from the cache)
    (clan / "inventory.json").write_text(CLEAN_JSON.replace('"jon": {}}}}', '"ghost": {}}}}'))
    second = check()
    assert second.returncode == 1
    assert "ghost" in second.stdout
