"""inventory-solver: check clan inventories with clingo.

Library use::

    import solver
    report = solver.check("inventory.json")
    for d in report.diagnostics:
        print(d.code, d.severity, d.location, d.message)
    report.resolution.machines["jon"].assignments
"""

from __future__ import annotations

__version__ = "0.1.0"

# no `import typing` here: the cached CLI path (solver/cache.py) runs before it is needed
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from solver.api import check
    from solver.diagnostics import Diagnostic
    from solver.errors import InputError
    from solver.report import Report, Resolution

__all__ = ["Diagnostic", "InputError", "Report", "Resolution", "__version__", "check"]


def __getattr__(name: str) -> Any:  # lazy: `import solver` stays cheap
    if name == "check":
        from solver.api import check

        return check
    if name == "Diagnostic":
        from solver.diagnostics import Diagnostic

        return Diagnostic
    if name == "InputError":
        from solver.errors import InputError

        return InputError
    if name in ("Report", "Resolution"):
        from solver import report

        return getattr(report, name)
    raise AttributeError(name)
