"""Output renderers for a :class:`~solver.report.Report`.

Every format lives in its own module with the same small surface::

    def render(report, *, sources, color, codes=None) -> str

:func:`get_renderer` imports only the module for the asked format, so the default text
path never loads the json, sarif or github renderers. This package itself holds what
the formats share: :class:`SourceText` (lines of the inputs, read lazily), the
:class:`CodeInfo` protocol (what a code registry entry provides) and the summary line.
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from solver.diagnostics import Diagnostic
    from solver.report import Coverage, Report, Summary

__all__ = [
    "FORMATS",
    "CodeInfo",
    "Renderer",
    "SourceText",
    "counts",
    "get_renderer",
    "printable",
    "summary_line",
]

FORMATS: tuple[str, ...] = ("text", "concise", "json", "sarif", "github")

_MODULES: dict[str, str] = {
    "text": "solver.render.text",
    "concise": "solver.render.concise",
    "json": "solver.render.json_format",
    "sarif": "solver.render.sarif",
    "github": "solver.render.github",
}


# Control characters (C0 but tab/newline, DEL, C1) and bidi overrides: a name holding them
# could move the cursor, recolour or retitle a terminal, or hide text ("trojan source").
# Lone surrogates are what Python makes of bytes that are not UTF-8 in a file name
# (``machines/b\xff``): they cannot be written as UTF-8, so they are shown escaped too.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_UNSAFE_ALL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _escape(m: re.Match[str]) -> str:
    c = ord(m.group())
    if 0xDC80 <= c <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape): that byte
        return f"\\x{c - 0xDC00:02x}"
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"


def no_surrogates(text: str) -> str:
    """`text` with every lone surrogate written as an escape (``\\xff`` for a byte that
    was not UTF-8 in a file name): what every writer does, so that its output is UTF-8."""
    if text.isascii():
        return text
    return _SURROGATE.sub(_escape, text)


def printable(text: str, *, newlines: bool = True) -> str:
    """`text` safe for a terminal: control characters shown as ``\\x1b``-style escapes.

    With ``newlines=False`` newlines and tabs are escaped too (for one-line output)."""
    return (_UNSAFE if newlines else _UNSAFE_ALL).sub(_escape, text)


def printable_columns(text: str) -> str:
    """Like :func:`printable`, but one character for one, so that columns stay aligned."""
    return _UNSAFE.sub("\ufffd", text)


class CodeInfo(Protocol):
    """What the renderers read from a code registry entry (``solver.codes``)."""

    @property
    def code(self) -> str: ...
    @property
    def severity(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def hint(self) -> str | None: ...


class Renderer(Protocol):
    """The signature every format module's ``render`` has."""

    def __call__(
        self,
        report: Report,
        *,
        sources: SourceText,
        color: bool,
        codes: Mapping[str, CodeInfo] | None = None,
    ) -> str: ...


def get_renderer(fmt: str) -> Renderer:
    """The ``render`` function of format `fmt` (one of :data:`FORMATS`), imported lazily."""
    try:
        name = _MODULES[fmt]
    except KeyError:
        raise ValueError(
            f"unknown output format {fmt!r}; expected one of {', '.join(FORMATS)}"
        ) from None
    module = importlib.import_module(name)
    render: Renderer = module.render
    return render


class SourceText:
    """The text of the input files, line by line, for snippets.

    Files are read on first use (UTF-8, undecodable bytes replaced) and cached. A file
    that cannot be read gives ``None`` for every line, as does a line out of range.
    Texts already in memory (stdin, a library call) can be given up front, keyed by the
    name used in :attr:`Location.file <solver.location.Location.file>`.
    """

    def __init__(
        self,
        texts: Mapping[str, str] | None = None,
        *,
        base: str | os.PathLike[str] | None = None,
        read_files: bool = True,
    ) -> None:
        self._base = os.fspath(base) if base is not None else None
        self._read_files = read_files
        self._lines: dict[str, list[str] | None] = {}
        for name, text in (texts or {}).items():
            self._lines[name] = _split(text)

    def add(self, file: str, text: str) -> None:
        """Register the text of `file` (replacing anything read before)."""
        self._lines[file] = _split(text)

    def lines(self, file: str) -> list[str] | None:
        """All lines of `file` without their line ends, or ``None`` if it can't be read."""
        if file not in self._lines:
            self._lines[file] = self._load(file)
        return self._lines[file]

    def line(self, file: str, n: int) -> str | None:
        """Line `n` (1-based) of `file` without its line end, or ``None``."""
        lines = self.lines(file)
        if lines is None or n < 1 or n > len(lines):
            return None
        return lines[n - 1]

    def _load(self, file: str) -> list[str] | None:
        if not self._read_files or not file:
            return None
        import sys

        streamed = getattr(sys.modules.get("solver.read"), "STREAMED", {})
        if file in streamed:  # read once from a pipe: its text was kept
            text: str = streamed[file]
            return _split(text)
        path = file
        if self._base is not None and not os.path.isabs(path):
            path = os.path.join(self._base, path)
        # a regular file only: a FIFO must not block the output, a device not flood it
        import stat

        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
        try:
            fd = os.open(path, flags)
        except (OSError, ValueError):
            return None
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or st.st_size > 256 * 1024 * 1024:
                os.close(fd)
                return None
            with os.fdopen(fd, encoding="utf-8", errors="replace", newline="") as fh:
                return _split(fh.read())
        except (OSError, ValueError):
            return None


def _split(text: str) -> list[str]:
    # Lines end at "\n" only, as the readers count them; a trailing "\r" is dropped.
    lines = text.split("\n")
    if "\r" not in text:  # the usual case: no per-line work (870,000 lines at 100k machines)
        return lines
    return [ln[:-1] if ln.endswith("\r") else ln for ln in lines]


def counts(report: Report) -> Summary:
    """The summary to print for `report`.

    The report's own summary is used, except that when it counts nothing although
    there are diagnostics (a report built by hand), the counts come from the diagnostics.
    """
    summary = report.summary
    if summary.errors or summary.warnings or summary.infos or not report.diagnostics:
        return summary
    return summary.model_copy(update=_tally(report.diagnostics))


def _tally(diags: Iterable[Diagnostic]) -> dict[str, int]:
    out = {"errors": 0, "warnings": 0, "infos": 0}
    for d in diags:
        out[{"error": "errors", "warning": "warnings"}.get(d.severity, "infos")] += 1
    return out


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _files_text(files: list[str]) -> str:
    if not files:
        return ""
    if len(files) <= 3:
        return " in " + ", ".join(printable(f, newlines=False) for f in files)
    return f" in {len(files)} files"


def coverage_gaps(coverage: Coverage | None) -> list[str]:
    """``["2 skipped", "3 values not evaluated"]``: what the summary says was not read."""
    if coverage is None:
        return []
    out = []
    if coverage.skipped:
        out.append(f"{len(coverage.skipped)} skipped")
    if coverage.opaque_values:
        out.append(_plural(coverage.opaque_values, "value") + " not evaluated")
    return out


def summary_line(summary: Summary, coverage: Coverage | None = None) -> str:
    """``2 errors, 1 warning in inventory.json (3 ignored, 1 suppressed)`` or ``no problems
    found in X``.

    With `coverage`, what was not read is said too: ``no problems found (read 9 files;
    2 skipped, 3 values not evaluated)``, ``1 error in 9 files (2 skipped, 1 value not
    evaluated)``."""
    parts = []
    if summary.errors:
        parts.append(_plural(summary.errors, "error"))
    if summary.warnings:
        parts.append(_plural(summary.warnings, "warning"))
    if summary.infos:
        parts.append(_plural(summary.infos, "info"))
    gaps = coverage_gaps(coverage)
    extra = [*gaps, f"{summary.ignored} ignored"] if summary.ignored else list(gaps)
    if summary.suppressed:
        extra.append(f"{summary.suppressed} suppressed")
    if not parts and gaps:  # a clean run that did not read everything: no silent pass
        read = _plural(len(summary.files), "file")
        return f"no problems found (read {read}; {', '.join(extra)})"
    head = ", ".join(parts) if parts else "no problems found"
    tail = f" ({', '.join(extra)})" if extra else ""
    return head + _files_text(summary.files) + tail
