"""Read a clan repository statically: ``flake.nix``/``clan.nix``, ``inventory.json`` and
``machines/`` directories, merged the way clan-core's module system merges them.

Where clan-core takes the inventory from (``clan-core-semantics.md`` §1.2):

* ``inventory`` of the clan attribute set (the argument of ``clan-core.lib.clan`` /
  ``lib.buildClan``, or the flake-parts ``clan = { … }`` module), and of every module it
  ``imports``; ``meta`` of the clan is ``inventory.meta``;
* ``inventory.json`` beside ``flake.nix``;
* every ``machines/<name>/`` directory and every ``machines.<name>`` of the clan (a NixOS
  configuration) adds ``inventory.machines.<name> = { }``.

Attribute sets merge recursively, lists concatenate, the same scalar defined twice must be
equal (else "conflicting definition values") and a ``settings`` block may be defined in
one place only ("defined multiple times while it's expected to be unique"). Values that
are not plain data are left out and reported as ``opaque-value`` notes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from solver.errors import InputError
from solver.location import Location, Part, Path, format_path
from solver.read import Loaded, display_name
from solver.read.nix_reader import (
    Attrs,
    Field,
    Lambda,
    ListV,
    Node,
    Opaque,
    PlacedField,
    Reader,
    Scalar,
    Src,
    Thunk,
    Val,
    get_attr,
    ready,
)

if TYPE_CHECKING:
    from solver.catalogue.model import ModuleSpec
    from solver.diagnostics import Diagnostic, Severity
    from solver.read.json_reader import JsonLocator


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


Origin = Any  # Field | JsonOrigin | None
Def = tuple[Origin, Any, int]  # (origin of the key, Val | Thunk | JsonV, definition id)


class ClanLocator:
    """Maps inventory paths to the Nix binding, JSON key or directory that defines them."""

    def __init__(self) -> None:
        self.entries: dict[Path, tuple[Origin, Any]] = {}

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
            if cut == len(path) and part == "key":
                return key or value
            return value or key
        return None


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
        if loc is None and origin is not None and hasattr(origin, "key_location"):
            loc = origin.key_location()
        return loc

    def merge(self, path: Path, defs: list[Def]) -> Any:
        entries = self.locator.entries
        if len(defs) == 1:  # fast path: one definition of a scalar
            origin, v, _ = defs[0]
            if isinstance(v, Thunk):
                v = v.force()
            if type(v) is Scalar:
                entries.setdefault(path, (origin, v))
                return _scalar_data(v)
            defs = [(origin, v, defs[0][2])]
        vals: list[tuple[Origin, Any, int]] = []
        for origin, v, mid in defs:
            if isinstance(v, Thunk):
                v = v.force()
            if path not in entries:
                entries[path] = (v.origin if isinstance(v, JsonV) else origin, v)
            if isinstance(v, Lambda):
                v = Opaque(v.src, v.node, "a function")
            if isinstance(v, Opaque):
                self.opaque(path, v.what, v.location() or self._def_location(origin, v, path))
                continue
            vals.append((origin, v, mid))
        if not vals:
            return MISSING

        shown = "inventory" + ("." + format_path(path) if path else "") if len(vals) > 1 else ""
        if len(vals) > 1 and _is_settings(path) and len({mid for _, _, mid in vals}) > 1:
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
                        for o, v, _ in others
                    ),
                    hint="define the settings of a role, machine or tag in one place only",
                )
            )
            vals = [x for x in vals if x[2] == first[2]]
        kinds = {_kind(v) for _, v, _ in vals} if len(vals) > 1 else {_kind(vals[0][1])}
        if kinds == {"attrs"}:
            if len(vals) == 1 and isinstance(vals[0][1], JsonV):
                return vals[0][1].data  # one JSON subtree: nothing to merge or record
            children: dict[str, list[Def]] = {}
            for _origin, v, mid in vals:
                if isinstance(v, JsonV):
                    jo = v.origin
                    for k, x in v.data.items():
                        co = JsonOrigin(jo.locator, (*jo.jpath, k))
                        children.setdefault(k, []).append((co, JsonV(x, co), mid))
                    continue
                assert isinstance(v, Attrs)
                for name, fields in v.fields.items():
                    for f in fields:
                        children.setdefault(name, []).append((f, f.value, mid))
                for dyn in v.dynamic:
                    self.opaque(path, dyn.what, dyn.src.location(dyn.node), parent=True)
            out: dict[str, Any] = {}
            for name, cdefs in children.items():
                r = self.merge((*path, name), cdefs)
                if r is not MISSING:
                    out[name] = r
            return out
        if len(kinds) == 1 and len(vals) > 1 and len({mid for _, _, mid in vals}) < len(vals):
            self._already_defined(path, vals)
            vals = vals[:1]
        if kinds == {"list"}:
            items: list[Any] = []
            for _origin, v, mid in vals:
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
            first_val = self.merge(path, [vals[0]])
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
                            for o, v, _ in vals[1:]
                        ],
                    ),
                    hint="define the value in one place, or give every definition the same type",
                )
            )
            return first_val
        values = [v.data if isinstance(v, JsonV) else _scalar_data(v) for _, v, _ in vals]
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

    def _already_defined(self, path: Path, vals: list[tuple[Origin, Any, int]]) -> None:
        from solver.diagnostics import Related

        seen: dict[int, tuple[Origin, Any]] = {}
        for origin, v, mid in vals:
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


# -- finding the clan --------------------------------------------------------------------


def _is_clan_call(src: Src, fnode: Node) -> bool:
    if fnode.type == "variable_expression":
        return src.text(fnode) in ("buildClan", "mkClan")
    if fnode.type != "select_expression":
        return False
    parts = [
        src.text(a) for a in fnode.child_by_field_name("attrpath").children_by_field_name("attr")
    ]
    if not parts:
        return False
    if parts[-1] == "buildClan":
        return True
    if parts[-1] == "clan":
        if len(parts) >= 2:
            return parts[-2] == "lib"
        base = fnode.child_by_field_name("expression")
        return base.type == "variable_expression" and src.text(base) == "lib"
    return False


def _under_inputs(src: Src, node: Node) -> bool:
    n = node.parent
    while n is not None:
        if n.type == "binding":
            first = n.child_by_field_name("attrpath").children_by_field_name("attr")
            if first and src.text(first[0]) == "inputs":
                return True
        n = n.parent
    return False


_QUERY: Any = None
_QUERY_TEXT = """
(apply_expression function: [(select_expression) (variable_expression)] @fn) @call
(binding attrpath: (attrpath . attr: (identifier) @first (#eq? @first "clan"))) @binding
"""


def _query_matches(src: Src) -> list[tuple[int, dict[str, list[Node]]]]:
    """Candidate clan calls and ``clan`` bindings of `src`, found by a tree-sitter query."""
    import tree_sitter as ts
    import tree_sitter_nix as tsn

    global _QUERY
    if _QUERY is None:
        _QUERY = ts.Query(ts.Language(tsn.language()), _QUERY_TEXT)
    return list(ts.QueryCursor(_QUERY).matches(src.tree.root_node))


def find_clan(reader: Reader, src: Src) -> list[Val]:
    """The clan modules defined in `src`: arguments of ``lib.clan`` calls, else the
    flake-parts ``clan`` definitions."""
    calls: list[Node] = []
    clan_bindings: list[Node] = []
    for _, match in _query_matches(src):
        if "call" in match:
            call = match["call"][0]
            if _is_clan_call(src, match["fn"][0]):
                calls.append(call)
        elif "binding" in match:
            b = match["binding"][0]
            if (
                b.parent is not None
                and b.parent.parent is not None
                and (b.parent.parent.type in ("attrset_expression", "rec_attrset_expression"))
            ):
                clan_bindings.append(b)
    if calls:
        out: list[Val] = []
        for call in sorted(calls, key=lambda n: n.start_byte):
            scope = reader.scope_at(src, call)
            out.append(reader.eval(src, call.child_by_field_name("argument"), scope))
        return out
    holder = Attrs(None, None)
    for b in sorted(clan_bindings, key=lambda n: n.start_byte):
        if _under_inputs(src, b):
            continue
        keys = b.child_by_field_name("attrpath").children_by_field_name("attr")
        scope = reader.scope_at(src, b)
        reader._bind(src, holder, keys, b.child_by_field_name("expression"), scope)
    clan = get_attr(holder, "clan")
    return [clan] if clan is not None else []


def _relative_imports(src: Src) -> list[str]:
    out = []
    stack = [src.tree.root_node]
    while stack:
        node = stack.pop()
        if node.type == "path_expression" and node.named_child_count == 1:
            text = src.text(node)
            if text.startswith("./") or text.startswith("../"):
                target = os.path.normpath(os.path.join(src.dir, text))
                if os.path.isdir(target):
                    target = os.path.join(target, "default.nix")
                if target.endswith(".nix") and os.path.isfile(target):
                    out.append(target)
            continue
        stack.extend(reversed(node.named_children))
    return out


# -- the loader --------------------------------------------------------------------------


class _Clan:
    def __init__(self, reader: Reader) -> None:
        self.reader = reader
        self.merger = Merger()
        self.inventory_defs: list[Def] = []
        self.meta_defs: list[Def] = []
        self.machine_defs: list[Def] = []
        self.module_fields: list[tuple[str, Field]] = []
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
            if isinstance(val, Lambda):
                val = self.reader.call_opaque(val)
            elif isinstance(val, Scalar) and val.is_path and val.src is not None:
                target = os.path.join(val.src.dir, str(val.value))
                if not os.path.exists(target):
                    fail(f"{what} {val.value} does not exist", val.location())
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
        attrs = self.module_value(val, "the inventory", ())
        if attrs is None:
            return
        plain = Attrs(attrs.src, attrs.node)
        plain.dynamic = attrs.dynamic
        for name, fields in attrs.fields.items():
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

    def read_module(self, name: str, f: Field) -> ModuleSpec | None:
        from pydantic import ValidationError

        from solver.catalogue.model import ModuleSpec, RoleSpec

        val = f.value.force()
        source = val.src.display if isinstance(val, Scalar) and val.is_path and val.src else None
        if isinstance(val, Scalar) and val.is_path and val.src is not None:
            target = os.path.join(val.src.dir, str(val.value))
            if os.path.exists(target):
                source = display_name(
                    target if not os.path.isdir(target) else os.path.join(target, "default.nix")
                )

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
        if isinstance(roles_val, Attrs):
            for role in roles_val.fields:
                rc = sub(croles, role)
                desc = scalar(get_attr(roles_val, role), "description")
                roles[role] = RoleSpec(
                    description=desc if isinstance(desc, str) else None,
                    min_machines=count(scalar(rc, "minMachines")),
                    max_machines=count(scalar(rc, "maxMachines")),
                )
        mname = scalar(manifest, "name")
        desc = scalar(manifest, "description")
        try:
            return ModuleSpec(
                name=name,
                input="self",
                kind="service",
                manifest_name=mname if isinstance(mname, str) else None,
                description=desc if isinstance(desc, str) else None,
                roles=roles,
                max_instances=count(scalar(constraints, "maxInstances")),
                source=source,
            )
        except ValidationError as exc:
            self.merger.notes.append(
                self.merger._diag(
                    "warning",
                    "local-module",
                    f"the local module `{name}' is ignored: {exc.errors()[0]['msg']}",
                    ("modules", name),
                    f.key_location(),
                )
            )
            return None


def _first_file(directory: str, names: tuple[str, ...]) -> str | None:
    for n in names:
        p = os.path.join(directory, n)
        if os.path.isfile(p):
            return p
    return None


def load_clan(target: str) -> Loaded:
    """Find the inventory of the clan at `target` (a directory or a .nix file)."""
    try:
        return _load_clan(target)
    except RecursionError:
        raise InputError.single(
            "too-deep", f"the clan at {display_name(target)} is nested too deeply to be read"
        ) from None


def _load_clan(target: str) -> Loaded:
    from solver.read.json_reader import read_json

    if os.path.isdir(target):
        directory = target
        nix_file = _first_file(directory, ("flake.nix", "clan.nix"))
    elif os.path.isfile(target):
        directory = os.path.dirname(target) or "."
        nix_file = target
    else:
        raise InputError.single("io-error", f"{target}: no such file or directory")
    inv = os.path.join(directory, "inventory.json")
    has_json = os.path.isfile(inv)
    mdir = os.path.join(directory, "machines")
    try:
        machine_dirs = (
            sorted(n for n in os.listdir(mdir) if os.path.isdir(os.path.join(mdir, n)))
            if os.path.isdir(mdir)
            else []
        )
    except OSError as exc:
        raise InputError.single(
            "io-error", f"{display_name(mdir)}: {exc.strerror or exc}"
        ) from None

    files: list[str] = []
    clan: _Clan | None = None
    found = False
    if nix_file is not None:
        reader = Reader(display_name)
        clan = _Clan(reader)
        src = reader.parse(nix_file)
        modules = find_clan(reader, src)
        if not modules:
            # the clan may live in a file the flake imports (flake-parts modules, ...)
            for path in _relative_imports(src):
                modules = find_clan(reader, reader.parse(path))
                if modules:
                    break
        if not modules and os.path.basename(nix_file) != "flake.nix":
            modules = [reader.import_file(nix_file)]
        if not modules:
            other = os.path.join(directory, "clan.nix")
            if os.path.isfile(other) and os.path.abspath(other) != os.path.abspath(nix_file):
                modules = [reader.import_file(other)]
        found = bool(modules)
        for m in modules:
            clan.add_clan_module(m)
        if not found and has_json:
            clan.merger.notes.append(
                clan.merger._diag(
                    "info",
                    "clan-not-found",
                    f"no call of clan-core.lib.clan and no flake-parts `clan' module found in "
                    f"{src.display}; only inventory.json and machines/ are read",
                    (),
                    Location(file=src.display, line=1, column=1),
                    hint="use --eval to let Nix evaluate the clan",
                )
            )
    if not found and not has_json:
        looked = display_name(nix_file) if nix_file else display_name(directory)
        raise InputError.single(
            "io-error",
            f"no clan found in {looked}"
            + ("" if nix_file else " (looked for flake.nix, clan.nix and inventory.json)"),
            hint="inventory-solver reads a flake.nix that calls clan-core.lib.clan { … } or "
            "defines a flake-parts `clan = { … }`, a clan.nix, or an inventory.json; "
            "pass one of them, or use --eval",
        )

    merger = clan.merger if clan is not None else Merger()
    if clan is not None:
        from solver.diagnostics import Related

        for rsrc, rkey, first in clan.reader.redefined:
            name = rsrc.text(rkey)
            there = first.key_location()
            merger.errors.append(
                merger._diag(
                    "error",
                    "duplicate-attribute",
                    f"attribute '{name}' already defined" + (f" at {there}" if there else ""),
                    (),
                    rsrc.location(rkey),
                    (Related(message="first defined here", location=there),),
                    hint="Nix merges a repeated attribute only when both values are attribute "
                    "set literals; move one definition into `imports`",
                )
            )
    defs: list[Def] = []
    if clan is not None:
        defs.extend(clan.inventory_defs)
        defs.extend(clan.meta_defs)
    if has_json:
        shown = display_name(inv)
        data, jloc = read_json(inv, shown)
        jo = JsonOrigin(jloc, ())
        if not isinstance(data, dict):
            raise InputError.single(
                "json-syntax",
                f"{shown} must contain a JSON object (the inventory)",
                jloc.locate((), "value"),
            )
        defs.append((jo, JsonV(data, jo), -1))
    if clan is not None:
        defs.extend(clan.machine_defs)
    if machine_dirs:
        inner = Attrs(None, None)
        for name in machine_dirs:
            loc = Location(file=display_name(os.path.join(mdir, name)), line=1, column=1)
            inner.add(name, PlacedField(loc, ready(Attrs(None, None))))
        holder = Attrs(None, None)
        holder.add("machines", Field(None, None, ready(inner)))
        defs.append((None, holder, -2))

    if defs:
        data = merger.merge((), defs)
        if data is MISSING:
            data = {}
    else:
        data = {}

    mods: list[ModuleSpec] = []
    if clan is not None:
        for name, f in clan.module_fields:
            spec = clan.read_module(name, f)
            if spec is not None:
                mods.append(spec)
        files.extend(s.display for s in clan.reader.files.values())
    if has_json:
        files.append(display_name(inv))
    return Loaded(
        data=data,
        locator=merger.locator,
        files=files,
        notes=merger.errors + merger.notes,
        modules=mods,
    )
