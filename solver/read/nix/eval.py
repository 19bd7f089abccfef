"""A small lazy evaluator of Nix, on a tree-sitter parse.

It evaluates what can be known without Nix: attribute sets (attribute paths, repeated
definitions, ``rec``, ``inherit`` and ``inherit (x) a``), lists, strings (also indented
strings and interpolation), numbers, booleans, ``null``, paths, ``let … in``, ``with``,
``if``, ``assert``, ``x.a.b or d``, ``e ? a.b``, the operators (``++ // + - * / == != < <=
> >= && || -> !`` and the pipes ``|>`` / ``<|``), functions written in the files read
(``x: …``, ``{ a ? d, ... }@args: …``, curried), ``import ./file.nix``, and the builtins
and ``lib`` functions of :mod:`solver.read.nix.lib` (``lib.genAttrs``, ``mapAttrs``,
``mkDefault`` …; the module-system wrappers become :class:`Override`, :class:`If` and
:class:`Merge`). Anything else (an unknown variable or function, a failed ``throw``, a
file outside the clan's root) becomes an :class:`Opaque` value that remembers where it was
written; the caller decides what an opaque value means (see ``modules`` and ``merge``).

Evaluation is lazy (attribute values and list elements are :class:`Thunk` s), so a ``let``
binding that is not plain data costs nothing unless the inventory uses it. A value computed
from known values has the location of the expression that computed it. The work of one
:class:`Reader` is bounded (:attr:`Reader.max_steps` evaluation steps,
:attr:`Reader.max_depth` nested evaluations): beyond that values are opaque ("evaluation
stopped"), never a hang or a ``RecursionError``. Nothing here runs a process or uses the
network; files are read only through :meth:`Reader.read_dir`, :meth:`Reader.path_exists`
and :meth:`Reader.read_file`, confined to :attr:`Reader.root`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from solver.location import Location
from solver.read.nix.parse import Node, Src, parse_file

# -- values -----------------------------------------------------------------------------


class Val:
    """A value with the place it was written (``node`` may be None for a synthesised one)."""

    __slots__ = ("node", "src")

    def __init__(self, src: Src | None, node: Node | None) -> None:
        self.src = src
        self.node = node

    def location(self) -> Location | None:
        if self.src is None or self.node is None:
            return None
        whole = self.node.type not in (
            "attrset_expression",
            "rec_attrset_expression",
            "list_expression",
        )
        return self.src.location(self.node, whole)


class Scalar(Val):
    """A string, number, boolean, null, or a path (``is_path``; the path as written)."""

    __slots__ = ("is_path", "value")

    def __init__(self, src: Src | None, node: Node | None, value: Any, is_path: bool = False):
        super().__init__(src, node)
        self.value = value
        self.is_path = is_path


class Opaque(Val):
    """A value that cannot be read statically; `what` says what it is."""

    __slots__ = ("what",)

    def __init__(self, src: Src | None, node: Node | None, what: str) -> None:
        super().__init__(src, node)
        self.what = what


STOPPED_WORK = "evaluation stopped: too much work"
STOPPED_DEEP = "evaluation stopped: nested too deeply"
_STOPPED = "evaluation stopped"


class Unbound(Opaque):
    """An unknown function argument, or an attribute selected from one: `path` is the
    argument's name with the attributes selected (``inputs.nixpkgs``), so that
    ``nixpkgs.lib`` / ``inputs.nixpkgs.lib`` can resolve to the ``lib`` shim."""

    __slots__ = ("path",)

    def __init__(self, src: Src | None, node: Node | None, what: str, path: str) -> None:
        super().__init__(src, node, what)
        self.path = path


class StorePath(Opaque):
    """A string made by interpolating a path (``"${./x}/y"``, ``"${self}/inventory"``):
    Nix copies the path to the store, so the string's text is not known here, but the
    file it names is: `local` (absolute). Only ``import`` (and ``+`` of a string) use it;
    as data it stays opaque."""

    __slots__ = ("local",)

    def __init__(self, src: Src | None, node: Node | None, local: str) -> None:
        super().__init__(src, node, "a path copied to the Nix store (its text is not known)")
        self.local = local


class Override(Opaque):
    """``lib.mkOverride prio v`` (``mkDefault`` = 1000, ``mkForce`` = 50,
    ``mkOptionDefault`` = 1500, ``mkImageMediaOverride`` = 60, ``mkVMOverride`` = 10): the
    definition `content` with priority `prio` (lower wins). Located at the call.

    It is an :class:`Opaque` (``what`` names it) so that code that does not know the
    module-system wrappers treats it as unreadable instead of misreading it; a merge that
    knows it should, like the module system, keep only the definitions with the lowest
    priority among those of one option (plain definitions have priority 100) and merge
    their contents. :func:`get_attr`, ``//`` and the builtins see it as the value Nix sees
    (an attribute set ``{ _type = "override"; content; priority; }``) only through
    ``select``."""

    __slots__ = ("content", "prio")

    def __init__(self, src: Src | None, node: Node | None, prio: int, content: Thunk) -> None:
        super().__init__(src, node, f"a definition with priority {prio} (`mkOverride')")
        self.prio = prio
        self.content = content


class If(Opaque):
    """``lib.mkIf cond v`` with a known `cond`: a merge keeps `content` when `cond` is
    true and drops the definition entirely (as if not written) when it is false; like the
    module system it pushes the condition down into an attribute set's attributes.
    (``mkIf`` with an unknown condition is an ordinary :class:`Opaque`.)"""

    __slots__ = ("cond", "content")

    def __init__(self, src: Src | None, node: Node | None, cond: bool, content: Thunk) -> None:
        super().__init__(src, node, f"a conditional definition (`mkIf {str(cond).lower()}')")
        self.cond = cond
        self.content = content


class Merge(Opaque):
    """``lib.mkMerge [ a b … ]``: each item of `items` is one more definition of the same
    option, at this place (a merge treats them as if written separately)."""

    __slots__ = ("items",)

    def __init__(self, src: Src | None, node: Node | None, items: list[Thunk]) -> None:
        super().__init__(src, node, "a list of definitions (`mkMerge')")
        self.items = items


class ListV(Val):
    __slots__ = ("items",)

    def __init__(self, src: Src | None, node: Node | None, items: list[Thunk]) -> None:
        super().__init__(src, node)
        self.items = items


class Lambda(Val):
    """A function written in a file (``node`` is its ``function_expression``)."""

    __slots__ = ("scope",)

    def __init__(self, src: Src, node: Node, scope: Scope) -> None:
        super().__init__(src, node)
        self.scope = scope


Site = tuple[Any, Any]  # (Src | None, Node | None): where a computed value comes from


class Unknown(Exception):
    """Raised inside a builtin when an argument cannot be read; the call becomes opaque."""


class Builtin(Lambda):
    """A builtin or ``lib`` function (see :mod:`solver.read.nix.lib`), possibly partially
    applied: `impl(reader, args, site)` runs once `arity` arguments are given. It is a
    :class:`Lambda` so that whoever treats functions as functions treats it so too."""

    __slots__ = ("args", "arity", "impl", "name")

    def __init__(
        self,
        name: str,
        arity: int,
        impl: Callable[[Reader, list[Thunk], Site], Val],
        args: list[Thunk] | None = None,
        site: Site = (None, None),
    ) -> None:
        Val.__init__(self, site[0], site[1])
        self.scope = Scope(None, None)
        self.name = name
        self.arity = arity
        self.impl = impl
        self.args = args or []

    def apply(self, reader: Reader, arg: Thunk, site: Site) -> Val:
        args = [*self.args, arg]
        if len(args) < self.arity:
            return Builtin(self.name, self.arity, self.impl, args, site)
        reader.steps += 1
        if reader.steps > reader.max_steps:
            return Opaque(site[0], site[1], STOPPED_WORK)
        try:
            return self.impl(reader, args, site)
        except Unknown as e:
            return Opaque(site[0], site[1], f"a call of `{self.name}' ({e})")


class Field:
    """One definition of an attribute inside an attribute set: the key and a thunk."""

    __slots__ = ("key", "key_src", "value")

    def __init__(self, key_src: Src | None, key: Node | None, value: Thunk) -> None:
        self.key_src = key_src
        self.key = key
        self.value = value

    def key_location(self) -> Location | None:
        if self.key_src is None or self.key is None:
            return None
        return self.key_src.location(self.key)


class PlacedField(Field):
    """A field whose key is not in a Nix file (``machines/<name>/`` directories)."""

    __slots__ = ("loc",)

    def __init__(self, loc: Location, value: Thunk) -> None:
        super().__init__(None, None, value)
        self.loc = loc

    def key_location(self) -> Location | None:
        return self.loc


class DynamicName:
    """An attribute whose name cannot be read statically (``${x} = …``)."""

    __slots__ = ("node", "src", "what")

    def __init__(self, src: Src, node: Node, what: str) -> None:
        self.src = src
        self.node = node
        self.what = what


class Attrs(Val):
    """An attribute set. A name may have several fields: ``a.b = 1; a.c = 2;`` (merged by
    whoever reads it; see :func:`get_attr`)."""

    __slots__ = ("dynamic", "fields")

    def __init__(self, src: Src | None, node: Node | None) -> None:
        super().__init__(src, node)
        self.fields: dict[str, list[Field]] = {}
        self.dynamic: list[DynamicName] = []

    def add(self, name: str, field: Field) -> None:
        self.fields.setdefault(name, []).append(field)


class Thunk:
    """A lazily computed value; a value that needs itself is opaque (infinite recursion)."""

    __slots__ = ("_fn", "_state", "_val")

    def __init__(self, fn: Callable[[], Val] | None = None, val: Val | None = None) -> None:
        self._fn = fn
        self._val = val
        self._state = 2 if val is not None else 0

    def force(self) -> Val:
        if self._state == 2:
            assert self._val is not None
            return self._val
        if self._state == 1:
            return Opaque(None, None, "a value that refers to itself")
        self._state = 1
        assert self._fn is not None
        try:
            val = self._fn()
        except BaseException:
            self._state = 0
            raise
        self._val = val
        self._state = 2
        self._fn = None
        return val


class Shim(Attrs):
    """The ``lib`` / ``builtins`` sets of :mod:`solver.read.nix.lib`; `label` names it."""

    __slots__ = ("label",)

    def __init__(self, label: str) -> None:
        super().__init__(None, None)
        self.label = label


def ready(val: Val) -> Thunk:
    return Thunk(val=val)


def get_attr(attrs: Attrs, name: str) -> Val | None:
    """The value of `name`: one field's value, or the merge of several attribute sets."""
    fields = attrs.fields.get(name)
    if not fields:
        return None
    if len(fields) == 1:
        return fields[0].value.force()
    merged = Attrs(None, None)
    for f in fields:
        v = f.value.force()
        if not isinstance(v, Attrs):
            return v
        if merged.node is None:
            merged.src, merged.node = v.src, v.node
        for k, fs in v.fields.items():
            for g in fs:
                merged.add(k, g)
        merged.dynamic.extend(v.dynamic)
    return merged


# -- scopes and evaluation -----------------------------------------------------------------


class Scope:
    """Lexical variables: a parent scope plus an attribute set (let, rec, function args),
    or a ``with e;`` scope (`with_`, looked up only for names no lexical scope binds)."""

    __slots__ = ("attrs", "parent", "with_")

    def __init__(self, parent: Scope | None, attrs: Attrs | None, with_: Thunk | None = None):
        self.parent = parent
        self.attrs = attrs
        self.with_ = with_

    def lookup(self, name: str) -> Val | None:
        """The lexically bound `name` (``with`` scopes are not searched)."""
        scope: Scope | None = self
        while scope is not None:
            if scope.attrs is not None and name in scope.attrs.fields:
                return get_attr(scope.attrs, name)
            scope = scope.parent
        return None

    def withs(self) -> list[Thunk]:
        """The ``with`` scopes around, innermost first."""
        out: list[Thunk] = []
        scope: Scope | None = self
        while scope is not None:
            if scope.with_ is not None:
                out.append(scope.with_)
            scope = scope.parent
        return out


_LITERAL_SETS = ("attrset_expression", "rec_attrset_expression")
_BUILTIN_CONST: dict[str, Any] = {"true": True, "false": False, "null": None}
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r"}
_NIXPKGS = ("nixpkgs", "pkgs")  # an unknown argument whose `.lib' is nixpkgs' lib


def _snippet(src: Src, node: Node) -> str:
    text = " ".join(src.text(node).split())
    return text if len(text) <= 40 else text[:37] + "..."


class Reader:
    """Evaluates files of one clan; caches parsed and evaluated files by path.

    `root` is the clan's repository: ``builtins.readDir``, ``pathExists`` and ``readFile``
    read only below it (see :meth:`read_dir`, :meth:`path_exists`, :meth:`read_file`;
    override them to confine further), and when it is given ``import`` too. Without a root
    those three builtins are opaque.
    """

    max_steps = 2_000_000
    max_depth = 150

    def __init__(self, display: Callable[[str], str], root: str | None = None) -> None:
        self.display = display
        self.root = os.path.realpath(root) if root is not None else None
        self.files: dict[str, Src] = {}
        # (file, key, first field): an attribute defined twice where Nix does not merge
        self.redefined: list[tuple[Src, Node, Field]] = []
        self._values: dict[str, Thunk] = {}
        self.steps = 0
        self.depth = 0

    # -- files (the only place files are read) --------------------------------------------
    def within_root(self, path: str) -> bool:
        """Whether `path` may be read: below :attr:`root` (no root: nothing)."""
        if self.root is None:
            return False
        real = os.path.realpath(path)
        return real == self.root or real.startswith(self.root.rstrip(os.sep) + os.sep)

    def read_dir(self, path: str) -> dict[str, str] | None:
        """``builtins.readDir``: name → "regular" / "directory" / "symlink" / "unknown",
        or None when `path` may not be read."""
        if not self.within_root(path) or not os.path.isdir(path):
            return None
        out: dict[str, str] = {}
        try:
            with os.scandir(path) as it:
                for e in it:
                    if e.is_symlink():
                        out[e.name] = "symlink"
                    elif e.is_dir():
                        out[e.name] = "directory"
                    elif e.is_file():
                        out[e.name] = "regular"
                    else:
                        out[e.name] = "unknown"
        except OSError:
            return None
        return out

    def path_exists(self, path: str) -> bool | None:
        """``builtins.pathExists``, or None when `path` may not be looked at."""
        if not self.within_root(os.path.dirname(path) or path):
            return None
        return os.path.exists(path)

    def read_file(self, path: str) -> str | None:
        """``builtins.readFile``, or None when `path` may not be read."""
        if not self.within_root(path) or not os.path.isfile(path):
            return None
        try:
            with open(path, encoding="utf-8") as f:
                return f.read(10_000_000)
        except (OSError, UnicodeDecodeError):
            return None

    def parse(self, path: str) -> Src:
        path = os.path.abspath(path)
        src = self.files.get(path)
        if src is None:
            src = parse_file(path, self.display(path))
            self.files[path] = src
        return src

    def import_file(self, path: str) -> Val:
        """``import path``: the value of the file (``default.nix`` for a directory)."""
        path = os.path.abspath(path)
        if os.path.isdir(path):
            path = os.path.join(path, "default.nix")
        th = self._values.get(path)
        if th is None:
            src = self.parse(path)
            th = Thunk(lambda: self.eval(src, src.root, Scope(None, None)))
            self._values[path] = th
        return th.force()

    def import_value(self, arg: Val, site: Site) -> Val:
        """``import`` of an evaluated argument (a path, or a string of an absolute path).
        With a :attr:`root`, only files below it are imported."""
        target: str | None = None
        if isinstance(arg, StorePath):
            target = arg.local
        elif isinstance(arg, Scalar) and isinstance(arg.value, str):
            if arg.is_path:
                target = abs_path(arg)
            elif os.path.isabs(arg.value):
                target = arg.value
        if target is not None:
            if os.path.isdir(target):
                target = os.path.join(target, "default.nix")
            allowed = self.root is None or self.within_root(target)
            if allowed and os.path.isfile(target):
                return self.import_file(target)
        src, node = site
        text = _snippet(src, node) if src is not None and node is not None else "import"
        return Opaque(src, node, f"an import that cannot be followed (`{text}')")

    # -- expressions ----------------------------------------------------------------------
    def thunk(self, src: Src, node: Node, scope: Scope) -> Thunk:
        return Thunk(lambda: self.eval(src, node, scope))

    def eval(self, src: Src, node: Node, scope: Scope) -> Val:
        """The value of `node` (never raises; what cannot be read is :class:`Opaque`)."""
        self.steps += 1
        if self.steps > self.max_steps:
            return Opaque(src, node, STOPPED_WORK)
        if self.depth >= self.max_depth:
            return Opaque(src, node, STOPPED_DEEP)
        self.depth += 1
        try:
            return self._eval(src, node, scope)
        except RecursionError:
            return Opaque(src, node, STOPPED_DEEP)
        except Unknown as e:
            return Opaque(src, node, f"{e} (`{_snippet(src, node)}')")
        finally:
            self.depth -= 1

    def _eval(self, src: Src, node: Node, scope: Scope) -> Val:
        t = node.type
        if t == "attrset_expression":
            return self.binding_set(src, node, scope, rec=False)
        if t == "rec_attrset_expression":
            return self.binding_set(src, node, scope, rec=True)
        if t == "let_expression":
            attrs = self.binding_set(src, node, scope, rec=True)
            body = node.child_by_field_name("body")
            return self.eval(src, body, Scope(scope, attrs))
        if t == "string_expression" or t == "indented_string_expression":
            return self.string(src, node, scope)
        if t == "integer_expression" or t == "float_expression":
            return Scalar(src, node, _number(src, node))
        if t == "variable_expression":
            return self.variable(src, node, src.text(node), scope)
        if t == "path_expression":
            if node.named_child_count != 1 or node.named_children[0].type != "path_fragment":
                return self._interpolated_path(src, node, scope)
            return Scalar(src, node, src.text(node), is_path=True)
        if t == "list_expression":
            items = [self.thunk(src, c, scope) for c in node.children_by_field_name("element")]
            return ListV(src, node, items)
        if t == "parenthesized_expression":
            return self.eval(src, node.child_by_field_name("expression"), scope)
        if t == "select_expression":
            return self.select(src, node, scope)
        if t == "function_expression":
            return Lambda(src, node, scope)
        if t == "apply_expression":
            return self.apply(src, node, scope)
        if t == "unary_expression":
            return self.unary(src, node, scope)
        if t == "binary_expression":
            return self.binary(src, node, scope)
        if t == "with_expression":
            env = self.thunk(src, node.child_by_field_name("environment"), scope)
            return self.eval(src, node.child_by_field_name("body"), Scope(scope, None, env))
        if t == "if_expression":
            cnode = node.child_by_field_name("condition")
            cond = self.eval(src, cnode, scope)
            if isinstance(cond, Scalar) and isinstance(cond.value, bool):
                branch = "consequence" if cond.value else "alternative"
                return self.eval(src, node.child_by_field_name(branch), scope)
            if isinstance(cond, Opaque) and cond.what.startswith(_STOPPED):
                return Opaque(src, node, cond.what)
            return Opaque(
                src, node, f"an `if' whose condition cannot be read (`{_snippet(src, cnode)}')"
            )
        if t == "assert_expression":
            cnode = node.child_by_field_name("condition")
            cond = self.eval(src, cnode, scope)
            if isinstance(cond, Scalar) and cond.value is False:
                return Opaque(src, node, f"a failed assertion (`{_snippet(src, cnode)}')")
            return self.eval(src, node.child_by_field_name("body"), scope)
        if t == "has_attr_expression":
            return self.has_attr(src, node, scope)
        what = {
            "spath_expression": "a search path",
            "hpath_expression": "a home path",
            "uri_expression": "a URI",
        }.get(t, "an expression")
        return Opaque(src, node, f"{what} (`{_snippet(src, node)}')")

    def variable(self, src: Src, node: Node, name: str, scope: Scope) -> Val:
        """A variable: lexical scopes, then Nix's global names (``true``, ``builtins``,
        ``map`` …), then the ``with`` scopes (innermost first), then ``lib`` (the shim of
        :mod:`solver.read.nix.lib`, when nothing else binds it)."""
        val = scope.lookup(name)
        if val is not None:
            return val
        if name in _BUILTIN_CONST:
            return Scalar(src, node, _BUILTIN_CONST[name])
        from solver.read.nix import lib

        glob = lib.global_value(name)
        if glob is not None:
            return glob
        for w in scope.withs():
            env = w.force()
            if isinstance(env, Attrs) and name in env.fields:
                got = get_attr(env, name)
                if got is not None:
                    return got
            if isinstance(env, Opaque) and name != "lib":
                return Opaque(src, node, f"the variable `{name}' (perhaps from {env.what})")
        if name == "lib":
            return lib.lib_set()
        return Opaque(src, node, f"the variable `{name}'")

    def string(self, src: Src, node: Node, scope: Scope) -> Val:
        indented = node.type == "indented_string_expression"
        parts: list[str] = []
        store: str | None = None
        for child in node.children:
            ct = child.type
            if ct == "string_fragment":
                parts.append(src.text(child))
            elif ct == "escape_sequence":
                text = src.text(child)
                if indented:
                    # '''  -> ''   ;   ''\X -> \X decoded
                    if text == "'''":
                        parts.append("\x00''")
                    else:
                        ch = text[3:] if text.startswith("''\\") else text[-1:]
                        parts.append("\x00" + _ESCAPES.get(ch, ch))
                else:
                    ch = text[1:]
                    parts.append(_ESCAPES.get(ch, ch))
            elif ct == "dollar_escape":
                parts.append("\x00")
            elif ct == "interpolation":
                inner = self.eval(src, child.child_by_field_name("expression"), scope)
                local = self._local_path(inner)
                if local is not None and not parts:
                    store = local  # "${./x}/rest": the store copy of ./x, then rest
                    continue
                if isinstance(inner, Scalar) and isinstance(inner.value, str) and not inner.is_path:
                    parts.append("\x00" + inner.value)
                else:
                    why = "a string with interpolation"
                    if isinstance(inner, Scalar):
                        why = f"a string with an interpolated {type_of(inner)}" + (
                            " (Nix copies it to the store)"
                            if inner.is_path
                            else " (Nix does not convert it to a string)"
                        )
                    return Opaque(src, node, f"{why} (`{_snippet(src, node)}')")
            elif ct == "comment":
                continue
        text = "".join(parts)
        if indented:
            text = _strip_indent(text)
        if store is not None:
            rest = text.replace("\x00", "")
            if rest and not rest.startswith("/"):
                return Opaque(
                    src, node, f"a path copied to the Nix store (`{_snippet(src, node)}')"
                )
            return StorePath(src, node, os.path.normpath(store + rest))
        return Scalar(src, node, text.replace("\x00", ""))

    def _interpolated_path(self, src: Src, node: Node, scope: Scope) -> Val:
        """``./${name}/default.nix``: a path whose interpolated parts are known strings."""
        parts: list[str] = []
        for child in node.named_children:
            if child.type == "path_fragment":
                parts.append(src.text(child))
            elif child.type == "interpolation":
                inner = self.eval(src, child.child_by_field_name("expression"), scope)
                if not (
                    isinstance(inner, Scalar) and isinstance(inner.value, str) and not inner.is_path
                ):
                    return Opaque(src, node, f"a path with interpolation (`{_snippet(src, node)}')")
                parts.append(inner.value)
            else:
                return Opaque(src, node, f"a path with interpolation (`{_snippet(src, node)}')")
        return Scalar(src, node, "".join(parts), is_path=True)

    def _local_path(self, v: Val) -> str | None:
        """The local file a value interpolated into a string stands for: a path, a
        :class:`StorePath`, or an attribute set with an ``outPath`` (a flake's ``self``)."""
        if isinstance(v, StorePath):
            return v.local
        if isinstance(v, Attrs) and "outPath" in v.fields:
            v = get_attr(v, "outPath") or v
        if isinstance(v, Scalar) and v.is_path:
            try:
                return abs_path(v)
            except Unknown:
                return None
        return None

    def attr_name(self, src: Src, node: Node, scope: Scope) -> str | None:
        t = node.type
        if t == "identifier":
            return src.text(node)
        if t == "string_expression":
            val = self.string(src, node, scope)
        elif t == "interpolation":
            val = self.eval(src, node.child_by_field_name("expression"), scope)
        else:
            return None
        if isinstance(val, Scalar) and isinstance(val.value, str) and not val.is_path:
            return val.value
        return None

    def binding_set(self, src: Src, node: Node, scope: Scope, *, rec: bool) -> Attrs:
        attrs = Attrs(src, node)
        inner = Scope(scope, attrs) if rec else scope
        bset = None
        for child in node.named_children:
            if child.type == "binding_set":
                bset = child
                break
        if bset is None:
            return attrs
        for b in bset.named_children:
            bt = b.type
            if bt == "binding":
                path = b.child_by_field_name("attrpath")
                keys = [k for k in path.children_by_field_name("attr")]
                value = b.child_by_field_name("expression")
                self._bind(src, attrs, keys, value, inner)
            elif bt == "inherit":
                for ident in b.child_by_field_name("attrs").children_by_field_name("attr"):
                    name = self.attr_name(src, ident, scope)
                    if name is None:
                        attrs.dynamic.append(DynamicName(src, ident, "an inherited name"))
                        continue
                    attrs.add(name, Field(src, ident, self._inherit(src, ident, name, scope)))
            elif bt == "inherit_from":
                source = self.thunk(src, b.child_by_field_name("expression"), inner)
                for ident in b.child_by_field_name("attrs").children_by_field_name("attr"):
                    name = self.attr_name(src, ident, scope)
                    if name is None:
                        attrs.dynamic.append(DynamicName(src, ident, "an inherited name"))
                        continue
                    attrs.add(name, Field(src, ident, self._inherit_from(src, ident, source, name)))
        return attrs

    def _inherit(self, src: Src, ident: Node, name: str, scope: Scope) -> Thunk:
        return Thunk(lambda: self.variable(src, ident, name, scope))

    def _inherit_from(self, src: Src, ident: Node, source: Thunk, name: str) -> Thunk:
        def fn() -> Val:
            base = source.force()
            val = self.attr_of(base, name, src, ident)
            if val is not None and not (val is base and isinstance(base, Opaque)):
                return val
            if isinstance(base, Opaque):
                return Opaque(src, ident, f"`{name}' of {base.what}")
            return Opaque(src, ident, f"the missing attribute `{name}'")

        return Thunk(fn)

    def _bind(self, src: Src, attrs: Attrs, keys: list[Node], value: Node, scope: Scope) -> None:
        target = attrs
        for i, key in enumerate(keys):
            name = self.attr_name(src, key, scope)
            if name is None:
                target.dynamic.append(
                    DynamicName(src, key, f"the attribute name `{_snippet(src, key)}'")
                )
                return
            if i == 0 and name in target.fields:
                self._check_redefinition(
                    src, target.fields[name][0], key, value if len(keys) == 1 else None
                )
            if i == len(keys) - 1:
                target.add(name, Field(src, key, self.thunk(src, value, scope)))
            else:
                sub = Attrs(None, None)
                target.add(name, Field(src, key, ready(sub)))
                target = sub

    def _check_redefinition(self, src: Src, first: Field, key: Node, value: Node | None) -> None:
        """Nix merges ``a = { … }; a.b = …;`` but not a repeated attribute whose value is
        not an attribute set literal: "attribute 'a' already defined"."""
        if value is not None and value.type not in _LITERAL_SETS:
            self.redefined.append((src, key, first))
            return
        k = first.key
        if k is None or k.parent is None or k.parent.type != "attrpath":
            self.redefined.append((src, key, first))
            return
        attrs = k.parent.children_by_field_name("attr")
        if attrs and attrs[-1].id == k.id:
            val = k.parent.parent.child_by_field_name("expression")
            if val is None or val.type not in _LITERAL_SETS:
                self.redefined.append((src, key, first))

    def attr_of(self, base: Val, name: str, src: Src | None, node: Node | None) -> Val | None:
        """``base.name``: None when `base` is known not to have it, `base` itself when
        `base` is opaque. An unknown function argument `nixpkgs` / `pkgs` has the ``lib``
        shim as its ``lib``."""
        if isinstance(base, (Override, If, Merge)):
            return _wrapper_attr(base, name)
        if isinstance(base, Attrs):
            return get_attr(base, name)
        if isinstance(base, Unbound):
            last = base.path.rsplit(".", 1)[-1]
            if name == "lib" and (last in _NIXPKGS or last.startswith("nixpkgs")):
                from solver.read.nix import lib

                return lib.lib_set()
            path = f"{base.path}.{name}" if base.path else name
            return Unbound(src, node, f"the function argument `{path}'", path)
        if isinstance(base, Opaque):
            return base
        return None

    def select(self, src: Src, node: Node, scope: Scope) -> Val:
        base = self.eval(src, node.child_by_field_name("expression"), scope)
        default = node.child_by_field_name("default")
        for key in node.child_by_field_name("attrpath").children_by_field_name("attr"):
            name = self.attr_name(src, key, scope)
            nxt: Val | None = None
            if name is not None:
                nxt = self.attr_of(base, name, src, node)
            if nxt is None or (nxt is base and isinstance(base, Opaque)):
                wrapper = isinstance(base, (Override, If, Merge))
                known = wrapper or not isinstance(base, Opaque)
                if name is not None and known and default is not None:
                    if not (isinstance(base, Attrs) and base.dynamic):
                        return self.eval(src, default, scope)
                if isinstance(base, Shim):
                    return Opaque(
                        src, node, f"`{_snippet(src, node)}', which this reader does not know"
                    )
                return Opaque(src, node, f"the expression `{_snippet(src, node)}'")
            base = nxt
        if isinstance(base, Unbound):
            return Unbound(src, node, f"the expression `{_snippet(src, node)}'", base.path)
        return base

    def has_attr(self, src: Src, node: Node, scope: Scope) -> Val:
        base = self.eval(src, node.child_by_field_name("expression"), scope)
        for key in node.child_by_field_name("attrpath").children_by_field_name("attr"):
            name = self.attr_name(src, key, scope)
            if name is None:
                break
            if isinstance(base, (Override, If, Merge)):
                nxt = _wrapper_attr(base, name)
            elif isinstance(base, Attrs):
                nxt = get_attr(base, name)
                if nxt is None and base.dynamic:
                    break
            elif isinstance(base, Opaque):
                break
            else:
                return Scalar(src, node, False)
            if nxt is None:
                return Scalar(src, node, False)
            base = nxt
        else:
            return Scalar(src, node, True)
        return Opaque(src, node, f"the test `{_snippet(src, node)}'")

    def apply(self, src: Src, node: Node, scope: Scope) -> Val:
        fnode = node.child_by_field_name("function")
        anode = node.child_by_field_name("argument")
        fn = self.eval(src, fnode, scope)
        if isinstance(fn, Opaque):
            if fn.what.startswith("a call of") or fn.what.startswith(_STOPPED):
                return Opaque(src, node, fn.what)
            return Opaque(src, node, f"a call of `{_snippet(src, fnode)}'")
        return self.call_value(fn, self.thunk(src, anode, scope), (src, node))

    def call_value(self, fn: Val, arg: Thunk, site: Site) -> Val:
        """Apply any value to `arg`; `site` (src, node) locates the result if it is new."""
        if isinstance(fn, Builtin):
            return fn.apply(self, arg, site)
        if isinstance(fn, Lambda):
            return self.call(fn, arg)
        if isinstance(fn, Attrs) and "__functor" in fn.fields:
            functor = get_attr(fn, "__functor")
            if functor is not None:
                inner = self.call_value(functor, ready(fn), site)
                return self.call_value(inner, arg, site)
        if isinstance(fn, Opaque):
            what = fn.what if fn.what.startswith("a call of") else f"a call of {fn.what}"
            return Opaque(site[0], site[1], what)
        try:
            kind = type_of(fn)
        except Unknown:
            kind = "value"
        article = "an" if kind[:1] in "aeiou" else "a"
        return Opaque(site[0], site[1], f"a call of {article} {kind}, which is not a function")

    def call(self, fn: Lambda, arg: Thunk) -> Val:
        """Apply a function (written in a file read here, or a builtin) to `arg`."""
        if isinstance(fn, Builtin):
            return fn.apply(self, arg, (fn.src, fn.node))
        assert fn.src is not None
        node: Node = fn.node
        return self.eval(fn.src, node.child_by_field_name("body"), self.call_scope(fn, arg))

    def call_scope(self, fn: Lambda, arg: Thunk) -> Scope:
        """The scope of the body of `fn` applied to `arg`.

        When `arg` is unknown (:meth:`call_opaque`, :meth:`scope_at`), a formal argument
        named ``lib`` is the ``lib`` shim of :mod:`solver.read.nix.lib` (a module's
        ``{ lib, ... }:`` is nixpkgs' lib), and the others are :class:`Unbound`."""
        src = fn.src
        assert src is not None
        node: Node = fn.node
        params = Attrs(src, node)
        universal = node.child_by_field_name("universal")
        if universal is not None:
            th = self._universal(src, universal, arg)
            params.add(src.text(universal), Field(src, universal, th))
        formals = node.child_by_field_name("formals")
        scope = Scope(fn.scope, params)
        if formals is not None:
            for formal in formals.children_by_field_name("formal"):
                ident = formal.child_by_field_name("name")
                name = src.text(ident)
                default = formal.child_by_field_name("default")
                params.add(
                    name, Field(src, ident, self._formal(src, ident, name, arg, default, scope))
                )
        return scope

    def _universal(self, src: Src, ident: Node, arg: Thunk) -> Thunk:
        def fn() -> Val:
            a = arg.force()
            if isinstance(a, Unbound):
                name = src.text(ident)
                return Unbound(src, ident, f"the function argument `{name}'", name)
            return a

        return Thunk(fn)

    def _formal(
        self, src: Src, ident: Node, name: str, arg: Thunk, default: Node | None, scope: Scope
    ) -> Thunk:
        def fn() -> Val:
            a = arg.force()
            if isinstance(a, Attrs):
                val = get_attr(a, name)
                if val is not None:
                    return val
            elif isinstance(a, Unbound):
                if name == "lib":
                    from solver.read.nix import lib

                    return lib.lib_set()
                return Unbound(src, ident, f"the function argument `{name}'", name)
            elif isinstance(a, Opaque) and a.what.startswith(_STOPPED):
                return a
            elif default is None:
                return Opaque(src, ident, f"the function argument `{name}'")
            if default is not None:
                return self.eval(src, default, scope)
            return Opaque(src, ident, f"the missing function argument `{name}'")

        return Thunk(fn)

    def call_opaque(self, fn: Lambda) -> Val:
        """Apply a module function (``{ lib, config, ... }: …``) to unknown arguments
        (``lib`` is the shim; see :meth:`call_scope`)."""
        return self.call(fn, ready(Unbound(fn.src, fn.node, "a module argument", "")))

    def scope_at(self, src: Src, node: Node) -> Scope:
        """The lexical scope in which `node` is evaluated (function arguments unknown)."""
        chain: list[tuple[Node, Node]] = []
        n = node
        while n.parent is not None:
            chain.append((n.parent, n))
            n = n.parent
        scope = Scope(None, None)
        for parent, child in reversed(chain):
            t = parent.type
            if t == "function_expression":
                body = parent.child_by_field_name("body")
                if body is not None and body.id == child.id:
                    arg = ready(Unbound(src, parent, "a function argument", ""))
                    scope = self.call_scope(Lambda(src, parent, scope), arg)
            elif t in ("let_expression", "rec_attrset_expression"):
                attrs = self.binding_set(src, parent, scope, rec=True)
                scope = Scope(scope, attrs)
            elif t == "with_expression":
                body = parent.child_by_field_name("body")
                if body is not None and body.id == child.id:
                    env = self.thunk(src, parent.child_by_field_name("environment"), scope)
                    scope = Scope(scope, None, env)
        return scope

    def unary(self, src: Src, node: Node, scope: Scope) -> Val:
        op = src.text(node.child_by_field_name("operator"))
        arg = self.eval(src, node.child_by_field_name("argument"), scope)
        if isinstance(arg, Scalar) and not arg.is_path:
            v = arg.value
            if op == "-" and _is_num(v):
                return Scalar(src, node, -v)
            if op == "!" and isinstance(v, bool):
                return Scalar(src, node, not v)
        return Opaque(src, node, f"the expression `{_snippet(src, node)}'")

    def binary(self, src: Src, node: Node, scope: Scope) -> Val:
        op = src.text(node.child_by_field_name("operator"))
        lnode = node.child_by_field_name("left")
        rnode = node.child_by_field_name("right")
        if op in ("|>", "<|"):
            return self.pipe(src, node, op, scope)
        if op in ("&&", "||", "->"):
            if op == "->" and rnode.type == "binary_expression":
                rop = src.text(rnode.child_by_field_name("operator"))
                if rop in ("|>", "<|"):
                    return Opaque(src, node, f"`->' before a pipe (`{_snippet(src, node)}')")
            lv = self.eval(src, lnode, scope)
            if isinstance(lv, Opaque) and lv.what.startswith(_STOPPED):
                return Opaque(src, node, lv.what)
            lb = _bool(lv)
            if lb is not None:
                if op == "&&" and not lb:
                    return Scalar(src, node, False)
                if op == "||" and lb:
                    return Scalar(src, node, True)
                if op == "->" and not lb:
                    return Scalar(src, node, True)
                rb = _bool(self.eval(src, rnode, scope))
                if rb is not None:
                    return Scalar(src, node, rb)
            return Opaque(src, node, f"the expression `{_snippet(src, node)}'")
        left = self.eval(src, lnode, scope)
        right = self.eval(src, rnode, scope)
        for v in (left, right):
            if isinstance(v, Opaque) and v.what.startswith(_STOPPED):
                return Opaque(src, node, v.what)
        try:
            out = self.operate(op, left, right, (src, node))
        except Unknown as e:
            return Opaque(src, node, f"{e} (`{_snippet(src, node)}')")
        if out is None:
            return Opaque(src, node, f"the expression `{_snippet(src, node)}'")
        return out

    def pipe(self, src: Src, node: Node, op: str, scope: Scope) -> Val:
        """``x |> f |> g`` = ``g (f x)``; ``f <| g <| x`` = ``f (g x)``. (The parser reads
        both as right-associative; see :mod:`solver.read.nix.parse`.)"""
        operands = [node.child_by_field_name("left")]
        right = node.child_by_field_name("right")
        while right.type == "binary_expression" and src.text(
            right.child_by_field_name("operator")
        ) in ("|>", "<|", "->"):
            if src.text(right.child_by_field_name("operator")) != op:
                return Opaque(src, node, f"mixed pipe operators (`{_snippet(src, node)}')")
            operands.append(right.child_by_field_name("left"))
            right = right.child_by_field_name("right")
        operands.append(right)
        if op == "<|":
            operands.reverse()
        val: Thunk = self.thunk(src, operands[0], scope)
        out: Val = Opaque(src, node, "an empty pipe")
        for fnode in operands[1:]:
            fn = self.eval(src, fnode, scope)
            if isinstance(fn, Opaque):
                return Opaque(src, node, f"a call of `{_snippet(src, fnode)}' in a pipe")
            out = self.call_value(fn, val, (src, node))
            val = ready(out)
        return out

    def operate(self, op: str, left: Val, right: Val, site: Site) -> Val | None:
        """A binary operator on two values (None: not known)."""
        src, node = site
        if op == "++":
            if isinstance(left, ListV) and isinstance(right, ListV):
                return ListV(src, node, left.items + right.items)
            return None
        if op == "//":
            if isinstance(left, Attrs) and isinstance(right, Attrs):
                return update(left, right, site)
            return None
        if op in ("==", "!="):
            eq = equal(left, right)
            return Scalar(src, node, eq if op == "==" else not eq)
        if op in ("<", "<=", ">", ">="):
            c = compare(left, right)
            res = {"<": c < 0, "<=": c <= 0, ">": c > 0, ">=": c >= 0}[op]
            return Scalar(src, node, res)
        if not isinstance(left, Scalar) or not isinstance(right, Scalar):
            return None
        a, b = left.value, right.value
        if op == "+":
            if left.is_path:
                if isinstance(b, str):
                    tail = abs_path(right) if right.is_path else b
                    return Scalar(src, node, os.path.normpath(abs_path(left) + tail), True)
                return None
            if isinstance(a, str) and isinstance(b, str):
                if right.is_path:
                    raise Unknown("a path added to a string (Nix copies it to the store)")
                return Scalar(src, node, a + b)
            if _is_num(a) and _is_num(b):
                return Scalar(src, node, a + b)
            return None
        if op in ("-", "*", "/"):
            if not (_is_num(a) and _is_num(b)) or left.is_path or right.is_path:
                return None
            if op == "-":
                return Scalar(src, node, a - b)
            if op == "*":
                return Scalar(src, node, a * b)
            if b == 0:
                raise Unknown("a division by zero")
            if isinstance(a, int) and isinstance(b, int):
                q = abs(a) // abs(b)
                return Scalar(src, node, q if (a >= 0) == (b >= 0) else -q)
            return Scalar(src, node, a / b)
        if op in ("<", "<=", ">", ">="):
            c = compare(left, right)
            res = {"<": c < 0, "<=": c <= 0, ">": c > 0, ">=": c >= 0}[op]
            return Scalar(src, node, res)
        return None


# -- helpers shared with lib -------------------------------------------------------------


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _bool(v: Val) -> bool | None:
    if isinstance(v, Scalar) and isinstance(v.value, bool):
        return v.value
    return None


def _wrapper_attr(w: Val, name: str) -> Val | None:
    """The attributes Nix sees in a module-system wrapper."""
    parts: dict[str, Val]
    if isinstance(w, Override):
        if name == "content":
            return w.content.force()
        parts = {
            "_type": Scalar(w.src, w.node, "override"),
            "priority": Scalar(w.src, w.node, w.prio),
        }
    elif isinstance(w, If):
        if name == "content":
            return w.content.force()
        parts = {"_type": Scalar(w.src, w.node, "if"), "condition": Scalar(w.src, w.node, w.cond)}
    elif isinstance(w, Merge):
        parts = {
            "_type": Scalar(w.src, w.node, "merge"),
            "contents": ListV(w.src, w.node, w.items),
        }
    else:
        return None
    return parts.get(name)


def type_of(v: Val) -> str:
    """``builtins.typeOf`` (raises :class:`Unknown` for an opaque value)."""
    if isinstance(v, Scalar):
        x = v.value
        if v.is_path:
            return "path"
        if x is None:
            return "null"
        if isinstance(x, bool):
            return "bool"
        if isinstance(x, int):
            return "int"
        if isinstance(x, float):
            return "float"
        return "string"
    if isinstance(v, ListV):
        return "list"
    if isinstance(v, Lambda):
        return "lambda"
    if isinstance(v, (Override, If, Merge, Attrs)):
        return "set"
    raise Unknown(opaque_why(v))


def opaque_why(v: Val) -> str:
    return v.what if isinstance(v, Opaque) else "a value that cannot be read"


_INT_MAX = 2**63 - 1


def _number(src: Src, node: Node) -> int | float:
    """A number literal, range-checked as Nix reads it: an integer above 2⁶³−1 or a
    float that overflows is an error of the file (``number-range``), never a silent
    ``inf`` or a Python error on a 5000-digit literal."""
    from solver.errors import InputError

    text = src.text(node)
    value: int | float
    if node.type == "integer_expression":
        digits = text.lstrip("0") or "0"
        ok = len(digits) <= 19 and int(digits) <= _INT_MAX
        value = int(digits) if ok else 0
        what = "an integer outside the 64-bit range"
    else:
        value = float(text)
        ok = value not in (float("inf"), float("-inf"))
        what = "a float that overflows"
    if not ok:
        shown = text if len(text) <= 30 else text[:27] + "..."
        raise InputError.single(
            "number-range",
            f"{src.display}: `{shown}' is {what}; Nix rejects it when it reads the file",
            src.location(node),
            hint="use a smaller number, or a string",
        )
    return value


def abs_path(v: Scalar) -> str:
    """The absolute, normalised path of a path value (relative to the file it is in)."""
    p = str(v.value)
    if os.path.isabs(p):
        return os.path.normpath(p)
    if v.src is None:
        raise Unknown("a path whose file is not known")
    return os.path.normpath(os.path.join(v.src.dir, p))


def names_of(a: Attrs) -> list[str]:
    """The attribute names of `a`, sorted as Nix sorts them (raises :class:`Unknown`
    when one of them cannot be read)."""
    if a.dynamic:
        raise Unknown(a.dynamic[0].what)
    return sorted(a.fields, key=lambda k: k.encode("utf-8"))


def update(left: Attrs, right: Attrs, site: Site) -> Attrs:
    """``left // right`` (the fields of `right` replace those of `left`)."""
    out = Attrs(site[0], site[1])
    for k, fs in left.fields.items():
        if k not in right.fields:
            out.fields[k] = list(fs)
    for k, fs in right.fields.items():
        out.fields[k] = list(fs)
    out.dynamic = left.dynamic + right.dynamic
    return out


def equal(a: Val, b: Val, depth: int = 0) -> bool:
    """Nix's ``==`` (raises :class:`Unknown` when it depends on what cannot be read)."""
    if depth > 100:
        raise Unknown(STOPPED_DEEP)
    if isinstance(a, Scalar) and isinstance(b, Scalar):
        x, y = a.value, b.value
        if a.is_path or b.is_path:
            return a.is_path and b.is_path and abs_path(a) == abs_path(b)
        if _is_num(x) and _is_num(y):
            return bool(x == y)
        if isinstance(x, bool) or isinstance(y, bool):
            return x is y
        return type(x) is type(y) and x == y
    if isinstance(a, Opaque) and not isinstance(a, (Override, If, Merge)):
        raise Unknown(a.what)
    if isinstance(b, Opaque) and not isinstance(b, (Override, If, Merge)):
        raise Unknown(b.what)
    if isinstance(a, ListV) and isinstance(b, ListV):
        if len(a.items) != len(b.items):
            return False
        return all(
            equal(x.force(), y.force(), depth + 1) for x, y in zip(a.items, b.items, strict=True)
        )
    if isinstance(a, Attrs) and isinstance(b, Attrs):
        na, nb = names_of(a), names_of(b)
        if na != nb:
            return False
        for n in na:
            x, y = get_attr(a, n), get_attr(b, n)
            assert x is not None and y is not None
            if not equal(x, y, depth + 1):
                return False
        return True
    if isinstance(a, (Override, If, Merge)) or isinstance(b, (Override, If, Merge)):
        raise Unknown("a comparison of a module-system definition")
    return False


def compare(a: Val, b: Val, depth: int = 0) -> int:
    """Nix's ``<`` ordering: -1, 0 or 1 (raises :class:`Unknown` for other types)."""
    if depth > 100:
        raise Unknown(STOPPED_DEEP)
    if isinstance(a, Scalar) and isinstance(b, Scalar):
        x, y = a.value, b.value
        if a.is_path and b.is_path:
            x, y = abs_path(a), abs_path(b)
        elif a.is_path or b.is_path:
            raise Unknown("a comparison of a path with another type")
        if isinstance(x, str) and isinstance(y, str):
            bx, by = x.encode("utf-8"), y.encode("utf-8")
            return -1 if bx < by else (1 if bx > by else 0)
        if _is_num(x) and _is_num(y):
            return -1 if x < y else (1 if x > y else 0)
    if isinstance(a, ListV) and isinstance(b, ListV):
        for x, y in zip(a.items, b.items, strict=False):
            c = compare(x.force(), y.force(), depth + 1)
            if c:
                return c
        n, m = len(a.items), len(b.items)
        return -1 if n < m else (1 if n > m else 0)
    if isinstance(a, Opaque) or isinstance(b, Opaque):
        raise Unknown(opaque_why(a if isinstance(a, Opaque) else b))
    raise Unknown("a comparison of values Nix cannot compare")


def _strip_indent(text: str) -> str:
    """Nix's indentation stripping for ``''…''`` strings (escaped characters are marked
    with a NUL before them and do not count as indentation)."""
    lines = text.split("\n")
    indent: int | None = None
    for line in lines:
        stripped = line.lstrip(" ")
        if not stripped:
            continue  # whitespace-only lines do not count
        n = len(line) - len(stripped)
        indent = n if indent is None else min(indent, n)
    indent = indent or 0
    out = [
        line[indent:] if len(line) - len(line.lstrip(" ")) >= indent else line.lstrip(" ")
        for line in lines
    ]
    if len(out) > 1 and not out[0].strip(" "):
        out = out[1:]
    if out and not out[-1].strip(" "):
        out[-1] = ""
    return "\n".join(out)
