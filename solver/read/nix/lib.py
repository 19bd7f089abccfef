"""The builtins and ``lib`` functions the static reader knows (one place for all of them).

``builtins.X`` and Nix's global names (``map``, ``toString``, ``import``, ``throw`` …) come
from :func:`builtins_set` / :func:`global_value`; ``lib.X`` (also ``lib.attrsets.X``,
``lib.lists.X``, ``lib.strings.X``, ``lib.trivial.X``, ``lib.modules.X``, reached through
``nixpkgs.lib``, ``inputs.nixpkgs.lib``, ``with lib;``, ``inherit (lib) …``, or a module's
``{ lib, ... }:`` argument) from :func:`lib_set`. Every function is a
:class:`~solver.read.nix.eval.Builtin`: lazy where Nix is lazy (``map``, ``genAttrs`` and
``mapAttrs`` compute each element or attribute only when it is used), strict where Nix is
(``foldl'``, ``filter``). A result that is new (a list, an attribute set, a string) is
located at the call that made it; an attribute name produced by ``genAttrs``,
``listToAttrs``, ``mapAttrs'`` … is located at the expression that produced the name, and
``mapAttrs`` / ``filterAttrs`` keep the original keys. An argument that cannot be read
makes the call :class:`~solver.read.nix.eval.Opaque` ("a call of `genAttrs' (…)").

The module-system functions build the wrappers of :mod:`solver.read.nix.eval`:
``mkOverride`` / ``mkDefault`` / ``mkForce`` / ``mkOptionDefault`` →
:class:`~solver.read.nix.eval.Override`, ``mkIf`` with a known condition →
:class:`~solver.read.nix.eval.If`, ``mkMerge`` → :class:`~solver.read.nix.eval.Merge`;
``mkOrder`` / ``mkBefore`` / ``mkAfter`` return their content.

Files are read only through the reader's hooks (``Reader.read_dir``, ``path_exists``,
``read_file``), which refuse what is outside the clan's root: the call is then opaque.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable
from typing import Any

from solver.read.nix.eval import (
    STOPPED_DEEP,
    STOPPED_WORK,
    Attrs,
    Builtin,
    Field,
    If,
    Lambda,
    ListV,
    Merge,
    Opaque,
    Override,
    Reader,
    Scalar,
    Shim,
    Site,
    Thunk,
    Unknown,
    Val,
    abs_path,
    compare,
    equal,
    get_attr,
    names_of,
    opaque_why,
    ready,
    type_of,
    update,
)

Impl = Callable[[Reader, list[Thunk], Site], Val]

_LIB: dict[str, Builtin] = {}
_BUILTINS: dict[str, Builtin] = {}
_GLOBALS = ("import", "map", "toString", "throw", "abort", "baseNameOf", "dirOf", "isNull")
_GLOBALS_SET = frozenset((*_GLOBALS, "removeAttrs", "builtins"))
_NAMESPACES = (
    "attrsets",
    "lists",
    "strings",
    "trivial",
    "modules",
    "debug",
    "fixedPoints",
    "filesystem",
)


def _reg(
    name: str, arity: int, *, lib: bool = True, builtin: bool = True
) -> Callable[[Impl], Impl]:
    def deco(impl: Impl) -> Impl:
        fn = Builtin(name, arity, impl)
        if lib:
            _LIB[name] = fn
        if builtin:
            _BUILTINS[name] = fn
        return impl

    return deco


def _lib(name: str, arity: int) -> Callable[[Impl], Impl]:
    return _reg(name, arity, lib=True, builtin=False)


# -- the sets -------------------------------------------------------------------------------

_SETS: dict[str, Shim] = {}


def lib_set() -> Shim:
    """nixpkgs' ``lib`` as far as this reader knows it (shared, immutable)."""
    s = _SETS.get("lib")
    if s is None:
        s = Shim("lib")
        for name, fn in sorted(_LIB.items()):
            s.add(name, Field(None, None, ready(fn)))
        for ns in _NAMESPACES:
            s.add(ns, Field(None, None, ready(s)))
        s.add("lib", Field(None, None, ready(s)))
        _SETS["lib"] = s
    return s


def builtins_set() -> Shim:
    """``builtins`` as far as this reader knows it."""
    s = _SETS.get("builtins")
    if s is None:
        s = Shim("builtins")
        for name, fn in sorted(_BUILTINS.items()):
            s.add(name, Field(None, None, ready(fn)))
        for k, v in (("true", True), ("false", False), ("null", None)):
            s.add(k, Field(None, None, ready(Scalar(None, None, v))))
        _SETS["builtins"] = s
    return s


def global_value(name: str) -> Val | None:
    """A name Nix knows without ``builtins.`` (``map``, ``import`` …), else None."""
    if name not in _GLOBALS_SET:
        return None
    if name == "builtins":
        return builtins_set()
    return _BUILTINS.get(name)


# -- argument helpers -------------------------------------------------------------------------


def _what(v: Val) -> str:
    try:
        return f"a {type_of(v)}"
    except Unknown:
        return opaque_why(v)


def _force(th: Thunk) -> Val:
    v = th.force()
    if isinstance(v, Opaque) and not isinstance(v, (Override, If, Merge)):
        raise Unknown(v.what)
    return v


def _attrs(th: Thunk | Val) -> Attrs:
    v = th.force() if isinstance(th, Thunk) else th
    if isinstance(v, Attrs):
        return v
    if isinstance(v, Opaque) and not isinstance(v, (Override, If, Merge)):
        raise Unknown(v.what)
    raise Unknown(f"{_what(v)} where an attribute set is expected")


def _list(th: Thunk | Val) -> ListV:
    v = th.force() if isinstance(th, Thunk) else th
    if isinstance(v, ListV):
        return v
    if isinstance(v, Opaque):
        raise Unknown(v.what)
    raise Unknown(f"{_what(v)} where a list is expected")


def _scalar(th: Thunk | Val, kind: type | tuple[type, ...], expected: str) -> Any:
    v = th.force() if isinstance(th, Thunk) else th
    if isinstance(v, Scalar) and not v.is_path and isinstance(v.value, kind):
        if not (isinstance(v.value, bool) and kind is int):
            return v.value
    if isinstance(v, Opaque):
        raise Unknown(v.what)
    raise Unknown(f"{_what(v)} where {expected} is expected")


def _str(th: Thunk | Val) -> str:
    return str(_scalar(th, str, "a string"))


def _int(th: Thunk | Val) -> int:
    return int(_scalar(th, int, "an integer"))


def _boolv(th: Thunk | Val) -> bool:
    return bool(_scalar(th, bool, "a Boolean"))


def _call(r: Reader, fn: Thunk | Val, args: list[Thunk], site: Site) -> Val:
    if r.steps > r.max_steps:
        raise Unknown(STOPPED_WORK)
    f = _force(fn) if isinstance(fn, Thunk) else fn
    for a in args:
        f = r.call_value(f, a, site)
    return f


def _name(v: Val) -> Scalar:
    """An attribute name value (a string, keeping its location)."""
    _str(v)
    assert isinstance(v, Scalar)
    return v


def _attrs_from_pairs(pairs: list[tuple[Scalar, Thunk]], site: Site) -> Attrs:
    """An attribute set from (name, value) pairs; the first of a repeated name wins."""
    out = Attrs(site[0], site[1])
    for name, value in pairs:
        if name.value not in out.fields:
            out.add(name.value, Field(name.src, name.node, value))
    return out


def _key(a: Attrs, name: str) -> Scalar:
    f = a.fields[name][0]
    return Scalar(f.key_src, f.key, name)


def _value(a: Attrs, name: str) -> Thunk:
    fields = a.fields[name]
    if len(fields) == 1:
        return fields[0].value
    return Thunk(lambda: get_attr(a, name) or Opaque(None, None, "a missing attribute"))


def to_string(v: Val, depth: int = 0) -> str:
    """``toString``."""
    if depth > 100:
        raise Unknown(STOPPED_DEEP)
    if isinstance(v, Scalar):
        x = v.value
        if v.is_path:
            return abs_path(v)
        if isinstance(x, str):
            return x
        if x is None or x is False:
            return ""
        if x is True:
            return "1"
        if isinstance(x, int):
            return str(x)
        if isinstance(x, float):
            return f"{x:.6f}"
    if isinstance(v, ListV):
        return " ".join(to_string(t.force(), depth + 1) for t in v.items)
    if isinstance(v, Opaque):
        raise Unknown(v.what)
    raise Unknown(f"{_what(v)}, which toString does not convert here")


# -- attribute sets -------------------------------------------------------------------------


@_reg("attrNames", 1)
def _attr_names(r: Reader, a: list[Thunk], site: Site) -> Val:
    s = _attrs(a[0])
    return ListV(site[0], site[1], [ready(_key(s, n)) for n in names_of(s)])


@_reg("attrValues", 1)
def _attr_values(r: Reader, a: list[Thunk], site: Site) -> Val:
    s = _attrs(a[0])
    return ListV(site[0], site[1], [_value(s, n) for n in names_of(s)])


@_reg("hasAttr", 2)
def _has_attr(r: Reader, a: list[Thunk], site: Site) -> Val:
    name, s = _str(a[0]), _attrs(a[1])
    if name not in s.fields and s.dynamic:
        raise Unknown(s.dynamic[0].what)
    return Scalar(site[0], site[1], name in s.fields)


@_reg("getAttr", 2)
def _get_attr(r: Reader, a: list[Thunk], site: Site) -> Val:
    name, s = _str(a[0]), _attrs(a[1])
    v = get_attr(s, name)
    if v is None:
        raise Unknown(f"the missing attribute `{name}'")
    return v


@_lib("attrByPath", 3)
def _attr_by_path(r: Reader, a: list[Thunk], site: Site) -> Val:
    path = [_str(t) for t in _list(a[0]).items]
    v = _force(a[2])
    for name in path:
        if not isinstance(v, Attrs):
            return a[1].force()
        nxt = get_attr(v, name)
        if nxt is None:
            if v.dynamic:
                raise Unknown(v.dynamic[0].what)
            return a[1].force()
        v = nxt
        if isinstance(v, Opaque) and not isinstance(v, (Override, If, Merge)):
            raise Unknown(v.what)
    return v


@_reg("listToAttrs", 1)
def _list_to_attrs(r: Reader, a: list[Thunk], site: Site) -> Val:
    pairs = [_name_value(_attrs(t), "an element") for t in _list(a[0]).items]
    return _attrs_from_pairs(pairs, site)


def _name_value(pair: Attrs, what: str) -> tuple[Scalar, Thunk]:
    """The ``name`` and ``value`` of a ``{ name = …; value = …; }`` pair."""
    n = get_attr(pair, "name")
    if n is None or "value" not in pair.fields:
        raise Unknown(f"{what} without `name' or `value'")
    return _name(n), _value(pair, "value")


@_lib("nameValuePair", 2)
def _name_value_pair(r: Reader, a: list[Thunk], site: Site) -> Val:
    out = Attrs(site[0], site[1])
    out.add("name", Field(None, None, a[0]))
    out.add("value", Field(None, None, a[1]))
    return out


@_lib("genAttrs", 2)
def _gen_attrs(r: Reader, a: list[Thunk], site: Site) -> Val:
    f = _force(a[1])
    pairs = []
    for t in _list(a[0]).items:
        n = _name(t.force())
        pairs.append((n, _later(r, f, [ready(n)], site)))
    return _attrs_from_pairs(pairs, site)


def _later(r: Reader, f: Val, args: list[Thunk], site: Site) -> Thunk:
    return Thunk(lambda: _call(r, f, args, site))


@_reg("mapAttrs", 2)
def _map_attrs(r: Reader, a: list[Thunk], site: Site) -> Val:
    f, s = _force(a[0]), _attrs(a[1])
    out = Attrs(site[0], site[1])
    for n in names_of(s):
        first = s.fields[n][0]
        value = _later(r, f, [ready(_key(s, n)), _value(s, n)], site)
        out.add(n, Field(first.key_src, first.key, value))
    return out


@_lib("mapAttrs'", 2)
def _map_attrs_prime(r: Reader, a: list[Thunk], site: Site) -> Val:
    f, s = _force(a[0]), _attrs(a[1])
    pairs = [
        _name_value(_attrs(_call(r, f, [ready(_key(s, n)), _value(s, n)], site)), "a result")
        for n in names_of(s)
    ]
    return _attrs_from_pairs(pairs, site)


@_lib("mapAttrsToList", 2)
def _map_attrs_to_list(r: Reader, a: list[Thunk], site: Site) -> Val:
    f, s = _force(a[0]), _attrs(a[1])
    items = [_later(r, f, [ready(_key(s, n)), _value(s, n)], site) for n in names_of(s)]
    return ListV(site[0], site[1], items)


@_lib("attrsToList", 1)
def _attrs_to_list(r: Reader, a: list[Thunk], site: Site) -> Val:
    s = _attrs(a[0])
    items = []
    for n in names_of(s):
        pair = Attrs(site[0], site[1])
        pair.add("name", Field(None, None, ready(_key(s, n))))
        pair.add("value", Field(None, None, _value(s, n)))
        items.append(ready(pair))
    return ListV(site[0], site[1], items)


@_lib("filterAttrs", 2)
def _filter_attrs(r: Reader, a: list[Thunk], site: Site) -> Val:
    f, s = _force(a[0]), _attrs(a[1])
    out = Attrs(site[0], site[1])
    for n in names_of(s):
        if _boolv(_call(r, f, [ready(_key(s, n)), _value(s, n)], site)):
            out.fields[n] = list(s.fields[n])
    return out


@_lib("concatMapAttrs", 2)
def _concat_map_attrs(r: Reader, a: list[Thunk], site: Site) -> Val:
    f, s = _force(a[0]), _attrs(a[1])
    out = Attrs(site[0], site[1])
    for n in names_of(s):
        out = update(out, _attrs(_call(r, f, [ready(_key(s, n)), _value(s, n)], site)), site)
    return out


@_reg("removeAttrs", 2)
def _remove_attrs(r: Reader, a: list[Thunk], site: Site) -> Val:
    s = _attrs(a[0])
    drop = {_str(t) for t in _list(a[1]).items}
    out = Attrs(site[0], site[1])
    out.fields = {k: list(v) for k, v in s.fields.items() if k not in drop}
    out.dynamic = list(s.dynamic)
    return out


@_reg("intersectAttrs", 2)
def _intersect_attrs(r: Reader, a: list[Thunk], site: Site) -> Val:
    e1, e2 = _attrs(a[0]), _attrs(a[1])
    names_of(e1)
    out = Attrs(site[0], site[1])
    out.fields = {k: list(v) for k, v in e2.fields.items() if k in e1.fields}
    return out


@_reg("catAttrs", 2)
def _cat_attrs(r: Reader, a: list[Thunk], site: Site) -> Val:
    name = _str(a[0])
    items = []
    for t in _list(a[1]).items:
        s = _attrs(t)
        if name in s.fields:
            items.append(_value(s, name))
        elif s.dynamic:
            raise Unknown(s.dynamic[0].what)
    return ListV(site[0], site[1], items)


def _recursive_update(lhs: Attrs, rhs: Attrs, site: Site) -> Attrs:
    out = update(lhs, rhs, site)
    for k in rhs.fields:
        if k in lhs.fields:
            first = rhs.fields[k][0]
            out.fields[k] = [Field(first.key_src, first.key, _merged(lhs, rhs, k))]
    return out


def _merged(lhs: Attrs, rhs: Attrs, k: str) -> Thunk:
    def fn() -> Val:
        rv = get_attr(rhs, k)
        assert rv is not None
        if type(rv) is not Attrs:
            return rv
        lv = get_attr(lhs, k)
        if isinstance(lv, Opaque) and not isinstance(lv, (Override, If, Merge)):
            return Opaque(rv.src, rv.node, f"an update of {lv.what}")
        if type(lv) is not Attrs:
            return rv
        return _recursive_update(lv, rv, (rv.src, rv.node))

    return Thunk(fn)


@_lib("recursiveUpdate", 2)
def _recursive_update_fn(r: Reader, a: list[Thunk], site: Site) -> Val:
    return _recursive_update(_attrs(a[0]), _attrs(a[1]), site)


@_lib("mergeAttrsList", 1)
def _merge_attrs_list(r: Reader, a: list[Thunk], site: Site) -> Val:
    out = Attrs(site[0], site[1])
    for t in _list(a[0]).items:
        out = update(out, _attrs(t), site)
    return out


@_lib("optionalAttrs", 2)
def _optional_attrs(r: Reader, a: list[Thunk], site: Site) -> Val:
    if _boolv(a[0]):
        return a[1].force()
    return Attrs(site[0], site[1])


@_lib("zipAttrsWith", 2)
def _zip_attrs_with(r: Reader, a: list[Thunk], site: Site) -> Val:
    f = _force(a[0])
    sets = [_attrs(t) for t in _list(a[1]).items]
    order: dict[str, Scalar] = {}
    for s in sets:
        for n in names_of(s):
            order.setdefault(n, _key(s, n))
    out = Attrs(site[0], site[1])
    for n in sorted(order, key=lambda k: k.encode("utf-8")):
        vals = ListV(site[0], site[1], [_value(s, n) for s in sets if n in s.fields])
        key = order[n]
        out.add(n, Field(key.src, key.node, _later(r, f, [ready(key), ready(vals)], site)))
    return out


@_lib("foldAttrs", 3)
def _fold_attrs(r: Reader, a: list[Thunk], site: Site) -> Val:
    f = _force(a[0])
    sets = [_attrs(t) for t in _list(a[2]).items]
    acc: dict[str, tuple[Scalar, Thunk]] = {}
    for s in reversed(sets):
        for n in names_of(s):
            prev = acc[n][1] if n in acc else a[1]
            acc[n] = (_key(s, n), _later(r, f, [_value(s, n), prev], site))
    out = Attrs(site[0], site[1])
    for n in sorted(acc, key=lambda k: k.encode("utf-8")):
        out.add(n, Field(acc[n][0].src, acc[n][0].node, acc[n][1]))
    return out


# -- lists ------------------------------------------------------------------------------------


@_reg("map", 2)
def _map(r: Reader, a: list[Thunk], site: Site) -> Val:
    f = _force(a[0])
    return ListV(site[0], site[1], [_later(r, f, [t], site) for t in _list(a[1]).items])


@_lib("forEach", 2)
def _for_each(r: Reader, a: list[Thunk], site: Site) -> Val:
    return _map(r, [a[1], a[0]], site)


@_reg("filter", 2)
def _filter(r: Reader, a: list[Thunk], site: Site) -> Val:
    f = _force(a[0])
    items = [t for t in _list(a[1]).items if _boolv(_call(r, f, [t], site))]
    return ListV(site[0], site[1], items)


@_reg("concatMap", 2)
def _concat_map(r: Reader, a: list[Thunk], site: Site) -> Val:
    f = _force(a[0])
    items: list[Thunk] = []
    for t in _list(a[1]).items:
        items.extend(_list(_call(r, f, [t], site)).items)
    return ListV(site[0], site[1], items)


@_reg("concatLists", 1)
def _concat_lists(r: Reader, a: list[Thunk], site: Site) -> Val:
    items: list[Thunk] = []
    for t in _list(a[0]).items:
        items.extend(_list(t).items)
    return ListV(site[0], site[1], items)


@_reg("foldl'", 3)
def _foldl(r: Reader, a: list[Thunk], site: Site) -> Val:
    f = _force(a[0])
    acc = a[1]
    for t in _list(a[2]).items:
        acc = ready(_call(r, f, [acc, t], site))
    return acc.force()


@_lib("foldr", 3)
def _foldr(r: Reader, a: list[Thunk], site: Site) -> Val:
    f = _force(a[0])
    acc = a[1]
    for t in reversed(_list(a[2]).items):
        acc = ready(_call(r, f, [t, acc], site))
    return acc.force()


@_lib("optional", 2)
def _optional(r: Reader, a: list[Thunk], site: Site) -> Val:
    return ListV(site[0], site[1], [a[1]] if _boolv(a[0]) else [])


@_lib("optionals", 2)
def _optionals(r: Reader, a: list[Thunk], site: Site) -> Val:
    return a[1].force() if _boolv(a[0]) else ListV(site[0], site[1], [])


@_reg("elem", 2)
def _elem(r: Reader, a: list[Thunk], site: Site) -> Val:
    x = a[0].force()
    return Scalar(site[0], site[1], any(equal(x, t.force()) for t in _list(a[1]).items))


@_reg("length", 1)
def _length(r: Reader, a: list[Thunk], site: Site) -> Val:
    return Scalar(site[0], site[1], len(_list(a[0]).items))


@_reg("head", 1)
def _head(r: Reader, a: list[Thunk], site: Site) -> Val:
    items = _list(a[0]).items
    if not items:
        raise Unknown("the head of an empty list")
    return items[0].force()


@_reg("tail", 1)
def _tail(r: Reader, a: list[Thunk], site: Site) -> Val:
    items = _list(a[0]).items
    if not items:
        raise Unknown("the tail of an empty list")
    return ListV(site[0], site[1], items[1:])


@_lib("last", 1)
def _last(r: Reader, a: list[Thunk], site: Site) -> Val:
    items = _list(a[0]).items
    if not items:
        raise Unknown("the last element of an empty list")
    return items[-1].force()


@_reg("elemAt", 2)
def _elem_at(r: Reader, a: list[Thunk], site: Site) -> Val:
    items, i = _list(a[0]).items, _int(a[1])
    if not 0 <= i < len(items):
        raise Unknown(f"index {i} out of bounds")
    return items[i].force()


@_reg("genList", 2)
def _gen_list(r: Reader, a: list[Thunk], site: Site) -> Val:
    f, n = _force(a[0]), _int(a[1])
    if n > 100_000:
        raise Unknown("a list too long to build here")
    items = [_later(r, f, [ready(Scalar(site[0], site[1], i))], site) for i in range(max(n, 0))]
    return ListV(site[0], site[1], items)


@_lib("range", 2)
def _range(r: Reader, a: list[Thunk], site: Site) -> Val:
    lo, hi = _int(a[0]), _int(a[1])
    if hi - lo > 100_000:
        raise Unknown("a list too long to build here")
    return ListV(site[0], site[1], [ready(Scalar(site[0], site[1], i)) for i in range(lo, hi + 1)])


@_lib("reverseList", 1)
def _reverse_list(r: Reader, a: list[Thunk], site: Site) -> Val:
    return ListV(site[0], site[1], list(reversed(_list(a[0]).items)))


@_lib("unique", 1)
def _unique(r: Reader, a: list[Thunk], site: Site) -> Val:
    out: list[Thunk] = []
    for t in _list(a[0]).items:
        v = t.force()
        if not any(equal(v, o.force()) for o in out):
            out.append(t)
    return ListV(site[0], site[1], out)


@_lib("flatten", 1)
def _flatten(r: Reader, a: list[Thunk], site: Site) -> Val:
    out: list[Thunk] = []
    stack: list[tuple[list[Thunk], int]] = [([a[0]], 0)]
    while stack:
        items, i = stack.pop()
        if i >= len(items):
            continue
        stack.append((items, i + 1))
        v = items[i].force()
        if isinstance(v, ListV):
            if len(stack) > 1000:
                raise Unknown(STOPPED_DEEP)
            stack.append((v.items, 0))
        elif isinstance(v, Opaque) and not isinstance(v, (Override, If, Merge)):
            raise Unknown(v.what)
        else:
            out.append(items[i])
    return ListV(site[0], site[1], out)


@_reg("all", 2)
def _all(r: Reader, a: list[Thunk], site: Site) -> Val:
    f = _force(a[0])
    res = all(_boolv(_call(r, f, [t], site)) for t in _list(a[1]).items)
    return Scalar(site[0], site[1], res)


@_reg("any", 2)
def _any(r: Reader, a: list[Thunk], site: Site) -> Val:
    f = _force(a[0])
    res = any(_boolv(_call(r, f, [t], site)) for t in _list(a[1]).items)
    return Scalar(site[0], site[1], res)


@_reg("sort", 2)
def _sort(r: Reader, a: list[Thunk], site: Site) -> Val:
    f = _force(a[0])

    def cmp(x: Thunk, y: Thunk) -> int:
        if _boolv(_call(r, f, [x, y], site)):
            return -1
        if _boolv(_call(r, f, [y, x], site)):
            return 1
        return 0

    items = sorted(_list(a[1]).items, key=functools.cmp_to_key(cmp))
    return ListV(site[0], site[1], items)


@_lib("take", 2)
def _take(r: Reader, a: list[Thunk], site: Site) -> Val:
    return ListV(site[0], site[1], _list(a[1]).items[: max(_int(a[0]), 0)])


@_lib("drop", 2)
def _drop(r: Reader, a: list[Thunk], site: Site) -> Val:
    return ListV(site[0], site[1], _list(a[1]).items[max(_int(a[0]), 0) :])


# -- strings ----------------------------------------------------------------------------------


@_reg("toString", 1)
def _to_string(r: Reader, a: list[Thunk], site: Site) -> Val:
    return Scalar(site[0], site[1], to_string(a[0].force()))


@_lib("hasPrefix", 2)
def _has_prefix(r: Reader, a: list[Thunk], site: Site) -> Val:
    return Scalar(site[0], site[1], _str(a[1]).startswith(_str(a[0])))


@_lib("hasSuffix", 2)
def _has_suffix(r: Reader, a: list[Thunk], site: Site) -> Val:
    return Scalar(site[0], site[1], _str(a[1]).endswith(_str(a[0])))


@_lib("removePrefix", 2)
def _remove_prefix(r: Reader, a: list[Thunk], site: Site) -> Val:
    p, s = _str(a[0]), _str(a[1])
    return Scalar(site[0], site[1], s[len(p) :] if s.startswith(p) else s)


@_lib("removeSuffix", 2)
def _remove_suffix(r: Reader, a: list[Thunk], site: Site) -> Val:
    p, s = _str(a[0]), _str(a[1])
    return Scalar(site[0], site[1], s[: len(s) - len(p)] if p and s.endswith(p) else s)


_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


@_lib("toLower", 1)
def _to_lower(r: Reader, a: list[Thunk], site: Site) -> Val:
    return Scalar(site[0], site[1], _str(a[0]).translate(_LOWER))


@_lib("toUpper", 1)
def _to_upper(r: Reader, a: list[Thunk], site: Site) -> Val:
    return Scalar(site[0], site[1], _str(a[0]).translate(_UPPER))


@_lib("concatStrings", 1)
def _concat_strings(r: Reader, a: list[Thunk], site: Site) -> Val:
    return Scalar(site[0], site[1], "".join(_str(t) for t in _list(a[0]).items))


@_reg("concatStringsSep", 2)
def _concat_strings_sep(r: Reader, a: list[Thunk], site: Site) -> Val:
    sep = _str(a[0])
    return Scalar(site[0], site[1], sep.join(_str(t) for t in _list(a[1]).items))


@_lib("concatMapStrings", 2)
def _concat_map_strings(r: Reader, a: list[Thunk], site: Site) -> Val:
    f = _force(a[0])
    parts = [_str(_call(r, f, [t], site)) for t in _list(a[1]).items]
    return Scalar(site[0], site[1], "".join(parts))


@_lib("concatMapStringsSep", 3)
def _concat_map_strings_sep(r: Reader, a: list[Thunk], site: Site) -> Val:
    sep, f = _str(a[0]), _force(a[1])
    parts = [_str(_call(r, f, [t], site)) for t in _list(a[2]).items]
    return Scalar(site[0], site[1], sep.join(parts))


@_lib("optionalString", 2)
def _optional_string(r: Reader, a: list[Thunk], site: Site) -> Val:
    return Scalar(site[0], site[1], _str(a[1]) if _boolv(a[0]) else "")


@_lib("splitString", 2)
def _split_string(r: Reader, a: list[Thunk], site: Site) -> Val:
    sep, s = _str(a[0]), _str(a[1])
    if not sep:
        raise Unknown("an empty separator")
    parts = [ready(Scalar(site[0], site[1], p)) for p in s.split(sep)]
    return ListV(site[0], site[1], parts)


@_reg("replaceStrings", 3)
def _replace_strings(r: Reader, a: list[Thunk], site: Site) -> Val:
    old = [_str(t) for t in _list(a[0]).items]
    new = [_str(t) for t in _list(a[1]).items]
    s = _str(a[2])
    if len(old) != len(new) or "" in old:
        raise Unknown("lists of different lengths or an empty pattern")
    out: list[str] = []
    i = 0
    while i < len(s):
        for o, n in zip(old, new, strict=True):
            if s.startswith(o, i):
                out.append(n)
                i += len(o)
                break
        else:
            out.append(s[i])
            i += 1
    return Scalar(site[0], site[1], "".join(out))


@_reg("stringLength", 1)
def _string_length(r: Reader, a: list[Thunk], site: Site) -> Val:
    return Scalar(site[0], site[1], len(_str(a[0]).encode("utf-8")))


@_lib("boolToString", 1)
def _bool_to_string(r: Reader, a: list[Thunk], site: Site) -> Val:
    return Scalar(site[0], site[1], "true" if _boolv(a[0]) else "false")


@_reg("baseNameOf", 1)
def _base_name_of(r: Reader, a: list[Thunk], site: Site) -> Val:
    v = _force(a[0])
    s = abs_path(v) if isinstance(v, Scalar) and v.is_path else _str(v)
    return Scalar(site[0], site[1], os.path.basename(s.rstrip("/")))


@_reg("dirOf", 1)
def _dir_of(r: Reader, a: list[Thunk], site: Site) -> Val:
    v = _force(a[0])
    if isinstance(v, Scalar) and v.is_path:
        return Scalar(site[0], site[1], os.path.dirname(abs_path(v)), True)
    s = _str(v)
    return Scalar(site[0], site[1], os.path.dirname(s) if "/" in s else ".")


@_reg("fromJSON", 1)
def _from_json(r: Reader, a: list[Thunk], site: Site) -> Val:
    try:
        data = json.loads(_str(a[0]))
    except (ValueError, RecursionError):
        raise Unknown("a string that is not JSON") from None
    return _json_val(data, site, 0)


def _json_val(x: Any, site: Site, depth: int) -> Val:
    if depth > 500:
        raise Unknown(STOPPED_DEEP)
    if isinstance(x, dict):
        out = Attrs(site[0], site[1])
        for k, v in x.items():
            out.fields[k] = [Field(site[0], site[1], ready(_json_val(v, site, depth + 1)))]
        return out
    if isinstance(x, list):
        return ListV(site[0], site[1], [ready(_json_val(v, site, depth + 1)) for v in x])
    return Scalar(site[0], site[1], x)


# -- types and trivial ------------------------------------------------------------------------


def _is(kind: str) -> Impl:
    def impl(r: Reader, a: list[Thunk], site: Site) -> Val:
        return Scalar(site[0], site[1], type_of(a[0].force()) == kind)

    return impl


for _n, _k in (
    ("isAttrs", "set"),
    ("isList", "list"),
    ("isString", "string"),
    ("isFunction", "lambda"),
    ("isBool", "bool"),
    ("isInt", "int"),
    ("isFloat", "float"),
    ("isPath", "path"),
    ("isNull", "null"),
):
    _reg(_n, 1)(_is(_k))


@_reg("typeOf", 1)
def _type_of(r: Reader, a: list[Thunk], site: Site) -> Val:
    return Scalar(site[0], site[1], type_of(a[0].force()))


@_lib("id", 1)
def _id(r: Reader, a: list[Thunk], site: Site) -> Val:
    return a[0].force()


@_lib("const", 2)
def _const(r: Reader, a: list[Thunk], site: Site) -> Val:
    return a[0].force()


@_lib("flip", 3)
def _flip(r: Reader, a: list[Thunk], site: Site) -> Val:
    return _call(r, a[0], [a[2], a[1]], site)


def _fails(word: str) -> Impl:
    def impl(r: Reader, a: list[Thunk], site: Site) -> Val:
        v = a[0].force()
        msg = v.value if isinstance(v, Scalar) and isinstance(v.value, str) else "…"
        return Opaque(site[0], site[1], f'a `{word}\' ("{msg[:80]}")')

    return impl


_reg("throw", 1)(_fails("throw"))
_reg("abort", 1)(_fails("abort"))


def _second(r: Reader, a: list[Thunk], site: Site) -> Val:
    return a[1].force()


for _n in ("trace", "seq", "deepSeq", "warn", "traceVal"):
    if _n == "traceVal":
        _lib(_n, 1)(_id)
    elif _n == "warn":
        _lib(_n, 2)(_second)
    else:
        _reg(_n, 2)(_second)


def _arith(op: str) -> Impl:
    def impl(r: Reader, a: list[Thunk], site: Site) -> Val:
        out = r.operate(op, _force(a[0]), _force(a[1]), site)
        if out is None:
            raise Unknown(f"arguments that `{op}' does not take")
        return out

    return impl


for _n, _op in (("add", "+"), ("sub", "-"), ("mul", "*"), ("div", "/")):
    _reg(_n, 2)(_arith(_op))


@_reg("lessThan", 2)
def _less_than(r: Reader, a: list[Thunk], site: Site) -> Val:
    return Scalar(site[0], site[1], compare(_force(a[0]), _force(a[1])) < 0)


# -- files ------------------------------------------------------------------------------------


def _path(th: Thunk) -> str:
    v = _force(th)
    if isinstance(v, Scalar) and v.is_path:
        return abs_path(v)
    if isinstance(v, Scalar) and isinstance(v.value, str) and os.path.isabs(v.value):
        return v.value
    raise Unknown(f"{_what(v)} where a path is expected")


@_reg("readDir", 1)
def _read_dir(r: Reader, a: list[Thunk], site: Site) -> Val:
    path = _path(a[0])
    entries = r.read_dir(path)
    if entries is None:
        raise Unknown(f"a directory outside the clan or missing ({path})")
    out = Attrs(site[0], site[1])
    for name in sorted(entries):
        out.add(name, Field(site[0], site[1], ready(Scalar(site[0], site[1], entries[name]))))
    return out


@_reg("pathExists", 1)
def _path_exists(r: Reader, a: list[Thunk], site: Site) -> Val:
    path = _path(a[0])
    exists = r.path_exists(path)
    if exists is None:
        raise Unknown(f"a path outside the clan ({path})")
    return Scalar(site[0], site[1], exists)


def _path_type(r: Reader, path: str) -> str | None:
    """``regular``, ``directory``, ``symlink``, ``unknown`` or ``missing`` (None: may
    not be looked at)."""
    parent, name = os.path.split(os.path.normpath(path))
    entries = r.read_dir(parent)
    if entries is None:
        # a parent that exists but is no folder (`./file.nix/x`): the path is missing
        return None if r.path_exists(parent) is None else "missing"
    return entries.get(name, "missing")


def _path_is(wanted: str) -> Impl:
    def impl(r: Reader, a: list[Thunk], site: Site) -> Val:
        path = _path(a[0])
        kind = _path_type(r, path)
        if kind is None:
            raise Unknown(f"a path outside the clan ({path})")
        return Scalar(site[0], site[1], kind == wanted)

    return impl


_lib("pathIsRegularFile", 1)(_path_is("regular"))
_lib("pathIsDirectory", 1)(_path_is("directory"))


@_reg("readFile", 1)
def _read_file(r: Reader, a: list[Thunk], site: Site) -> Val:
    path = _path(a[0])
    text = r.read_file(path)
    if text is None:
        raise Unknown(f"a file outside the clan or missing ({path})")
    return Scalar(site[0], site[1], text)


@_reg("import", 1, lib=False)
def _import(r: Reader, a: list[Thunk], site: Site) -> Val:
    return r.import_value(a[0].force(), site)


@_lib("importApply", 2)
def _import_apply(r: Reader, a: list[Thunk], site: Site) -> Val:
    mod = r.import_value(a[0].force(), site)
    if isinstance(mod, Opaque):
        return mod
    if not isinstance(mod, Lambda):
        raise Unknown(f"a file that is {_what(mod)}, not a function")
    return r.call_value(mod, a[1], site)


# -- the module system --------------------------------------------------------------------------


def _override(prio: int | None) -> Impl:
    def impl(r: Reader, a: list[Thunk], site: Site) -> Val:
        if prio is None:
            return Override(site[0], site[1], _int(a[0]), a[1])
        return Override(site[0], site[1], prio, a[0])

    return impl


_lib("mkOverride", 2)(_override(None))
for _n, _p in (
    ("mkDefault", 1000),
    ("mkForce", 50),
    ("mkOptionDefault", 1500),
    ("mkImageMediaOverride", 60),
    ("mkVMOverride", 10),
):
    _lib(_n, 1)(_override(_p))


@_lib("mkIf", 2)
def _mk_if(r: Reader, a: list[Thunk], site: Site) -> Val:
    cond = a[0].force()
    if isinstance(cond, Scalar) and isinstance(cond.value, bool):
        return If(site[0], site[1], cond.value, a[1])
    if isinstance(cond, Opaque):
        return Opaque(site[0], site[1], f"a `mkIf' whose condition cannot be read ({cond.what})")
    raise Unknown(f"{_what(cond)} where a Boolean is expected")


@_lib("mkMerge", 1)
def _mk_merge(r: Reader, a: list[Thunk], site: Site) -> Val:
    return Merge(site[0], site[1], list(_list(a[0]).items))


@_lib("mkOrder", 2)
def _mk_order(r: Reader, a: list[Thunk], site: Site) -> Val:
    return a[1].force()


_lib("mkBefore", 1)(_id)
_lib("mkAfter", 1)(_id)
