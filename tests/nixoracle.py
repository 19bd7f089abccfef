"""Real Nix as a test oracle for reading clans written in Nix.

``evaluate(folder)`` runs ``nix-instantiate --eval --strict --json`` on
``tests/nixoracle/default.nix``: the fixture's ``flake.nix`` is called flake-less and
offline with stand-ins for its inputs (``tests/nixoracle/*.nix``: flake-parts' ``mkFlake``,
import-tree, and clan-core wired from the vendored snapshot, so that the inventory is merged
by clan-core's own clan module). ``static_view(folder)`` is the same view of the static
reader's result (``solver.check``); ``diff`` lists where they disagree.

The view (both sides)::

    {"machines": {name: {"tags": [sorted, computed tags included], "machineClass": str}},
     "instances": {i: {"module": {"name": str, "input": str | None},
                       "roles": {r: {"machines": [named], "tags": [listed],
                                     "members": [named ∪ carrying a listed tag]}}}}}

The Nix output also has ``"tags"`` (``inventory.tags``, computed tags included).

A fixture takes part when its folder holds ``oracle.toml``::

    entry = "flake.nix"          # or a clan module such as "clan.nix" (default: flake.nix)
    xfail = "why the static reader disagrees today"   # optional

Needs Debian's ``nix-instantiate`` and ``shared/vendor/{nixpkgs-lib,clan-core}`` beside the
repository (see ``_vendor``); ``unavailable()`` says why not when they are missing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
NIX_DIR = Path(__file__).resolve().parent / "nixoracle"


def _vendor() -> Path:
    """``$INVENTORY_SOLVER_VENDOR``, else ``shared/vendor`` beside the repository (or beside
    the folder of git worktrees, e.g. /work/wt/<branch> -> /work/shared/vendor)."""
    env = os.environ.get("INVENTORY_SOLVER_VENDOR")
    if env:
        return Path(env)
    candidates = [REPO / ".." / "shared" / "vendor", REPO / ".." / ".." / "shared" / "vendor"]
    return next((c for c in candidates if c.is_dir()), candidates[0])


VENDOR = _vendor()
NIXPKGS_LIB = VENDOR / "nixpkgs-lib" / "lib"
CLAN_CORE = VENDOR / "clan-core"
CLANS = REPO / "tests" / "data" / "clans"
TIMEOUT = 60

View = dict[str, Any]


class OracleError(Exception):
    """Nix could not evaluate the fixture (its ``error:`` block is the message)."""


@dataclass(frozen=True)
class Case:
    folder: Path
    entry: str
    xfail: str | None

    @property
    def name(self) -> str:
        return self.folder.name


def unavailable() -> str | None:
    """Why the oracle cannot run here, or None."""
    if shutil.which("nix-instantiate") is None:
        return "nix-instantiate (Debian nix-bin) is not installed"
    for need in (NIXPKGS_LIB / "default.nix", CLAN_CORE / "modules" / "clan" / "default.nix"):
        if not need.is_file():
            return f"vendored sources missing: {need.resolve()}"
    return None


def cases(root: Path = CLANS) -> list[Case]:
    """Every fixture folder with an ``oracle.toml`` (and the entry file it names)."""
    out: list[Case] = []
    for marker in sorted(root.glob("*/oracle.toml")):
        conf = tomllib.loads(marker.read_text())
        folder = marker.parent
        default = "flake.nix" if (folder / "flake.nix").is_file() else "clan.nix"
        entry = str(conf.get("entry", default))
        if not (folder / entry).is_file():
            raise ValueError(f"{marker}: entry {entry!r} does not exist")
        xfail = conf.get("xfail")
        out.append(Case(folder, entry, str(xfail) if xfail is not None else None))
    return out


def evaluate(folder: Path, entry: str = "flake.nix") -> View:
    """The clan of ``folder`` as real Nix (and clan-core's clan module) evaluates it."""
    cmd = [
        "nix-instantiate",
        "--eval",
        "--strict",
        "--json",
        str(NIX_DIR / "default.nix"),
        "--argstr",
        "nixpkgsLib",
        str(NIXPKGS_LIB.resolve()),
        "--argstr",
        "clanCore",
        str(CLAN_CORE.resolve()),
        "--argstr",
        "fixture",
        str(folder.resolve()),
        "--argstr",
        "entry",
        entry,
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    if proc.returncode != 0:
        lines = proc.stderr.splitlines()
        start = next((i for i, line in enumerate(lines) if line.startswith("error:")), 0)
        raise OracleError(f"{folder.name}: nix-instantiate failed:\n" + "\n".join(lines[start:]))
    result: View = json.loads(proc.stdout)
    return result


def _names(value: Any) -> list[str]:
    """Machine or tag names of a role: attribute names, or a list of names."""
    if isinstance(value, dict):
        return sorted(value)
    if isinstance(value, list):
        return sorted({str(v) for v in value})
    return []


def static_view(folder: Path) -> View:
    """The same view, from the static reader (``solver.check`` and ``solver.read.load``)."""
    import solver
    from solver.read import load

    report = solver.check(str(folder))
    data = load(str(folder)).data
    instances_data: dict[str, Any] = (data or {}).get("instances") or {}
    machines: View = {
        name: {"tags": sorted(set(m.tags)), "machineClass": m.machine_class}
        for name, m in sorted(report.resolution.machines.items())
        if m.defined
    }
    instances: View = {}
    for name, inst in sorted(report.resolution.instances.items()):
        roles_data = (instances_data.get(name) or {}).get("roles") or {}
        roles: View = {}
        for rname, role in sorted(inst.roles.items()):
            rdata = roles_data.get(rname) or {}
            roles[rname] = {
                "machines": _names(rdata.get("machines")),
                "tags": _names(rdata.get("tags")),
                "members": sorted(role.members),
            }
        instances[name] = {
            "module": {"name": inst.module.name, "input": inst.module.input},
            "roles": roles,
        }
    return {"machines": machines, "instances": instances}


def comparable(nix: View) -> View:
    """The Nix view restricted to what ``static_view`` has (drops ``tags``)."""
    return {"machines": nix["machines"], "instances": nix["instances"]}


def diff(nix: Any, ours: Any, path: str = "") -> list[str]:
    """Readable differences, one line each: ``<path>: nix <a> / static reader <b>``."""
    if isinstance(nix, dict) and isinstance(ours, dict):
        out: list[str] = []
        for key in sorted(set(nix) | set(ours)):
            where = f"{path}.{key}" if path else str(key)
            if key not in ours:
                out.append(f"{where}: only in nix: {json.dumps(nix[key], sort_keys=True)}")
            elif key not in nix:
                out.append(
                    f"{where}: only in static reader: {json.dumps(ours[key], sort_keys=True)}"
                )
            else:
                out += diff(nix[key], ours[key], where)
        return out
    if isinstance(nix, list) and isinstance(ours, list) and nix != ours:
        missing = [x for x in nix if x not in ours]
        extra = [x for x in ours if x not in nix]
        parts = []
        if missing:
            parts.append(f"missing {json.dumps(missing)}")
        if extra:
            parts.append(f"extra {json.dumps(extra)}")
        if not parts:
            parts.append(f"order: nix {json.dumps(nix)} / static reader {json.dumps(ours)}")
        return [f"{path}: static reader has " + ", ".join(parts)]
    if nix != ours:
        return [f"{path}: nix {json.dumps(nix)} / static reader {json.dumps(ours)}"]
    return []


def evaluate_expr(expr: str) -> Any:
    """The JSON value of a Nix expression in which ``lib`` is nixpkgs' lib."""
    text = f"let lib = import (/. + {json.dumps(str(NIXPKGS_LIB.resolve()))}); in {expr}"
    cmd = ["nix-instantiate", "--eval", "--strict", "--json", "--expr", text]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    if proc.returncode != 0:
        raise OracleError(f"nix-instantiate failed on {expr}:\n{proc.stderr}")
    return json.loads(proc.stdout)


# the clan around a generated expression, for the static reader
EXPR_FLAKE = """{
  outputs =
    { self, clan-core, nixpkgs, ... }:
    let
      inherit (nixpkgs) lib;
    in
    {
      clan = clan-core.lib.clan {
        inherit self;
        inventory.machines = EXPR;
      };
    };
}
"""


def static_machines(folder: Path, expr: str) -> Any:
    """``inventory.machines`` as the static reader reads ``expr`` in a ``flake.nix``."""
    from solver.read import load

    (folder / "flake.nix").write_text(EXPR_FLAKE.replace("EXPR", expr))
    data = load(str(folder)).data or {}
    return data.get("machines") or {}
