"""inventory-solver: check clan inventories with clingo.

Library use (the public names are listed in ``__all__`` and documented in docs/api.md)::

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

    from solver.api import IncompleteRead, check, diff, resolve
    from solver.changes import Diff
    from solver.diagnostics import Diagnostic, Related
    from solver.errors import InputError
    from solver.location import Location
    from solver.report import (
        Assignment,
        Coverage,
        InstanceResolution,
        MachineResolution,
        ModuleRef,
        OpaqueValue,
        Report,
        Resolution,
        RoleResolution,
        SkippedFile,
        Summary,
        Suppressed,
        Via,
    )

__all__ = [
    "Assignment",
    "Coverage",
    "Diagnostic",
    "Diff",
    "IncompleteRead",
    "InputError",
    "InstanceResolution",
    "Location",
    "MachineResolution",
    "ModuleRef",
    "OpaqueValue",
    "Related",
    "Report",
    "Resolution",
    "RoleResolution",
    "SkippedFile",
    "Summary",
    "Suppressed",
    "Via",
    "__version__",
    "check",
    "diff",
    "resolve",
]

# where each public name lives; imported on first use, so that `import solver` stays cheap
_HOMES = {
    "check": "solver.api",
    "resolve": "solver.api",
    "diff": "solver.api",
    "Diff": "solver.changes",
    "IncompleteRead": "solver.api",
    "Diagnostic": "solver.diagnostics",
    "Related": "solver.diagnostics",
    "InputError": "solver.errors",
    "Location": "solver.location",
}


def __getattr__(name: str) -> Any:
    if name in __all__ and name != "__version__":
        import importlib

        return getattr(importlib.import_module(_HOMES.get(name, "solver.report")), name)
    raise AttributeError(name)
