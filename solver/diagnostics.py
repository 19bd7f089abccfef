"""The typed findings of a run, and the report that holds them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from solver.location import Location

Severity = Literal["error", "warning", "info"]
SEVERITY_RANK: dict[str, int] = {"error": 0, "warning": 1, "info": 2}


class Related(BaseModel):
    """Another place that takes part in a finding (the other side of a conflict)."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    message: str
    path: str | None = None
    location: Location | None = None


class Diagnostic(BaseModel):
    """One finding: what is wrong, where, and how to fix it."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    code: str
    severity: Severity
    message: str
    path: str
    location: Location | None = None
    related: tuple[Related, ...] = ()
    hint: str | None = None
    clan_id: str | None = Field(
        default=None, description="clan-core's own id for this check, where it has one"
    )
    instance: str | None = None
    role: str | None = None
    machine: str | None = None
    module: str | None = None
    tag: str | None = None
    args: dict[str, Any] = Field(default_factory=dict)

    def sort_key(self) -> tuple[Any, ...]:
        loc = self.location
        return (
            loc.file if loc else "",
            loc.line if loc else 0,
            loc.column if loc else 0,
            self.code,
            self.path,
            self.message,
        )


def sort_diagnostics(diags: list[Diagnostic]) -> list[Diagnostic]:
    """Sorted by position then code, duplicates removed: the order every output uses."""
    seen: set[tuple[Any, ...]] = set()
    out: list[Diagnostic] = []
    for d in sorted(diags, key=Diagnostic.sort_key):
        key = (d.code, d.path, d.message, d.location)
        if key in seen:
            continue
        seen.add(key)
        out.append(d)
    return out
