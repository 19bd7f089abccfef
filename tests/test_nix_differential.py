"""Differential tests: the static reader against real Nix, on every clan fixture.

For each folder under tests/data/clans/ with an ``oracle.toml`` (format: tests/nixoracle.py),
real Nix evaluates the clan (flake-less, offline, inputs replaced by the stand-ins of
tests/nixoracle/, the inventory merged by clan-core's own clan module) and the static reader
reads it; both must give the same machines (with their computed tags and class), the same
instances and modules, and for every role the same named machines, listed tags and members.
A fixture the static reader does not read right yet carries ``xfail = "why"``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import Phase, example, given, settings

from solver.errors import InputError
from tests import nixoracle
from tests.nixexpr import machines_exprs
from tests.strategies import budget

REASON = nixoracle.unavailable()
CASES = nixoracle.cases()


def _param(case: nixoracle.Case) -> object:
    marks = [pytest.mark.xfail(reason=case.xfail, strict=False)] if case.xfail else []
    return pytest.param(case, id=case.name, marks=marks)


_EVALUATED: dict[str, nixoracle.View] = {}


def _nix(case: nixoracle.Case) -> nixoracle.View:
    """One nix-instantiate per fixture, shared by the tests below."""
    if case.name not in _EVALUATED:
        _EVALUATED[case.name] = nixoracle.evaluate(case.folder, case.entry)
    return _EVALUATED[case.name]


@pytest.mark.skipif(REASON is not None, reason=str(REASON))
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_nix_evaluates_fixture(case: nixoracle.Case) -> None:
    """Never xfail: a fixture real Nix cannot evaluate (or that has no clan) is broken, and
    must not hide behind the static reader's expected failure."""
    view = _nix(case)
    assert view["machines"], f"{case.name}: Nix found no machine"
    assert view["instances"], f"{case.name}: Nix found no instance"


@pytest.mark.skipif(REASON is not None, reason=str(REASON))
@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_static_reader_agrees_with_nix(case: nixoracle.Case) -> None:
    nix = nixoracle.comparable(_nix(case))
    try:
        ours = nixoracle.static_view(case.folder)
    except InputError as e:
        pytest.fail(f"{case.name}: the static reader cannot read it: {e}")
    problems = nixoracle.diff(nix, ours)
    assert not problems, (
        f"{case.name} ({case.entry}): the static reader differs from Nix:\n  "
        + "\n  ".join(problems)
    )


def test_fixtures_for_every_pattern_are_marked() -> None:
    """The composite fixtures of issue 11 take part in the differential test."""
    names = {c.name for c in CASES}
    for wanted in (
        "oracle-libclan-args",
        "oracle-flakeparts-split",
        "oracle-dendritic",
        "oracle-trailing-commas",
        "oracle-with-if",
    ):
        assert wanted in names


def _case(name: str) -> nixoracle.Case:
    return next(c for c in CASES if c.name == name)


@pytest.mark.skipif(REASON is not None, reason=str(REASON))
def test_oracle_stand_ins_behave_like_the_real_inputs() -> None:
    """What the fixtures were written to show, as the oracle computes it: a stand-in that
    drifted from flake-parts / import-tree / clan-core would make every comparison moot."""
    dendritic = _nix(_case("oracle-dendritic"))
    # import-tree skips `_private/` and `_draft.nix`; `clan.machines.<m>` (beta, delta) and
    # `machines/<m>/` (gamma) add inventory machines; perSystem's `clan.pkgs` is no clan
    assert sorted(dendritic["machines"]) == ["alpha", "beta", "delta", "gamma"]
    assert "haunted" not in dendritic["instances"]
    # one instance from two files
    assert dendritic["instances"]["monitoring"]["roles"].keys() == {"client", "server"}

    split = _nix(_case("oracle-flakeparts-split"))
    # `clan.inventory…` and `flake.clan.inventory…` merge into one clan module
    assert split["machines"]["nas"]["tags"] == ["all", "always-on", "nixos", "storage"]
    assert split["machines"]["kiosk"]["tags"] == ["all", "backup-clients", "nixos"]

    with_if = _nix(_case("oracle-with-if"))
    assert with_if["machines"]["desk"]["tags"] == ["all", "nixos", "staff"]  # mkDefault dropped
    assert with_if["machines"]["printer"]["machineClass"] == "nixos"  # mkForce won
    assert "media" not in with_if["machines"] and "media" not in with_if["instances"]

    libclan = _nix(_case("oracle-libclan-args"))
    # functional tags, evaluated against the computed tags
    assert libclan["tags"]["backup"] == ["mini", "storage", "ws-1", "ws-2", "ws-3"]
    assert libclan["tags"]["linux-desktops"] == ["ws-1", "ws-2", "ws-3"]

    lone = _nix(_case("oracle-clan-module"))
    # inventory.json and machines/ folders of the clan's directory
    assert sorted(lone["machines"]) == ["fridge", "hub", "lamp", "thermostat"]


@pytest.mark.skipif(REASON is not None, reason=str(REASON))
def test_oracle_reports_a_broken_clan() -> None:
    """A clan Nix cannot evaluate is an error of the oracle, with Nix's message, not an
    empty result that would agree with a reader that read nothing."""
    folder = nixoracle.CLANS / "conflict"  # a machineClass defined twice, differently
    with pytest.raises(nixoracle.OracleError, match="conflicting definition values"):
        nixoracle.evaluate(folder)


def test_diff_names_the_disagreement() -> None:
    nix = {"instances": {"a": {"roles": {"r": {"members": ["m1", "m2"]}}}}, "machines": {}}
    ours = {"instances": {"a": {"roles": {"r": {"members": ["m1", "m3"]}}}}, "machines": {}}
    assert nixoracle.diff(nix, ours) == [
        'instances.a.roles.r.members: static reader has missing ["m2"], extra ["m3"]'
    ]
    assert nixoracle.diff(nix, nix) == []


# The lead removes this once the evaluator of issue 11 is merged (genAttrs, with, if, ...).
EXPRESSIONS_XFAIL: str | None = None


@pytest.mark.skipif(REASON is not None, reason=str(REASON))
@pytest.mark.xfail(EXPRESSIONS_XFAIL is not None, reason=str(EXPRESSIONS_XFAIL), strict=False)
@given(expr=machines_exprs())
@example(expr='(let s0 = "web"; l0 = [ "a" ]; in { "${s0}" = { tags = l0 ++ [ "b" ]; }; })')
@settings(
    budget(30),
    # no shrinking while the failure is expected: it would cost a Nix process per step
    phases=[Phase.explicit, Phase.reuse, Phase.generate]
    + ([] if EXPRESSIONS_XFAIL else [Phase.target, Phase.shrink]),
)
def test_generated_expressions_evaluate_like_nix(
    tmp_path_factory: pytest.TempPathFactory, expr: str
) -> None:
    """Data expressions (let, with, //, ++, if, interpolation, genAttrs, mapAttrs, filter, ...)
    give the static reader the value Nix gives them."""
    folder: Path = tmp_path_factory.mktemp("expr")
    nix = nixoracle.evaluate_expr(expr)
    ours = nixoracle.static_machines(folder, expr)
    assert ours == nix, f"{expr}\n  nix:    {nix}\n  static: {ours}"
