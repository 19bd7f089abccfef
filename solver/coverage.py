"""What a run read, and what it could not: the user-facing side of coverage.

* :func:`coverage_of` turns a reader's :class:`~solver.read.Loaded` (files read, files
  skipped, ``opaque-value`` notes) into the report's :class:`~solver.report.Coverage`;
* :func:`review` adds ``clan-not-read`` (a warning) where a clan evidently exists — a
  ``clan-core`` input in ``flake.lock`` or ``flake.nix``, a clan flake module imported,
  ``machines/*/`` folders — but no inventory could be read from it, so that such a clan is
  never reported as ``no problems found``;
* :func:`clan_not_read` builds the same warning when the static reader found no clan at
  all (it raises "no clan found"; see :func:`solver.read.load`).

The checks look only at the directory of the clan and at what the reader returned; the
reader itself is not changed.
"""

from __future__ import annotations

import json
import os
import re
from typing import TYPE_CHECKING

from solver.diagnostics import Diagnostic
from solver.location import Location, format_path
from solver.report import Coverage, OpaqueValue, SkippedFile, construct

if TYPE_CHECKING:
    from solver.files import Files
    from solver.read import Loaded

# A value left out at one of these inventory paths may hold every instance of the clan.
_TOP = {"instances", "services"}
_MENTIONS = re.compile(rb"\binstances\s*(=|\.)|\binventory\s*\.\s*services\b")
_CLAN_MODULE = re.compile(rb"clan-core\s*\.\s*(flakeModules|lib\s*\.\s*(clan|buildClan))")
_CLAN_INPUT = re.compile(rb"\bclan-core\s*(\.\s*url\s*=|=\s*\{)|\binputs\s*\.\s*clan-core\b")
_MAX_PROBE = 4 * 1024 * 1024  # bytes of flake.nix / flake.lock looked at


def _probe(directory: str) -> Files:
    """Confined, size-limited reads for the probes below (inside the repository, regular
    files only: a hostile ``flake.lock`` FIFO or symlink cannot hang or leak)."""
    from solver.files import Files, find_root

    return Files(find_root(directory), max_bytes=_MAX_PROBE)


def _read(files: Files, path: str) -> bytes:
    from solver.files import Refused

    try:
        return files.read_bytes(path)
    except (OSError, Refused):
        return b""


def _lock_has_clan_core(files: Files, path: str) -> bool:
    raw = _read(files, path)
    if not raw:
        return False
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return b"clan-core" in raw
    nodes = data.get("nodes") if isinstance(data, dict) else None
    if not isinstance(nodes, dict):
        return False
    for name, node in nodes.items():
        if name == "clan-core" or name.startswith("clan-core_"):
            return True
        if isinstance(node, dict):
            for key in ("original", "locked"):
                ref = node.get(key)
                if isinstance(ref, dict) and any(
                    isinstance(v, str) and "clan-core" in v for v in ref.values()
                ):
                    return True
    return False


def machine_folders(files: Files, directory: str) -> list[str]:
    from solver.files import Refused

    mdir = os.path.join(directory, "machines")
    try:
        if not files.is_dir(mdir):
            return []
        return [n for n in files.listdir(mdir) if files.is_dir(os.path.join(mdir, n))]
    except (OSError, Refused):
        return []


def clan_evidence(directory: str, files: Files | None = None) -> list[str]:
    """Why `directory` evidently holds a clan (empty: no sign of one)."""
    files = files or _probe(directory)
    out: list[str] = []
    flake = _read(files, os.path.join(directory, "flake.nix"))
    if _lock_has_clan_core(files, os.path.join(directory, "flake.lock")):
        out.append("a clan-core input in flake.lock")
    elif _CLAN_INPUT.search(flake):
        out.append("a clan-core input in flake.nix")
    if _CLAN_MODULE.search(flake):
        out.append("clan-core's flake module or lib.clan in flake.nix")
    machines = machine_folders(files, directory)
    if machines:
        out.append(f"{len(machines)} folder{'' if len(machines) == 1 else 's'} under machines/")
    return out


def _directory_of(target: str) -> str:
    return target if os.path.isdir(target) else (os.path.dirname(target) or ".")


def clan_not_read(
    target: str, why: str, location: Location | None = None, files: Files | None = None
) -> Diagnostic | None:
    """The ``clan-not-read`` warning for the clan at `target`, or None when nothing shows
    that a clan is there (what was probed is recorded in `files`, when given)."""
    directory = _directory_of(target)
    evidence = clan_evidence(directory, files)
    if not evidence:
        return None
    if location is None:
        from solver.read import display_name

        for name in ("flake.nix", "clan.nix"):
            p = os.path.join(directory, name)
            if os.path.isfile(p):
                location = Location(file=display_name(p), line=1, column=1)
                break
    return Diagnostic(
        code="clan-not-read",
        severity="warning",
        message=f"a clan exists here ({', '.join(evidence)}) but its inventory could not be "
        f"read: {why}; its instances and roles were not checked",
        path="",
        location=location,
        hint="run with --eval to let Nix evaluate the clan, or write the inventory as plain "
        "data (see the README section 'Reading a clan')",
        args={"evidence": evidence},
    )


def _has_services(data: object) -> bool:
    if not isinstance(data, dict):
        return False
    return any(k in data for k in _TOP)


def review(loaded: Loaded, target: str) -> Loaded:
    """Add ``clan-not-read`` to what the static reader returned for `target` when the
    clan's instances evidently exist but none was read: the inventory (or its
    ``instances``) was left out as an opaque value, or the Nix files read mention
    ``instances``/``services`` although none came out of them."""
    if any(d.code == "clan-not-read" for d in loaded.notes) or _has_services(loaded.data):
        return loaded
    why: str | None = None
    where: Location | None = None
    for d in loaded.notes:
        p = d.args.get("inventory_path") if d.code == "opaque-value" else None
        if isinstance(p, list) and (not p or (len(p) == 1 and p[0] in _TOP)):
            why = "it is built by Nix code that is not read statically"
            where = d.location
            break
    files = _probe(_directory_of(target))
    if why is None:
        for f in loaded.files:
            if f.endswith(".nix") and _MENTIONS.search(_read(files, f)):
                why = f"{f} mentions instances, but none was found in the files read"
                break
    if why is None:
        return loaded
    warning = clan_not_read(target, why, where, files)
    if warning is not None:
        loaded.notes = [*loaded.notes, warning]
    # the warning depends on what was probed: the result cache must cover it too
    loaded.reads = [*loaded.reads, *files.record()]
    return loaded


def coverage_of(loaded: Loaded) -> Coverage:
    """The report's coverage record for what `loaded` holds. Robust to readers that count
    opaque values themselves (``opaque_count``) and to those that only leave notes.

    Built without validation (:func:`solver.report.construct`): the values are already
    typed, and validating would build the models' schemas on every run (~40 ms)."""
    opaque: list[OpaqueValue] = []
    skipped = [
        construct(SkippedFile, file=s.file, reason=s.reason, location=s.location)
        for s in loaded.skipped
    ]
    listed = {s.file for s in skipped}
    for d in loaded.notes:
        if d.code == "opaque-value":
            p = d.args.get("inventory_path")
            path = format_path(tuple(p)) if isinstance(p, list) else d.path
            opaque.append(
                construct(
                    OpaqueValue,
                    path=path,
                    message=d.message,
                    location=d.location,
                    membership=bool(d.args.get("membership")),
                )
            )
        elif d.code == "file-not-read":
            f = d.args.get("file")
            name = f if isinstance(f, str) else (d.location.file if d.location else d.path)
            if name not in listed:
                listed.add(name)
                skipped.append(
                    construct(SkippedFile, file=name, reason=d.message, location=d.location)
                )
    skipped.sort(key=lambda s: (s.file, str(s.location or ""), s.reason))
    opaque.sort(
        key=lambda o: (
            o.location.file if o.location else "",
            o.location.line if o.location else 0,
            o.location.column if o.location else 0,
            o.path,
        )
    )
    return construct(
        Coverage,
        files=list(loaded.files),
        skipped=skipped,
        opaque_values=max(loaded.opaque_count, len(opaque)),
        opaque_membership=sum(o.membership for o in opaque),
        clan_read=not any(d.code == "clan-not-read" for d in loaded.notes),
        opaque=opaque,
    )


def verbose_text(coverage: Coverage) -> str:
    """``--verbose``: the files read, the files skipped and the values not evaluated, one
    per line with their locations (written to stderr, so that every format's output on
    stdout stays as it is)."""
    from solver.render import printable

    def plural(n: int, word: str) -> str:
        return f"{n} {word}" if n == 1 else f"{n} {word}s"

    lines = [f"read {plural(len(coverage.files), 'file')}:"]
    lines += [f"  {printable(f, newlines=False)}" for f in sorted(coverage.files)]
    if coverage.skipped:
        lines.append(f"skipped {plural(len(coverage.skipped), 'file')}:")
        for s in coverage.skipped:
            where = f" (at {s.location})" if s.location is not None else ""
            lines.append(printable(f"  {s.file}: {s.reason}{where}", newlines=False))
    if coverage.opaque:
        lines.append(f"{plural(len(coverage.opaque), 'value')} not evaluated:")
        for o in coverage.opaque:
            where = str(o.location) if o.location is not None else "<inventory>"
            what = o.path or "the inventory"
            decides = " (decides role membership)" if o.membership else ""
            lines.append(printable(f"  {where}: {what}{decides}", newlines=False))
    elif coverage.opaque_values:
        lines.append(f"{plural(coverage.opaque_values, 'value')} not evaluated")
    if not coverage.clan_read:
        lines.append("the clan's inventory was not read (clan-not-read)")
    return "\n".join(lines) + "\n"
