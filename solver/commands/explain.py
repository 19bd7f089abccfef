"""``inventory-solver explain MACHINE|CODE|MODULE``: why a machine holds its roles, what a
diagnostic code means, or a module's roles and settings options."""

from __future__ import annotations

import json
from typing import Any

import click

from solver.commands.common import (
    EXIT_OK,
    EXIT_UNUSABLE,
    RunArgs,
    guard,
    input_options,
    write_output,
)
from solver.errors import InputError
from solver.location import Locator, Path, format_path
from solver.read import Loaded
from solver.render.jsontext import dumps
from solver.report import Report


def explain_code(code: str) -> str | None:
    """A code's registry entry: title, severity, then its documentation's sections."""
    from solver.codes import CODES

    info = CODES.get(code)
    if info is None:
        return None
    lines = [f"{info.code}: {info.title}", "", f"default severity: {info.severity}"]
    if info.input:
        lines.append("the input cannot be used: exit code 2")
    if info.clan:
        lines.append(f"what clan-core does: {info.clan}")
    for title, text in info.sections():
        lines += ["", f"{title}:", f"  {text}"]
    return "\n".join(lines) + "\n"


def _loc(locator: Locator, path: Path) -> str:
    loc = locator.locate(path, "key")
    return f"{format_path(path)} ({loc})" if loc else format_path(path)


def explain_machine(name: str, args: RunArgs) -> tuple[str, bool]:
    from solver import config as config_mod
    from solver.api import Options, run
    from solver.read import load

    cfg = config_mod.find(args.config_file)
    path = args.paths[0] if args.paths else None
    loaded = load(path)
    report = run(
        loaded,
        Options(
            modules=[*cfg.modules, *args.modules],
            rules=[*cfg.rules, *args.rules],
            clan_core=args.clan_core or cfg.clan_core,
            no_nix=args.no_nix,
            clan_path=path or ".",
        ),
    )
    from solver import suppress

    report = suppress.apply(report, loaded.suppressions)  # as check does
    report = config_mod.apply(cfg, report)
    return machine_text(name, loaded, report)


def machine_text(name: str, loaded: Loaded, report: Report) -> tuple[str, bool]:
    """Why machine `name` holds its roles, its settings and its findings, from a run
    already made (`loaded` read, `report` checked); False when there is no such machine.
    The language server's hover shows the same text."""
    from solver.model import validate

    inv, _ = validate(loaded.data, loaded.locator)
    loc = loaded.locator
    machine = report.resolution.machines.get(name)
    if machine is None:
        from solver.render.suggest import did_you_mean

        close = did_you_mean(name, report.resolution.machines)
        hint = f' (did you mean "{close[0]}"?)' if close else ""
        return f"no machine named {json.dumps(name)} in the inventory{hint}\n", False
    out: list[str] = []
    head = f"machine {name}: {machine.machine_class}"
    if machine.defined:
        head += f", defined at {_loc(loc, ('machines', name))}"
    else:
        head += ", NOT defined under machines (named only by roles)"
    out.append(head)
    out.append("tags: " + (", ".join(machine.tags) or "(none)"))
    for t in machine.tags:
        out.append(f"  {t}: " + _tag_source(inv, loc, name, t))
    out.append("")
    if not machine.assignments:
        out.append("holds no role")
    for a in machine.assignments:
        out.append(f"{a.instance} / {a.role}  (module {a.module.name})")
        ipath = _instance_path(a.instance, inv)
        for v in a.via:
            if v.kind == "explicit":
                p = _explicit_path(inv, ipath, a.role, name)
                out.append(f"  because: named explicitly at {_loc(loc, p)}")
            else:
                assert v.tag is not None
                p = _tag_path(inv, ipath, a.role, v.tag)
                out.append(
                    f"  because: tag {v.tag} is listed at {_loc(loc, p)} and the machine "
                    f"carries it ({_tag_source(inv, loc, name, v.tag)})"
                )
        if a.settings:
            text = dumps(a.settings, sort_keys=True, newline=False)
            out.append("  settings: " + text.replace("\n", "\n            "))
            for src in _settings_sources(inv, ipath, a.role, name):
                out.append(f"    from {_loc(loc, src)}")
        out.append("")
    # a finding about several machines (class-mismatch through a tag) lists them in args
    mine = [
        d for d in report.diagnostics if d.machine == name or name in (d.args.get("machines") or ())
    ]
    out.append(f"findings about {name}: {len(mine)}")
    for d in mine:
        where = str(d.location) if d.location else d.path
        out.append(f"  {where}: {d.severity}[{d.code}] {d.message}")
    return "\n".join(out).rstrip("\n") + "\n", True


def _instance_path(display: str, inv: Any) -> Path:
    if display in inv.instances:
        return ("instances", display)
    mod, _, inst = display.partition("/")
    return ("services", mod, inst)


def _role(inv: Any, ipath: Path, role: str) -> Any:
    if ipath[0] == "instances":
        return inv.instances[ipath[1]].roles.get(role)
    return inv.services[ipath[1]][ipath[2]].roles.get(role)


def _explicit_path(inv: Any, ipath: Path, role: str, machine: str) -> Path:
    r = _role(inv, ipath, role)
    if ipath[0] == "services":
        return (*ipath, "roles", role, "machines", r.machines.index(machine))
    return (*ipath, "roles", role, "machines", machine)


def _tag_path(inv: Any, ipath: Path, role: str, tag: str) -> Path:
    r = _role(inv, ipath, role)
    tags = r.tags
    if isinstance(tags, list):
        return (*ipath, "roles", role, "tags", tags.index(tag))
    return (*ipath, "roles", role, "tags", tag)


def _tag_source(inv: Any, loc: Locator, machine: str, tag: str) -> str:
    m = inv.machines.get(machine)
    if m is not None and tag in m.tags:
        return "its own tag at " + _loc(loc, ("machines", machine, "tags", m.tags.index(tag)))
    if tag in inv.tags and machine in inv.tags[tag]:
        return "listed at " + _loc(loc, ("tags", tag, inv.tags[tag].index(machine)))
    if tag == "all":
        return "builtin tag all (every machine)"
    return f"builtin tag {tag} (machineClass {m.machineClass if m else 'nixos'})"


def _settings_sources(inv: Any, ipath: Path, role: str, machine: str) -> list[Path]:
    r = _role(inv, ipath, role)
    out: list[Path] = []
    if r is None:
        return out
    if ipath[0] == "instances":
        if r.settings:
            out.append((*ipath, "roles", role, "settings"))
        mr = r.machines.get(machine)
        if mr is not None and mr.settings:
            out.append((*ipath, "roles", role, "machines", machine, "settings"))
        if isinstance(r.tags, dict):
            for t, tr in r.tags.items():
                if tr.settings:
                    out.append((*ipath, "roles", role, "tags", t, "settings"))
    else:
        li = inv.services[ipath[1]][ipath[2]]
        if li.config:
            out.append((*ipath, "config"))
        if machine in li.machines and li.machines[machine].config:
            out.append((*ipath, "machines", machine, "config"))
        if r.config:
            out.append((*ipath, "roles", role, "config"))
    return out


def explain_module(name: str, args: RunArgs, need_inventory: bool = True) -> str | None:
    """`explain MODULE`: the module's roles and options from the catalogue the clan at
    `args.paths` is checked against; None when no module has that name."""
    from solver.catalogue.show import explain_text
    from solver.commands.catalogue import gather

    view = gather(
        args.paths[0] if args.paths else None,
        True,
        args.clan_core,
        args.modules,
        args.config_file,
        need_inventory=need_inventory,
        no_nix=args.no_nix,
    )
    return explain_text(view, name)


@click.command(name="explain")
@click.argument("subject")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None)
@input_options
def command(subject: str, paths: tuple[str, ...], output: str | None, **kw: object) -> None:
    """Explain SUBJECT: a diagnostic code (e.g. unknown-tag), a machine of the inventory
    at PATH (its roles and why, its settings, its findings), or a module (e.g. sshd, or
    INPUT/NAME): its roles and settings options from the catalogue the clan pins."""
    text = explain_code(subject)
    if text is not None and not paths:
        write_output(text, output)
        raise SystemExit(EXIT_OK)

    def go() -> int:
        run_args = RunArgs(paths=paths, **kw)  # type: ignore[arg-type]
        try:
            body, found = explain_machine(subject, run_args)
        except InputError as exc:
            if text is not None or paths:
                raise
            module = explain_module(subject, run_args, need_inventory=False)
            if module is not None:
                write_output(module, output)
                return EXIT_OK
            from solver.codes import CODES
            from solver.render.suggest import did_you_mean

            close = did_you_mean(subject, CODES)
            hint = f'did you mean the code "{close[0]}"? ' if close else ""
            raise InputError.single(
                "io-error",
                f"{subject!r} is not a diagnostic code nor a module of the catalogue, and "
                "there is no inventory here to look for a machine of that name",
                hint=hint + "pass the inventory: inventory-solver explain MACHINE PATH",
            ) from exc
        if not found and text is not None:
            body = text
            found = True
        if not found:
            module = explain_module(subject, run_args)
            if module is not None:
                body, found = module, True
            else:
                body = body.rstrip("\n") + ", nor a module of its catalogue\n"
        write_output(body, output)
        return EXIT_OK if found else EXIT_UNUSABLE

    guard(go)
