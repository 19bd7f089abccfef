"""One benchmark per pipeline phase (read, model, facts, ground+solve, results, render),
for `check` (findings only) and `resolve` (memberships and settings read back)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from benchmarks.conftest import sized

SIZES = sized("100", "1k", "5k1k", "10k", "100k")


class Pipeline:
    """The phases of solver.api.run, one at a time."""

    def __init__(self, path: Path, resolve: bool) -> None:
        self.path = str(path)
        self.resolve = resolve

    def read(self) -> Any:
        from solver.read import load

        self.loaded = load(self.path)
        return self.loaded

    def model(self) -> Any:
        from solver.catalogue import load as load_catalogue
        from solver.model import validate

        self.inv, self.diags = validate(self.loaded.data, self.loaded.locator)
        self.cat = load_catalogue()
        return self.inv

    def facts(self) -> Any:
        from solver import facts, settings

        self.program, self.side = facts.build(self.inv, self.cat)
        self.plan = settings.plan(self.inv, self.cat, self.side, self.loaded.locator)
        self.program += self.plan.facts
        return self.program

    def solve(self) -> Any:
        from solver.solve import solve

        self.result = solve(self.program, resolve=self.resolve)
        return self.result

    def results(self) -> Any:
        from solver.api import make_report
        from solver.report import Resolution
        from solver.results import Builder

        b = Builder(
            self.inv,
            self.side,
            self.loaded.locator,
            self.result.atoms,
            catalogue_names={
                "service": self.cat.names("service"),
                "legacy": self.cat.names("legacy"),
            },
            settings=self.plan,
        )
        diags = self.diags + b.diagnostics()
        res = b.resolution() if self.resolve else None
        if res is not None:
            self.plan.fill(res)
        self.report = make_report(res or Resolution(), diags, self.loaded.files)
        return self.report

    def render(self) -> str:
        if self.resolve:
            from solver.commands.resolve import to_text

            return to_text(self.report, "instance")
        from solver.render import SourceText, get_renderer

        return str(get_renderer("text")(self.report, sources=SourceText(), color=False))

    def upto(self, phase: str) -> None:
        for p in ("read", "model", "facts", "solve", "results", "render"):
            if p == phase:
                return
            getattr(self, p)()


PHASES = ["read", "model", "facts", "solve", "results", "render"]


@pytest.mark.parametrize("command", ["check", "resolve"])
@pytest.mark.parametrize("phase", PHASES)
@pytest.mark.parametrize("size", SIZES)
def test_phase(
    benchmark: Any, inventory_file: Callable[[str], Path], size: str, phase: str, command: str
) -> None:
    if command == "resolve" and phase in ("read", "model", "facts"):
        pytest.skip("same as check")
    pipe = Pipeline(inventory_file(size), resolve=command == "resolve")
    pipe.upto(phase)
    benchmark.group = f"{phase}"
    large = size in ("10k", "5k1k", "100k")
    benchmark.pedantic(
        getattr(pipe, phase),
        rounds=1 if large else 5,
        iterations=1,
        warmup_rounds=0 if large else 1,
    )
