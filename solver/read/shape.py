"""What a ``.nix`` file given as PATH is, told by its shape (the same way with ``--eval``):

* an **inventory**: its value is clan's ``inventory`` itself — a top-level attribute set
  with ``instances``, ``services`` (legacy) or ``tags``, and neither ``inventory`` nor
  ``clan``;
* a **clan module** (everything else): ``{ inventory = …; }``, ``{ clan = …; }`` (a
  flake-parts module), a ``lib.clan`` / ``buildClan`` call, a ``flake.nix``.

Function headers, ``let … in``, ``with …;``, ``assert …;`` and parentheses around the
attribute set are looked through. The file is parsed with the same tree-sitter grammar
as the static reader; nothing is evaluated.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from solver.read import Loaded

Shape = Literal["inventory", "clan-module"]

INVENTORY_KEYS = frozenset({"instances", "services", "tags"})
CLAN_KEYS = frozenset({"inventory", "clan", "flake", "imports", "perSystem", "outputs"})

_WRAPPERS = {
    "function_expression": "body",
    "let_expression": "body",
    "with_expression": "body",
    "assert_expression": "body",
    "parenthesized_expression": "expression",
}


def top_keys(root: Any, text: bytes) -> set[str] | None:
    """The first attribute names bound by the top-level attribute set under `root`, or
    None when the file's value is not an attribute set literal."""
    node = root
    for _ in range(64):
        if node is None:
            return None
        field = _WRAPPERS.get(node.type)
        if field is None:
            break
        node = node.child_by_field_name(field)
    if node is None or node.type not in ("attrset_expression", "rec_attrset_expression"):
        return None
    keys: set[str] = set()
    for bset in node.named_children:
        if bset.type != "binding_set":
            continue
        for b in bset.named_children:
            if b.type == "binding":
                path = b.child_by_field_name("attrpath")
                first = path.named_children[0] if path is not None and path.named_children else None
                if first is not None:
                    keys.add(text[first.start_byte : first.end_byte].decode("utf-8", "replace"))
            elif b.type in ("inherit", "inherit_from"):
                attrs = b.child_by_field_name("attrs")
                for a in attrs.named_children if attrs is not None else []:
                    keys.add(text[a.start_byte : a.end_byte].decode("utf-8", "replace"))
    return {k.strip('"') for k in keys}


def shape_of_keys(keys: set[str] | None) -> Shape:
    if keys is None or keys & CLAN_KEYS or not keys & INVENTORY_KEYS:
        return "clan-module"
    return "inventory"


def nix_shape(path: str) -> Shape:
    """The shape of the ``.nix`` file at `path` (a ``flake.nix`` is always a clan module;
    a file that cannot be read or parsed is left to the reader, which reports why)."""
    if os.path.basename(path) == "flake.nix":
        return "clan-module"
    from solver.files import Files, Refused, find_root

    try:
        # confined and size-limited like every read (the reader reports what it refuses)
        data = Files(find_root(path)).read_bytes(path)
        from solver.read.nix.parse import _parser

        tree = _parser().parse(data)
    except (OSError, Refused, ValueError, ImportError):
        return "clan-module"
    root = tree.root_node.child_by_field_name("expression")
    return shape_of_keys(top_keys(root, data))


def load_inventory_nix(path: str) -> Loaded:
    """Read a ``.nix`` file whose value is the inventory itself, statically.

    It is read as the clan module ``{ inventory = import path; }`` would be: the same
    evaluation, merge and locations as a clan's own inventory; ``inventory.json`` and
    ``machines/`` beside it are not added (as for a JSON inventory given as PATH).
    """
    from solver.read.nix.clan import load_inventory_file

    return load_inventory_file(path)
