"""Every inventory of the shared corpus resolves as its .expected.md says."""

from __future__ import annotations

import copy
import json
import os

import pytest

import solver
from tests.conftest import CORPUS
from tests.oracle import drop_empty_roles, from_report

with open(os.path.join(CORPUS, "expected-membership.json"), encoding="utf-8") as _fh:
    EXPECTED = json.load(_fh)

SVC = os.path.join(CORPUS, "svc-catalogue.toml")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_membership_matches_expected(name: str) -> None:
    report = solver.check(os.path.join(CORPUS, name + ".json"), modules=[SVC])
    got = drop_empty_roles(from_report(report.resolution))
    want = {
        i: {r: {m: set(v) for m, v in ms.items()} for r, ms in roles.items() if ms}
        for i, roles in EXPECTED[name].items()
    }
    assert got == want


def test_legacy_unused_module_roles_are_present_and_empty() -> None:
    report = solver.check(os.path.join(CORPUS, "legacy-2025-06-root-inventory.json"))
    roles = report.resolution.instances["zerotier/one"].roles
    assert roles["moon"].members == [] and roles["peer"].members == []


def test_cli_checks_constraints_give_clan_ids_and_messages() -> None:
    report = solver.check(
        os.path.join(CORPUS, "instances-cli-checks-constraints.json"), modules=[SVC]
    )
    got = {(d.clan_id, d.message) for d in report.errors}
    assert got == {
        ("svc-maxInstances", "Service 'svc' allows at most 1 instance(s) but 2 are defined."),
        (
            "svc-inst-a-default-maxMachines",
            "Role 'default' of service 'svc' instance 'inst-a' allows at most 1 machine(s) "
            "but 2 are assigned.",
        ),
    }


def test_cli_checks_without_catalogue_warn_unknown_module() -> None:
    report = solver.check(os.path.join(CORPUS, "instances-cli-checks-constraints.json"))
    assert {d.code for d in report.diagnostics} == {"unknown-module"}
    assert all(d.severity == "warning" for d in report.diagnostics)


def test_zerotier_counterexample_matches_clan_checks() -> None:
    with open(os.path.join(CORPUS, "instances-zerotier-vmtest.json"), encoding="utf-8") as fh:
        data = json.load(fh)
    data = copy.deepcopy(data)
    data["instances"]["zerotier"]["roles"]["controller"]["machines"]["moon"] = {}
    data["instances"]["zt2"] = {
        "module": {"name": "zerotier"},
        "roles": {"peer": {"tags": ["all"]}},
    }
    report = solver.check(data)
    got = sorted((d.clan_id, d.message) for d in report.errors)
    assert got == [
        (
            "clan-core/zerotier-zerotier-controller-maxMachines",
            "Role 'controller' of service 'clan-core/zerotier' instance 'zerotier' allows at "
            "most 1 machine(s) but 2 are assigned.",
        ),
        (
            "clan-core/zerotier-zt2-controller-minMachines",
            "Role 'controller' of service 'clan-core/zerotier' instance 'zt2' requires at "
            "least 1 machine(s) but 0 are assigned.",
        ),
    ]


def test_syncthing_legacy_failed_constraint() -> None:
    report = solver.check(os.path.join(CORPUS, "legacy-syncthing-example.json"))
    mins = [d for d in report.diagnostics if d.code == "min-machines"]
    assert len(mins) == 1
    d = mins[0]
    assert d.clan_id == "syncthing.instance_1.roles.introducer.min"
    assert d.message.startswith(
        "The 'syncthing' module requires at least 1 members of the 'introducer' role"
    )
    assert "found '0' members within instance 'instance_1'" in d.message


def test_clean_current_inventories_have_no_findings() -> None:
    for name in (
        "instances-docs-putting-it-together",
        "instances-wireguard-vmtest",
        "instances-zerotier-vmtest",
    ):
        report = solver.check(os.path.join(CORPUS, name + ".json"))
        assert report.diagnostics == [], name


def test_legacy_inventories_report_removed_services_option() -> None:
    report = solver.check(os.path.join(CORPUS, "legacy-docs-multi-instance-borgbackup.json"))
    removed = [d for d in report.diagnostics if d.code == "removed-option"]
    assert [d.path for d in removed] == ["services"]
    assert removed[0].location is not None and removed[0].location.line == 7


def test_legacy_duplicates_count_twice_in_constraints() -> None:
    # legacy-zerotier semantics: a machine listed and tagged counts twice (docs/semantics.md#the-legacy-shape)
    data = {
        "machines": {"a": {"tags": ["ctl"]}, "b": {}},
        "services": {
            "zerotier": {"i": {"roles": {"controller": {"machines": ["a"], "tags": ["ctl"]}}}}
        },
    }
    report = solver.check(data)
    maxes = [d for d in report.diagnostics if d.code == "max-machines"]
    assert len(maxes) == 1 and "found '2' members" in maxes[0].message
    assert report.resolution.instances["zerotier/i"].roles["controller"].members == ["a"]
