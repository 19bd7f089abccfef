"""Results: answer-set atoms back to pydantic objects: the resolution (membership and
provenance), and the dispatch of violation atoms to the finding functions of
:mod:`solver.findings`, which word and locate them.

Every decision was made by the rules; this module only names things (ids -> names).
"""

from __future__ import annotations

from collections import defaultdict

from solver.diagnostics import Diagnostic
from solver.findings.context import Context
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


class Builder(Context):
    """Turns the atoms of one solve into diagnostics (dispatched to the finding functions
    of :mod:`solver.findings`) and a resolution."""

    def diagnostics(self) -> list[Diagnostic]:
        """One or more findings for every violation atom of the rules: by the function
        its atom is registered with, else (a rule without one) a generic finding."""
        from solver.findings import RULES
        from solver.findings.base import unhandled

        by_atom: dict[str, list[tuple[Term, ...]]] = defaultdict(list)
        for atom, args in self.atoms.get("violation", []):
            by_atom[str(atom)].append(args if isinstance(args, tuple) else (args,))
        out: list[Diagnostic] = []
        for atom, rows in by_atom.items():
            rule = RULES.get(atom)
            if rule is None:
                out += [unhandled(self, atom, row) for row in rows]
            else:
                out += rule.run(self, rows)
        return out

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
