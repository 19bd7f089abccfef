"""Solve: ground and solve the fact program with the rules in ``rules/*.lp``.

All clingo calls live here (clingo is imported lazily: only commands that solve pay for
it). The program is stratified and has no choices, so there is exactly one answer set;
its shown atoms come back as plain Python tuples.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from solver.errors import InternalError

RULE_FILES = (
    "schema.lp",
    "membership.lp",
    "checks.lp",
    "settings.lp",
    "vocabulary.lp",
    "display.lp",
)

# Large shown predicates of the resolution: consumers sort what they need themselves.
BULK = frozenset({"shown_explicit", "selects", "has_tag", "resolved_role"})

Term = int | str | tuple[Any, ...]
Atom = tuple[str, tuple[Term, ...]]


def rules_dir() -> str:
    """`solver/rules` inside an installed wheel, else `rules/` at the source tree root."""
    here = os.path.dirname(os.path.abspath(__file__))
    for cand in (os.path.join(here, "rules"), os.path.join(os.path.dirname(here), "rules")):
        if os.path.isfile(os.path.join(cand, "schema.lp")):
            return cand
    raise InternalError("the rule files (rules/*.lp) are missing from the installation")


@cache
def rules_text() -> tuple[tuple[str, str], ...]:
    """(file name, text) of every built-in rule file, in load order."""
    base = rules_dir()
    out = []
    for name in RULE_FILES:
        path = os.path.join(base, name)
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as fh:
                out.append((name, fh.read()))
    return tuple(out)


@dataclass
class SolveResult:
    atoms: dict[str, list[tuple[Term, ...]]] = field(default_factory=dict)
    stats: dict[str, float] = field(default_factory=dict)


def _term(sym: Any, clingo: Any) -> Term:
    t = sym.type
    if t == clingo.SymbolType.Number:
        return int(sym.number)
    if t == clingo.SymbolType.String:
        return str(sym.string)
    if t == clingo.SymbolType.Function:
        name = sym.name
        args = sym.arguments
        if not args:
            return str(name)
        conv = tuple(_term(a, clingo) for a in args)
        return conv if name == "" else (name, *conv)
    return str(sym)  # pragma: no cover - #inf/#sup never shown


def _simple(x: str) -> Term | None:
    """A term of `str(sym)` that is a number, a constant or `f(simple)`; else None."""
    c = x[0]
    if c.isdigit():
        return int(x) if x.isdigit() else None
    if c == "-":
        return int(x) if x[1:].isdigit() else None
    if "(" in x:
        name, _, arg = x.partition("(")
        if not name or not arg.endswith(")") or "(" in arg or '"' in arg:
            return None
        inner = _simple(arg[:-1]) if arg != ")" else None
        return None if inner is None else (name, inner)
    if c.islower() or c == "_":
        return x if x.replace("_", "a").replace("'", "a").isalnum() else None
    return None


def _row(sym: Any, clingo: Any) -> tuple[str, tuple[Term, ...]]:
    """(name, converted arguments), parsed from `str(sym)` (one C call instead of one per
    argument: reading symbols back is the costly part of a solve); anything unusual (strings, tuples, nested terms)
    goes through the accessors. Both give the same values."""
    text = str(sym)
    name, paren, rest = text.partition("(")
    if not paren:
        return text, ()
    if '"' not in rest and rest.endswith(")"):
        parts = rest[:-1].split(",")
        out: list[Term] = []
        for part in parts:
            if part.isdigit():  # the common case: an id
                out.append(int(part))
                continue
            v = _simple(part)
            if v is None:
                break
            out.append(v)
        else:
            return name, tuple(out)
    return sym.name, tuple(_term(a, clingo) for a in sym.arguments)


def solve(
    facts: str,
    *,
    resolve: bool = False,
    extra: Sequence[tuple[str, str]] = (),
    consts: Iterable[tuple[str, str]] = (),
) -> SolveResult:
    """Run the built-in rules (plus `extra` (name, text) programs) on `facts`."""
    import clingo

    messages: list[str] = []

    def logger(code: Any, msg: str) -> None:
        messages.append(msg)

    args = ["--warn=none"]
    if resolve:
        args += ["-c", "resolve=1"]
    for k, v in consts:
        args += ["-c", f"{k}={v}"]
    ctl = clingo.Control(args, logger=logger, message_limit=50)
    try:
        for _name, text in rules_text():
            ctl.add("base", [], text)
        for _name, text in extra:
            ctl.add("base", [], text)
        ctl.add("base", [], facts)
        ctl.ground([("base", [])])
    except RuntimeError as exc:
        raise InternalError(f"clingo failed: {exc}: {' '.join(messages)}") from None

    result = SolveResult()
    atoms = result.atoms

    def on_model(model: Any) -> None:
        for sym in model.symbols(shown=True):
            name, row = _row(sym, clingo)
            rows = atoms.get(name)
            if rows is None:
                rows = atoms[name] = []
            rows.append(row)

    res = ctl.solve(on_model=on_model)
    if not res.satisfiable:
        raise InternalError("the rules have no answer set; this is a bug in inventory-solver")
    # clingo's order is already deterministic for a given program (whose facts are
    # sorted); findings are sorted once more so that their order never depends on it.
    for name, rows in atoms.items():
        if name not in BULK:
            rows.sort(key=repr)
    return result


_FACT = re.compile(r"([a-z_][A-Za-z0-9_']*)(\((?:[^()\"]|\"(?:[^\"\\]|\\.)*\"|\([^()]*\))*\))?\.")


def _arity(args: str) -> int:
    """The number of top-level arguments in `(a,b,(c,d),"e,f")`."""
    if not args:
        return 0
    depth, n, quoted, escaped = 0, 1, False, False
    for ch in args[1:-1]:
        if quoted:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                quoted = False
        elif ch == '"':
            quoted = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            n += 1
    return n


def listing(facts: Sequence[tuple[str, str]], names: Sequence[str] = ()) -> str:
    """The whole program as clingo would read it, for people debugging rules: the names
    behind the ids (as comments), the facts of each part grouped by predicate/arity in
    order of first appearance, then each rules file. Every section starts with a title."""
    out: list[str] = []

    def title(text: str) -> None:
        out.extend(["", "%" + "=" * 77, f"% {text}", "%" + "=" * 77])

    if len(names) > 1:
        title(f"ids: the names behind the numbers ({len(names) - 1})")
        out += [f"% {i} = {json.dumps(n, ensure_ascii=False)}" for i, n in enumerate(names) if i]
    for part, text in facts:
        groups: dict[str, list[str]] = {}
        for m in _FACT.finditer(text):
            key = f"{m.group(1)}/{_arity(m.group(2) or '')}"
            groups.setdefault(key, []).append(m.group(0))
        for key, rows in groups.items():
            title(f"facts: {key} ({len(rows)}, from {part})")
            out += rows
    for name, text in rules_text():
        title(f"rules/{name}")
        out.append(text.rstrip("\n"))
    return "\n".join(out).lstrip("\n") + "\n"


def fact_predicates(text: str) -> set[tuple[str, int]]:
    """The name/arity of every fact in `text` (a fact program)."""
    return {(m.group(1), _arity(m.group(2) or "")) for m in _FACT.finditer(text)}
