"""Facts: the inventory and catalogue as an ASP program of integer ids.

No user string ever becomes program text. Names (machines, tags, roles) get integer ids
from one :class:`Interner`; instances and modules get ids of their own. The
:class:`SideTable` maps ids back to names and to the inventory paths they came from (the
locator turns paths into ``file:line:col``). Facts are emitted in sorted order, so the
same inventory always gives the same program text (and cache key).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from solver.catalogue import Catalogue, ModuleKey
from solver.catalogue.model import ModuleSpec
from solver.location import Path, format_path
from solver.model import Inventory
from solver.report import ModuleRef

BUILTIN_TAGS = ("all", "darwin", "nixos")


class Interner:
    """Strings to small integers (1, 2, ...), and back."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.names: list[str] = [""]

    def __call__(self, name: str) -> int:
        got = self.ids.get(name)
        if got is None:
            got = len(self.names)
            self.ids[name] = got
            self.names.append(name)
        return got


@dataclass
class InstanceInfo:
    name: str  # display name: the instance key, or "<module>/<instance>" for legacy
    path: Path  # ("instances", name) or ("services", module, instance)
    module: int  # module id
    legacy: bool
    enabled: bool = True


@dataclass
class ModuleInfo:
    key: ModuleKey
    ref: ModuleRef
    spec: ModuleSpec | None


@dataclass
class SideTable:
    names: Interner = field(default_factory=Interner)
    instances: list[InstanceInfo] = field(default_factory=list)  # id = index + 1
    modules: list[ModuleInfo] = field(default_factory=list)  # id = index + 1

    def name(self, i: int) -> str:
        return self.names.names[i]

    def instance(self, i: int) -> InstanceInfo:
        return self.instances[i - 1]

    def module(self, k: int) -> ModuleInfo:
        return self.modules[k - 1]


def _unique(items: list[str]) -> list[str]:
    return sorted(set(items))


def _legacy_name(mod: str, iname: str, used: set[str]) -> str:
    """The display name of a legacy instance: "<module>/<instance>", unless that is taken
    (a module or instance name containing "/", or a current instance of that name); then
    the quoted path, so that two instances never share one entry of the resolution."""
    name = f"{mod}/{iname}"
    if name in used:
        name = "services." + format_path((mod, iname))
        n = 2
        while name in used:
            name = f"services.{format_path((mod, iname))}#{n}"
            n += 1
    used.add(name)
    return name


def build(
    inv: Inventory,
    cat: Catalogue,
    opaque: list[Path] | None = None,
    unread_local: frozenset[str] | bool = frozenset(),
) -> tuple[str, SideTable]:
    """The fact program for `inv` against `cat`, and the side table back to names.

    `opaque` lists inventory paths whose values could not be read (Nix expressions that
    are not plain data) and that decide membership. `unread_local` names the clan's own
    modules (``modules.<name>``, input ``self``) that could not be read statically, or is
    True when the clan's ``modules`` set itself could not be read (then every ``self``
    module is unread): that is already said once, at the module.
    """
    side = SideTable()
    nid = side.names
    out: list[str] = []
    emit = out.append

    for t in BUILTIN_TAGS:
        emit(f"builtin_tag({nid(t)},{t}).")

    # -- machines and tags --------------------------------------------------------------
    for mname in sorted(inv.machines):
        m = inv.machines[mname]
        mid = nid(mname)
        emit(f"machine({mid}).")
        emit(f"machine_class({mid},{m.machineClass}).")
        for t in _unique(m.tags):
            emit(f"machine_tag({mid},{nid(t)}).")
    for tname in sorted(inv.tags):
        tid = nid(tname)
        emit(f"tag_defined({tid}).")
        for mname in _unique(inv.tags[tname]):
            emit(f"tag_list({tid},{nid(mname)}).")

    # -- modules used by instances ------------------------------------------------------
    module_ids: dict[ModuleKey, int] = {}
    wanted: list[ModuleKey] = []
    for iname in inv.instances:
        inst = inv.instances[iname]
        wanted.append((inst.module_input(), inst.module_name(iname), "service"))
    for mod in inv.services or {}:
        wanted.append((None, mod, "legacy"))
    for key in sorted(set(wanted), key=lambda k: (k[2], k[0] or "", k[1])):
        module_ids[key] = len(side.modules) + 1
        side.modules.append(
            ModuleInfo(key=key, ref=ModuleRef(name=key[1], input=key[0]), spec=cat.get(*key))
        )

    for k, info in enumerate(side.modules, 1):
        emit(f"module({k}).")
        if info.key[0] is None or info.key[0] in cat.core_inputs:
            emit(f"module_from_clan_core({k}).")
        if info.key[0] == "self" and (
            unread_local is True
            or (isinstance(unread_local, frozenset) and info.key[1] in unread_local)
        ):
            emit(f"module_local_unread({k}).")
        spec = info.spec
        if spec is None:
            continue
        emit(f"module_known({k}).")
        if spec.deprecated:
            emit(f"module_deprecated({k}).")
        for c in sorted(set(spec.classes)):
            emit(f"module_class({k},{c}).")
        if spec.max_instances is not None:
            emit(f"max_instances({k},{spec.max_instances}).")
        for rname in sorted(spec.roles):
            rid = nid(rname)
            role = spec.roles[rname]
            emit(f"module_role({k},{rid}).")
            if role.min_machines is not None:
                emit(f"min_machines({k},{rid},{role.min_machines}).")
            if role.max_machines is not None:
                emit(f"max_machines({k},{rid},{role.max_machines}).")
        for x, rc in enumerate(spec.role_counts):
            rid = nid(rc.role)
            if rc.min is not None:
                emit(f"role_count_min({k},{rid},{rc.min},{x}).")
            if rc.max is not None:
                emit(f"role_count_max({k},{rid},{rc.max},{x}).")
        if spec.single_instance is not None:
            emit(f"single_instance({k},{spec.single_instance.scope}).")
        for x, inc in enumerate(spec.incompatible_roles):
            emit(f"incompatible({k},{nid(inc.roles[0])},{nid(inc.roles[1])},{x}).")

    # -- current instances --------------------------------------------------------------
    for iname in sorted(inv.instances):
        inst = inv.instances[iname]
        ikey: ModuleKey = (inst.module_input(), inst.module_name(iname), "service")
        side.instances.append(
            InstanceInfo(
                name=iname, path=("instances", iname), module=module_ids[ikey], legacy=False
            )
        )
        i = len(side.instances)
        emit(f"instance({i}).")
        emit(f"instance_module({i},{module_ids[ikey]}).")
        for rname in sorted(inst.roles):
            irole = inst.roles[rname]
            rid = nid(rname)
            emit(f"instance_role({i},{rid}).")
            for mname in sorted(irole.machines):
                emit(f"role_machine({i},{rid},{nid(mname)}).")
            for t in _unique(irole.tag_names()):
                emit(f"role_tag({i},{rid},{nid(t)}).")

    # -- legacy instances ---------------------------------------------------------------
    services = inv.services or {}
    used = set(inv.instances)
    for mod in sorted(services):
        key = (None, mod, "legacy")
        for iname in sorted(services[mod]):
            linst = services[mod][iname]
            side.instances.append(
                InstanceInfo(
                    name=_legacy_name(mod, iname, used),
                    path=("services", mod, iname),
                    module=module_ids[key],
                    legacy=True,
                    enabled=linst.enabled,
                )
            )
            i = len(side.instances)
            emit(f"legacy({i}).")
            emit(f"instance_module({i},{module_ids[key]}).")
            if not linst.enabled:
                emit(f"disabled({i}).")
                continue
            emit(f"instance({i}).")
            for rname in sorted(linst.roles):
                lrole = linst.roles[rname]
                rid = nid(rname)
                emit(f"instance_role({i},{rid}).")
                for p, mname in enumerate(lrole.machines):
                    mid = nid(mname)
                    emit(f"role_machine({i},{rid},{mid}).")
                    emit(f"role_machine_at({i},{rid},{mid},{p}).")
                for p, t in enumerate(lrole.tags):
                    tid = nid(t)
                    emit(f"role_tag({i},{rid},{tid}).")
                    emit(f"role_tag_at({i},{rid},{tid},{p}).")

    if opaque:
        out.extend(_opaque_facts(opaque, side))
    out.append("")
    return "\n".join(out), side


def _opaque_facts(paths: list[Path], side: SideTable) -> list[str]:
    by_path = {info.path: i for i, info in enumerate(side.instances, 1)}
    out: set[str] = set()
    for path in paths:
        p = [k for k in path if isinstance(k, str)]
        if not p:
            out.update({"opaque(machines).", "opaque(tags).", "opaque(instances)."})
        elif p[0] == "machines":
            out.add("opaque(tags).")
            if len(p) == 1:
                out.add("opaque(machines).")
        elif p[0] == "tags":
            out.add("opaque(tags).")
        elif p[0] in ("instances", "services"):
            n = 2 if p[0] == "instances" else 3
            if len(p) < n:
                out.add("opaque(instances).")
                continue
            i = by_path.get(tuple(p[:n]))
            if i is None:
                continue
            rest = p[n:]
            if rest[:1] == ["roles"] and len(rest) >= 2:
                out.add(f"opaque_role({i},{side.names(rest[1])}).")
            else:
                out.add(f"opaque_instance({i}).")
    return sorted(out)
