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

import os
from typing import TYPE_CHECKING

from solver.errors import InputError
from solver.location import Location
from solver.read import Loaded, display_name
from solver.read.nix.eval import (
    Attrs,
    Field,
    PlacedField,
    Reader,
    ready,
)

if TYPE_CHECKING:
    from solver.catalogue.model import ModuleSpec

from solver.read.nix.merge import MISSING, Def, JsonOrigin, JsonV, Merger
from solver.read.nix.modules import _Clan, _relative_imports, find_clan


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
