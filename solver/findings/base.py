"""What every family of findings is built from: a code's documentation (:class:`Doc`),
its registry entry (:class:`CodeInfo`), the fields of a violation atom (a ``NamedTuple``,
converted once from clingo terms by :func:`converter`), the draft a finding function
returns (:class:`Draft`) and the registration of both (:class:`Family`, :class:`Rule`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Literal, NewType, TypeVar, get_type_hints

from solver.diagnostics import Diagnostic, Related, Severity
from solver.facts import InstanceInfo, ModuleInfo, SideTable
from solver.location import Path, format_path

if TYPE_CHECKING:
    from solver.findings.context import Context
    from solver.solve import Term

# Field types of a violation atom. An id of the side table's names, converted to the name:
Name = NewType("Name", str)
# An ASP constant of our own vocabulary (a machine class such as darwin, `explicit`):
Symbol = NewType("Symbol", str)
# (`InstanceInfo` and `ModuleInfo` fields are instance and module ids, converted to the
# side table's entries; `int` fields are numbers: counts, bounds, rule indexes.)


@dataclass(frozen=True)
class Doc:
    """The documentation of a code: the same four sections for every code."""

    trigger: str  # what triggers it
    why: str  # why it matters (what clan-core does with it)
    fix: str  # how to fix it
    example: str  # a small inventory (or command) that triggers it


@dataclass(frozen=True)
class CodeInfo:
    """One registry entry. ``description`` and ``hint`` are what renderers read (SARIF)."""

    code: str
    severity: Severity  # the default severity: declared here once
    title: str
    doc: Doc
    input: bool = False  # the input cannot be used: exit code 2
    clan: str | None = None  # what clan-core does about it, in a few words
    family: str = ""

    @property
    def description(self) -> str:
        return f"{self.doc.trigger} {self.doc.why}"

    @property
    def hint(self) -> str | None:
        return self.doc.fix

    def sections(self) -> list[tuple[str, str]]:
        return [
            ("What triggers it", self.doc.trigger),
            ("Why it matters", self.doc.why),
            ("How to fix", self.doc.fix),
            ("Example", self.doc.example),
        ]


@dataclass(frozen=True)
class Draft:
    """What a finding function says: the code and its severity come from the registry."""

    message: str
    path: Path
    hint: str | None = None
    part: Literal["key", "value"] = "key"
    related: tuple[Related, ...] = ()
    # Only where the input itself decides (a catalogue's severity for its own rule, a
    # module clan-core cannot see); otherwise the rule's severity applies.
    severity: Severity | None = None
    clan_id: str | None = None
    instance: str | None = None
    role: str | None = None
    machine: str | None = None
    module: str | None = None
    tag: str | None = None
    args: dict[str, Any] = field(default_factory=dict)


F = TypeVar("F")


def _int(t: Term) -> int:
    if isinstance(t, int):
        return t
    raise TypeError(f"expected a number, got {t!r}")


_KINDS: dict[Any, tuple[Any, ...]] = {}


def _kinds(cls: Any) -> tuple[Any, ...]:
    """The declared type of each field of `cls` (a NamedTuple), in order (once per class)."""
    got = _KINDS.get(cls)
    if got is None:
        hints = get_type_hints(cls)
        got = _KINDS[cls] = tuple(hints[f] for f in cls._fields)
    return got


def _expr(kind: Any, arg: str) -> str:
    """The Python expression converting the term `arg` to a field of type `kind`."""
    if kind is InstanceInfo:
        return f"instances[{arg} - 1]"
    if kind is ModuleInfo:
        return f"modules[{arg} - 1]"
    if kind is Name:
        return f"names[{arg}]"  # a symbol or tuple term raises TypeError
    if kind is int:
        return f"number({arg})"
    if kind is Symbol or kind is str:
        return f"str({arg})"
    raise TypeError(f"unsupported field type {kind!r}")


def converter(cls: type[F], side: SideTable) -> Callable[[Sequence[Term]], F | None]:
    """Turns the argument tuple of an atom into `cls` (a NamedTuple whose fields are
    declared in the atom's order, typed with the kinds above), or None when the arity or a
    term does not fit. The conversion is compiled once per call (as `collections.namedtuple`
    compiles its constructor): a large fleet has tens of thousands of shown atoms."""
    kinds = _kinds(cls)
    names = [f"a{i}" for i in range(len(kinds))]
    unpack = ", ".join(names) + ("," if len(names) == 1 else "")
    fields = ", ".join(_expr(k, n) for k, n in zip(kinds, names, strict=True))
    src = (
        "def convert(row):\n"
        "    try:\n"
        f"        {unpack} = row\n"
        f"        return cls({fields})\n"
        "    except (TypeError, ValueError, IndexError):\n"
        "        return None\n"
    )
    scope: dict[str, Any] = {
        "cls": cls,
        "instances": side.instances,
        "modules": side.modules,
        "names": side.names.names,
        "number": _int,
    }
    exec(src, scope)
    convert: Callable[[Sequence[Term]], F | None] = scope["convert"]
    return convert


@dataclass(frozen=True)
class Rule(Generic[F]):
    """How the violation atoms `violation(atom, Args)` of the rules become findings."""

    atom: str  # the constant the rules use (rules/*.lp)
    code: str  # the registered code of the findings
    fields: type[F]
    one: Callable[[Context, F], Draft] | None = None  # one finding per atom
    group: Callable[[Context, list[F]], list[Draft]] | None = None  # all atoms together
    # A variant's own severity (e.g. the warning form of an error code), declared once here.
    severity: Severity | None = None

    def run(self, ctx: Context, rows: Sequence[Sequence[Term]]) -> list[Diagnostic]:
        """The findings of `rows`; a row whose terms do not fit the fields still becomes a
        finding (:func:`unhandled`), never nothing."""
        convert = converter(self.fields, ctx.side)
        values: list[F] = []
        out: list[Diagnostic] = []
        for row in rows:
            v = convert(row)
            if v is None:
                out.append(unhandled(ctx, self.atom, row))
            else:
                values.append(v)
        if self.one is not None:
            drafts = [self.one(ctx, v) for v in values]
        elif self.group is not None:
            drafts = self.group(ctx, values) if values else []
        else:  # a companion: read by another rule's function, no finding of its own
            drafts = []
        return out + [ctx.finish(self.code, self.severity, d) for d in drafts]


def unhandled(ctx: Context, atom: str, row: Sequence[Term]) -> Diagnostic:
    """A violation atom no function words (a rule added without its function, or terms of
    an unexpected shape): a located finding with a generic message, not a silent drop."""
    from solver.findings import CODES

    shown = []
    path: Path = ()
    for t in row:
        if isinstance(t, int) and 0 < t < len(ctx.side.names.names):
            shown.append(repr(ctx.side.name(t)))
        else:
            shown.append(str(t))
    code = atom.replace("_", "-")
    info = CODES.get(code)
    return Diagnostic(
        code=code,
        severity=info.severity if info else "error",
        message=f"the rules report {atom}({', '.join(shown)}), which inventory-solver has "
        "no message for",
        path=format_path(path),
        location=ctx.locator.locate(path, "key"),
        hint="this is a bug in inventory-solver: please report it with the inventory",
    )


class Family:
    """The codes of one module of :mod:`solver.findings`, and the rules that report them."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.codes: list[CodeInfo] = []
        self.rules: list[Rule[Any]] = []

    def code(
        self,
        code: str,
        severity: Severity,
        title: str,
        *,
        trigger: str,
        why: str,
        fix: str,
        example: str,
        input: bool = False,
        clan: str | None = None,
    ) -> None:
        doc = Doc(trigger=trigger, why=why, fix=fix, example=example)
        self.codes.append(CodeInfo(code, severity, title, doc, input, clan, self.name))

    def one(
        self, atom: str, code: str, fields: type[F], *, severity: Severity | None = None
    ) -> Callable[[Callable[[Context, F], Draft]], Callable[[Context, F], Draft]]:
        """Registers a function making one finding of each `violation(atom, Args)`."""

        def register(fn: Callable[[Context, F], Draft]) -> Callable[[Context, F], Draft]:
            self.rules.append(Rule(atom, code, fields, one=fn, severity=severity))
            return fn

        return register

    def group(
        self, atom: str, code: str, fields: type[F]
    ) -> Callable[
        [Callable[[Context, list[F]], list[Draft]]], Callable[[Context, list[F]], list[Draft]]
    ]:
        """Registers a function making the findings of all `violation(atom, Args)` atoms
        together (several atoms can be one finding: a conflict on many machines)."""

        def register(
            fn: Callable[[Context, list[F]], list[Draft]],
        ) -> Callable[[Context, list[F]], list[Draft]]:
            self.rules.append(Rule(atom, code, fields, group=fn))
            return fn

        return register

    def companion(self, atom: str, code: str, fields: type[F]) -> None:
        """An atom that refines another finding of `code` (read by its function)."""
        self.rules.append(Rule(atom, code, fields))


RUN_FIX = "run `inventory-solver fix`"


def with_fix(hint: str | None, fix: str) -> str:
    """`hint` ending with the fix ``inventory-solver fix`` would apply (`fix`: "rename to
    'db1'"): said only where that fix is local and known when the finding is worded, as
    ``check`` never runs the repair."""
    tail = f"(fix: {fix}; {RUN_FIX})"
    return f"{hint} {tail}" if hint else tail


def quoted_list(names: list[str]) -> str:
    """`["a","b"]`: names as clan-core's messages list them."""
    return "[" + ",".join(json.dumps(n, ensure_ascii=False) for n in names) + "]"
