"""An independent, obviously-correct pure-Python membership oracle, written from
docs/semantics.md#membership-by-name-and-tag (current shape) and #the-legacy-shape -- not from the product's
code. Tests compare the clingo results with it; benchmarks use it as the baseline.

Input: plain inventory data (dicts/lists as in inventory.json), assumed schema-valid.
Output: {instance display name: {role: {machine: set of provenances}}}, where a
provenance is "explicit" or "tag:<t>". Legacy instances are named "<module>/<instance>".
"""

from __future__ import annotations

from typing import Any

Membership = dict[str, dict[str, dict[str, set[str]]]]


def machine_tags(inv: dict[str, Any]) -> dict[str, set[str]]:
    """Tags of each defined machine (docs/semantics.md#membership-by-name-and-tag)."""
    machines: dict[str, Any] = inv.get("machines") or {}
    user_tags: dict[str, list[str]] = inv.get("tags") or {}
    out: dict[str, set[str]] = {}
    for name, m in machines.items():
        tags = set((m or {}).get("tags") or [])
        for t, names in user_tags.items():
            if name in names:
                tags.add(t)
        cls = (m or {}).get("machineClass") or "nixos"
        if "all" not in user_tags:
            tags.add("all")
        if cls not in user_tags:
            tags.add(cls)
        out[name] = tags
    return out


def membership(inv: dict[str, Any]) -> Membership:
    tags = machine_tags(inv)
    result: Membership = {}
    for iname, inst in (inv.get("instances") or {}).items():
        roles: dict[str, dict[str, set[str]]] = {}
        for rname, role in ((inst or {}).get("roles") or {}).items():
            members: dict[str, set[str]] = {}
            for m in (role or {}).get("machines") or {}:
                members.setdefault(m, set()).add("explicit")
            rtags = (role or {}).get("tags") or []
            for t in rtags if isinstance(rtags, list) else list(rtags):
                for m, mt in tags.items():
                    if t in mt:
                        members.setdefault(m, set()).add("tag:" + t)
            roles[rname] = members
        result[iname] = roles
    for mod, insts in (inv.get("services") or {}).items():
        for iname, inst in (insts or {}).items():
            if (inst or {}).get("enabled", True) is False:
                continue
            roles = {}
            for rname, role in ((inst or {}).get("roles") or {}).items():
                members = {}
                for m in (role or {}).get("machines") or []:
                    members.setdefault(m, set()).add("explicit")
                for t in (role or {}).get("tags") or []:
                    for m, mt in tags.items():
                        if t in mt:
                            members.setdefault(m, set()).add("tag:" + t)
                roles[rname] = members
            result[f"{mod}/{iname}"] = roles
    return result


def from_report(resolution: Any) -> Membership:
    """The same shape, from a product Resolution (for comparisons)."""
    out: Membership = {}
    for name, inst in resolution.instances.items():
        if not inst.enabled:
            continue
        roles: dict[str, dict[str, set[str]]] = {}
        for r, rr in inst.roles.items():
            roles[r] = {
                m: {"explicit" if v.kind == "explicit" else "tag:" + str(v.tag) for v in vias}
                for m, vias in rr.via.items()
            }
        out[name] = roles
    return out


def drop_empty_roles(m: Membership) -> Membership:
    return {i: {r: ms for r, ms in roles.items() if ms} for i, roles in m.items()}


# -- settings merge (docs/semantics.md#settings-merge)
#
# Written from the reference only. clan-core hands the layers to the Nix module system as
# plain definitions of equal priority:
#   HEAD:   evalModules [ interface, roles.<r>.settings,
#                         { imports = [ roles.<r>.machines.<m>.settings ]
#                                     ++ [ roles.<r>.tags.<t>.settings for each tag t of m
#                                          listed in roles.<r>.tags ] } ]
#   LEGACY: clan.<module> = mkMerge [ instance config, machines.<m>.config,
#                                     roles.<r>.config for each role of m ]
# Without the role interface (untyped settings) the module system merges attrsets key by
# key, concatenates lists, and accepts a scalar defined several times only when every
# definition is equal ("conflicting definition values" otherwise). A value written
# {"_type": "override", "priority": p, "content": v} (lib.mkOverride; mkForce = 50,
# mkDefault = 1000, plain = 100) hides every definition of the same option with a larger
# priority number. Observed list order (docs/semantics.md#settings-merge, verified): tag, machine, role, i.e. the
# reverse of the definition order above; for several tags the order among tags follows
# the same rule (reverse of attrNames order) -- inferred, not verified.

DEFAULT_PRIORITY = 100


class Conflict(Exception):
    def __init__(self, path: tuple[str, ...], values: list[Any]) -> None:
        self.path = path
        self.values = values
        super().__init__(f"{'.'.join(path)}: {values!r}")


def _is_override(v: Any) -> bool:
    return isinstance(v, dict) and v.get("_type") == "override" and "content" in v


def _merge_defs(
    defs: list[Any], path: tuple[str, ...], conflicts: list[Conflict], concat: bool = True
) -> Any:
    """Merge the definitions of one option (in definition order)."""
    prio = [
        (int(d.get("priority", DEFAULT_PRIORITY)), d["content"])
        if _is_override(d)
        else (DEFAULT_PRIORITY, d)
        for d in defs
    ]
    best = min(p for p, _ in prio)
    vals = [v for p, v in prio if p == best]
    if all(isinstance(v, dict) for v in vals):
        out: dict[str, Any] = {}
        keys: list[str] = []
        for v in vals:
            keys += [k for k in v if k not in keys]
        for k in sorted(keys):
            out[k] = _merge_defs([v[k] for v in vals if k in v], (*path, k), conflicts, concat)
        return out
    if concat and all(isinstance(v, list) for v in vals):
        merged: list[Any] = []
        for v in reversed(vals):  # observed: last definition first
            merged += v
        return merged
    first = vals[0]
    if any(isinstance(v, dict) for v in vals) or any(
        v != first or type(v) is not type(first) for v in vals
    ):
        conflicts.append(Conflict(path, vals))
        return None
    return first


def settings_layers(inv: dict[str, Any], instance: str, role: str, machine: str) -> list[Any]:
    """HEAD definitions for (instance, role, machine), in definition order."""
    r = ((inv.get("instances") or {})[instance].get("roles") or {})[role] or {}
    layers: list[Any] = []
    if r.get("settings") is not None:
        layers.append(r["settings"])
    mset = (
        ((r.get("machines") or {}).get(machine) or {})
        if isinstance(r.get("machines"), dict)
        else {}
    )
    if mset.get("settings") is not None:
        layers.append(mset["settings"])
    rtags = r.get("tags")
    if isinstance(rtags, dict):
        mine = machine_tags(inv).get(machine, set())
        for t in sorted(rtags):
            ts = (rtags[t] or {}).get("settings")
            if t in mine and ts is not None:
                layers.append(ts)
    return layers


def merge_settings(
    inv: dict[str, Any], instance: str, role: str, machine: str, *, concat_lists: bool = True
) -> tuple[dict[str, Any], list[Conflict]]:
    """Merged HEAD settings of `machine` in `role` of `instance`, and the conflicts.

    ``concat_lists`` is for options declared ``listOf`` (the verified case of docs/semantics.md#settings-merge); an
    option without a declared type (``lib.types.anything``) accepts several list
    definitions only when they are equal, like scalars (module system; inferred)."""
    conflicts: list[Conflict] = []
    layers = settings_layers(inv, instance, role, machine)
    if not layers:
        return {}, []
    merged = _merge_defs(layers, (), conflicts, concat_lists)
    return (merged if isinstance(merged, dict) else {}), conflicts


def merge_legacy_config(
    inv: dict[str, Any], module: str, instance: str, machine: str
) -> tuple[dict[str, Any], list[Conflict]]:
    """LEGACY: mkMerge [instance config, machine config, config of each role of machine]."""
    inst = (inv.get("services") or {})[module][instance] or {}
    layers: list[Any] = []
    if inst.get("config") is not None:
        layers.append(inst["config"])
    mc = ((inst.get("machines") or {}).get(machine) or {}).get("config")
    if mc is not None:
        layers.append(mc)
    tags = machine_tags(inv).get(machine, set())
    for rname in sorted(inst.get("roles") or {}):
        role = (inst.get("roles") or {})[rname] or {}
        member = machine in (role.get("machines") or []) or any(
            t in tags for t in role.get("tags") or []
        )
        if member and role.get("config"):  # empty role configs are dropped
            layers.append(role["config"])
    conflicts: list[Conflict] = []
    if not layers:
        return {}, []
    merged = _merge_defs(layers, (), conflicts)
    return (merged if isinstance(merged, dict) else {}), conflicts


def settings_from_report(resolution: Any) -> dict[tuple[str, str, str], Any]:
    """{(instance, role, machine): settings} from a product Resolution (None = not filled)."""
    out: dict[tuple[str, str, str], Any] = {}
    for mname, m in resolution.machines.items():
        for a in m.assignments:
            out[(a.instance, a.role, mname)] = a.settings
    return out
