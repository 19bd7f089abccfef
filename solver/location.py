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
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

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


@dataclass(frozen=True)
class Definition:
    """Where one definition of an inventory path is written, as character offsets into
    `text` (the file's text as read, without a byte-order mark), for editing it.

    ``binding`` is the whole definition: ``"key": value`` in JSON, ``a.b = value;`` in Nix,
    the element itself in a list. ``key`` is None for a list element; ``value`` is None
    for a Nix key that is not the last of its attribute path (``machines`` in
    ``machines.jon = { };``). ``prefix`` is the attribute path written before the key in
    its binding (``roles.server.`` for ``roles.server.machines.jon = { };``). ``container``
    is the span of the list or object holding it (JSON: brackets included), and
    ``siblings`` the bindings of every entry of that container in order (JSON only; the
    separators between them are commas). ``computed`` is set when the value at this path
    is not written here but computed elsewhere (a function, ``map``, a ``let`` binding, a
    directory): its location, and nothing here may be edited for the value."""

    file: str
    text: str
    syntax: Literal["json", "nix"]
    binding: tuple[int, int]
    key: tuple[int, int] | None = None
    value: tuple[int, int] | None = None
    prefix: str = ""
    container: tuple[int, int] | None = None
    siblings: tuple[tuple[int, int], ...] = ()
    computed: Location | None = None
    key_computed: Location | None = None


@runtime_checkable
class DefinitionLocator(Protocol):
    """A locator that can also give the editable spans of a path (for ``fix``)."""

    def definitions(self, path: Path) -> list[Definition] | None:
        """Every definition of `path` (several when it is merged from several places), or
        None when the path is not located (not read from a file)."""
        ...


class NullLocator:
    """A locator for data that came from nowhere in particular (a dict in a library call)."""

    def locate(self, path: Path, part: Part = "key") -> Location | None:
        return None

    def definitions(self, path: Path) -> list[Definition] | None:
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
