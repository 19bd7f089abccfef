"""A user's script, type-checked with `mypy --strict` by tests/test_api.py: the library's
public names and report types must be usable without a single `Any` leaking."""

from __future__ import annotations

from pathlib import Path

import solver
from solver import Diagnostic, Report, Resolution


def errors_of(path: Path) -> list[str]:
    report: Report = solver.check(path, config=None, modules=[], severity={"empty-role": "info"})
    out: list[str] = []
    for d in report.diagnostics:
        where = f"{d.location.file}:{d.location.line}" if d.location is not None else d.path
        out.append(f"{where} {d.severity} {d.code}: {d.message}")
    return out


def roles_of(res: Resolution, machine: str) -> list[tuple[str, str]]:
    m = res.machines.get(machine)
    if m is None:
        return []
    return [(a.instance, a.role) for a in m.assignments]


def first_error(report: Report) -> Diagnostic | None:
    return report.errors[0] if report.errors else None


def main() -> int:
    try:
        report = solver.check("inventory.json", strict=True)
    except solver.IncompleteRead as exc:
        print(exc.gaps)
        report = exc.report
    except solver.InputError as exc:
        print([d.message for d in exc.diagnostics])
        return 2
    print(roles_of(solver.resolve({"machines": {}}, config=None), "jon"))
    print(first_error(report), report.summary.errors, report.coverage.gaps())
    return 0 if report.ok else 1
