"""Modules: find the clan in a flake and collect its definitions through the module graph.

The flake is evaluated, not searched: ``outputs`` is called with the flake's inputs, and
the values it produces say where the clan is:

* a ``clan-core.lib.clan { … }`` / ``lib.buildClan`` / ``buildClan`` call, wherever the
  evaluation of ``flake.nix`` leads (``import ./x.nix self``, ``lib.modules.importApply``,
  ``{ … } // import ./clan.nix { … }``); the call's result stands for the clan
  (:class:`ClanCall`);
* ``flake-parts.lib.mkFlake { … } MODULE`` (:class:`FlakeParts`): the flake-parts module
  graph is followed through ``imports`` (files, ``dir/default.nix``, inline attribute
  sets, functions, ``with inputs; [ … ]`` lists, ``import-tree ./folder``), and every
  top-level ``clan`` / ``flake.clan`` definition of every module is a module of the clan.
  Module functions get ``config`` = the (lazily merged) top-level definitions of all
  modules read, so ``config.flake.hosts`` defined in one module reads in another;
  ``perSystem`` and the flake's other outputs are never taken for the clan.

Every file is read through one :class:`~solver.files.Files` (inside the repository
only); an import that leaves the repository is not read and is reported
(``file-not-read``), as is a flake-parts module file that does not parse (the clan's own
files must parse: their syntax error stays ``nix-syntax``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from solver.errors import InputError
from solver.files import Files, Refused
from solver.location import Location, Path
from solver.read import Skipped, display_name
from solver.read.nix.eval import (
    Attrs,
    Field,
    If,
    Lambda,
    ListV,
    Merge,
    Opaque,
    Override,
    Reader,
    Scalar,
    Scope,
    Thunk,
    Unbound,
    Val,
    get_attr,
    ready,
)
from solver.read.nix.merge import _MODULE_KEYS, Def, Merger
from solver.read.nix.parse import Node, Src

if TYPE_CHECKING:
    from solver.catalogue.model import MachineClass, ModuleSpec


# -- values the flake produces ------------------------------------------------------------


class ClanCall(Opaque):
    """The result of ``clan-core.lib.clan ARG``: the clan whose module is `arg`."""

    __slots__ = ("arg", "key")

    def __init__(self, src: Src, node: Node, arg: Thunk) -> None:
        super().__init__(src, node, f"the result of a clan call (`{_snippet(src, node)}')")
        self.arg = arg
        self.key = (src.path, node.start_byte)


class ClanResult(Opaque):
    """An attribute of a clan call's result (``clan.config``, ``clan.config.nixosConfigurations``):
    an output of the clan, not a definition of it."""

    __slots__ = ()


class ForeignCall(Opaque):
    """The result of calling a function of a flake input that is not read (another flake
    framework's ``mkFlake { … }``, say): unknown, but its argument is looked into for
    the clan (``flake = { clan = import ./clan.nix self; }``)."""

    __slots__ = ("arg",)

    def __init__(self, src: Src, node: Node, arg: Thunk) -> None:
        super().__init__(src, node, f"a call of a flake input's function (`{_snippet(src, node)}')")
        self.arg = arg


class FlakeParts(Opaque):
    """The result of ``flake-parts.lib.mkFlake ARGS MODULE``."""

    __slots__ = ("args", "key", "module")

    def __init__(self, src: Src, node: Node, args: Thunk, module: Thunk) -> None:
        super().__init__(src, node, "the outputs of flake-parts")
        self.args = args
        self.module = module
        self.key = (src.path, node.start_byte)


def _snippet(src: Src, node: Node) -> str:
    text = " ".join(src.text(node).split())
    return text if len(text) <= 40 else text[:37] + "..."


def _callee(src: Src, node: Node) -> tuple[Node, list[Node]]:
    """The function and the arguments of a (curried) application."""
    args: list[Node] = []
    n = node
    while n.type == "apply_expression":
        args.append(n.child_by_field_name("argument"))
        n = n.child_by_field_name("function")
        while n.type == "parenthesized_expression":
            n = n.child_by_field_name("expression")
    args.reverse()
    return n, args


def _callee_path(src: Src, fnode: Node) -> list[str]:
    """``a.b.c`` as ``["a", "b", "c"]`` (only plain identifiers; [] otherwise)."""
    if fnode.type == "variable_expression":
        return [src.text(fnode)]
    if fnode.type != "select_expression":
        return []
    base = fnode.child_by_field_name("expression")
    if base.type != "variable_expression":
        return []
    parts = [src.text(base)]
    for a in fnode.child_by_field_name("attrpath").children_by_field_name("attr"):
        if a.type != "identifier":
            return []
        parts.append(src.text(a))
    return parts


def _is_clan_callee(parts: list[str]) -> bool:
    if not parts:
        return False
    if len(parts) == 1:
        return parts[0] in ("buildClan", "mkClan")
    return parts[-1] == "buildClan" or (parts[-1] == "clan" and parts[-2] == "lib")


# -- the reader -----------------------------------------------------------------------------


class ModuleReader(Reader):
    """The evaluator of ``eval`` with confined file access and the flake's entry points
    (clan calls, ``mkFlake``, ``import-tree``, ``importApply``) recognised."""

    def __init__(self, files: Files, display: Callable[[str], str] = display_name) -> None:
        super().__init__(display, root=files.root)
        self.fs = files
        # names of flake inputs that are clan-core (`inputs.clan.url = "…/clan-core"`):
        # `module.input = "<name>"` then means clan-core's own modules
        self.clan_core_inputs: set[str] = set()
        self.skipped: list[Skipped] = []
        self.clan_calls: dict[tuple[str, int], ClanCall] = {}
        self.flakes: dict[tuple[str, int], FlakeParts] = {}
        self._kinds: dict[str, str] = {}

    def attr_of(self, base: Val, name: str, src: Src | None, node: Node | None) -> Val | None:
        if isinstance(base, (ClanCall, ClanResult)):
            return ClanResult(src, node, f"`{name}' of the clan's result (an output, not the clan)")
        return super().attr_of(base, name, src, node)

    # -- files ------------------------------------------------------------------------
    def read_dir(self, path: str) -> dict[str, str] | None:
        """``builtins.readDir`` through the confined, recorded file access."""
        try:
            names = self.fs.listdir(path)
            real = self.fs.resolve(path)
        except (OSError, Refused):
            return None
        out: dict[str, str] = {}
        for name in names:
            full = os.path.join(real, name)
            if os.path.islink(full):
                out[name] = "symlink"
            else:
                k = self.fs.kind(full)
                out[name] = {"file": "regular", "dir": "directory"}.get(k, "unknown")
        return out

    def path_exists(self, path: str) -> bool | None:
        """``builtins.pathExists`` through the confined, recorded file access."""
        k = self.fs.kind(path)
        return None if k == "outside" else k != "none"

    def read_file(self, path: str) -> str | None:
        """``builtins.readFile`` through the confined, recorded file access."""
        try:
            return self.fs.read_bytes(path).decode("utf-8")
        except (OSError, Refused, UnicodeDecodeError):
            return None

    def parse(self, path: str) -> Src:
        from solver.read.json_reader import read_text
        from solver.read.nix.parse import parse_file

        path = os.path.abspath(path)
        src = self.files.get(path)
        if src is None:
            display = self.display(path)
            text = read_text(path, self.fs)
            src = Src(path, display, text.encode("utf-8"))
            if src.tree.root_node.has_error or src.root is None:
                # the located `nix-syntax' error (the path is known to be inside)
                src = parse_file(path, display)
            self.files[path] = src
        return src

    def skip(self, shown: str, reason: str, loc: Location | None) -> None:
        self.skipped.append(Skipped(shown, reason, loc))

    def kind(self, path: str) -> str:
        """:meth:`Files.kind`, asked once per path (``outside`` when it leaves the root)."""
        k = self._kinds.get(path)
        if k is None:
            k = self._kinds[path] = self.fs.kind(path)
        return k

    def import_target(self, src: Src | None, written: str, loc: Location | None) -> str | None:
        """The file that ``import <written>`` (written in `src`) reads, or None when it
        must not be read (outside the repository; reported) or does not exist."""
        base = src.dir if src is not None else self.fs.root
        target = os.path.normpath(os.path.join(base, written))
        kind = self.kind(target)
        if kind == "dir":
            target = os.path.join(target, "default.nix")
            kind = self.kind(target)
        if kind == "outside":
            lexical = os.path.abspath(target)
            linked = lexical == self.fs.root or lexical.startswith(self.fs.root + os.sep)
            self.skip(
                written,
                "outside the repository" + (" (a symbolic link to a file there)" if linked else ""),
                loc,
            )
            return None
        if kind == "unreadable":
            self.skip(written, "it cannot be read (no permission to look at it)", loc)
        elif kind == "other":
            self.skip(written, "not a regular file (a device, FIFO or socket)", loc)
        return target if kind == "file" else None

    def import_path(self, val: Scalar, tolerant: bool = False) -> Val | None:
        """The value of the file a path value names; None when it was not read (reported)
        or, with `tolerant`, when it does not parse (reported and skipped)."""
        loc = val.location()
        target = self.import_target(val.src, str(val.value), loc)
        if target is None:
            return None
        return self.import_resolved(target, loc, tolerant)

    def import_resolved(self, target: str, loc: Location | None, tolerant: bool) -> Val | None:
        """:meth:`import_file` of a file :meth:`import_target` accepted (every read goes
        through :class:`Files`, which refuses what leaves the repository)."""
        if not tolerant:
            return self.import_file(target)
        try:
            return self.import_file(target)
        except InputError as exc:
            d = exc.diagnostics[0] if exc.diagnostics else None
            if d is None or d.code != "nix-syntax":
                raise
            self.skip(
                self.display(target),
                f"it does not parse ({d.message})",
                d.location or loc,
            )
            return None

    # -- evaluation hooks ----------------------------------------------------------------
    def eval(self, src: Src, node: Node, scope: Scope) -> Val:
        val = super().eval(src, node, scope)
        if (
            type(val) is Opaque
            and node.type == "with_expression"
            and val.node is not None
            and val.node.id == node.id
        ):
            # `with inputs; [ … ]`: names bound lexically win over the `with` set; the rest
            # stays unknown (an opaque variable)
            return self.eval(src, node.child_by_field_name("body"), scope)
        return val

    def apply(self, src: Src, node: Node, scope: Scope) -> Val:
        fnode, args = _callee(src, node)
        parts = _callee_path(src, fnode)
        # a name bound to a function of the files read is that function (a flake input of
        # the same name is not: it stays opaque)
        shadowed = len(parts) == 1 and not isinstance(
            scope.lookup(parts[0]) or Opaque(None, None, ""), Opaque
        )
        if parts and not shadowed:
            name = parts[-1]
            if len(args) == 1 and _is_clan_callee(parts):
                key = (src.path, node.start_byte)
                call = self.clan_calls.get(key)
                if call is None:
                    call = ClanCall(src, node, self.thunk(src, args[0], scope))
                    self.clan_calls[key] = call
                return call
            if name == "mkFlake" and len(args) == 2:
                key = (src.path, node.start_byte)
                flake = self.flakes.get(key)
                if flake is None:
                    flake = FlakeParts(
                        src, node, self.thunk(src, args[0], scope), self.thunk(src, args[1], scope)
                    )
                    self.flakes[key] = flake
                return flake
            if name == "import-tree" and len(args) == 1:
                return self.import_tree(src, node, self.eval(src, args[0], scope))
            if name == "importApply" and len(args) == 2:
                target = self.eval(src, args[0], scope)
                if isinstance(target, Scalar) and target.is_path:
                    val = self.import_path(target)
                    if isinstance(val, Lambda):
                        return self.call(val, self.thunk(src, args[1], scope))
                    if val is not None:
                        return val
                return Opaque(
                    src, node, f"an import that cannot be followed (`{_snippet(src, node)}')"
                )
            if parts == ["import"] and len(args) == 1:
                target = self.eval(src, args[0], scope)
                if isinstance(target, Scalar) and target.is_path and isinstance(target.value, str):
                    val = self.import_path(target)
                    if val is not None:
                        return val
                    return Opaque(
                        src, node, f"an import that was not read (`{_snippet(src, node)}')"
                    )
        val = super().apply(src, node, scope)
        if (
            len(args) == 1
            and parts
            and not shadowed
            and isinstance(val, Opaque)
            and type(val) is Opaque
            and isinstance(self.eval(src, fnode, scope), Unbound)
        ):
            return ForeignCall(src, node, self.thunk(src, args[0], scope))
        return val

    def import_tree(self, src: Src, node: Node, arg: Val) -> Val:
        """``import-tree ./folder`` (or a list of folders): a module importing every
        ``.nix`` file below, sorted, skipping paths with a component starting with ``_``."""
        roots: list[Val] = [t.force() for t in arg.items] if isinstance(arg, ListV) else [arg]
        items: list[Thunk] = []
        for r in roots:
            if not (isinstance(r, Scalar) and r.is_path and r.src is not None):
                return Opaque(src, node, f"an import-tree of {getattr(r, 'what', 'a value')}")
            folder = os.path.normpath(os.path.join(r.src.dir, str(r.value)))
            if not self.fs.inside(folder):
                self.skip(str(r.value), "outside the repository", r.location())
                continue
            for path in self._tree_files(folder):
                items.append(ready(Scalar(src, node, path, is_path=True)))
        module = Attrs(src, node)
        module.add("imports", Field(src, node, ready(ListV(src, node, items))))
        return module

    def _tree_files(self, folder: str) -> list[str]:
        if self.kind(folder) == "file":
            return [folder] if folder.endswith(".nix") else []
        out: list[str] = []
        stack = [folder]
        visited: set[str] = set()
        while stack:
            d = stack.pop()
            real = os.path.realpath(d)
            if real in visited:  # a symlink back up the tree
                continue
            visited.add(real)
            try:
                names = self.fs.listdir(d)
            except (OSError, Refused):  # an unreadable folder
                continue
            for n in names:
                if n.startswith("_"):
                    continue
                p = os.path.join(d, n)
                k = self.kind(p)
                if k == "outside":
                    self.skip(self.display(p), "outside the repository", None)
                    continue
                if k == "dir":
                    stack.append(p)
                elif k == "file" and n.endswith(".nix"):
                    out.append(p)
        return sorted(out)


# -- finding the clan ---------------------------------------------------------------------


_QUERY: Any = None
_QUERY_TEXT = "(apply_expression function: [(select_expression) (variable_expression)] @fn) @call"


def scan_clan_calls(reader: Reader, src: Src) -> list[Val]:
    """The arguments of the ``lib.clan`` calls written in `src` (a fallback for clans the
    evaluation did not reach), evaluated with unknown function arguments."""
    import tree_sitter as ts
    import tree_sitter_nix as tsn

    global _QUERY
    if _QUERY is None:
        _QUERY = ts.Query(ts.Language(tsn.language()), _QUERY_TEXT)
    calls = [
        m["call"][0]
        for _, m in ts.QueryCursor(_QUERY).matches(src.tree.root_node)
        if _is_clan_callee(_callee_path(src, m["fn"][0]))
    ]
    out: list[Val] = []
    for call in sorted(calls, key=lambda n: n.start_byte):
        scope = reader.scope_at(src, call)
        out.append(reader.eval(src, call.child_by_field_name("argument"), scope))
    return out


class Flake:
    """The clan modules a flake (or a ``.nix`` file) defines, found by evaluating it."""

    def __init__(self, reader: ModuleReader) -> None:
        self.reader = reader
        self.clan_modules: list[Val] = []
        self.config = Attrs(None, None)  # flake-parts `config`: every module's definitions
        self.fp_modules: list[Attrs] = []
        self.inputs = Attrs(None, None)
        self._outputs: Thunk | None = None
        self.root_dir: str | None = None  # the flake's folder (``self.outPath``)
        self._seen: set[Any] = set()
        # (message, location) of flake-parts modules that could not be read
        self.notes: list[tuple[str, Location | None]] = []
        self.args = Attrs(None, None)
        self.args.add("config", Field(None, None, ready(self.config)))
        self.args.add("inputs", Field(None, None, ready(self.inputs)))
        self.args.add("self", Field(None, None, Thunk(self._self)))
        # flake-parts passes nixpkgs' lib to every module as `lib`
        self.args.add("lib", Field(None, None, Thunk(_lib)))
        self.inputs.add("self", Field(None, None, Thunk(self._self)))

    def _self(self) -> Val:
        """The flake's ``self``: its outputs (``config.flake`` under flake-parts), plus
        ``inputs`` and ``outPath`` as Nix adds them. While the outputs are still being
        computed (``self.inputs`` read inside ``outputs``), only those two are known."""
        outputs: Val
        if self.reader.flakes:
            flake = get_attr(self.config, "flake")
            outputs = flake if flake is not None else Opaque(None, None, "the flake's outputs")
        elif self._outputs is not None:
            outputs = self._outputs.force()
        else:
            outputs = Opaque(None, None, "the flake's outputs")
        out = Attrs(outputs.src, outputs.node)
        if isinstance(outputs, Attrs):
            out.fields = dict(outputs.fields)
            out.dynamic = outputs.dynamic
        out.fields.setdefault("inputs", [Field(None, None, ready(self.inputs))])
        if self.root_dir is not None:
            out.fields.setdefault(
                "outPath", [Field(None, None, ready(Scalar(None, None, self.root_dir, True)))]
            )
        return out

    # -- entry points ---------------------------------------------------------------------
    def read_flake(self, src: Src) -> None:
        """Evaluate ``flake.nix``: call ``outputs`` with the inputs, look at what it gives."""
        self.root_dir = src.dir
        root = self.reader.eval(src, src.root, Scope(None, None))
        if not isinstance(root, Attrs):
            return
        declared = get_attr(root, "inputs")
        if isinstance(declared, Attrs):
            for name, fields in declared.fields.items():
                if name != "self" and _names_clan_core(get_attr(declared, name)):
                    self.reader.clan_core_inputs.add(name)
                if name != "self":
                    f = fields[0]
                    self.inputs.add(
                        name, Field(f.key_src, f.key, ready(_Input(f.key_src, f.key, name)))
                    )
        outputs = get_attr(root, "outputs")
        if outputs is None:
            return
        if isinstance(outputs, Lambda):
            fn = outputs
            # Nix takes an argument of `outputs` that no input declares for an input of
            # that name (from the flake registry): `{ self, nixpkgs, ... }:`
            formals = fn.node.child_by_field_name("formals") if fn.node is not None else None
            if formals is not None and fn.src is not None:
                for formal in formals.children_by_field_name("formal"):
                    ident = formal.child_by_field_name("name")
                    name = fn.src.text(ident)
                    if name != "self" and name not in self.inputs.fields:
                        self.inputs.add(
                            name, Field(fn.src, ident, ready(_Input(fn.src, ident, name)))
                        )
            self._outputs = Thunk(lambda: self.reader.call(fn, ready(self.inputs)))
        else:
            self._outputs = ready(outputs)
        self.take(self._outputs.force())

    def read_file(self, src: Src) -> bool:
        """A ``.nix`` file other than a flake: a clan call, a flake-parts module
        (``{ clan = …; }`` / ``{ flake.clan = …; }``) or a clan module. False when it is
        none of them (then the caller decides)."""
        val = self.reader.eval(src, src.root, Scope(None, None))
        if isinstance(val, Lambda):
            val = self.reader.call(val, ready(self.args))
        if isinstance(val, (ClanCall, FlakeParts)):
            self.take(val)
            return True
        if isinstance(val, Attrs) and ("clan" in val.fields or "flake" in val.fields):
            self.walk_flake_parts([ready(val)])
            return bool(self.clan_modules)
        return False

    def take(self, val: Val) -> None:
        """What the flake's outputs are: a clan, flake-parts, or an attribute set whose
        values (one level down) are evaluated to find the clan calls they use."""
        broken: list[InputError] = []

        def force(th: Thunk) -> Val | None:
            # an output that does not parse is not the clan's concern unless the clan
            # needs it (then reading the clan raises the same error again)
            try:
                return th.force()
            except InputError as exc:
                if not exc.diagnostics or exc.diagnostics[0].code != "nix-syntax":
                    raise
                broken.append(exc)
                return None

        if isinstance(val, ForeignCall):
            val = val.arg.force()
        if isinstance(val, Attrs):
            for fields in list(val.fields.values()):
                for f in fields:
                    v = force(f.value)
                    if isinstance(v, Attrs) and not self.reader.clan_calls:
                        for gs in list(v.fields.values()):
                            for g in gs:
                                force(g.value)
        if self.reader.flakes:
            for fp in list(self.reader.flakes.values()):
                self._special_args(fp.args.force())
                self.walk_flake_parts([fp.module])
        for call in list(self.reader.clan_calls.values()):
            self.add_clan(call)
        if broken and not self.clan_modules:
            raise broken[0]
        for exc in broken:
            d = exc.diagnostics[0]
            shown = d.location.file if d.location is not None else "a file"
            self.reader.skip(shown, f"it does not parse ({d.message})", d.location)

    def add_clan(self, val: Val) -> None:
        if isinstance(val, ClanResult):
            return  # `flake.clan = clan.config': the clan call itself is read
        if isinstance(val, ClanCall):
            if val.key in self._seen:
                return
            self._seen.add(val.key)
            self.clan_modules.append(val.arg.force())
            return
        self.clan_modules.append(val)

    # -- flake-parts ------------------------------------------------------------------------
    def walk_flake_parts(self, roots: list[Thunk]) -> None:
        """Collect the flake-parts modules reachable from `roots`, fill ``config``, then
        take every top-level ``clan`` / ``flake.clan`` definition."""
        start = len(self.fp_modules)
        for th in roots:
            self._module(th.force(), 0)
        new = self.fp_modules[start:]
        for m in new:
            for name, fields in m.fields.items():
                if name not in _MODULE_KEYS:
                    self.config.fields.setdefault(name, []).extend(fields)
        self._module_args()
        for m in new:
            for f in m.fields.get("clan", []):
                self.add_clan(f.value.force())
            for f in m.fields.get("flake", []):
                v = f.value.force()
                if isinstance(v, Attrs):
                    for g in v.fields.get("clan", []):
                        self.add_clan(g.value.force())

    def _special_args(self, args: Val) -> None:
        """``mkFlake { specialArgs.helpers = …; } { … }``: arguments of every module."""
        special = get_attr(args, "specialArgs") if isinstance(args, Attrs) else None
        if isinstance(special, Attrs):
            for name, fields in special.fields.items():
                if name not in self.args.fields:
                    self.args.fields[name] = list(fields)

    def _module_args(self) -> None:
        """``_module.args.<name> = …`` of any module is an argument of every module (the
        argument set is read lazily, so modules already called see it too)."""
        margs = get_attr(self.config, "_module") if "_module" in self.config.fields else None
        found = get_attr(margs, "args") if isinstance(margs, Attrs) else None
        if isinstance(found, Attrs):
            for name, fields in found.fields.items():
                if name not in self.args.fields:
                    self.args.fields[name] = list(fields)

    def _module(self, val: Val, depth: int) -> None:
        if depth > 64:
            return
        for _ in range(8):
            if isinstance(val, Lambda):
                key = (
                    "fn",
                    val.src.path if val.src else "",
                    val.node.start_byte if val.node else 0,
                )
                if key in self._seen:
                    return
                self._seen.add(key)
                val = self.reader.call(val, ready(self.args))
            elif isinstance(val, Scalar) and val.is_path:
                target = self.reader.import_target(val.src, str(val.value), val.location())
                if target is None or ("file", target) in self._seen:
                    return
                self._seen.add(("file", target))
                got = self.reader.import_resolved(target, val.location(), tolerant=True)
                if got is None:
                    return
                val = got
            else:
                break
        if not isinstance(val, Attrs):
            self._unread_module(val)
            return
        if ("attrs", id(val)) in self._seen:
            return
        self._seen.add(("attrs", id(val)))
        defs = val
        if "config" in val.fields or "options" in val.fields:
            inner = get_attr(val, "config")
            defs = inner if isinstance(inner, Attrs) else Attrs(None, None)
        self.fp_modules.append(defs)
        for f in val.fields.get("imports", []):
            lst = f.value.force()
            if isinstance(lst, ListV):
                for th in lst.items:
                    self._module(th.force(), depth + 1)
            else:
                self._unread_module(lst)

    def _unread_module(self, val: Val) -> None:
        """A flake-parts module that is not read: said, unless it evidently comes from a
        flake input (``inputs.clan-core.flakeModules.default``: not the clan's own)."""
        if val.src is not None and val.node is not None:
            first = val.src.text(val.node).split(".", 1)[0].strip("( ")
            if first == "inputs" or first in self.inputs.fields:
                return
        what = val.what if isinstance(val, Opaque) else "not a module"
        self.notes.append(
            (
                f"a flake-parts module could not be read statically ({what}); what it "
                "defines is not checked",
                val.location(),
            )
        )


def _names_clan_core(decl: Val | None) -> bool:
    """Whether an input declaration (``inputs.clan.url = "…/clan-core…"``) is clan-core."""
    url = get_attr(decl, "url") if isinstance(decl, Attrs) else None
    return isinstance(url, Scalar) and isinstance(url.value, str) and "clan-core" in url.value


def _lib() -> Val:
    from solver.read.nix.lib import lib_set

    return lib_set()


class _Input(Unbound):
    """A flake input: its contents are not read (``nixpkgs.lib`` is the evaluator's
    ``lib`` shim, as for any unknown argument named ``nixpkgs``)."""

    __slots__ = ()

    def __init__(self, src: Src | None, node: Node | None, name: str) -> None:
        super().__init__(src, node, f"the flake input `{name}'", name)


# -- the clan's own modules ---------------------------------------------------------------


class _Clan:
    def __init__(self, reader: ModuleReader, args: Attrs | None = None) -> None:
        self.reader = reader
        self.merger = Merger()
        self.inventory_defs: list[Def] = []
        self.meta_defs: list[Def] = []
        self.machine_defs: list[Def] = []
        self.module_fields: list[tuple[str, Field]] = []
        self.directories: list[tuple[str, Location | None]] = []
        # `config` of functional tags (`tags = { config, ... }: { … }`), filled by the
        # caller once the machines are known
        self.tags_config = Attrs(None, None)
        self.tag_fields: list[Field] = []
        # `config` of the clan's modules: every module's top-level definitions, read
        # lazily (filled as modules are added; values are forced only when merging)
        self.config = Attrs(None, None)
        self.args = Attrs(None, None)
        self.args.add("config", Field(None, None, ready(self.config)))
        # the clan's module system passes nixpkgs' lib to every module as `lib`
        self.args.add("lib", Field(None, None, Thunk(_lib)))
        if args is not None:
            for name in ("self", "inputs"):
                for f in args.fields.get(name, []):
                    self.args.add(name, f)
        self._next = 0
        self._seen: set[tuple[str, int]] = set()

    def mid(self) -> int:
        self._next += 1
        return self._next

    def module_value(
        self,
        val: Val,
        what: str,
        path: Path,
        on_fail: Callable[[str, Location | None], None] | None = None,
    ) -> Attrs | None:
        """A module (attribute set, function, path or import) as an attribute set."""
        fail = on_fail or (lambda why, loc: self.merger.opaque(path, why, loc))
        for _ in range(8):
            if isinstance(val, ClanCall):
                val = val.arg.force()
            elif isinstance(val, Lambda):
                val = self.reader.call(val, ready(self.args))
            elif isinstance(val, Scalar) and val.is_path and val.src is not None:
                loc = val.location()
                target = self.reader.import_target(val.src, str(val.value), loc)
                if target is None:
                    if not any(s.location == loc for s in self.reader.skipped):
                        fail(f"{what} {val.value} does not exist", loc)
                    return None
                val = self.reader.import_file(target)
            else:
                break
        if isinstance(val, Attrs):
            return val
        reason = val.what if isinstance(val, Opaque) else f"{what} that is not an attribute set"
        fail(reason, val.location())
        return None

    def add_clan_module(self, val: Val) -> None:
        key = (val.src.path if val.src else "", val.node.start_byte if val.node else id(val))
        if key in self._seen:
            return
        self._seen.add(key)
        attrs = self.module_value(val, "a clan module", ())
        if attrs is None:
            return
        for name, fields in attrs.fields.items():
            if name not in _MODULE_KEYS:
                self.config.fields.setdefault(name, []).extend(fields)
        mid = self.mid()
        for f in attrs.fields.get("inventory", []):
            self.add_inventory(f, f.value.force(), mid)
        meta_mid = self.mid()
        for f in attrs.fields.get("meta", []):
            holder = Attrs(None, None)
            holder.add("meta", f)
            self.meta_defs.append((None, holder, meta_mid))
        for f in attrs.fields.get("machines", []):
            self.add_machines(f)
        for f in attrs.fields.get("directory", []):
            d = f.value.force()
            if isinstance(d, Scalar) and d.is_path and d.src is not None:
                self.directories.append(
                    (os.path.normpath(os.path.join(d.src.dir, str(d.value))), d.location())
                )
            else:
                self.merger.opaque(
                    (),
                    f"the clan's `directory' ({getattr(d, 'what', 'not a path')}); "
                    "machines/ and inventory.json are looked up beside flake.nix",
                    d.location() or f.key_location(),
                )
        for f in attrs.fields.get("modules", []):
            mods = self.module_value(f.value.force(), "`modules'", ("modules",))
            if mods is None:
                continue
            for name, fields in mods.fields.items():
                self.module_fields.append((name, fields[0]))
        for f in attrs.fields.get("imports", []):
            lst = f.value.force()
            if not isinstance(lst, ListV):
                self.merger.opaque(
                    (),
                    f"the `imports' of a clan module ({getattr(lst, 'what', 'not a list')})",
                    lst.location() or f.key_location(),
                )
                continue
            for th in lst.items:
                self.add_clan_module(th.force())

    def add_inventory(self, origin: Field | None, val: Val, mid: int) -> None:
        if isinstance(val, (Override, If, Merge)):
            # `inventory = lib.mkMerge [ … ]` / `lib.mkIf c { … }` / `lib.mkDefault { … }`:
            # the merge discharges them (an override applies to each attribute)
            self.inventory_defs.append((origin, val, mid))
            return
        attrs = self.module_value(val, "the inventory", ())
        if attrs is None:
            return
        plain = Attrs(attrs.src, attrs.node)
        plain.dynamic = attrs.dynamic
        for name, fields in attrs.fields.items():
            if name == "tags":
                fields = [self._tags_field(f) for f in fields]
                self.tag_fields.extend(fields)
            if name not in _MODULE_KEYS:
                plain.fields[name] = fields
        self.inventory_defs.append((origin, plain, mid))
        for f in attrs.fields.get("imports", []):
            lst = f.value.force()
            if not isinstance(lst, ListV):
                self.merger.opaque((), "the `imports' of the inventory", lst.location())
                continue
            for th in lst.items:
                self.add_inventory(None, th.force(), self.mid())

    def _tags_field(self, f: Field) -> Field:
        """``tags = { config, ... }: { … }``: the function applied to the computed tags."""
        orig = f.value

        def value() -> Val:
            v = orig.force()
            if isinstance(v, Lambda):
                args = Attrs(None, None)
                args.add("config", Field(None, None, ready(self.tags_config)))
                return self.reader.call(v, ready(args))
            return v

        return Field(f.key_src, f.key, Thunk(value))

    def add_machines(self, f: Field) -> None:
        val = f.value.force()
        if not isinstance(val, Attrs):
            what = getattr(val, "what", "not an attribute set")
            self.merger.opaque(
                ("machines",), f"the clan's `machines' ({what})", val.location() or f.key_location()
            )
            return
        mid = self.mid()
        for name, fields in val.fields.items():
            holder = Attrs(None, None)
            inner = Attrs(None, None)
            inner.add(name, Field(fields[0].key_src, fields[0].key, ready(Attrs(None, None))))
            holder.add("machines", Field(f.key_src, f.key, ready(inner)))
            self.machine_defs.append((None, holder, mid))
        for dyn in val.dynamic:
            self.merger.opaque(
                ("machines",),
                f"a machine name of the clan: {dyn.what}",
                dyn.src.location(dyn.node),
                parent=True,
            )

    def _interfaces(
        self, name: str, path: str, loc: Location | None
    ) -> tuple[dict[str, tuple[Any, bool]], list[MachineClass] | None]:
        """The settings interface of each role of the clan's own service in file `path`,
        read with the code that reads clan-core's services
        (:func:`solver.catalogue.clancore.read_service`), confined to the repository.
        A role whose interface is not fully read is left out (its settings stay
        unchecked, as they were); an info note says so. Also the machine classes the
        service supports (None when the file was not read)."""
        from solver.catalogue.clancore import ClanCoreReader, ReadNote, read_service

        notes: list[ReadNote] = []
        try:
            r = ClanCoreReader(self.reader.fs, display=self.reader.display)
            spec = read_service(r, name, path, notes)
        except Exception as exc:  # not read: the settings stay unchecked, said once
            notes.append(ReadNote(name, f"not read ({type(exc).__name__})"))
            spec = None
        out: dict[str, tuple[Any, bool]] = {}
        unread = {n.what.split(".", 2)[1] for n in notes if n.what.startswith("roles.")}
        if spec is not None:
            for role, rs in spec.roles.items():
                if role not in unread and rs.interface is not None:
                    out[role] = (rs.interface, rs.freeform)
        if notes:
            what = "; ".join(sorted({n.what for n in notes}))
            self.merger.notes.append(
                self.merger._diag(
                    "info",
                    "local-module",
                    f"the settings interface of the local module `{name}' was not fully read "
                    f"statically ({what}); settings of the roles not read are not checked",
                    ("modules", name),
                    loc,
                    hint="describe it in a --modules file, or run with --eval",
                )
            )
        return out, (list(spec.classes) if spec is not None else None)

    def read_module(self, name: str, f: Field) -> ModuleSpec | None:
        from pydantic import ValidationError

        from solver.catalogue.model import ModuleSpec, RoleSpec

        val = f.value.force()
        source = val.src.display if isinstance(val, Scalar) and val.is_path and val.src else None
        target: str | None = None
        if isinstance(val, Scalar) and val.is_path and val.src is not None:
            target = self.reader.import_target(val.src, str(val.value), val.location())
            if target is not None:
                source = display_name(target)

        def fail(why: str, loc: Location | None) -> None:
            self.merger.notes.append(
                self.merger._diag(
                    "info",
                    "opaque-value",
                    f"the local module `{name}' could not be read statically ({why}); "
                    "its roles and constraints are not known",
                    ("modules", name),
                    loc or f.key_location(),
                    hint="describe it in a --modules file, or run with --eval",
                )
            )

        attrs = self.module_value(val, "the module", ("modules", name), fail)
        if attrs is None:
            return None
        if source is None:
            source = attrs.src.display if attrs.src else (f.key_src.display if f.key_src else None)

        def scalar(a: Val | None, key: str) -> Any:
            if not isinstance(a, Attrs):
                return None
            v = get_attr(a, key)
            return v.value if isinstance(v, Scalar) else None

        def sub(a: Val | None, key: str) -> Val | None:
            return get_attr(a, key) if isinstance(a, Attrs) else None

        def count(v: Any) -> int | None:
            return v if isinstance(v, int) and not isinstance(v, bool) else None

        manifest = sub(attrs, "manifest")
        constraints = sub(manifest, "constraints")
        croles = sub(constraints, "roles")
        roles_val = sub(attrs, "roles")
        roles: dict[str, RoleSpec] = {}
        ifaces, classes = (
            self._interfaces(name, target, f.key_location()) if target is not None else ({}, None)
        )
        mname = scalar(manifest, "name")
        desc = scalar(manifest, "description")
        try:
            if isinstance(roles_val, Attrs):
                for role in roles_val.fields:
                    rc = sub(croles, role)
                    rdesc = scalar(get_attr(roles_val, role), "description")
                    iface, free = ifaces.get(role, (None, True))
                    roles[role] = RoleSpec(
                        description=rdesc if isinstance(rdesc, str) else None,
                        min_machines=count(scalar(rc, "minMachines")),
                        max_machines=count(scalar(rc, "maxMachines")),
                        interface=iface,
                        freeform=free,
                    )
            return ModuleSpec(
                name=name,
                input="self",
                kind="service",
                manifest_name=mname if isinstance(mname, str) else None,
                description=desc if isinstance(desc, str) else None,
                roles=roles,
                max_instances=count(scalar(constraints, "maxInstances")),
                source=source,
                classes=classes or ["nixos"],
            )
        except ValidationError as exc:
            self.merger.notes.append(
                self.merger._diag(
                    "info",
                    "local-module",
                    f"the local module `{name}' is ignored: {exc.errors()[0]['msg']}",
                    ("modules", name),
                    f.key_location(),
                )
            )
            return None
