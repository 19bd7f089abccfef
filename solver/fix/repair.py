"""The repair computation: the smallest set of edits that removes the selected errors.

One run: model -> facts -> solve (the findings, exactly as ``check`` derives them) ->
candidate edits for the findings to fix, each with a cost and its effect on the input
facts -> ``rules/repair.lp`` chooses a subset with ``#minimize`` (remaining errors first,
then cost), judged by the same rules (``checks.lp``, ``settings.lp``) run over the edited
facts. Equal-cost optima come back as ``Repair.alternatives``.

Only the part of the inventory the findings touch is handed to the repair program on a
large fleet (:func:`_scope`): the instances named by the findings (and every instance of
their modules), the machines those instances can reach, and the tags that select them.

Costs (lower is preferred; a rename costs its did-you-mean distance):

* ``move-to-tags`` (a tag written as a machine) 1;
* drop a name the user wrote in a role 2; drop a tag from a machine (or a ``tags.T``
  list) 4; drop a tag from a role 6;
* remove a settings definition: the less specific (role-wide) 2, a machine's or tag's 3,
  an override (priority below 100) 3 more;
* remove a role the module does not define 5; remove an instance 10;
* ``to-attrset`` 1.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from solver.fix.actions import Action, ActionKind, Repair
from solver.fix.schema import action_of as schema_action
from solver.fix.schema import as_remove
from solver.location import Part, Path

if TYPE_CHECKING:
    from solver.api import Options
    from solver.catalogue import Catalogue
    from solver.diagnostics import Diagnostic
    from solver.facts import SideTable
    from solver.model import Inventory
    from solver.read import Loaded
    from solver.settings import Plan
    from solver.solve import Term

# The input predicates an edit can change: written `orig_<name>` in repair mode.
EDITABLE = (
    "role_machine",
    "role_machine_at",
    "role_tag",
    "role_tag_at",
    "machine_tag",
    "tag_list",
    "instance",
    "instance_role",
    "instance_module",
    "setting_source",
    "setting_node",
)
_EDITABLE_RE = re.compile(
    r"^(" + "|".join(sorted(EDITABLE, key=len, reverse=True)) + r")\(", re.MULTILINE
)
# The input predicates the candidate generator and the scope read.
_INDEXED = (
    "role_machine",
    "role_machine_at",
    "role_tag",
    "role_tag_at",
    "instance_role",
    "instance_module",
    "machine",
    "machine_class",
    "machine_tag",
    "tag_list",
    "tag_defined",
    "builtin_tag",
    "setting_source",
    "setting_node",
    "setting_path",
    "max_instances",
    "single_instance",
    "unique_setting",
)

# Violation codes that are errors whenever they hold: an edit must not bring one in.
ERROR_CODES = (
    "unknown_machine",
    "unknown_role",
    "unknown_module",
    "max_instances",
    "min_machines",
    "max_machines",
    "role_count_min",
    "role_count_max",
    "single_instance_machine",
    "single_instance_clan",
    "incompatible_roles",
    "class_mismatch",
    "settings_conflict",
    "settings_type_conflict",
    "duplicate_setting_across_instances",
)

# Violation codes that are never errors (skipped when only errors are to be fixed).
WARNING_CODES = frozenset(
    {
        "machine_is_tag",
        "unknown_tag_machine",
        "unknown_tag",
        "legacy_tag_quirk",
        "deprecated_module",
        "empty_instance",
        "empty_role",
        "class_mismatch_tag",
        "fanout",
    }
)

# Violations about the whole fleet, which the scoped program does not see whole.
UNSCOPED = frozenset({"fanout"})

COST_MOVE_TO_TAGS = 1
COST_TO_ATTRSET = 1
COST_DROP_NAME = 2
COST_DROP_MACHINE_TAG = 4
COST_DROP_ROLE_TAG = 6
COST_SETTING_BROAD = 2
COST_SETTING_NARROW = 3
COST_SETTING_OVERRIDE = 3
COST_REMOVE_ROLE = 5
COST_REMOVE_INSTANCE = 10
RENAMES = 3  # did-you-mean candidates offered per wrong name
TAG_FANOUT = 50  # tags with more members get no per-machine "drop the tag" candidates
MAX_ALTERNATIVES = 5

Fact = tuple[str, tuple[str, ...]]


def _fact(pred: str, *args: object) -> str:
    return f"{pred}({','.join(str(a) for a in args)})"


@dataclass
class _Cand:
    action: Action
    dels: list[str] = field(default_factory=list)
    adds: list[str] = field(default_factory=list)
    role_rename: tuple[int, int, int] | None = None  # (instance, role, new role)
    targets: set[str] = field(default_factory=set)


class _Facts:
    """The fact program, indexed for the candidate generator."""

    def __init__(self, text: str) -> None:
        self.rows: dict[str, list[tuple[str, ...]]] = defaultdict(list)
        for pred in _INDEXED:
            self.rows[pred] = [
                tuple(a.split(","))
                for a in re.findall(r"^" + pred + r"\((.*)\)\.$", text, re.MULTILINE)
            ]
        self.role_machines: dict[tuple[int, int], set[int]] = defaultdict(set)
        self.role_machine_at: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
        self.role_tags: dict[tuple[int, int], set[int]] = defaultdict(set)
        self.role_tag_at: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
        self.instance_roles: dict[int, set[int]] = defaultdict(set)
        self.instance_module: dict[int, int] = {}
        self.machines: set[int] = set()
        self.machine_tags: dict[int, set[int]] = defaultdict(set)
        self.tag_machines: dict[int, set[int]] = defaultdict(set)
        self.tag_list: dict[int, set[int]] = defaultdict(set)
        self.tag_defined: set[int] = set()
        self.builtin: dict[int, str] = {}
        self.machine_class: dict[int, str] = {}
        self.sources: dict[tuple[int, int], list[tuple[str, ...]]] = defaultdict(list)
        self.nodes: dict[str, list[tuple[str, ...]]] = defaultdict(list)
        self.path_children: dict[int, list[int]] = defaultdict(list)
        for a in self.rows["role_machine"]:
            self.role_machines[(int(a[0]), int(a[1]))].add(int(a[2]))
        for a in self.rows["role_machine_at"]:
            self.role_machine_at[(int(a[0]), int(a[1]))].append((int(a[2]), int(a[3])))
        for a in self.rows["role_tag"]:
            self.role_tags[(int(a[0]), int(a[1]))].add(int(a[2]))
        for a in self.rows["role_tag_at"]:
            self.role_tag_at[(int(a[0]), int(a[1]))].append((int(a[2]), int(a[3])))
        for a in self.rows["instance_role"]:
            self.instance_roles[int(a[0])].add(int(a[1]))
        for a in self.rows["instance_module"]:
            self.instance_module[int(a[0])] = int(a[1])
        for a in self.rows["machine"]:
            self.machines.add(int(a[0]))
        for a in self.rows["machine_class"]:
            self.machine_class[int(a[0])] = a[1]
        for a in self.rows["machine_tag"]:
            self.machine_tags[int(a[0])].add(int(a[1]))
            self.tag_machines[int(a[1])].add(int(a[0]))
        for a in self.rows["tag_list"]:
            self.tag_list[int(a[0])].add(int(a[1]))
        for a in self.rows["tag_defined"]:
            self.tag_defined.add(int(a[0]))
        for a in self.rows["builtin_tag"]:
            self.builtin[int(a[0])] = a[1]
        for a in self.rows["setting_source"]:
            self.sources[(int(a[1]), int(a[2]))].append(a)
        for a in self.rows["setting_node"]:
            self.nodes[a[0]].append(a)
        for a in self.rows["setting_path"]:
            self.path_children[int(a[1])].append(int(a[0]))

    def carriers(self, t: int) -> set[int]:
        """The machines that carry tag `t` (membership.lp's has_tag/2)."""
        out = set(self.tag_machines.get(t, ()))
        out |= self.tag_list.get(t, set()) & self.machines
        kind = self.builtin.get(t)
        if kind is not None and t not in self.tag_defined:
            if kind == "all":
                out |= self.machines
            else:
                out |= {m for m, c in self.machine_class.items() if c == kind}
        return out

    def has_tag(self, m: int, t: int) -> bool:
        if t in self.machine_tags.get(m, ()) or m in self.tag_list.get(t, ()):
            return m in self.machines or t in self.machine_tags.get(m, ())
        kind = self.builtin.get(t)
        if kind is None or t in self.tag_defined or m not in self.machines:
            return False
        return kind == "all" or self.machine_class.get(m) == kind

    def subtree(self, p: int) -> list[int]:
        out = [p]
        for c in self.path_children.get(p, ()):
            out += self.subtree(c)
        return out


@dataclass
class _Finding:
    id: str  # code@path
    severity: str


class _Generator:
    """Candidate edits for the findings to fix."""

    def __init__(
        self,
        inv: Inventory,
        side: SideTable,
        facts: _Facts,
        plan: Plan,
        atoms: dict[str, list[tuple[Term, ...]]],
        catalogue: Catalogue,
    ) -> None:
        self.inv = inv
        self.side = side
        self.f = facts
        self.plan = plan
        self.atoms = atoms
        self.catalogue = catalogue
        self.cands: dict[tuple[str, str, str, str], _Cand] = {}
        self.machine_is_tag = {
            tuple(int(x) for x in a[1])  # type: ignore[union-attr]
            for a in atoms.get("violation", [])
            if a[0] == "machine_is_tag"
        }
        self._machine_pool: Any = None

    # -- helpers ------------------------------------------------------------------------
    def n(self, i: int) -> str:
        return self.side.name(i)

    def nid(self, name: str) -> int | None:
        return self.side.names.ids.get(name)

    def add(
        self,
        target: str,
        kind: ActionKind,
        path: Path,
        cost: int,
        dels: Iterable[str] = (),
        adds: Iterable[str] = (),
        part: Part = "key",
        new: str | None = None,
        role_rename: tuple[int, int, int] | None = None,
    ) -> None:
        action = Action(kind=kind, path=path, part=part, new=new, cost=cost)
        key = action.sort_key()
        got = self.cands.get(key)
        if got is None:
            got = self.cands[key] = _Cand(action, list(dels), list(adds), role_rename)
        got.targets.add(target)

    def _raw_role(self, i: int, r: int) -> Any:
        info = self.side.instance(i)
        role = self.n(r)
        if info.legacy:
            mod, inst = str(info.path[1]), str(info.path[2])
            return (self.inv.services or {})[mod][inst].roles.get(role)
        return self.inv.instances[info.name].roles.get(role)

    def role_path(self, i: int, r: int) -> Path:
        return (*self.side.instance(i).path, "roles", self.n(r))

    def explicit(self, i: int, r: int, m: int) -> tuple[Path, Part, list[str], int | None]:
        """Where machine `m` is named in role (i, r): path, part, the facts of that entry
        (without settings), and its list position (legacy)."""
        info = self.side.instance(i)
        if info.legacy:
            role = self._raw_role(i, r)
            pos = role.machines.index(self.n(m))
            facts = [_fact("role_machine_at", i, r, m, pos)]
            if sum(1 for mm, _ in self.f.role_machine_at[(i, r)] if mm == m) == 1:
                facts.append(_fact("role_machine", i, r, m))
            return (*self.role_path(i, r), "machines", pos), "value", facts, pos
        return (
            (*self.role_path(i, r), "machines", self.n(m)),
            "key",
            [_fact("role_machine", i, r, m)],
            None,
        )

    def machine_sources(self, i: int, r: int, m: int) -> list[tuple[str, ...]]:
        return [a for a in self.f.sources.get((i, r), []) if a[3] == "machine" and a[4] == str(m)]

    def tag_sources(self, i: int, r: int, t: int) -> list[tuple[str, ...]]:
        return [a for a in self.f.sources.get((i, r), []) if a[3] == "tag" and a[4] == str(t)]

    def role_tag_at(self, i: int, r: int, t: int) -> tuple[Path, Part, list[str]]:
        info = self.side.instance(i)
        role = self._raw_role(i, r)
        tag = self.n(t)
        if info.legacy or isinstance(role.tags, list):
            pos = role.tags.index(tag)
            facts = []
            if info.legacy:
                facts.append(_fact("role_tag_at", i, r, t, pos))
                if sum(1 for tt, _ in self.f.role_tag_at[(i, r)] if tt == t) == 1:
                    facts.append(_fact("role_tag", i, r, t))
            else:
                facts.append(_fact("role_tag", i, r, t))
            return (*self.role_path(i, r), "tags", pos), "value", facts
        return (*self.role_path(i, r), "tags", tag), "key", [_fact("role_tag", i, r, t)]

    def renames(self, name: str, pool: Any, exclude: set[str]) -> list[tuple[str, int]]:
        from solver.render.suggest import did_you_mean, distance

        out = []
        for cand in did_you_mean(name, pool, limit=RENAMES + len(exclude)):
            if cand in exclude:
                continue
            out.append((cand, max(1, distance(name.casefold(), cand.casefold()))))
        return out[:RENAMES]

    def machine_pool(self) -> Any:
        if self._machine_pool is None:
            from solver.render.suggest import Pool

            self._machine_pool = Pool(self.inv.machines)
        return self._machine_pool

    # -- dropping a machine from a role ----------------------------------------------------
    def drop_member(self, target: str, i: int, r: int, m: int) -> None:
        """Every way to take machine `m` out of role (i, r)."""
        if m in self.f.role_machines.get((i, r), ()):
            path, part, facts, _ = self.explicit(i, r, m)
            facts += [_fact("setting_source", *a) for a in self.machine_sources(i, r, m)]
            self.add(target, "remove", path, COST_DROP_NAME, dels=facts, part=part)
        for t in sorted(self.f.role_tags.get((i, r), ())):
            if not self.f.has_tag(m, t):
                continue
            small = len(self.f.carriers(t)) <= TAG_FANOUT
            mname, tname = self.n(m), self.n(t)
            if small and t in self.f.machine_tags.get(m, ()):
                tags = self.inv.machines[mname].tags
                self.add(
                    target,
                    "remove",
                    ("machines", mname, "tags", tags.index(tname)),
                    COST_DROP_MACHINE_TAG,
                    dels=[_fact("machine_tag", m, t)],
                    part="value",
                )
            if small and m in self.f.tag_list.get(t, ()):
                self.add(
                    target,
                    "remove",
                    ("tags", tname, self.inv.tags[tname].index(mname)),
                    COST_DROP_MACHINE_TAG,
                    dels=[_fact("tag_list", t, m)],
                    part="value",
                )
            path, part, facts = self.role_tag_at(i, r, t)
            facts += [_fact("setting_source", *a) for a in self.tag_sources(i, r, t)]
            self.add(target, "remove", path, COST_DROP_ROLE_TAG, dels=facts, part=part)

    def members(self, i: int, r: int) -> set[int]:
        out = set(self.f.role_machines.get((i, r), ()))
        for t in self.f.role_tags.get((i, r), ()):
            out |= self.f.carriers(t)
        return out

    def remove_instance(self, target: str, i: int) -> None:
        info = self.side.instance(i)
        self.add(target, "remove", info.path, COST_REMOVE_INSTANCE, dels=[_fact("instance", i)])

    # -- per finding --------------------------------------------------------------------
    def offer(self, target: str, code: str, a: tuple[int, ...]) -> None:
        handler = getattr(self, "_" + code, None)
        if handler is not None:
            handler(target, a)

    def _unknown_machine(self, target: str, a: tuple[int, ...]) -> None:
        i, r, m = a
        info = self.side.instance(i)
        path, part, facts, pos = self.explicit(i, r, m)
        srcs = self.machine_sources(i, r, m)
        if (i, r, m) in self.machine_is_tag and not info.legacy:
            dels = facts + [_fact("setting_source", *s) for s in srcs]
            self.add(
                target,
                "move-to-tags",
                path,
                COST_MOVE_TO_TAGS,
                dels=dels,
                adds=[_fact("role_tag", i, r, m)],
            )
        present = {self.n(x) for x in self.f.role_machines.get((i, r), ())}
        for new, cost in self.renames(self.n(m), self.machine_pool(), present):
            m2 = self.nid(new)
            if m2 is None:
                continue
            adds = [_fact("role_machine", i, r, m2)]
            if pos is not None:
                adds.append(_fact("role_machine_at", i, r, m2, pos))
            dels = facts + [_fact("setting_source", *s) for s in srcs]
            adds += [_fact("setting_source", s[0], s[1], s[2], s[3], m2) for s in srcs]
            self.add(target, "rename", path, cost, dels=dels, adds=adds, part=part, new=new)
        dels = facts + [_fact("setting_source", *s) for s in srcs]
        self.add(target, "remove", path, COST_DROP_NAME, dels=dels, part=part)

    def _unknown_tag_machine(self, target: str, a: tuple[int, ...]) -> None:
        t, m = a
        tag, machine = self.n(t), self.n(m)
        path: Path = ("tags", tag, self.inv.tags[tag].index(machine))
        present = set(self.inv.tags[tag])
        for new, cost in self.renames(machine, self.machine_pool(), present):
            m2 = self.nid(new)
            if m2 is not None:
                self.add(
                    target,
                    "rename",
                    path,
                    cost,
                    dels=[_fact("tag_list", t, m)],
                    adds=[_fact("tag_list", t, m2)],
                    part="value",
                    new=new,
                )
        self.add(
            target, "remove", path, COST_DROP_NAME, dels=[_fact("tag_list", t, m)], part="value"
        )

    def _unknown_tag(self, target: str, a: tuple[int, ...]) -> None:
        from solver.render.suggest import Pool

        i, r, t = a
        path, part, facts = self.role_tag_at(i, r, t)
        srcs = self.tag_sources(i, r, t)
        carried = Pool(
            self.n(x)
            for x in set(self.f.tag_machines) | set(self.f.tag_list) | set(self.f.builtin)
            if self.f.carriers(x)
        )
        present = {self.n(x) for x in self.f.role_tags.get((i, r), ())}
        for new, cost in self.renames(self.n(t), carried, present):
            t2 = self.nid(new)
            if t2 is None:
                continue
            adds = [_fact("role_tag", i, r, t2)]
            adds += [
                _fact("role_tag_at", i, r, t2, f[len("role_tag_at(") : -1].split(",")[3])
                for f in facts
                if f.startswith("role_tag_at(")
            ]
            adds += [_fact("setting_source", s[0], s[1], s[2], s[3], t2) for s in srcs]
            dels = facts + [_fact("setting_source", *s) for s in srcs]
            self.add(target, "rename", path, cost, dels=dels, adds=adds, part=part, new=new)
        dels = facts + [_fact("setting_source", *s) for s in srcs]
        self.add(target, "remove", path, COST_DROP_NAME, dels=dels, part=part)

    def _role_facts(self, i: int, r: int) -> list[tuple[str, tuple[object, ...]]]:
        out: list[tuple[str, tuple[object, ...]]] = [("instance_role", (i, r))]
        out += [("role_machine", (i, r, m)) for m in sorted(self.f.role_machines.get((i, r), ()))]
        out += [("role_machine_at", (i, r, m, p)) for m, p in self.f.role_machine_at[(i, r)]]
        out += [("role_tag", (i, r, t)) for t in sorted(self.f.role_tags.get((i, r), ()))]
        out += [("role_tag_at", (i, r, t, p)) for t, p in self.f.role_tag_at[(i, r)]]
        out += [("setting_source", tuple(s)) for s in self.f.sources.get((i, r), [])]
        return out

    def _unknown_role(self, target: str, a: tuple[int, ...]) -> None:
        i, r = a
        info = self.side.instance(i)
        spec = self.side.module(info.module).spec
        if spec is not None:
            self.rename_role(target, i, r, sorted(spec.roles))

    def rename_role(self, target: str, i: int, r: int, roles: list[str]) -> None:
        """Rename role `r` of instance `i` to one of `roles` (or remove it)."""
        spec_roles = roles
        path = self.role_path(i, r)
        old = self._role_facts(i, r)
        dels = [_fact(p, *args) for p, args in old]
        present = {self.n(x) for x in self.f.instance_roles.get(i, ())}
        for new, cost in self.renames(self.n(r), spec_roles, present):
            r2 = self.nid(new)
            if r2 is not None:
                # applied after every other edit (rules/repair.lp, rename_role/4), so that
                # an edit inside the role composes with it
                self.add(target, "rename", path, cost, new=new, role_rename=(i, r, r2))
        self.add(target, "remove", path, COST_REMOVE_ROLE, dels=dels)

    def _unknown_module(self, target: str, a: tuple[int, ...]) -> None:
        i, k = a
        info = self.side.instance(i)
        if info.legacy:
            return
        sel = self.inv.instances[info.name].module
        if sel is None or not sel.name:
            return
        inp = sel.input
        ids = {m.key: n for n, m in enumerate(self.side.modules, 1)}
        for new, cost in self.renames(sel.name, self.catalogue.names("service"), set()):
            k2 = ids.get((inp, new, "service"))
            if k2 is None:
                continue
            self.add(
                target,
                "rename",
                (*info.path, "module", "name"),
                cost,
                dels=[_fact("instance_module", i, k)],
                adds=[_fact("instance_module", i, k2)],
                part="value",
                new=new,
            )
            # the roles the new module does not define: their renames go with it
            spec = self.side.module(k2).spec
            if spec is not None:
                for r in sorted(self.f.instance_roles.get(i, ())):
                    if self.n(r) not in spec.roles:
                        self.rename_role(target, i, r, sorted(spec.roles))

    def _max_machines(self, target: str, a: tuple[int, ...]) -> None:
        i, r = a[0], a[1]
        for m in sorted(self.members(i, r)):
            self.drop_member(target, i, r, m)

    _role_count_max = _max_machines

    def _incompatible_roles(self, target: str, a: tuple[int, ...]) -> None:
        i, m, r1, r2, _ = a
        self.drop_member(target, i, r1, m)
        self.drop_member(target, i, r2, m)

    def _class_mismatch(self, target: str, a: tuple[int, ...]) -> None:
        i, r, m = a[0], a[1], a[2]
        self.drop_member(target, i, r, m)

    def _class_mismatch_tag(self, target: str, a: tuple[int, ...]) -> None:
        # a warning (fixed only when selected): the machines the tags bring in leave
        i, r = a[0], a[1]
        for row in self.atoms.get("class_mismatch_tag", []):
            if row[0] == i and row[1] == r:
                self.drop_member(target, i, r, int(row[2]))  # type: ignore[arg-type]

    def _single_instance_machine(self, target: str, a: tuple[int, ...]) -> None:
        m, k, _ = a
        for row in self.atoms.get("in_module", []):
            if row[0] != m or row[1] != k:
                continue
            i = int(row[2])  # type: ignore[arg-type]
            for r in sorted(self.f.instance_roles.get(i, ())):
                if m in self.members(i, r):
                    self.drop_member(target, i, r, m)

    def _single_instance_clan(self, target: str, a: tuple[int, ...]) -> None:
        k = a[0]
        for i, kk in sorted(self.f.instance_module.items()):
            if kk == k and self.side.instance(i).enabled:
                self.remove_instance(target, i)

    _max_instances = _single_instance_clan

    def _settings_conflict(self, target: str, a: tuple[int, ...]) -> None:
        p, _, s = a
        src = self.plan.sources[s - 1]
        node = self.plan.nodes.get((s, p))
        if node is None:
            return
        keys = self.plan.path_keys[p]
        path = node.path
        # the key itself, not the content of an override around it
        while len(path) > 1 and path[-1] == "content" and path[-2] != keys[-1]:
            path = path[:-1]
        if path and path[-1] == "content" and keys[-1] != "content":
            path = path[:-1]
        cost = COST_SETTING_BROAD if src.kind in ("role", "instance") else COST_SETTING_NARROW
        if node.prio < 100:
            cost += COST_SETTING_OVERRIDE
        sub = {str(x) for x in self.f.subtree(p)}
        dels = [
            _fact("setting_node", *row) for row in self.f.nodes.get(str(s), []) if row[1] in sub
        ]
        self.add(target, "remove", path, cost, dels=dels)

    _settings_type_conflict = _settings_conflict

    def _duplicate_setting_across_instances(self, target: str, a: tuple[int, ...]) -> None:
        # the machine leaves one of the instances that share the value
        m, i = a[2], a[4]
        for r in sorted(self.f.instance_roles.get(i, ())):
            if m in self.members(i, r):
                self.drop_member(target, i, r, m)


SYNTHETIC = "\U0010ffffrepair-module:"  # sorts after every instance name a user writes


def _module_targets(data: Any, catalogue: Catalogue) -> dict[str, dict[str, Any]]:
    """Instances that only carry a module a rename could point to: one per module name
    close to an unknown one (``instances.I.module.name``, current shape)."""
    from solver.render.suggest import did_you_mean

    insts = data.get("instances") if isinstance(data, dict) else None
    if not isinstance(insts, dict):
        return {}
    pool = catalogue.names("service")
    out: dict[str, dict[str, Any]] = {}
    for inst in insts.values():
        mod = inst.get("module") if isinstance(inst, dict) else None
        if not isinstance(mod, dict) or not isinstance(mod.get("name"), str):
            continue
        name, inp = mod["name"], mod.get("input")
        if inp not in (None, "clan-core") or catalogue.get(inp, name, "service") is not None:
            continue
        for cand in did_you_mean(name, pool, limit=RENAMES):
            sel = {"name": cand} if inp is None else {"name": cand, "input": inp}
            out[f"{SYNTHETIC}{inp or ''}:{cand}"] = {"module": sel}
    return out


def _prepare(
    loaded: Loaded, opts: Options
) -> tuple[Inventory, list[Diagnostic], Catalogue, str, SideTable, Plan]:
    """model -> facts, as :func:`solver.api._run` does it; plus, for module renames, the
    facts of the modules a rename could choose (carried by instances that do not exist:
    no `instance/1` fact, no roles)."""
    from solver import facts as facts_mod
    from solver import settings as settings_mod
    from solver.api import _unread_local, opaque_membership
    from solver.catalogue import load as load_catalogue
    from solver.catalogue.source import choose
    from solver.model import validate

    chosen = choose(opts.clan_core, opts.clan_path, allow_nix=not opts.no_nix)
    catalogue = load_catalogue(
        opts.modules, [*loaded.modules, *opts.extra_modules], base=chosen.catalogue
    ).with_core_inputs(loaded.clan_core_inputs)
    data = loaded.data
    synth = _module_targets(data, catalogue)
    if synth:
        data = {**data, "instances": {**data["instances"], **synth}}
    inv, diags = validate(data, loaded.locator)
    program, side = facts_mod.build(
        inv, catalogue, opaque_membership(loaded), _unread_local(loaded)
    )
    plan = settings_mod.plan(inv, catalogue, side, loaded.locator)
    if synth:
        fake = {f"instance({i})." for i, x in enumerate(side.instances, 1) if x.name in synth}
        program = "\n".join(x for x in program.split("\n") if x not in fake)
    return inv, diags, catalogue, program + plan.facts, side, plan


# Predicates whose first argument is an instance id.
_BY_INSTANCE = frozenset(
    {
        "instance",
        "legacy",
        "disabled",
        "instance_module",
        "instance_role",
        "role_machine",
        "role_machine_at",
        "role_tag",
        "role_tag_at",
        "opaque_instance",
        "opaque_role",
        "unique_default",
    }
)
_BY_MACHINE = frozenset({"machine", "machine_class", "machine_tag"})
_ARGS_RE = re.compile(r"\(([^()]*)\)")


def _instances_of(code: str, a: tuple[int, ...], f: _Facts, plan: Plan) -> set[int]:
    """The instances a violation is about (by the argument layout of checks.lp)."""
    if code in ("single_instance_machine", "single_instance_clan", "max_instances"):
        k = a[1] if code == "single_instance_machine" else a[0]
        return {i for i, kk in f.instance_module.items() if kk == k}
    if code in ("settings_conflict", "settings_type_conflict"):
        return {plan.sources[a[2] - 1].instance}
    if code == "duplicate_setting_across_instances":
        return {a[4]}
    if code == "unknown_tag_machine":
        return {i for (i, _), ts in f.role_tags.items() if a[0] in ts}
    if code in UNSCOPED:
        return set()
    return {a[0]} if a else set()


def _scope(
    program: str, f: _Facts, plan: Plan, about: set[int], cands: list[_Cand]
) -> tuple[str, int, int]:
    """The part of the fact program the repair can touch or see change.

    * the instances `about` (those of the findings to fix) and those an edit changes;
    * every instance that selects a tag an edit adds to or takes from a machine;
    * every instance of a module that counts its instances (max_instances,
      single_instance), the module an edit renames to included;
    * the instances of a module with unique settings that share a machine with the
      instances above (a new duplicate value can only appear on those machines);
    * every member of the instances above but the last kind (so their role sizes are
      those of the whole inventory), the machines an edit names, the tags they use.

    Violations over this part about the instances an edit can change are those of the
    whole inventory; an instance kept only for a shared value may find other things
    (fewer members), but the same in every choice of edits, so the choice is the one
    the whole inventory would give. Returns the program and the numbers of instances and
    machines kept."""
    insts = set(about)
    tags: set[int] = set()
    names: set[int] = set()  # machine ids named by an edit
    mods: set[int] = set()  # modules an edit renames to
    for c in cands:
        if c.role_rename is not None:
            insts.add(c.role_rename[0])
        for fact in (*c.dels, *c.adds):
            pred, _, rest = fact.partition("(")
            args = [int(x) for x in rest.rstrip(")").split(",") if x.lstrip("-").isdigit()]
            if pred in _BY_INSTANCE or pred == "setting_source":
                insts.add(args[1] if pred == "setting_source" else args[0])
            if pred == "instance_module":
                mods.add(args[1])
            if pred in ("role_tag", "role_tag_at"):
                tags.add(args[2])
            if pred in ("role_machine", "role_machine_at"):
                names.add(args[2])
            if pred == "machine_tag":
                names.add(args[0])
                tags.add(args[1])
            if pred == "tag_list":
                names.add(args[1])
                tags.add(args[0])
    counting = {int(a[0]) for a in f.rows["max_instances"]}
    counting |= {int(a[0]) for a in f.rows["single_instance"]}
    unique = {int(a[0]) for a in f.rows["unique_setting"]}
    carried: dict[int, set[int]] = {}

    def carriers(t: int) -> set[int]:
        got = carried.get(t)
        if got is None:
            got = carried[t] = f.carriers(t)
        return got

    def members(i: int) -> set[int]:
        out: set[int] = set()
        for r in f.instance_roles.get(i, ()):
            out |= f.role_machines.get((i, r), set())
            for t in f.role_tags.get((i, r), ()):
                out |= carriers(t)
        return out

    by_tag = {i for (i, _), ts in f.role_tags.items() if ts & tags}
    insts |= by_tag
    mods |= {f.instance_module[i] for i in insts if i in f.instance_module}
    insts |= {i for i, k in f.instance_module.items() if k in mods & counting}
    used = set(tags)
    machines = set(names)
    for (i, _), ts in f.role_tags.items():
        if i in insts:
            used |= ts
    for (i, _), ms in f.role_machines.items():
        if i in insts:
            machines |= ms
            used |= ms  # a name written as a machine may be a tag (machine_is_tag)
    for t in used:
        machines |= carriers(t)
    # Kept for a shared value only: their members outside `machines` are left out (no
    # edit changes what those instances find on their own; only how they meet the
    # instances above, on the machines above).
    shared = mods & unique
    insts |= {
        i
        for i, k in f.instance_module.items()
        if k in shared and i not in insts and members(i) & machines
    }
    keep: list[str] = []
    sources: set[str] = set()
    for line in program.split("\n"):
        pred, paren, rest = line.partition("(")
        if not paren:
            keep.append(line)
            continue
        if pred in _BY_INSTANCE:
            first = rest.split(",", 1)[0].rstrip(").")
            if int(first) in insts:
                keep.append(line)
        elif pred in _BY_MACHINE:
            first = rest.split(",", 1)[0].rstrip(").")
            if int(first) in machines:
                keep.append(line)
        elif pred == "tag_list":
            t, m = (int(x) for x in rest.rstrip(").").split(","))
            if t in used or m in machines:
                keep.append(line)
        elif pred == "setting_source":
            src, inst = rest.split(",", 2)[:2]
            if int(inst) in insts:
                sources.add(src)
                keep.append(line)
        elif pred == "setting_node":
            if rest.split(",", 1)[0] in sources:
                keep.append(line)
        else:
            keep.append(line)
    return "\n".join(keep), len(insts), len(machines)


def _conflicts(cands: list[_Cand]) -> list[tuple[int, int]]:
    """Pairs of candidates (numbered from 1) that cannot both be written: two edits of one
    path, or an edit inside something another edit moves or removes (inside a renamed
    key is fine: the two edits touch different text)."""
    at: dict[Path, list[int]] = defaultdict(list)
    for n, c in enumerate(cands, 1):
        at[c.action.path].append(n)
    out: set[tuple[int, int]] = set()
    for ns in at.values():
        out.update(itertools.combinations(ns, 2))
    for n, c in enumerate(cands, 1):
        path = c.action.path
        for k in range(1, len(path)):
            for m in at.get(path[:k], ()):
                if cands[m - 1].action.kind != "rename":  # a renamed key keeps its value
                    out.add((min(m, n), max(m, n)))
    return sorted(out)


def _term_text(t: Term) -> str:
    if isinstance(t, tuple):
        inner = ",".join(_term_text(x) for x in t)
        return f"({inner},)" if len(t) == 1 else f"({inner})"
    return str(t)


@dataclass
class _Setup:
    """Everything before the choice: the facts, the findings, the candidate edits."""

    program: str
    plan: Plan
    facts: _Facts
    findings: dict[tuple[str, Term], _Finding]
    to_fix: dict[tuple[str, Term], _Finding]
    cands: list[_Cand]
    extra: list[_Cand]  # edits outside the facts (to-attrset, schema): always taken
    no_fix: list[str]  # selected schema findings no edit fixes (inventory.services)
    errors: set[str]  # `code@path` of the errors of the inventory as read (and the selected)


def _setup(loaded: Loaded, opts: Options, select: frozenset[str] | None) -> _Setup:
    from solver.api import builder_factory
    from solver.solve import solve

    inv, model_diags, catalogue, program, side, plan = _prepare(loaded, opts)
    base = solve(program, resolve=False, consts=[("fanout_limit", str(int(opts.fanout_limit)))])
    make_builder = builder_factory(inv, side, loaded.locator, catalogue, plan)

    def wanted(d: Diagnostic) -> bool:
        return d.code in select if select is not None else d.severity == "error"

    # Each violation atom, as the finding a user sees (code@path, severity). One builder
    # for all of them (its indexes are built once), shown one atom at a time.
    builder = make_builder(base.atoms)
    findings: dict[tuple[str, Term], _Finding] = {}
    # Settings atoms are one per (path, machine, source): a finding is the group of one
    # path on one machine (duplicates: of one value on one machine), as check groups them.
    groups: dict[tuple[Term, ...], list[tuple[Term, ...]]] = defaultdict(list)
    for code, args in base.atoms.get("violation", []):
        assert isinstance(code, str)
        if select is None and code in WARNING_CODES:
            continue
        if code in ("settings_conflict", "settings_type_conflict"):
            assert isinstance(args, tuple)
            groups[(code, args[0], args[1])].append((code, args))
        elif code == "duplicate_setting_across_instances":
            assert isinstance(args, tuple)
            groups[(code, *args[:4])].append((code, args))
        else:
            groups[(code, args)].append((code, args))
    for atoms in groups.values():
        one: dict[str, list[tuple[Term, ...]]] = {**base.atoms, "violation": atoms}
        builder.atoms = one
        ds = builder.diagnostics()
        if ds:
            d = ds[0]
            found = _Finding(f"{d.code}@{d.path}", "fix" if wanted(d) else d.severity)
            for c, args in atoms:
                findings[(str(c), args)] = found

    facts = _Facts(program)
    gen = _Generator(inv, side, facts, plan, base.atoms, catalogue)
    to_fix = {k: f for k, f in findings.items() if f.severity == "fix"}
    for (code, args), f in sorted(to_fix.items(), key=lambda kv: kv[1].id):
        tup = args if isinstance(args, tuple) else (args,)
        gen.offer(f.id, code, tuple(int(x) if isinstance(x, int) else 0 for x in tup))
    extra: list[_Cand] = []
    no_fix: list[str] = []
    # schema findings: the value is left out before the rules run, so their fix (decided
    # where they are worded, solver/fix/schema.py) is outside the choice
    # (not under a value defined in several places that the reader kept one of: removing
    # that definition would bring another in, unchecked)
    shadowed = tuple(
        d.path for d in loaded.notes if d.code in ("duplicate-definition", "conflicting-definition")
    )
    for d in [*model_diags, *plan.diagnostics]:
        act = schema_action(d) if wanted(d) else None
        if act is not None and any(_under(d.path, p) for p in shadowed):
            no_fix.append(f"{d.code}@{d.path}")
        elif act is not None:
            extra.append(_Cand(act, targets={f"{d.code}@{d.path}"}))
        elif wanted(d) and d.code == "removed-option":  # inventory.services: migrate by hand
            no_fix.append(f"{d.code}@{d.path}")
    for d in model_diags:
        if d.code == "role-machines-list" and wanted(d):
            path: Path = ("instances", str(d.instance), "roles", str(d.role), "machines")
            extra.append(
                _Cand(
                    Action(kind="to-attrset", path=path, cost=COST_TO_ATTRSET),
                    targets={f"{d.code}@{d.path}"},
                )
            )

    extra = _nested(extra)
    cands = sorted(gen.cands.values(), key=lambda c: c.action.sort_key())
    errors = {f.id for f in findings.values() if f.severity in ("fix", "error")}
    errors |= {
        f"{d.code}@{d.path}"
        for d in [*model_diags, *plan.diagnostics, *loaded.notes]
        if d.severity == "error" or wanted(d)
    }
    return _Setup(program, plan, facts, findings, to_fix, cands, extra, no_fix, errors)


def _verify_renames(
    loaded: Loaded,
    opts: Options,
    actions: tuple[Action, ...],
    alternatives: tuple[tuple[Action, ...], ...],
    expected: set[str],
) -> tuple[tuple[Action, ...], tuple[tuple[Action, ...], ...]]:
    """A schema rename (solver/fix/schema.py) brings the value back into the check: keep a
    rename only if the repaired inventory has no error but the `expected` ones (those of
    the inventory as read that the repair leaves; removing the keys instead gives exactly
    those, as the values were left out of the check). One more `check` when the repair
    renames a schema key the rules read; when that finds something new, one per rename (each with the
    others removed), and one for the renames kept together."""
    from solver.fix.schema import SCHEMA_CODES, inert

    def schema_rename(a: Action) -> bool:
        return (
            a.kind == "rename"
            and any(f.split("@", 1)[0] in SCHEMA_CODES for f in a.fixes)
            and not inert(a)  # a key no rule reads: nothing to check
        )

    renames = [a for a in actions if schema_rename(a)]
    if not renames or _errors_after(loaded, opts, actions) <= expected:
        return actions, alternatives

    def keeping(acts: tuple[Action, ...], kept: set[Path]) -> tuple[Action, ...]:
        return tuple(
            sorted(
                (as_remove(a) if schema_rename(a) and a.path not in kept else a for a in acts),
                key=Action.sort_key,
            )
        )

    kept: set[Path] = set()
    if len(renames) > 1:
        kept = {
            a.path
            for a in renames
            if _errors_after(loaded, opts, keeping(actions, {a.path})) <= expected
        }
        if kept and not _errors_after(loaded, opts, keeping(actions, kept)) <= expected:
            kept = set()
    return keeping(actions, kept), tuple(keeping(alt, kept) for alt in alternatives)


def _errors_after(loaded: Loaded, opts: Options, actions: Iterable[Action]) -> set[str]:
    """The errors (`code@path`) `check` reports once `actions` are applied to the data."""
    from dataclasses import replace

    from solver.api import run
    from solver.fix.apply_data import ApplyError, apply_actions

    try:
        data = apply_actions(loaded.data, actions)
    except ApplyError:  # pragma: no cover - the actions come from this inventory
        return {"\U0010ffff"}
    report = run(replace(loaded, data=data), replace(opts, resolve=False, settings=False))
    return {f"{d.code}@{d.path}" for d in report.diagnostics if d.severity == "error"}


def _nested(extra: list[_Cand]) -> list[_Cand]:
    """The edits outside the choice, one per path (a finding whose fix is another's: the
    same edit fixes both), and none inside a removal (which fixes what is inside too)."""
    by_key: dict[tuple[str, str, str, str], _Cand] = {}
    for c in extra:
        k = c.action.sort_key()
        if k in by_key:
            by_key[k].targets |= c.targets
        else:
            by_key[k] = _Cand(c.action, targets=set(c.targets))
    out = list(by_key.values())
    removed = [c for c in out if c.action.kind == "remove"]
    keep: list[_Cand] = []
    for c in out:
        outer = min(
            (
                r
                for r in removed
                if len(r.action.path) < len(c.action.path)
                and c.action.path[: len(r.action.path)] == r.action.path
            ),
            key=lambda r: len(r.action.path),
            default=None,
        )
        if outer is None:
            keep.append(c)
        else:
            outer.targets |= c.targets
    return sorted(keep, key=lambda c: c.action.sort_key())


def _under(path: str, top: str) -> bool:
    """Whether the formatted `path` is `top` or inside it."""
    return path == top or path.startswith((top + ".", top + "["))


def candidates(
    loaded: Loaded, opts: Options, select: frozenset[str] | None = None
) -> tuple[list[Action], list[str]]:
    """The candidate edits the repair chooses from (plus the ones always taken), and the
    findings (`code@path`) to fix: what a brute-force search would enumerate."""
    st = _setup(loaded, opts, select)
    acts = [c.action for c in st.cands] + [c.action for c in st.extra]
    # a schema rename is checked against removing the key instead (_verify_renames)
    acts += [as_remove(c.action) for c in st.extra if c.action.kind == "rename"]
    fixing = {f.id for f in st.to_fix.values()} | {t for c in st.extra for t in c.targets}
    return acts, sorted(fixing)


def compute_repair(loaded: Loaded, opts: Options, select: frozenset[str] | None = None) -> Repair:
    """The smallest set of actions that removes the selected errors (`select`: the
    finding codes to fix, any severity; None: every error). Ties: ``alternatives``."""
    from solver.api import collector_paused

    with collector_paused():
        return _compute(loaded, opts, select)


def _compute(loaded: Loaded, opts: Options, select: frozenset[str] | None) -> Repair:
    from solver.solve import optimize

    st = _setup(loaded, opts, select)
    program, plan, findings, to_fix = st.program, st.plan, st.findings, st.to_fix
    cands, extra = st.cands, st.extra
    about: set[int] = set()
    for code, args in to_fix:
        tup = args if isinstance(args, tuple) else (args,)
        about |= _instances_of(
            code, tuple(int(x) if isinstance(x, int) else 0 for x in tup), st.facts, plan
        )
    scoped, _, _ = _scope(program, st.facts, plan, about, cands)
    out = [_EDITABLE_RE.sub(r"orig_\1(", scoped)]
    for n, c in enumerate(cands, 1):
        out.append(f"cand({n},{c.action.cost}).")
        out += [f"del({n},{x})." for x in c.dels]
        out += [f"add({n},{x})." for x in c.adds]
        if c.role_rename is not None:
            out.append(f"rename_role({n},{','.join(map(str, c.role_rename))}).")
    out += [f"conflict({a},{b})." for a, b in _conflicts(cands)]
    for (code, args), f in findings.items():
        out.append(f"was({code},{_term_text(args)}).")
        if f.severity == "fix" and code not in UNSCOPED:
            out.append(f"fix({code},{_term_text(args)}).")
    out += [f"error_code({c})." for c in ERROR_CODES]
    models = optimize("\n".join(out) + "\n", limit=MAX_ALTERNATIVES + 1)

    ids_of: dict[tuple[str, str], str] = {
        (code, _term_text(args)): f.id for (code, args), f in findings.items()
    }
    fix_ids = {f.id for f in to_fix.values()}
    best = models[0] if models else None
    # a fleet-wide count (fanout) is not seen whole in the scoped program: no edit is
    # offered for it, and it stays
    remaining: set[str] = {f.id for (code, _), f in to_fix.items() if code in UNSCOPED}
    if best is not None:
        for code, args in best.remains:
            fid = ids_of.get((code, args))
            if fid is not None:
                remaining.add(fid)
    fixed = sorted(fix_ids - remaining)
    fixed += sorted(t for c in extra for t in c.targets)

    # what each chosen edit fixes: the findings that come back when it alone is left out
    own: dict[int, set[str]] = {}
    if best is not None:
        for n, rest in best.without.items():
            back = {ids_of[x] for x in rest if x in ids_of}
            own[n] = back & set(fixed)
        # a finding that several edits fix together: each one offered for it
        alone = set().union(*own.values()) if own else set()
        for n in own:
            own[n] |= cands[n - 1].targets & (set(fixed) - alone)

    def actions_of(chosen: list[int], first: bool) -> tuple[Action, ...]:
        acts = []
        for n in chosen:
            c = cands[n - 1]
            fixes = own.get(n) if first and n in own else c.targets & set(fixed)
            acts.append(c.action.model_copy(update={"fixes": tuple(sorted(fixes or ()))}))
        acts += [c.action.model_copy(update={"fixes": tuple(sorted(c.targets))}) for c in extra]
        return tuple(sorted(acts, key=Action.sort_key))

    chosen_sets = [m.chosen for m in models] if models else [[]]
    actions = actions_of(chosen_sets[0], True)
    alternatives = tuple(actions_of(ch, False) for ch in chosen_sets[1 : MAX_ALTERNATIVES + 1])
    expected = st.errors - set(fixed)
    actions, alternatives = _verify_renames(loaded, opts, actions, alternatives, expected)
    return Repair(
        actions=actions,
        cost=sum(a.cost for a in actions),
        alternatives=alternatives,
        fixed=tuple(sorted(fixed)),
        unfixed=tuple(sorted((remaining & fix_ids) | set(st.no_fix))),
    )
