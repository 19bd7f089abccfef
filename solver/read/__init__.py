"""Read: turn a file or a clan directory into plain inventory data with source positions.

One module per input source: ``json_reader`` (``inventory.json``), the ``nix`` package (a
clan repository: ``flake.nix``/``clan.nix``, ``inventory.json``, ``machines/``; it imports
the Nix parser only when there is a Nix file) and ``nix_eval`` (``--eval``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from solver.errors import InputError
from solver.location import Location, Locator, NullLocator

if TYPE_CHECKING:
    from solver.catalogue.model import ModuleSpec
    from solver.diagnostics import Diagnostic
    from solver.read.fs import Entry


@dataclass(frozen=True)
class Skipped:
    """A file (or import) the reader did not read, and why (outside the repository, a
    syntax error in a file the clan does not need, a special file, ...)."""

    file: str
    reason: str
    location: Location | None = None


@dataclass
class Loaded:
    """What a reader produces.

    ``data`` is plain JSON-like data (dict/list/str/int/float/bool/None) in the shape of
    clan's ``inventory`` option; values that are not plain data (Nix function calls, ...)
    are left out and reported in ``notes``. ``locator`` maps inventory paths to positions.
    ``modules`` are module descriptions found in the sources (local clan.service modules).
    """

    data: Any
    locator: Locator = field(default_factory=NullLocator)
    files: list[str] = field(default_factory=list)
    notes: list[Diagnostic] = field(default_factory=list)
    modules: list[ModuleSpec] = field(default_factory=list)
    # coverage: what was not read (files) and how many values could not be evaluated
    skipped: list[Skipped] = field(default_factory=list)
    opaque_count: int = 0
    # everything the reader consumed (files, listings, probes): the result cache's key
    reads: list[Entry] = field(default_factory=list)


def display_name(path: str) -> str:
    """The name a file is shown under: relative to the current directory when inside it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:  # pragma: no cover - other drive on Windows
        return path
    return path if rel.startswith("..") else rel


def load(path: str | None = None) -> Loaded:
    """Read `path`: a JSON inventory, a ``.nix`` file, or a clan directory (default ".")."""
    target = path if path is not None else "."
    if os.path.isdir(target) or target.endswith(".nix"):
        from solver.read.nix.clan import load_clan

        return load_clan(target)
    if not os.path.exists(target):
        raise InputError.single("io-error", f"{target}: no such file or directory")
    from solver.files import Files, find_root
    from solver.read.json_reader import read_json

    shown = display_name(target)
    files = Files(find_root(target))
    data, locator = read_json(target, shown, files)
    return Loaded(data=data, locator=locator, files=[shown], reads=files.record())
