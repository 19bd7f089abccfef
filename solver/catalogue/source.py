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
(:func:`solver.cache.cache_dir`) under ``clancore/``, keyed by the checkout's real path
and this module's code; an entry is used only while every file it read still has the
same content (:meth:`solver.files.Files.still_valid`).

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
from typing import Any

from solver.catalogue import Catalogue, ModuleKey, builtin
from solver.diagnostics import Diagnostic

BUILTIN_REVISION = "d7c35d912"
ENV_STORE = "INVENTORY_SOLVER_NIX_STORE"
NIX_STORE = "/nix/store"
_B32 = "0123456789abcdfghijklmnpqrsvwxyz"
_CURATED = ("incompatible_roles", "role_counts", "unique_settings", "replaced_by")


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


def _code_stamp() -> str:
    here = os.path.dirname(os.path.abspath(__file__))
    parts = []
    for mod in ("clancore.py", "source.py", "model.py"):  # (not imported: the cache hit
        mod = os.path.join(here, mod)  # path does not load the Nix reader)
        st = os.stat(mod)
        parts.append(f"{st.st_size}:{st.st_mtime_ns}")
    return ";".join(parts)


def _cache_file(root: str) -> str | None:
    from solver.cache import cache_dir

    base = cache_dir()
    if not base:
        return None
    import hashlib

    key = hashlib.sha256(f"{os.path.realpath(root)}\0{_code_stamp()}".encode()).hexdigest()
    return os.path.join(base, "clancore", key[:32] + ".json")


def read_modules(root: str, immutable: bool = False) -> tuple[list[dict[str, Any]], list[str]]:
    """The services of a checkout as raw catalogue entries and the notes of what could
    not be read; from the cache when the checkout is unchanged (`immutable`: a Nix store
    path, whose name is the hash of its content: the cached entry is used unchecked)."""
    from solver.files import Entry, Files

    path = _cache_file(root)
    if path is not None:
        try:
            with open(path, encoding="utf-8") as fh:
                entry = json.load(fh)
            if immutable:
                return entry["modules"], entry["notes"]
            record = [Entry(k, p, d) for k, p, d in entry["record"]]
            if Files(root).still_valid(record):
                _note(root, record)
                return entry["modules"], entry["notes"]
        except (OSError, ValueError, KeyError, TypeError):
            pass
    from solver.catalogue.clancore import read_checkout

    cat = read_checkout(root)
    modules = [m.model_dump(exclude_defaults=True) for m in cat.modules]
    notes = [f"{n.module}: {n.what}" for n in cat.notes]
    if cat.files is not None:
        _note(root, cat.files.record())
    if path is not None and cat.files is not None:
        rows = [[e.kind, e.path, e.digest] for e in cat.files.record()]
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            tmp = f"{path}.{os.getpid()}.tmp"
            with open(tmp, "w", encoding="utf-8") as fh:
                json.dump({"record": rows, "modules": modules, "notes": notes}, fh)
            os.replace(tmp, path)
        except OSError:
            pass  # a read-only cache never fails a run
    return modules, notes


def _note(root: str, record: list[Any]) -> None:
    """What the catalogue read, for the result cache's record of the run."""
    if record:
        from solver import cache

        cache.note_reads(os.path.realpath(root), record)


def _layer_options(read: dict[str, Any], hand: dict[str, Any]) -> None:
    """Curated computed-default descriptions on the read options (top level)."""
    for rname, role in (read.get("roles") or {}).items():
        hrole = (hand.get("roles") or {}).get(rname) or {}
        hopts = hrole.get("interface") or {}
        for oname, opt in (role.get("interface") or {}).items():
            hopt = hopts.get(oname) or {}
            desc = hopt.get("description") or ""
            if "[computed default" in desc and not opt.get("has_default"):
                opt["description"] = desc


def layered(read: list[dict[str, Any]]) -> Catalogue:
    """The read services with the built-in catalogue's curated knowledge on top; the
    built-in legacy modules."""
    base = builtin()
    hand = {k: v for k, v in base.raw.items()}
    cat = Catalogue()
    for hkey, raw in hand.items():
        if hkey[2] == "legacy":
            cat.raw[hkey] = raw
    for m in read:
        m = json.loads(json.dumps(m))  # a private copy
        key: ModuleKey = (m.get("input"), m["name"], m.get("kind", "service"))
        h = hand.get(key)
        if h is not None:
            for k in _CURATED:
                if h.get(k):
                    m[k] = h[k]
            if h.get("single_instance") and not m.get("single_instance"):
                m["single_instance"] = h["single_instance"]
            if h.get("deprecated") and not m.get("deprecated"):
                m["deprecated"] = h["deprecated"]
            _layer_options(m, h)
        cat.raw[key] = m
    return cat


# -- choosing the source ------------------------------------------------------------------------


@dataclass
class Chosen:
    catalogue: Catalogue
    origin: str  # "path", "flake.lock" or "built-in"
    where: str | None = None
    notes: list[Diagnostic] = field(default_factory=list)


def _info(message: str, hint: str | None = None, **args: Any) -> Diagnostic:
    return Diagnostic(
        code="catalogue-source", severity="info", message=message, path="", hint=hint, args=args
    )


def choose(clan_core: str | None, start: str | None) -> Chosen:
    """The catalogue for a run: `clan_core` (a checkout), else what the clan at `start`
    pins, else the built-in one."""
    from solver.errors import InputError

    if clan_core is not None:
        if not os.path.isdir(os.path.join(clan_core, "clanServices")):
            raise InputError.single(
                "catalogue-error",
                f"--clan-core {clan_core}: not a clan-core checkout (no clanServices folder)",
                None,
            )
        modules, notes = read_modules(clan_core)
        chosen = Chosen(layered(modules), "path", clan_core)
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
    if pinned is not None and pinned.found is not None:
        modules, notes = read_modules(pinned.found, immutable=True)
        chosen = Chosen(layered(modules), "flake.lock", pinned.found)
        chosen.catalogue.files.append(pinned.found)
        chosen.notes += [_not_read(n) for n in notes]
        return chosen
    cat = builtin()
    chosen = Chosen(cat, "built-in")
    if pinned is not None:
        rev = (pinned.rev or "?")[:9]
        why = (
            f"its source {pinned.store_path} is not in the Nix store"
            if pinned.store_path
            else "its flake.lock entry has no usable narHash"
        )
        chosen.notes.append(
            _info(
                f"The clan pins clan-core {rev}, but {why}; modules are checked against the "
                f"built-in catalogue (clan-core {BUILTIN_REVISION})",
                "evaluate the clan once (e.g. `nix flake metadata`) or pass --clan-core PATH",
                pinned=rev,
                builtin=BUILTIN_REVISION,
            )
        )
    return chosen


def _not_read(note: str) -> Diagnostic:
    return _info(f"clan-core not read: {note}", "settings there are not checked", note=note)
