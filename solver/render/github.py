"""``--format github``: GitHub Actions workflow commands, one line per finding::

    ::error file=inventory.json,line=42,col=17,endLine=42,endColumn=19,title=inventory-solver (INV001)::message

``info`` findings become ``::notice``. Escaping follows actions/toolkit: in the message,
``%``, ``\\r`` and ``\\n`` become ``%25``, ``%0D`` and ``%0A``; property values also
escape ``:`` and ``,`` as ``%3A`` and ``%2C``. The hint and the related locations follow
the message on lines of their own (escaped newlines, shown by GitHub as line breaks).
"""

from __future__ import annotations

from collections.abc import Mapping

from solver.diagnostics import Diagnostic, sort_diagnostics
from solver.render import CodeInfo, SourceText, printable
from solver.report import Report

TOOL = "inventory-solver"
COMMAND = {"error": "error", "warning": "warning", "info": "notice"}


def escape_data(text: str) -> str:
    """Escape a command's message (control characters shown as ``\\x1b``-style escapes)."""
    return printable(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def escape_property(text: str) -> str:
    """Escape a property value (``file=``, ``title=``…)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(
    report: Report,
    *,
    sources: SourceText,
    color: bool,
    codes: Mapping[str, CodeInfo] | None = None,
) -> str:
    files = report.summary.files
    default_file = files[0] if len(files) == 1 else None
    lines = [
        format_command(d, default_file=default_file)
        for d in sort_diagnostics(list(report.diagnostics))
    ]
    return "".join(line + "\n" for line in lines)


def format_command(d: Diagnostic, *, default_file: str | None = None) -> str:
    """One workflow command for `d`."""
    props: list[tuple[str, str]] = []
    loc = d.location
    if loc is not None:
        props.append(("file", loc.file))
        props.append(("line", str(loc.line)))
        props.append(("col", str(loc.column)))
        end_line = loc.end_line if loc.end_line is not None else loc.line
        if loc.end_line is not None:
            props.append(("endLine", str(loc.end_line)))
        if loc.end_column is not None and end_line == loc.line:
            props.append(("endColumn", str(loc.end_column)))
    elif default_file is not None:
        props.append(("file", default_file))
    props.append(("title", f"{TOOL} ({d.code})"))

    message = d.message
    if loc is None and d.path:
        message += f" (at {d.path})"
    for rel in d.related:
        where = str(rel.location) if rel.location is not None else rel.path
        message += f"\n{where}: {rel.message}" if where else f"\n{rel.message}"
    if d.hint:
        message += f"\nhelp: {d.hint}"

    command = COMMAND.get(d.severity, "warning")
    args = ",".join(f"{key}={escape_property(value)}" for key, value in props)
    return f"::{command} {args}::{escape_data(message)}"
