"""One cause, one finding (issue 16, "Signal"), and suggestions that scale.

- did-you-mean by rapidfuzz: same cutoff as before, no candidate left out;
- an unknown tag's hint names the closest tags and how many exist, not all of them;
- an unknown tag that empties a role / instance is one finding with related notes;
- a class mismatch through a tag is one finding per instance and role;
- a deprecated module names its replacement;
- per unknown tag, one scan of the tags (counted, not timed).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import solver
from solver.diagnostics import Diagnostic
from solver.render.suggest import Pool, did_you_mean

ROOT = Path(__file__).resolve().parent.parent


def run(tmp_path: Path, inv: str | dict[str, Any]) -> list[Diagnostic]:
    f = tmp_path / "inventory.json"
    text = json.dumps(inv, indent=2) if isinstance(inv, dict) else textwrap.dedent(inv)
    f.write_text(text.lstrip("\n"), encoding="utf-8")
    return list(solver.check(str(f)).diagnostics)


def codes(diags: list[Diagnostic]) -> list[str]:
    return sorted(d.code for d in diags)


# -- did-you-mean ---------------------------------------------------------------------------


def test_typo_at_both_ends_is_found_in_a_big_pool() -> None:
    """The former prefix/suffix index missed these in pools over 5,000 names."""
    pool = {f"web-{i:05d}-eu" for i in range(8000)} | {"backup-server-frankfurt"}
    assert did_you_mean("xackup-server-frankfurx", pool) == ["backup-server-frankfurt"]
    assert did_you_mean("backup-sever-frankfurt", pool) == ["backup-server-frankfurt"]


def test_suggestion_semantics_users_see() -> None:
    names = ["backup", "Backup2", "server", "servers", "web1", "web2", "dmz"]
    assert did_you_mean("BACKUP", names) == ["backup"]  # case only: first
    assert did_you_mean("backup", names) == ["Backup2"]  # never the name itself
    assert did_you_mean("web", names, limit=5) == ["web1", "web2"]  # ties by name
    assert did_you_mean("dmx", names) == ["dmz"]  # 1 edit on a short name
    assert did_you_mean("abc", ["xyc"]) == []  # 2 edits on 3 letters: too far
    assert did_you_mean("sevrers", names, limit=2) == ["servers", "server"]  # swap = 1
    assert did_you_mean("x" * 200, ["x" * 199]) == []  # over MAX_NAME: none


# -- unknown-tag hint -----------------------------------------------------------------------


def _fleet(n_tags: int, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    machines = {f"m{i:03d}": {"tags": [f"rack-{i:03d}"]} for i in range(n_tags)}
    return {
        "machines": machines,
        "instances": {
            "sshd": {
                "roles": {
                    "server": {"machines": {"m000": {}}},
                    "client": {"tags": {"rack-0x1": {}}},
                }
            },
            **(extra or {}),
        },
    }


def test_unknown_tag_hint_names_the_closest_and_the_count(tmp_path: Path) -> None:
    diags = run(tmp_path, _fleet(40))
    (d,) = (d for d in diags if d.code == "unknown-tag")
    assert d.hint is not None
    assert d.hint.startswith('did you mean the tag "rack-001"? Closest tags: [')
    assert d.hint.endswith("(42 tags exist)")  # 40 racks + all, nixos
    listed = json.loads(d.hint.split("Closest tags: ")[1].split(" (")[0])
    assert len(listed) == 5 and listed[0] == "rack-001"
    assert "rack-039" not in d.hint  # not every tag


def test_verbose_lists_every_tag_the_hint_leaves_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from solver.cli import cli

    (tmp_path / "inventory.json").write_text(json.dumps(_fleet(40)), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    args = ["check", "inventory.json", "--no-cache", "--format", "concise"]
    quiet = CliRunner().invoke(cli, args)
    loud = CliRunner().invoke(cli, [*args, "--verbose"])
    assert quiet.stdout == loud.stdout  # stdout is the same with --verbose
    assert "rack-039" not in quiet.stdout and "rack-039" not in quiet.stderr
    (line,) = [x for x in loud.stderr.splitlines() if x.startswith("tags carried by machines")]
    assert line.startswith("tags carried by machines (42): all, nixos, rack-000, rack-001")
    assert line.endswith("rack-039")


def test_unknown_tag_hint_without_a_close_tag(tmp_path: Path) -> None:
    inv = _fleet(40)
    inv["instances"]["sshd"]["roles"]["client"]["tags"] = {"zzzzzzzz": {}}
    (d,) = (d for d in run(tmp_path, inv) if d.code == "unknown-tag")
    assert d.hint == "no tag is close to 'zzzzzzzz' (42 tags exist)"


def test_unknown_tag_hint_lists_a_few_tags_in_full(tmp_path: Path) -> None:
    inv = _fleet(2)  # rack-000, rack-001, all, nixos: at most 5 tags
    (d,) = (d for d in run(tmp_path, inv) if d.code == "unknown-tag")
    assert d.hint == (
        'did you mean the tag "rack-001"? Available tags: ["all","nixos","rack-000","rack-001"]'
    )


# -- one cause, one finding: unknown tag -> empty role / instance ---------------------------


def test_unknown_tag_that_empties_the_instance_is_one_finding(tmp_path: Path) -> None:
    diags = run(
        tmp_path,
        """
        {
          "machines": {"a": {"tags": ["backup"]}},
          "instances": {"sshd": {"roles": {"server": {"tags": ["bakup"]}}}}
        }
        """,
    )
    assert codes(diags) == ["unknown-tag"]
    (d,) = diags
    assert [(r.message, r.path) for r in d.related] == [
        (
            "role 'server' of instance 'sshd' is empty because of this",
            "instances.sshd.roles.server",
        ),
        ("instance 'sshd' resolves to no machine because of this", "instances.sshd"),
    ]
    assert all(r.location is not None for r in d.related)


def test_unknown_tag_that_empties_a_role_is_one_finding(tmp_path: Path) -> None:
    diags = run(
        tmp_path,
        """
        {
          "machines": {"a": {}},
          "instances": {"sshd": {"roles": {
            "server": {"machines": {"a": {}}},
            "client": {"tags": ["ghost", "phantom"]}
          }}}
        }
        """,
    )
    assert codes(diags) == ["unknown-tag", "unknown-tag"]  # each unknown tag is a cause
    for d in diags:
        assert [r.message for r in d.related] == [
            "role 'client' of instance 'sshd' is empty because of this"
        ]


def test_other_causes_of_emptiness_are_still_reported(tmp_path: Path) -> None:
    # a role with a known tag besides the unknown one is not empty: no note
    diags = run(
        tmp_path,
        """
        {
          "machines": {"a": {"tags": ["web"]}},
          "instances": {
            "one": {"module": {"name": "sshd"}, "roles": {"server": {"tags": ["web", "ghost"]}}},
            "two": {"module": {"name": "sshd"}, "roles": {"server": {"tags": ["ghost"]}, "client": {}}},
            "three": {"module": {"name": "sshd"},
                      "roles": {"server": {"machines": {"a": {}}}, "client": {}}}
          }
        }
        """,
    )
    by = {(d.code, d.instance): d for d in diags}
    assert sorted(by) == [
        ("empty-instance", "two"),  # its role 'client' is empty with no unknown tag at all
        ("empty-role", "three"),  # nothing listed: an empty role of its own
        ("unknown-tag", "one"),
        ("unknown-tag", "two"),
    ]
    assert by[("unknown-tag", "one")].related == ()
    assert [r.message for r in by[("unknown-tag", "two")].related] == [
        "role 'server' of instance 'two' is empty because of this"
    ]


# -- class-mismatch through a tag -----------------------------------------------------------


def test_class_mismatch_through_a_tag_is_one_finding_listing_the_machines(tmp_path: Path) -> None:
    machines: dict[str, Any] = {f"mac{i:02d}": {"machineClass": "darwin"} for i in range(13)}
    machines["pc"] = {}
    inv = {
        "machines": machines,
        "instances": {
            "zt": {
                "module": {"name": "zerotier"},
                "roles": {"controller": {"machines": {"mac00": {}}}, "peer": {"tags": ["all"]}},
            }
        },
    }
    hits = [d for d in run(tmp_path, inv) if d.code == "class-mismatch"]
    explicit = [d for d in hits if d.severity == "error"]
    tagged = [d for d in hits if d.severity == "warning"]
    assert [d.machine for d in explicit] == ["mac00"]  # by name: one per machine, as before
    (d,) = tagged
    assert d.message == (
        "13 darwin machines get nothing of role 'peer' of instance 'zt' through tag 'all': mac00, mac01, "
        "mac02, mac03, mac04, mac05, mac06, mac07, mac08, mac09 and 3 more (module "
        "'zerotier' supports only nixos)"
    )
    assert d.path == "instances.zt.roles.peer.tags[0]" and d.tag == "all" and d.role == "peer"
    assert d.args["count"] == 13 and len(d.args["machines"]) == 13
    assert d.machine is None
    assert d.hint is not None and "such as 'nixos'" in d.hint
    assert len(d.related) == 3


def test_class_mismatch_through_two_tags(tmp_path: Path) -> None:
    inv = {
        "machines": {
            "mac": {"machineClass": "darwin", "tags": ["laptop"]},
            "pc": {"tags": ["laptop"]},
        },
        "instances": {
            "zt": {"module": {"name": "zerotier"}, "roles": {"peer": {"tags": ["all", "laptop"]}}}
        },
    }
    (d,) = (d for d in run(tmp_path, inv) if d.code == "class-mismatch")
    assert d.message.startswith(
        "1 darwin machine gets nothing of role 'peer' of instance 'zt' through tags 'all', 'laptop': mac ("
    )


# -- deprecated-module names its replacement ------------------------------------------------


@pytest.mark.parametrize(
    ("inv", "hint"),
    [
        (
            {"instances": {"admin": {"roles": {"default": {"machines": {"a": {}}}}}}},
            "replaced by 'sshd' and 'users'",
        ),
        (
            {"instances": {"dns": {"module": {"name": "coredns"}, "roles": {}}}},
            "replaced by 'coredns' of flake input 'clan-community'; "
            'set module.input = "clan-community"',
        ),
        (
            {"services": {"sshd": {"x": {"roles": {"server": {"machines": ["a"]}}}}}},
            "replaced by the service 'sshd': define an instance of it under instances",
        ),
        (
            {"services": {"root-password": {"x": {"roles": {"default": {"machines": ["a"]}}}}}},
            "replaced by the service 'users': define an instance of it under instances",
        ),
        # clan-core names no replacement: none is made up
        ({"services": {"state-version": {"x": {"roles": {"default": {"machines": ["a"]}}}}}}, None),
    ],
)
def test_deprecated_module_names_the_replacement(
    tmp_path: Path, inv: dict[str, Any], hint: str | None
) -> None:
    inv = {"machines": {"a": {}}, **inv}
    (d,) = (d for d in run(tmp_path, inv) if d.code == "deprecated-module")
    assert d.hint == hint


# -- growth: one scan of the tags per unknown tag -------------------------------------------


def _counting(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[int]]:
    from rapidfuzz import process

    seen: dict[str, list[int]] = {"scan": [], "pool": []}
    extract = process.extract
    init = Pool.__init__

    def counted_extract(query: str, choices: list[str], **kw: Any) -> Any:
        seen["scan"].append(len(choices))
        return extract(query, choices, **kw)

    def counted_init(self: Pool, names: Any) -> None:
        init(self, names)
        seen["pool"].append(len(self))

    monkeypatch.setattr(process, "extract", counted_extract)
    monkeypatch.setattr(Pool, "__init__", counted_init)
    return seen


def _unknown_tags_fleet(n_machines: int, n_unknown: int) -> dict[str, Any]:
    n_tags = n_machines // 4
    return {
        "machines": {f"m{i:05d}": {"tags": [f"group-{i % n_tags:05d}"]} for i in range(n_machines)},
        "instances": {
            f"svc{j:03d}": {
                "module": {"name": "sshd"},
                "roles": {"server": {"tags": {f"group-{j:05d}x": {}, f"group-{j + 1:05d}": {}}}},
            }
            for j in range(n_unknown)
        },
    }


def test_suggestion_work_per_unknown_tag_is_one_scan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = _counting(monkeypatch)
    hints: dict[int, list[str]] = {}
    for n in (400, 4000):
        seen["scan"].clear()
        seen["pool"].clear()
        (tmp_path / str(n)).mkdir()
        diags = [d for d in run(tmp_path / str(n), _unknown_tags_fleet(n, 30))]
        unknown = [d for d in diags if d.code == "unknown-tag"]
        assert len(unknown) == 30
        tags = n // 4 + 2  # + all, nixos
        # one pool of tags for the whole run, one linear scan of it per unknown tag
        assert seen["pool"] == [tags]
        assert seen["scan"] == [tags] * 30
        hints[n] = [d.hint or "" for d in unknown]
    # the hint does not grow with the number of tags
    assert max(map(len, hints[4000])) <= max(map(len, hints[400])) + 2


def test_clean_check_does_not_load_rapidfuzz(tmp_path: Path) -> None:
    """Suggestions are only computed for findings: a clean pre-commit run pays nothing."""
    clean = ROOT / "examples" / "borgbackup-two-instances" / "inventory.json"
    probe = (
        "import sys\nfrom solver.cli import main\n"
        f"try:\n    main(['check', {str(clean)!r}, '--no-cache'])\nexcept SystemExit:\n    pass\n"
        "sys.stderr.write('\\nMODULES ' + ' '.join(sorted(sys.modules)))\n"
    )
    env = dict(os.environ, INVENTORY_SOLVER_CACHE_DIR=str(tmp_path / "cache"))
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True
    )
    loaded = set(out.stderr.rsplit("MODULES ", 1)[1].split())
    assert "no problems found" in out.stdout
    assert not {m for m in loaded if m.startswith("rapidfuzz")}


def test_explain_machine_shows_the_grouped_class_mismatch(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from solver.cli import cli

    f = tmp_path / "inventory.json"
    f.write_text(
        json.dumps(
            {
                "machines": {"mac": {"machineClass": "darwin"}, "pc": {}},
                "instances": {
                    "zt": {"module": {"name": "zerotier"}, "roles": {"peer": {"tags": ["all"]}}}
                },
            }
        )
    )
    r = CliRunner().invoke(cli, ["explain", "mac", str(f), "--no-cache"])
    assert "findings about mac: 1" in r.output
    assert (
        "warning[class-mismatch] 1 darwin machine gets nothing of role 'peer' of instance 'zt'"
        in r.output
    )
