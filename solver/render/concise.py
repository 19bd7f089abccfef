"""One line per finding, for pre-commit and editors::

    inventory.json:42:17: error[INV001] conflicting definition values for `port`
    instances.borg: warning[INV007] instance has no machines
    1 error, 1 warning in inventory.json

A finding without a location starts with its inventory path instead of ``file:line:col``.
Newlines inside a message are folded into spaces so that every finding stays on one line.
"""

from __future__ import annotations

from collections.abc import Mapping

from solver.diagnostics import Diagnostic, sort_diagnostics
from solver.render import CodeInfo, SourceText, counts, printable, summary_line
from solver.report import Report

RESET = "\x1b[0m"
SEVERITY_STYLE = {"error": "\x1b[1;31m", "warning": "\x1b[1;33m", "info": "\x1b[1;36m"}
BOLD = "\x1b[1m"


def render(
    report: Report,
    *,
    sources: SourceText,
    color: bool,
    codes: Mapping[str, CodeInfo] | None = None,
) -> str:
    lines = [format_line(d, color=color) for d in sort_diagnostics(list(report.diagnostics))]
    lines.append(summary_line(counts(report), report.coverage))
    return "\n".join(lines) + "\n"


def format_line(d: Diagnostic, *, color: bool = False) -> str:
    """``file:line:col: severity[code] message`` (the inventory path when there's no location)."""
    where = str(d.location) if d.location is not None else (d.path or "<inventory>")
    where = printable(where, newlines=False)
    tag = f"{d.severity}[{d.code}]"
    if color:
        where = f"{BOLD}{where}{RESET}"
        tag = f"{SEVERITY_STYLE.get(d.severity, BOLD)}{tag}{RESET}"
    message = printable(" ".join(d.message.split("\n")).replace("\r", ""), newlines=False)
    return f"{where}: {tag} {message}"
