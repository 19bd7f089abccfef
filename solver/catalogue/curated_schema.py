"""The schema of ``curated.json`` (see :mod:`solver.catalogue.curated`), for validating
the file (tests, maintainers); a run reads it as plain data."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from solver.catalogue.model import (
    IncompatibleRoles,
    ModuleSpec,
    OptionSpec,
    Replacement,
    RoleCount,
    SingleInstance,
    UniqueSetting,
    _Strict,
)


class CuratedService(_Strict):
    name: str
    input: str | None = None
    incompatible_roles: list[IncompatibleRoles] = Field(default_factory=list)
    role_counts: list[RoleCount] = Field(default_factory=list)
    single_instance: SingleInstance | None = None
    unique_settings: list[UniqueSetting] = Field(default_factory=list)
    replaced_by: list[Replacement] = Field(default_factory=list)
    deprecated: str | None = None
    deprecated_source: str | None = None
    computed_defaults: dict[str, dict[str, str]] = Field(default_factory=dict)
    newer_options: dict[str, dict[str, OptionSpec]] = Field(default_factory=dict)
    newer_options_source: str | None = None


class CuratedFile(_Strict):
    version: Literal[1] = 1
    about: str | None = None
    services: list[CuratedService]
    legacy: list[ModuleSpec]
