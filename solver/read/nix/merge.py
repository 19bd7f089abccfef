"""Merge: definitions of the inventory from every source, merged the way clan-core's
module system merges them (attribute sets recursively, lists concatenated, equal scalars
only, ``settings`` defined once), with the location of every value kept for findings.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

from solver.location import Definition, Location, Part, Path, format_path
from solver.read.nix.eval import (
    Attrs,
    Field,
    If,
    Lambda,
    ListV,
    Merge,
    Opaque,
    Override,
    PlacedField,
    Scalar,
    Thunk,
    ready,
)

if TYPE_CHECKING:
    from solver.diagnostics import Diagnostic, Severity
    from solver.read.json_reader import JsonLocator
    from solver.read.nix.parse import Src


class _Missing:
    pass


MISSING = _Missing()
_MODULE_KEYS = ("imports", "_file", "_class", "key", "config", "options", "disabledModules")


class JsonOrigin:
    """A value read from ``inventory.json`` at `jpath`."""

    __slots__ = ("jpath", "locator")

    def __init__(self, locator: JsonLocator, jpath: Path) -> None:
        self.locator = locator
        self.jpath = jpath


class JsonV:
    """A value of ``inventory.json`` taking part in the merge."""

    __slots__ = ("data", "origin")

    def __init__(self, data: Any, origin: JsonOrigin) -> None:
        self.data = data
        self.origin = origin


Origin = Any  # Field | JsonOrigin | _Unwrapped | None
Def = tuple[Origin, Any, int]  # (origin of the key, Val | Thunk | JsonV, definition id)
# a kept definition: origin, value (no wrapper), definition id, the overrides left around
# it (outermost first; pushed down to its attributes)
_Val = tuple[Origin, Any, int, tuple[Override, ...]]
PLAIN_PRIO = 100  # the priority of a definition without `mkOverride' (lib.modules)


class _Unwrapped:
    """The origin of a value taken out of ``mkIf`` / ``mkMerge`` / ``mkOverride``: the key
    of the definition, and the outermost wrapper, whose location stands in for the
    value's when the value has none."""

    __slots__ = ("origin", "wrapper")

    def __init__(self, origin: Origin, wrapper: Any) -> None:
        self.origin = origin
        self.wrapper = wrapper

    def key_location(self) -> Location | None:
        o = self.origin
        return o.key_location() if o is not None and hasattr(o, "key_location") else None


def _unwrapped(origin: Origin, wrapper: Any) -> Origin:
    return origin if isinstance(origin, _Unwrapped) else _Unwrapped(origin, wrapper)


_SETS = ("attrset_expression", "rec_attrset_expression")


class ClanLocator:
    """Maps inventory paths to the Nix binding, JSON key or directory that defines them."""

    def __init__(self) -> None:
        self.entries: dict[Path, tuple[Origin, Any]] = {}
        # every definition of a path defined in several places (entries has the first)
        self.more: dict[Path, list[tuple[Origin, Any]]] = {}
        self._texts: dict[int, tuple[str, bool]] = {}
        self._defs: dict[Path, list[Definition] | None] = {}

    # -- editable spans (``inventory-solver fix``) -------------------------------------
    def definitions(self, path: Path) -> list[Definition] | None:
        """Every definition of `path`, with its spans, and whether its key and value are
        written where they are defined (see :class:`~solver.location.Definition`)."""
        if path in self._defs:
            return self._defs[path]
        got = self._definitions(path)
        self._defs[path] = got
        return got

    def _definitions(self, path: Path) -> list[Definition] | None:
        for cut in range(len(path), -1, -1):
            entry = self.entries.get(path[:cut])
            if entry is None:
                continue
            if isinstance(entry[0], JsonOrigin) and (cut < len(path) or path not in self.more):
                return entry[0].locator.definitions(entry[0].jpath + path[cut:])
            if cut != len(path):
                return None
            out: list[Definition] = []
            for origin, val in self.more.get(path) or [entry]:
                if isinstance(origin, JsonOrigin):
                    got = origin.locator.definitions(origin.jpath)
                    if got is None:
                        return None
                    out.extend(got)
                    continue
                one = self._nix_definition(path, origin, val)
                if one is None:
                    return None
                out.append(one)
            return out
        return None

    def _text(self, src: Any) -> tuple[str, bool]:
        got = self._texts.get(id(src))
        if got is None:
            text = src.data.decode("utf-8", "replace")
            got = (text, len(text) == len(src.data))
            self._texts[id(src)] = got
        return got

    def _span(self, src: Any, node: Any) -> tuple[int, int]:
        if self._text(src)[1]:
            return (node.start_byte, node.end_byte)
        data = src.data
        start = len(data[: node.start_byte].decode("utf-8", "replace"))
        return (
            start,
            start + len(data[node.start_byte : node.end_byte].decode("utf-8", "replace")),
        )

    def _nix_definition(self, path: Path, origin: Origin, val: Any) -> Definition | None:
        wrapped = None
        while isinstance(origin, _Unwrapped):
            wrapped = wrapped or origin.wrapper
            origin = origin.origin
        if isinstance(origin, PlacedField):
            return Definition(
                origin.loc.file, "", "nix", (0, 0), computed=origin.loc, key_computed=origin.loc
            )
        if origin is None:
            return self._element(path, val)
        if not isinstance(origin, Field) or origin.key is None or origin.key_src is None:
            return None
        src, k = origin.key_src, origin.key
        text = self._text(src)[0]
        here = src.location(k)
        vloc = val.location() if hasattr(val, "location") else None
        if k.parent is None or k.parent.type != "attrpath":  # inherit, genAttrs, ...
            sp = self._span(src, k)
            return Definition(
                src.display, text, "nix", sp, key=sp, computed=vloc or here, key_computed=here
            )
        apath = k.parent
        binding = apath.parent
        attrs = apath.children_by_field_name("attr")
        idx = next(i for i, a in enumerate(attrs) if a.id == k.id)
        last = idx == len(attrs) - 1
        ks = self._span(src, k)
        prefix = text[self._span(src, apath)[0] : ks[0]]
        literal = k.type == "identifier" or (
            k.type == "string_expression"
            and all(c.type == "string_fragment" for c in k.named_children)
        )
        key_computed = None if literal else here
        if key_computed is None:
            enclosing = binding.parent.parent if binding.parent is not None else None
            cut = len(path) - 1 - idx  # the attribute path may start above the inventory
            key_computed = self._set_direct(path[: max(cut, 0)], src, enclosing, here)
        value = None
        computed = None
        if last:
            expr = binding.child_by_field_name("expression")
            value = self._span(src, expr)
            node = getattr(val, "node", None)
            inner = expr
            while inner.type == "parenthesized_expression" and inner.named_child_count == 1:
                inner = inner.named_children[0]
            direct = (
                wrapped is None
                and node is not None
                and getattr(val, "src", None) is src
                and node.id in (expr.id, inner.id)
            ) or (wrapped is None and node is not None and _file_value(node))
            if not direct:
                computed = vloc or src.location(expr)
            if computed is None and key_computed is not None:
                computed = key_computed
        return Definition(
            src.display,
            text,
            "nix",
            self._span(src, binding),
            key=ks,
            value=value,
            prefix=prefix,
            computed=computed,
            key_computed=key_computed,
        )

    def _set_direct(self, base: Path, src: Src, node: Any, here: Location) -> Location | None:
        """None when the attribute set `node` (which holds a binding) is written as the
        value of `base` (itself written where it is defined); else where it is computed."""
        if not base:
            return None
        if node is None or node.type not in _SETS:
            return here if node is None else src.location(node, False)
        entry = self.entries.get(base)
        if entry is None:
            return src.location(node, False)
        # an operand of `//' (the attribute came from this operand: it won)
        ids = {node.id}
        up = node
        while up.parent is not None and (
            up.parent.type == "parenthesized_expression"
            or (up.parent.type == "binary_expression" and _operator(src, up.parent) == "//")
        ):
            up = up.parent
            ids.add(up.id)
        for origin, val in self.more.get(base) or [entry]:
            if getattr(val, "node", None) is not None and val.node.id in ids and val.src is src:
                if isinstance(origin, JsonOrigin):
                    return None
                mine = self._nix_definition(base, origin, val)
                return None if mine is None else mine.computed
        return src.location(node, False)

    def _element(self, path: Path, val: Any) -> Definition | None:
        node = getattr(val, "node", None)
        src: Src | None = getattr(val, "src", None)
        if node is None or src is None or not path or not isinstance(path[-1], int):
            return None
        text = self._text(src)[0]
        sp = self._span(src, node)
        lst = node.parent
        here = src.location(node)
        if lst is None or lst.type != "list_expression":
            return Definition(src.display, text, "nix", sp, value=sp, computed=here)
        up = lst
        while up.parent is not None and (
            up.parent.type == "parenthesized_expression"
            or (up.parent.type == "binary_expression" and _operator(src, up.parent) == "++")
        ):
            up = up.parent
        computed: Location | None = src.location(lst, False)
        parent = path[:-1]
        entry = self.entries.get(parent)
        if entry is not None:
            for origin, pval in self.more.get(parent) or [entry]:
                pnode = getattr(pval, "node", None)
                if pnode is None or id(getattr(pval, "src", None)) != id(src):
                    continue
                if pnode.id in (lst.id, up.id):
                    mine = self._nix_definition(parent, origin, pval)
                    computed = src.location(lst, False) if mine is None else mine.computed
                    break
        return Definition(
            src.display,
            text,
            "nix",
            sp,
            value=sp,
            container=self._span(src, lst),
            computed=computed,
        )

    def locate(self, path: Path, part: Part = "key") -> Location | None:
        for cut in range(len(path), -1, -1):
            entry = self.entries.get(path[:cut])
            if entry is None:
                continue
            origin, val = entry
            if isinstance(origin, JsonOrigin):
                return origin.locator.locate(origin.jpath + path[cut:], part)
            key = origin.key_location() if origin is not None else None
            value = val.location() if hasattr(val, "location") else None
            if value is None and isinstance(origin, _Unwrapped):
                value = origin.wrapper.location()
            if cut == len(path) and part == "key":
                return key or value
            return value or key
        return None


def _file_value(node: Any) -> bool:
    """Whether `node` is the value of a whole file (``import ./x.nix``), or the body of
    the function a file is (``import ./x.nix { … }``, a flake-parts module), or of its
    ``let … in`` (never a binding of the ``let``, whose parent is a binding)."""
    up = node.parent
    while up is not None and up.type in ("function_expression", "let_expression"):
        up = up.parent
    return up is not None and up.type == "source_code"


def _operator(src: Any, node: Any) -> str:
    op = node.child_by_field_name("operator")
    return "" if op is None else str(src.text(op))


# -- where membership is decided --------------------------------------------------------


def _membership(path: Path) -> str | None:
    """What an unreadable value at `path` (or an unreadable attribute name under it) hides
    from the membership check, or None when it decides no membership."""
    p = [k for k in path if isinstance(k, str)]
    n = len(p)
    if n == 0:
        return "membership is not checked"
    if p[0] == "machines":
        if n == 1:
            return "the machine set is not checked"
        if n == 2 or p[2] == "tags":
            return f"membership of machine `{p[1]}' in tags is not checked"
        return None
    if p[0] == "tags":
        return (
            "membership of tags is not checked"
            if n == 1
            else (f"membership of tag `{p[1]}' is not checked")
        )
    if p[0] == "instances":
        if n == 1:
            return "membership of every instance is not checked"
        if n == 2 or (n == 3 and p[2] == "roles"):
            return f"membership of the roles of instance `{p[1]}' is not checked"
        if p[2] == "roles" and (n == 4 or (n == 5 and p[4] in ("machines", "tags"))):
            return f"membership of role `{p[3]}' of instance `{p[1]}' is not checked"
        return None
    if p[0] == "services":  # legacy: services.<module>.<instance>.roles.<r>.{machines,tags}
        if n <= 3:
            return "membership of legacy services is not checked"
        if p[3] == "machines" and n == 4:
            return f"membership of legacy service instance `{p[2]}' is not checked"
        if p[3] == "roles" and (n <= 5 or (n == 6 and p[5] in ("machines", "tags"))):
            return f"membership of legacy service instance `{p[2]}' is not checked"
    return None


def _is_settings(path: Path) -> bool:
    return (
        len(path) >= 4
        and path[0] == "instances"
        and path[-1] == "settings"
        and path[-3] in ("roles", "machines", "tags")
    )


def _inside_settings(path: Path, at: bool = False) -> bool:
    """Whether `path` is strictly inside a ``settings`` value (or, with `at`, is one)."""
    if "settings" not in path:
        return False
    return any(_is_settings(path[:k]) for k in range(4, len(path) + (1 if at else 0)))


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


# -- the merge ---------------------------------------------------------------------------


def _scalar_data(v: Scalar) -> Any:
    """A scalar as inventory data. A relative path literal (`./users/ssh.pub`) is what Nix
    makes of it: an absolute path, resolved against the directory of its file, so that it
    is a value of type `path` (clan-core sees it in the store, also absolute)."""
    value = v.value
    if v.is_path and v.src is not None and isinstance(value, str) and value.startswith("."):
        return os.path.normpath(os.path.join(os.path.abspath(v.src.dir), value))
    return value


class Merger:
    def __init__(self) -> None:
        self.locator = ClanLocator()
        self.notes: list[Diagnostic] = []
        self.errors: list[Diagnostic] = []
        self._next_mid = -(1 << 20)  # ids of `mkMerge' items (clan module ids are > 0)

    def _diag(
        self,
        severity: Severity,
        code: str,
        message: str,
        path: Path,
        loc: Location | None,
        related: tuple[Any, ...] = (),
        hint: str | None = None,
        args: dict[str, Any] | None = None,
    ) -> Diagnostic:
        from solver.diagnostics import Diagnostic

        return Diagnostic(
            code=code,
            severity=severity,
            message=message,
            path=format_path(path),
            location=loc,
            related=related,
            hint=hint,
            args=args or {},
        )

    def opaque(self, path: Path, what: str, loc: Location | None, parent: bool = False) -> None:
        if "extraModules" in path:
            # NixOS module code (`inputs.self.nixosModules.x`, `{ config, ... }: { … }`):
            # clan-core passes it through and nothing here reads it; a note per module
            # would only be noise.
            return
        shown = "inventory" + ("." + format_path(path) if path else "")
        member = _membership(path)
        if parent:
            msg = f"an attribute name under `{shown}' could not be read statically ({what})"
        else:
            msg = f"`{shown}' could not be read statically ({what}); it is left out"
        if member:
            msg += f"; {member}"
        self.notes.append(
            self._diag(
                "info",
                "opaque-value",
                msg,
                path,
                loc,
                hint="write plain data here, or run with --eval to let Nix evaluate the clan",
                args={"inventory_path": list(path), "membership": member is not None},
            )
        )

    @staticmethod
    def _def_location(origin: Origin, val: Any, path: Path) -> Location | None:
        if isinstance(val, JsonV):
            return val.origin.locator.locate(val.origin.jpath, "value")
        loc = val.location() if hasattr(val, "location") else None
        if loc is None and isinstance(origin, _Unwrapped):
            loc = origin.wrapper.location()
        if loc is None and origin is not None and hasattr(origin, "key_location"):
            loc = origin.key_location()
        return loc

    def merge(self, path: Path, defs: list[Def]) -> Any:
        """The merged value of the definitions `defs` of `path`, as clan-core's module
        system gives it (``lib/modules.nix``): ``mkMerge`` / ``mkIf`` are discharged,
        then only the definitions with the lowest priority number are kept (plain = 100)
        and merged. A wrapper left inside a kept definition (``mkForce (mkDefault {…})``)
        is pushed down to the attributes of its attribute set. Inside ``settings`` (a
        module clan-core evaluates later, per machine) an override keeps its JSON form
        ``{"_type": "override", "priority": P, "content": V}``.

        At the root (the inventory itself, merged here with the definitions of other
        clan options) nothing is dropped: an override around a whole inventory applies
        to each of its attributes."""
        if len(defs) == 1:  # fast path: one definition of a scalar
            origin, v, mid = defs[0]
            if isinstance(v, Thunk):
                v = v.force()
            if type(v) is Scalar:
                self.locator.entries.setdefault(path, (origin, v))
                return _scalar_data(v)
            defs = [(origin, v, mid)]
        if not path:
            vals: list[_Val] = []
            for origin, v, mid in defs:
                self._unwrap(path, origin, v, mid, (), vals)
            return self._combine(path, vals)
        return self._level(path, defs, None)

    def _level(self, path: Path, defs: list[Def], wrap: bool | None) -> Any:
        """`defs` discharged, filtered by priority and merged. `wrap`: whether a winning
        priority other than 100 is kept in its JSON form (None: when strictly inside
        ``settings``)."""
        level: list[tuple[Origin, Any, int, int]] = []
        plain = True
        for origin, v, mid in defs:
            if isinstance(v, Thunk):
                v = v.force()
            if isinstance(v, (Opaque, Lambda)):  # a wrapper, or unreadable
                self._discharge(path, origin, v, mid, level)
                plain = False
            else:
                level.append((origin, v, mid, PLAIN_PRIO))
        if plain:  # the common case: no wrapper
            return self._combine(path, [(o, v, m, ()) for o, v, m, _ in level])
        if not level:
            return MISSING
        best = min(x[3] for x in level)
        vals: list[_Val] = []
        for origin, v, mid, prio in level:
            if prio != best:
                continue  # overridden: dropped, as the module system does
            if isinstance(v, Override):
                self._unwrap(path, _unwrapped(origin, v), v.content, mid, (), vals)
            else:
                vals.append((origin, v, mid, ()))
        if best != PLAIN_PRIO and (wrap if wrap is not None else _inside_settings(path)):
            got = self._combine(path, vals)
            if got is MISSING:
                return MISSING
            return {"_type": "override", "priority": best, "content": got}
        return self._combine(path, vals)

    def _fresh(self) -> int:
        """A definition id for one item of a ``mkMerge`` (a definition of its own)."""
        self._next_mid -= 1
        return self._next_mid

    def _unreadable(self, path: Path, origin: Origin, v: Any) -> None:
        if path not in self.locator.entries:
            self.locator.entries[path] = (origin, v)
        if isinstance(v, Lambda):
            v = Opaque(v.src, v.node, "a function")
        self.opaque(path, v.what, v.location() or self._def_location(origin, v, path))

    def _discharge(
        self, path: Path, origin: Origin, v: Any, mid: int, out: list[tuple[Origin, Any, int, int]]
    ) -> None:
        """``dischargeProperties``: `v` as definitions with their priority (an override
        is kept whole: its content is read only if it wins)."""
        if isinstance(v, Thunk):
            v = v.force()
        if isinstance(v, Merge):
            o = _unwrapped(origin, v)
            for th in v.items:
                self._discharge(path, o, th, self._fresh(), out)
        elif isinstance(v, If):
            if v.cond:
                self._discharge(path, _unwrapped(origin, v), v.content, mid, out)
        elif isinstance(v, Override):
            out.append((origin, v, mid, v.prio))
        elif isinstance(v, (Lambda, Opaque)):
            self._unreadable(path, origin, v)
        else:
            out.append((origin, v, mid, PLAIN_PRIO))

    def _unwrap(
        self,
        path: Path,
        origin: Origin,
        v: Any,
        mid: int,
        res: tuple[Override, ...],
        out: list[_Val],
    ) -> None:
        """The content of a kept definition: ``mkMerge`` / ``mkIf`` discharged, the
        overrides still around it collected in `res` (outermost first)."""
        if isinstance(v, Thunk):
            v = v.force()
        if isinstance(v, Merge):
            o = _unwrapped(origin, v)
            for th in v.items:
                self._unwrap(path, o, th, self._fresh(), res, out)
        elif isinstance(v, If):
            if v.cond:
                self._unwrap(path, _unwrapped(origin, v), v.content, mid, res, out)
        elif isinstance(v, Override):
            self._unwrap(path, _unwrapped(origin, v), v.content, mid, (*res, v), out)
        elif isinstance(v, (Lambda, Opaque)):
            self._unreadable(path, origin, v)
        else:
            out.append((origin, v, mid, res))

    def _combine(self, path: Path, vals: list[_Val]) -> Any:
        """Merge the kept definitions `vals` of `path`."""
        entries = self.locator.entries
        if not vals:
            return MISSING
        if any(x[3] for x in vals) and _inside_settings(path, True):
            # overrides left inside a kept definition, in settings: values of the
            # settings module, which sees them per machine; kept in their JSON form
            again: list[Def] = []
            seen: set[int] = set()
            for origin, v, mid, res in vals:
                if not res:
                    again.append((origin, v, mid))
                elif id(res[0]) not in seen:
                    seen.add(id(res[0]))
                    again.append((origin, res[0], mid))
            return self._level(path, again, True)
        for origin, v, _mid, _res in vals:
            if path not in entries:
                entries[path] = (v.origin if isinstance(v, JsonV) else origin, v)
            break
        if len(vals) > 1 and path not in self.locator.more:
            self.locator.more[path] = [
                (v.origin if isinstance(v, JsonV) else origin, v) for origin, v, _m, _r in vals
            ]

        shown = "inventory" + ("." + format_path(path) if path else "") if len(vals) > 1 else ""
        if len(vals) > 1 and _is_settings(path) and len({x[2] for x in vals}) > 1:
            first = vals[0]
            from solver.diagnostics import Related

            others = [x for x in vals if x[2] != first[2]]
            self.errors.append(
                self._diag(
                    "error",
                    "duplicate-definition",
                    f"The option `{shown}' is defined multiple times while it's expected to be unique.",
                    path,
                    self._def_location(first[0], first[1], path),
                    tuple(
                        Related(
                            message="also defined here",
                            path=format_path(path),
                            location=self._def_location(o, v, path),
                        )
                        for o, v, _, _ in others
                    ),
                    hint="define the settings of a role, machine or tag in one place only",
                )
            )
            vals = [x for x in vals if x[2] == first[2]]
        kinds = {_kind(x[1]) for x in vals} if len(vals) > 1 else {_kind(vals[0][1])}
        if kinds == {"attrs"}:
            if len(vals) == 1 and isinstance(vals[0][1], JsonV):
                return vals[0][1].data  # one JSON subtree: nothing to merge or record
            children: dict[str, list[Def]] = {}
            for _origin, v, mid, res in vals:
                if isinstance(v, JsonV):
                    jo = v.origin
                    for k, x in v.data.items():
                        co = JsonOrigin(jo.locator, (*jo.jpath, k))
                        children.setdefault(k, []).append((co, JsonV(x, co), mid))
                    continue
                assert isinstance(v, Attrs)
                for name, fields in v.fields.items():
                    for f in fields:
                        th = f.value
                        for w in reversed(res):  # pushed down to each attribute
                            th = ready(Override(w.src, w.node, w.prio, th))
                        children.setdefault(name, []).append((f, th, mid))
                for dyn in v.dynamic:
                    self.opaque(path, dyn.what, dyn.src.location(dyn.node), parent=True)
            out: dict[str, Any] = {}
            for name, cdefs in children.items():
                r = self.merge((*path, name), cdefs)
                if r is not MISSING:
                    out[name] = r
            return out
        if len(kinds) == 1 and len(vals) > 1 and len({x[2] for x in vals}) < len(vals):
            self._already_defined(path, vals)
            vals = vals[:1]
        if kinds == {"list"}:
            items: list[Any] = []
            for _origin, v, mid, _res in vals:
                if isinstance(v, JsonV):
                    jo = v.origin
                    for j, x in enumerate(v.data):
                        co = JsonOrigin(jo.locator, (*jo.jpath, j))
                        entries.setdefault((*path, len(items)), (co, None))
                        items.append(x)
                    continue
                assert isinstance(v, ListV)
                for th in v.items:
                    r = self.merge((*path, len(items)), [(None, th, mid)])
                    if r is not MISSING:
                        items.append(r)
            return items
        if len(kinds) > 1:
            first_val = self.merge(path, [vals[0][:3]])
            self.errors.append(
                self._diag(
                    "error",
                    "conflicting-definition",
                    f"The option `{shown}' has conflicting definition values: "
                    f"{' and '.join(sorted(kinds))} definitions cannot be merged.",
                    path,
                    self._def_location(vals[0][0], vals[0][1], path),
                    self._defined_here(
                        path,
                        [
                            (o, v, _kind(v) if _kind(v) != "attrs" else "an attribute set")
                            for o, v, _, _ in vals[1:]
                        ],
                    ),
                    hint="define the value in one place, or give every definition the same type",
                )
            )
            return first_val
        values = [v.data if isinstance(v, JsonV) else _scalar_data(v) for _, v, _, _ in vals]
        first = values[0]
        differing = [
            (d, x) for d, x in zip(vals[1:], values[1:], strict=True) if not _equal(first, x)
        ]
        if differing:
            self.errors.append(
                self._diag(
                    "error",
                    "conflicting-definition",
                    f"The option `{shown}' has conflicting definition values: {_show(first)} and "
                    f"{_show(differing[0][1])}.",
                    path,
                    self._def_location(vals[0][0], vals[0][1], path),
                    self._defined_here(path, [(d[0], d[1], _show(x)) for d, x in differing]),
                    hint="define the value in one place, or give every definition the same value",
                )
            )
        return first

    def _defined_here(self, path: Path, defs: list[tuple[Origin, Any, str]]) -> tuple[Any, ...]:
        """Related locations "defined as <what> here" for the other definitions of `path`."""
        from solver.diagnostics import Related

        return tuple(
            Related(
                message=f"defined as {what} here",
                path=format_path(path),
                location=self._def_location(origin, v, path),
            )
            for origin, v, what in defs
        )

    def _already_defined(self, path: Path, vals: list[_Val]) -> None:
        from solver.diagnostics import Related

        seen: dict[int, tuple[Origin, Any]] = {}
        for origin, v, mid, _res in vals:
            if mid in seen:
                first = seen[mid]
                here = origin.key_location() if hasattr(origin, "key_location") else None
                there = first[0].key_location() if hasattr(first[0], "key_location") else None
                shown = "inventory." + format_path(path)
                self.errors.append(
                    self._diag(
                        "error",
                        "duplicate-attribute",
                        f"attribute `{shown}' already defined" + (f" at {there}" if there else ""),
                        path,
                        here or self._def_location(origin, v, path),
                        (
                            Related(
                                message="first defined here", path=format_path(path), location=there
                            ),
                        ),
                        hint="an attribute set may define an attribute only once",
                    )
                )
            else:
                seen[mid] = (origin, v)


def _kind(v: Any) -> str:
    if isinstance(v, Attrs):
        return "attrs"
    if isinstance(v, ListV):
        return "list"
    if isinstance(v, JsonV):
        if isinstance(v.data, dict):
            return "attrs"
        return "list" if isinstance(v.data, list) else "scalar"
    return "scalar"


def _equal(a: Any, b: Any) -> bool:
    return (type(a) is type(b) and a == b) or (
        isinstance(a, (int, float))
        and isinstance(b, (int, float))
        and not isinstance(a, bool)
        and not isinstance(b, bool)
        and a == b
    )
