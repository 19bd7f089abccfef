"""What a change does to a clan: the comparison of two reports (``inventory-solver diff``).

Pure functions over two :class:`~solver.report.Report` objects (the clan before and after):
machines and instances added or removed, tag and class changes, role memberships gained
or lost (with the reason: named explicitly or through a tag), merged-settings changes per
machine and role, and findings that are new or fixed. Findings are matched by code,
inventory path and message (not by line: moving text around changes no finding).

Everything is sorted, so that the same change always gives the same output.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from solver.diagnostics import SEVERITY_RANK, Diagnostic
from solver.report import Report, Via

if TYPE_CHECKING:
    from solver.findings.context import Context
    from solver.settings import Plan

VERSION = 1

#: a settings key that looks like it holds a secret: its values are never shown
SECRET_KEY = re.compile(r"password|passwd|secret|token|key|hash|credential", re.IGNORECASE)
MASK = "***"
#: a value longer than this is shortened in the text outputs (never in JSON)
MAX_VALUE = 80


@dataclass(frozen=True, order=True)
class MachineEntry:
    name: str
    machine_class: str
    tags: tuple[str, ...]


@dataclass(frozen=True, order=True)
class MachineChange:
    name: str
    tags_added: tuple[str, ...] = ()
    tags_removed: tuple[str, ...] = ()
    class_old: str | None = None  # set (with class_new) when the class changed
    class_new: str | None = None


@dataclass(frozen=True, order=True)
class InstanceEntry:
    name: str
    module: str


@dataclass(frozen=True, order=True)
class InstanceChange:
    name: str
    module_old: str | None = None  # set (with module_new) when the module changed
    module_new: str | None = None
    enabled_old: bool | None = None  # set (with enabled_new) when enabled changed
    enabled_new: bool | None = None


MembershipKind = Literal["added", "removed", "reason"]


@dataclass(frozen=True, order=True)
class Membership:
    """A machine gaining (``added``) or losing (``removed``) a role, or holding it for
    another reason (``reason``: ``old_via`` before, ``via`` now)."""

    instance: str
    role: str
    machine: str
    change: MembershipKind
    via: tuple[str, ...] = ()  # why it holds (added, reason) or held (removed) the role
    old_via: tuple[str, ...] = ()  # reason changes only


@dataclass(frozen=True, order=True)
class SettingChange:
    """One merged-settings value of a machine in a role: ``old``/``new`` are None when the
    path was absent on that side (``present_old``/``present_new`` tell null from absent)."""

    machine: str
    instance: str
    role: str
    path: str
    old: Any = field(compare=False)
    new: Any = field(compare=False)
    present_old: bool = field(default=True, compare=False)
    present_new: bool = field(default=True, compare=False)
    secret: bool = field(default=False, compare=False)


@dataclass(frozen=True)
class Finding:
    """A finding that is new or fixed, with its location on the side it exists on."""

    code: str
    severity: str
    path: str
    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    instance: str | None = None
    machine: str | None = None

    def sort_key(self) -> tuple[Any, ...]:
        return (
            SEVERITY_RANK.get(self.severity, 3),
            self.code,
            self.path,
            self.message,
            self.file or "",
            self.line or 0,
        )


@dataclass
class Diff:
    """The effect of a change: machines, instances, memberships (with their reasons) and
    merged settings added, removed or changed, and the findings it introduces or fixes.

    Every list is sorted; ``counts()`` sums them up and ``new_at_or_above(severity)``
    gives the new findings that make ``--fail-on-new`` fail."""

    machines_added: list[MachineEntry] = field(default_factory=list)
    machines_removed: list[MachineEntry] = field(default_factory=list)
    machines_changed: list[MachineChange] = field(default_factory=list)
    instances_added: list[InstanceEntry] = field(default_factory=list)
    instances_removed: list[InstanceEntry] = field(default_factory=list)
    instances_changed: list[InstanceChange] = field(default_factory=list)
    memberships: list[Membership] = field(default_factory=list)
    settings: list[SettingChange] = field(default_factory=list)
    new_findings: list[Finding] = field(default_factory=list)
    fixed_findings: list[Finding] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not any(
            (
                self.machines_added,
                self.machines_removed,
                self.machines_changed,
                self.instances_added,
                self.instances_removed,
                self.instances_changed,
                self.memberships,
                self.settings,
                self.new_findings,
                self.fixed_findings,
            )
        )

    def counts(self) -> dict[str, int]:
        ms = Counter(m.change for m in self.memberships)
        return {
            "machines_added": len(self.machines_added),
            "machines_removed": len(self.machines_removed),
            "machines_changed": len(self.machines_changed),
            "instances_added": len(self.instances_added),
            "instances_removed": len(self.instances_removed),
            "instances_changed": len(self.instances_changed),
            "memberships_added": ms["added"],
            "memberships_removed": ms["removed"],
            "memberships_reason_changed": ms["reason"],
            "settings_changed": len(self.settings),
            "new_errors": sum(f.severity == "error" for f in self.new_findings),
            "new_warnings": sum(f.severity == "warning" for f in self.new_findings),
            "new_infos": sum(f.severity == "info" for f in self.new_findings),
            "fixed": len(self.fixed_findings),
        }

    def new_at_or_above(self, severity: str) -> list[Finding]:
        rank = SEVERITY_RANK[severity]
        return [f for f in self.new_findings if SEVERITY_RANK.get(f.severity, 3) <= rank]


# --- comparison -------------------------------------------------------------------------

Key = tuple[str, str, str]  # instance, role, machine
Assigned = tuple[tuple[str, ...], "dict[str, Any] | None"]  # reasons, merged settings


@dataclass
class Snapshot:
    """What a comparison needs of one report, as plain data (cheap to send between
    processes, unlike the report's models): defined machines (class, sorted tags),
    instances (module, enabled), assignments (reasons, merged settings), findings (with
    their file names already mapped)."""

    machines: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    instances: dict[str, tuple[str, bool]] = field(default_factory=dict)
    assignments: dict[Key, Assigned] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    def to_bytes(self) -> bytes:
        """The snapshot for a process of the same interpreter (`diff`'s forked child):
        `marshal`, which keeps shared objects shared (merged settings, see :func:`view`)
        and loads several times faster than JSON."""
        import marshal

        findings = [tuple(f.__dict__.values()) for f in self.findings]
        return marshal.dumps((self.machines, self.instances, self.assignments, findings))

    @classmethod
    def from_bytes(cls, data: bytes) -> Snapshot:
        import marshal

        machines, instances, assignments, findings = marshal.loads(data)
        return cls(
            machines=machines,
            instances=instances,
            assignments=assignments,
            findings=[Finding(*f) for f in findings],
        )


def snapshot(report: Report, files: FileMap | None = None) -> Snapshot:
    """The plain data of `report` that :func:`compare` looks at."""
    res = report.resolution
    fm = files or FileMap()
    return Snapshot(
        machines={
            n: (m.machine_class, tuple(sorted(m.tags)))
            for n, m in res.machines.items()
            if m.defined
        },
        instances={
            n: (_module_name(i.module.name, i.module.input), i.enabled)
            for n, i in res.instances.items()
        },
        assignments=_assignments(report),
        findings=[finding(d, fm) for d in report.diagnostics],
    )


def view(ctx: Context, plan: Plan | None) -> Snapshot:
    """What :func:`snapshot` takes from a report's resolution, built straight from the
    shown atoms of one solve (`ctx`) and the settings plan: no resolution objects, and
    one merged-settings object per distinct list of settings sources (shared between the
    assignments that have the same sources; nothing may change them). Findings are left
    empty: they are added from the report, after the project config applied to them.

    The same values as ``snapshot(report)`` of the report with the resolution and merged
    settings (:meth:`solver.results.Builder.resolution`, :meth:`solver.settings.Plan.fill`).
    """
    side, n, atoms = ctx.side, ctx.n, ctx.atoms
    tags: dict[int, list[str]] = {}
    holders: dict[int, list[int]] = {}  # tag id -> machine ids
    for row in atoms.get("has_tag", []):
        m_id, t_id = int(row[0]), int(row[1])  # type: ignore[arg-type]
        tags.setdefault(m_id, []).append(n(t_id))
        holders.setdefault(t_id, []).append(m_id)
    by_name = {n(m): ts for m, ts in tags.items()}
    machines: dict[str, tuple[str, tuple[str, ...]]] = {
        name: (mdef.machineClass, tuple(sorted(set(by_name.get(name, ())))))
        for name, mdef in ctx.inv.machines.items()
    }
    instances: dict[str, tuple[str, bool]] = {}
    for info in side.instances:
        ref = side.module(info.module).ref
        instances[info.name] = (_module_name(ref.name, ref.input), info.enabled)
    # (instance id, role id) -> machine id -> reasons ("explicit", "tag <name>")
    grouped: dict[tuple[int, int], dict[int, list[str]]] = {}
    for row in atoms.get("shown_explicit", []):
        key = (int(row[0]), int(row[1]))  # type: ignore[arg-type]
        grouped.setdefault(key, {})[int(row[2])] = ["explicit"]  # type: ignore[arg-type]
    for row in atoms.get("selects", []):
        i, r, t = int(row[0]), int(row[1]), int(row[2])  # type: ignore[arg-type]
        text = f"tag {n(t)}"
        group = grouped.setdefault((i, r), {})
        for m in holders.get(t, ()):
            vias = group.get(m)
            if vias is None:
                group[m] = [text]
            else:
                vias.append(text)
    legacy = plan.legacy if plan is not None else {}
    held: dict[str, list[tuple[str, str, str]]] = {}  # machine -> (instance, module, role)
    if legacy:
        for (i, r), group in grouped.items():
            info = side.instance(i)
            item = (info.name, side.module(info.module).ref.name, n(r))
            for m in group:
                held.setdefault(n(m), []).append(item)
        for items in held.values():
            items.sort(key=lambda x: (x[0], x[2]))  # (instance, role), as a resolution
    reasons_of: dict[tuple[str, ...], tuple[str, ...]] = {}
    assignments: dict[Key, Assigned] = {}
    for (i, r), group in grouped.items():
        info = side.instance(i)
        iname, role = info.name, n(r)
        module = side.module(info.module).ref.name
        # the sources when they do not depend on the machine (no per-machine or per-tag
        # settings in this role): merged once for the whole role
        fixed: dict[str, Any] | None = None
        per_machine = False
        if plan is not None:
            rs = None if iname in legacy else plan.current.get((iname, role))
            if iname in legacy or (rs is not None and (rs.tags or rs.machines)):
                per_machine = True
            else:
                fixed = plan.shared([rs.role] if rs is not None and rs.role is not None else [])
        for m, vias in group.items():
            machine = n(m)
            if len(vias) == 1:
                one = (vias[0],)
                reasons = reasons_of.setdefault(one, one)
            else:
                reasons = tuple(sorted(set(vias)))
            value = fixed
            if per_machine:
                assert plan is not None
                ts = [v[4:] for v in vias if v.startswith("tag ")]
                srcs = plan.sources_of(machine, iname, role, module, ts, held.get(machine, ()))
                value = plan.shared(srcs)
            assignments[(iname, role, machine)] = (reasons, value)
    return Snapshot(machines=machines, instances=instances, assignments=assignments)


def compare(
    base: Report | Snapshot,
    target: Report | Snapshot,
    *,
    base_files: FileMap | None = None,
    target_files: FileMap | None = None,
) -> Diff:
    """What changed from `base` to `target` (reports, or their snapshots).

    `base_files`/`target_files` map the file names of each side's findings to the names
    shown (e.g. a temporary export folder to the repository's own paths); messages that
    mention those folders are rewritten the same way before findings are matched.
    """
    a = base if isinstance(base, Snapshot) else snapshot(base, base_files)
    b = target if isinstance(target, Snapshot) else snapshot(target, target_files)
    out = Diff()
    _machines(a, b, out)
    _instances(a, b, out)
    _memberships_and_settings(a, b, out)
    out.new_findings, out.fixed_findings = match_findings(a.findings, b.findings)
    return out


def _machines(base: Snapshot, target: Snapshot, out: Diff) -> None:
    old, new = base.machines, target.machines
    for name in sorted(new.keys() - old.keys()):
        out.machines_added.append(MachineEntry(name, *new[name]))
    for name in sorted(old.keys() - new.keys()):
        out.machines_removed.append(MachineEntry(name, *old[name]))
    for name in sorted(old.keys() & new.keys()):
        (ca, ta_), (cb, tb_) = old[name], new[name]
        ta, tb = set(ta_), set(tb_)
        cls_changed = ca != cb
        if ta != tb or cls_changed:
            out.machines_changed.append(
                MachineChange(
                    name,
                    tags_added=tuple(sorted(tb - ta)),
                    tags_removed=tuple(sorted(ta - tb)),
                    class_old=ca if cls_changed else None,
                    class_new=cb if cls_changed else None,
                )
            )


def _module_name(name: str, input_: str | None) -> str:
    return f"{name} from {input_}" if input_ else name


def _instances(base: Snapshot, target: Snapshot, out: Diff) -> None:
    old, new = base.instances, target.instances
    for name in sorted(new.keys() - old.keys()):
        out.instances_added.append(InstanceEntry(name, new[name][0]))
    for name in sorted(old.keys() - new.keys()):
        out.instances_removed.append(InstanceEntry(name, old[name][0]))
    for name in sorted(old.keys() & new.keys()):
        (ma, ea), (mb, eb) = old[name], new[name]
        if ma != mb or ea != eb:
            out.instances_changed.append(
                InstanceChange(
                    name,
                    module_old=ma if ma != mb else None,
                    module_new=mb if ma != mb else None,
                    enabled_old=ea if ea != eb else None,
                    enabled_new=eb if ea != eb else None,
                )
            )


def _via_text(v: Via) -> str:
    return "explicit" if v.kind == "explicit" else f"tag {v.tag}"


def _vias(vias: list[Via]) -> tuple[str, ...]:
    if len(vias) == 1:  # the common case, without the set and the sort
        return (_via_text(vias[0]),)
    return tuple(sorted({_via_text(v) for v in vias}))


def _assignments(report: Report) -> dict[Key, Assigned]:
    out: dict[Key, Assigned] = {}
    for name, m in report.resolution.machines.items():
        for a in m.assignments:
            out[(a.instance, a.role, name)] = (_vias(a.via), a.settings)
    if not out:  # a resolution by instance only (no per-machine view): use the instances
        for iname, inst in report.resolution.instances.items():
            for role, rr in inst.roles.items():
                for member in rr.members:
                    out[(iname, role, member)] = (_vias(rr.via.get(member, [])), None)
    return out


def _memberships_and_settings(base: Snapshot, target: Snapshot, out: Diff) -> None:
    old, new = base.assignments, target.assignments
    members: list[Membership] = []
    settings: list[SettingChange] = []
    for key, vb_sb in new.items():
        if key not in old:
            members.append(Membership(*key, change="added", via=vb_sb[0]))
    # merged settings are shared between assignments (see `view`): compare each pair of
    # objects once
    same: dict[tuple[int, int], bool] = {}
    for key, (va, sa) in old.items():
        other = new.get(key)
        if other is None:
            members.append(Membership(*key, change="removed", via=va))
            continue
        vb, sb = other
        if va != vb:
            members.append(Membership(*key, change="reason", via=vb, old_via=va))
        pair = (id(sa), id(sb))
        equal = same.get(pair)
        if equal is None:
            equal = same[pair] = sa == sb
        if not equal:
            instance, role, machine = key
            settings.extend(
                SettingChange(machine, instance, role, path, o, n, po, pn, _is_secret(segs))
                for path, segs, o, n, po, pn in settings_changes(sa or {}, sb or {})
            )
    # tuple keys: much faster than the dataclasses' generated comparisons
    out.memberships = sorted(members, key=lambda m: (m.instance, m.role, m.machine, m.change))
    out.settings = sorted(settings, key=lambda c: (c.machine, c.instance, c.role, c.path))


_ABSENT = object()


def _flatten(value: Any, prefix: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Leaves of nested dicts, by path. An empty dict has no leaves: `{}` and absent are
    the same settings (a role given `settings = {}` changes nothing)."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _flatten(v, (*prefix, str(k)))
    else:
        yield prefix, value


def _path_text(segs: tuple[str, ...]) -> str:
    return ".".join(
        s if s and re.fullmatch(r"[A-Za-z0-9_\-]+", s) else '"' + s.replace('"', '\\"') + '"'
        for s in segs
    )


def _is_secret(segs: tuple[str, ...]) -> bool:
    return any(SECRET_KEY.search(s) for s in segs)


def settings_changes(
    old: dict[str, Any], new: dict[str, Any]
) -> list[tuple[str, tuple[str, ...], Any, Any, bool, bool]]:
    """(path, segments, old, new, present_old, present_new) of every leaf that differs;
    key order never matters (dicts compare by content)."""
    a = dict(_flatten(old))
    b = dict(_flatten(new))
    rows = []
    for segs in sorted(a.keys() | b.keys()):
        va, vb = a.get(segs, _ABSENT), b.get(segs, _ABSENT)
        if va is not _ABSENT and vb is not _ABSENT and _same(va, vb):
            continue
        rows.append(
            (
                _path_text(segs) or "(settings)",
                segs,
                None if va is _ABSENT else va,
                None if vb is _ABSENT else vb,
                va is not _ABSENT,
                vb is not _ABSENT,
            )
        )
    return rows


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and bool(a == b)


# --- findings ---------------------------------------------------------------------------


@dataclass
class FileMap:
    """How one side's file names are shown: `root` (an export folder, or the work tree's
    repository) is replaced by `shown` (usually "", for repository-relative names)."""

    root: str | None = None
    shown: str = ""

    def file(self, name: str) -> str:
        import os

        if self.root is None:
            return name
        full = os.path.abspath(name)
        root = self.root.rstrip(os.sep)
        if full == root or full.startswith(root + os.sep):
            rel = os.path.relpath(full, root)
            return os.path.join(self.shown, rel) if self.shown else rel
        return name

    def text(self, message: str) -> str:
        import os

        if self.root is None:
            return message
        root = self.root.rstrip(os.sep)
        return message.replace(root + os.sep, self.shown + os.sep if self.shown else "")


def finding(d: Diagnostic, files: FileMap) -> Finding:
    """`d` as a finding of the comparison, its file names and message mapped by `files`."""
    loc = d.location
    return Finding(
        code=d.code,
        severity=d.severity,
        path=d.path,
        message=files.text(d.message),
        file=files.file(loc.file) if loc is not None else None,
        line=loc.line if loc is not None else None,
        column=loc.column if loc is not None else None,
        instance=d.instance,
        machine=d.machine,
    )


def match_findings(old: list[Finding], new: list[Finding]) -> tuple[list[Finding], list[Finding]]:
    """(new, fixed): findings matched by (code, path, message) as multisets, so that a
    second copy of the same finding is new even when the first one stays."""
    remaining = Counter((f.code, f.path, f.message) for f in old)
    added: list[Finding] = []
    for f in sorted(new, key=Finding.sort_key):
        k = (f.code, f.path, f.message)
        if remaining[k] > 0:
            remaining[k] -= 1
        else:
            added.append(f)
    still = Counter((f.code, f.path, f.message) for f in new)
    fixed: list[Finding] = []
    for f in sorted(old, key=Finding.sort_key):
        k = (f.code, f.path, f.message)
        if still[k] > 0:
            still[k] -= 1
        else:
            fixed.append(f)
    return added, fixed


# --- plain data -------------------------------------------------------------------------


def _value(v: Any, present: bool, secret: bool) -> Any:
    if not present:
        return None
    return MASK if secret else v


def to_data(diff: Diff, base: dict[str, Any], target: dict[str, Any]) -> dict[str, Any]:
    """The documented JSON shape of `diff --format json` (version 1). Secret-looking
    settings values are masked here too: the output is meant for CI logs and comments."""

    def finding(f: Finding) -> dict[str, Any]:
        return {
            "code": f.code,
            "severity": f.severity,
            "path": f.path,
            "message": f.message,
            "file": f.file,
            "line": f.line,
            "column": f.column,
            "instance": f.instance,
            "machine": f.machine,
        }

    return {
        "version": VERSION,
        "base": base,
        "target": target,
        "summary": diff.counts(),
        "machines": {
            "added": [
                {"name": m.name, "machineClass": m.machine_class, "tags": list(m.tags)}
                for m in diff.machines_added
            ],
            "removed": [
                {"name": m.name, "machineClass": m.machine_class, "tags": list(m.tags)}
                for m in diff.machines_removed
            ],
            "changed": [
                {
                    "name": c.name,
                    "tagsAdded": list(c.tags_added),
                    "tagsRemoved": list(c.tags_removed),
                    **(
                        {"machineClass": {"old": c.class_old, "new": c.class_new}}
                        if c.class_old is not None
                        else {}
                    ),
                }
                for c in diff.machines_changed
            ],
        },
        "instances": {
            "added": [{"name": i.name, "module": i.module} for i in diff.instances_added],
            "removed": [{"name": i.name, "module": i.module} for i in diff.instances_removed],
            "changed": [
                {
                    "name": c.name,
                    **(
                        {"module": {"old": c.module_old, "new": c.module_new}}
                        if c.module_old is not None
                        else {}
                    ),
                    **(
                        {"enabled": {"old": c.enabled_old, "new": c.enabled_new}}
                        if c.enabled_old is not None
                        else {}
                    ),
                }
                for c in diff.instances_changed
            ],
        },
        "memberships": [
            {
                "instance": m.instance,
                "role": m.role,
                "machine": m.machine,
                "change": m.change,
                "via": list(m.via),
                **({"oldVia": list(m.old_via)} if m.change == "reason" else {}),
            }
            for m in diff.memberships
        ],
        "settings": [
            {
                "machine": s.machine,
                "instance": s.instance,
                "role": s.role,
                "path": s.path,
                "old": _value(s.old, s.present_old, s.secret),
                "new": _value(s.new, s.present_new, s.secret),
                "oldPresent": s.present_old,
                "newPresent": s.present_new,
                "masked": s.secret,
            }
            for s in diff.settings
        ],
        "findings": {
            "new": [finding(f) for f in diff.new_findings],
            "fixed": [finding(f) for f in diff.fixed_findings],
        },
    }
