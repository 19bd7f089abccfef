"""User policies: ``--rules FILE.lp`` (and ``rules = [...]`` in the project config).

A policy is ASP over the public vocabulary (docs/vocabulary.md) that derives
``violation(Code, Severity, Message, Args)`` atoms; each becomes a normal diagnostic.

- :func:`read` reads every policy file once, with its confined ``#include`` files
  (:mod:`solver.policy_source`); nothing is parsed in the calling process.
- :func:`solve` does everything else in a child process that is killed after
  ``policy_timeout`` seconds, may use at most :data:`MEMORY_BYTES` more memory, cannot
  open files while clingo runs, and ends with its parent:

  * :func:`_check` parses every file with ``clingo.ast`` and rejects what could change
    the built-in results or cannot be checked: a rule whose head predicate is defined or
    used by the built-in rules or facts (except ``violation/4``), integrity constraints,
    choice and disjunctive heads, ``#script``, ``#external``, ``#show``, optimisation,
    ``@``-functions, and body predicates that nothing defines (a typo would silently
    disable the policy). Every rejection is an :class:`~solver.errors.InputError` with
    code ``policy-error`` located at ``file:line:col``;
  * grounding and solving with the built-in rules;
  * :func:`diagnostics` turns the ``violation/4`` atoms into located diagnostics, with
    messages cut at :data:`MAX_MESSAGE` characters and at most :data:`MAX_VIOLATIONS`.
- :func:`name_facts` writes ``name/2`` and the other string facts, quoting every user
  string with :func:`quote` (the only place user text enters program text).
"""

from __future__ import annotations

import bisect
import multiprocessing
import os
import re
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from solver.diagnostics import Diagnostic, Severity
from solver.errors import InputError, InternalError
from solver.location import Location, Path
from solver.policy_source import Source, timeout_problem
from solver.policy_source import read as read_sources
from solver.solve import SolveResult, rules_text

if TYPE_CHECKING:
    from solver.facts import SideTable
    from solver.results import Builder

CODE = "policy-error"
SEVERITIES = ("error", "warning", "info")
OUTPUT = ("violation", 4)  # the one built-in name a policy may define
ATOMS_KEY = "violation/4"  # the policy findings, as handed to diagnostics()
MEMORY_BYTES = 2 * 1024**3  # address space the policy child may add to what it inherits
MAX_VIOLATIONS = 10_000  # violation/4 atoms reported; a note says how many were left out
MAX_MESSAGE = 2_000  # characters of a message (or of one Args value), then "…"
MAX_OUTPUT = 16 * 1024**2  # characters of all policy findings together
MAX_TERM_DEPTH = 64  # nesting of a term that is shown; deeper parts become "…"
_UNREPRESENTABLE = re.compile("[\x00\ud800-\udfff]")
_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/-]*$")
_MSG_RE = re.compile(
    r"^(?P<file>.*?):(?P<line>\d+):(?P<col>\d+)(?:-(?:(?P<eline>\d+):)?(?P<ecol>\d+))?:"
    r" (?P<kind>error|warning|info|note): (?P<text>.*)$",
    re.S,
)

Signature = tuple[str, int]
# A policy term, as it crosses the process boundary: ("num", n), ("str", s),
# ("fun", name, (args...)) with name "" for a tuple, or ("sym", text) for #inf/#sup.
PTerm = tuple[Any, ...]


def _clip(text: str, limit: int = MAX_MESSAGE) -> str:
    """`text`, cut to `limit` characters with "…" when longer."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- quoting ---------------------------------------------------------------------------------
def quote(text: str) -> str:
    """`text` as an ASP string literal that clingo reads back as exactly `text`.

    clingo strings know three escapes: ``\\\\``, ``\\"`` and ``\\n``; every other
    character (tabs, ``%``, ``.``, unicode) stands for itself inside quotes. NUL cannot be
    represented (clingo strings are C strings) and neither can a lone UTF-16 surrogate
    (JSON allows ``"\\ud800"``, UTF-8 does not); both become U+FFFD.
    """
    out = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return '"' + _UNREPRESENTABLE.sub("\ufffd", out) + '"'


def name_facts(side: SideTable) -> str:
    """The string facts of the vocabulary: names of machines/tags/roles, instances, modules."""
    out: list[str] = []
    for i, s in enumerate(side.names.names[1:], 1):
        out.append(f"name({i},{quote(s)}).")
    for i, info in enumerate(side.instances, 1):
        out.append(f"instance_name({i},{quote(info.name)}).")
    for k, mod in enumerate(side.modules, 1):
        out.append(f"module_name({k},{quote(mod.key[1])}).")
        out.append(f"module_input({k},{quote(mod.key[0] or 'clan-core')}).")
    out.append("")
    return "\n".join(out)


# -- the built-in signatures -----------------------------------------------------------------
_SHAPES: dict[Any, tuple[bool, tuple[str, ...]]] = {}


def _shape(node: Any) -> tuple[Any, bool, tuple[str, ...]]:
    """(type, has a location, keys that hold child nodes) of an AST node; the last two
    depend only on the type and are remembered (every attribute access is a C call)."""
    t = node.ast_type
    shape = _SHAPES.get(t)
    if shape is None:
        shape = _SHAPES[t] = ("location" in node.keys(), tuple(node.child_keys))
    return t, shape[0], shape[1]


def _children(node: Any, keys: tuple[str, ...]) -> Iterable[Any]:
    from clingo.ast import AST

    for key in keys:
        value = getattr(node, key)
        if isinstance(value, AST):
            yield value
        elif value is not None:
            yield from value


def _atom_signature(atom: Any) -> Signature | None:
    """(name, arity) of a SymbolicAtom node (classical negation `-p` counts as `p`)."""
    from clingo.ast import ASTType

    term = atom.symbol
    while term.ast_type == ASTType.UnaryOperation:
        term = term.argument
    if term.ast_type == ASTType.Function:
        return (str(term.name), len(term.arguments))
    if term.ast_type == ASTType.SymbolicTerm:
        sym = term.symbol
        if sym.type.name == "Function":
            return (str(sym.name), len(sym.arguments))
    return None


def _atoms(node: Any, out: list[tuple[Signature, Any]], where: Any = None) -> None:
    """Every (signature, node with a location) of a symbolic atom under `node`."""
    from clingo.ast import ASTType

    t, located, keys = _shape(node)
    if located:
        where = node
    if t == ASTType.SymbolicAtom:
        sig = _atom_signature(node)
        if sig is not None:
            out.append((sig, where))
        return
    for child in _children(node, keys):
        _atoms(child, out, where)


def _externals(node: Any) -> list[Any]:
    """Every `@f(...)` term under `node`."""
    from clingo.ast import ASTType

    if "@" not in str(node):  # the walk costs a C call per attribute; most rules have none
        return []
    found = []
    t, _located, keys = _shape(node)
    if t == ASTType.Function and node.external:
        found.append(node)
    for child in _children(node, keys):
        found += _externals(child)
    return found


@cache
def builtin_signatures() -> frozenset[Signature]:
    """Every predicate the built-in rules and facts define or use (from rules/*.lp)."""
    from clingo.ast import ASTType, parse_string

    sigs: set[Signature] = set()

    def visit(stmt: Any) -> None:
        if stmt.ast_type == ASTType.Defined or stmt.ast_type == ASTType.ShowSignature:
            sigs.add((str(stmt.name), int(stmt.arity)))
        found: list[tuple[Signature, Any]] = []
        _atoms(stmt, found)
        sigs.update(sig for sig, _ in found)

    for _name, text in rules_text():
        parse_string(text, visit)
    sigs.discard(OUTPUT)
    return frozenset(sigs)


@cache
def builtin_constants() -> frozenset[str]:
    """The `#const` names of the built-in rules (resolve, ...)."""
    from clingo.ast import ASTType, parse_string

    names: set[str] = set()

    def visit(stmt: Any) -> None:
        if stmt.ast_type == ASTType.Definition:
            names.add(str(stmt.name))

    for _name, text in rules_text():
        parse_string(text, visit)
    return frozenset(names)


# -- where a statement is ----------------------------------------------------------------------
class _Places:
    """Line numbers of the parsed texts, made unique across the policy files.

    clingo's ``parse_string`` names every text ``<string>``; each source is parsed after
    ``offset`` newlines, so a line number (of a statement, or in a grounding message)
    tells which file it belongs to.
    """

    def __init__(self, sources: Sequence[Source]) -> None:
        self.starts: list[int] = []
        self.shown: list[str] = []
        offset = 0
        for src in sources:
            self.starts.append(offset)
            self.shown.append(src.shown)
            offset += src.text.count("\n") + 2

    def find(self, line: int) -> tuple[str, int]:
        """(file, line in the file) of a global line number."""
        i = max(bisect.bisect_left(self.starts, line) - 1, 0)
        return self.shown[i], line - self.starts[i]

    def location(
        self, line: int, column: int, end_line: int | None = None, end_column: int | None = None
    ) -> Location:
        file, local = self.find(line)
        end = None if end_line is None else end_line - (line - local)
        return Location(file=file, line=local, column=column, end_line=end, end_column=end_column)


def _error(
    message: str, file: str, line: int = 1, column: int = 1, hint: str | None = None
) -> InputError:
    return InputError.single(
        CODE, message, Location(file=file, line=line, column=column), hint=hint
    )


def _at(places: _Places, node: Any, message: str, hint: str | None = None) -> InputError:
    begin = node.location.begin
    return InputError.single(CODE, message, places.location(begin.line, begin.column), hint=hint)


def errors_from_messages(messages: Sequence[str], fallback: str, places: _Places) -> InputError:
    """clingo's logger messages (``<string>:L:C-C: error: ...``) as located diagnostics."""
    diags: list[Diagnostic] = []
    for raw in messages:
        m = _MSG_RE.match(raw.strip())
        if m is None or m.group("kind") not in ("error", "warning"):
            continue
        if m.group("kind") == "warning" and diags:
            continue
        text = _clip(" ".join(m.group("text").replace("[#inc_base];", "").split()))
        line = int(m.group("line"))
        if m.group("file") == "<string>":
            loc = places.location(
                line,
                int(m.group("col")),
                int(m.group("eline") or m.group("line")),
                int(m.group("ecol")) if m.group("ecol") else None,
            )
        else:  # a file clingo tried to open (it cannot): name the policy, not the file
            loc = places.location(1, 1)
        diags.append(Diagnostic(code=CODE, severity="error", message=text, path="", location=loc))
    if not diags:
        detail = _clip(" ".join(" ".join(messages).split()) or "clingo reported no detail")
        return InputError.single(CODE, f"{fallback}: {detail}")
    return InputError(diags)


def _parse(source: Source, offset: int, places: _Places) -> list[Any]:
    """The statements of one policy text (after `offset` newlines: see :class:`_Places`)."""
    from clingo.ast import parse_string

    text = source.text
    stray = source.stray
    if stray is not None:
        line, column, char = stray
        what = "byte order mark" if char == "\ufeff" else f"character {char!r} (U+{ord(char):04X})"
        raise _error(
            f"unexpected {what} outside a string or comment",
            source.shown,
            line,
            column,
            hint='names in ASP are ASCII; put other text in a "string"',
        )
    padded = "\n" * offset + text
    messages: list[str] = []
    if not text.isascii():
        # Strings and comments may hold any text, but a lexer error inside one (a bad
        # escape, a string left open) is reported byte by byte too, and clingo's Python
        # logger aborts the process on half a UTF-8 sequence. An ASCII copy with the same
        # tokens is parsed first: its errors are the file's errors, in plain ASCII, at the
        # same line and column; once it parses, the file does as well.
        ascii_copy = padded.encode("ascii", "replace").decode("ascii")
        try:
            with _no_new_files():
                parse_string(ascii_copy, lambda _s: None, logger=lambda _c, m: messages.append(m))
        except RuntimeError:
            raise errors_from_messages(messages, f"{source.shown}: cannot parse", places) from None
        messages.clear()
    stmts: list[Any] = []
    try:
        with _no_new_files():
            parse_string(padded, stmts.append, logger=lambda _c, m: messages.append(m))
    except RuntimeError:
        raise errors_from_messages(messages, f"{source.shown}: cannot parse", places) from None
    return stmts


HINT_OUTPUT = "derive violation(Code, Severity, Message, Args) to report a finding"


def _check_statement(stmt: Any, heads: set[Signature], places: _Places) -> None:
    """Reject what a policy must not do; add the head signature of a rule to `heads`."""
    from clingo.ast import ASTType, Sign

    def at(node: Any, message: str, hint: str | None = None) -> InputError:
        return _at(places, node, message, hint)

    t = stmt.ast_type
    if t == ASTType.Program:
        if stmt.name != "base" or len(stmt.parameters):
            raise at(
                stmt,
                f"`#program {stmt.name}` is not supported in policies: only the base program "
                "is grounded",
            )
        return
    if t == ASTType.Comment:
        return
    if t == ASTType.Defined:
        heads.add((str(stmt.name), int(stmt.arity)))
        return
    if t == ASTType.Definition:
        if stmt.name in builtin_constants():
            raise at(stmt, f"`#const {stmt.name}` redefines a constant of the built-in rules")
        return
    if t == ASTType.Script:
        raise at(stmt, "`#script` is not allowed in policies: a policy is plain ASP")
    if t != ASTType.Rule:
        word = _clip(str(stmt).split(" ", 1)[0].rstrip("."), 80)
        raise at(
            stmt,
            f"`{word}` statements are not allowed in policies (only rules, #const and #defined)",
            HINT_OUTPUT,
        )
    for ext in _externals(stmt):
        raise at(
            ext, f"external function `@{_clip(str(ext.name), 80)}` is not available in policies"
        )
    head = stmt.head
    if head.ast_type != ASTType.Literal or head.sign != Sign.NoSign:
        raise at(
            stmt,
            "only normal rules are allowed in policies (no choice, disjunction or aggregate heads)",
            HINT_OUTPUT,
        )
    if head.atom.ast_type == ASTType.BooleanConstant:
        raise at(
            stmt,
            "integrity constraints are not allowed in policies: they would remove the "
            "answer and every finding with it",
            HINT_OUTPUT,
        )
    if head.atom.ast_type != ASTType.SymbolicAtom:
        raise at(stmt, f"`{_clip(str(head), 80)}` cannot be the head of a policy rule")
    sig = _atom_signature(head.atom)
    if sig is None:  # pragma: no cover - the parser does not produce these
        raise at(stmt, f"`{_clip(str(head), 80)}` cannot be the head of a policy rule")
    name, arity = sig
    if sig in builtin_signatures():
        raise at(
            head,
            f"the rule defines `{name}/{arity}`, a predicate of the built-in rules; a policy "
            "cannot change what they derive",
            "rename the predicate (e.g. with a prefix of your own) or report through violation/4",
        )
    if name == "violation" and arity != 4:
        raise at(
            head,
            f"`violation/{arity}`: a policy finding is violation(Code, Severity, Message, Args)",
        )
    if sig == OUTPUT:
        _check_output_head(head.atom, places)
    heads.add(sig)


def _check_output_head(atom: Any, places: _Places) -> None:
    """Constant Code and Severity arguments of a violation/4 head are checked at load time."""
    from clingo.ast import ASTType

    term = atom.symbol
    if term.ast_type != ASTType.Function:
        return
    code, sev = term.arguments[0], term.arguments[1]
    if code.ast_type == ASTType.SymbolicTerm:
        c = _code_text(code.symbol)
        if c is None:
            raise _at(
                places, code, f"violation/4: the code `{_clip(str(code), 80)}` is not a string"
            )
        _check_code(c, lambda msg: _at(places, code, msg))
    if sev.ast_type == ASTType.SymbolicTerm:
        s = str(sev.symbol)
        if s not in SEVERITIES:
            raise _at(
                places,
                sev,
                f"violation/4: severity `{_clip(s, 80)}` is not one of error, warning, info",
            )


def _code_text(sym: Any) -> str | None:
    kind = sym.type.name
    if kind == "String":
        return str(sym.string)
    if kind == "Function" and not sym.arguments and sym.positive:
        return str(sym.name)
    return None


def _check_code(code: str, fail: Any) -> None:
    from solver.codes import CODES

    if not _CODE_RE.match(code):
        raise fail(
            f"violation/4: the code {_clip(code, 80)!r} must start with a letter or digit and "
            "use only letters, digits and _ . : / -"
        )
    if code in CODES:
        raise fail(f"violation/4: the code {code!r} is a built-in code; choose your own")


def read(paths: Sequence[str]) -> list[Source]:
    """Read the policy files (and what they include) once; see :mod:`solver.policy_source`.

    Nothing is parsed here: that happens in the child process, under the time limit."""
    return read_sources(paths)


def _check(sources: Sequence[Source]) -> tuple[list[Any], _Places]:
    """Parse and check every policy text; their statements (in the child process)."""
    places = _Places(sources)
    stmts: list[Any] = []
    heads: set[Signature] = set()
    bodies: list[tuple[Signature, Any]] = []
    for src, offset in zip(sources, places.starts, strict=True):
        for stmt in _parse(src, offset, places):
            _check_statement(stmt, heads, places)
            found: list[tuple[Signature, Any]] = []
            _atoms(stmt, found)
            bodies += found
            stmts.append(stmt)
    known = builtin_signatures() | heads | {OUTPUT}
    for (name, arity), node in bodies:
        if (name, arity) not in known:
            from solver.render.suggest import did_you_mean

            similar = sorted(f"{n}/{a}" for n, a in known if n == name)
            close = did_you_mean(name, {n for n, _a in known})
            if similar:
                hint = f"{name} is known as {', '.join(similar)}"
            elif close:
                hint = f"did you mean `{close[0]}`?"
            else:
                hint = "see docs/vocabulary.md for the predicates a policy can use"
            raise _at(
                places,
                node,
                f"`{_clip(name, 80)}/{arity}` is neither in the vocabulary nor defined by a "
                "policy rule",
                hint + " (declare it with #defined if that is intended)",
            )
    return stmts, places


# -- the child process -------------------------------------------------------------------------
@contextmanager
def _no_new_files() -> Iterator[None]:
    """While clingo runs, the process cannot open a file (``RLIMIT_NOFILE`` set to the
    lowest free descriptor): whatever clingo would follow (an ``#include`` the scan missed)
    fails with "file could not be opened" instead of being read."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    probe = os.open(os.devnull, os.O_RDONLY)
    os.close(probe)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (probe, hard))
    except (ValueError, OSError):  # pragma: no cover - refused by the platform
        yield
        return
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def _limit_memory() -> None:
    """At most :data:`MEMORY_BYTES` more address space than the child started with."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not POSIX
        return
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            used = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        used = 0
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = used + MEMORY_BYTES
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    with suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _tie_to_parent(parent: int, lifeline: Any, keep: Any) -> None:
    """The child ends when its parent does, however the parent ends (SIGTERM, SIGHUP,
    SIGKILL): the kernel kills it when the parent dies (Linux ``PR_SET_PDEATHSIG``), and a
    thread exits the process when the pipe from the parent reaches EOF (everywhere). It has
    its own process group, so a Ctrl-C at the terminal reaches only the parent, which
    stops it."""
    keep.close()  # the parent's end, inherited on fork: only the parent may hold it
    with suppress(OSError):
        os.setpgid(0, 0)
    if sys.platform.startswith("linux"):
        with suppress(Exception):
            import ctypes
            import signal

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:
        os._exit(1)

    def watch() -> None:
        with suppress(BaseException):
            lifeline.recv_bytes()
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


@dataclass
class _Job:
    facts: str
    sources: list[Source]
    names: str
    resolve: bool
    builder: Callable[[dict[str, list[tuple[Any, ...]]]], Builder] | None


def _run_job(job: _Job) -> tuple[str, Any]:
    """Parse, check, ground, solve and report, all in the child."""
    import clingo
    from clingo.ast import ProgramBuilder

    from solver.solve import _term

    rules = rules_text()
    builtin_signatures()
    builtin_constants()
    import solver.render.suggest  # noqa: F401 - imported before files are closed to us

    try:
        stmts, places = _check(job.sources)
    except InputError as exc:
        return ("error", exc.diagnostics)

    messages: list[str] = []

    def logger(_code: Any, msg: str) -> None:
        messages.append(msg)

    args = ["--warn=none", "-c", f"resolve={1 if job.resolve else 0}"]
    ctl = clingo.Control(args, logger=logger, message_limit=20)
    violations: list[Any] = []
    result = SolveResult()
    atoms = result.atoms

    def on_model(model: Any) -> None:
        for sym in model.symbols(shown=True):
            if sym.name == "violation" and len(sym.arguments) == 4:
                violations.append(sym)
            else:
                atoms.setdefault(sym.name, []).append(
                    tuple(_term(a, clingo) for a in sym.arguments)
                )

    try:
        with _no_new_files():
            for _name, text in rules:
                ctl.add("base", [], text)
            with ProgramBuilder(ctl) as builder:
                for stmt in stmts:
                    builder.add(stmt)
            ctl.add("base", [], job.names)
            ctl.add("base", [], job.facts)
            ctl.ground([("base", [])])
            satisfiable = ctl.solve(on_model=on_model).satisfiable
    except RuntimeError:
        return (
            "error",
            errors_from_messages(messages, "the policies cannot be grounded", places).diagnostics,
        )
    if not satisfiable:
        return ("unsat", None)
    for rows in atoms.values():
        rows.sort(key=repr)
    violations.sort()
    total = len(violations)
    memo: dict[Any, PTerm] = {}
    rows = [tuple(_pterm(a, memo) for a in sym.arguments) for sym in violations[:MAX_VIOLATIONS]]
    diags: list[Diagnostic] = []
    if job.builder is not None:
        try:
            diags, shown = _findings(rows, job.builder(atoms))
        except InputError as exc:
            return ("error", exc.diagnostics)
        if shown < total:
            diags.append(
                Diagnostic(
                    code=CODE,
                    severity="warning",
                    message=f"the policies derived {total:,} violations; only the first "
                    f"{shown:,} are reported",
                    path="",
                    location=places.location(1, 1),
                    hint=f"at most {MAX_VIOLATIONS:,} policy findings (and "
                    f"{MAX_OUTPUT // 2**20} MiB of their text) are reported",
                )
            )
    return ("ok", (result, diags))


def _child(conn: Any, lifeline: Any, keep: Any, parent: int, job: _Job) -> None:
    _tie_to_parent(parent, lifeline, keep)
    _limit_memory()
    try:
        conn.send(_run_job(job))
    except MemoryError:
        conn.send(("memory", None))
    except BaseException as exc:  # pragma: no cover - reported by the parent
        conn.send(("internal", f"{type(exc).__name__}: {_clip(str(exc), 500)}"))
    finally:
        conn.close()


def _listing(sources: Sequence[Source]) -> str:
    return _clip(", ".join(s.shown for s in sources), 200)


def _context() -> Any:
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def check_timeout(timeout: object, where: str = "policy timeout") -> float:
    """`timeout` as seconds, when it is a number with 0 < t <= MAX_TIMEOUT; else a
    ``policy-error`` (the CLI and the config check it before, with their own words)."""
    problem = timeout_problem(timeout)
    if problem is not None:
        raise InputError.single(CODE, f"{where}: {problem}")
    return float(timeout)  # type: ignore[arg-type]


def solve(
    facts: str,
    sources: Sequence[Source],
    side: SideTable,
    builder: Callable[[dict[str, list[tuple[Any, ...]]]], Builder] | None = None,
    *,
    resolve: bool = False,
    timeout: float = 5.0,
) -> tuple[SolveResult, list[Diagnostic]]:
    """Built-in rules + policies (`sources` from :func:`read`) on `facts`, and the
    policy findings (named with `builder(atoms)`), within `timeout` seconds.

    Everything about the policies happens in a child process: parsing and checking the
    texts, grounding, solving, and turning ``violation/4`` atoms into diagnostics. It is
    killed after `timeout` seconds, has at most :data:`MEMORY_BYTES` more memory than it
    started with, and ends with its parent (:func:`_tie_to_parent`).
    """
    timeout = check_timeout(timeout)
    if not sources:
        raise InternalError("policy.solve without policies")
    job = _Job(facts, list(sources), name_facts(side), resolve, builder)
    # from the built-in rules, not the policy: computed once per process, before the fork
    builtin_signatures()
    builtin_constants()
    ctx = _context()
    receiver, sender = ctx.Pipe(duplex=False)
    life_r, life_w = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(sender, life_r, life_w, os.getpid(), job), daemon=True)
    proc.start()
    sender.close()
    life_r.close()
    with suppress(OSError):
        os.setpgid(proc.pid, proc.pid)
    first = sources[0].shown
    try:
        if not receiver.poll(timeout):
            raise _error(
                f"the policies ({_listing(sources)}) did not finish within {timeout:g} s and "
                "were stopped",
                first,
                hint="a rule may derive without end (e.g. `p(X+1) :- p(X).`); otherwise raise "
                "the limit with --policy-timeout or policy-timeout in the project config",
            )
        try:
            kind, payload = receiver.recv()
        except EOFError:
            proc.join(1)
            raise _error(
                f"the policies ({_listing(sources)}) stopped the process that ran them "
                f"(exit code {proc.exitcode})",
                first,
                hint=f"a policy may need more than the {MEMORY_BYTES // 2**20} MiB of memory "
                "it may use",
            ) from None
    finally:
        receiver.close()
        life_w.close()
        if proc.is_alive():
            with suppress(OSError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.kill()
        proc.join()
    if kind == "ok":
        result, diags = payload
        assert isinstance(result, SolveResult)
        return result, list(diags)
    if kind == "error":
        raise InputError(list(payload))
    if kind == "unsat":
        raise _error(
            f"the policies ({_listing(sources)}) leave no answer set (a rule such as "
            "`p :- not p.` contradicts itself)",
            first,
            hint="policies must be stratified: do not negate what depends on itself",
        )
    if kind == "memory":
        raise _error(
            f"the policies ({_listing(sources)}) needed more than "
            f"{MEMORY_BYTES // 2**20} MiB of memory and were stopped",
            first,
            hint="a rule may derive without end, or build very large terms",
        )
    raise InternalError(f"policy run failed: {payload}")


# -- findings --------------------------------------------------------------------------------
class _Namer:
    """Policy terms to display text and inventory locations."""

    def __init__(self, builder: Builder) -> None:
        self.b = builder
        self.side = builder.side

    def text(self, t: PTerm, limit: int = MAX_MESSAGE) -> str:
        """The display text of `t`, at most `limit` characters (then "…")."""
        parts: list[str] = []
        self._write(t, parts, [limit])
        return _clip("".join(parts), limit)

    def _write(self, t: PTerm, parts: list[str], left: list[int]) -> None:
        """Append the text of `t` to `parts` until the budget `left[0]` is spent."""

        def put(s: str) -> None:
            parts.append(s[: max(left[0] + 1, 0)])
            left[0] -= len(s)

        kind = t[0]
        if kind in ("num", "sym", "str"):
            put(str(t[1]))
            return
        subject = self.subject(t)
        if subject is not None:
            put(subject[1])
            return
        name: str = t[1]
        args: tuple[PTerm, ...] = t[2]
        positive: bool = t[3]
        put(("" if positive else "-") + name)
        if not args:
            return
        put("(")
        for i, a in enumerate(args):
            if left[0] < 0:
                return
            if i:
                put(",")
            self._write(a, parts, left)
        if name == "" and len(args) == 1:
            put(",")
        put(")")

    def subject(self, t: PTerm) -> tuple[str, str, Path, dict[str, str]] | None:
        """(kind, display name, path, diagnostic fields) of machine/instance/role/tag/module."""
        if t[0] != "fun" or not t[3] or not all(a[0] == "num" for a in t[2]):
            return None
        kind: str = t[1]
        ids: list[int] = [int(a[1]) for a in t[2]]
        names = self.side.names.names
        side = self.side

        def known(i: int, count: int) -> bool:
            return 0 < i <= count

        if kind in ("machine", "tag") and len(ids) == 1 and known(ids[0], len(names) - 1):
            n = names[ids[0]]
            if kind == "machine":
                return ("machine", n, ("machines", n), {"machine": n})
            return ("tag", n, self.tag_path(n), {"tag": n})
        if kind == "instance" and len(ids) == 1 and known(ids[0], len(side.instances)):
            info = side.instance(ids[0])
            mod = side.module(info.module).ref.name
            return ("instance", info.name, info.path, {"instance": info.name, "module": mod})
        if (
            kind == "role"
            and len(ids) == 2
            and known(ids[0], len(side.instances))
            and known(ids[1], len(names) - 1)
        ):
            info = side.instance(ids[0])
            role = names[ids[1]]
            mod = side.module(info.module).ref.name
            fields = {"instance": info.name, "role": role, "module": mod}
            return ("role", role, self.b.existing_role_path(info, role), fields)
        if kind == "module" and len(ids) == 1 and known(ids[0], len(side.modules)):
            name = side.module(ids[0]).ref.name
            first: Path = next((x.path for x in side.instances if x.module == ids[0]), ())
            return ("module", name, first, {"module": name})
        return None

    def tag_path(self, tag: str) -> Path:
        inv = self.b.inv
        if tag in inv.tags:
            return ("tags", tag)
        for mname in sorted(inv.machines):
            tags = inv.machines[mname].tags
            if tag in tags:
                return ("machines", mname, "tags", tags.index(tag))
        for info in self.side.instances:
            roles = self.b.roles_of(info) or {}
            for rname in sorted(roles):
                role = roles[rname]
                names = role.tag_names() if hasattr(role, "tag_names") else role.tags
                if tag in names:
                    return self.b.tag_path(info, rname, tag)
        return ()


_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{(\d+)\}")


def format_message(template: str, values: Sequence[str], limit: int = MAX_MESSAGE) -> str:
    """`{0}`, `{1}`, ... replaced by `values`; `{{`/`}}` are literal braces; nothing else.

    The result is at most `limit` characters (then "…"); the work stops there too, so a
    template of many placeholders over a long value costs no more than a short message.
    """
    out: list[str] = []
    size = 0
    pos = 0
    for m in _PLACEHOLDER.finditer(template):
        token = m.group(0)
        if token == "{{":
            value = "{"
        elif token == "}}":
            value = "}"
        else:
            n = int(m.group(1)) if len(m.group(1)) < 8 else len(values)
            value = values[n] if n < len(values) else token
        for piece in (template[pos : m.start()], value):
            out.append(piece[: max(limit - size + 1, 0)])
            size += len(piece)
        pos = m.end()
        if size > limit:
            break
    else:
        out.append(template[pos : pos + max(limit - size + 1, 0)])
    return _clip("".join(out), limit)


def _bad(message: str) -> InputError:
    return InputError.single(CODE, message, hint="see docs/vocabulary.md, violation/4")


def _pterm(sym: Any, memo: dict[Any, PTerm], depth: int = 0) -> PTerm:
    """A clingo symbol as a policy term (each distinct symbol converted once; nesting
    deeper than :data:`MAX_TERM_DEPTH` is shown as "…")."""
    got = memo.get(sym)
    if got is not None:
        return got
    kind = sym.type.name
    out: PTerm
    if kind == "Number":
        out = ("num", int(sym.number))
    elif kind == "String":
        out = ("str", str(sym.string))
    elif kind == "Function":
        if depth >= MAX_TERM_DEPTH:
            return ("sym", "…")
        args = tuple(_pterm(a, memo, depth + 1) for a in sym.arguments)
        out = ("fun", str(sym.name), args, bool(sym.positive))
    else:
        out = ("sym", str(sym))
    memo[sym] = out
    return out


def diagnostics(atoms: dict[str, list[tuple[Any, ...]]], builder: Builder) -> list[Diagnostic]:
    """The `violation/4` atoms of a policy run as located diagnostics."""
    return _findings(atoms.get(ATOMS_KEY, []), builder)[0]


def _findings(rows: Sequence[tuple[Any, ...]], builder: Builder) -> tuple[list[Diagnostic], int]:
    """Diagnostics of the first `rows` that fit in :data:`MAX_OUTPUT` characters, and how
    many rows they are."""
    namer = _Namer(builder)
    out: list[Diagnostic] = []
    budget = MAX_OUTPUT
    for code_t, sev_t, msg_t, args_t in rows:
        if budget <= 0:
            break
        shown = f"violation({namer.text(code_t, 80)},{namer.text(sev_t, 80)},...)"
        if code_t[0] == "str" or (code_t[0] == "fun" and not code_t[2] and code_t[3]):
            code = str(code_t[1])
        else:
            raise _bad(f"{shown}: the code must be a string")
        _check_code(code, _bad)
        if sev_t[0] != "fun" or sev_t[2] or sev_t[1] not in SEVERITIES:
            raise _bad(f"{shown}: the severity must be one of error, warning, info")
        severity: Severity = sev_t[1]
        if msg_t[0] != "str":
            raise _bad(f"{shown}: the message must be a string")
        if args_t[0] == "fun" and args_t[1] == "":
            items: tuple[PTerm, ...] = args_t[2]
        else:
            items = (args_t,)
        values = []
        for item in items:
            values.append(namer.text(item))
            budget -= len(values[-1])
            if budget <= 0:
                break
        path: Path = ()
        located = False
        fields: dict[str, str] = {}
        for item in items:
            subject = namer.subject(item)
            if subject is None:
                continue
            if not located:
                path, located = subject[2], True
            for key, value in subject[3].items():
                fields.setdefault(key, value)
        message = format_message(str(msg_t[1]), values)
        budget -= len(message)
        out.append(
            builder.diag(
                code,
                message,
                path,
                severity=severity,
                args={"values": values},
                machine=fields.get("machine"),
                instance=fields.get("instance"),
                role=fields.get("role"),
                tag=fields.get("tag"),
                module=fields.get("module"),
            )
        )
    return out, len(out)


__all__ = [
    "builtin_signatures",
    "check_timeout",
    "diagnostics",
    "format_message",
    "name_facts",
    "quote",
    "read",
    "solve",
]
