"""Every finding inventory-solver reports, one module per family (as ruff lays out its
rules): reading, schema, references, membership (and machine classes), constraints,
settings, sources, policies.

For each code a family declares, once: its documentation (what triggers it, why it
matters, how to fix, an example), its default severity, and — for the codes the rules
decide — the fields of its violation atom and the function that words and locates it.
The registry (:data:`CODES`, :data:`RULES`) is assembled here from the families;
``inventory-solver explain CODE``, the README's table of codes (``README.md``, generated
by :func:`readme_table`) and ``docs/codes.md`` (:func:`codes_markdown`) all come from it.

How to add a code:

1. the rule: derive ``violation(my_code, (I, R, ...))`` in ``rules/checks.lp`` (or
   another rules file), with ids as arguments;
2. one function with its doc: in the family module it belongs to, declare the code with
   ``code("my-code", severity, title, trigger=..., why=..., fix=..., example=...)``, a
   ``NamedTuple`` naming the atom's fields in order (``instance: InstanceInfo``,
   ``role: Name``, ``members: int``, …; converted once from the clingo terms), and the
   function
   ``@family.one("my_code", "my-code", Fields)`` that returns a :class:`Draft`
   (message, path, hint; no severity: the registry has it);
3. one test that produces the finding: a case in ``tests/test_codes.py`` (which fails
   while a code has none), then regenerate the docs: ``python -m solver.findings --write``.

A violation atom without a function is still reported, with a generic message at the
inventory's top (:func:`solver.findings.base.unhandled`), and ``tests/test_findings.py``
fails.
"""

from __future__ import annotations

from typing import Any

from solver.findings import (
    constraints,
    membership,
    policies,
    reading,
    references,
    schema,
    settings,
    sources,
)
from solver.findings.base import CodeInfo, Doc, Draft, Family, Rule

FAMILIES: tuple[Family, ...] = (
    reading.family,
    schema.family,
    references.family,
    membership.family,
    constraints.family,
    settings.family,
    sources.family,
    policies.family,
)

CODES: dict[str, CodeInfo] = {c.code: c for f in FAMILIES for c in f.codes}
RULES: dict[str, Rule[Any]] = {r.atom: r for f in FAMILIES for r in f.rules}


def _check() -> None:
    seen: set[str] = set()
    for f in FAMILIES:
        for c in f.codes:
            assert c.code not in seen, f"code {c.code} declared twice"
            seen.add(c.code)
    atoms: set[str] = set()
    for f in FAMILIES:
        for r in f.rules:
            assert r.atom not in atoms, f"rule atom {r.atom} registered twice"
            assert r.code in CODES, f"rule atom {r.atom} reports unregistered {r.code}"
            atoms.add(r.atom)


_check()


def info(code: str) -> CodeInfo:
    """The registry entry of `code`; user policy codes fall back to the `policy` entry."""
    return CODES.get(code) or CODES["policy"]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def readme_table() -> str:
    """The README's table of codes (between its BEGIN/END codes markers)."""
    lines = [
        "| code | severity | title | what triggers it | how to fix |",
        "|---|---|---|---|---|",
    ]
    for c in CODES.values():
        sev = f"{c.severity} (exit 2)" if c.input else c.severity
        lines.append(
            f"| `{c.code}` | {sev} | {_cell(c.title)} | {_cell(c.doc.trigger)} | "
            f"{_cell(c.doc.fix)} |"
        )
    return "\n".join(lines) + "\n"


def codes_markdown() -> str:
    """docs/codes.md: every code with all its sections, by family."""
    out = [
        "# Diagnostic codes",
        "",
        "Generated from the registry (`solver/findings/`) by "
        "`python -m solver.findings --write`; do not edit by hand. "
        "`inventory-solver explain CODE` prints the same text.",
        "",
    ]
    for f in FAMILIES:
        out += [f"## {f.name.capitalize()}", ""]
        for c in f.codes:
            out += [f"### {c.code}", "", f"**{c.title}** — default severity: {c.severity}"]
            if c.input:
                out[-1] += " (the input cannot be used: exit code 2)"
            if c.clan:
                out[-1] += f"; clan-core: {c.clan}"
            out.append("")
            for title, text in c.sections():
                body = f"`{text}`" if title == "Example" and "`" not in text else text
                out += [f"*{title}.* {body}", ""]
    return "\n".join(out)


__all__ = [
    "CODES",
    "FAMILIES",
    "RULES",
    "CodeInfo",
    "Doc",
    "Draft",
    "codes_markdown",
    "info",
    "readme_table",
]
