"""Membership and machine classes: what the roles resolve to (rules/membership.lp, and
rules/checks.lp "Empty roles", "Machine classes", "Fan-out") — nothing, too much, machines
of a class the module does not build for, or what legacy clan-core resolved differently."""

from __future__ import annotations

from collections import defaultdict
from typing import NamedTuple

from solver.facts import InstanceInfo
from solver.findings.base import Draft, Family, Name, Symbol
from solver.findings.context import Context
from solver.findings.references import Instance, Role, RoleTag

# A finding that lists machines names at most this many, then "and N more".
LISTED_MACHINES = 10
# ... and gives the machineClass of this many of them as related notes.
RELATED_MACHINES = 3

family = Family("membership")
code = family.code

code(
    "legacy-tag-quirk",
    "warning",
    "legacy clan-core drops tag members here",
    trigger="In a legacy `services` role, a tag that no machine carries follows other tags.",
    why="Legacy clan-core (≤ 2025-08) drops the members of every tag listed before the "
    "unknown one. inventory-solver resolves the members as intended and reports the "
    "difference.",
    fix="remove the unknown tag from the list",
    example='{"machines": {"jon": {"tags": ["web"]}}, "services": {"sshd": {"s": {"roles": '
    '{"server": {"tags": ["web", "wbe"]}}}}}}',
    clan="legacy: silent loss of members",
)
code(
    "empty-role",
    "warning",
    "role has no machine",
    trigger="A role mentioned by an instance resolves to no machine and names no tag that "
    "no machine carries.",
    why="The role does nothing, which is rarely what was meant. A role emptied by tags that "
    "no machine carries is reported once, as `unknown-tag` with a related note.",
    fix="assign machines to the role, or remove it",
    example='{"machines": {"jon": {}}, "instances": {"sshd": {"roles": {"server": '
    '{"machines": {"jon": {}}}, "client": {}}}}}',
    clan="silent",
)
code(
    "empty-instance",
    "warning",
    "instance has no machine",
    trigger="No role of the instance resolves to any machine.",
    why="The instance does nothing. Not reported when every role it mentions is emptied by "
    "unknown tags (the `unknown-tag` finding says so).",
    fix="assign machines to its roles, or remove the instance",
    example='{"instances": {"sshd": {"roles": {"server": {}}}}}',
    clan="silent",
)
code(
    "class-mismatch",
    "error",
    "machine class not supported by the module",
    trigger="A machine's `machineClass` (e.g. darwin) is not supported by the module of an "
    "instance it is a member of.",
    why="clan-core silently builds nothing of the service for it. Named explicitly: an error "
    "per machine. Reached through tags (e.g. `all`): one warning per instance, role and "
    "class, listing the machines (the first 10, then how many more).",
    fix="remove the machine from the role, or use a module that supports its class",
    example='{"machines": {"mac": {"machineClass": "darwin"}}, "instances": {"borg": '
    '{"module": {"name": "borgbackup"}, "roles": {"client": {"machines": {"mac": {}}}}}}}',
    clan="silent",
)
code(
    "fanout",
    "warning",
    "resolution is very large",
    trigger="The inventory resolves to a very large number of role memberships (a broad tag "
    "in many instances).",
    why="Listing them all (resolve, explain) is slow and large.",
    fix="use tags that select fewer machines, or check without --resolve output",
    example="a fleet of 10,000 machines and 200 instances whose roles all use the tag `all`",
)


@family.one("legacy_tag_quirk", "legacy-tag-quirk", RoleTag)
def legacy_tag_quirk(ctx: Context, v: RoleTag) -> Draft:
    info, role, tag = v.instance, v.role, v.tag
    return Draft(
        f"legacy clan-core drops the members of the tags listed before '{tag}' in role "
        f"'{role}' of instance '{info.name}', because no machine carries '{tag}'",
        ctx.tag_path(info, role, tag),
        hint=f"remove '{tag}' from the list (or move it first)",
        instance=info.name,
        role=role,
        tag=tag,
    )


@family.one("empty_instance", "empty-instance", Instance)
def empty_instance(ctx: Context, v: Instance) -> Draft:
    info = v.instance
    return Draft(
        f"instance '{info.name}' resolves to no machine",
        info.path,
        hint="assign machines to its roles, or remove the instance",
        instance=info.name,
    )


@family.one("empty_role", "empty-role", Role)
def empty_role(ctx: Context, v: Role) -> Draft:
    info, role = v.instance, v.role
    return Draft(
        f"role '{role}' of instance '{info.name}' resolves to no machine",
        ctx.role_path(info, role),
        hint="assign machines or tags that machines carry, or remove the role",
        instance=info.name,
        role=role,
    )


class ClassMismatch(NamedTuple):
    instance: InstanceInfo
    role: Name
    machine: Name
    machine_class: Symbol
    how: Symbol  # explicit: the role names the machine


@family.one("class_mismatch", "class-mismatch", ClassMismatch)
def class_mismatch(ctx: Context, v: ClassMismatch) -> Draft:
    info, role, machine = v.instance, v.role, v.machine
    mod = ctx.side.module(info.module)
    assert mod.spec is not None
    classes = ", ".join(sorted(mod.spec.classes))
    return Draft(
        f"machine '{machine}' is a {v.machine_class} machine, but module '{mod.ref.name}' "
        f"supports only {classes}: clan-core builds nothing of instance '{info.name}' for it",
        ctx.role_member_path(info, role, machine),
        hint=f"remove '{machine}' from role '{role}'"
        + (f" ({mod.spec.classes_source})" if mod.spec.classes_source else ""),
        related=(
            ctx.related(f"machineClass of '{machine}'", ("machines", machine, "machineClass")),
        ),
        instance=info.name,
        role=role,
        machine=machine,
        module=mod.ref.name,
    )


class RoleClass(NamedTuple):
    instance: InstanceInfo
    role: Name
    machine_class: Symbol


class ClassMachine(NamedTuple):  # class_mismatch_tag/4 (display.lp)
    instance: InstanceInfo
    role: Name
    machine: Name
    machine_class: Symbol


class ClassTag(NamedTuple):  # class_via_tag/4 (display.lp)
    instance: InstanceInfo
    role: Name
    tag: Name
    machine_class: Symbol


Key = tuple[str, str, str]


def _class_index(ctx: Context) -> tuple[dict[Key, list[str]], dict[Key, list[str]]]:
    """(instance, role, class) -> machines / tags, built once from the shown
    class_mismatch_tag/4 and class_via_tag/4 atoms."""

    def make() -> tuple[dict[Key, list[str]], dict[Key, list[str]]]:
        machines: dict[Key, list[str]] = defaultdict(list)
        tags: dict[Key, list[str]] = defaultdict(list)
        for m in ctx.shown("class_mismatch_tag", ClassMachine):
            machines[(m.instance.name, m.role, m.machine_class)].append(m.machine)
        for t in ctx.shown("class_via_tag", ClassTag):
            tags[(t.instance.name, t.role, t.machine_class)].append(t.tag)
        return machines, tags

    return ctx.memo("class_index", make)


@family.one("class_mismatch_tag", "class-mismatch", RoleClass, severity="warning")
def class_mismatch_tag(ctx: Context, v: RoleClass) -> Draft:
    """Machines of a class the module does not support, reached through tags of one
    role: one finding for all of them (clan-core builds nothing of the instance for
    them), naming the first `LISTED_MACHINES` and how many more."""
    info, role, c = v.instance, v.role, v.machine_class
    key = (info.name, role, c)
    machines_of, tags_of = _class_index(ctx)
    mod = ctx.side.module(info.module)
    assert mod.spec is not None
    machines = sorted(machines_of.get(key, ()))
    tags = sorted(tags_of.get(key, ()))
    count = len(machines)
    supported = sorted(mod.spec.classes)
    shown = ", ".join(machines[:LISTED_MACHINES])
    if len(machines) > LISTED_MACHINES:
        shown += f" and {len(machines) - LISTED_MACHINES:,} more"
    through = (
        f"tag '{tags[0]}'"
        if len(tags) == 1
        else "tags " + ", ".join(f"'{t}'" for t in tags)
        if tags
        else "tags"
    )
    noun = "machine gets" if count == 1 else "machines get"
    hint = (
        f"select role '{role}' with a tag that only {' or '.join(supported)} machines carry "
        f"(such as '{supported[0]}') instead of {through}"
        if supported
        else f"remove {through} from role '{role}'"
    )
    if mod.spec.classes_source:
        hint += f" ({mod.spec.classes_source})"
    return Draft(
        f"{count:,} {c} {noun} nothing of role '{role}' of instance '{info.name}' "
        f"through {through}: "
        f"{shown} (module '{mod.ref.name}' supports only {', '.join(supported)})",
        ctx.tag_path(info, role, tags[0]) if tags else ctx.existing_role_path(info, role),
        hint=hint,
        related=tuple(
            ctx.related(f"machineClass of '{m}'", ("machines", m, "machineClass"))
            for m in machines[:RELATED_MACHINES]
        ),
        instance=info.name,
        role=role,
        module=mod.ref.name,
        tag=tags[0] if tags else None,
        args={"count": count, "machines": machines, "tags": tags},
    )


class Fanout(NamedTuple):
    memberships: int
    limit: int


@family.one("fanout", "fanout", Fanout)
def fanout(ctx: Context, v: Fanout) -> Draft:
    return Draft(
        f"the inventory resolves to {v.memberships:,} role memberships (more than "
        f"{v.limit:,}); listing them (resolve, explain) will be slow and large",
        (),
        hint="check for a broad tag (such as all) used by many instances",
        args={"memberships": v.memberships},
    )
