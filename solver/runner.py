"""One run of the CLI: project config, input, pipeline, config applied to the findings."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from solver.api import Timings, make_report

if TYPE_CHECKING:
    from typing import TextIO

    from solver.commands.common import RunArgs
    from solver.report import Report


def execute(args: RunArgs) -> Report:
    """Read, check and post-process the inventory named by `args` (the first path): the
    command line's options as a :class:`~solver.api.CheckOptions`, run by
    :func:`~solver.api.check_with` as the library runs them. Sets ``args.strict`` to the
    strictness in force (the config's when ``--strict`` was not given)."""
    from solver.api import CheckOptions, check_with

    timings = Timings()
    if sys.stderr.isatty():
        timings.progress = _progress
    opts = CheckOptions(
        config=args.config_file or True,
        config_start=".",  # the command line looks from where it runs
        use_eval=args.use_eval,
        strict=args.strict,
        modules=args.modules,
        rules=args.rules,
        policy_timeout=args.policy_timeout,
        resolve=args.resolve,
        settings=args.settings,
        clan_core=args.clan_core,
        select=args.select,
        ignore_codes=args.ignore_codes,
        no_nix=args.no_nix,
        view=args.view,
    )
    path = args.paths[0] if args.paths else None
    done = check_with(path, opts, timings)
    args.strict = done.strict
    if any(d.code == "unknown-tag" for d in done.report.diagnostics):
        args.tags = carried_tags(done.loaded.data)
    from solver import cache
    from solver.files import find_root

    cache.note_reads(find_root(path or "."), done.loaded.reads)
    report = done.report
    if timings.shown:  # clear the progress line
        print("\r\x1b[K", end="", file=_terminal(), flush=True)
    if args.timings:
        total = sum(timings.phases.values())
        parts = ", ".join(f"{k} {v * 1000:.1f} ms" for k, v in timings.phases.items())
        print(f"timings: {parts}; total {total * 1000:.1f} ms", file=sys.stderr)
    return report


def carried_tags(data: object) -> list[str]:
    """The tags some machine of the inventory data carries: its own `tags`, the top-level
    `tags.<name>` lists, and the builtin `all` and class tags (`nixos`, `darwin`); for
    ``--verbose``, which lists every tag the `unknown-tag` hints leave out."""
    out: set[str] = set()
    if not isinstance(data, dict):
        return []
    machines = data.get("machines")
    if isinstance(machines, dict) and machines:
        out.add("all")
        for m in machines.values():
            if not isinstance(m, dict):
                continue
            cls = m.get("machineClass", "nixos")
            out.add(cls if cls in ("nixos", "darwin") else "nixos")
            tags = m.get("tags")
            if isinstance(tags, list):
                out.update(t for t in tags if isinstance(t, str))
    top = data.get("tags")
    if isinstance(top, dict):
        out.update(k for k, v in top.items() if isinstance(v, list) and v)
    return sorted(out)


def _progress(phase: str) -> None:
    """On a terminal only: which phase a long run (a very large fleet) is in."""
    print(f"\r\x1b[Kinventory-solver: {phase} …", end="", file=_terminal(), flush=True)


def _terminal() -> TextIO:
    """stderr, but not the result cache's recording of it: progress is not replayed."""
    stream: TextIO = getattr(sys.stderr, "unrecorded", sys.stderr)
    return stream


def rebuild(report: Report) -> Report:
    """The report with its summary recomputed (after ignores or overrides)."""
    new = make_report(
        report.resolution, report.diagnostics, report.summary.files, coverage=report.coverage
    )
    new.summary.ignored = report.summary.ignored
    new.summary.suppressed = report.summary.suppressed
    new.suppressed = list(report.suppressed)
    return new


__all__ = ["execute", "os", "rebuild"]
