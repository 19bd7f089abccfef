"""The repairs of the findings the *schema* produces (``unknown-key``, ``unknown-setting``,
``wrong-type``, ``setting-type``, ``removed-option`` for ``machines.<m>.system``).

These findings say the value "is ignored for the rest of the check": the model
(:mod:`solver.model`) and the settings plan (:mod:`solver.settings`) leave it out before
the rules run. Removing it therefore yields exactly the inventory ``check`` checked: a
sound repair that needs no solving. An unknown key is renamed to its did-you-mean name
instead when that name is not defined already and the value, read again under it, gives
no finding (decided where the finding is worded, so ``check``'s hint says the same fix).

The decision travels with the finding, in ``args["fix"]`` (``{"action": "rename" |
"remove", "path": [...], "new": ...}``); :func:`action_of` turns it into the
:class:`~solver.fix.actions.Action` ``fix`` writes. A rename can still meet the rules (a
renamed ``tags`` list, a setting that now conflicts): :mod:`solver.fix.repair` checks the
repaired inventory again when it chose one, and removes instead if anything new appears.

``inventory.services`` (``removed-option``) gets none: removing it would drop every legacy
instance; migrating it is the user's decision.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from solver.location import Path

if TYPE_CHECKING:
    from solver.diagnostics import Diagnostic
    from solver.fix.actions import Action

# The codes whose repair is decided where they are worded.
SCHEMA_CODES = frozenset(
    {"unknown-key", "unknown-setting", "wrong-type", "setting-type", "removed-option"}
)
COST_SCHEMA_RENAME = 1
COST_SCHEMA_REMOVE = 2


# Inventory keys no rule reads (the facts do not carry them): a rename into one of them
# cannot change what the rules find, so it needs no check of the renamed inventory.
_INERT_MACHINE_KEYS = frozenset({"name", "description", "icon", "installedAt", "deploy"})


def inert(a: Action) -> bool:
    """Whether the schema rename `a` gives a key the rules never read."""
    p = a.path
    if a.kind != "rename" or not p:
        return False
    if p[0] == "meta":
        return True
    return p[0] == "machines" and len(p) == 3 and a.new in _INERT_MACHINE_KEYS


def fix_args(path: Path, new: str | None) -> dict[str, Any]:
    """``args`` of a finding whose fix is to rename the key at `path` to `new` (None:
    remove the definition at `path`)."""
    if new is None:
        return {"fix": {"action": "remove", "path": list(path)}}
    return {"fix": {"action": "rename", "path": list(path), "new": new}}


def fix_text(new: str | None) -> str:
    return "remove it" if new is None else f"rename to {new!r}"


def fix_hint(hint: str | None, new: str | None) -> str:
    """`hint` ending with the fix ``inventory-solver fix`` applies."""
    from solver.findings.base import with_fix

    return with_fix(hint, fix_text(new))


def action_of(d: Diagnostic) -> Action | None:
    """The action repairing `d` (a schema finding with its fix in ``args``), or None."""
    from solver.fix.actions import Action

    fix = d.args.get("fix") if d.code in SCHEMA_CODES else None
    if not isinstance(fix, dict):
        return None
    path: Path = tuple(fix["path"])
    if fix.get("action") == "rename":
        return Action(kind="rename", path=path, new=str(fix["new"]), cost=COST_SCHEMA_RENAME)
    return Action(kind="remove", path=path, cost=COST_SCHEMA_REMOVE)


def as_remove(a: Action) -> Action:
    """`a` (a schema rename) as the removal of the same key."""
    return a.model_copy(update={"kind": "remove", "new": None, "cost": COST_SCHEMA_REMOVE})
