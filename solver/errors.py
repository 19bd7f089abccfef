"""Errors that mean the input cannot be used (exit code 2)."""

from __future__ import annotations

from solver.diagnostics import Diagnostic
from solver.location import Location


class InputError(Exception):
    """The input cannot be used at all; carries located diagnostics (all `error`)."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = diagnostics
        super().__init__("; ".join(d.message for d in diagnostics))

    @classmethod
    def single(
        cls,
        code: str,
        message: str,
        location: Location | None = None,
        *,
        path: str = "",
        hint: str | None = None,
    ) -> InputError:
        return cls(
            [
                Diagnostic(
                    code=code,
                    severity="error",
                    message=message,
                    path=path,
                    location=location,
                    hint=hint,
                )
            ]
        )


class InternalError(Exception):
    """A bug in inventory-solver itself (a rule invariant failed); exit code 2."""
