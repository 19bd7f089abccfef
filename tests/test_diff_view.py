"""`diff` builds what it compares straight from the solver's atoms and the settings plan
(`solver.changes.view`), without the resolution objects. It must give exactly what the
resolution with merged settings gives (`solver.changes.snapshot`), and the comparison
must stay exact when merged settings are shared between machines."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from solver.api import CheckOptions, check_with
from solver.changes import Snapshot, compare, snapshot, view

DATA = Path(__file__).parent / "data"
INVENTORIES = sorted(
    [*DATA.glob("corpus/*.json"), *DATA.glob("clans/*/inventory.json")],
    key=lambda p: str(p.relative_to(DATA)),
)


def _both(source: str | dict[str, Any]) -> tuple[Snapshot, Snapshot]:
    """(view, snapshot of the full report) of one inventory."""
    got: list[Snapshot] = []
    check_with(source, CheckOptions(config=False, view=lambda c, p: got.append(view(c, p))))
    report = check_with(source, CheckOptions(config=False)).report
    assert len(got) == 1
    return got[0], snapshot(report)


def _same(a: Snapshot, b: Snapshot) -> None:
    assert a.machines == b.machines
    assert a.instances == b.instances
    assert a.assignments.keys() == b.assignments.keys()
    for key, (reasons, value) in a.assignments.items():
        other_reasons, other_value = b.assignments[key]
        assert reasons == other_reasons, key
        # type-strict (True is not 1): what the comparison looks at
        assert json.dumps(value, sort_keys=True) == json.dumps(other_value, sort_keys=True), key


SETTINGS: dict[str, Any] = {
    "machines": {
        "m1": {"tags": ["t", "u"]},
        "m2": {"tags": ["t"]},
        "m3": {},
        "mac": {"machineClass": "darwin", "tags": ["u"]},
    },
    "instances": {
        # per-role, per-tag and per-machine settings in one role (merged per machine)
        "a": {
            "module": {"name": "borgbackup"},
            "roles": {
                "client": {
                    "tags": {"t": {"settings": {"startAt": "hourly"}}, "u": {}},
                    "machines": {"m3": {"settings": {"startAt": "weekly"}}},
                    "settings": {"exclude": ["*.tmp"]},
                },
                "server": {"machines": {"m3": {}}},
            },
        },
        # role settings only: the same merged value for every member
        "b": {
            "module": {"name": "sshd"},
            "roles": {
                "server": {
                    "tags": ["t"],
                    "machines": {"m3": {}},
                    "settings": {"authorizedKeys": {"alice": "ssh-ed25519 AAAA"}},
                }
            },
        },
        "c": {"module": {"name": "hello-world"}, "roles": {"morning": {"tags": ["all"]}}},
    },
}


@pytest.mark.parametrize(
    "source",
    [*INVENTORIES, "settings"],
    ids=lambda p: p if isinstance(p, str) else str(p.relative_to(DATA)),
)
def test_view_equals_the_resolution(source: Path | str) -> None:
    _same(*_both(SETTINGS if source == "settings" else str(source)))


def test_view_of_legacy_services_with_config() -> None:
    data = {
        "machines": {"a": {"tags": ["x"]}, "b": {"tags": ["x"]}, "c": {}},
        "services": {
            "borgbackup": {
                "one": {
                    "roles": {"client": {"tags": ["x"], "config": {"startAt": "daily"}}},
                    "machines": {"a": {"config": {"exclude": ["a"]}}},
                    "config": {"destinations": {"d": {"repo": "r"}}},
                },
                "two": {
                    "roles": {"client": {"machines": ["a", "c"]}, "server": {"machines": ["b"]}},
                    "config": {"startAt": "weekly"},
                },
            }
        },
    }
    v, s = _both(data)
    assert any(value for _r, value in v.assignments.values()), "no merged settings tested"
    _same(v, s)


def _diff_views(base: dict[str, Any], target: dict[str, Any]) -> list[tuple[Any, ...]]:
    """The settings changes from the views, checked against those of the full reports."""
    a, full_a = _both(base)
    b, full_b = _both(target)
    got = [(c.machine, c.instance, c.role, c.path, c.old, c.new) for c in compare(a, b).settings]
    full = compare(full_a, full_b).settings
    assert got == [(c.machine, c.instance, c.role, c.path, c.old, c.new) for c in full]
    return got


def test_a_changed_role_beside_an_unchanged_one_reports_exactly_its_settings() -> None:
    target = json.loads(json.dumps(SETTINGS))
    target["instances"]["b"]["roles"]["server"]["settings"]["authorizedKeys"]["alice"] = "new"
    target["instances"]["a"]["roles"]["client"]["machines"]["m3"]["settings"]["startAt"] = "x"
    got = _diff_views(SETTINGS, target)
    path = "authorizedKeys.alice"
    assert got == [
        ("m1", "b", "server", path, "ssh-ed25519 AAAA", "new"),
        ("m2", "b", "server", path, "ssh-ed25519 AAAA", "new"),
        ("m3", "a", "client", "startAt", "weekly", "x"),
        ("m3", "b", "server", path, "ssh-ed25519 AAAA", "new"),
    ]


def test_machines_sharing_one_value_before_and_not_after_are_each_compared() -> None:
    # before, m1 and m2 share one merged value (both through tag t); after, m2 has a
    # machine entry of its own, whose startAt conflicts with tag t's at the same
    # priority: m2's merged value has no startAt any more, m1's is unchanged
    target = json.loads(json.dumps(SETTINGS))
    client = target["instances"]["a"]["roles"]["client"]
    client["machines"]["m2"] = {"settings": {"startAt": "daily"}}
    assert _diff_views(SETTINGS, target) == [("m2", "a", "client", "startAt", "hourly", None)]
    # and back: the base has two values, the target one
    assert _diff_views(target, SETTINGS) == [("m2", "a", "client", "startAt", None, "hourly")]


def test_serialised_view_keeps_shared_values_apart_from_changed_ones() -> None:
    a, _ = _both(SETTINGS)
    target = json.loads(json.dumps(SETTINGS))
    target["instances"]["a"]["roles"]["client"]["settings"]["exclude"] = ["*.bak"]
    b, _ = _both(target)
    direct = compare(a, b).settings
    sent = compare(Snapshot.from_bytes(a.to_bytes()), Snapshot.from_bytes(b.to_bytes())).settings
    assert [(c.machine, c.path, c.old, c.new) for c in sent] == [
        (c.machine, c.path, c.old, c.new) for c in direct
    ]
    assert {c.machine for c in direct} == {"m1", "m2", "m3", "mac"}


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this system")
def test_the_base_is_checked_in_parallel_only_when_the_cpus_are_not_all_busy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from solver.commands.diff import parallel

    monkeypatch.delenv("INVENTORY_SOLVER_DIFF_SERIAL", raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0, 1}, raising=False)
    monkeypatch.setattr(os, "getloadavg", lambda: (0.3, 0.5, 0.5))
    assert parallel()
    monkeypatch.setattr(os, "getloadavg", lambda: (1.2, 1.0, 1.0))  # one CPU free
    assert parallel()
    monkeypatch.setattr(os, "getloadavg", lambda: (2.9, 2.5, 2.0))  # two CPUs, both busy
    assert not parallel()
    monkeypatch.setenv("INVENTORY_SOLVER_DIFF_SERIAL", "0")
    assert parallel()
    monkeypatch.setenv("INVENTORY_SOLVER_DIFF_SERIAL", "1")
    monkeypatch.setattr(os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    assert not parallel()
    monkeypatch.delenv("INVENTORY_SOLVER_DIFF_SERIAL")
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0}, raising=False)
    assert not parallel()  # one CPU
