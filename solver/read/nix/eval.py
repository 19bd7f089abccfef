"""A static reader for the plain-data subset of Nix, on a tree-sitter parse.

It evaluates what can be known without Nix: attribute sets (attribute paths, repeated
definitions, ``rec``, ``inherit`` and ``inherit (x) a``), lists, strings (also indented
strings, and interpolation of known strings), numbers, booleans, ``null``, paths,
``let … in``, ``x.a.b or d``, ``++`` of lists and ``//`` of attribute sets, ``import
./file.nix`` and calls of functions written in the files read (``{ self, ... }@args:``).
Everything else (``lib.genAttrs``, ``with``, ``if``, unknown variables, ...) becomes an
:class:`Opaque` value that remembers where it was written; the caller decides what an
opaque value means (see ``modules`` and ``merge``).

Evaluation is lazy (attribute values are :class:`Thunk` s), so a ``let`` binding that is
not plain data costs nothing unless the inventory uses it. Tree-sitter is imported only
when the first ``.nix`` file is parsed.
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


class ListV(Val):
    __slots__ = ("items",)

    def __init__(self, src: Src | None, node: Node | None, items: list[Thunk]) -> None:
        super().__init__(src, node)
        self.items = items


class Lambda(Val):
    __slots__ = ("scope",)

    def __init__(self, src: Src, node: Node, scope: Scope) -> None:
        super().__init__(src, node)
        self.scope = scope


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
        val = self._fn()
        self._val = val
        self._state = 2
        self._fn = None
        return val


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
    """Lexical variables: a parent scope plus an attribute set (let, rec, function args)."""

    __slots__ = ("attrs", "parent")

    def __init__(self, parent: Scope | None, attrs: Attrs | None) -> None:
        self.parent = parent
        self.attrs = attrs

    def lookup(self, name: str) -> Val | None:
        scope: Scope | None = self
        while scope is not None:
            if scope.attrs is not None and name in scope.attrs.fields:
                return get_attr(scope.attrs, name)
            scope = scope.parent
        return None


_LITERAL_SETS = ("attrset_expression", "rec_attrset_expression")
_BUILTIN_CONST: dict[str, Any] = {"true": True, "false": False, "null": None}
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r"}


def _snippet(src: Src, node: Node) -> str:
    text = " ".join(src.text(node).split())
    return text if len(text) <= 40 else text[:37] + "..."


class Reader:
    """Evaluates files of one clan; caches parsed and evaluated files by path."""

    def __init__(self, display: Callable[[str], str]) -> None:
        self.display = display
        self.files: dict[str, Src] = {}
        # (file, key, first field): an attribute defined twice where Nix does not merge
        self.redefined: list[tuple[Src, Node, Field]] = []
        self._values: dict[str, Thunk] = {}

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

    # -- expressions ----------------------------------------------------------------------
    def thunk(self, src: Src, node: Node, scope: Scope) -> Thunk:
        return Thunk(lambda: self.eval(src, node, scope))

    def eval(self, src: Src, node: Node, scope: Scope) -> Val:
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
        if t == "integer_expression":
            return Scalar(src, node, int(src.text(node)))
        if t == "float_expression":
            return Scalar(src, node, float(src.text(node)))
        if t == "variable_expression":
            name = src.text(node)
            val = scope.lookup(name)
            if val is not None:
                return val
            if name in _BUILTIN_CONST:
                return Scalar(src, node, _BUILTIN_CONST[name])
            return Opaque(src, node, f"the variable `{name}'")
        if t == "path_expression":
            if node.named_child_count != 1 or node.named_children[0].type != "path_fragment":
                return Opaque(src, node, "a path with interpolation")
            return Scalar(src, node, src.text(node), is_path=True)
        if t == "list_expression":
            items = [self.thunk(src, c, scope) for c in node.children_by_field_name("element")]
            return ListV(src, node, items)
        if t == "parenthesized_expression":
            inner = self.eval(src, node.child_by_field_name("expression"), scope)
            return inner
        if t == "select_expression":
            return self.select(src, node, scope)
        if t == "function_expression":
            return Lambda(src, node, scope)
        if t == "apply_expression":
            return self.apply(src, node, scope)
        if t == "unary_expression":
            op = node.child_by_field_name("operator")
            arg = self.eval(src, node.child_by_field_name("argument"), scope)
            if op is not None and src.text(op) == "-" and isinstance(arg, Scalar):
                if isinstance(arg.value, (int, float)) and not isinstance(arg.value, bool):
                    return Scalar(src, node, -arg.value)
            return Opaque(src, node, f"the expression `{_snippet(src, node)}'")
        if t == "binary_expression":
            return self.binary(src, node, scope)
        what = {
            "with_expression": "a `with' expression",
            "if_expression": "an `if' expression",
            "assert_expression": "an `assert' expression",
            "has_attr_expression": "an `?' test",
            "spath_expression": "a search path",
            "hpath_expression": "a home path",
            "uri_expression": "a URI",
        }.get(t, "an expression")
        return Opaque(src, node, f"{what} (`{_snippet(src, node)}')")

    def string(self, src: Src, node: Node, scope: Scope) -> Val:
        indented = node.type == "indented_string_expression"
        parts: list[str] = []
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
                if isinstance(inner, Scalar) and isinstance(inner.value, str) and not inner.is_path:
                    parts.append("\x00" + inner.value)
                else:
                    return Opaque(
                        src, node, f"a string with interpolation (`{_snippet(src, node)}')"
                    )
            elif ct == "comment":
                continue
        text = "".join(parts)
        if indented:
            text = _strip_indent(text)
        return Scalar(src, node, text.replace("\x00", ""))

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
        def fn() -> Val:
            val = scope.lookup(name)
            if val is None:
                if name in _BUILTIN_CONST:
                    return Scalar(src, ident, _BUILTIN_CONST[name])
                return Opaque(src, ident, f"the variable `{name}'")
            return val

        return Thunk(fn)

    def _inherit_from(self, src: Src, ident: Node, source: Thunk, name: str) -> Thunk:
        def fn() -> Val:
            base = source.force()
            if isinstance(base, Attrs):
                val = get_attr(base, name)
                if val is not None:
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

    def select(self, src: Src, node: Node, scope: Scope) -> Val:
        base = self.eval(src, node.child_by_field_name("expression"), scope)
        default = node.child_by_field_name("default")
        for key in node.child_by_field_name("attrpath").children_by_field_name("attr"):
            name = self.attr_name(src, key, scope)
            nxt: Val | None = None
            if name is not None and isinstance(base, Attrs):
                nxt = get_attr(base, name)
            if nxt is None:
                if default is not None and (isinstance(base, Attrs) or isinstance(base, Scalar)):
                    return self.eval(src, default, scope)
                return Opaque(src, node, f"the expression `{_snippet(src, node)}'")
            base = nxt
        return base

    def apply(self, src: Src, node: Node, scope: Scope) -> Val:
        fnode = node.child_by_field_name("function")
        anode = node.child_by_field_name("argument")
        if (
            fnode.type == "variable_expression"
            and src.text(fnode) == "import"
            and (scope.lookup("import") is None)
        ):
            arg = self.eval(src, anode, scope)
            if isinstance(arg, Scalar) and arg.is_path and isinstance(arg.value, str):
                target = os.path.join(src.dir, arg.value)
                if os.path.exists(target):
                    return self.import_file(target)
            return Opaque(src, node, f"an import that cannot be followed (`{_snippet(src, node)}')")
        fn = self.eval(src, fnode, scope)
        if isinstance(fn, Lambda):
            return self.call(fn, self.thunk(src, anode, scope))
        return Opaque(src, node, f"a function call (`{_snippet(src, node)}')")

    def call(self, fn: Lambda, arg: Thunk) -> Val:
        """Apply a function written in a file read here to `arg`."""
        assert fn.src is not None
        node: Node = fn.node
        return self.eval(fn.src, node.child_by_field_name("body"), self.call_scope(fn, arg))

    def call_scope(self, fn: Lambda, arg: Thunk) -> Scope:
        """The scope of the body of `fn` applied to `arg`."""
        src = fn.src
        assert src is not None
        node: Node = fn.node
        params = Attrs(src, node)
        universal = node.child_by_field_name("universal")
        if universal is not None:
            params.add(src.text(universal), Field(src, universal, arg))
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

    def _formal(
        self, src: Src, ident: Node, name: str, arg: Thunk, default: Node | None, scope: Scope
    ) -> Thunk:
        def fn() -> Val:
            a = arg.force()
            if isinstance(a, Attrs):
                val = get_attr(a, name)
                if val is not None:
                    return val
            elif default is None:
                return Opaque(src, ident, f"the function argument `{name}'")
            if default is not None:
                return self.eval(src, default, scope)
            return Opaque(src, ident, f"the missing function argument `{name}'")

        return Thunk(fn)

    def call_opaque(self, fn: Lambda) -> Val:
        """Apply a module function (``{ lib, config, ... }: …``) to unknown arguments."""
        return self.call(fn, ready(Opaque(fn.src, fn.node, "a module argument")))

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
                    arg = ready(Opaque(src, parent, "a function argument"))
                    scope = self.call_scope(Lambda(src, parent, scope), arg)
            elif t in ("let_expression", "rec_attrset_expression"):
                attrs = self.binding_set(src, parent, scope, rec=True)
                scope = Scope(scope, attrs)
        return scope

    def binary(self, src: Src, node: Node, scope: Scope) -> Val:
        op = src.text(node.child_by_field_name("operator"))
        if op in ("++", "//"):
            left = self.eval(src, node.child_by_field_name("left"), scope)
            right = self.eval(src, node.child_by_field_name("right"), scope)
            if op == "++" and isinstance(left, ListV) and isinstance(right, ListV):
                return ListV(src, node, left.items + right.items)
            if op == "//" and isinstance(left, Attrs) and isinstance(right, Attrs):
                out = Attrs(src, node)
                for k, fs in left.fields.items():
                    if k not in right.fields:
                        out.fields[k] = list(fs)
                for k, fs in right.fields.items():
                    out.fields[k] = list(fs)
                out.dynamic = left.dynamic + right.dynamic
                return out
        return Opaque(src, node, f"the expression `{_snippet(src, node)}'")


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
