"""Constraints: what a module allows (manifest.constraints, legacy frontmatter, rules
clan-core enforces in service code): how many instances, how many machines per role, one
instance per machine or clan, roles that must not share a machine. Decided in
rules/checks.lp ("Constraints"); see docs/semantics.md#constraints."""

from __future__ import annotations

from typing import Literal, NamedTuple

from solver.facts import InstanceInfo, ModuleInfo
from solver.findings.base import Draft, Family, Name
from solver.findings.context import Context

family = Family("constraints")
code = family.code

code(
    "max-instances",
    "error",
    "too many instances of a module",
    trigger="The module's `manifest.constraints.maxInstances` allows fewer instances than "
    "the inventory defines (instances are counted per module input and name).",
    why="The clan CLI refuses to generate vars (clan-core id `<svc>-maxInstances`).",
    fix="merge the instances, or remove some",
    example="two instances of a module whose manifest says maxInstances = 1",
    clan="clan CLI check before `vars generate`",
)
code(
    "min-machines",
    "error",
    "role has too few machines",
    trigger="A role has fewer machines than the module requires: `manifest.constraints."
    "roles.<r>.minMachines` (clan-core id `<svc>-<inst>-<role>-minMachines`), a legacy "
    "frontmatter `min`, or a rule clan-core enforces in service code (e.g. monitoring needs "
    "one server).",
    why="The clan CLI (or a legacy assertion) stops. Roles absent from the instance count "
    "0; unknown machines count.",
    fix="assign more machines to the role",
    example='{"instances": {"zt": {"module": {"name": "zerotier"}, "roles": {"peer": '
    '{"machines": {"jon": {}}}}}}}  (no controller)',
    clan="clan CLI check / legacy assertion",
)
code(
    "max-machines",
    "error",
    "role has too many machines",
    trigger="A role has more machines than the module allows (`maxMachines`, legacy `max`, "
    "or a rule in service code).",
    why="The clan CLI (or a legacy assertion) stops. Legacy counting keeps duplicates (a "
    "machine listed and tagged counts twice), as legacy clan-core did.",
    fix="remove machines from the role",
    example="two machines in the zerotier `controller` role, which allows one",
    clan="clan CLI check / legacy assertion",
)
code(
    "single-instance",
    "error",
    "module supports one instance only",
    trigger="The module supports one instance per machine (or per clan), but several are used.",
    why="clan-core has no machine-readable flag for this: an assertion fails at build time, "
    "or only the first instance silently works. The catalogue says which modules and why.",
    fix="use one instance of the module, with several roles or machines",
    example="two instances of a one-per-machine module that both reach machine jon",
    clan="assertion at build time, or silently only the first instance works",
)
code(
    "incompatible-roles",
    "error",
    "roles must not share a machine",
    trigger="A machine holds two roles of one instance that the module forbids together.",
    why="The machine's NixOS build fails on an assertion (e.g. wireguard controller and peer).",
    fix="give the machine only one of the roles",
    example='{"instances": {"wg": {"module": {"name": "wireguard"}, "roles": {"controller": '
    '{"machines": {"jon": {}}}, "peer": {"machines": {"jon": {}}}}}}}',
    clan="NixOS assertion when the machine is built",
)


class MaxInstances(NamedTuple):
    module: ModuleInfo
    instances: int  # how many there are
    max: int


@family.one("max_instances", "max-instances", MaxInstances)
def max_instances(ctx: Context, v: MaxInstances) -> Draft:
    mod, n, mx = v.module, v.instances, v.max
    svc = mod.spec.display_name if mod.spec else mod.ref.name
    k = ctx.module_id(mod)
    insts = [x for x in ctx.side.instances if x.module == k and x.enabled]
    first_extra = insts[mx] if len(insts) > mx else insts[-1]
    rel = tuple(ctx.related("instance of the module", x.path) for x in insts[:mx])
    return Draft(
        f"Service '{svc}' allows at most {mx} instance(s) but {n} are defined.",
        first_extra.path,
        hint=f"merge the instances of '{mod.ref.name}' into at most {mx}",
        related=rel,
        clan_id=f"{svc}-maxInstances",
        module=mod.ref.name,
        instance=first_extra.name,
        args={"count": n, "max": mx},
    )


class RoleBound(NamedTuple):
    instance: InstanceInfo
    role: Name
    members: int  # how many there are
    bound: int


def _bound(ctx: Context, v: RoleBound, kind: Literal["min", "max"]) -> Draft:
    info, role, n, bound = v.instance, v.role, v.members, v.bound
    mod = ctx.side.module(info.module)
    svc = mod.spec.display_name if mod.spec else mod.ref.name
    inst_name = str(info.path[-1])
    if info.legacy:
        if kind == "min":
            msg = (
                f"The '{mod.ref.name}' module requires at least {bound} members of the "
                f"'{role}' role but found '{n}' members within instance '{inst_name}'"
            )
        else:
            msg = (
                f"The {mod.ref.name} module allows at most for {bound} members of the "
                f"'{role}' role but found '{n}' members within instance '{inst_name}'"
            )
        clan_id = f"{mod.ref.name}.{inst_name}.roles.{role}.{kind}"
    else:
        word = "requires at least" if kind == "min" else "allows at most"
        msg = (
            f"Role '{role}' of service '{svc}' instance '{inst_name}' {word} {bound} "
            f"machine(s) but {n} are assigned."
        )
        clan_id = f"{svc}-{inst_name}-{role}-{kind}Machines"
    return Draft(
        msg,
        ctx.existing_role_path(info, role),
        hint=(
            f"assign at least {bound} machine(s) to role '{role}'"
            if kind == "min"
            else f"assign at most {bound} machine(s) to role '{role}'"
        ),
        clan_id=clan_id,
        instance=info.name,
        role=role,
        module=mod.ref.name,
        args={"count": n, kind: bound},
    )


@family.one("min_machines", "min-machines", RoleBound)
def min_machines(ctx: Context, v: RoleBound) -> Draft:
    return _bound(ctx, v, "min")


@family.one("max_machines", "max-machines", RoleBound)
def max_machines(ctx: Context, v: RoleBound) -> Draft:
    return _bound(ctx, v, "max")


class RoleCount(NamedTuple):
    instance: InstanceInfo
    role: Name
    members: int  # how many there are
    rule: int  # index into the module's curated role_counts


def _role_count(ctx: Context, v: RoleCount, is_min: bool) -> Draft:
    info, role, n = v.instance, v.role, v.members
    mod = ctx.side.module(info.module)
    assert mod.spec is not None
    rc = mod.spec.role_counts[v.rule]
    bound = rc.min if is_min else rc.max
    template = rc.message or (
        "module '{module}' needs "
        + ("at least" if is_min else "at most")
        + " {bound} machine(s) in role '{role}' of instance '{instance}', but {count} "
        "are assigned"
    )
    msg = template.format(
        count=n,
        min=rc.min,
        max=rc.max,
        bound=bound,
        role=role,
        instance=info.name,
        module=mod.ref.name,
    )
    return Draft(
        msg,
        ctx.existing_role_path(info, role),
        hint=f"({rc.source})",
        instance=info.name,
        role=role,
        module=mod.ref.name,
        args={"count": n, "min" if is_min else "max": bound},
    )


@family.one("role_count_min", "min-machines", RoleCount)
def role_count_min(ctx: Context, v: RoleCount) -> Draft:
    """A lower bound clan-core enforces in service code (the catalogue's role_counts)."""
    return _role_count(ctx, v, True)


@family.one("role_count_max", "max-machines", RoleCount)
def role_count_max(ctx: Context, v: RoleCount) -> Draft:
    """An upper bound clan-core enforces in service code (the catalogue's role_counts)."""
    return _role_count(ctx, v, False)


class MachineModule(NamedTuple):
    machine: Name
    module: ModuleInfo
    instances: int  # how many there are


class InModule(NamedTuple):  # in_module/3 (display.lp): machine M is in instance I of module K
    machine: Name
    module: ModuleInfo
    instance: InstanceInfo


@family.one("single_instance_machine", "single-instance", MachineModule)
def single_instance_machine(ctx: Context, v: MachineModule) -> Draft:
    machine, mod, n = v.machine, v.module, v.instances
    assert mod.spec is not None and mod.spec.single_instance is not None
    si = mod.spec.single_instance
    rows = ctx.memo("in_module", lambda: ctx.shown("in_module", InModule))
    infos = [x.instance for x in rows if x.machine == machine and x.module is mod]
    infos.sort(key=ctx.instance_id)
    names = [str(x.path[-1]) for x in infos]
    template = si.message or (
        "module '{module}' supports one instance per machine, but machine '{machine}' "
        "is in {count}: {instances}"
    )
    msg = template.format(
        module=mod.ref.name,
        machine=machine,
        count=n,
        instances=", ".join(names),
    ).replace("\n", " ")
    paths = [ctx.membership_path(x, machine) for x in infos]
    primary = paths[1] if len(paths) > 1 else paths[0]
    return Draft(
        msg,
        primary,
        severity=si.severity,  # the catalogue's rule says how severe it is
        hint=f"use one instance of '{mod.ref.name}' on '{machine}' ({si.source})",
        related=tuple(
            ctx.related(f"'{machine}' in instance '{x.name}'", p)
            for x, p in zip(infos, paths, strict=True)
            if p != primary
        ),
        machine=machine,
        module=mod.ref.name,
        args={"instances": names},
    )


class ModuleCount(NamedTuple):
    module: ModuleInfo
    instances: int  # how many there are


@family.one("single_instance_clan", "single-instance", ModuleCount)
def single_instance_clan(ctx: Context, v: ModuleCount) -> Draft:
    mod, n = v.module, v.instances
    assert mod.spec is not None and mod.spec.single_instance is not None
    si = mod.spec.single_instance
    k = ctx.module_id(mod)
    insts = [x for x in ctx.side.instances if x.module == k and x.enabled]
    msg = (
        si.message or "module '{module}' supports one instance per clan, but {count} are defined"
    ).format(module=mod.ref.name, count=n, machine="", instances=", ".join(x.name for x in insts))
    return Draft(
        msg,
        insts[1].path,
        severity=si.severity,  # the catalogue's rule says how severe it is
        hint=f"use one instance of '{mod.ref.name}' ({si.source})",
        related=tuple(ctx.related("instance of the module", x.path) for x in insts[:1]),
        module=mod.ref.name,
        instance=insts[1].name,
    )


class Incompatible(NamedTuple):
    instance: InstanceInfo
    machine: Name
    role1: Name
    role2: Name
    rule: int  # index into the module's curated incompatible_roles


@family.one("incompatible_roles", "incompatible-roles", Incompatible)
def incompatible_roles(ctx: Context, v: Incompatible) -> Draft:
    info, machine, role1, role2 = v.instance, v.machine, v.role1, v.role2
    mod = ctx.side.module(info.module)
    assert mod.spec is not None
    rule = mod.spec.incompatible_roles[v.rule]
    template = rule.message or (
        "Machine '{machine}' cannot have both '{role1}' and '{role2}' roles in the "
        "{module} instance '{instance}'."
    )
    msg = template.format(
        machine=machine, instance=info.name, module=mod.ref.name, role1=role1, role2=role2
    ).replace("\n", " ")
    p1 = ctx.role_member_path(info, role1, machine)
    p2 = ctx.role_member_path(info, role2, machine)
    return Draft(
        msg,
        p2,
        hint=f"give '{machine}' only one of the roles '{role1}' and '{role2}' ({rule.source})",
        related=(ctx.related(f"'{machine}' is {role1} here", p1),),
        instance=info.name,
        machine=machine,
        module=mod.ref.name,
        role=role2,
    )
