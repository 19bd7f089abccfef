"""Settings: per-machine merged settings and the facts the settings rules check."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from solver.catalogue import Catalogue
from solver.diagnostics import Diagnostic
from solver.facts import SideTable
from solver.location import Locator
from solver.model import Inventory
from solver.report import Resolution
from solver.solve import Term


@dataclass
class Plan:
    facts: str = ""
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def conflicts(self, atoms: dict[str, list[tuple[Term, ...]]]) -> list[Diagnostic]:
        return []

    def fill(self, resolution: Resolution) -> None:
        return None


def plan(inv: Inventory, cat: Catalogue, side: SideTable, locator: Locator) -> Plan:
    del inv, cat, side, locator
    return Plan()


__all__: list[Any] = ["Plan", "plan"]
