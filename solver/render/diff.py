"""The views of a :class:`~solver.changes.Diff`: ``text``, ``markdown`` and ``github``.

``text`` and ``markdown`` show the same sections: a summary line, instances (added,
removed, changed, and the memberships gained and lost, with their reason), machines
(added, removed, tags and class, merged-settings changes per role), and findings new and
fixed. ``github`` is the markdown as a job summary plus one annotation per new finding.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from solver.changes import MASK, MAX_VALUE, Diff, Finding, Membership, SettingChange
from solver.render import printable
from solver.render.github import escape_data, escape_property
from solver.render.jsontext import dumps


def summary_line(diff: Diff) -> str:
    if diff.empty:
        return "No changes to roles, settings or findings."
    c = diff.counts()
    parts: list[str] = []

    def add(n: int, what: str) -> None:
        if n:
            parts.append(f"{n} {what}")

    add(c["machines_added"], "machine(s) added")
    add(c["machines_removed"], "machine(s) removed")
    add(c["machines_changed"], "machine(s) with tag/class changes")
    add(c["instances_added"], "instance(s) added")
    add(c["instances_removed"], "instance(s) removed")
    add(c["instances_changed"], "instance(s) changed")
    add(c["memberships_added"], "role(s) gained")
    add(c["memberships_removed"], "role(s) lost")
    add(c["memberships_reason_changed"], "role(s) held for another reason")
    add(c["settings_changed"], "setting(s) changed")
    new = c["new_errors"] + c["new_warnings"] + c["new_infos"]
    if new:
        parts.append(
            f"{new} new finding(s) ({c['new_errors']} error(s), {c['new_warnings']} warning(s))"
        )
    add(c["fixed"], "finding(s) fixed")
    return "; ".join(parts) + "."


def show_value(value: Any, present: bool, secret: bool) -> str:
    if not present:
        return "(absent)"
    if secret:
        return MASK
    text = dumps(value, sort_keys=True, newline=False)
    text = " ".join(text.split())
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def _via(vias: tuple[str, ...]) -> str:
    return ", ".join(vias) if vias else "no reason recorded"


def _membership_line(m: Membership) -> str:
    if m.change == "added":
        return f"+ {m.machine} ({_via(m.via)})"
    if m.change == "removed":
        return f"- {m.machine} (was {_via(m.via)})"
    return f"~ {m.machine} ({_via(m.old_via)} -> {_via(m.via)})"


def _setting_line(s: SettingChange) -> str:
    old = show_value(s.old, s.present_old, s.secret)
    new = show_value(s.new, s.present_new, s.secret)
    return f"{s.path}: {old} -> {new}"


def _finding_line(f: Finding) -> str:
    where = f"{f.file}:{f.line}:{f.column}: " if f.file and f.line else ""
    return f"{where}{f.severity} {f.code}: {f.message} (at {f.path})"


def sections(diff: Diff) -> list[tuple[str, list[str]]]:
    """(title, lines) of every non-empty section, in the order shown."""
    out: list[tuple[str, list[str]]] = []

    # by instance
    inst: list[str] = []
    for i in diff.instances_added:
        inst.append(f"+ {i.name} ({i.module})")
    for i in diff.instances_removed:
        inst.append(f"- {i.name} ({i.module})")
    for ic in diff.instances_changed:
        bits = []
        if ic.module_old is not None:
            bits.append(f"module {ic.module_old} -> {ic.module_new}")
        if ic.enabled_old is not None:
            bits.append(f"enabled {str(ic.enabled_old).lower()} -> {str(ic.enabled_new).lower()}")
        inst.append(f"~ {ic.name}: {'; '.join(bits)}")
    by_role: dict[tuple[str, str], list[Membership]] = defaultdict(list)
    for m in diff.memberships:
        by_role[(m.instance, m.role)].append(m)
    current = None
    for (instance, role), ms in sorted(by_role.items()):
        if instance != current:
            inst.append(f"{instance}:")
            current = instance
        inst.append(f"  {role}:")
        inst.extend(f"    {_membership_line(m)}" for m in ms)
    if inst:
        out.append(("Instances and roles", inst))

    # by machine
    mach: list[str] = []
    for e in diff.machines_added:
        tags = f"; tags: {', '.join(e.tags)}" if e.tags else ""
        mach.append(f"+ {e.name} ({e.machine_class}{tags})")
    for e in diff.machines_removed:
        tags = f"; tags: {', '.join(e.tags)}" if e.tags else ""
        mach.append(f"- {e.name} ({e.machine_class}{tags})")
    changed: dict[str, list[str]] = defaultdict(list)
    for c in diff.machines_changed:
        if c.tags_added:
            changed[c.name].append("tags added: " + ", ".join(c.tags_added))
        if c.tags_removed:
            changed[c.name].append("tags removed: " + ", ".join(c.tags_removed))
        if c.class_old is not None:
            changed[c.name].append(f"class: {c.class_old} -> {c.class_new}")
    by_assignment: dict[tuple[str, str, str], list[SettingChange]] = defaultdict(list)
    for s in diff.settings:
        by_assignment[(s.machine, s.instance, s.role)].append(s)
    for (machine, instance, role), ss in sorted(by_assignment.items()):
        changed[machine].append(f"settings of {instance} / {role}:")
        changed[machine].extend(f"  {_setting_line(s)}" for s in ss)
    for name in sorted(changed):
        mach.append(f"~ {name}:")
        mach.extend(f"    {line}" for line in changed[name])
    if mach:
        out.append(("Machines", mach))

    if diff.new_findings:
        out.append(("New findings", [_finding_line(f) for f in diff.new_findings]))
    if diff.fixed_findings:
        out.append(("Fixed findings", [_finding_line(f) for f in diff.fixed_findings]))
    return out


def _header(base: dict[str, Any], target: dict[str, Any]) -> str:
    def side(s: dict[str, Any]) -> str:
        rev = str(s.get("rev"))
        commit = s.get("commit")
        return f"{rev} ({commit[:12]})" if commit and commit != rev else rev

    return f"{side(base)} -> {side(target)}"


_COLORS = {"+": "\x1b[32m", "-": "\x1b[31m", "~": "\x1b[33m"}


def to_text(diff: Diff, base: dict[str, Any], target: dict[str, Any], color: bool = False) -> str:
    lines = [f"diff {_header(base, target)}", summary_line(diff)]
    for title, body in sections(diff):
        lines.append("")
        lines.append(f"\x1b[1m{title}\x1b[0m" if color else title)
        for line in body:
            text = "  " + printable(line, newlines=False)
            mark = line.lstrip()[:1]
            if color and mark in _COLORS:
                text = _COLORS[mark] + text + "\x1b[0m"
            lines.append(text)
    return "\n".join(lines) + "\n"


def _md_escape(text: str) -> str:
    return printable(text, newlines=False).replace("<", "&lt;").replace(">", "&gt;")


def to_markdown(diff: Diff, base: dict[str, Any], target: dict[str, Any]) -> str:
    """A pull-request comment: a summary line, then one collapsible section each."""
    lines = [
        f"**inventory-solver diff** `{_header(base, target)}`: {_md_escape(summary_line(diff))}"
    ]
    counts = diff.counts()
    for title, body in sections(diff):
        lines.append("")
        opened = " open" if title == "New findings" and counts["new_errors"] else ""
        lines.append(f"<details{opened}><summary>{title} ({_count(title, diff)})</summary>")
        lines.append("")
        lines.append("```diff")
        # `diff` highlighting: + green, - red; a leading "~" is shown as "!" (orange)
        for line in body:
            text = printable(line, newlines=False).replace("```", "`\u200b``")
            stripped = text.lstrip()
            if title == "New findings":
                text = "+ " + text
            elif title == "Fixed findings":
                text = "- " + text
            elif stripped[:1] == "~":
                text = "!" + text[1:] if text[:1] == "~" else text
            lines.append(text)
        lines.append("```")
        lines.append("")
        lines.append("</details>")
    return "\n".join(lines) + "\n"


def _count(title: str, diff: Diff) -> int:
    if title == "Instances and roles":
        return (
            len(diff.instances_added)
            + len(diff.instances_removed)
            + len(diff.instances_changed)
            + len(diff.memberships)
        )
    if title == "Machines":
        return (
            len(diff.machines_added)
            + len(diff.machines_removed)
            + len(diff.machines_changed)
            + len(diff.settings)
        )
    if title == "New findings":
        return len(diff.new_findings)
    return len(diff.fixed_findings)


def workflow_commands(diff: Diff) -> str:
    """One workflow command per new finding (``::error``/``::warning``/``::notice``)."""
    out: list[str] = []
    kinds = {"error": "error", "warning": "warning", "info": "notice"}
    for f in diff.new_findings:
        props: list[tuple[str, str]] = []
        if f.file:
            props.append(("file", f.file))
            if f.line:
                props.append(("line", str(f.line)))
            if f.column:
                props.append(("col", str(f.column)))
        props.append(("title", f"inventory-solver: new {f.code}"))
        args = ",".join(f"{k}={escape_property(v)}" for k, v in props)
        msg = f.message if f.file else f"{f.message} (at {f.path})"
        out.append(f"::{kinds.get(f.severity, 'warning')} {args}::{escape_data(msg)}")
    return "".join(line + "\n" for line in out)
