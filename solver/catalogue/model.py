"""The module catalogue: what inventory-solver knows about each clan service.

The built-in catalogue describes clan-core's services: ``builtin.json`` beside this file
(generated from a clan-core checkout by ``inventory-solver catalogue build``) with
``curated.json`` on top (knowledge clan-core does not state in data, and the legacy
``clanModules``; see :mod:`solver.catalogue.curated`); users add or override
modules with their own file (``--modules FILE``, TOML or JSON, same schema). Every rule
that does not come straight from a machine-readable field of clan-core carries a
``source`` saying where it comes from.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MachineClass = Literal["nixos", "darwin"]
ModuleKind = Literal["service", "legacy"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True)


class OptionSpec(_Strict):
    """One option of a role's settings interface (a subset of the Nix module types).

    ``type`` is one of: ``str``, ``int``, ``float``, ``number``, ``bool``, ``path``,
    ``port``, ``enum`` (see ``values``), ``list`` and ``attrs`` (element type in ``elem``),
    ``submodule`` (fields in ``options``; ``freeform`` allows other keys), ``anything``.
    ``nullable`` makes ``null`` valid too. ``nix_type`` is clan's own wording of the type,
    used in messages ("list of string").
    """

    type: Literal[
        "str",
        "int",
        "float",
        "number",
        "bool",
        "path",
        "port",
        "enum",
        "list",
        "attrs",
        "submodule",
        "anything",
    ]
    nix_type: str | None = None
    nullable: bool = False
    values: list[Any] | None = None
    elem: OptionSpec | None = None
    options: dict[str, OptionSpec] | None = None
    freeform: bool = False
    default: Any = None
    has_default: bool = False
    description: str | None = None


class RoleSpec(_Strict):
    """A role of a module. For a ``service``, ``min_machines``/``max_machines`` are
    ``manifest.constraints.roles.<r>.{minMachines,maxMachines}``; for a ``legacy`` module
    they are the README frontmatter ``constraints.roles.<r>.{min,max}``."""

    description: str | None = None
    min_machines: int | None = Field(default=None, ge=0)
    max_machines: int | None = Field(default=None, ge=0)
    interface: dict[str, OptionSpec] | None = Field(
        default=None,
        description="settings options; None when unknown (then settings are freeform)",
    )
    freeform: bool = Field(
        default=True, description="whether keys outside `interface` are accepted"
    )


class IncompatibleRoles(_Strict):
    """Roles that must not be held by one machine in one instance."""

    roles: list[str] = Field(min_length=2, max_length=2)
    message: str | None = None
    source: str


class RoleCount(_Strict):
    """A curated bound on a role's machine count that clan-core enforces in service code
    (a NixOS assertion or throw), not in ``manifest.constraints``."""

    role: str
    min: int | None = Field(default=None, ge=0)
    max: int | None = Field(default=None, ge=0)
    message: str | None = None
    source: str


class SingleInstance(_Strict):
    """The module supports one instance per machine (``machine``) or per clan (``clan``)."""

    scope: Literal["machine", "clan"]
    severity: Literal["error", "warning"] = "error"
    message: str | None = None
    source: str


class UniqueSetting(_Strict):
    """A setting whose value identifies something on the machine (a user name, a port):
    two instances of the module on one machine must not set it to the same value."""

    role: str | None = None
    path: list[str]
    what: str = "value"
    source: str


class Replacement(_Strict):
    """A module that replaces a deprecated one (named by clan-core's deprecation message
    or migration guide, cited in ``source``)."""

    name: str = Field(description="key in `clan.modules` of the replacement")
    input: str | None = Field(default=None, description="its flake input; null = clan-core")
    source: str

    def describe(self) -> str:
        """``'sshd'`` or ``'coredns' of flake input 'clan-community'``."""
        where = f" of flake input '{self.input}'" if self.input else ""
        return f"'{self.name}'{where}"


class ModuleSpec(_Strict):
    """What is known about one module."""

    name: str = Field(description="key in `clan.modules` (service) or clanModules (legacy)")
    input: str | None = Field(default=None, description="flake input; null = clan-core")
    kind: ModuleKind = "service"
    manifest_name: str | None = Field(
        default=None, description="manifest.name, used in clan's check ids and messages"
    )
    description: str | None = None
    roles: dict[str, RoleSpec]
    max_instances: int | None = Field(default=None, ge=1)
    single_instance: SingleInstance | None = None
    incompatible_roles: list[IncompatibleRoles] = Field(default_factory=list)
    role_counts: list[RoleCount] = Field(default_factory=list)
    classes: list[MachineClass] = Field(default_factory=lambda: list[MachineClass](["nixos"]))
    classes_source: str | None = None
    deprecated: str | None = Field(default=None, description="deprecation message, if any")
    replaced_by: list[Replacement] = Field(
        default_factory=list, description="what to use instead of a deprecated module"
    )
    unique_settings: list[UniqueSetting] = Field(default_factory=list)
    source: str | None = None

    @property
    def display_name(self) -> str:
        return self.manifest_name or self.name


class CatalogueFile(_Strict):
    """The schema of a catalogue file (built-in or user)."""

    version: Literal[1] = 1
    modules: list[ModuleSpec]
