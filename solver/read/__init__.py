"""Read: turn a file or a clan directory into plain inventory data with source positions.

One module per input source: ``json_reader`` (``inventory.json``), the ``nix`` package (a
clan repository: ``flake.nix``/``clan.nix``, ``inventory.json``, ``machines/``; it imports
the Nix parser only when there is a Nix file) and ``nix_eval`` (``--eval``).
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from solver.errors import InputError
from solver.location import Location, Locator, NullLocator

if TYPE_CHECKING:
    from solver.catalogue.model import ModuleSpec
    from solver.diagnostics import Diagnostic
    from solver.files import Entry
    from solver.suppress import Suppression


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
    # flake inputs that are clan-core under another name (`inputs.clan.url = …clan-core`)
    clan_core_inputs: list[str] = field(default_factory=list)
    # `# inventory-solver: ignore[…]` comments in the .nix files read (solver.suppress)
    suppressions: list[Suppression] = field(default_factory=list)


def display_name(path: str) -> str:
    """The name a file is shown under: relative to the current directory when inside it,
    or when it is in the same repository as the current directory (``../../flake.nix``
    when run from a subfolder of the clan, as git shows it); else as given."""
    try:
        rel = os.path.relpath(path)
    except ValueError:  # pragma: no cover - other drive on Windows
        return path
    if not rel.startswith(".."):
        return rel
    repo = _cwd_repository(os.getcwd())
    if repo is not None:
        full = os.path.abspath(path)
        if full == repo or full.startswith(repo.rstrip(os.sep) + os.sep):
            return rel
    return path


@functools.lru_cache(maxsize=4)
def _cwd_repository(cwd: str) -> str | None:
    """The repository (folder with ``.git``) that holds `cwd`, if any."""
    from solver.files import repository_of

    return repository_of(cwd)


# Inputs read from a pipe (``check -``, ``check /dev/stdin``, ``check <(cat inv.json)``):
# read once, so their text is kept here for the snippets of the text output.
STREAMED: dict[str, str] = {}


def _is_stream(path: str) -> bool:
    import stat

    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    # a pipe (`| check /dev/stdin`, `<(cat inv.json)`); devices (/dev/zero, a terminal)
    # are refused by the file reader like any other special file
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


def load_stream(path: str) -> Loaded:
    """A single JSON inventory from a pipe named on the command line (``-``
    is standard input): read once, at most :data:`solver.files.MAX_BYTES`. Not cached
    (there is nothing to re-read)."""
    import sys

    from solver.files import MAX_BYTES
    from solver.read.json_reader import parse_json

    shown = "<stdin>" if path == "-" else display_name(path)
    chunks: list[bytes] = []
    size = 0
    try:
        fd = sys.stdin.fileno() if path == "-" else os.open(path, os.O_RDONLY)
        try:
            while size <= MAX_BYTES:
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
        finally:
            if path != "-":
                os.close(fd)
    except (OSError, ValueError, AttributeError) as exc:
        why = getattr(exc, "strerror", None) or str(exc)
        raise InputError.single("io-error", f"{shown}: cannot be read: {why}") from None
    if size > MAX_BYTES:
        raise InputError.single(
            "input-too-large",
            f"{shown} is larger than {MAX_BYTES // (1024 * 1024)} MiB; "
            "inventory-solver reads at most that",
        )
    raw = b"".join(chunks)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError.single(
            "encoding",
            f"{shown} is not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})",
            hint="save the file as UTF-8",
        ) from None
    STREAMED[shown] = text
    data, locator = parse_json(text, shown)
    return Loaded(data=data, locator=locator, files=[shown])


def load(path: str | None = None) -> Loaded:
    """Read `path`: a JSON inventory, a ``.nix`` file, or a clan directory; ``-`` or a
    pipe named on the command line: one JSON inventory read from it.

    Without `path`, the clan is found from the current directory upward
    (:func:`solver.root.default_target`). A ``.nix`` file is read by its shape
    (:mod:`solver.read.shape`): the inventory itself, or a clan module. A clan that
    evidently exists but whose inventory could not be read gets a ``clan-not-read``
    warning (:mod:`solver.coverage`) instead of a silent pass.
    """
    if path is None:
        from solver.root import default_target

        target = default_target()
    else:
        target = path
    if target == "-" or _is_stream(target):
        return load_stream(target)
    if os.path.isdir(target) or target.endswith(".nix"):
        from solver.coverage import clan_not_read, review

        if os.path.isfile(target):
            from solver.read.shape import load_inventory_nix, nix_shape

            if nix_shape(target) == "inventory":
                return load_inventory_nix(target)
        from solver.read.nix.clan import load_clan

        try:
            loaded = load_clan(target)
        except InputError as exc:
            if not _no_clan_found(exc):
                raise
            warning = clan_not_read(
                target,
                "no clan-core.lib.clan call, flake-parts `clan' module, clan.nix or "
                "inventory.json that inventory-solver can read was found",
            )
            if warning is None:
                raise
            directory = target if os.path.isdir(target) else os.path.dirname(target) or "."
            looked = [
                display_name(p)
                for p in (os.path.join(directory, n) for n in ("flake.nix", "clan.nix"))
                if os.path.isfile(p)
            ]
            return Loaded(data={}, files=looked, notes=[warning])
        return review(loaded, target)
    if not os.path.exists(target):
        raise InputError.single("io-error", f"{target}: no such file or directory")
    from solver.files import Files, find_root
    from solver.read.json_reader import read_json

    shown = display_name(target)
    files = Files(find_root(target))
    data, locator = read_json(target, shown, files)
    return Loaded(data=data, locator=locator, files=[shown], reads=files.record())


def _no_clan_found(exc: InputError) -> bool:
    """The static reader's "no clan found" (it found no inventory anywhere)."""
    return any(
        d.code in ("io-error", "clan-not-found") and d.message.startswith("no clan found")
        for d in exc.diagnostics
    )
