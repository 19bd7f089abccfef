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

import errno
import os
import stat

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
    return repository_of(here) or here


def repository_of(folder: str) -> str | None:
    """The nearest folder from `folder` upward with a ``.git`` entry, or None."""
    probe = folder
    while True:
        if os.path.lexists(os.path.join(probe, ".git")):
            return probe
        parent = os.path.dirname(probe)
        if parent == probe:
            return None
        probe = parent


class Entry:
    """One thing a reader consumed: ``kind`` is ``file`` (digest of the bytes), ``dir``
    (digest of the sorted listing with entry types), ``stat`` (what the path is:
    ``file``, ``dir``, ``none``, ``other``) or ``refused`` (a path that was not read, and
    why). A read or listing that failed records the failure (``!ENOENT``, ``!EACCES``,
    ``!refused: ...``) instead of a digest: a file that appears later changes the answer.

    (A plain class, not a dataclass: this module is imported on the cache-hit path.)"""

    __slots__ = ("_digest", "kind", "path")

    def __init__(self, kind: str, path: str, digest: str | bytes) -> None:
        self.kind = kind
        self.path = path
        # bytes: what was read, digested on first use (only the cache asks; a run without
        # it never imports xxhash)
        self._digest = digest

    @property
    def digest(self) -> str:
        d = self._digest
        if isinstance(d, bytes):
            d = self._digest = _digest(d)
        return d

    def _t(self) -> tuple[str, str, str]:
        return (self.kind, self.path, self.digest)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Entry) and self._t() == other._t()

    def __hash__(self) -> int:
        return hash(self._t())

    def __lt__(self, other: Entry) -> bool:
        return self._t() < other._t()

    def __repr__(self) -> str:
        return f"Entry({self.kind!r}, {self.path!r}, {self.digest!r})"


def _failure(exc: BaseException) -> str:
    """What a failed read records: the errno's name, or the refusal's reason."""
    if isinstance(exc, Refused):
        return f"!refused: {exc.reason}"
    if isinstance(exc, OSError) and exc.errno is not None:
        return "!" + errno.errorcode.get(exc.errno, str(exc.errno))
    return f"!{type(exc).__name__}"


def _kind_of(path: str) -> str:
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return "none"
    except OSError:
        return "unreadable"  # no permission to look, a symlink loop, ...
    if stat.S_ISREG(st.st_mode):
        return "file"
    if stat.S_ISDIR(st.st_mode):
        return "dir"
    return "other"


# The editor's unsaved buffers (``inventory-solver lsp``): real path -> bytes, read instead
# of the file on disk. Empty outside the language server, where it costs one dict test.
OVERLAY: dict[str, bytes] = {}


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
        special file (device, FIFO, socket). A refusal is recorded (with the path as
        given, made absolute): if the path later stays inside, the answer changes."""
        real = os.path.realpath(path)
        reason = None
        if not (real == self.root or real.startswith(self.root + os.sep)):
            reason = "outside the repository; not read"
        elif real.startswith(("/proc/", "/dev/", "/sys/")):  # pragma: no cover - root there
            reason = "a system file; not read"
        if reason is not None:
            self._record[("refused", os.path.abspath(path))] = reason
            raise Refused(path, reason)
        return real

    # -- reading ----------------------------------------------------------------------
    def read_bytes(self, path: str) -> bytes:
        """The bytes of the regular file `path` (at most ``max_bytes``).

        Raises :class:`Refused` (outside, not a regular file, too large) or ``OSError``
        (missing, permission denied). Failures are recorded too."""
        real = self.resolve(path)
        if OVERLAY and real in OVERLAY:
            data = OVERLAY[real]
            self._record[("file", real)] = data
            return data
        try:
            data = self._read(real, path)
        except (OSError, Refused) as exc:
            self._record[("file", real)] = _failure(exc)
            raise
        self._record[("file", real)] = data
        return data

    def _read(self, real: str, path: str) -> bytes:
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(real, flags)
        try:
            st = os.fstat(fd)
            if stat.S_ISDIR(st.st_mode):
                raise IsADirectoryError(errno.EISDIR, "Is a directory", path)
            if not stat.S_ISREG(st.st_mode):
                raise Refused(path, "not a regular file; not read")
            if st.st_size > self.max_bytes:
                raise Refused(
                    path,
                    f"is {st.st_size // (1024 * 1024)} MiB; inventory-solver reads at most "
                    f"{self.max_bytes // (1024 * 1024)} MiB",
                )
            data = read_at_most(fd, self.max_bytes)
        finally:
            os.close(fd)
        if len(data) > self.max_bytes:
            raise Refused(path, f"is larger than {self.max_bytes // (1024 * 1024)} MiB")
        return data

    def listdir(self, path: str) -> list[str]:
        """The sorted names in folder `path` (``OSError`` when it cannot be listed, e.g.
        no permission to enter it; the failure is recorded)."""
        real = self.resolve(path)
        try:
            with os.scandir(real) as it:
                items = sorted((e.name, e.is_dir(), e.is_file()) for e in it)
        except OSError as exc:
            self._record[("dir", real)] = _failure(exc)
            raise
        self._record[("dir", real)] = repr(items).encode("utf-8", "surrogateescape")
        return [name for name, _, _ in items]

    def kind(self, path: str) -> str:
        """What `path` is: ``file``, ``dir``, ``none`` or ``other`` (``outside`` when it
        leaves the root; nothing about it is then revealed)."""
        if not self.inside(path):
            self._record[("stat", os.path.abspath(path))] = "outside"
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
        return self.kind(path) in ("file", "dir", "other", "unreadable")

    # -- the record ----------------------------------------------------------------------
    def record(self) -> list[Entry]:
        """Everything consumed so far (and every refusal and failure), sorted."""
        return [Entry(k, p, d) for (k, p), d in sorted(self._record.items())]

    def still_valid(self, entries: list[Entry]) -> bool:
        """Whether every recorded file, listing, probe and refusal would come out the
        same today. Reads only what the record names, confined and size-limited."""
        probe = Files(self.root, self.max_bytes)
        for e in entries:
            try:
                if e.kind == "file":
                    probe.read_bytes(e.path)
                elif e.kind == "dir":
                    probe.listdir(e.path)
                elif e.kind == "refused":
                    probe.resolve(e.path)
                elif e.kind == "stat":
                    probe.kind(e.path)
                else:
                    return False  # a kind this version does not know
            except (OSError, Refused):
                pass  # recorded as a failure by the probe
            now = probe._record.get((e.kind, e.path))
            if now is None:  # e.g. a refusal that is no longer one
                return False
            if (_digest(now) if isinstance(now, bytes) else now) != e.digest:
                return False
        return True


def read_at_most(fd: int, limit: int) -> bytes:
    """At most ``limit + 1`` bytes of the open file `fd`: one byte more than the limit, so
    that the caller can tell a file that is too large (whatever its size said) from one
    that fits."""
    chunks: list[bytes] = []
    left = limit + 1
    while left > 0:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
