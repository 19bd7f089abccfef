"""Confined file access for every reader: only regular files and folders inside the
repository root, read with a size limit, and a record of everything consumed.

Why: a pre-commit hook runs on whatever a pull request contains. A ``flake.nix`` with
``import /proc/self/environ`` or a symlink to ``/etc/passwd`` must not make the tool read,
let alone print, a byte outside the repository; a FIFO or ``/dev/zero`` must not hang it
or exhaust its memory. Every read goes through one :class:`Files` object, which

* resolves a path (symlinks included) and refuses it unless it stays inside ``root``;
* opens files with ``O_NONBLOCK`` (a FIFO cannot block the open) and accepts only regular
  files (``fstat`` after opening, so a swapped path cannot slip through), reading at most
  ``max_bytes``;
* records every file it read (with a content digest), every folder it listed (with a
  digest of the listing) and every existence probe (with its answer), so that the result
  cache can be keyed by exactly what the reader used (:meth:`Files.still_valid`).
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass

MAX_BYTES = 256 * 1024 * 1024


class Refused(Exception):
    """A path the tool will not read; ``reason`` says why in a user's words."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def _digest(data: bytes) -> str:
    import xxhash

    return str(xxhash.xxh3_128_hexdigest(data))


def find_root(start: str) -> str:
    """The repository that holds `start`: the nearest folder upward with a ``.git``
    entry (a folder, or a file for worktrees and submodules); `start`'s own folder (or
    `start` itself when it is a folder) when there is none."""
    here = os.path.realpath(start)
    if not os.path.isdir(here):
        here = os.path.dirname(here)
    probe = here
    while True:
        if os.path.lexists(os.path.join(probe, ".git")):
            return probe
        parent = os.path.dirname(probe)
        if parent == probe:
            return here
        probe = parent


@dataclass(frozen=True)
class Entry:
    """One thing a reader consumed: ``kind`` is ``file`` (digest of the bytes), ``dir``
    (digest of the sorted listing with entry types) or ``stat`` (what the path is:
    ``file``, ``dir``, ``none``, ``other``)."""

    kind: str
    path: str
    digest: str


def _kind_of(path: str) -> str:
    try:
        st = os.stat(path)
    except OSError:
        return "none"
    if stat.S_ISREG(st.st_mode):
        return "file"
    if stat.S_ISDIR(st.st_mode):
        return "dir"
    return "other"


class Files:
    """Reads inside `root` only; see the module docstring."""

    def __init__(self, root: str, max_bytes: int | None = None) -> None:
        self.root = os.path.realpath(root)
        self.max_bytes = MAX_BYTES if max_bytes is None else max_bytes
        # digests are computed when the record is asked for (only the cache needs them)
        self._record: dict[tuple[str, str], str | bytes] = {}

    # -- confinement -----------------------------------------------------------------
    def inside(self, path: str) -> bool:
        """Whether `path`, symlinks resolved, stays inside the root."""
        real = os.path.realpath(path)
        return real == self.root or real.startswith(self.root + os.sep)

    def resolve(self, path: str) -> str:
        """The real path of `path`; :class:`Refused` when it leaves the root or is a
        special file (device, FIFO, socket)."""
        real = os.path.realpath(path)
        if not (real == self.root or real.startswith(self.root + os.sep)):
            raise Refused(path, "outside the repository; not read")
        if real.startswith(("/proc/", "/dev/", "/sys/")):  # pragma: no cover - root there
            raise Refused(path, "a system file; not read")
        return real

    # -- reading ----------------------------------------------------------------------
    def read_bytes(self, path: str) -> bytes:
        """The bytes of the regular file `path` (at most ``max_bytes``).

        Raises :class:`Refused` (outside, not a regular file, too large) or ``OSError``
        (missing, permission denied)."""
        real = self.resolve(path)
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(real, flags)
        try:
            st = os.fstat(fd)
            if stat.S_ISDIR(st.st_mode):
                raise IsADirectoryError(21, "Is a directory", path)
            if not stat.S_ISREG(st.st_mode):
                raise Refused(path, "not a regular file; not read")
            if st.st_size > self.max_bytes:
                raise Refused(
                    path,
                    f"is {st.st_size // (1024 * 1024)} MiB; inventory-solver reads at most "
                    f"{self.max_bytes // (1024 * 1024)} MiB",
                )
            chunks: list[bytes] = []
            left = self.max_bytes + 1
            while left > 0:
                chunk = os.read(fd, min(left, 1 << 20))
                if not chunk:
                    break
                chunks.append(chunk)
                left -= len(chunk)
        finally:
            os.close(fd)
        data = b"".join(chunks)
        if len(data) > self.max_bytes:
            raise Refused(path, f"is larger than {self.max_bytes // (1024 * 1024)} MiB")
        self._record[("file", real)] = data
        return data

    def listdir(self, path: str) -> list[str]:
        """The sorted names in folder `path` (``OSError`` when it cannot be listed)."""
        real = self.resolve(path)
        with os.scandir(real) as it:
            items = sorted((e.name, e.is_dir(), e.is_file()) for e in it)
        self._record[("dir", real)] = repr(items).encode("utf-8", "surrogateescape")
        return [name for name, _, _ in items]

    def kind(self, path: str) -> str:
        """What `path` is: ``file``, ``dir``, ``none`` or ``other`` (``outside`` when it
        leaves the root; nothing about it is then revealed)."""
        if not self.inside(path):
            return "outside"
        real = os.path.realpath(path)
        k = _kind_of(real)
        self._record[("stat", os.path.abspath(path))] = k
        return k

    def is_file(self, path: str) -> bool:
        return self.kind(path) == "file"

    def is_dir(self, path: str) -> bool:
        return self.kind(path) == "dir"

    def exists(self, path: str) -> bool:
        return self.kind(path) in ("file", "dir", "other")

    # -- the record ----------------------------------------------------------------------
    def record(self) -> list[Entry]:
        """Everything consumed so far, sorted."""
        return [
            Entry(k, p, _digest(d) if isinstance(d, bytes) else d)
            for (k, p), d in sorted(self._record.items())
        ]

    def still_valid(self, entries: list[Entry]) -> bool:
        """Whether every recorded file, listing and probe would read the same today."""
        probe = Files(self.root, self.max_bytes)
        for e in entries:
            now: str | bytes | None
            try:
                if e.kind == "file":
                    now = _digest(probe.read_bytes(e.path))
                elif e.kind == "dir":
                    probe.listdir(e.path)
                    now = probe._record.get(("dir", os.path.realpath(e.path)))
                    now = _digest(now) if isinstance(now, bytes) else now
                else:
                    now = probe.kind(e.path)
            except (OSError, Refused):
                return False
            if now != e.digest:
                return False
        return True
