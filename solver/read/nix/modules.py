"""Modules: find the clan in a flake (``lib.clan`` calls, flake-parts ``clan`` modules) and
collect its definitions (inventory, meta, machines, local modules) through ``imports``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from solver.location import Location, Path
from solver.read import display_name
from solver.read.nix.eval import (
    Attrs,
    Field,
    Lambda,
    ListV,
    Opaque,
    Reader,
    Scalar,
    Val,
    get_attr,
    ready,
)
from solver.read.nix.merge import _MODULE_KEYS, Def, Merger
from solver.read.nix.parse import Node, Src

if TYPE_CHECKING:
    from solver.catalogue.model import ModuleSpec


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
