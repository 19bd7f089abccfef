"""``inventory-solver fix [PATH]``: the smallest repair of the errors, as a unified diff
over the user's files; ``--apply`` writes it.

Exit codes: without ``--apply``, 0 when there is nothing to change, 1 when a diff is shown
(as ``ruff format --check``: something would change); with ``--apply``, 0 when the files
were written and every selected error was fixed, 1 when some error is left (no edit fixes
it, or its edit could not be written: the reason is printed); 2 for unusable input, and
when nothing was written because a file changed since it was read, is a link, or the
edits overlap."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from solver.commands.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_UNUSABLE,
    catalogue_options,
    guard,
    one_path,
)

if TYPE_CHECKING:
    from solver.fix.actions import Repair
    from solver.fix.edits import EditPlan


def _codes(
    _ctx: click.Context, _param: click.Parameter, value: str | None
) -> frozenset[str] | None:
    """--select: a comma-separated list of known codes."""
    if value is None:
        return None
    from solver.codes import CODES

    codes = frozenset(c.strip() for c in value.split(",") if c.strip())
    unknown = sorted(c for c in codes if c not in CODES)
    if unknown:
        raise click.BadParameter(
            f"unknown code {', '.join(unknown)} (`inventory-solver explain CODE' lists them)"
        )
    if not codes:
        raise click.BadParameter("no code given")
    return codes


@click.command(name="fix")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--apply", "do_apply", is_flag=True, help="Write the fix into the files.")
@click.option(
    "--select",
    default=None,
    callback=_codes,
    help="Fix only findings with these codes (comma-separated).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["diff", "json"]),
    default="diff",
    show_default=True,
    help="diff: a unified diff; json: the edits as data (for editors).",
)
@catalogue_options
def command(
    paths: tuple[str, ...],
    do_apply: bool,
    select: frozenset[str] | None,
    fmt: str,
    modules: tuple[str, ...],
    clan_core: str | None,
    no_nix: bool,
    config_file: str | None,
) -> None:
    """Show the smallest set of edits that removes the errors of the inventory at PATH
    (default: the clan in the current directory) as a diff; --apply writes it."""
    one_path(paths, "fix")
    path = paths[0] if paths else None

    def go() -> int:
        return run_fix(path, do_apply, select, fmt, modules, clan_core, config_file, no_nix)

    guard(go)


def run_fix(
    path: str | None,
    do_apply: bool,
    select: frozenset[str] | None,
    fmt: str,
    modules: tuple[str, ...] = (),
    clan_core: str | None = None,
    config_file: str | None = None,
    no_nix: bool = False,
) -> int:
    from solver.api import CheckOptions, Options, find_config
    from solver.errors import InputError
    from solver.files import find_root
    from solver.fix.diff import repo_relative, unified_diff
    from solver.fix.edits import EditConflict, plan_edits
    from solver.fix.write import NotWritten, write_files
    from solver.read import _is_stream, load

    if path is not None and (path == "-" or _is_stream(path)):
        raise InputError.single("io-error", "fix needs a file or a clan directory, not a pipe")
    cfg = find_config(CheckOptions(config=config_file or True, config_start="."))
    opts = Options(
        modules=[*cfg.modules, *modules],
        rules=list(cfg.rules),
        clan_core=clan_core or cfg.clan_core,
        no_nix=no_nix,
        clan_path=path or ".",
    )
    loaded = load(path)
    from solver.fix.repair import compute_repair

    repair = compute_repair(loaded, opts, select)
    try:
        plan = plan_edits(repair, loaded)
    except EditConflict as exc:
        click.echo(f"inventory-solver: fix refused: {exc}", err=True)
        return EXIT_UNUSABLE
    root = find_root(path or ".")
    names = {f: repo_relative(f, root) for f in plan.texts}
    new = plan.edited()
    if fmt == "json":
        click.echo(json.dumps(_as_data(plan, repair, names), indent=2, ensure_ascii=False))
    else:
        diff = unified_diff(plan.texts, new, names, plan.edits)
        if diff:
            click.echo(diff, nl=False)
    for line in _notes(plan, repair):
        click.echo(line, err=True)
    if not do_apply:
        return EXIT_FINDINGS if new else EXIT_OK
    if new:
        try:
            written = write_files(plan.texts, new, root)
        except NotWritten as exc:
            click.echo(f"inventory-solver: {exc}", err=True)
            if exc.written:
                click.echo("written before that: " + ", ".join(exc.written), err=True)
            return EXIT_UNUSABLE
        click.echo(
            f"inventory-solver: applied {len(plan.applied)} "
            f"{'edit' if len(plan.applied) == 1 else 'edits'} to "
            + ", ".join(names[f] for f in written),
            err=True,
        )
    left = plan.not_applied or repair.unfixed
    return EXIT_FINDINGS if left else EXIT_OK


def _notes(plan: EditPlan, repair: Repair) -> list[str]:
    out = [f"inventory-solver: {n.message()}" for n in plan.not_applied]
    out += [f"inventory-solver: no edit fixes {u}" for u in sorted(repair.unfixed)]
    chosen = {a.sort_key(): a for a in repair.actions}
    for n, alt in enumerate(repair.alternatives, 1):
        mine = {a.sort_key(): a for a in alt}
        instead = [chosen[k] for k in sorted(chosen.keys() - mine.keys())]
        other = [mine[k] for k in sorted(mine.keys() - chosen.keys())]
        if other or instead:
            out.append(
                f"inventory-solver: alternative {n} of the same cost: "
                + (", ".join(a.describe() for a in other) or "nothing")
                + " instead of "
                + (", ".join(a.describe() for a in instead) or "nothing")
            )
    if not plan.edits and not out:
        out.append("inventory-solver: nothing to fix")
    return out


def _as_data(plan: EditPlan, repair: Repair, names: dict[str, str]) -> dict[str, Any]:
    from solver.fix.edits import position

    edits = []
    for e in plan.edits:
        text = plan.texts[e.file]
        sl, sc = position(text, e.start)
        el, ec = position(text, e.end)
        edits.append(
            {
                "file": names.get(e.file, e.file),
                "range": {
                    "start": {"line": sl, "column": sc, "offset": e.start},
                    "end": {"line": el, "column": ec, "offset": e.end},
                },
                "replacement": e.replacement,
                "action": e.action.describe(),
                "kind": e.action.kind,
                "path": list(e.action.path),
                "fixes": list(e.action.fixes),
            }
        )
    return {
        "edits": edits,
        "not_applied": [
            {"action": n.action.describe(), "path": list(n.action.path), "reason": n.reason}
            for n in plan.not_applied
        ],
        # a finding whose edit was not written is not fixed
        "fixed": sorted(set(repair.fixed) - {f for n in plan.not_applied for f in n.action.fixes}),
        "unfixed": sorted(repair.unfixed),
        "cost": repair.cost,
    }
