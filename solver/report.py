"""The typed results of a run: the resolution (who holds which role, with what settings)
and the diagnostics. This is the library's public surface."""

from __future__ import annotations

from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from solver.diagnostics import Diagnostic
from solver.location import Location


class ModuleRef(BaseModel):
    """The module an instance uses: its name, and the flake input it comes from (``None``:
    clan-core's own modules)."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    name: str
    input: str | None = None


class Via(BaseModel):
    """Why a machine holds a role: named explicitly, or through a tag."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    kind: Literal["explicit", "tag"]
    tag: str | None = None
    location: Location | None = None

    def __str__(self) -> str:
        return "explicit" if self.kind == "explicit" else f"tag {self.tag}"


class RoleResolution(BaseModel):
    """The members of one role of one instance, and for each member why it holds the role."""

    model_config = ConfigDict(defer_build=True)

    members: list[str] = Field(description="sorted, de-duplicated machine names")
    via: dict[str, list[Via]] = Field(default_factory=dict)


class InstanceResolution(BaseModel):
    """One instance (or legacy service instance): its module, whether it is enabled, and its
    roles with their members."""

    model_config = ConfigDict(defer_build=True)

    name: str
    module: ModuleRef
    kind: Literal["service", "legacy"] = "service"
    enabled: bool = True
    roles: dict[str, RoleResolution] = Field(default_factory=dict)


class Assignment(BaseModel):
    """One role a machine holds: in which instance, why, and with what merged settings."""

    model_config = ConfigDict(defer_build=True)

    instance: str
    module: ModuleRef
    role: str
    via: list[Via] = Field(default_factory=list)
    settings: dict[str, Any] | None = Field(
        default=None, description="merged settings for this machine in this role"
    )


class MachineResolution(BaseModel):
    """One machine: whether it is defined under ``machines``, its class, its tags and the
    roles it holds."""

    model_config = ConfigDict(defer_build=True)

    name: str
    defined: bool = True
    machine_class: Literal["nixos", "darwin"] = "nixos"
    tags: list[str] = Field(default_factory=list)
    assignments: list[Assignment] = Field(default_factory=list)


class Resolution(BaseModel):
    """Who holds which role: per instance (members with provenance) and per machine
    (assignments with merged settings)."""

    model_config = ConfigDict(defer_build=True)

    shape: Literal["current", "legacy"] = "current"
    instances: dict[str, InstanceResolution] = Field(default_factory=dict)
    machines: dict[str, MachineResolution] = Field(default_factory=dict)


class Summary(BaseModel):
    """Counts of the findings by severity, the findings ignored by the config (or by
    ``--select``/``--ignore``), the files read, and the findings suppressed by an inline
    comment."""

    model_config = ConfigDict(defer_build=True)

    errors: int = 0
    warnings: int = 0
    infos: int = 0
    ignored: int = 0
    files: list[str] = Field(default_factory=list)
    suppressed: int = 0


class SkippedFile(BaseModel):
    """A file (or import) that was not read, and why."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    file: str
    reason: str
    location: Location | None = None


class OpaqueValue(BaseModel):
    """A value that could not be evaluated statically (left out of the inventory)."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    path: str
    message: str
    location: Location | None = None
    membership: bool = Field(
        default=False, description="it decides role membership (a role's machines or tags, ...)"
    )


class Coverage(BaseModel):
    """What the run read: the files, the files it skipped, the values it could not evaluate.

    ``gaps`` are what makes ``--strict`` fail: skipped files, values that decide membership,
    and a clan whose inventory could not be read at all (``clan_read`` false)."""

    model_config = ConfigDict(defer_build=True)

    files: list[str] = Field(default_factory=list)
    skipped: list[SkippedFile] = Field(default_factory=list)
    opaque_values: int = 0
    opaque_membership: int = 0
    clan_read: bool = True
    opaque: list[OpaqueValue] = Field(default_factory=list)

    def gaps(self) -> list[str]:
        """Why the read is incomplete in a way that affects findings (empty: complete)."""
        out: list[str] = []
        if not self.clan_read:
            out.append("the clan's inventory could not be read (clan-not-read)")
        if self.skipped:
            n = len(self.skipped)
            out.append(f"{n} file{'' if n == 1 else 's'} skipped")
        if self.opaque_membership:
            n = self.opaque_membership
            out.append(f"{n} value{'' if n == 1 else 's'} deciding role membership not evaluated")
        return out


class Suppressed(BaseModel):
    """A finding suppressed where the code is: by an inline comment
    (``# inventory-solver: ignore[CODE] reason``) at ``location``."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    diagnostic: Diagnostic
    kind: Literal["inSource"] = "inSource"
    reason: str
    location: Location


class Report(BaseModel):
    """Everything a run found. ``ok`` is true when there is no error. ``suppressed``: the
    findings an inline comment suppressed (not in ``diagnostics``)."""

    model_config = ConfigDict(defer_build=True)

    resolution: Resolution
    diagnostics: list[Diagnostic] = Field(default_factory=list)
    summary: Summary = Field(default_factory=Summary)
    coverage: Coverage = Field(default_factory=Coverage)
    suppressed: list[Suppressed] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.summary.errors == 0

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "warning"]

    def for_machine(self, machine: str) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.machine == machine]


M = TypeVar("M", bound=BaseModel)
_FIELDS_SET: dict[type[BaseModel], set[str]] = {}


def construct(cls: type[M], **fields: Any) -> M:
    """Build a model from values that are already typed (our own results), without
    validation: like ``cls.model_construct`` with every field given, but cheaper, since a
    large fleet's resolution has hundreds of thousands of these objects."""
    obj = cls.__new__(cls)
    fields_set = _FIELDS_SET.get(cls)
    if fields_set is None:
        fields_set = _FIELDS_SET[cls] = set(cls.model_fields)
    object.__setattr__(obj, "__dict__", fields)
    object.__setattr__(obj, "__pydantic_fields_set__", fields_set)
    object.__setattr__(obj, "__pydantic_extra__", None)
    object.__setattr__(obj, "__pydantic_private__", None)
    return obj


def empty_resolution(shape: Literal["current", "legacy"] = "current") -> Resolution:
    """A resolution with nothing in it, built without validation (see :func:`construct`)."""
    return construct(Resolution, shape=shape, instances={}, machines={})
