"""User policies: ``--rules FILE.lp`` (and ``rules = [...]`` in the project config).

A policy is ASP over the public vocabulary (docs/vocabulary.md) that derives
``violation(Code, Severity, Message, Args)`` atoms; each becomes a normal diagnostic.

- :func:`load` parses every file with ``clingo.ast`` and rejects what could change the
  built-in results or cannot be checked: a rule whose head predicate is defined or used by
  the built-in rules or facts (except ``violation/4``), integrity constraints, choice and
  disjunctive heads, ``#script``, ``#external``, ``#show``, optimisation, ``@``-functions,
  and body predicates that nothing defines (a typo would silently disable the policy).
  Every rejection is an :class:`~solver.errors.InputError` with code ``policy-error``
  located at ``file:line:col``.
- :func:`solve` grounds and solves in a child process and kills it after
  ``policy_timeout`` seconds (grounding cannot be interrupted in clingo 5).
- :func:`name_facts` writes ``name/2`` and the other string facts, quoting every user
  string with :func:`quote` (the only place user text enters program text).
- :func:`diagnostics` turns the ``violation/4`` atoms into located diagnostics.
"""

from __future__ import annotations

import multiprocessing
import os
import re
from collections.abc import Iterable, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

from solver.diagnostics import Diagnostic, Severity
from solver.errors import InputError, InternalError
from solver.location import Location, Path
from solver.solve import SolveResult, rules_text

if TYPE_CHECKING:
    from solver.facts import SideTable
    from solver.results import Builder

CODE = "policy-error"
SEVERITIES = ("error", "warning", "info")
OUTPUT = ("violation", 4)  # the one built-in name a policy may define
ATOMS_KEY = "violation/4"  # where solve() puts the policy findings in SolveResult.atoms
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
def _children(node: Any) -> Iterable[Any]:
    from clingo.ast import AST, ASTSequence

    for key in node.keys():
        value = getattr(node, key)
        if isinstance(value, AST):
            yield value
        elif isinstance(value, ASTSequence):
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

    if "location" in node.keys():
        where = node
    if node.ast_type == ASTType.SymbolicAtom:
        sig = _atom_signature(node)
        if sig is not None:
            out.append((sig, where))
        return
    for child in _children(node):
        _atoms(child, out, where)


def _externals(node: Any) -> list[Any]:
    """Every `@f(...)` term under `node`."""
    from clingo.ast import ASTType

    found = []
    if node.ast_type == ASTType.Function and node.external:
        found.append(node)
    for child in _children(node):
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


# -- loading ---------------------------------------------------------------------------------
def _shown(path: str) -> str:
    from solver.read import display_name

    return display_name(path)


def _error(
    message: str, file: str, line: int = 1, column: int = 1, hint: str | None = None
) -> InputError:
    return InputError.single(
        CODE, message, Location(file=_shown(file), line=line, column=column), hint=hint
    )


def _at(node: Any, message: str, hint: str | None = None) -> InputError:
    begin = node.location.begin
    return _error(message, begin.filename, begin.line, begin.column, hint)


def errors_from_messages(messages: Sequence[str], fallback: str) -> InputError:
    """clingo's logger messages (``file:L:C-C: error: ...``) as located diagnostics."""
    diags: list[Diagnostic] = []
    for raw in messages:
        m = _MSG_RE.match(raw.strip())
        if m is None or m.group("kind") not in ("error", "warning"):
            continue
        if m.group("kind") == "warning" and diags:
            continue
        text = " ".join(m.group("text").replace("[#inc_base];", "").split())
        file = m.group("file")
        loc = Location(
            file=_shown(file) if not file.startswith("<") else file,
            line=int(m.group("line")),
            column=int(m.group("col")),
            end_line=int(m.group("eline") or m.group("line")),
            end_column=int(m.group("ecol")) if m.group("ecol") else None,
        )
        diags.append(Diagnostic(code=CODE, severity="error", message=text, path="", location=loc))
    if not diags:
        detail = " ".join(" ".join(messages).split()) or "clingo reported no detail"
        return InputError.single(CODE, f"{fallback}: {detail}")
    return InputError(diags)


def _stray_character(text: str) -> tuple[int, int, str] | None:
    """(line, column, char) of the first non-ASCII character outside strings and comments.

    clingo's lexer rejects such a character one byte at a time and its message then holds
    half a UTF-8 sequence, which clingo's Python logger cannot decode: the process aborts
    ("PANIC: exception in nothrow scope"). So the policy is checked for them first (and
    :func:`_parse` parses an ASCII copy before the file itself).
    """
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            i += 1
            while i < n and text[i] != '"' and text[i] != "\n":
                i += 2 if text[i] == "\\" else 1
            i += 1
        elif text.startswith("%*", i):
            end = text.find("*%", i + 2)
            i = n if end < 0 else end + 2
        elif c == "%":
            end = text.find("\n", i)
            i = n if end < 0 else end + 1
        elif text.startswith("#script", i):
            end = text.find("#end", i)
            i = n if end < 0 else end + 4
        elif c > "\x7f":
            line = text.count("\n", 0, i) + 1
            return line, i - (text.rfind("\n", 0, i) + 1) + 1, c
        else:
            i += 1
    return None


def _parse(path: str, text: str) -> list[Any]:
    from clingo.ast import parse_files

    stray = _stray_character(text)
    if stray is not None:
        line, column, char = stray
        what = "byte order mark" if char == "\ufeff" else f"character {char!r} (U+{ord(char):04X})"
        raise _error(
            f"unexpected {what} outside a string or comment",
            path,
            line,
            column,
            hint='names in ASP are ASCII; put other text in a "string"',
        )

    messages: list[str] = []
    if not text.isascii():
        # Strings and comments may hold any text, but a lexer error inside one (a bad
        # escape, a string left open) is reported byte by byte too. An ASCII copy with the
        # same tokens is parsed first: its errors are the file's errors, in plain ASCII,
        # at the same line and column; once it parses, the file does as well.
        from clingo.ast import parse_string

        ascii_copy = text.encode("ascii", "replace").decode("ascii")
        try:
            parse_string(ascii_copy, lambda _s: None, logger=lambda _c, m: messages.append(m))
        except RuntimeError:
            named = [m.replace("<string>", path, 1) for m in messages]
            raise errors_from_messages(named, f"{_shown(path)}: cannot parse") from None
        messages.clear()
    stmts: list[Any] = []
    try:
        parse_files([path], stmts.append, logger=lambda _c, m: messages.append(m))
    except RuntimeError:
        raise errors_from_messages(messages, f"{_shown(path)}: cannot parse") from None
    return stmts


HINT_OUTPUT = "derive violation(Code, Severity, Message, Args) to report a finding"


def _check_statement(stmt: Any, heads: set[Signature]) -> None:
    """Reject what a policy must not do; add the head signature of a rule to `heads`."""
    from clingo.ast import ASTType, Sign

    t = stmt.ast_type
    if t == ASTType.Program:
        if stmt.name != "base" or len(stmt.parameters):
            raise _at(
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
            raise _at(stmt, f"`#const {stmt.name}` redefines a constant of the built-in rules")
        return
    if t == ASTType.Script:
        raise _at(stmt, "`#script` is not allowed in policies: a policy is plain ASP")
    if t != ASTType.Rule:
        word = str(stmt).split(" ", 1)[0].rstrip(".")
        raise _at(
            stmt,
            f"`{word}` statements are not allowed in policies (only rules, #const and #defined)",
            HINT_OUTPUT,
        )
    for ext in _externals(stmt):
        raise _at(ext, f"external function `@{ext.name}` is not available in policies")
    head = stmt.head
    if head.ast_type != ASTType.Literal or head.sign != Sign.NoSign:
        raise _at(
            stmt,
            "only normal rules are allowed in policies (no choice, disjunction or aggregate heads)",
            HINT_OUTPUT,
        )
    if head.atom.ast_type == ASTType.BooleanConstant:
        raise _at(
            stmt,
            "integrity constraints are not allowed in policies: they would remove the "
            "answer and every finding with it",
            HINT_OUTPUT,
        )
    if head.atom.ast_type != ASTType.SymbolicAtom:
        raise _at(stmt, f"`{head}` cannot be the head of a policy rule")
    sig = _atom_signature(head.atom)
    if sig is None:  # pragma: no cover - the parser does not produce these
        raise _at(stmt, f"`{head}` cannot be the head of a policy rule")
    name, arity = sig
    if sig in builtin_signatures():
        raise _at(
            head,
            f"the rule defines `{name}/{arity}`, a predicate of the built-in rules; a policy "
            "cannot change what they derive",
            "rename the predicate (e.g. with a prefix of your own) or report through violation/4",
        )
    if name == "violation" and arity != 4:
        raise _at(
            head,
            f"`violation/{arity}`: a policy finding is violation(Code, Severity, Message, Args)",
        )
    if sig == OUTPUT:
        _check_output_head(head.atom)
    heads.add(sig)


def _check_output_head(atom: Any) -> None:
    """Constant Code and Severity arguments of a violation/4 head are checked at load time."""
    from clingo.ast import ASTType

    term = atom.symbol
    if term.ast_type != ASTType.Function:
        return
    code, sev = term.arguments[0], term.arguments[1]
    if code.ast_type == ASTType.SymbolicTerm:
        c = _code_text(code.symbol)
        if c is None:
            raise _at(code, f"violation/4: the code `{code}` is not a string")
        _check_code(c, lambda msg: _at(code, msg))
    if sev.ast_type == ASTType.SymbolicTerm:
        s = str(sev.symbol)
        if s not in SEVERITIES:
            raise _at(sev, f"violation/4: severity `{s}` is not one of error, warning, info")


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
            f"violation/4: the code {code!r} must start with a letter or digit and use only "
            "letters, digits and _ . : / -"
        )
    if code in CODES:
        raise fail(f"violation/4: the code {code!r} is a built-in code; choose your own")


def _include_error(path: str, text: str, included: str) -> InputError:
    """`#include` would hide a file from the result cache key and from the listing."""
    line, column = 1, 1
    for n, row in enumerate(text.splitlines(), 1):
        col = row.find("#include")
        if col >= 0:
            line, column = n, col + 1
            break
    return _error(
        f"`#include` is not supported in policies (it includes {_shown(included)})",
        path,
        line,
        column,
        "list every policy file under --rules or `rules = [...]` in the project config",
    )


def load(paths: Sequence[str]) -> list[tuple[str, str]]:
    """Check the policy files; return (path, text) of each (the child re-reads `path`)."""
    out: list[tuple[str, str]] = []
    heads: set[Signature] = set()
    bodies: list[tuple[Signature, Any]] = []
    for path in paths:
        try:
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise _error(f"cannot read the policy file: {exc}", path) from None
        for stmt in _parse(path, text):
            if os.path.abspath(stmt.location.begin.filename) != os.path.abspath(path):
                raise _include_error(path, text, stmt.location.begin.filename)
            _check_statement(stmt, heads)
            found: list[tuple[Signature, Any]] = []
            _atoms(stmt, found)
            bodies += found
        out.append((path, text))
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
                node,
                f"`{name}/{arity}` is neither in the vocabulary nor defined by a policy rule",
                hint + " (declare it with #defined if that is intended)",
            )
    return out


# -- solving in a child process --------------------------------------------------------------
def _pterm(sym: Any) -> PTerm:
    kind = sym.type.name
    if kind == "Number":
        return ("num", int(sym.number))
    if kind == "String":
        return ("str", str(sym.string))
    if kind == "Function":
        return ("fun", str(sym.name), tuple(_pterm(a) for a in sym.arguments), bool(sym.positive))
    return ("sym", str(sym))


def _ground_and_solve(
    facts: str, files: Sequence[str], names: str, resolve: bool
) -> tuple[str, Any]:
    import clingo
    from clingo.ast import ProgramBuilder, parse_files

    from solver.solve import _term

    messages: list[str] = []

    def logger(_code: Any, msg: str) -> None:
        messages.append(msg)

    args = ["--warn=none", "-c", f"resolve={1 if resolve else 0}"]
    ctl = clingo.Control(args, logger=logger, message_limit=20)
    try:
        for _name, text in rules_text():
            ctl.add("base", [], text)
        with ProgramBuilder(ctl) as builder:
            for path in files:
                parse_files([path], builder.add, logger=logger)
        ctl.add("base", [], names)
        ctl.add("base", [], facts)
        ctl.ground([("base", [])])
    except RuntimeError:
        return ("error", messages)
    result = SolveResult()
    atoms = result.atoms

    def on_model(model: Any) -> None:
        for sym in model.symbols(shown=True):
            if sym.name == "violation" and len(sym.arguments) == 4:
                atoms.setdefault(ATOMS_KEY, []).append(tuple(_pterm(a) for a in sym.arguments))
            else:
                atoms.setdefault(sym.name, []).append(
                    tuple(_term(a, clingo) for a in sym.arguments)
                )

    if not ctl.solve(on_model=on_model).satisfiable:
        return ("unsat", None)
    for rows in atoms.values():
        rows.sort(key=repr)
    return ("ok", result)


def _child(conn: Any, facts: str, files: Sequence[str], names: str, resolve: bool) -> None:
    try:
        conn.send(_ground_and_solve(facts, files, names, resolve))
    except BaseException as exc:  # pragma: no cover - reported by the parent
        conn.send(("internal", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def _listing(files: Sequence[str]) -> str:
    return ", ".join(_shown(f) for f in files)


def _context() -> Any:
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def solve(
    facts: str,
    extra: Sequence[tuple[str, str]],
    side: SideTable,
    *,
    resolve: bool = False,
    timeout: float = 5.0,
) -> SolveResult:
    """Built-in rules + policies (`extra` from :func:`load`) on `facts`, within `timeout` s."""
    files = [path for path, _text in extra]
    names = name_facts(side)
    ctx = _context()
    receiver, sender = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(sender, facts, files, names, resolve), daemon=True)
    proc.start()
    sender.close()
    try:
        if not receiver.poll(timeout):
            raise _error(
                f"the policies ({_listing(files)}) did not finish within {timeout:g} s and "
                "were stopped",
                files[0],
                hint="a rule may derive without end (e.g. `p(X+1) :- p(X).`); otherwise raise "
                "the limit with --policy-timeout or policy-timeout in the project config",
            )
        try:
            kind, payload = receiver.recv()
        except EOFError:
            proc.join(1)
            raise InternalError(
                f"the policy run stopped unexpectedly (exit code {proc.exitcode})"
            ) from None
    finally:
        receiver.close()
        if proc.is_alive():
            proc.kill()
        proc.join()
    if kind == "ok":
        assert isinstance(payload, SolveResult)
        return payload
    if kind == "error":
        raise errors_from_messages(payload, "the policies cannot be grounded")
    if kind == "unsat":
        raise _error(
            f"the policies ({_listing(files)}) leave no answer set (a rule such as "
            "`p :- not p.` contradicts itself)",
            files[0],
            hint="policies must be stratified: do not negate what depends on itself",
        )
    raise InternalError(f"policy run failed: {payload}")


# -- findings --------------------------------------------------------------------------------
class _Namer:
    """Policy terms to display text and inventory locations."""

    def __init__(self, builder: Builder) -> None:
        self.b = builder
        self.side = builder.side

    def text(self, t: PTerm) -> str:
        kind = t[0]
        if kind == "num" or kind == "sym":
            return str(t[1])
        if kind == "str":
            return str(t[1])
        subject = self.subject(t)
        if subject is not None:
            return subject[1]
        name: str = t[1]
        args: tuple[PTerm, ...] = t[2]
        positive: bool = t[3]
        sign = "" if positive else "-"
        if not args:
            return sign + name
        inner = ",".join(self.text(a) for a in args)
        if name == "" and len(args) == 1:
            inner += ","
        return f"{sign}{name}({inner})"

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
            roles = self.b._roles(info) or {}
            for rname in sorted(roles):
                role = roles[rname]
                names = role.tag_names() if hasattr(role, "tag_names") else role.tags
                if tag in names:
                    return self.b.tag_path(info, rname, tag)
        return ()


_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{(\d+)\}")


def format_message(template: str, values: Sequence[str]) -> str:
    """`{0}`, `{1}`, ... replaced by `values`; `{{`/`}}` are literal braces; nothing else."""

    def sub(m: re.Match[str]) -> str:
        if m.group(0) == "{{":
            return "{"
        if m.group(0) == "}}":
            return "}"
        n = int(m.group(1))
        return values[n] if n < len(values) else m.group(0)

    return _PLACEHOLDER.sub(sub, template)


def _bad(message: str) -> InputError:
    return InputError.single(CODE, message, hint="see docs/vocabulary.md, violation/4")


def diagnostics(atoms: dict[str, list[tuple[Any, ...]]], builder: Builder) -> list[Diagnostic]:
    """The `violation/4` atoms of a policy run as located diagnostics."""
    namer = _Namer(builder)
    out: list[Diagnostic] = []
    for code_t, sev_t, msg_t, args_t in atoms.get(ATOMS_KEY, []):
        shown = f"violation({namer.text(code_t)},{namer.text(sev_t)},...)"
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
        values = [namer.text(a) for a in items]
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
        out.append(
            builder.diag(
                code,
                format_message(str(msg_t[1]), values),
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
    return out


__all__ = [
    "builtin_signatures",
    "diagnostics",
    "format_message",
    "load",
    "name_facts",
    "quote",
    "solve",
]
