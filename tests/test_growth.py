"""No quadratic rule: doubling the fleet at most about doubles the ground program.

The benchmark generator keeps tag fan-out bounded (a tag covers about 50 machines), so
memberships grow linearly with the fleet; a rule that joins memberships pairwise (or a
join that is not scoped to an instance or module) would make the ground program grow
faster than that. Counted with clingo's own statistics, so it does not depend on timing.
"""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks.generate import generate

LIMIT = 2.3


def _ground_size(n: int, resolve: bool) -> dict[str, float]:
    import clingo

    from solver import facts, settings
    from solver.catalogue import load as load_catalogue
    from solver.location import NullLocator
    from solver.model import validate
    from solver.solve import rules_text

    inv, _ = validate(generate(n, seed=11), NullLocator())
    cat = load_catalogue()
    program, side = facts.build(inv, cat)
    program += settings.plan(inv, cat, side, NullLocator()).facts
    ctl = clingo.Control(["--warn=none", "-c", f"resolve={int(resolve)}"])
    for _name, text in rules_text():
        ctl.add("base", [], text)
    ctl.add("base", [], program)
    ctl.ground([("base", [])])
    ctl.solve()
    lp: Any = ctl.statistics["problem"]["lp"]
    return {"atoms": float(lp["atoms"]), "rules": float(lp["rules"])}


@pytest.mark.parametrize("resolve", [False, True], ids=["check", "resolve"])
def test_doubling_the_fleet_at_most_doubles_the_ground_program(resolve: bool) -> None:
    small = _ground_size(1_000, resolve)
    big = _ground_size(2_000, resolve)
    for what in ("atoms", "rules"):
        ratio = big[what] / small[what]
        assert ratio <= LIMIT, f"ground {what} grew {ratio:.2f}x on a doubled fleet"
