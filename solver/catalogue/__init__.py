"""Load the module catalogue: the built-in one plus user files (TOML or JSON)."""

from __future__ import annotations

import dataclasses
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from pydantic import ValidationError

from solver.catalogue.model import CatalogueFile, ModuleKind, ModuleSpec
from solver.diagnostics import Diagnostic
from solver.errors import InputError
from solver.location import Location, format_path

BUILTIN = os.path.join(os.path.dirname(__file__), "builtin.json")

ModuleKey = tuple[str | None, str, ModuleKind]

# `module.input = "clan-core"` names the clan-core flake input: the same modules as no input.
CLAN_CORE_INPUTS = frozenset({"clan-core"})


@dataclass
class Catalogue:
    """Modules by (input, name, kind); later sources override earlier ones.

    Built-in modules are kept as raw data and validated on first use: a run validates
    only the modules its inventory uses (the whole built-in catalogue is validated by the
    test suite)."""

    modules: dict[ModuleKey, ModuleSpec] = field(default_factory=dict)
    raw: dict[ModuleKey, dict[str, Any]] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    # flake input names that mean clan-core itself (`clan-core`, or the clan's own name
    # for it: `inputs.clan.url = "…/clan-core"`)
    core_inputs: frozenset[str] = CLAN_CORE_INPUTS

    def with_core_inputs(self, names: Iterable[str]) -> Catalogue:
        """The same catalogue where `names` also name clan-core's input."""
        extra = frozenset(names) - self.core_inputs
        if not extra:
            return self
        return dataclasses.replace(self, core_inputs=self.core_inputs | extra)

    def add(self, specs: Iterable[ModuleSpec]) -> None:
        for spec in specs:
            key = (spec.input, spec.name, spec.kind)
            self.raw.pop(key, None)
            self.modules[key] = spec

    def _lookup(self, key: ModuleKey) -> ModuleSpec | None:
        found = self.modules.get(key)
        if found is None and key in self.raw:
            found = self.modules[key] = ModuleSpec.model_validate(self.raw.pop(key))
        return found

    def get(self, input: str | None, name: str, kind: ModuleKind) -> ModuleSpec | None:
        found = self._lookup((input, name, kind))
        if found is None and input in self.core_inputs:
            found = self._lookup((None, name, kind))
        return found

    def names(self, kind: ModuleKind) -> list[str]:
        return sorted({k[1] for k in (*self.modules, *self.raw) if k[2] == kind})

    def inputs(self, kind: ModuleKind) -> dict[str, list[str]]:
        """Module name -> the flake inputs that provide it ("clan-core" for built-ins)."""
        out: dict[str, set[str]] = {}
        for inp, name, k in (*self.modules, *self.raw):
            if k == kind:
                out.setdefault(name, set()).add(inp or "clan-core")
        return {name: sorted(v) for name, v in out.items()}


@cache
def _builtin_raw() -> tuple[tuple[ModuleKey, dict[str, Any]], ...]:
    with open(BUILTIN, encoding="utf-8") as fh:
        data = json.load(fh)
    out = []
    for m in data["modules"]:
        key: ModuleKey = (m.get("input"), m["name"], m.get("kind", "service"))
        out.append((key, m))
    return tuple(out)


def builtin() -> Catalogue:
    cat = Catalogue()
    cat.raw = {k: v for k, v in _builtin_raw()}
    cat.files.append("<built-in>")
    return cat


def _toml_line(text: str, key: str | int | None) -> int:
    if not isinstance(key, str):
        return 1
    pat = re.compile(r"^\s*(\[+[^\]]*\b" + re.escape(key) + r"\b|" + re.escape(key) + r"\s*=)")
    for n, line in enumerate(text.splitlines(), 1):
        if pat.search(line):
            return n
    return 1


def read_file(path: str) -> list[ModuleSpec]:
    """Read a user catalogue file; every problem is an InputError with its location."""
    from solver.read import display_name
    from solver.read.json_reader import parse_json, read_text

    shown = display_name(path)
    text = read_text(path)
    locate: Any
    if path.endswith(".toml"):
        import tomllib

        try:
            data: Any = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            m = re.search(r"line (\d+), column (\d+)", str(exc))
            loc = Location(
                file=shown, line=int(m.group(1)) if m else 1, column=int(m.group(2)) if m else 1
            )
            raise InputError.single("catalogue-error", f"invalid TOML: {exc}", loc) from None

        def locate(p: tuple[Any, ...]) -> Location:
            return Location(file=shown, line=_toml_line(text, p[-1] if p else None), column=1)
    else:
        try:
            data, locator = parse_json(text, shown)
        except InputError as exc:
            raise InputError(
                [d.model_copy(update={"code": "catalogue-error"}) for d in exc.diagnostics]
            ) from None

        def locate(p: tuple[Any, ...]) -> Location | None:
            return locator.locate(p, "key")

    if isinstance(data, dict):
        data.setdefault("version", 1)
    try:
        return CatalogueFile.model_validate(data).modules
    except ValidationError as exc:
        diags = []
        for err in exc.errors(include_url=False, include_input=False):
            eloc: tuple[str | int, ...] = tuple(err["loc"])
            diags.append(
                Diagnostic(
                    code="catalogue-error",
                    severity="error",
                    message=f"{format_path(eloc) or 'catalogue'}: {err['msg']}",
                    path=format_path(eloc),
                    location=locate(eloc),
                    hint="see the README section 'Module catalogue' for the schema",
                )
            )
        raise InputError(diags) from None


def load(
    extra_files: Iterable[str] = (),
    extra_specs: Iterable[ModuleSpec] = (),
    base: Catalogue | None = None,
) -> Catalogue:
    """The built-in catalogue (or `base`: one read from clan-core, see
    :mod:`solver.catalogue.source`), then modules found in the sources, then user files."""
    cat = builtin() if base is None else base
    cat.add(extra_specs)
    for f in extra_files:
        cat.add(read_file(f))
        cat.files.append(f)
    return cat
