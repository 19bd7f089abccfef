"""Result cache: an unchanged inventory is answered without running the pipeline.

This module runs before click, pydantic and clingo are imported (``solver/cli.py:main``),
so it uses only ``os`` and ``sys`` at import time, and XXH3-128 (``xxhash``) when it
hashes: a 3 MB inventory (10,000 machines) in 0.2 ms, against 3 ms for BLAKE2b and 4.5 ms
for sha256 (``import hashlib`` alone, which loads OpenSSL, costs 2-10 ms). The key only
has to tell inputs apart, not resist an attacker who can already edit them; 128 bits make
an accidental collision negligible. Without ``xxhash``, CPython's built-in BLAKE2b is
used (different keys: entries of the other kind are ignored).

Correctness is structural: the key says *how* the tool was asked, and the entry says
*what it read*. The key is a digest of

* the command line (after the program name), the current directory (file names in the
  output are relative to it) and the repository root of every input path (it decides
  what may be read);
* the rule files, the built-in catalogue, every ``--modules``/``--rules`` file, every
  ``inventory-solver.toml``/``pyproject.toml`` from the current directory upward (and the
  files a config names under ``modules``/``rules``);
* the package version, the size and modification time of every file of the ``solver``
  package (so an edited checkout never answers from a stale entry), the clingo version;
* the environment that changes the output: ``NO_COLOR``, ``PRE_COMMIT``,
  ``INVENTORY_SOLVER_DEBUG``, whether stdout is a terminal, the stdout encoding.

The entry holds the reader's record of the run (:mod:`solver.files`): every file it read,
every folder it listed, every path it probed or refused, with content digests or the
failure. A lookup re-checks that record (reading only those paths, confined and
size-limited) and answers only when every one of them still comes out the same: the
input is never hashed before it is read, and a file the reader follows is never missed.
A run stores an entry only when it completed normally (exit 0 or 1, not interrupted) and
its reader kept a record (the Nix reader, reading from a pipe or ``--eval`` otherwise:
no entry).

An entry is ``MAGIC key payload-digest exit len(reads) len(stdout) len(stderr)\n``
followed by the record, the UTF-8 stdout and stderr. It is used only when its key and
the digest of its payload match; anything else (a truncated, corrupt or foreign file, a
FIFO, a device, a symlink) is ignored. Entries are written atomically (temporary file,
then rename). A missing or read-only cache directory never fails a run: the cache is
simply not used. Progress lines on a terminal are not recorded.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from solver.files import Entry

MAGIC = b"inventory-solver-cache-4"
MAX_ENTRY = 512 * 1024 * 1024  # bytes; a larger entry file is ignored
MAX_INPUT = 256 * 1024 * 1024  # a larger catalogue, policy or config: the run is not cached
ENV_DIR = "INVENTORY_SOLVER_CACHE_DIR"
ENV_KEYS = ("NO_COLOR", "PRE_COMMIT", "INVENTORY_SOLVER_DEBUG")
CACHED_COMMANDS = ("check", "resolve")

# Options of `check`/`resolve` and whether they take a value. An option not listed here
# (or --no-cache, --output, --eval, --timings, --help) means: no cache for this run.
_VALUE_OPTS = {
    "--format",
    "--color",
    "--fail-on",
    "--modules",
    "--rules",
    "--config",
    "--policy-timeout",
    "--by",
    "--select",
    "--ignore",
}
_FLAG_OPTS = {"--exit-zero", "--strict", "-v", "--verbose", "--no-nix"}
_BYPASS = {"--no-cache", "-o", "--output", "--eval", "--timings", "-h", "--help", "--version"}


def _digest() -> Callable[..., object]:
    try:
        from xxhash import xxh3_128
    except ImportError:  # pragma: no cover - xxhash is a dependency; this is a safety net
        try:
            from _blake2 import blake2b  # CPython's built-in module: no OpenSSL load
        except ImportError:
            from hashlib import blake2b
        return blake2b
    return xxh3_128


def cache_dir() -> str:
    """$INVENTORY_SOLVER_CACHE_DIR, else platformdirs' user cache dir for the tool."""
    env = os.environ.get(ENV_DIR)
    if env:
        return env
    if sys.platform.startswith("linux"):  # platformdirs' rule, without importing it
        base = os.environ.get("XDG_CACHE_HOME", "").strip()
        if not os.path.isabs(base):  # the XDG spec: a relative path is invalid, ignore it
            base = os.path.expanduser("~/.cache")
        if not os.path.isabs(base):  # no home: no cache rather than one in the repository
            return ""
        return os.path.join(base, "inventory-solver")
    from platformdirs import user_cache_dir

    return str(user_cache_dir("inventory-solver"))


class _Args:
    def __init__(self) -> None:
        self.command = ""
        self.paths: list[str] = []
        self.files: list[str] = []  # --modules / --rules / --config files
        self.config: str | None = None


def parse(argv: list[str]) -> _Args | None:
    """The parts of a command line the key needs; None when the run is not cacheable."""
    if not argv or argv[0] not in CACHED_COMMANDS:
        return None
    out = _Args()
    out.command = argv[0]
    i = 1
    only_paths = False
    while i < len(argv):
        a = argv[i]
        i += 1
        if only_paths or not a.startswith("-") or a == "-":
            if a == "-":
                return None  # stdin
            out.paths.append(a)
            continue
        if a == "--":
            only_paths = True
            continue
        name, eq, value = a.partition("=")
        if name in _BYPASS:
            return None
        if name in _FLAG_OPTS and not eq:
            continue
        if name not in _VALUE_OPTS:
            return None
        if not eq:
            if i >= len(argv):
                return None
            value = argv[i]
            i += 1
        if name in ("--modules", "--rules"):
            out.files.append(value)
        elif name == "--config":
            out.config = value
            out.files.append(value)
    return out


class _Hasher:
    def __init__(self) -> None:
        self.h = _digest()()

    def add(self, *parts: str | bytes) -> None:
        for p in parts:
            b = p.encode("utf-8", "surrogateescape") if isinstance(p, str) else p
            self.h.update(len(b).to_bytes(8, "little"))  # type: ignore[attr-defined]
            self.h.update(b)  # type: ignore[attr-defined]

    def file(self, path: str) -> bytes | None:
        """The file's bytes (or that it is missing, which also changes the output).

        A file that is not regular (``--rules <(cat p.lp)``: a pipe, readable once) is
        not read here at all, and the run is not cached (:class:`_NotCacheable`)."""
        data = _read_regular(path, MAX_INPUT)
        if data is None:
            self.add("missing", path)
        else:
            self.add("file", path, data)
        return data

    def hexdigest(self) -> str:
        return str(self.h.hexdigest())  # type: ignore[attr-defined]


def _package_state(h: _Hasher) -> None:
    """Version, and size + mtime of every file of the package (and of rules/ in a checkout)."""
    here = os.path.dirname(os.path.abspath(__file__))
    from solver import __version__

    h.add("version", __version__)
    roots = [here]
    checkout_rules = os.path.join(os.path.dirname(here), "rules")
    if os.path.isdir(checkout_rules):
        roots.append(checkout_rules)
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
            for f in sorted(filenames):
                if f.endswith((".py", ".lp", ".json", ".toml")):
                    p = os.path.join(dirpath, f)
                    try:
                        st = os.stat(p)
                    except OSError:
                        continue
                    h.add(p, str(st.st_size), str(st.st_mtime_ns))
                    if f.endswith((".lp", ".json")):  # rules and catalogue: their bytes too
                        h.file(p)


def _clingo_version() -> str:
    """From the installed distribution's metadata directory name (no import of clingo)."""
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for n in names:
            if n.startswith("clingo-") and n.endswith(".dist-info"):
                return n
        if "clingo" in names:
            return os.path.join(entry, "clingo")
    return "none"


def _uncacheable_file(path: str) -> bool:
    """A --rules/--modules file the key cannot stand for: a pipe (hashing it would consume
    what the run must read) or anything not a regular file, and a policy with ``#include``
    (the included files are not in the key)."""
    import stat

    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return True
        data = _read_regular(path, MAX_INPUT)
        return data is not None and b"#include" in data
    except OSError:
        return False  # missing: the run says so, and the key records it


def _configs(h: _Hasher, explicit: str | None) -> bool:
    """Config files from the current directory upward, and the files they name; False
    when one of those cannot be keyed (:func:`_uncacheable_file`)."""
    found: list[str] = []
    if explicit is not None:
        found.append(explicit)
    else:
        cur = os.path.abspath(".")
        while True:
            for name in ("inventory-solver.toml", "pyproject.toml"):
                p = os.path.join(cur, name)
                if os.path.isfile(p):
                    found.append(p)
            parent = os.path.dirname(cur)
            if parent == cur:
                break
            cur = parent
    for p in found:
        raw = h.file(p)
        if raw is None:
            continue
        if b"modules" not in raw and b"rules" not in raw:
            continue
        if os.path.basename(p) == "pyproject.toml" and b"[tool.inventory-solver" not in raw:
            continue  # another project's pyproject: nothing of ours in it
        try:
            import tomllib

            data = tomllib.loads(raw.decode("utf-8-sig"))
        except (ValueError, UnicodeDecodeError):
            continue
        if os.path.basename(p) == "pyproject.toml":
            data = data.get("tool", {}).get("inventory-solver", {})
        base = os.path.dirname(os.path.abspath(p))
        for k in ("modules", "rules"):
            v = data.get(k) if isinstance(data, dict) else None
            for f in v if isinstance(v, list) else []:
                if isinstance(f, str):
                    if _uncacheable_file(os.path.join(base, f)):
                        return False
                    h.file(os.path.join(base, f))
    return True


def key(argv: list[str], args: _Args) -> str | None:
    """The cache key of this run, or None when it should not be cached."""
    from solver.files import find_root

    h = _Hasher()
    h.add(MAGIC, "\0".join(argv), os.getcwd())
    for k in ENV_KEYS:
        h.add(k, os.environ.get(k, "\0unset"))
    out = sys.stdout
    h.add("tty", str(bool(out is not None and out.isatty())))
    h.add("enc", str(getattr(out, "encoding", "")), str(getattr(out, "errors", "")))
    from solver.root import default_target  # no PATH: the clan found upward

    for p in args.paths or [default_target()]:
        h.add("root", find_root(p))
    try:
        for f in args.files:
            if _uncacheable_file(f):
                return None
            h.file(f)
        if not _configs(h, args.config):
            return None
        _package_state(h)
    except _NotCacheable:
        return None
    h.add("clingo", _clingo_version())
    return h.hexdigest()


# -- what the run read (filled by solver.runner, checked by solver.cli) ------------------
class _Run:
    def __init__(self) -> None:
        self.reads: list[tuple[str, list[Entry]]] = []
        self.unrecorded = False  # a reader that keeps no record: this run is not stored
        self.complete = False  # the command finished normally (solver.commands.common.guard)
        self.interrupted = False


RUN = _Run()


def reset() -> None:
    """A fresh run state (each :func:`solver.cli.main` call: tests run several in one
    process)."""
    global RUN
    RUN = _Run()


def note_reads(root: str, reads: list[Entry]) -> None:
    """The record of one input's reader (an empty record: the run cannot be cached)."""
    if reads:
        RUN.reads.append((root, list(reads)))
    else:
        RUN.unrecorded = True


def mark_complete() -> None:
    RUN.complete = True


def _entry_path(k: str) -> str | None:
    base = cache_dir()
    if not base:
        return None
    return os.path.join(base, k[:2], k)


def _read_entry(path: str) -> bytes | None:
    """The bytes of a regular entry file (no FIFO, device or symlink; size-capped)."""
    try:
        return _read_regular(path, MAX_ENTRY, follow=False)
    except _NotCacheable:
        return None


class _NotCacheable(Exception):
    """An input of the key that must not be read twice or at all (a pipe, a device)."""


def _read_regular(path: str, cap: int, follow: bool = True) -> bytes | None:
    """The bytes of the regular file `path`; None when it is missing or unreadable;
    :class:`_NotCacheable` when it is not a regular file or larger than `cap`."""
    import stat

    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
    if not follow:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > cap:
            raise _NotCacheable(path)
        from solver.files import read_at_most

        data = read_at_most(fd, st.st_size)
    except OSError:
        return None
    finally:
        os.close(fd)
    if len(data) > cap:
        raise _NotCacheable(path)
    return data


def _encode_reads(reads: list[tuple[str, list[Entry]]]) -> bytes:
    parts: list[str] = []
    for root, entries in reads:
        for e in entries:
            parts.extend((root, e.kind, e.path, e.digest))
    return "\0".join(parts).encode("utf-8", "surrogateescape")


def _decode_reads(blob: bytes) -> dict[str, list[Entry]] | None:
    from solver.files import Entry

    fields = blob.decode("utf-8", "surrogateescape").split("\0") if blob else []
    if len(fields) % 4:
        return None
    out: dict[str, list[Entry]] = {}
    for i in range(0, len(fields), 4):
        root, kind, path, digest = fields[i : i + 4]
        out.setdefault(root, []).append(Entry(kind, path, digest))
    return out


def lookup(k: str) -> tuple[int, bytes, bytes] | None:
    """The stored (exit code, stdout, stderr) for key `k`, if a sound entry exists and
    everything its run read still reads the same."""
    path = _entry_path(k)
    raw = _read_entry(path) if path is not None else None
    if raw is None:
        return None
    head, nl, payload = raw.partition(b"\n")
    if not nl:
        return None
    parts = head.split(b" ")
    if len(parts) != 7 or parts[0] != MAGIC or parts[1] != k.encode():
        return None
    try:
        code, n_reads, n_out, n_err = (int(x) for x in parts[3:7])
    except ValueError:
        return None
    if code not in (0, 1) or min(n_reads, n_out, n_err) < 0:
        return None
    if n_reads + n_out + n_err != len(payload) or n_reads == 0:
        return None
    digest = _digest()(payload).hexdigest()  # type: ignore[attr-defined]
    if digest.encode() != parts[2]:
        return None
    reads = _decode_reads(payload[:n_reads])
    if not reads:
        return None
    from solver.files import Files

    for root, entries in reads.items():
        if not Files(root).still_valid(entries):
            return None
    return code, payload[n_reads : n_reads + n_out], payload[n_reads + n_out :]


def store(k: str, code: int, out: str, err: str) -> None:
    """Write an entry atomically if the run completed normally and its readers kept a
    record; any OS problem just means no entry."""
    if code not in (0, 1) or not RUN.complete or RUN.interrupted:
        return
    if RUN.unrecorded or not RUN.reads:
        return
    path = _entry_path(k)
    if path is None:
        return
    try:
        b_reads = _encode_reads(RUN.reads)
        b_out = out.encode("utf-8", "surrogateescape")
        b_err = err.encode("utf-8", "surrogateescape")
    except UnicodeError:  # pragma: no cover - defensive
        return
    payload = b_reads + b_out + b_err
    digest = _digest()(payload).hexdigest()  # type: ignore[attr-defined]
    head = b" ".join(
        [
            MAGIC,
            k.encode(),
            digest.encode(),
            str(code).encode(),
            b"%d" % len(b_reads),
            b"%d" % len(b_out),
            b"%d" % len(b_err),
        ]
    )
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd = os.open(
            tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600
        )
        with os.fdopen(fd, "wb") as fh:
            fh.write(head + b"\n" + payload)
        os.replace(tmp, path)
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass


def replay(entry: tuple[int, bytes, bytes]) -> int:
    """Print a stored result exactly as the run that made it did; its exit code."""
    code, out, err = entry
    for stream, data in ((sys.stdout, out), (sys.stderr, err)):
        if data and stream is not None:
            stream.write(data.decode("utf-8", "surrogateescape"))
            stream.flush()
    return code


class Tee:
    """A text stream that records what is written to it (for storing the result).
    ``unrecorded`` is the stream itself, for what must not be replayed (progress)."""

    def __init__(self, stream: object) -> None:
        self._stream = stream
        self.parts: list[str] = []

    @property
    def unrecorded(self) -> object:
        return self._stream

    def write(self, s: str) -> int:
        n: int = self._stream.write(s)  # type: ignore[attr-defined]
        if isinstance(s, str):
            self.parts.append(s)
        return n

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)

    def text(self) -> str:
        return "".join(self.parts)
