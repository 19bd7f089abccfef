"""Suppressions where the code is, and ``--select`` / ``--ignore`` on the command line.

Inline suppressions (``.nix`` files only; JSON has no comments, its place stays the
project config's ``[[ignore]]``)::

    roles.server.machines.ghost = { }; # inventory-solver: ignore[unknown-machine] in Nix
    # inventory-solver: ignore[empty-role,unknown-machine] the client role comes later
    roles.client = { };

* A ``#`` comment whose text starts with ``inventory-solver:`` is a suppression. It is
  found in the tree-sitter parse the reader already made (a comment node), so a ``#``
  inside a string is not one. A comment after code on a line covers the findings located
  on that line; a comment alone on its line covers the next line (a run of such comment
  lines stacks: each covers the first line after the run that is not a comment line).
* ``ignore[CODE,...]`` names one or more codes; a reason after the bracket is required.
  A suppression without a reason, with no or an empty code, or otherwise malformed is an
  ``invalid-suppression`` finding and suppresses nothing; an unknown code is one too
  (with a did-you-mean), and the comment's other codes still apply.
* ``/* inventory-solver: ... */`` block comments are not suppressions (a block comment
  spans lines, so "its line" is ambiguous): such a comment is an
  ``invalid-suppression`` saying to use a ``#`` comment, never silently ignored.
* A code of a suppression that matches no finding is ``unused-ignore``, located at the
  comment, unless that code is not selected (``--select``/``--ignore``).
* A suppressed finding leaves ``diagnostics`` for ``Report.suppressed`` (with the reason
  and the comment's location) and is counted in ``summary.suppressed``.

``--select``/``--ignore`` take codes or fnmatch patterns (``unknown-*``); a name that is
no known code (nor a user policy's) is a usage error with near matches. Findings not
selected are dropped and counted in ``summary.ignored``, as the config's ignores are.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from solver.diagnostics import Diagnostic
from solver.location import Location

if TYPE_CHECKING:
    from solver.read.nix.parse import Src
    from solver.report import Report

MARK = "inventory-solver:"
_MARK_BYTES = MARK.encode()
INVALID = "invalid-suppression"
UNUSED = "unused-ignore"
# what cannot be suppressed inline: the findings about suppressions themselves
_NOT_SUPPRESSIBLE = frozenset({INVALID, UNUSED})
_FORM = re.compile(r"ignore\[([^\]]*)\](.*)", re.S)
_HINT = "write `# inventory-solver: ignore[CODE,...] reason` on or just above the definition"


@dataclass(frozen=True)
class Suppression:
    """One ``# inventory-solver:`` comment: where it is, the line it covers, its codes and
    reason; `problem` says why it suppresses nothing (then `codes` may be empty)."""

    location: Location
    target: int  # the line whose findings it covers
    codes: tuple[str, ...]
    reason: str
    problem: str | None = None


# -- finding the comments ------------------------------------------------------------------


def scan(src: Src) -> list[Suppression]:
    """The suppression comments of one parsed ``.nix`` file, in source order.

    Only files that contain the marker are looked at; each occurrence of the marker is
    looked up in the syntax tree (the smallest node around it must be a comment), so the
    cost is nothing for a file without suppressions and logarithmic per occurrence."""
    data: bytes = src.data
    if _MARK_BYTES not in data:
        return []
    root = src.tree.root_node
    out: list[Suppression] = []
    seen: set[int] = set()
    pos = data.find(_MARK_BYTES)
    while pos != -1:
        node = root.descendant_for_byte_range(pos, pos + len(_MARK_BYTES))
        if node is not None and node.type == "comment" and node.start_byte not in seen:
            seen.add(node.start_byte)
            found = _comment(src, node)
            if found is not None:
                out.append(found)
        pos = data.find(_MARK_BYTES, pos + 1)
    return out


def scan_all(sources: Iterable[Src]) -> list[Suppression]:
    out: list[Suppression] = []
    for src in sources:
        out.extend(scan(src))
    return out


def _comment(src: Src, node: object) -> Suppression | None:
    text = src.text(node)
    loc = src.location(node)
    row: int = node.start_point[0]  # type: ignore[attr-defined]
    if text.startswith("/*"):
        body = text[2:].removesuffix("*/").strip()
        if not body.startswith(MARK):
            return None
        return Suppression(
            loc, row + 1, (), "", "a suppression must be a `#` comment, not `/* … */`"
        )
    body = text.lstrip("#").strip()
    if not body.startswith(MARK):
        return None  # the marker later in a comment's prose
    target = _target(src.data, node.start_byte, row) + 1  # type: ignore[attr-defined]
    rest = body[len(MARK) :].strip()
    m = _FORM.fullmatch(rest)
    if m is None:
        return Suppression(
            loc, target, (), "", f"`{_short(rest)}` is not `ignore[CODE,...] reason`"
        )
    codes = tuple(c.strip() for c in m.group(1).split(","))
    reason = m.group(2).strip()
    if not any(codes):
        return Suppression(loc, target, (), reason, "no code between the brackets")
    if not all(codes):
        return Suppression(loc, target, codes, reason, "an empty code between the brackets")
    if not reason:
        return Suppression(loc, target, codes, "", "a reason is required after the codes")
    return Suppression(loc, target, codes, reason)


def _short(text: str) -> str:
    return text if len(text) <= 40 else text[:39] + "…"


def _target(data: bytes, start: int, row: int) -> int:
    """The 0-based line a comment starting at byte `start` (on line `row`) covers: its own
    line after code; else the first following line that is not a comment-only line."""
    line_start = data.rfind(b"\n", 0, start) + 1
    if data[line_start:start].strip():
        return row
    pos = data.find(b"\n", start)
    while pos != -1:
        row += 1
        end = data.find(b"\n", pos + 1)
        line = data[pos + 1 : end if end != -1 else len(data)].strip()
        if not line.startswith(b"#"):
            return row
        pos = end
    return row + 1


# -- codes ------------------------------------------------------------------------------


def policy_codes(rules: Sequence[str]) -> set[str]:
    """The codes user policies write literally: ``violation("code", …)`` or
    ``violation(code, …)``. A code computed by the policy cannot be named."""
    if not rules:
        return set()
    from solver.errors import InputError
    from solver.policy_source import read

    try:
        sources = read(rules)
    except InputError:
        return set()  # the run itself reports it
    out: set[str] = set()
    pat = re.compile(r'violation\(\s*(?:"((?:[^"\\]|\\.)*)"|([a-z_][A-Za-z0-9_\']*)\s*,)')
    for s in sources:
        for m in pat.finditer(s.text):
            out.add(m.group(1) if m.group(1) is not None else m.group(2))
    return out


def known_codes(extra: Iterable[str] = ()) -> set[str]:
    """Every code a finding can have: the registry's, and `extra` (user policies')."""
    from solver.codes import CODES

    return {c for c in CODES if c != "policy"} | set(extra)


def _near(name: str, known: Collection[str]) -> str | None:
    from solver.render.suggest import did_you_mean, suggestion_text

    return suggestion_text(did_you_mean(name, sorted(known), limit=3), "code")


def check_patterns(option: str, names: Sequence[str], known: Collection[str]) -> str | None:
    """Why the codes given to `option` are not usable (a message listing near matches),
    or None. A pattern (``unknown-*``) must match at least one known code."""
    problems = []
    for name in names:
        if _is_pattern(name):
            if not any(fnmatch.fnmatchcase(c, name) for c in known):
                problems.append(f"{option}: `{name}` matches no code")
            continue
        if name not in known:
            near = _near(name, known)
            problems.append(f"{option}: unknown code `{name}`" + (f"; {near}" if near else ""))
    if not problems:
        return None
    return "; ".join(problems) + " (`inventory-solver explain CODE` describes a code)"


def _is_pattern(name: str) -> bool:
    return any(ch in name for ch in "*?[")


def split_codes(values: Iterable[str]) -> list[str]:
    """``("a,b", "c")`` -> ``["a", "b", "c"]`` (blanks and empty items dropped)."""
    out: list[str] = []
    for v in values:
        out.extend(c.strip() for c in v.split(",") if c.strip())
    return out


@dataclass(frozen=True)
class Selection:
    """``--select`` (None: every code) and ``--ignore`` as code patterns."""

    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()

    @property
    def everything(self) -> bool:
        return self.select is None and not self.ignore

    def __call__(self, code: str) -> bool:
        """Whether findings with `code` are reported."""
        if self.select is not None and not any(fnmatch.fnmatchcase(code, p) for p in self.select):
            return False
        return not any(fnmatch.fnmatchcase(code, p) for p in self.ignore)

    def any_selected(self, pattern: str) -> bool:
        """Whether a code matching `pattern` (a config ignore's code) may be reported."""
        if self.everything:
            return True
        return any(self(c) for c in known_codes() if fnmatch.fnmatchcase(c, pattern)) or (
            not _is_pattern(pattern) and self(pattern)
        )


# -- applying ---------------------------------------------------------------------------


def apply(
    report: Report,
    suppressions: Sequence[Suppression],
    selection: Selection | None = None,
    extra_codes: Iterable[str] = (),
) -> Report:
    """The report with the findings the `suppressions` cover moved to
    ``report.suppressed``; invalid and unused suppressions reported."""
    if not suppressions:
        return report
    from solver.report import Suppressed

    selection = selection or Selection()
    known = known_codes(extra_codes) | {d.code for d in report.diagnostics}
    added: list[Diagnostic] = []
    # (file, line) -> [(suppression index, code)]
    cover: dict[tuple[str, int], list[tuple[int, str]]] = {}
    for n, s in enumerate(suppressions):
        if s.problem is not None:
            added.append(_invalid(s, s.problem))
            continue
        for code in dict.fromkeys(s.codes):
            if code not in known:
                near = _near(code, known)
                added.append(_invalid(s, f"unknown code `{code}`" + (f"; {near}" if near else "")))
                continue
            cover.setdefault((s.location.file, s.target), []).append((n, code))
    used: set[tuple[int, str]] = set()
    kept: list[Diagnostic] = []
    gone: list[Suppressed] = []
    for d in report.diagnostics:
        loc = d.location
        hits = cover.get((loc.file, loc.line)) if loc is not None else None
        if not hits or d.code in _NOT_SUPPRESSIBLE:
            kept.append(d)
            continue
        first = None
        for n, code in hits:
            if code == d.code:
                used.add((n, code))
                first = n if first is None else first
        if first is None:
            kept.append(d)
            continue
        s = suppressions[first]
        gone.append(Suppressed(diagnostic=d, reason=s.reason, location=s.location))
    for (_file, line), hits in sorted(cover.items()):
        for n, code in hits:
            if (n, code) in used or not selection(code):
                continue
            s = suppressions[n]
            added.append(
                Diagnostic(
                    code=UNUSED,
                    severity="warning",
                    message=f"inline ignore of `{code}` ({s.reason}) matches no finding "
                    f"on line {line}",
                    path="",
                    location=s.location,
                    hint="remove the code from the comment, or move the comment to the "
                    "line of the definition it is about",
                    args={"code": code, "inline": True},
                )
            )
    from solver.runner import rebuild

    new = report.model_copy(
        update={
            "diagnostics": kept + added,
            "suppressed": [*report.suppressed, *gone],
        }
    )
    new.summary = new.summary.model_copy(
        update={"suppressed": report.summary.suppressed + len(gone)}
    )
    return rebuild(new)


def _invalid(s: Suppression, why: str) -> Diagnostic:
    return Diagnostic(
        code=INVALID,
        severity="warning",
        message=f"suppression not applied: {why}",
        path="",
        location=s.location,
        hint=_HINT,
    )


def select(report: Report, selection: Selection) -> Report:
    """The report with only the selected findings (the others counted as ignored). An
    ``unused-ignore`` about a code that is not selected is dropped without counting."""
    if selection.everything:
        return report
    kept: list[Diagnostic] = []
    dropped = 0
    for d in report.diagnostics:
        if d.code == UNUSED:
            about = d.args.get("code")
            if isinstance(about, str) and not selection.any_selected(about):
                continue
        if selection(d.code):
            kept.append(d)
        else:
            dropped += 1
    if len(kept) == len(report.diagnostics):
        return report
    from solver.runner import rebuild

    new = report.model_copy(update={"diagnostics": kept})
    new.summary = new.summary.model_copy(update={"ignored": report.summary.ignored + dropped})
    return rebuild(new)
