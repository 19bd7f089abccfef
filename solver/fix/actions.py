"""Repair actions: edits to the *inventory*, by inventory path, independent of file format.

A repair is a set of actions; each removes one or more findings. ``repair`` chooses them,
``edits`` writes them into the user's files. An action never names a byte offset: the
spans come from the reader of the file that defined the path, so the same action applies to
``inventory.json`` and to a ``.nix`` file alike.

Kinds:

* ``rename`` -- the name at ``path`` becomes ``new``. ``part="key"``: an attribute name
  (``instances.I.roles.R.machines.<M>``, ``instances.<I>.roles.<R>``, a key of
  ``roles.R.tags`` written as a set); ``part="value"``: a string value
  (``instances.I.roles.R.tags[0]``, ``instances.I.module.name``, ``machines.M.tags[2]``).
* ``remove`` -- the definition at ``path`` goes away: an attribute (with its value) or a
  list element (``machines.M.tags[1]``, ``instances.I.roles.R.machines.M``, a settings
  definition ``instances.I.roles.R.settings.port``).
* ``move-to-tags`` -- ``path`` is ``instances.I.roles.R.machines.<T>`` where ``T`` is a
  tag: the entry goes away and ``T`` is added to ``instances.I.roles.R.tags``.
* ``to-attrset`` -- ``path`` is ``instances.I.roles.R.machines`` written as a list of
  names: it becomes an attribute set ``{ name = { }; ... }`` in the same order.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from solver.location import Path, format_path

ActionKind = Literal["rename", "remove", "move-to-tags", "to-attrset"]


class Action(BaseModel):
    """One edit to the inventory."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    kind: ActionKind
    path: Path
    part: Literal["key", "value"] = "key"
    new: str | None = Field(default=None, description="the new name, for `rename`")
    cost: int = 1
    fixes: tuple[str, ...] = Field(
        default=(), description="`code@path` of each finding this action removes"
    )

    def describe(self) -> str:
        where = format_path(self.path)
        if self.kind == "rename":
            return f"rename {where} to {self.new!r}"
        if self.kind == "remove":
            return f"remove {where}"
        if self.kind == "move-to-tags":
            return f"move {where} to the role's tags"
        return f"write {where} as an attribute set"

    def sort_key(self) -> tuple[str, str, str, str]:
        return (format_path(self.path), self.kind, self.part, self.new or "")


class Repair(BaseModel):
    """The chosen actions, what they fix, and what no action can fix."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    actions: tuple[Action, ...] = ()
    cost: int = 0
    alternatives: tuple[tuple[Action, ...], ...] = Field(
        default=(), description="other repairs of the same cost, when there are any"
    )
    fixed: tuple[str, ...] = Field(default=(), description="`code@path` of the findings fixed")
    unfixed: tuple[str, ...] = Field(
        default=(), description="`code@path` of selected errors that no offered edit removes"
    )
