"""Results: answer-set atoms back to pydantic objects (resolution and diagnostics).

Every decision was made by the rules; this module only names things (ids -> names),
words messages (clan-core's wording where it has one), and locates them (paths ->
``file:line:col`` through the locator).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from solver.diagnostics import Diagnostic, Related, Severity
from solver.facts import InstanceInfo, SideTable
from solver.location import Locator, Path, format_path
from solver.model import Inventory
from solver.report import (
    Assignment,
    InstanceResolution,
    MachineResolution,
    Resolution,
    RoleResolution,
    Via,
    construct,
    empty_resolution,
)
from solver.solve import Term

if TYPE_CHECKING:
    from solver.render.suggest import Pool

# An unknown tag's hint names at most this many of the closest tags.
CLOSEST_TAGS = 5
# A finding that lists machines names at most this many, then "and N more".
LISTED_MACHINES = 10
# ... and gives the machineClass of this many of them as related notes.
RELATED_MACHINES = 3


def _q(names: list[str]) -> str:
    return "[" + ",".join(json.dumps(n, ensure_ascii=False) for n in names) + "]"


class Builder:
    """Turns the atoms of one solve into diagnostics and a resolution."""

    def __init__(
        self,
        inv: Inventory,
        side: SideTable,
        locator: Locator,
        atoms: dict[str, list[tuple[Term, ...]]],
        catalogue_names: dict[str, list[str]] | None = None,
        module_inputs: dict[str, list[str]] | None = None,
    ) -> None:
        self.inv = inv
        self.side = side
        self.locator = locator
        self.atoms = atoms
        # module names every catalogue knows, by kind (for did-you-mean hints)
        self._catalogue_names = catalogue_names or {}
        # service name -> flake inputs that provide it, for "wrong module.input" hints
        self._module_inputs = module_inputs or {}
        self.n = side.name

    # -- paths ----------------------------------------------------------------------------
    def role_path(self, info: InstanceInfo, role: str) -> Path:
        return (*info.path, "roles", role)

    def existing_role_path(self, info: InstanceInfo, role: str) -> Path:
        """roles.<r> when the instance mentions the role, else its `roles`, else itself."""
        roles = self._roles(info)
        if roles is not None and role in roles:
            return self.role_path(info, role)
        if roles:
            return (*info.path, "roles")
        return info.path

    def _roles(self, info: InstanceInfo) -> dict[str, Any] | None:
        if info.legacy:
            mod, inst = str(info.path[1]), str(info.path[2])
            return dict((self.inv.services or {})[mod][inst].roles)
        return dict(self.inv.instances[info.name].roles)

    def explicit_path(self, info: InstanceInfo, role: str, machine: str) -> Path:
        if info.legacy:
            mod, inst = str(info.path[1]), str(info.path[2])
            names = (self.inv.services or {})[mod][inst].roles[role].machines
            return (*self.role_path(info, role), "machines", self._first_index(names, machine))
        return (*self.role_path(info, role), "machines", machine)

    def tag_path(self, info: InstanceInfo, role: str, tag: str) -> Path:
        if info.legacy:
            mod, inst = str(info.path[1]), str(info.path[2])
            tags = (self.inv.services or {})[mod][inst].roles[role].tags
            return (*self.role_path(info, role), "tags", self._first_index(tags, tag))
        rtags = self.inv.instances[info.name].roles[role].tags
        if isinstance(rtags, list):
            return (*self.role_path(info, role), "tags", self._first_index(rtags, tag))
        return (*self.role_path(info, role), "tags", tag)

    def _first_index(self, items: list[str], item: str) -> int:
        """`items.index(item)`, with one index per list (a role may list 100,000 tags)."""
        cache: dict[int, tuple[list[str], dict[str, int]]] = self.__dict__.setdefault(
            "_index_cache", {}
        )
        hit = cache.get(id(items))
        if hit is None or hit[0] is not items:
            first: dict[str, int] = {}
            for i, x in enumerate(items):
                first.setdefault(x, i)
            hit = cache[id(items)] = (items, first)
        return hit[1][item]

    def diag(
        self,
        code: str,
        message: str,
        path: Path,
        *,
        severity: Severity = "error",
        part: str = "key",
        hint: str | None = None,
        related: tuple[Related, ...] = (),
        **ctx: Any,
    ) -> Diagnostic:
        return Diagnostic(
            code=code,
            severity=severity,
            message=message,
            path=format_path(path),
            location=self.locator.locate(path, "value" if part == "value" else "key"),
            hint=hint,
            related=related,
            **ctx,
        )

    def related(self, message: str, path: Path) -> Related:
        return Related(
            message=message, path=format_path(path), location=self.locator.locate(path, "key")
        )

    # -- diagnostics ----------------------------------------------------------------------
    def diagnostics(self) -> list[Diagnostic]:
        out: list[Diagnostic] = []
        handlers: dict[str, Callable[[tuple[Term, ...]], Diagnostic | None]] = {
            "unknown_machine": self.unknown_machine,
            "unknown_tag_machine": self.unknown_tag_machine,
            "unknown_tag": self.unknown_tag,
            "legacy_tag_quirk": self.legacy_tag_quirk,
            "unknown_role": self.unknown_role,
            "unknown_module": self.unknown_module,
            "deprecated_module": self.deprecated_module,
            "empty_instance": self.empty_instance,
            "empty_role": self.empty_role,
            "max_instances": self.max_instances,
            "min_machines": self.min_machines,
            "max_machines": self.max_machines,
            "role_count_min": self.role_count,
            "role_count_max": self.role_count,
            "single_instance_machine": self.single_instance_machine,
            "single_instance_clan": self.single_instance_clan,
            "incompatible_roles": self.incompatible_roles,
            "class_mismatch": self.class_mismatch,
            "class_mismatch_tag": self.class_mismatch_tag,
            "fanout": self.fanout,
        }
        self._machine_is_tag = {
            tuple(int(x) for x in a[1])  # type: ignore[union-attr]
            for a in self.atoms.get("violation", [])
            if a[0] == "machine_is_tag"
        }
        for code, args in self.atoms.get("violation", []):
            assert isinstance(code, str)
            tup = args if isinstance(args, tuple) else (args,)
            d: Diagnostic | None
            if code == "role_count_min" or code == "role_count_max":
                d = self.role_count(tup, code == "role_count_min")
            else:
                handler = handlers.get(code)
                d = handler(tup) if handler else None
            if d is not None:
                out.append(d)
        return out

    def _carried_tags(self) -> Pool:
        """The tags some machine carries (shown only when a hint needs them), prepared once
        for every suggestion: per finding, only rapidfuzz's scan depends on their number."""
        pool: Pool | None = self.__dict__.get("_carried_pool")
        if pool is None:
            from solver.render.suggest import Pool

            pool = self._carried_pool = Pool(
                self.n(int(a[0]))  # type: ignore[arg-type]
                for a in self.atoms.get("tag_carried", [])
            )
        return pool

    def _machine_pool(self) -> Pool:
        pool: Pool | None = self.__dict__.get("_machines_pool")
        if pool is None:
            from solver.render.suggest import Pool

            pool = self._machines_pool = Pool(self.inv.machines)
        return pool

    def unknown_machine(self, a: tuple[Term, ...]) -> Diagnostic:
        from solver.render.suggest import did_you_mean

        i, r, m = (int(x) for x in a)  # type: ignore[arg-type]
        info = self.side.instance(i)
        role, machine = self.n(r), self.n(m)
        if (i, r, m) in self._machine_is_tag:
            fix = (
                f'roles.{role}.tags = ["{machine}"]'
                if info.legacy
                else f"roles.{role}.tags.{format_path((machine,))}"
            )
            hint = f'"{machine}" is a tag, not a machine; use {fix}'
        else:
            close = did_you_mean(machine, self._machine_pool())
            hint = (
                f'did you mean the machine "{close[0]}"?'
                if close
                else "define it under machines, or fix the name"
            )
        return self.diag(
            "unknown-machine",
            f"Role '{role}' of instance '{info.name}' - Unknown machine reference: "
            f"'{machine}' is not defined in the inventory",
            self.explicit_path(info, role, machine),
            hint=hint,
            instance=info.name,
            role=role,
            machine=machine,
        )

    def unknown_tag_machine(self, a: tuple[Term, ...]) -> Diagnostic:
        t, m = (int(x) for x in a)  # type: ignore[arg-type]
        tag, machine = self.n(t), self.n(m)
        idx = self._first_index(self.inv.tags[tag], machine)
        return self.diag(
            "unknown-machine",
            f"tags.{format_path((tag,))} names '{machine}', which is not defined in the "
            "inventory; clan-core ignores it",
            ("tags", tag, idx),
            severity="warning",
            hint="define the machine under machines, or remove it from the tag",
            machine=machine,
            tag=tag,
        )

    def unknown_tag(self, a: tuple[Term, ...]) -> Diagnostic:

        i, r, t = (int(x) for x in a)  # type: ignore[arg-type]
        info = self.side.instance(i)
        role, tag = self.n(r), self.n(t)
        if info.legacy:
            prefix = f"inventory.services.{info.path[1]}.{info.path[2]}"
        else:
            prefix = f"Service instance '{info.name}'"
        if tag in self.inv.machines:
            hint = f'"{tag}" is a machine, not a tag; use roles.{role}.machines'
        else:
            hint = self._tag_hint(tag)
        return self.diag(
            "unknown-tag",
            f"{prefix}: - {role} tags: no machine with tag '{tag}' found.",
            self.tag_path(info, role, tag),
            severity="warning",
            hint=hint,
            related=self._emptied_by(i, r, info, role),
            instance=info.name,
            role=role,
            tag=tag,
        )

    def _tag_hint(self, tag: str) -> str:
        """The closest tags (up to `CLOSEST_TAGS`) and how many exist; every tag only when
        there are that few. Listing them all, as clan-core does, makes the output of a
        fleet with many unknown tags grow with the product of the two."""
        from solver.render.suggest import did_you_mean

        carried = self._carried_tags()
        total = len(carried)
        if total <= CLOSEST_TAGS:
            close = did_you_mean(tag, carried)
            hint = f'did you mean the tag "{close[0]}"? ' if close else ""
            return hint + f"Available tags: {_q(carried.names)}"
        close = did_you_mean(tag, carried, limit=CLOSEST_TAGS)
        if not close:
            return f"no tag is close to '{tag}' ({total:,} tags exist)"
        hint = f'did you mean the tag "{close[0]}"?'
        if len(close) > 1:
            hint += f" Closest tags: {_q(close)}"
        return hint + f" ({total:,} tags exist)"

    def _emptied_by(self, i: int, r: int, info: InstanceInfo, role: str) -> tuple[Related, ...]:
        """Related notes: the role (and instance) this unknown tag leaves without machines
        (emptied_role/2, emptied_instance/1: rules/checks.lp), reported here instead of as
        empty-role / empty-instance findings of their own."""
        emptied: set[tuple[int, int]] | None = self.__dict__.get("_emptied_roles")
        if emptied is None:
            emptied = self._emptied_roles = {
                (int(a[0]), int(a[1]))  # type: ignore[arg-type]
                for a in self.atoms.get("emptied_role", [])
            }
            self._emptied_instances = {
                int(a[0])  # type: ignore[arg-type]
                for a in self.atoms.get("emptied_instance", [])
            }
        if (i, r) not in emptied:
            return ()
        notes = [
            self.related(
                f"role '{role}' of instance '{info.name}' is empty because of this",
                self.role_path(info, role),
            )
        ]
        if i in self._emptied_instances:
            notes.append(
                self.related(
                    f"instance '{info.name}' resolves to no machine because of this", info.path
                )
            )
        return tuple(notes)

    def legacy_tag_quirk(self, a: tuple[Term, ...]) -> Diagnostic:
        i, r, t = (int(x) for x in a)  # type: ignore[arg-type]
        info = self.side.instance(i)
        role, tag = self.n(r), self.n(t)
        return self.diag(
            "legacy-tag-quirk",
            f"legacy clan-core drops the members of the tags listed before '{tag}' in role "
            f"'{role}' of instance '{info.name}', because no machine carries '{tag}'",
            self.tag_path(info, role, tag),
            severity="warning",
            hint=f"remove '{tag}' from the list (or move it first)",
            instance=info.name,
            role=role,
            tag=tag,
        )

    def _module_roles(self, info: InstanceInfo) -> list[str]:
        spec = self.side.module(info.module).spec
        return sorted(spec.roles) if spec else []

    def unknown_role(self, a: tuple[Term, ...]) -> Diagnostic:
        from solver.render.suggest import did_you_mean

        i, r = (int(x) for x in a)  # type: ignore[arg-type]
        info = self.side.instance(i)
        role = self.n(r)
        mod = self.side.module(info.module)
        roles = self._module_roles(info)
        if info.legacy:
            msg = (
                f'Roles ["{role}"] are not defined in the service {mod.ref.name}. '
                f"Instance: '{info.path[2]}' Please use one of available roles: {_q(roles)}"
            )
        else:
            svc = mod.spec.display_name if mod.spec else mod.ref.name
            msg = (
                f"Instance: 'instances.{info.name}' uses the following roles: "
                f"{_q([role])} But the clan-service module '{svc}' only defines roles: "
                f"{_q(roles)}"
            )
        close = did_you_mean(role, roles)
        hint = f'did you mean the role "{close[0]}"?' if close else f"use one of {_q(roles)}"
        return self.diag(
            "unknown-role",
            msg,
            self.role_path(info, role),
            hint=hint,
            instance=info.name,
            role=role,
            module=mod.ref.name,
        )

    def unknown_module(self, a: tuple[Term, ...]) -> Diagnostic:
        from solver.render.suggest import did_you_mean

        i, k = (int(x) for x in a)  # type: ignore[arg-type]
        info = self.side.instance(i)
        mod = self.side.module(k)
        name, inp = mod.ref.name, mod.ref.input
        severity: Severity = "error"
        if info.legacy:
            msg = f"(Legacy) ClanModule not found: '{name}'."
            path = info.path[:2]
            pool = self._known_names("legacy")
        elif inp is None or inp == "clan-core":
            msg = f"clan-core doesn't provide clan-module with name '{name}'."
            pool = self._known_names("service")
            path = self._module_path(info)
        else:
            msg = (
                f"no catalogue describes the module '{name}' of flake input '{inp}'; "
                "its roles and constraints are not checked"
            )
            severity = "warning"
            pool = []
            path = self._module_path(info)
        close = did_you_mean(name, pool)
        wanted = "clan-core" if inp is None else inp
        elsewhere = [x for x in self._module_inputs.get(name, []) if x != wanted]
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
        elif inp is None and not info.legacy:
            hint = 'for a module of your own flake set module.input = "self" and describe it with --modules'
        else:
            hint = "describe the module in a catalogue file (--modules FILE)"
        return self.diag(
            "unknown-module",
            msg,
            path,
            severity=severity,
            part="value" if path[-1] == "name" else "key",
            hint=hint,
            instance=info.name,
            module=name,
        )

    def _module_path(self, info: InstanceInfo) -> Path:
        inst = self.inv.instances[info.name]
        if inst.module is not None and inst.module.name:
            return (*info.path, "module", "name")
        return info.path

    def _known_names(self, kind: str) -> list[str]:
        return sorted(
            {m.spec.name for m in self.side.modules if m.spec and m.spec.kind == kind}
            | set(self._catalogue_names.get(kind, []))
        )

    def deprecated_module(self, a: tuple[Term, ...]) -> Diagnostic:
        i, k = (int(x) for x in a)  # type: ignore[arg-type]
        info = self.side.instance(i)
        mod = self.side.module(k)
        assert mod.spec is not None and mod.spec.deprecated
        path = info.path[:2] if info.legacy else self._module_path(info)
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
        return self.diag(
            "deprecated-module",
            mod.spec.deprecated.replace("\n", " "),
            path,
            severity="warning",
            hint=hint,
            instance=info.name,
            module=mod.ref.name,
            args={"replaced_by": [x.describe() for x in repl]} if repl else {},
        )

    def empty_instance(self, a: tuple[Term, ...]) -> Diagnostic:
        info = self.side.instance(int(a[0]))  # type: ignore[arg-type]
        return self.diag(
            "empty-instance",
            f"instance '{info.name}' resolves to no machine",
            info.path,
            severity="warning",
            hint="assign machines to its roles, or remove the instance",
            instance=info.name,
        )

    def empty_role(self, a: tuple[Term, ...]) -> Diagnostic:
        i, r = (int(x) for x in a)  # type: ignore[arg-type]
        info = self.side.instance(i)
        role = self.n(r)
        return self.diag(
            "empty-role",
            f"role '{role}' of instance '{info.name}' resolves to no machine",
            self.role_path(info, role),
            severity="warning",
            hint="assign machines or tags that machines carry, or remove the role",
            instance=info.name,
            role=role,
        )

    def max_instances(self, a: tuple[Term, ...]) -> Diagnostic:
        k, n, mx = (int(x) for x in a)  # type: ignore[arg-type]
        mod = self.side.module(k)
        svc = mod.spec.display_name if mod.spec else mod.ref.name
        insts = [x for x in self.side.instances if x.module == k and x.enabled]
        first_extra = insts[mx] if len(insts) > mx else insts[-1]
        rel = tuple(self.related("instance of the module", x.path) for x in insts[:mx])
        return self.diag(
            "max-instances",
            f"Service '{svc}' allows at most {mx} instance(s) but {n} are defined.",
            first_extra.path,
            hint=f"merge the instances of '{mod.ref.name}' into at most {mx}",
            related=rel,
            clan_id=f"{svc}-maxInstances",
            module=mod.ref.name,
            instance=first_extra.name,
            args={"count": n, "max": mx},
        )

    def _bound(self, a: tuple[Term, ...], kind: str) -> Diagnostic:
        i, r, n, bound = (int(x) for x in a)  # type: ignore[arg-type]
        info = self.side.instance(i)
        role = self.n(r)
        mod = self.side.module(info.module)
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
        return self.diag(
            f"{kind}-machines",
            msg,
            self.existing_role_path(info, role),
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

    def min_machines(self, a: tuple[Term, ...]) -> Diagnostic:
        return self._bound(a, "min")

    def max_machines(self, a: tuple[Term, ...]) -> Diagnostic:
        return self._bound(a, "max")

    def role_count(self, a: tuple[Term, ...], is_min: bool = True) -> Diagnostic:
        i, r, n, x = (int(v) for v in a)  # type: ignore[arg-type]
        info = self.side.instance(i)
        role = self.n(r)
        mod = self.side.module(info.module)
        assert mod.spec is not None
        rc = mod.spec.role_counts[x]
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
        return self.diag(
            "min-machines" if is_min else "max-machines",
            msg,
            self.existing_role_path(info, role),
            hint=f"({rc.source})",
            instance=info.name,
            role=role,
            module=mod.ref.name,
            args={"count": n, "min" if is_min else "max": bound},
        )

    def single_instance_machine(self, a: tuple[Term, ...]) -> Diagnostic:
        m, k, n = (int(x) for x in a)  # type: ignore[arg-type]
        machine = self.n(m)
        mod = self.side.module(k)
        assert mod.spec is not None and mod.spec.single_instance is not None
        si = mod.spec.single_instance
        insts = sorted(
            int(row[2])  # type: ignore[arg-type]
            for row in self.atoms.get("in_module", [])
            if row[0] == m and row[1] == k
        )
        infos = [self.side.instance(i) for i in insts]
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
        paths = [self._membership_path(x, machine) for x in infos]
        return self.diag(
            "single-instance",
            msg,
            paths[1] if len(paths) > 1 else paths[0],
            severity=si.severity,
            hint=f"use one instance of '{mod.ref.name}' on '{machine}' ({si.source})",
            related=tuple(
                self.related(f"'{machine}' in instance '{x.name}'", p)
                for x, p in zip(infos, paths, strict=True)
                if p != (paths[1] if len(paths) > 1 else paths[0])
            ),
            machine=machine,
            module=mod.ref.name,
            args={"instances": names},
        )

    def _membership_path(self, info: InstanceInfo, machine: str) -> Path:
        """Where `machine` is put into some role of `info` (first role, explicit first)."""
        roles = self._roles(info) or {}
        for rname in sorted(roles):
            rm = roles[rname].machines
            if machine in rm:
                return self.explicit_path(info, rname, machine)
        mach = self.inv.machines.get(machine)
        mtags = set(mach.tags) if mach else set()
        for rname in sorted(roles):
            role = roles[rname]
            names = role.tag_names() if hasattr(role, "tag_names") else role.tags
            for t in names:
                if t in mtags or t in ("all",) or machine in self.inv.tags.get(t, []):
                    return self.tag_path(info, rname, t)
        return info.path

    def single_instance_clan(self, a: tuple[Term, ...]) -> Diagnostic:
        k, n = (int(x) for x in a)  # type: ignore[arg-type]
        mod = self.side.module(k)
        assert mod.spec is not None and mod.spec.single_instance is not None
        si = mod.spec.single_instance
        insts = [x for x in self.side.instances if x.module == k and x.enabled]
        msg = (
            si.message
            or "module '{module}' supports one instance per clan, but {count} are defined"
        ).format(
            module=mod.ref.name, count=n, machine="", instances=", ".join(x.name for x in insts)
        )
        return self.diag(
            "single-instance",
            msg,
            insts[1].path,
            severity=si.severity,
            hint=f"use one instance of '{mod.ref.name}' ({si.source})",
            related=tuple(self.related("instance of the module", x.path) for x in insts[:1]),
            module=mod.ref.name,
            instance=insts[1].name,
        )

    def incompatible_roles(self, a: tuple[Term, ...]) -> Diagnostic:
        i, m, r1, r2, x = (int(v) for v in a)  # type: ignore[arg-type]
        info = self.side.instance(i)
        machine, role1, role2 = self.n(m), self.n(r1), self.n(r2)
        mod = self.side.module(info.module)
        assert mod.spec is not None
        rule = mod.spec.incompatible_roles[x]
        template = rule.message or (
            "Machine '{machine}' cannot have both '{role1}' and '{role2}' roles in the "
            "{module} instance '{instance}'."
        )
        msg = template.format(
            machine=machine, instance=info.name, module=mod.ref.name, role1=role1, role2=role2
        ).replace("\n", " ")
        p1 = self._role_member_path(info, role1, machine)
        p2 = self._role_member_path(info, role2, machine)
        return self.diag(
            "incompatible-roles",
            msg,
            p2,
            hint=f"give '{machine}' only one of the roles '{role1}' and '{role2}' ({rule.source})",
            related=(self.related(f"'{machine}' is {role1} here", p1),),
            instance=info.name,
            machine=machine,
            module=mod.ref.name,
            role=role2,
        )

    def _role_member_path(self, info: InstanceInfo, role: str, machine: str) -> Path:
        roles = self._roles(info) or {}
        r = roles.get(role)
        if r is not None and machine in r.machines:
            return self.explicit_path(info, role, machine)
        mach = self.inv.machines.get(machine)
        if r is not None and mach is not None:
            names = r.tag_names() if hasattr(r, "tag_names") else r.tags
            if isinstance(r.tags, dict):  # an attrset: its key order in the file means nothing
                names = sorted(names)
            carried = set(mach.tags) | {t for t, ms in self.inv.tags.items() if machine in ms}
            carried |= {"all", mach.machineClass}
            for t in names:
                if t in carried:
                    return self.tag_path(info, role, t)
        return self.existing_role_path(info, role)

    def class_mismatch(self, a: tuple[Term, ...]) -> Diagnostic:
        i, r, m, c, how = a
        info = self.side.instance(int(i))  # type: ignore[arg-type]
        role, machine = self.n(int(r)), self.n(int(m))  # type: ignore[arg-type]
        mod = self.side.module(info.module)
        assert mod.spec is not None
        classes = ", ".join(sorted(mod.spec.classes))
        return self.diag(
            "class-mismatch",
            f"machine '{machine}' is a {c} machine, but module '{mod.ref.name}' supports only "
            f"{classes}: clan-core builds nothing of instance '{info.name}' for it",
            self._role_member_path(info, role, machine),
            severity="error" if how == "explicit" else "warning",
            hint=f"remove '{machine}' from role '{role}'"
            + (f" ({mod.spec.classes_source})" if mod.spec.classes_source else ""),
            related=(
                self.related(f"machineClass of '{machine}'", ("machines", machine, "machineClass")),
            ),
            instance=info.name,
            role=role,
            machine=machine,
            module=mod.ref.name,
        )

    def class_mismatch_tag(self, a: tuple[Term, ...]) -> Diagnostic:
        """Machines of a class the module does not support, reached through tags of one
        role: one finding for all of them (clan-core builds nothing of the instance for
        them), naming the first `LISTED_MACHINES` and how many more."""
        i, r, c = a
        key = (int(i), int(r), str(c))  # type: ignore[arg-type]
        machines_of, tags_of = self._class_mismatch_index()
        info = self.side.instance(key[0])
        role = self.n(key[1])
        mod = self.side.module(info.module)
        assert mod.spec is not None
        machines = sorted(self.n(m) for m in machines_of.get(key, ()))
        tags = sorted(self.n(t) for t in tags_of.get(key, ()))
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
        return self.diag(
            "class-mismatch",
            f"{count:,} {c} {noun} nothing of role '{role}' of instance '{info.name}' "
            f"through {through}: "
            f"{shown} (module '{mod.ref.name}' supports only {', '.join(supported)})",
            self.tag_path(info, role, tags[0]) if tags else self.existing_role_path(info, role),
            severity="warning",
            hint=hint,
            related=tuple(
                self.related(f"machineClass of '{m}'", ("machines", m, "machineClass"))
                for m in machines[:RELATED_MACHINES]
            ),
            instance=info.name,
            role=role,
            module=mod.ref.name,
            tag=tags[0] if tags else None,
            args={"count": count, "machines": machines, "tags": tags},
        )

    def _class_mismatch_index(
        self,
    ) -> tuple[dict[tuple[int, int, str], list[int]], dict[tuple[int, int, str], list[int]]]:
        """(instance, role, class) -> machine ids / tag ids, built once from the shown
        class_mismatch_tag/4 and class_via_tag/4 atoms."""
        hit = self.__dict__.get("_class_index")
        if hit is None:
            machines: dict[tuple[int, int, str], list[int]] = defaultdict(list)
            tags: dict[tuple[int, int, str], list[int]] = defaultdict(list)
            for i, r, m, c in self.atoms.get("class_mismatch_tag", []):
                machines[(int(i), int(r), str(c))].append(int(m))  # type: ignore[arg-type]
            for i, r, t, c in self.atoms.get("class_via_tag", []):
                tags[(int(i), int(r), str(c))].append(int(t))  # type: ignore[arg-type]
            hit = self._class_index = (machines, tags)
        return hit

    def fanout(self, a: tuple[Term, ...]) -> Diagnostic:
        n, limit = (int(x) for x in a)  # type: ignore[arg-type]
        return self.diag(
            "fanout",
            f"the inventory resolves to {n:,} role memberships (more than {limit:,}); "
            "listing them (resolve, explain) will be slow and large",
            (),
            severity="warning",
            hint="check for a broad tag (such as all) used by many instances",
            args={"memberships": n},
        )

    # -- resolution -----------------------------------------------------------------------
    def resolution(self) -> Resolution:
        """The resolution from the shown atoms. Objects are built with `construct`
        (the values come from our own rules, already typed): a large fleet has hundreds of
        thousands of memberships, and validating each would dominate `resolve`."""
        side = self.side
        n = self.n
        res = empty_resolution("legacy" if self.inv.services is not None else "current")
        tags: dict[str, set[str]] = defaultdict(set)
        holders: dict[int, list[int]] = defaultdict(list)  # tag id -> machine ids
        for row in self.atoms.get("has_tag", []):
            m_id, t_id = int(row[0]), int(row[1])  # type: ignore[arg-type]
            tags[n(m_id)].add(n(t_id))
            holders[t_id].append(m_id)
        machines: dict[str, MachineResolution] = {}
        for mname, mdef in self.inv.machines.items():
            machines[mname] = construct(
                MachineResolution,
                name=mname,
                defined=True,
                machine_class=mdef.machineClass,
                tags=sorted(tags.get(mname, ())),
                assignments=[],
            )
        for info in side.instances:
            res.instances[info.name] = construct(
                InstanceResolution,
                name=info.name,
                module=side.module(info.module).ref,
                kind="legacy" if info.legacy else "service",
                enabled=info.enabled,
                roles={},
            )
        for row in self.atoms.get("resolved_role", []):
            info = side.instance(int(row[0]))  # type: ignore[arg-type]
            rname = n(int(row[1]))  # type: ignore[arg-type]
            res.instances[info.name].roles[rname] = construct(RoleResolution, members=[], via={})
        explicit = construct(Via, kind="explicit", tag=None, location=None)
        # (instance, role) -> machine id -> provenance, explicit first
        grouped: dict[tuple[int, int], dict[int, list[Via]]] = defaultdict(dict)
        for row in self.atoms.get("shown_explicit", []):
            grouped[(int(row[0]), int(row[1]))][int(row[2])] = [explicit]  # type: ignore[arg-type]
        # member(I,R,M) :- selects(I,R,T), has_tag(M,T): the product of two shown relations
        # (display.lp), multiplied out here without deciding anything. Tags in name order,
        # so that each machine's provenance lists them sorted.
        selects = [(int(r[0]), int(r[1]), int(r[2])) for r in self.atoms.get("selects", [])]  # type: ignore[arg-type]
        selects.sort(key=lambda x: n(x[2]))
        for i, r, t in selects:
            via = construct(Via, kind="tag", tag=n(t), location=None)
            group = grouped[(i, r)]
            for m in holders.get(t, ()):
                vias = group.get(m)
                if vias is None:
                    group[m] = [via]
                else:
                    vias.append(via)
        # visited in (instance, role, machine) name order: every list below comes out sorted
        order = sorted(grouped, key=lambda ir: (side.instance(ir[0]).name, n(ir[1])))
        for i, r in order:
            group = grouped[(i, r)]
            info = side.instance(i)
            role = n(r)
            inst = res.instances[info.name]
            rr = inst.roles.get(role)
            if rr is None:
                rr = inst.roles[role] = construct(RoleResolution, members=[], via={})
            members = rr.members
            via_of = rr.via
            for machine, vias in sorted((n(m), v) for m, v in group.items()):
                members.append(machine)
                via_of[machine] = vias
                mres = machines.get(machine)
                if mres is None:
                    mres = machines[machine] = construct(
                        MachineResolution,
                        name=machine,
                        defined=False,
                        machine_class="nixos",
                        tags=[],
                        assignments=[],
                    )
                mres.assignments.append(
                    construct(
                        Assignment,
                        instance=info.name,
                        module=inst.module,
                        role=role,
                        via=vias,
                        settings=None,
                    )
                )
        for inst in res.instances.values():
            inst.roles = dict(sorted(inst.roles.items()))
        res.machines = dict(sorted(machines.items()))
        res.instances = dict(sorted(res.instances.items()))
        return res
