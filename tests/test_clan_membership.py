"""A clan read from Nix resolves to the same membership as its JSON rendering."""

from __future__ import annotations

import json
import os

import pytest

import solver
from tests.conftest import DATA
from tests.oracle import drop_empty_roles, from_report

CLANS = os.path.join(DATA, "clans")
CASES = sorted(
    d for d in os.listdir(CLANS) if os.path.isfile(os.path.join(CLANS, d, "expected.json"))
)


@pytest.mark.parametrize("case", CASES)
def test_nix_clan_resolves_like_its_json(case: str) -> None:
    directory = os.path.join(CLANS, case)
    with open(os.path.join(directory, "expected.json"), encoding="utf-8") as fh:
        data = json.load(fh)
    from_nix = solver.check(directory)
    from_json = solver.check(data)
    assert drop_empty_roles(from_report(from_nix.resolution)) == drop_empty_roles(
        from_report(from_json.resolution)
    )
    assert sorted(from_nix.resolution.machines) == sorted(from_json.resolution.machines)


def test_findings_point_into_nix_files() -> None:
    report = solver.check(os.path.join(CLANS, "letbindings"))
    inc = [d for d in report.diagnostics if d.code == "incompatible-roles"]
    assert len(inc) == 1
    loc = inc[0].location
    assert loc is not None and loc.file.endswith("letbindings/flake.nix")
    assert (loc.line, loc.column) == (52, 33)


def test_opaque_membership_suppresses_guesses() -> None:
    report = solver.check(os.path.join(CLANS, "opaque"))
    codes = {d.code for d in report.diagnostics}
    assert "opaque-value" in codes
    # roles whose machines or tags could not be read are not called empty or too small
    assert not any(
        d.code in ("empty-role", "empty-instance", "min-machines") for d in report.diagnostics
    ), [(d.code, d.path) for d in report.diagnostics]
