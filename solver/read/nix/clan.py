"""Read a clan repository statically: ``flake.nix``/``clan.nix``, ``inventory.json`` and
``machines/`` directories, merged the way clan-core's module system merges them.

Where clan-core takes the inventory from (docs/semantics.md#where-the-inventory-comes-from):

* ``inventory`` of the clan attribute set (the argument of ``clan-core.lib.clan`` /
  ``lib.buildClan``, or every flake-parts ``clan`` / ``flake.clan`` definition; see
  ``modules``), and of every module it ``imports``; ``meta`` of the clan is
  ``inventory.meta``;
* ``inventory.json`` in the clan's ``directory`` (default: beside ``flake.nix``);
* every ``machines/<name>/`` directory there and every ``machines.<name>`` of the clan
  (a NixOS configuration) adds ``inventory.machines.<name> = { }``;
* ``inventory.tags`` may be a function ``{ config, ... }: { … }`` of the computed tags
  (``all``, ``nixos``, ``darwin`` and the tags defined elsewhere).

Attribute sets merge recursively, lists concatenate, the same scalar defined twice must be
equal (else "conflicting definition values") and a ``settings`` block may be defined in
one place only ("defined multiple times while it's expected to be unique"). Values that
are not plain data are left out and reported as ``opaque-value`` notes.

Every file is read through one :class:`~solver.files.Files` rooted at the repository
that holds the clan; what was not read is in ``Loaded.skipped`` and reported as
``file-not-read``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from solver.errors import InputError
from solver.files import Files, Refused, find_root
from solver.location import Location
from solver.read import Loaded, Skipped, display_name
from solver.read.nix.eval import (
    Attrs,
    Field,
    ListV,
    PlacedField,
    Scalar,
    Thunk,
    Val,
    ready,
)
from solver.read.nix.merge import MISSING, Def, JsonOrigin, JsonV, Merger
from solver.read.nix.modules import Flake, ModuleReader, _Clan, scan_clan_calls
from solver.suppress import scan_all

if TYPE_CHECKING:
    from solver.catalogue.model import ModuleSpec


def _first_file(files: Files, directory: str, names: tuple[str, ...]) -> str | None:
    for n in names:
        p = os.path.join(directory, n)
        if files.is_file(p):
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


def load_inventory_file(path: str) -> Loaded:
    """Read a ``.nix`` file whose value is the inventory itself (``{ machines = …;
    instances = …; }``), as the clan module ``{ inventory = import path; }`` would be
    read: the same confined evaluation, merge and locations; ``inventory.json`` and
    ``machines/`` beside it are not added (as for a JSON inventory given as PATH)."""
    files = Files(find_root(path))
    reader = ModuleReader(files)
    clan = _Clan(reader)
    try:
        clan.add_inventory(None, reader.import_file(path), clan.mid())
    except RecursionError:
        raise InputError.single(
            "too-deep", f"{display_name(path)} is nested too deeply to be read"
        ) from None
    merger = clan.merger
    data = merger.merge((), clan.inventory_defs) if clan.inventory_defs else {}
    return Loaded(
        data={} if data is MISSING else data,
        locator=merger.locator,
        files=[s.display for s in reader.files.values()],
        notes=merger.errors + merger.notes,
        skipped=list(reader.skipped),
        opaque_count=sum(1 for n in merger.notes if n.code == "opaque-value"),
        reads=files.record(),
        suppressions=scan_all(reader.files.values()),
    )


def _machine_dirs(files: Files, mdir: str, skipped: list[Skipped]) -> list[str]:
    """The machine folders under `mdir`; a folder that cannot be listed is reported in
    `skipped` (its machines are not known), not an error of the whole run."""
    kind = files.kind(mdir)
    if kind == "unreadable":
        skipped.append(Skipped(display_name(mdir), "it cannot be read (no permission)", None))
        return []
    if kind != "dir":
        return []
    try:
        return [n for n in files.listdir(mdir) if files.is_dir(os.path.join(mdir, n))]
    except Refused:
        return []
    except OSError as exc:
        why = exc.strerror or str(exc)
        skipped.append(Skipped(display_name(mdir), f"it cannot be listed ({why})", None))
        return []


def _load_clan(target: str) -> Loaded:
    from solver.read.json_reader import parse_json, read_text

    if os.path.isdir(target):
        directory = target
    elif os.path.isfile(target):
        directory = os.path.dirname(target) or "."
    else:
        raise InputError.single("io-error", f"{target}: no such file or directory")
    files = Files(find_root(directory))
    nix_file = (
        _first_file(files, directory, ("flake.nix", "clan.nix"))
        if os.path.isdir(target)
        else target
    )

    clan: _Clan | None = None
    reader: ModuleReader | None = None
    found = False
    if nix_file is not None:
        reader = ModuleReader(files, display_name)
        src = reader.parse(nix_file)
        flake = Flake(reader)
        is_flake = os.path.basename(nix_file) == "flake.nix"
        if is_flake:
            flake.read_flake(src)
        elif not flake.read_file(src):
            flake.clan_modules = scan_clan_calls(reader, src) or [reader.import_file(nix_file)]
        modules = flake.clan_modules
        if not modules:
            # the clan may be written where evaluation did not lead: any lib.clan call
            for other in list(reader.files.values()):
                modules = scan_clan_calls(reader, other)
                if modules:
                    break
        if not modules and is_flake:
            other_file = os.path.join(directory, "clan.nix")
            if files.is_file(other_file):
                modules = [reader.import_file(other_file)]
        clan = _Clan(reader, flake.args)
        for message, loc in flake.notes:
            clan.merger.notes.append(
                clan.merger._diag(
                    "info",
                    "opaque-value",
                    message,
                    (),
                    loc,
                    hint="import the module by path, or run with --eval",
                    args={"inventory_path": [], "membership": True},
                )
            )
        found = bool(modules)
        for m in modules:
            clan.add_clan_module(m)
        if clan.directories:
            where, loc = clan.directories[0]
            if files.inside(where):
                directory = where
            else:
                reader.skip(display_name(where), "outside the repository", loc)

    inv = os.path.join(directory, "inventory.json")
    has_json = files.is_file(inv)
    mdir = os.path.join(directory, "machines")
    dir_skipped: list[Skipped] = []
    machine_dirs = _machine_dirs(files, mdir, dir_skipped)

    if clan is not None and not found and has_json:
        assert nix_file is not None
        clan.merger.notes.append(
            clan.merger._diag(
                "info",
                "clan-not-found",
                f"no call of clan-core.lib.clan and no flake-parts `clan' module found in "
                f"{display_name(nix_file)}; only inventory.json and machines/ are read",
                (),
                Location(file=display_name(nix_file), line=1, column=1),
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
    json_data: dict[str, Any] | None = None
    if has_json:
        shown = display_name(inv)
        data, jloc = parse_json(read_text(inv, files), shown)
        jo = JsonOrigin(jloc, ())
        if not isinstance(data, dict):
            raise InputError.single(
                "json-syntax",
                f"{shown} must contain a JSON object (the inventory)",
                jloc.locate((), "value"),
            )
        json_data = data
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

    if clan is not None and clan.tag_fields:
        _fill_tags_config(clan, defs, json_data)

    if defs:
        data = merger.merge((), defs)
        if data is MISSING:
            data = {}
    else:
        data = {}

    mods: list[ModuleSpec] = []
    shown_files: list[str] = []
    skipped = []
    if clan is not None:
        for name, f in clan.module_fields:
            spec = clan.read_module(name, f)
            if spec is not None:
                mods.append(spec)
    notes = merger.errors + merger.notes
    if reader is not None:
        shown_files.extend(s.display for s in reader.files.values())
        skipped = list(reader.skipped)
    skipped.extend(dir_skipped)
    notes = notes + _skipped_notes(merger, skipped)
    if has_json:
        shown_files.append(display_name(inv))
    return Loaded(
        data=data,
        locator=merger.locator,
        files=shown_files,
        notes=notes,
        modules=mods,
        skipped=skipped,
        opaque_count=sum(1 for n in merger.notes if n.code == "opaque-value"),
        reads=files.record(),
        clan_core_inputs=sorted(reader.clan_core_inputs) if reader is not None else [],
        suppressions=scan_all(reader.files.values()) if reader is not None else [],
    )


def _skipped_notes(merger: Merger, skipped: list[Any]) -> list[Any]:
    out = []
    seen: set[tuple[str, str, str]] = set()
    for s in skipped:
        key = (s.file, s.reason, str(s.location))
        if key in seen:
            continue
        seen.add(key)
        if s.reason.startswith("outside the repository"):
            msg = f"import of {s.file} not read: {s.reason}"
            hint = "keep the clan's files inside the repository"
        elif s.reason.startswith(("it cannot be", "not a regular file")):
            msg = f"{s.file} not read: {s.reason}"
            hint = "make it a readable file or folder (what it defines is not checked)"
        else:
            msg = f"{s.file} not read: {s.reason}"
            hint = "fix the Nix syntax of the file (what it defines is not checked)"
        out.append(merger._diag("warning", "file-not-read", msg, (), s.location, hint=hint))
    return out


# -- functional tags ------------------------------------------------------------------------


def _names(names: list[str]) -> ListV:
    return ListV(None, None, [ready(Scalar(None, None, n)) for n in names])


def _machines_preview(defs: list[Def]) -> dict[str, Any]:
    """The merged machines (names and classes), from a merge whose notes are dropped."""
    sub: list[Def] = []
    for _origin, v, mid in defs:
        if isinstance(v, Thunk):
            v = v.force()
        if isinstance(v, JsonV):
            if isinstance(v.data, dict) and isinstance(v.data.get("machines"), dict):
                jo = JsonOrigin(v.origin.locator, (*v.origin.jpath, "machines"))
                sub.append((jo, JsonV(v.data["machines"], jo), mid))
        elif isinstance(v, Attrs):
            for f in v.fields.get("machines", []):
                sub.append((f, f.value, mid))
    if not sub:
        return {}
    got = Merger().merge(("machines",), sub)
    return got if isinstance(got, dict) else {}


def _fill_tags_config(clan: _Clan, defs: list[Def], json_data: dict[str, Any] | None) -> None:
    """``config`` of ``tags = { config, ... }: …``: the computed tags ``all``/``nixos``/
    ``darwin`` (unless defined by the user: they are mkDefault) and every tag defined."""
    machines = _machines_preview(defs)
    cfg = clan.tags_config
    user: set[str] = set()
    pending: list[Field] = []
    for f in clan.tag_fields:
        v: Val = f.value.force()
        if isinstance(v, Attrs):
            user.update(v.fields)
            pending.append(f)
    if json_data is not None and isinstance(json_data.get("tags"), dict):
        for name, members in json_data["tags"].items():
            if isinstance(members, list) and all(isinstance(m, str) for m in members):
                user.add(name)
                cfg.add(name, Field(None, None, ready(_names(members))))
    for f in pending:
        v = f.value.force()
        assert isinstance(v, Attrs)
        for name, fields in v.fields.items():
            cfg.fields.setdefault(name, []).extend(fields)
    names = sorted(machines)

    def cls(m: str) -> str:
        c = machines[m].get("machineClass") if isinstance(machines[m], dict) else None
        return c if isinstance(c, str) else "nixos"

    computed = {
        "all": names,
        "nixos": [m for m in names if cls(m) == "nixos"],
        "darwin": [m for m in names if cls(m) == "darwin"],
    }
    for name, members in computed.items():
        if name not in user:
            cfg.add(name, Field(None, None, ready(_names(members))))
