"""What a finding function may use: the inventory, the side table (ids -> names), the
locator, the shown atoms of the solve, and the paths where things are written."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from solver.diagnostics import Diagnostic, Related, Severity
from solver.facts import InstanceInfo, ModuleInfo, SideTable
from solver.location import Locator, Path, format_path
from solver.model import Inventory

if TYPE_CHECKING:
    from solver.findings.base import Draft
    from solver.render.suggest import Pool
    from solver.settings import Plan
    from solver.solve import Term

T = TypeVar("T")
F = TypeVar("F")


class Context:
    """The state of one solve that findings are worded and located from."""

    def __init__(
        self,
        inv: Inventory,
        side: SideTable,
        locator: Locator,
        atoms: dict[str, list[tuple[Term, ...]]],
        catalogue_names: dict[str, list[str]] | None = None,
        module_inputs: dict[str, list[str]] | None = None,
        settings: Plan | None = None,
    ) -> None:
        self.inv = inv
        self.side = side
        self.locator = locator
        self.atoms = atoms
        # module names every catalogue knows, by kind (for did-you-mean hints)
        self.catalogue_names = catalogue_names or {}
        # service name -> flake inputs that provide it, for "wrong module.input" hints
        self.module_inputs = module_inputs or {}
        # the settings plan whose conflicts the rules decided (settings findings)
        self.settings = settings
        self.n = side.name
        self._memo: dict[str, Any] = {}
        self._index_cache: dict[int, tuple[list[str], dict[str, int]]] = {}

    def memo(self, key: str, make: Callable[[], T]) -> T:
        """`make()` computed once per solve (an index over shown atoms, a name pool)."""
        if key not in self._memo:
            self._memo[key] = make()
        got: T = self._memo[key]
        return got

    # -- findings -------------------------------------------------------------------------
    def finish(self, code: str, severity: Severity | None, d: Draft) -> Diagnostic:
        """The located diagnostic of draft `d`; its severity is the draft's own (decided by
        the input), else the rule's, else the code's registered one."""
        from solver.findings import CODES

        return Diagnostic(
            code=code,
            severity=d.severity or severity or CODES[code].severity,
            message=d.message,
            path=format_path(d.path),
            location=self.locator.locate(d.path, d.part),
            hint=d.hint,
            related=d.related,
            clan_id=d.clan_id,
            instance=d.instance,
            role=d.role,
            machine=d.machine,
            module=d.module,
            tag=d.tag,
            args=d.args,
        )

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
        """A located diagnostic of a code that is not in the registry (user policies)."""
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

    # -- paths ----------------------------------------------------------------------------
    def role_path(self, info: InstanceInfo, role: str) -> Path:
        return (*info.path, "roles", role)

    def existing_role_path(self, info: InstanceInfo, role: str) -> Path:
        """roles.<r> when the instance mentions the role, else its `roles`, else itself."""
        roles = self.roles_of(info)
        if roles is not None and role in roles:
            return self.role_path(info, role)
        if roles:
            return (*info.path, "roles")
        return info.path

    def roles_of(self, info: InstanceInfo) -> dict[str, Any] | None:
        if info.legacy:
            mod, inst = str(info.path[1]), str(info.path[2])
            return dict((self.inv.services or {})[mod][inst].roles)
        return dict(self.inv.instances[info.name].roles)

    def explicit_path(self, info: InstanceInfo, role: str, machine: str) -> Path:
        if info.legacy:
            mod, inst = str(info.path[1]), str(info.path[2])
            names = (self.inv.services or {})[mod][inst].roles[role].machines
            return (*self.role_path(info, role), "machines", self.first_index(names, machine))
        return (*self.role_path(info, role), "machines", machine)

    def tag_path(self, info: InstanceInfo, role: str, tag: str) -> Path:
        if info.legacy:
            mod, inst = str(info.path[1]), str(info.path[2])
            tags = (self.inv.services or {})[mod][inst].roles[role].tags
            return (*self.role_path(info, role), "tags", self.first_index(tags, tag))
        rtags = self.inv.instances[info.name].roles[role].tags
        if isinstance(rtags, list):
            return (*self.role_path(info, role), "tags", self.first_index(rtags, tag))
        return (*self.role_path(info, role), "tags", tag)

    def first_index(self, items: list[str], item: str) -> int:
        """`items.index(item)`, with one index per list (a role may list 100,000 tags)."""
        cache = self._index_cache
        hit = cache.get(id(items))
        if hit is None or hit[0] is not items:
            first: dict[str, int] = {}
            for i, x in enumerate(items):
                first.setdefault(x, i)
            hit = cache[id(items)] = (items, first)
        return hit[1][item]

    def module_path(self, info: InstanceInfo) -> Path:
        inst = self.inv.instances[info.name]
        if inst.module is not None and inst.module.name:
            return (*info.path, "module", "name")
        return info.path

    def membership_path(self, info: InstanceInfo, machine: str) -> Path:
        """Where `machine` is put into some role of `info` (first role, explicit first)."""
        roles = self.roles_of(info) or {}
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

    def role_member_path(self, info: InstanceInfo, role: str, machine: str) -> Path:
        """Where `machine` is put into `role` of `info`: its name, else the first tag of
        the role it carries, else the role."""
        roles = self.roles_of(info) or {}
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

    # -- names for suggestions ------------------------------------------------------------
    def carried_tags(self) -> Pool:
        """The tags some machine carries (shown only when a hint needs them), prepared once
        for every suggestion: per finding, only rapidfuzz's scan depends on their number."""

        def make() -> Pool:
            from solver.render.suggest import Pool

            return Pool(self._name(a[0]) for a in self.atoms.get("tag_carried", []))

        return self.memo("carried_tags", make)

    def machine_pool(self) -> Pool:
        def make() -> Pool:
            from solver.render.suggest import Pool

            return Pool(self.inv.machines)

        return self.memo("machine_pool", make)

    def _name(self, t: Term) -> str:
        assert isinstance(t, int)
        return self.n(t)

    def module_roles(self, info: InstanceInfo) -> list[str]:
        spec = self.side.module(info.module).spec
        return sorted(spec.roles) if spec else []

    def known_module_names(self, kind: str) -> list[str]:
        return sorted(
            {m.spec.name for m in self.side.modules if m.spec and m.spec.kind == kind}
            | set(self.catalogue_names.get(kind, []))
        )

    # -- shown atoms, converted -----------------------------------------------------------
    def shown(self, pred: str, fields: type[F]) -> list[F]:
        """The shown atoms `pred(...)` as `fields` (see :func:`solver.findings.base.converter`)."""
        from solver.findings.base import converter

        convert = converter(fields, self.side)
        got = [convert(row) for row in self.atoms.get(pred, [])]
        return [v for v in got if v is not None]

    def violations(self, atom: str, fields: type[F]) -> list[F]:
        """The arguments of the shown `violation(atom, Args)` atoms as `fields`."""
        from solver.findings.base import converter

        convert = converter(fields, self.side)
        out: list[F] = []
        for code, args in self.atoms.get("violation", []):
            if code == atom:
                v = convert(args if isinstance(args, tuple) else (args,))
                if v is not None:
                    out.append(v)
        return out

    def module_id(self, mod: ModuleInfo) -> int:
        """The id of a module entry of the side table (ids are 1-based positions)."""
        ids = self.memo(
            "module_ids", lambda: {id(m): k for k, m in enumerate(self.side.modules, 1)}
        )
        return ids[id(mod)]

    def instance_id(self, info: InstanceInfo) -> int:
        """The id of an instance entry of the side table (ids are 1-based positions)."""
        ids = self.memo(
            "instance_ids", lambda: {id(x): i for i, x in enumerate(self.side.instances, 1)}
        )
        return ids[id(info)]
