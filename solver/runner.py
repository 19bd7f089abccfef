"""One run of the CLI: project config, input, pipeline, config applied to the findings."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from solver.api import Options, Timings, collector_paused, make_report, run

if TYPE_CHECKING:
    from typing import TextIO

    from solver.commands.common import RunArgs
    from solver.report import Report


def execute(args: RunArgs) -> Report:
    """Read, check and post-process the inventory named by `args` (the first path)."""
    from solver import config as config_mod

    timings = Timings()
    if sys.stderr.isatty():
        timings.progress = _progress
    with timings.phase("config"):
        cfg = config_mod.find(args.config_file)
    if args.strict is None:
        args.strict = cfg.strict
    modules = [*cfg.modules, *args.modules]
    rules = [*cfg.rules, *args.rules]
    timeout = args.policy_timeout or cfg.policy_timeout
    path = args.paths[0] if args.paths else None
    opts = Options(
        modules=modules,
        clan_core=args.clan_core or cfg.clan_core,
        clan_path=path or ".",
        rules=rules,
        resolve=args.resolve,
        settings=args.resolve if args.settings is None else args.settings,
        policy_timeout=timeout,
        timings=timings,
    )
    with collector_paused(), timings.phase("read"):
        if args.use_eval:
            from solver.read.nix_eval import load_eval
            from solver.root import default_target

            loaded = load_eval(path or default_target())
        else:
            from solver.read import load

            loaded = load(path)
    from solver import cache
    from solver.files import find_root

    cache.note_reads(find_root(path or "."), loaded.reads)
    report = run(loaded, opts)
    with timings.phase("config"):
        report = config_mod.apply(cfg, report)
    if timings.shown:  # clear the progress line
        print("\r\x1b[K", end="", file=_terminal(), flush=True)
    if args.timings:
        total = sum(timings.phases.values())
        parts = ", ".join(f"{k} {v * 1000:.1f} ms" for k, v in timings.phases.items())
        print(f"timings: {parts}; total {total * 1000:.1f} ms", file=sys.stderr)
    return report


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
    return new


__all__ = ["execute", "os", "rebuild"]
