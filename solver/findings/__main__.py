"""``python -m solver.findings [--write]``: check (or rewrite) the docs generated from the
registry: the table of codes in README.md and docs/codes.md. Exit 1 when they differ."""

from __future__ import annotations

import sys
from pathlib import Path

from solver.findings import codes_markdown, readme_table

ROOT = Path(__file__).resolve().parents[2]
BEGIN, END = "<!-- codes:begin -->", "<!-- codes:end -->"


def readme_with_table(text: str) -> str:
    """`text` (README.md) with the table between the codes markers regenerated."""
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{readme_table()}{END}{tail}"


def main(argv: list[str]) -> int:
    write = "--write" in argv
    targets = {
        ROOT / "README.md": readme_with_table((ROOT / "README.md").read_text(encoding="utf-8")),
        ROOT / "docs" / "codes.md": codes_markdown(),
    }
    stale = []
    for path, want in targets.items():
        have = path.read_text(encoding="utf-8") if path.exists() else ""
        if have != want:
            stale.append(path.name)
            if write:
                path.write_text(want, encoding="utf-8")
    if stale and not write:
        print(f"out of date: {', '.join(stale)} (python -m solver.findings --write)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
