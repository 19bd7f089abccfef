"""Where the clan is when no PATH is given: the nearest folder upward with ``flake.nix``,
``clan.nix`` or ``inventory.json``, stopping at the repository root (the folder with
``.git``), like git and ruff find their roots.

Standard library only: the result cache (``solver/cache.py``) uses it before anything
else is imported, so that a run from a subfolder is keyed by the clan it reads.
"""

from __future__ import annotations

import os

MARKERS = ("flake.nix", "clan.nix", "inventory.json")


def find_clan_root(start: str = ".") -> str | None:
    """The nearest folder from `start` upward that holds a clan marker file, not above the
    repository root; None when there is none. The result is relative to the current
    directory when `start` is ("..", "../.."), so that file names shown stay relative to
    where the user stands."""
    here = os.path.abspath(start)
    rel = start
    while True:
        if any(os.path.isfile(os.path.join(here, m)) for m in MARKERS):
            return os.path.normpath(rel)
        if os.path.lexists(os.path.join(here, ".git")):
            return None  # the repository root: do not look above it
        parent = os.path.dirname(here)
        if parent == here:
            return None
        here = parent
        rel = os.path.join(rel, "..")


def default_target() -> str:
    """The clan read when no PATH is given: :func:`find_clan_root` of the current
    directory, else the current directory itself (which then gives the usual message)."""
    return find_clan_root(".") or "."
