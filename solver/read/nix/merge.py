"""Merge: definitions of the inventory from every source, merged the way clan-core's
module system merges them (attribute sets recursively, lists concatenated, equal scalars
only, ``settings`` defined once), with the location of every value kept for findings.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

from solver.location import Location, Part, Path, format_path
from solver.read.nix.eval import (
    Attrs,
    Lambda,
    ListV,
    Opaque,
    Scalar,
    Thunk,
)

if TYPE_CHECKING:
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
