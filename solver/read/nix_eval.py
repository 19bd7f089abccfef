"""``--eval``: ask a real Nix for the inventory instead of reading the files statically.

For a clan directory (a flake) this runs::

    nix eval --json <dir>#clanInternals.inventoryClass.inventorySerialization

(the attribute clan's own CLI reads; older clan-core versions only have
``clanInternals.inventory``, tried second). For a ``.nix`` file it runs
``nix eval --json --file FILE <attr>`` for a file that evaluates to a clan (a ``lib.clan``
call: :data:`ATTRS`), else evaluates the file and tells an inventory from a clan module by
its shape, as the static reader does (``solver/read/shape.py``): a top-level attribute set
with ``inventory`` is a clan module and its ``inventory`` is taken (``clan.inventory`` for a
flake-parts module ``{ clan = …; }``); anything else is the inventory itself. Positions are
not known: findings are located by inventory path only.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from typing import Any

from solver.errors import InputError
from solver.read import Loaded, display_name

ATTRS = ("clanInternals.inventoryClass.inventorySerialization", "clanInternals.inventory")
FEATURES = ["--extra-experimental-features", "nix-command flakes"]
TIMEOUT = 600


def _nix_string(text: str) -> str:
    """`text` as a Nix string literal."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("${", "\\${")
    return f'"{escaped}"'


def shape_expr(path: str) -> str:
    """The Nix expression that evaluates the file at `path` (absolute) to its inventory:
    ``.inventory`` of a clan module, ``.clan.inventory`` of a flake-parts module, else the
    value itself (a file that is the inventory)."""
    return (
        f"let f = import {_nix_string(path)}; "
        # a module written as a function: its arguments are not known (lazily unused)
        "v = if builtins.isFunction f then f (builtins.mapAttrs (n: _: throw "
        '"inventory-solver: the module argument `${n}\' is not known") '
        "(builtins.functionArgs f)) else f; "
        "isClan = builtins.isAttrs v && v ? clan && builtins.isAttrs v.clan "
        "&& v.clan ? inventory; in "
        "if builtins.isAttrs v && v ? clanInternals then "
        "(v.clanInternals.inventoryClass.inventorySerialization or v.clanInternals.inventory) "
        "else if builtins.isAttrs v && v ? inventory then v.inventory "
        "else if isClan then v.clan.inventory else v"
    )


def _run(cmd: list[str]) -> tuple[int, str, str]:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise InputError.single(
            "nix-eval", f"`{' '.join(cmd)}' did not finish within {TIMEOUT} s"
        ) from None
    except OSError as exc:
        raise InputError.single("nix-eval", f"could not run nix: {exc}") from None
    return proc.returncode, proc.stdout, proc.stderr


def _last_error(stderr: str) -> str:
    lines = [ln.rstrip() for ln in stderr.strip().splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.lstrip().startswith("error:")]
    text = errors[-1] if errors else (lines[-1] if lines else "no output")
    return text.strip()


def eval_inventory(target: str, nix: str | None = None) -> tuple[Any, str]:
    """Evaluate the inventory of `target`; returns (data, the expression evaluated)."""
    exe = nix or shutil.which("nix")
    if exe is None:
        raise InputError.single(
            "nix-missing",
            "--eval needs Nix, but `nix' is not on PATH",
            hint="install Nix (on Debian: apt-get install nix-bin), or check without --eval "
            "(the static reader needs no Nix)",
        )
    if os.path.basename(target) == "flake.nix" and os.path.isfile(target):
        target = os.path.dirname(target) or "."  # a flake.nix means its flake, as statically
    if os.path.isdir(target):
        if not os.path.isfile(os.path.join(target, "flake.nix")):
            raise InputError.single(
                "io-error",
                f"--eval needs a flake: no flake.nix in {display_name(target)}",
                hint="pass the clan directory (the one with flake.nix)",
            )
        ref = os.path.abspath(target)
        attempts = [
            ([exe, *FEATURES, "eval", "--json", f"path:{ref}#{a}"], f"{ref}#{a}") for a in ATTRS
        ]
    elif os.path.isfile(target):
        path = os.path.abspath(target)
        attempts = [
            ([exe, *FEATURES, "eval", "--impure", "--json", "--expr", shape_expr(path)], target)
        ]
    else:
        raise InputError.single("io-error", f"{target}: no such file or directory")
    first_error = ""
    for cmd, what in attempts:
        code, out, err = _run(cmd)
        if code == 0:
            try:
                return json.loads(out), what
            except json.JSONDecodeError:
                raise InputError.single(
                    "nix-eval", f"`nix eval' returned something that is not JSON for {what}"
                ) from None
        msg = _last_error(err)
        if not first_error:
            first_error = msg
        if "does not provide attribute" not in err and "attribute '" not in err:
            break
    shown = display_name(target)
    again = (
        f"nix eval --json {shown}#{ATTRS[0]} --show-trace"
        if os.path.isdir(target)
        else f"nix eval --impure --json --file {shown} --show-trace"
    )
    raise InputError.single(
        "nix-eval",
        f"nix could not evaluate the inventory of {shown}: {first_error}",
        hint=f"run the command yourself to see Nix's full message: {again}",
    )


def load_eval(target: str) -> Loaded:
    """``--eval``: the inventory as Nix evaluates it; no positions (NullLocator)."""
    data, _what = eval_inventory(target)
    if not isinstance(data, dict):
        raise InputError.single(
            "nix-eval", f"the evaluated inventory of {display_name(target)} is not an attribute set"
        )
    return Loaded(data=data, files=[display_name(target)])
