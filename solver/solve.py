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


@dataclass
class Optimum:
    """One optimal answer of the repair program (rules/repair.lp)."""

    chosen: list[int]  # the chosen candidate edits, in order
    remains: list[tuple[str, str]]  # (code, arguments as text) of the errors that remain
    cost: list[int] = field(default_factory=list)
    # for the first optimum: candidate -> what remains when it alone is left out
    without: dict[int, list[tuple[str, str]]] = field(default_factory=dict)


REPAIR_FILES = ("schema.lp", "membership.lp", "checks.lp", "settings.lp")


@cache
def repair_text() -> str:
    with open(os.path.join(rules_dir(), "repair.lp"), encoding="utf-8") as fh:
        return fh.read()


def optimize(facts: str, *, limit: int = 6) -> list[Optimum]:
    """Solve `facts` with the check rules and rules/repair.lp: the optimal answers (at
    most `limit`, in clingo's order, which is deterministic for a given program)."""
    import clingo

    messages: list[str] = []

    def logger(code: Any, msg: str) -> None:
        messages.append(msg)

    ctl = clingo.Control(["--warn=none", "--opt-mode=optN", "0"], logger=logger, message_limit=50)
    try:
        for name, text in rules_text():
            if name in REPAIR_FILES:
                ctl.add("base", [], text)
        ctl.add("base", [], repair_text())
        ctl.add("base", [], facts)
        ctl.ground([("base", [])])
    except RuntimeError as exc:
        raise InternalError(f"clingo failed: {exc}: {' '.join(messages)}") from None

    found: list[Optimum] = []
    seen: set[tuple[int, ...]] = set()

    def read(model: Any) -> tuple[list[int], list[tuple[str, str]]]:
        chosen: list[int] = []
        remains: list[tuple[str, str]] = []
        for sym in model.symbols(shown=True):
            if sym.name == "chosen":
                chosen.append(sym.arguments[0].number)
            else:
                remains.append((sym.arguments[0].name, str(sym.arguments[1])))
        return chosen, remains

    def on_model(model: Any) -> bool:
        if not model.optimality_proven:
            return True
        chosen, remains = read(model)
        key = tuple(sorted(chosen))
        if key not in seen:
            seen.add(key)
            found.append(Optimum(sorted(chosen), sorted(remains), list(model.cost)))
        return len(found) < limit

    res = ctl.solve(on_model=on_model)
    if not res.satisfiable:
        raise InternalError("the repair program has no answer; this is a bug in inventory-solver")
    found.sort(key=lambda o: o.chosen)
    if found and len(found[0].chosen) > 1:
        # What each chosen edit does on its own account: the answer with every other
        # choice fixed as in the optimum and this one left out.
        best = found[0]
        cands = [a.symbol.arguments[0].number for a in ctl.symbolic_atoms.by_signature("chosen", 1)]
        for x in best.chosen:
            assume = [
                (clingo.Function("chosen", [clingo.Number(c)]), c in best.chosen and c != x)
                for c in cands
            ]
            got: list[list[tuple[str, str]]] = []

            def keep(model: Any, got: list[list[tuple[str, str]]] = got) -> None:
                got[:] = [read(model)[1]]

            ctl.solve(on_model=keep, assumptions=assume)
            if got:
                best.without[x] = got[0]
    return found


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
