"""`member/3` by a tag is only built for the roles some rule looks at one by one (and for
every role when user policies are loaded, since they may read it): what a user sees does
not depend on that."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from solver import check

FLEET: dict[str, Any] = {
    "machines": {
        "a": {"tags": ["web"]},
        "b": {"tags": ["web", "db"]},
        "mac": {"machineClass": "darwin", "tags": ["web"]},
    },
    "instances": {
        "hello": {
            "module": {"name": "hello-world"},
            "roles": {"default": {"tags": {"web": {}}}},
        },
        "everyone": {
            "module": {"name": "packages"},
            "roles": {"default": {"tags": {"all": {}}}},
        },
    },
}


def test_a_policy_sees_every_member_selected_by_a_tag(tmp_path: Path) -> None:
    rules = tmp_path / "count.lp"
    rules.write_text(
        """\
        members(I,R,N) :- instance_name(I,_), role(I,R), N = #count{ M : member(I,R,M) }.
        role(I,R) :- member(I,R,_).
        violation("members", info, "{0} {1}", (instance(I), N)) :- members(I,R,N).
        """
    )
    report = check(FLEET, rules=[rules], config=False)
    found = sorted(d.message for d in report.diagnostics if d.code == "members")
    assert found == ["everyone 3", "hello 3"]


def test_the_resolution_and_the_findings_do_not_depend_on_policies(tmp_path: Path) -> None:
    rules = tmp_path / "nothing.lp"
    rules.write_text('violation("never", info, "x", ()) :- machine(M), not machine(M).\n')
    plain = check(FLEET, config=False)
    with_policy = check(FLEET, rules=[rules], config=False)
    assert plain.resolution == with_policy.resolution
    assert [(d.code, d.message) for d in plain.diagnostics] == [
        (d.code, d.message) for d in with_policy.diagnostics
    ]
    members = plain.resolution.instances["hello"].roles["default"].members
    assert members == ["a", "b", "mac"]
