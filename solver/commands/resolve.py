"""``inventory-solver resolve [PATH]``: who holds which role, with merged settings."""

from __future__ import annotations

from typing import Any

import click

from solver.commands.common import (
    EXIT_OK,
    RunArgs,
    guard,
    input_options,
    one_path,
    write_output,
)
from solver.render.jsontext import dumps
from solver.report import Report, Via


def _via_text(vias: list[Via]) -> str:
    return ", ".join(str(v) for v in vias)


def to_data(report: Report) -> dict[str, Any]:
    """The documented JSON shape of `resolve --format json` (version 1)."""
    res = report.resolution
    return {
        "version": 1,
        "shape": res.shape,
        "instances": {
            name: {
                "module": {"name": inst.module.name, "input": inst.module.input},
                "enabled": inst.enabled,
                "roles": {r: rr.members for r, rr in inst.roles.items()},
                "via": {
                    r: {m: [str(v) for v in vs] for m, vs in rr.via.items()}
                    for r, rr in inst.roles.items()
                },
            }
            for name, inst in res.instances.items()
        },
        "machines": {
            name: {
                "defined": m.defined,
                "machineClass": m.machine_class,
                "tags": m.tags,
                "assignments": [
                    {
                        "instance": a.instance,
                        "module": {"name": a.module.name, "input": a.module.input},
                        "role": a.role,
                        "via": [str(v) for v in a.via],
                        "settings": a.settings,
                    }
                    for a in m.assignments
                ],
            }
            for name, m in res.machines.items()
        },
        "summary": report.summary.model_dump(mode="json"),
    }


def _settings_lines(settings: dict[str, Any] | None, indent: str) -> list[str]:
    if not settings:
        return []
    text = dumps(settings, sort_keys=True, newline=False)
    return [indent + "settings: " + text.splitlines()[0]] + [
        indent + "          " + ln for ln in text.splitlines()[1:]
    ]


def to_text(report: Report, by: str) -> str:
    res = report.resolution
    out: list[str] = []
    if by == "machine":
        for name, m in res.machines.items():
            head = f"{name} ({m.machine_class}"
            head += f"; tags: {', '.join(m.tags)})" if m.tags else ")"
            if not m.defined:
                head += "  [not defined in machines]"
            out.append(head)
            if not m.assignments:
                out.append("  (no roles)")
            for a in m.assignments:
                mod = a.module.name + (f" from {a.module.input}" if a.module.input else "")
                out.append(f"  {a.instance} / {a.role}  ({mod}; {_via_text(a.via)})")
                out.extend(_settings_lines(a.settings, "    "))
            out.append("")
    else:
        for name, inst in res.instances.items():
            mod = inst.module.name + (f" from {inst.module.input}" if inst.module.input else "")
            state = "" if inst.enabled else "  [disabled]"
            out.append(f"{name} ({mod}){state}")
            if not inst.roles:
                out.append("  (no roles)")
            for r, rr in inst.roles.items():
                members = ", ".join(
                    f"{m}" + (f" [{_via_text(rr.via[m])}]" if rr.via.get(m) else "")
                    for m in rr.members
                )
                out.append(f"  {r}: {members or '(none)'}")
            out.append("")
    s = report.summary
    if s.errors or s.warnings:
        out.append(
            f"({s.errors} error(s), {s.warnings} warning(s); run `inventory-solver check` "
            "for details)"
        )
    from solver.render import printable

    # one entry of `out` is one line: names with control characters or newlines are escaped
    return "\n".join(printable(line, newlines=False) for line in out).rstrip("\n") + "\n"


@click.command(name="resolve")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option(
    "--by", type=click.Choice(["instance", "machine"]), default="instance", show_default=True
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None)
@input_options
def command(paths: tuple[str, ...], fmt: str, by: str, output: str | None, **kw: object) -> None:
    """Show the resolved roles of the inventory at PATH, per instance or per machine."""
    one_path(paths, "resolve")

    def go() -> int:
        from solver.runner import execute

        # The text view by instance shows no settings: they are not merged for it (their
        # conflicts are still found; that is the rules' job, not the merge's).
        settings = fmt == "json" or by == "machine"
        report = execute(RunArgs(paths=paths, resolve=True, settings=settings, **kw))  # type: ignore[arg-type]
        if fmt == "json":
            text = dumps(to_data(report))
        else:
            text = to_text(report, by)
        write_output(text, output, inputs=[*paths, *kw.get("modules", ()), *kw.get("rules", ())])  # type: ignore[misc]
        return EXIT_OK

    guard(go, fmt)
