"""Apply repair actions to inventory *data* (the dict a reader produces), not to files.

Used by the tests (and usable as a verification step): the data after
:func:`apply_actions` is what the user's files say once the edits are written, so
``check`` on it must report none of the fixed findings.

Actions are applied in an order that keeps every path valid: ``to-attrset`` first (a
role's machines may be renamed or removed under it afterwards), then the deepest paths
first (an edit inside a key that is renamed still finds it under its old name), later
list positions first (removing one list element never shifts another action's index).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from solver.fix.actions import Action
from solver.location import Path, format_path


class ApplyError(ValueError):
    """An action whose path does not exist in the data."""


def _parent(data: Any, path: Path) -> Any:
    node = data
    for key in path[:-1]:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            raise ApplyError(f"no {format_path(path)} in the inventory") from None
    return node


def _order(a: Action) -> tuple[int, int, tuple[Any, ...]]:
    rank = 0 if a.kind == "to-attrset" else 1
    # deepest first (an edit inside a key that is renamed uses the old name), later list
    # positions first
    key = tuple((1, -k) if isinstance(k, int) else (0, k) for k in a.path)
    return rank, -len(a.path), key


def apply_actions(data: dict[str, Any], actions: Iterable[Action]) -> dict[str, Any]:
    """A copy of `data` with `actions` applied (`data` itself is not changed)."""
    out = copy.deepcopy(data)
    for a in sorted(actions, key=_order):
        _apply(out, a)
    return out


def _apply(data: dict[str, Any], a: Action) -> None:
    parent = _parent(data, a.path)
    last = a.path[-1]
    if a.kind == "to-attrset":
        value = parent.get(last) if isinstance(parent, dict) else None
        if isinstance(value, list):
            parent[last] = {str(n): {} for n in value if isinstance(n, str)}
        elif not isinstance(value, dict):
            raise ApplyError(f"{format_path(a.path)} is not a list of names")
        return
    if a.kind == "rename":
        if a.new is None:
            raise ApplyError(f"rename of {format_path(a.path)} without a new name")
        if a.part == "value" or isinstance(parent, list):
            if isinstance(parent, list) and isinstance(last, int) and last < len(parent):
                parent[last] = a.new
                return
            if isinstance(parent, dict) and last in parent:
                parent[last] = a.new
                return
            raise ApplyError(f"no {format_path(a.path)} in the inventory")
        if not isinstance(parent, dict) or last not in parent:
            raise ApplyError(f"no {format_path(a.path)} in the inventory")
        items = [(a.new if k == last else k, v) for k, v in parent.items()]
        parent.clear()
        parent.update(items)
        return
    if a.kind == "remove":
        if isinstance(parent, list) and isinstance(last, int) and last < len(parent):
            del parent[last]
        elif isinstance(parent, dict) and last in parent:
            del parent[last]
        else:
            raise ApplyError(f"no {format_path(a.path)} in the inventory")
        return
    # move-to-tags: instances.I.roles.R.machines.<T>
    if not isinstance(parent, dict) or last not in parent or len(a.path) < 2:
        raise ApplyError(f"no {format_path(a.path)} in the inventory")
    del parent[last]
    role = _parent(data, a.path[:-1])
    tags = role.get("tags")
    if tags is None:
        role["tags"] = [str(last)]
    elif isinstance(tags, list):
        if last not in tags:
            tags.append(str(last))
    elif isinstance(tags, dict):
        tags.setdefault(str(last), {})
    else:
        raise ApplyError(f"{format_path((*a.path[:-2], 'tags'))} is neither a list nor a set")
