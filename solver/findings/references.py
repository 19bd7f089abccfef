"""References: a name that points at nothing (a machine, a tag, a role, a module), or at a
module clan-core deprecated. Decided in rules/checks.lp ("References")."""

from __future__ import annotations

from typing import NamedTuple

from solver.diagnostics import Related, Severity
from solver.facts import InstanceInfo, ModuleInfo
from solver.findings.base import Draft, Family, Name, quoted_list, with_fix
from solver.findings.context import Context
from solver.location import Path, format_path

# An unknown tag's hint names at most this many of the closest tags.
CLOSEST_TAGS = 5

family = Family("references")
code = family.code

code(
    "unknown-machine",
    "error",
    "machine is not defined",
    trigger="A role (or a top-level `tags` list) names a machine that `machines` does not define.",
    why="clan-core keeps it as a role member (constraints count it) but builds nothing for "
    "it, silently. In a top-level `tags` list it is ignored (a warning).",
    fix="define the machine under `machines`, or fix the name",
    example='{"machines": {"jon": {}}, "instances": {"sshd": {"roles": {"server": '
    '{"machines": {"jom": {}}}}}}}',
    clan="silent",
)
code(
    "unknown-tag",
    "warning",
    "no machine carries the tag",
    trigger="A role lists a tag that no machine carries.",
    why="The tag contributes no member (same wording as clan-core's evaluation warning). "
    "When the unknown tags leave the role (or the whole instance) without machines, that is "
    "said in related notes of this finding, not as `empty-role` / `empty-instance`. The "
    "hint names up to 5 of the closest tags and how many exist (all of them only when there "
    "are at most 5).",
    fix="add the tag to a machine, or fix the name",
    example='{"machines": {"jon": {"tags": ["web"]}}, "instances": {"sshd": {"roles": '
    '{"server": {"tags": {"wbe": {}}}}}}}',
    clan="evaluation warning",
)
code(
    "unknown-role",
    "error",
    "module does not define the role",
    trigger="An instance uses a role its module does not define.",
    why="In clan-core this breaks the evaluation of every machine of the clan.",
    fix="use one of the module's roles",
    example='{"instances": {"sshd": {"roles": {"servr": {"machines": {"jon": {}}}}}}}',
    clan="evaluation error (all machines)",
)
code(
    "unknown-module",
    "error",
    "no catalogue knows the module",
    trigger="The instance's module is not in the built-in catalogue or any user catalogue.",
    why="For clan-core modules (no `module.input`) this is an error, as in clan-core; for "
    "modules from another input it is a warning, because inventory-solver cannot see them. A "
    'module of the clan\'s own (`input = "self"`) whose definition could not be read '
    "statically is not reported here: that is said once, as an opaque-value note where the "
    "module is defined. The instance is still resolved.",
    fix="fix the module name, or describe the module in a catalogue file (--modules)",
    example='{"instances": {"b": {"module": {"name": "borgbakup"}, "roles": {}}}}',
    clan="evaluation error",
)
code(
    "deprecated-module",
    "warning",
    "module is deprecated",
    trigger="The instance uses a module that is deprecated or was moved out of clan-core.",
    why="clan-core warns or throws when it evaluates the module; it will go away. The hint "
    "names the replacement when clan-core names one (the catalogue's `replaced_by`).",
    fix="use the replacement named in the hint",
    example='{"services": {"borgbackup-static": {"b": {"roles": {}}}}}',
    clan="evaluation warning or throw",
)


class RoleMachine(NamedTuple):
    instance: InstanceInfo
    role: Name
    machine: Name


family.companion("machine_is_tag", "unknown-machine", RoleMachine)


@family.one("unknown_machine", "unknown-machine", RoleMachine)
def unknown_machine(ctx: Context, v: RoleMachine) -> Draft:
    from solver.render.suggest import did_you_mean

    info, role, machine = v.instance, v.role, v.machine

    def is_tag() -> set[tuple[str, str, str]]:
        return {
            (x.instance.name, x.role, x.machine)
            for x in ctx.violations("machine_is_tag", RoleMachine)
        }

    if (info.name, role, machine) in ctx.memo("machine_is_tag", is_tag):
        fix = (
            f'roles.{role}.tags = ["{machine}"]'
            if info.legacy
            else f"roles.{role}.tags.{format_path((machine,))}"
        )
        hint = f'"{machine}" is a tag, not a machine; use {fix}'
        if not info.legacy:
            hint = with_fix(hint, "move it to the role's tags")
    else:
        close = did_you_mean(machine, ctx.machine_pool())
        hint = (
            f'did you mean the machine "{close[0]}"?'
            if close
            else "define it under machines, or fix the name"
        )
        if close and _renamed(machine, close[0], _role_names(ctx, info, role), 1):
            hint = with_fix(hint, f"rename to {close[0]!r}")
    return Draft(
        f"Role '{role}' of instance '{info.name}' - Unknown machine reference: "
        f"'{machine}' is not defined in the inventory",
        ctx.explicit_path(info, role, machine),
        hint=hint,
        instance=info.name,
        role=role,
        machine=machine,
    )


def _role_names(ctx: Context, info: InstanceInfo, role: str) -> set[str] | None:
    """The machine names written in a role of the current shape (None: legacy)."""
    inst = None if info.legacy else ctx.inv.instances.get(info.name)
    r = inst.roles.get(role) if inst is not None else None
    return set(r.machines) if r is not None else None


def _renamed(name: str, new: str, present: set[str] | None, most: int) -> bool:
    """Whether `inventory-solver fix` renames `name` to `new`, as far as the finding alone
    tells: `new` is not written there already and the rename costs no more than `most`
    (its did-you-mean distance; the other repairs cost more, solver/fix/repair.py)."""
    from solver.render.suggest import distance

    if present is None or new in present:
        return False
    return max(1, distance(name.casefold(), new.casefold())) <= most


class TagMachine(NamedTuple):
    tag: Name
    machine: Name


@family.one("unknown_tag_machine", "unknown-machine", TagMachine, severity="warning")
def unknown_tag_machine(ctx: Context, v: TagMachine) -> Draft:
    """A top-level `tags` list names an undefined machine: clan-core ignores it."""
    tag, machine = v.tag, v.machine
    idx = ctx.first_index(ctx.inv.tags[tag], machine)
    return Draft(
        f"tags.{format_path((tag,))} names '{machine}', which is not defined in the "
        "inventory; clan-core ignores it",
        ("tags", tag, idx),
        hint="define the machine under machines, or remove it from the tag",
        machine=machine,
        tag=tag,
    )


class RoleTag(NamedTuple):
    instance: InstanceInfo
    role: Name
    tag: Name


class Role(NamedTuple):
    instance: InstanceInfo
    role: Name


class Instance(NamedTuple):
    instance: InstanceInfo


@family.one("unknown_tag", "unknown-tag", RoleTag)
def unknown_tag(ctx: Context, v: RoleTag) -> Draft:
    info, role, tag = v.instance, v.role, v.tag
    if info.legacy:
        prefix = f"inventory.services.{info.path[1]}.{info.path[2]}"
    else:
        prefix = f"Service instance '{info.name}'"
    if tag in ctx.inv.machines:
        hint = f'"{tag}" is a machine, not a tag; use roles.{role}.machines'
    else:
        hint = _tag_hint(ctx, tag)
    return Draft(
        f"{prefix}: - {role} tags: no machine with tag '{tag}' found.",
        ctx.tag_path(info, role, tag),
        hint=hint,
        related=_emptied_by(ctx, info, role),
        instance=info.name,
        role=role,
        tag=tag,
    )


def _tag_hint(ctx: Context, tag: str) -> str:
    """The closest tags (up to `CLOSEST_TAGS`) and how many exist; every tag only when
    there are that few. Listing them all, as clan-core does, makes the output of a
    fleet with many unknown tags grow with the product of the two."""
    from solver.render.suggest import did_you_mean

    carried = ctx.carried_tags()
    total = len(carried)
    if total <= CLOSEST_TAGS:
        close = did_you_mean(tag, carried)
        hint = f'did you mean the tag "{close[0]}"? ' if close else ""
        return hint + f"Available tags: {quoted_list(carried.names)}"
    close = did_you_mean(tag, carried, limit=CLOSEST_TAGS)
    if not close:
        return f"no tag is close to '{tag}' ({total:,} tags exist)"
    hint = f'did you mean the tag "{close[0]}"?'
    if len(close) > 1:
        hint += f" Closest tags: {quoted_list(close)}"
    return hint + f" ({total:,} tags exist)"


def _emptied_by(ctx: Context, info: InstanceInfo, role: str) -> tuple[Related, ...]:
    """Related notes: the role (and instance) this unknown tag leaves without machines
    (emptied_role/2, emptied_instance/1: rules/checks.lp), reported here instead of as
    empty-role / empty-instance findings of their own."""
    roles = ctx.memo(
        "emptied_roles",
        lambda: {(x.instance.name, x.role) for x in ctx.shown("emptied_role", Role)},
    )
    if (info.name, role) not in roles:
        return ()
    notes = [
        ctx.related(
            f"role '{role}' of instance '{info.name}' is empty because of this",
            ctx.role_path(info, role),
        )
    ]
    instances = ctx.memo(
        "emptied_instances",
        lambda: {x.instance.name for x in ctx.shown("emptied_instance", Instance)},
    )
    if info.name in instances:
        notes.append(
            ctx.related(f"instance '{info.name}' resolves to no machine because of this", info.path)
        )
    return tuple(notes)


@family.one("unknown_role", "unknown-role", Role)
def unknown_role(ctx: Context, v: Role) -> Draft:
    from solver.render.suggest import did_you_mean

    info, role = v.instance, v.role
    mod = ctx.side.module(info.module)
    roles = ctx.module_roles(info)
    if info.legacy:
        msg = (
            f'Roles ["{role}"] are not defined in the service {mod.ref.name}. '
            f"Instance: '{info.path[2]}' Please use one of available roles: {quoted_list(roles)}"
        )
    else:
        svc = mod.spec.display_name if mod.spec else mod.ref.name
        msg = (
            f"Instance: 'instances.{info.name}' uses the following roles: "
            f"{quoted_list([role])} But the clan-service module '{svc}' only defines roles: "
            f"{quoted_list(roles)}"
        )
    close = did_you_mean(role, roles)
    hint = f'did you mean the role "{close[0]}"?' if close else f"use one of {quoted_list(roles)}"
    inst = None if info.legacy else ctx.inv.instances.get(info.name)
    if close and inst is not None and _renamed(role, close[0], set(inst.roles), 4):
        hint = with_fix(hint, f"rename to {close[0]!r}")
    return Draft(
        msg,
        ctx.role_path(info, role),
        hint=hint,
        instance=info.name,
        role=role,
        module=mod.ref.name,
    )


class InstanceModule(NamedTuple):
    instance: InstanceInfo
    module: ModuleInfo


@family.one("unknown_module", "unknown-module", InstanceModule)
def unknown_module(ctx: Context, v: InstanceModule) -> Draft:
    from solver.render.suggest import did_you_mean

    info, mod = v.instance, v.module
    name, inp = mod.ref.name, mod.ref.input
    severity: Severity | None = None
    path: Path
    if info.legacy:
        msg = f"(Legacy) ClanModule not found: '{name}'."
        path = info.path[:2]
        pool = ctx.known_module_names("legacy")
    elif inp is None or inp == "clan-core":
        msg = f"clan-core doesn't provide clan-module with name '{name}'."
        pool = ctx.known_module_names("service")
        path = ctx.module_path(info)
    else:
        msg = (
            f"no catalogue describes the module '{name}' of flake input '{inp}'; "
            "its roles and constraints are not checked"
        )
        # a module of another flake input: clan-core may well know it, we cannot see it
        severity = "warning"
        pool = []
        path = ctx.module_path(info)
    close = did_you_mean(name, pool)
    wanted = "clan-core" if inp is None else inp
    elsewhere = [x for x in ctx.module_inputs.get(name, []) if x != wanted]
    if elsewhere and not info.legacy:
        other = elsewhere[0]
        hint = (
            f'module \'{name}\' is provided by flake input "{other}"; set module.input = "{other}"'
            if other != "clan-core"
            else f"clan-core provides a module '{name}': remove module.input, or set it to "
            '"clan-core"'
        )
    elif close:
        hint = f'did you mean the module "{close[0]}"?'
        if not info.legacy and path[-1] == "name":
            hint = with_fix(hint, f"rename to {close[0]!r}")
    elif inp is None and not info.legacy:
        hint = 'for a module of your own flake set module.input = "self" and describe it with --modules'
    else:
        hint = "describe the module in a catalogue file (--modules FILE)"
    return Draft(
        msg,
        path,
        severity=severity,
        part="value" if path[-1] == "name" else "key",
        hint=hint,
        instance=info.name,
        module=name,
    )


@family.one("deprecated_module", "deprecated-module", InstanceModule)
def deprecated_module(ctx: Context, v: InstanceModule) -> Draft:
    info, mod = v.instance, v.module
    assert mod.spec is not None and mod.spec.deprecated
    path = info.path[:2] if info.legacy else ctx.module_path(info)
    repl = mod.spec.replaced_by
    hint: str | None = None
    if repl:
        names = " and ".join(x.describe() for x in repl)
        if info.legacy:
            hint = f"replaced by the service {names}: define an instance of it under instances"
        else:
            hint = f"replaced by {names}"
            moved = [x for x in repl if x.input and x.name == mod.ref.name]
            if moved:
                hint += f'; set module.input = "{moved[0].input}"'
    return Draft(
        mod.spec.deprecated.replace("\n", " "),
        path,
        hint=hint,
        instance=info.name,
        module=mod.ref.name,
        args={"replaced_by": [x.describe() for x in repl]} if repl else {},
    )
