"""Source positions and inventory paths.

A *path* is a tuple of keys (``str``) and list indices (``int``) from the root of the
inventory, e.g. ``("instances", "borg", "roles", "client", "tags")``. It is rendered
for people as ``instances.borg.roles.client.tags`` (Nix attribute-path style: a key
that is not a plain identifier is quoted, an index is written ``[0]``).

A *locator* maps a path to a :class:`Location` in some file. Every reader (JSON, Nix)
provides one; positions are computed lazily, only for paths that are reported.
"""

from __future__ import annotations

import json
import re
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict

PathKey = str | int
Path = tuple[PathKey, ...]
Part = Literal["key", "value"]

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_'-]*$")


class Location(BaseModel):
    """A position in a file: 1-based line and column (columns count Unicode code points)."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    file: str
    line: int
    column: int
    end_line: int | None = None
    end_column: int | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class Locator(Protocol):
    """Anything that can say where a path of the inventory was written."""

    def locate(self, path: Path, part: Part = "key") -> Location | None:
        """Where `path` is; `part` picks the key (``"a": ...``) or the value."""
        ...


class NullLocator:
    """A locator for data that came from nowhere in particular (a dict in a library call)."""

    def locate(self, path: Path, part: Part = "key") -> Location | None:
        return None


def format_path(path: Path) -> str:
    """``("instances", "a.b", "roles", 0)`` -> ``instances."a.b".roles[0]``."""
    out: list[str] = []
    for key in path:
        if isinstance(key, int):
            out.append(f"[{key}]")
            continue
        text = key if _IDENT.match(key) else json.dumps(key, ensure_ascii=False)
        out.append(text if not out else "." + text)
    return "".join(out)
