"""A unified diff of edited files, as ``git diff`` shows it (``--- a/x`` / ``+++ b/x``,
paths relative to the repository root), in a deterministic order (by path).

When the text edits are given (``fix`` has them), only the lines they touch are compared:
the rest of the file is the same text, line for line. Comparing whole files with
``difflib`` is quadratic in the worst case, and a generated 10,000-machine inventory,
whose lines repeat (``{}``, ``],``), is that case: seconds, for a few edited lines."""

from __future__ import annotations

import bisect
import difflib
import os
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from solver.fix.edits import TextEdit

Opcode = tuple[str, int, int, int, int]


def repo_relative(file: str, root: str) -> str:
    """`file` relative to the repository `root` (with ``/``), or as given when outside."""
    real = os.path.realpath(file)
    base = os.path.realpath(root)
    if real == base or not real.startswith(base.rstrip(os.sep) + os.sep):
        return file
    return os.path.relpath(real, base).replace(os.sep, "/")


def _lines(text: str) -> list[str]:
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n\\ No newline at end of file\n"
    return lines


def _ends(lines: list[str]) -> list[int]:
    """The offset just after each line (lines as ``splitlines(keepends=True)`` gives)."""
    out: list[int] = []
    total = 0
    for line in lines:
        total += len(line)
        out.append(total)
    return out


def _window(ends: list[int], n: int, start: int, end: int) -> tuple[int, int]:
    """The lines (first, after last) from the one holding `start` to the one holding
    `end`: around an edit, the text before and after these lines is the same text."""
    first = bisect.bisect_right(ends, start)
    last = bisect.bisect_right(ends, end) + 1
    return min(first, n), min(last, n)


def _opcodes(old: str, new: str, edits: Sequence[TextEdit]) -> list[Opcode] | None:
    """The line opcodes from `old` to `new` (= `old` with `edits`), comparing only the lines
    the edits touch; None when the edits do not explain `new`."""
    raw_a, raw_b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    ea, eb = _ends(raw_a), _ends(raw_b)
    windows: list[list[int]] = []
    delta = 0
    for e in sorted(edits, key=lambda x: (x.start, x.end)):
        a0, a1 = _window(ea, len(raw_a), e.start, e.end)
        ns = e.start + delta
        b0, b1 = _window(eb, len(raw_b), ns, ns + len(e.replacement))
        delta += len(e.replacement) - (e.end - e.start)
        if windows and a0 <= windows[-1][1]:
            windows[-1][1] = max(windows[-1][1], a1)
            windows[-1][3] = max(windows[-1][3], b1)
        else:
            windows.append([a0, a1, b0, b1])
    a, b = _lines(old), _lines(new)
    out: list[Opcode] = []
    pa = pb = 0
    for a0, a1, b0, b1 in windows:
        if a0 - pa != b0 - pb or a[pa:a0] != b[pb:b0]:
            return None
        if a0 > pa:
            out.append(("equal", pa, a0, pb, b0))
        sm = difflib.SequenceMatcher(None, a[a0:a1], b[b0:b1], autojunk=False)
        out += [(t, i1 + a0, i2 + a0, j1 + b0, j2 + b0) for t, i1, i2, j1, j2 in sm.get_opcodes()]
        pa, pb = a1, b1
    if len(a) - pa != len(b) - pb or a[pa:] != b[pb:]:
        return None
    if pa < len(a):
        out.append(("equal", pa, len(a), pb, len(b)))
    return out


def _range(start: int, stop: int) -> str:
    """A hunk header's line range, as ``diff -u`` writes it."""
    begin, length = start + 1, stop - start
    if length == 1:
        return str(begin)
    if not length:
        begin -= 1
    return f"{begin},{length}"


def _hunks(a: list[str], b: list[str], codes: list[Opcode], n: int) -> Iterator[str]:
    sm = difflib.SequenceMatcher(None, "", "")
    sm.opcodes = codes  # type: ignore[attr-defined]  # grouped as difflib groups them
    for group in sm.get_grouped_opcodes(n):
        yield f"@@ -{_range(group[0][1], group[-1][2])} +{_range(group[0][3], group[-1][4])} @@\n"
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                yield from (" " + line for line in a[i1:i2])
                continue
            if tag in ("replace", "delete"):
                yield from ("-" + line for line in a[i1:i2])
            if tag in ("replace", "insert"):
                yield from ("+" + line for line in b[j1:j2])


def unified_diff(
    old: dict[str, str],
    new: dict[str, str],
    names: dict[str, str],
    edits: Sequence[TextEdit] | None = None,
) -> str:
    """The diff from `old` to `new` (file -> text); `names` gives each file's shown path;
    `edits` (optional) the text edits that made `new`, to compare only what they touch."""
    out: list[str] = []
    for file in sorted(new, key=lambda f: names.get(f, f)):
        if old.get(file) == new[file]:
            continue
        shown = names.get(file, file)
        a, b = _lines(old.get(file, "")), _lines(new[file])
        mine = [e for e in edits if e.file == file] if edits is not None else []
        codes = _opcodes(old.get(file, ""), new[file], mine) if mine else None
        if codes is None:
            out.extend(difflib.unified_diff(a, b, fromfile=f"a/{shown}", tofile=f"b/{shown}", n=3))
            continue
        out += [f"--- a/{shown}\n", f"+++ b/{shown}\n"]
        out.extend(_hunks(a, b, codes, 3))
    return "".join(out)
