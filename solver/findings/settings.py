"""Settings: the values the roles, machines and tags give a machine's options, merged as
the module system merges them (docs/semantics.md#settings-merge). Conflicts are decided in
rules/settings.lp; options that do not exist, values of the wrong type and priorities out
of range are found while the settings are read (`solver/settings.py`)."""

from __future__ import annotations

from collections import defaultdict
from typing import NamedTuple

from solver.diagnostics import Related
from solver.facts import InstanceInfo, ModuleInfo
from solver.findings.base import Draft, Family, Name
from solver.findings.context import Context
from solver.location import Path, format_path
from solver.settings import (
    HINT_CONFLICT,
    SHAPE,
    SHAPE_WORD,
    Plan,
    Source,
    machines_text,
)

family = Family("settings")
code = family.code

code(
    "settings-conflict",
    "error",
    "conflicting definition values",
    trigger="One option of a machine's settings gets different values from several places "
    "of equal priority (role, machine, tags).",
    why='Nix stops with "has conflicting definition values", one machine at a time.',
    fix="make the values equal, or mark one as an override "
    '({"_type": "override", "priority": 50, "content": …} is lib.mkForce)',
    example="roles.server.settings.port = 22 and roles.server.machines.jon.settings.port = "
    "2222 in one instance",
    clan="evaluation error",
)
code(
    "settings-type-conflict",
    "error",
    "definitions of different kinds",
    trigger="One definition of an option is an attribute set or list, another a scalar.",
    why="They cannot be merged: Nix stops evaluating the machine.",
    fix="use the same kind of value everywhere",
    example='roles.r.settings.users = {"a": {}} and roles.r.machines.jon.settings.users = "a"',
    clan="evaluation error",
)
code(
    "priority-range",
    "error",
    "override priority out of range",
    trigger='An override priority (`{"_type": "override", "priority": P, ...}`, '
    "lib.mkOverride) outside -2147483648 to 2147483647.",
    why="inventory-solver cannot compare it, so the definition is left out of the merge "
    "instead of deciding a conflict wrongly.",
    fix="use a priority such as 50 (lib.mkForce), 100 or 1000 (lib.mkDefault)",
    example='"settings": {"port": {"_type": "override", "priority": 1e12, "content": 22}}',
)
code(
    "unknown-setting",
    "error",
    "the setting does not exist",
    trigger="A setting that the role's interface does not declare.",
    why="clan-core's evaluation fails: \"The option `…' does not exist.\"",
    fix="check the spelling against the role's options",
    example='roles.server.settings = {"prot": 22}  (port)',
    clan="evaluation error",
)
code(
    "setting-type",
    "error",
    "setting has the wrong type",
    trigger="A setting value does not have the type the role's interface declares.",
    why="clan-core's evaluation fails: \"A definition for option `…' is not of type `…'\".",
    fix="write the value with the type the option declares",
    example='roles.server.settings = {"port": "22"}  (a string for an integer option)',
    clan="evaluation error",
)
code(
    "duplicate-setting-across-instances",
    "error",
    "two instances set the same identifying value on one machine",
    trigger="Several instances of one module on one machine set a setting that must be "
    "unique per machine.",
    why="The machine's NixOS build fails on a conflict (e.g. two `users` instances creating "
    "the same user).",
    fix="keep one instance for that value, or change it",
    example='two `users` instances, both with settings.user = "alice", on machine jon',
    clan="NixOS conflict at build time",
)


def _plan(ctx: Context) -> Plan:
    # The settings facts come from the plan; no plan, no settings atoms to word.
    assert ctx.settings is not None, "settings findings need the settings plan"
    return ctx.settings


class Clash(NamedTuple):
    option: int  # setting path id (the plan's path_keys)
    machine: Name
    source: int  # settings source id (the plan's sources, 1-based)


def _clashes(ctx: Context, atoms: list[Clash], type_clash: bool) -> list[Draft]:
    """One finding per option and set of clashing sources, naming every machine it
    happens on (the rules give one atom per machine and source)."""
    per_machine: dict[tuple[int, str], set[int]] = defaultdict(set)
    for a in atoms:
        per_machine[(a.option, a.machine)].add(a.source)
    groups: dict[tuple[int, tuple[int, ...]], list[str]] = defaultdict(list)
    for (p, machine), srcs in per_machine.items():
        groups[(p, tuple(sorted(srcs)))].append(machine)
    return [
        _clash(_plan(ctx), p, srcs, sorted(machines), type_clash)
        for (p, srcs), machines in sorted(groups.items())
    ]


def _clash(
    plan: Plan, p: int, srcs: tuple[int, ...], machines: list[str], type_clash: bool
) -> Draft:
    rank = {"machine": 0, "tag": 1, "role": 2, "instance": 3}
    sources = sorted((plan.sources[s - 1] for s in srcs), key=lambda x: (rank[x.kind], x.id))
    keys = plan.path_keys[p]
    first = sources[0]
    node = plan.nodes[(first.id, p)]
    option = plan.option_name(first, keys, machines[0])

    def shown(src: Source) -> str:
        n = plan.nodes[(src.id, p)]
        if type_clash:
            return SHAPE_WORD[SHAPE[n.kind]]
        return plan.value_text[plan.value_id(n.value)]

    parts = "; ".join(f"{shown(s)} ({s.describe()})" for s in sources)
    where = machines_text(machines)
    if not type_clash:
        msg = f"The option `{option}' has conflicting definition values: {parts}; on {where}"
        hint = HINT_CONFLICT.format(value=plan.value_text[plan.value_id(node.value)])
    else:
        msg = f"The option `{option}' has conflicting option types: {parts}; on {where}"
        hint = "use the same kind of value (attribute set, list or scalar) everywhere"
    related = tuple(
        Related(
            message=f"{s.describe()}: {shown(s)}",
            path=format_path(plan.nodes[(s.id, p)].path),
            location=plan.locator.locate(plan.nodes[(s.id, p)].path, "value"),
        )
        for s in sources[1:]
    )
    return Draft(
        msg,
        node.path,
        part="value",
        related=related,
        hint=hint,
        instance=first.info.name,
        role=first.role,
        machine=machines[0],
        module=plan.side.module(first.info.module).ref.name,
        args={
            "option": format_path(keys),
            "machines": machines,
            "values": [shown(s) for s in sources],
        },
    )


@family.group("settings_conflict", "settings-conflict", Clash)
def settings_conflict(ctx: Context, atoms: list[Clash]) -> list[Draft]:
    return _clashes(ctx, atoms, type_clash=False)


@family.group("settings_type_conflict", "settings-type-conflict", Clash)
def settings_type_conflict(ctx: Context, atoms: list[Clash]) -> list[Draft]:
    return _clashes(ctx, atoms, type_clash=True)


class Duplicate(NamedTuple):
    module: ModuleInfo
    rule: int  # index into the module's curated unique_settings
    machine: Name
    value: int  # value id (the plan's value_text)
    instance: InstanceInfo


@family.group("duplicate_setting_across_instances", "duplicate-setting-across-instances", Duplicate)
def duplicate_setting_across_instances(ctx: Context, atoms: list[Duplicate]) -> list[Draft]:
    """One finding per rule, value and set of instances, naming every machine."""
    per_machine: dict[tuple[int, int, str, int], set[int]] = defaultdict(set)
    for a in atoms:
        key = (ctx.module_id(a.module), a.rule, a.machine, a.value)
        per_machine[key].add(ctx.instance_id(a.instance))
    groups: dict[tuple[int, int, int, tuple[int, ...]], list[str]] = defaultdict(list)
    for (k, x, machine, v), insts in per_machine.items():
        groups[(k, x, v, tuple(sorted(insts)))].append(machine)
    return [
        _duplicate(ctx, k, x, v, insts, sorted(machines))
        for (k, x, v, insts), machines in sorted(groups.items())
    ]


def _duplicate(
    ctx: Context, k: int, x: int, v: int, insts: tuple[int, ...], machines: list[str]
) -> Draft:
    plan = _plan(ctx)
    mod = ctx.side.module(k)
    assert mod.spec is not None
    rule = mod.spec.unique_settings[x]
    keys = tuple(rule.path)
    value = plan.value_text[v]
    infos = sorted((ctx.side.instance(i) for i in insts), key=lambda t: t.name)
    located: list[tuple[InstanceInfo, Path, str]] = []
    for info in infos:
        roles = sorted(r for (iname, r) in plan.current if iname == info.name)
        role = rule.role or (roles[0] if roles else "")
        src = plan.unique_value_source(info, role, keys, v, machines[0])
        if src is not None:
            located.append((info, plan.nodes[(src.id, plan.paths[keys])].path, "set"))
        else:
            located.append((info, (*info.path, "roles", role), "by default"))
    names = " and ".join(f"'{n.name}'" for n in infos)
    setting = format_path(("settings", *keys))
    msg = (
        f"instances {names} of module '{mod.ref.name}' both set the {rule.what} "
        f"{value} (`{setting}') on {machines_text(machines)}"
    )
    primary = located[-1]
    related = tuple(
        Related(
            message=f"instance '{info.name}': {value} ({how})",
            path=format_path(p),
            location=plan.locator.locate(p, "value" if how == "set" else "key"),
        )
        for info, p, how in located[:-1]
    )
    return Draft(
        msg,
        primary[1],
        part="value" if primary[2] == "set" else "key",
        related=related,
        hint=f"keep one instance for {value}, or give each instance its own {rule.what} "
        f"({rule.source})",
        instance=primary[0].name,
        role=rule.role,
        machine=machines[0],
        module=mod.ref.name,
        args={"option": format_path(keys), "machines": machines, "value": value},
    )
