"""Which clan-core the catalogue comes from: ``--clan-core PATH`` / ``clan-core = "PATH"``,
else the clan-core the clan pins in ``flake.lock`` (when its source is in the Nix store),
else the built-in catalogue (one ``catalogue-source`` info line says so).

**Locating the pinned clan-core.** In ``flake.lock`` (version 7), the root node's input
``clan-core`` — else the root input whose ``original``/``locked`` reference names a
``clan-core`` repository — is followed to its node; a list reference (``follows``) is a
path of input names from the root node. The node's ``locked.narHash`` is the NAR hash of
the input's source, which Nix stores as a fixed-output path named ``source``:

1. decode the hash (``sha256-<base64>`` or ``sha256:<hex>``) to 32 bytes ``h``;
2. fingerprint ``"source:sha256:" + hex(h) + ":" + store_dir + ":source"`` (the type
   ``source`` is used for recursive sha256 content without references);
3. ``sha256(fingerprint)`` folded to 20 bytes (byte ``i`` XORed into ``i mod 20``);
4. those 20 bytes in Nix's base-32 (alphabet ``0123456789abcdfghijklmnpqrsvwxyz``, 32
   characters, the last character first, 5 bits at a time from the least significant);
5. the path is ``<store_dir>/<base32>-source``.

``$INVENTORY_SOLVER_NIX_STORE`` names a folder that stands for ``/nix/store`` (tests; the
names are still computed for ``/nix/store``); ``$NIX_STORE_DIR`` a store of another
location (names computed for it).

**Caching.** What is read from a checkout is kept in the user cache directory
(:func:`solver.cache.cache_dir`) under ``clancore/``, keyed by the checkout's real path,
:data:`READER_VERSION` and the reader's code; an entry is used only while every file it
read is unchanged: a cheap stat signature first, then the contents
(:meth:`solver.files.Files.still_valid`); see :func:`read_modules`.

**Layering.** The read services replace the built-in ones (services of the built-in
catalogue that the checkout does not have are dropped; legacy modules stay). On top, the
curated knowledge that clan-core does not state in data: incompatible roles,
single-instance modules, role counts enforced in service code, unique settings,
replacements of deprecated modules, a deprecation message the code only warns about, and
defaults computed in service code (option descriptions marked ``[computed default``).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from solver.catalogue import Catalogue, builtin, builtin_revision, raw_entries
from solver.diagnostics import Diagnostic

if TYPE_CHECKING:
    from solver.model import Inventory

ENV_STORE = "INVENTORY_SOLVER_NIX_STORE"
NIX_STORE = "/nix/store"
_B32 = "0123456789abcdfghijklmnpqrsvwxyz"


# -- store paths --------------------------------------------------------------------------


def nix_base32(data: bytes) -> str:
    """Nix's base-32 encoding (as in ``nix-hash --to-base32``)."""
    n = (len(data) * 8 - 1) // 5 + 1
    out = []
    for k in range(n - 1, -1, -1):
        b = k * 5
        i, j = divmod(b, 8)
        c = data[i] >> j
        if i + 1 < len(data):
            c |= data[i + 1] << (8 - j)
        out.append(_B32[c & 0x1F])
    return "".join(out)


def decode_sha256(nar_hash: str) -> bytes | None:
    """The 32 bytes of a ``sha256-<base64>`` or ``sha256:<hex>`` hash; None otherwise."""
    import base64
    import binascii

    try:
        if nar_hash.startswith("sha256-"):
            raw = base64.b64decode(nar_hash[7:], validate=True)
        elif nar_hash.startswith("sha256:") and len(nar_hash) == 7 + 64:
            raw = bytes.fromhex(nar_hash[7:])
        else:
            return None
    except (ValueError, binascii.Error):
        return None
    return raw if len(raw) == 32 else None


def fixed_source_path(nar_hash: str, store_dir: str = NIX_STORE, name: str = "source") -> str:
    """The store path of a flake input's source with this NAR hash (see the module doc)."""
    raw = decode_sha256(nar_hash)
    if raw is None:
        raise ValueError(f"not a sha256 hash: {nar_hash!r}")
    import hashlib

    fingerprint = f"source:sha256:{raw.hex()}:{store_dir}:{name}"
    digest = hashlib.sha256(fingerprint.encode()).digest()
    folded = bytearray(20)
    for i, byte in enumerate(digest):
        folded[i % 20] ^= byte
    return f"{store_dir}/{nix_base32(bytes(folded))}-{name}"


def _store() -> tuple[str, str]:
    """(store dir the names are computed for, folder where it is looked up)."""
    stand_in = os.environ.get(ENV_STORE)
    if stand_in:
        return NIX_STORE, stand_in
    real = os.environ.get("NIX_STORE_DIR") or NIX_STORE
    return real, real


# -- flake.lock ------------------------------------------------------------------------------


@dataclass
class Pinned:
    """The clan-core node of a flake.lock."""

    lock: str
    node: str
    rev: str | None
    nar_hash: str | None
    store_path: str | None  # computed; None when the hash cannot be read
    found: str | None  # the folder standing for it, when it exists


def _follow(nodes: dict[str, Any], root: str, ref: Any) -> str | None:
    if isinstance(ref, str):
        return ref if ref in nodes else None
    if isinstance(ref, list):
        cur: str | None = root
        for name in ref:
            node = nodes.get(cur) if cur is not None else None
            if not isinstance(node, dict) or not isinstance(name, str):
                return None
            cur = _follow(nodes, root, (node.get("inputs") or {}).get(name))
        return cur
    return None


def _names_clan_core(node: Any) -> bool:
    if not isinstance(node, dict):
        return False
    for part in ("original", "locked"):
        ref = node.get(part)
        if isinstance(ref, dict):
            text = " ".join(str(ref.get(k, "")) for k in ("url", "repo", "owner"))
            if "clan-core" in text:
                return True
    return False


def pinned_clan_core(lock_path: str, data: Any) -> Pinned | None:
    """The clan-core a flake.lock pins (see the module doc), or None."""
    if not isinstance(data, dict) or not isinstance(data.get("nodes"), dict):
        return None
    nodes: dict[str, Any] = data["nodes"]
    root = data.get("root", "root")
    root_node = nodes.get(root)
    if not isinstance(root_node, dict):
        return None
    inputs = root_node.get("inputs") or {}
    target = _follow(nodes, root, inputs.get("clan-core")) if "clan-core" in inputs else None
    if target is None:
        for name in sorted(inputs):
            cand = _follow(nodes, root, inputs[name])
            if cand is not None and _names_clan_core(nodes.get(cand)):
                target = cand
                break
    if target is None:
        return None
    locked = nodes[target].get("locked") or {}
    nar = locked.get("narHash") if isinstance(locked.get("narHash"), str) else None
    rev = locked.get("rev") if isinstance(locked.get("rev"), str) else None
    store_path = found = None
    if nar is not None and decode_sha256(nar) is not None:
        from solver.files import Files

        store_dir, folder = _store()
        store_path = fixed_source_path(nar, store_dir)
        local = os.path.join(folder, os.path.basename(store_path))
        probe = Files(folder)
        if probe.kind(os.path.join(local, "clanServices")) == "dir":
            found = local
        _note(folder, probe.record())
    return Pinned(lock_path, target, rev, nar, store_path, found)


# -- asking Nix --------------------------------------------------------------------------------

NIX_TIMEOUT = 10.0  # seconds; then the built-in catalogue is used
_NIX_TYPES = ("github", "gitlab", "sourcehut", "git", "tarball")
_ARCHIVES = (".tar.gz", ".tgz", ".tar.xz", ".tar.bz2", ".tar.zst", ".tar", ".zip")
_ASKED: dict[str, tuple[str | None, str]] = {}  # per process (the language server)
# No network for the `nix` child: git may use local repositories only, and every HTTP(S)
# request goes to a proxy that does not exist (the discard port of this machine).
_NO_NET_PROXY = "http://127.0.0.1:9"


def flake_ref(locked: Any) -> str | None:
    """The flake reference of a flake.lock ``locked`` entry (types github, gitlab,
    sourcehut, git over http(s)/ssh, tarball over http(s)), with its ``narHash``; None for
    other types (``path``, ``file``, local git: they would make Nix read outside the
    repository)."""
    from urllib.parse import quote, urlencode

    if not isinstance(locked, dict):
        return None
    t = locked.get("type")
    nar = locked.get("narHash")
    if t not in _NIX_TYPES or not isinstance(nar, str) or decode_sha256(nar) is None:
        return None

    def text(k: str) -> str | None:
        v = locked.get(k)
        return v if isinstance(v, str) and v and "\0" not in v else None

    params: dict[str, str] = {"narHash": nar}
    # with these Nix can tell that the locked source is complete and look for it in the
    # store instead of fetching it
    for k in ("lastModified", "revCount"):
        v = locked.get(k)
        if isinstance(v, int) and not isinstance(v, bool) and v >= 0:
            if k == "lastModified" or t == "git":
                params[k] = str(v)
    if t in ("github", "gitlab", "sourcehut"):
        owner, repo, rev = text("owner"), text("repo"), text("rev")
        if not (owner and repo and rev):
            return None
        if text("host"):
            params["host"] = text("host") or ""
        return f"{t}:{quote(owner)}/{quote(repo)}/{quote(rev)}?{urlencode(params)}"
    url = text("url")
    if url is None or not url.startswith(("https://", "http://", "ssh://", "git+")):
        return None
    if t == "git":
        if url.startswith("git+file:"):
            return None
        rev = text("rev")
        if rev is None:
            return None
        params = {"rev": rev, **({"ref": text("ref") or ""} if text("ref") else {}), **params}
        base = url if url.startswith("git+") else "git+" + url
    else:
        if url.startswith("git+"):
            return None
        # an archive's URL is a tarball reference by itself (older Nix knows no
        # `tarball+`)
        archive = url.split("?", 1)[0].endswith(_ARCHIVES)
        base = url if archive else "tarball+" + url
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}{urlencode(params)}"


def nix_source_path(locked: Any) -> tuple[str | None, str]:
    """Ask ``nix flake metadata --json --offline`` for the store path of a locked input
    (used when the computed store path is absent and ``nix`` is on PATH); the answer is
    kept for the process. Nix writes no lock file, uses no substituter and is stopped
    after :data:`NIX_TIMEOUT` seconds; ``--offline`` alone does not stop Nix from
    fetching a source it does not have, so the child also gets no network: git may use
    only local repositories (``GIT_ALLOW_PROTOCOL=file``) and HTTP(S) goes to a proxy on
    the discard port (connection refused). It evaluates nothing of the repository being
    checked: the reference is a locked clan-core source (pinned by its ``narHash``),
    looked up in the store. Returns (path, why-not)."""
    ref = flake_ref(locked)
    if ref is None:
        return None, "its flake.lock entry is not a locked remote source"
    if ref not in _ASKED:
        _ASKED[ref] = _ask_nix(ref)
    return _ASKED[ref]


def _ask_nix(ref: str) -> tuple[str | None, str]:
    import shutil
    import subprocess

    nix = shutil.which("nix")
    if nix is None:
        return None, "nix is not on PATH"
    cmd = [
        nix,
        "--extra-experimental-features",
        "nix-command flakes",
        "--option",
        "substituters",
        "",
        "--option",
        "connect-timeout",
        "1",
        "flake",
        "metadata",
        "--json",
        "--offline",
        "--no-update-lock-file",
        "--no-write-lock-file",
        ref,
    ]
    env = {k: v for k, v in os.environ.items() if k.lower() != "no_proxy"}
    env.update(
        GIT_ALLOW_PROTOCOL="file",
        GIT_TERMINAL_PROMPT="0",
        http_proxy=_NO_NET_PROXY,
        https_proxy=_NO_NET_PROXY,
        all_proxy=_NO_NET_PROXY,
        HTTP_PROXY=_NO_NET_PROXY,
        HTTPS_PROXY=_NO_NET_PROXY,
        ALL_PROXY=_NO_NET_PROXY,
    )
    try:
        done = subprocess.run(
            cmd,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=NIX_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return None, f"`nix flake metadata` did not answer within {NIX_TIMEOUT:g} s"
    except OSError as exc:
        return None, f"`nix` could not be run ({exc.strerror or exc})"
    if done.returncode != 0:
        return None, "`nix flake metadata --offline` did not find it"
    try:
        path = json.loads(done.stdout.decode("utf-8", "replace")).get("path")
    except (ValueError, AttributeError):
        return None, "`nix flake metadata` gave no JSON"
    if not isinstance(path, str) or not path.startswith("/"):
        return None, "`nix flake metadata` gave no store path"
    _, folder = _store()
    local = os.path.join(folder, os.path.basename(os.path.normpath(path)))
    from solver.files import Files

    probe = Files(folder)
    if probe.kind(os.path.join(local, "clanServices")) != "dir":
        return None, f"{path}, which `nix flake metadata` names, has no clanServices folder"
    _note(folder, probe.record())
    return local, ""


def find_lock(start: str) -> str | None:
    """The flake.lock of the clan at `start`: the nearest one from `start`'s folder up to
    its repository root."""
    from solver.files import find_root

    root = find_root(start)
    here = os.path.realpath(start)
    if not os.path.isdir(here):
        here = os.path.dirname(here)
    while True:
        cand = os.path.join(here, "flake.lock")
        if os.path.isfile(cand):
            return cand
        if here == root or os.path.dirname(here) == here:
            return None
        here = os.path.dirname(here)


# -- reading (cached) and layering ---------------------------------------------------------------


READER_VERSION = 3  # bump when what is cached changes shape
_READER_CODE = (
    "catalogue/clancore.py",
    "catalogue/source.py",
    "catalogue/model.py",
    "read/nix/eval.py",
    "read/nix/lib.py",
    "read/nix/modules.py",
    "read/nix/parse.py",
)


def _code_stamp() -> str:
    """The reader's version and its code (sizes and times; the modules are not imported:
    the cache-hit path does not load the Nix reader)."""
    pkg = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parts = [str(READER_VERSION)]
    for mod in _READER_CODE:
        st = os.stat(os.path.join(pkg, mod))
        parts.append(f"{st.st_size}:{st.st_mtime_ns}")
    return ";".join(parts)


def _cache_file(root: str) -> str | None:
    from solver.cache import cache_dir

    base = cache_dir()
    if not base:
        return None
    import hashlib

    key = hashlib.sha256(f"{os.path.realpath(root)}\0{_code_stamp()}".encode()).hexdigest()
    return os.path.join(base, "clancore", key[:32] + ".marshal")


def _signature(paths: list[str]) -> list[Any]:
    """A cheap key of what a read consumed: for each path, what ``lstat`` says (inode,
    size, modification and change times; None when absent) and, for a symbolic link,
    what ``stat`` says of its target. A change to a file, a listing (a folder's times) or
    a link changes it; ``ctime`` cannot be set back by tools that keep modification
    times."""
    import stat

    out: list[Any] = []
    for p in paths:
        try:
            st = os.lstat(p)
        except OSError:
            out.append(None)
            continue
        row: list[Any] = [st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]
        if stat.S_ISLNK(st.st_mode):
            try:
                t = os.stat(p)
                row.append((t.st_ino, t.st_size, t.st_mtime_ns, t.st_ctime_ns))
            except OSError:
                row.append(None)
        out.append(row)
    return out


def read_modules(root: str, immutable: bool = False) -> tuple[list[dict[str, Any]], list[str]]:
    """The services of a checkout as raw catalogue entries and the notes of what could
    not be read; from the cache when the checkout is unchanged (`immutable`: a Nix store
    path, whose name is the hash of its content: the cached entry is used unchecked).

    A cache entry (``marshal``: plain data, loaded without running code, several times
    faster than JSON) holds the record of every file, listing and probe the read
    consumed, with its content digest, and the :func:`_signature` of those paths. It is
    used when the signature is unchanged (about 0.5 ms for clan-core's 31 services); else
    when every recorded content is still the same (then the signature is refreshed);
    else the checkout is read again."""
    import marshal

    from solver.files import Entry, Files

    path = _cache_file(root)
    if path is not None:
        try:
            with open(path, "rb") as fh:
                entry = marshal.loads(fh.read())  # (marshal.load(fh) reads in small pieces)
            if immutable:
                return entry["modules"], entry["notes"]
            record = [Entry(k, p, d) for k, p, d in entry["record"]]
            paths = [e.path for e in record]
            if _signature(paths) == entry["sig"]:
                _note(root, record)
                return entry["modules"], entry["notes"]
            if Files(root).still_valid(record):
                _note(root, record)
                entry["sig"] = _signature(paths)
                _write_entry(path, entry)
                return entry["modules"], entry["notes"]
        except (OSError, ValueError, EOFError, KeyError, TypeError):
            pass
    from solver.catalogue.clancore import read_checkout

    cat = read_checkout(root)
    modules = [m.model_dump(exclude_defaults=True) for m in cat.modules]
    notes = [f"{n.module}: {n.what}" for n in cat.notes]
    if cat.files is not None:
        _note(root, cat.files.record())
    if path is not None and cat.files is not None:
        rows = [[e.kind, e.path, e.digest] for e in cat.files.record()]
        sig = _signature([r[1] for r in rows])
        _write_entry(path, {"record": rows, "sig": sig, "modules": modules, "notes": notes})
    return modules, notes


def _write_entry(path: str, entry: dict[str, Any]) -> None:
    import marshal

    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "wb") as fh:
            fh.write(marshal.dumps(entry))
        os.replace(tmp, path)
    except (OSError, ValueError):
        pass  # a read-only cache never fails a run


def _note(root: str, record: list[Any]) -> None:
    """What the catalogue read, for the result cache's record of the run."""
    if record:
        from solver import cache

        cache.note_reads(os.path.realpath(root), record)


def layered(read: list[dict[str, Any]]) -> Catalogue:
    """The read services with the curated knowledge on top
    (:func:`solver.catalogue.curated.layer`); the built-in legacy modules. Built-in
    services the revision does not have are not included."""
    cat = Catalogue()
    cat.raw = raw_entries(read, builtin=False)
    return cat


# -- choosing the source ------------------------------------------------------------------------


@dataclass
class Chosen:
    catalogue: Catalogue
    origin: str  # "path", "flake.lock" or "built-in"
    where: str | None = None
    notes: list[Diagnostic] = field(default_factory=list)
    revision: str | None = None  # the clan-core revision, when known
    # The revision the clan pins when the catalogue used is another one (the built-in
    # catalogue standing in for a pinned clan-core whose source was not found).
    stands_in_for: str | None = None


def _info(message: str, hint: str | None = None, **args: Any) -> Diagnostic:
    return Diagnostic(
        code="catalogue-source", severity="info", message=message, path="", hint=hint, args=args
    )


def choose(clan_core: str | None, start: str | None, allow_nix: bool = True) -> Chosen:
    """The catalogue for a run: `clan_core` (a checkout), else what the clan at `start`
    pins (its store path computed from the narHash; else, when `allow_nix`, as
    ``nix flake metadata`` names it), else the built-in one."""
    from solver.errors import InputError

    if clan_core is not None:
        if not os.path.isdir(os.path.join(clan_core, "clanServices")):
            raise InputError.single(
                "catalogue-error",
                f"--clan-core {clan_core}: not a clan-core checkout (no clanServices folder)",
                None,
            )
        modules, notes = read_modules(clan_core)
        chosen = Chosen(layered(modules), "path", clan_core, revision=git_revision(clan_core))
        chosen.catalogue.files.append(clan_core)
        chosen.notes += [_not_read(n) for n in notes]
        return chosen
    lock = find_lock(start) if start is not None else None
    pinned: Pinned | None = None
    if lock is not None:
        from solver.files import Files, Refused, find_root

        files = Files(find_root(lock))
        try:
            pinned = pinned_clan_core(lock, json.loads(files.read_bytes(lock)))
        except (OSError, ValueError, Refused):
            pinned = None
        _note(files.root, files.record())
    nix_why = ""
    locked: Any = None
    if pinned is not None and pinned.found is None and allow_nix:
        try:
            locked = json.loads(files.read_bytes(pinned.lock))["nodes"][pinned.node]["locked"]
        except (OSError, ValueError, KeyError, TypeError, Refused):
            locked = None
        pinned.found, nix_why = nix_source_path(locked)
    if pinned is not None and pinned.found is not None:
        modules, notes = read_modules(pinned.found, immutable=True)
        chosen = Chosen(layered(modules), "flake.lock", pinned.found, revision=pinned.rev)
        chosen.catalogue.files.append(pinned.found)
        chosen.notes += [_not_read(n) for n in notes]
        return chosen
    cat = builtin()
    chosen = Chosen(cat, "built-in", revision=builtin_revision())
    if pinned is not None:
        rev = (pinned.rev or "?")[:9]
        if pinned.rev is None or not pinned.rev.startswith(builtin_revision()):
            chosen.stands_in_for = rev
        why = (
            f"its source {pinned.store_path} is not in the Nix store"
            if pinned.store_path
            else "its flake.lock entry has no usable narHash"
        )
        if nix_why:
            why += f" ({nix_why})"
        elif not allow_nix:
            why += " (nix not asked: --no-nix)"
        chosen.notes.append(
            _info(
                f"The clan pins clan-core {rev}, but {why}; modules are checked against the "
                f"built-in catalogue (clan-core {builtin_revision()})",
                "evaluate the clan once (e.g. `nix flake metadata`) or pass --clan-core PATH",
                pinned=rev,
                builtin=builtin_revision(),
            )
        )
    return chosen


def git_revision(checkout: str) -> str | None:
    """The commit a git checkout is at (``.git/HEAD``, its ref or ``packed-refs``), read
    without git; None when it is not a git checkout or the ref is not found."""
    git = os.path.join(checkout, ".git")
    try:
        if os.path.isfile(git):  # a worktree: `gitdir: PATH`
            with open(git, encoding="utf-8") as fh:
                line = fh.read(4096).strip()
            if not line.startswith("gitdir:"):
                return None
            git = os.path.join(checkout, line[7:].strip())
        with open(os.path.join(git, "HEAD"), encoding="utf-8") as fh:
            head = fh.read(4096).strip()
        if not head.startswith("ref:"):
            return head or None
        ref = head[4:].strip()
        common = git
        cfile = os.path.join(git, "commondir")
        if os.path.isfile(cfile):
            with open(cfile, encoding="utf-8") as fh:
                common = os.path.join(git, fh.read(4096).strip())
        for base in (git, common):
            rfile = os.path.join(base, ref)
            if os.path.isfile(rfile):
                with open(rfile, encoding="utf-8") as fh:
                    return fh.read(100).strip() or None
        with open(os.path.join(common, "packed-refs"), encoding="utf-8") as fh:
            for line in fh:
                parts = line.split()
                if len(parts) == 2 and parts[1] == ref:
                    return parts[0]
    except (OSError, UnicodeDecodeError):
        return None
    return None


def _not_read(note: str) -> Diagnostic:
    return _info(f"clan-core not read: {note}", "settings there are not checked", note=note)


# Findings that depend on what one clan-core revision's modules declare: settings
# interfaces, machine classes, the roles and the modules themselves all change from one
# revision to the next. Constraints (and the curated rules) are stable and stay as they are.
REVISION_DEPENDENT = frozenset(
    {"unknown-setting", "setting-type", "class-mismatch", "unknown-role", "unknown-module"}
)


def soften_stand_in(
    diags: list[Diagnostic], inv: Inventory, core_inputs: frozenset[str], pinned: str, used: str
) -> list[Diagnostic]:
    """Errors about clan-core's modules, found with a catalogue of another revision than
    the one the clan pins, as warnings that say so.

    Without the pinned source, the built-in catalogue stands in for it; an option or a
    darwin module the pinned revision added would otherwise be a false error that blocks a
    correct change. The finding stays (no silent pass), as a warning whose hint names both
    revisions and how to check against the right one."""
    out: list[Diagnostic] = []
    note = (
        f"checked against the built-in catalogue (clan-core {used}) while the clan pins "
        f"clan-core {pinned}: this may differ there; evaluate the clan once (its clan-core "
        "source is then in the Nix store) or pass --clan-core PATH for a definite answer"
    )
    for d in diags:
        if d.severity == "error" and d.code in REVISION_DEPENDENT and d.instance is not None:
            inst = inv.instances.get(d.instance)
            module_input = inst.module_input() if inst is not None else None
            if inst is not None and (module_input is None or module_input in core_inputs):
                hint = f"{d.hint}; {note}" if d.hint else note
                d = d.model_copy(
                    update={
                        "severity": "warning",
                        "hint": hint,
                        "args": {**d.args, "pinned": pinned},
                    }
                )
        out.append(d)
    return out
