"""Schema: the inventory is read, but a value does not have the shape clan's inventory
schema declares. Reported by validation (`solver/model.py`), not by the rules."""

from __future__ import annotations

from solver.findings.base import Family

family = Family("schema")
code = family.code

code(
    "not-an-inventory",
    "error",
    "not an inventory",
    trigger="The top level of the inventory is not an object (attribute set).",
    why="Nothing in it can be a machine or an instance.",
    fix="write the inventory as an object with `machines`, `instances`, `tags`, …",
    example='["jon", "sara"]',
    input=True,
)
code(
    "unknown-key",
    "error",
    "the option does not exist",
    trigger="A key that clan's inventory schema does not have.",
    why="clan's inventory is not freeform (except `tags`): evaluation fails with \"The "
    "option `inventory.<path>' does not exist.\"",
    fix="check the spelling against the allowed keys",
    example='{"machines": {"jon": {"tag": ["web"]}}}  (tag for tags)',
    clan="evaluation error",
)
code(
    "wrong-type",
    "error",
    "value has the wrong type",
    trigger="A value does not have the type clan's inventory schema declares.",
    why="clan's evaluation fails (\"A definition for option `…' is not of type `…'\"). "
    "The value is ignored for the rest of the check.",
    fix="write the value with the type the schema declares",
    example='{"machines": {"jon": {"tags": "web"}}}  (a string, not a list)',
    clan="evaluation error",
)
code(
    "role-machines-list",
    "error",
    "roles.<r>.machines written as a list",
    trigger="In `inventory.instances`, a role's `machines` is a list; it must be an attribute "
    "set of machine names (the list form belonged to the removed `inventory.services`).",
    why="clan-core's evaluation fails. inventory-solver still resolves the listed machines so "
    "that other findings appear.",
    fix='write "machines": {"jon": {}, "sara": {}}',
    example='{"instances": {"sshd": {"roles": {"server": {"machines": ["jon"]}}}}}',
    clan="evaluation error: not of type `attribute set of (submodule)'",
)
code(
    "removed-option",
    "error",
    "option was removed from clan",
    trigger="An option clan-core removed: `services` (the legacy `inventory.services`, "
    "replaced by `inventory.instances`) or `machines.<m>.system`.",
    why="The current clan CLI refuses the inventory. Legacy inventories are still resolved "
    "with legacy semantics.",
    fix="migrate: https://clan.lol/docs/guides/migrations/migrate-inventory-services",
    example='{"services": {"borgbackup": {"b": {"roles": {"client": {"machines": ["jon"]}}}}}}',
    clan="error when the CLI reads the inventory",
)
