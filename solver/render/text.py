"""The default, human format: rustc/CUE style with source snippets.

::

    error[INV001]: conflicting definition values for `port` on machine `web1`
      --> inventory.json:42:17
       |
    42 |         "port": 22
       |                 ^^
       |
      ::: inventory.json:57:17
       |
    57 |         "port": 2222
       |                 ---- set by tag `dmz`
       |
       = help: set it once under the machine

    1 error in inventory.json
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from solver.diagnostics import Diagnostic, sort_diagnostics
from solver.location import Location
from solver.render import CodeInfo, SourceText, counts, printable, printable_columns, summary_line
from solver.report import Report, Summary

TAB = "    "
_MIN_GUTTER = 2
_TOKEN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-+.'")

RESET = "\x1b[0m"
BOLD = "\x1b[1m"
SEVERITY_STYLE = {"error": "\x1b[1;31m", "warning": "\x1b[1;33m", "info": "\x1b[1;36m"}
GUTTER = "\x1b[1;34m"
NOTE = "\x1b[1;36m"
CLEAN = "\x1b[1;32m"


class _Paint:
    def __init__(self, on: bool) -> None:
        self.on = on

    def __call__(self, style: str, text: str) -> str:
        if not self.on or not text:
            return text
        return f"{style}{text}{RESET}"


@dataclass(frozen=True)
class _Span:
    """A snippet to show: where, what label, and whether it is the primary span."""

    location: Location
    label: str | None
    primary: bool


def render(
    report: Report,
    *,
    sources: SourceText,
    color: bool,
    codes: Mapping[str, CodeInfo] | None = None,
) -> str:
    paint = _Paint(color)
    blocks = [
        render_diagnostic(d, sources=sources, paint=paint)
        for d in sort_diagnostics(list(report.diagnostics))
    ]
    out = "".join(block + "\n" for block in blocks)
    return out + _summary(counts(report), paint, report) + "\n"


def render_diagnostic(d: Diagnostic, *, sources: SourceText, paint: _Paint | None = None) -> str:
    """One diagnostic as a block of lines, ending in a newline."""
    paint = paint or _Paint(False)
    sev = SEVERITY_STYLE.get(d.severity, BOLD)
    lines = [paint(sev, f"{d.severity}[{d.code}]") + paint(BOLD, ": " + printable(d.message))]

    spans: list[_Span] = []
    if d.location is not None:
        spans.append(_Span(d.location, None, True))
    notes: list[tuple[str, str]] = []
    for rel in d.related:
        if rel.location is not None:
            spans.append(_Span(rel.location, rel.message, False))
        else:
            where = f" (at {rel.path})" if rel.path else ""
            notes.append(("note", printable(rel.message + where)))
    if d.hint:
        notes.append(("help", printable(d.hint)))

    width = _MIN_GUTTER
    for span in spans:
        if sources.line(span.location.file, span.location.line) is not None:
            width = max(width, len(str(span.location.line)))
    pad = " " * width
    bar = paint(GUTTER, pad + " |")

    if d.location is None:
        lines.append(
            paint(GUTTER, pad + "--> ") + printable(d.path or "<inventory>", newlines=False)
        )
    for span in spans:
        snippet = _snippet(span, sources, width, paint, sev)
        if span.primary:
            lines.append(
                paint(GUTTER, pad + "--> ") + printable(str(span.location), newlines=False)
            )
        else:
            lines.append(bar)
            head = printable(str(span.location), newlines=False)
            if not snippet and span.label:
                head += ": " + printable(span.label, newlines=False)
            lines.append(paint(GUTTER, pad + "::: ") + head)
        if snippet:
            lines.append(bar)
            lines.extend(snippet)
    if notes:
        if spans:
            lines.append(bar)
        for kind, text in notes:
            text_lines = text.split("\n")
            lines.append(paint(GUTTER, pad + " = ") + paint(NOTE, kind + ":") + " " + text_lines[0])
            cont = " " * (width + 4 + len(kind) + 1)
            lines.extend(cont + extra for extra in text_lines[1:])
    return "\n".join(lines) + "\n"


def _snippet(span: _Span, sources: SourceText, width: int, paint: _Paint, sev: str) -> list[str]:
    loc = span.location
    src = sources.line(loc.file, loc.line)
    if src is None:
        return []
    start = max(loc.column - 1, 0)
    if loc.end_column is not None and (loc.end_line is None or loc.end_line == loc.line):
        end = max(loc.end_column - 1, start + 1)
    elif loc.end_line is not None and loc.end_line > loc.line:
        end = max(len(src), start + 1)
    else:
        end = _token_end(src, start)
    shown = printable_columns(src.expandtabs(len(TAB)) if "\t" in src else src)
    col = len(src[:start].expandtabs(len(TAB)))
    length = max(len(src[:end].expandtabs(len(TAB))) - col, 1)
    marker = ("^" if span.primary else "-") * length
    marker = paint(sev if span.primary else GUTTER, marker)
    safe_label = printable(span.label, newlines=False) if span.label else None
    label = f" {safe_label}" if safe_label else ""
    if safe_label and not span.primary:
        label = " " + paint(GUTTER, safe_label)
    number = paint(GUTTER, f"{loc.line:>{width}} |")
    return [
        (number + " " + shown).rstrip(),
        paint(GUTTER, " " * width + " |") + " " + " " * col + marker + label,
    ]


def _token_end(src: str, start: int) -> int:
    """End (exclusive) of the JSON-ish token at `start`: a string, a word, or one char."""
    n = len(src)
    if start >= n:
        return start + 1
    if src[start] == '"':
        i = start + 1
        while i < n:
            if src[i] == "\\":
                i += 2
                continue
            if src[i] == '"':
                return i + 1
            i += 1
        return n
    i = start
    while i < n and src[i] in _TOKEN_CHARS:
        i += 1
    return max(i, start + 1)


def _summary(summary: Summary, paint: _Paint, report: Report | None = None) -> str:
    text = summary_line(summary, report.coverage if report is not None else None)
    if summary.errors:
        return paint(SEVERITY_STYLE["error"], text)
    if summary.warnings:
        return paint(SEVERITY_STYLE["warning"], text)
    if summary.infos:
        return paint(SEVERITY_STYLE["info"], text)
    return paint(CLEAN, text)
