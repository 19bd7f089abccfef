"""A unified diff of edited files, as ``git diff`` shows it (``--- a/x`` / ``+++ b/x``,
paths relative to the repository root), in a deterministic order (by path)."""

from __future__ import annotations

import difflib
import os


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


def unified_diff(old: dict[str, str], new: dict[str, str], names: dict[str, str]) -> str:
    """The diff from `old` to `new` (file -> text); `names` gives each file's shown path."""
    out: list[str] = []
    for file in sorted(new, key=lambda f: names.get(f, f)):
        if old.get(file) == new[file]:
            continue
        shown = names.get(file, file)
        diff = difflib.unified_diff(
            _lines(old.get(file, "")),
            _lines(new[file]),
            fromfile=f"a/{shown}",
            tofile=f"b/{shown}",
            n=3,
        )
        out.extend(diff)
    return "".join(out)
