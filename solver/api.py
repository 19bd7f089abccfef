"""The library entry points: ``check`` and the pipeline behind every command.

read -> model -> facts -> solve -> results; each phase is timed (``--timings``).
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from solver.catalogue import Catalogue
from solver.catalogue import load as load_catalogue
from solver.catalogue.model import ModuleSpec
from solver.diagnostics import Diagnostic, sort_diagnostics
from solver.location import NullLocator
from solver.read import Loaded
from solver.report import Coverage, Report, Summary, construct, empty_resolution

if TYPE_CHECKING:
    from solver.policy_source import Source


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for one run, back as it was afterwards.

    A large fleet allocates millions of objects that live until the run ends (parsed JSON,
    facts, atoms read back, the resolution) and form almost no cycles; each automatic
    collection rescans all of them. At 100,000 machines that was about a quarter of
    `check` (benchmarks/README.md); peak memory is unchanged.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


@dataclass
class Timings:
    """Time per phase. With `progress` set (a terminal on stderr), a run that takes more
    than a second says which phase it is in."""

    phases: dict[str, float] = field(default_factory=dict)
    progress: Callable[[str], None] | None = None
    started: float = field(default_factory=time.perf_counter)
    shown: bool = False

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        if self.progress is not None and start - self.started > 1.0:
            self.progress(name)
            self.shown = True
        try:
            yield
        finally:
            self.phases[name] = self.phases.get(name, 0.0) + time.perf_counter() - start


@dataclass
class Options:
    """What a run should do, beyond the input itself."""

    modules: Sequence[str] = ()  # user catalogue files
    clan_core: str | None = None  # a clan-core checkout to read the catalogue from
    clan_path: str | None = None  # the input: its flake.lock names the pinned clan-core
    extra_modules: Sequence[ModuleSpec] = ()
    resolve: bool = True  # build the resolution (members, settings), not only findings
    settings: bool = True  # merge settings into the resolution
    rules: Sequence[str] = ()  # user policy files
    policy_timeout: float = 5.0
    fanout_limit: int = 1_000_000  # memberships above which a `fanout` warning is given
    timings: Timings = field(default_factory=Timings)


def _load(source: str | os.PathLike[str] | dict[str, Any] | None, timings: Timings) -> Loaded:
    with timings.phase("read"):
        if isinstance(source, dict):
            return Loaded(data=source, locator=NullLocator(), files=["<data>"])
        from solver.read import load

        return load(None if source is None else os.fspath(source))


def run(loaded: Loaded, opts: Options, catalogue: Catalogue | None = None) -> Report:
    """Check already-read inventory data."""
    with collector_paused():
        return _run(loaded, opts, catalogue)


def _run(loaded: Loaded, opts: Options, catalogue: Catalogue | None) -> Report:
    t = opts.timings
    with t.phase("model"):
        from solver.model import validate

        inv, diags = validate(loaded.data, loaded.locator)
        diags = list(loaded.notes) + diags
        if catalogue is None:
            from solver.catalogue.source import choose

            chosen = choose(opts.clan_core, opts.clan_path)
            diags += chosen.notes
            catalogue = load_catalogue(
                opts.modules, [*loaded.modules, *opts.extra_modules], base=chosen.catalogue
            )
        catalogue = catalogue.with_core_inputs(loaded.clan_core_inputs)
    with t.phase("facts"):
        from solver import facts as facts_mod

        opaque = [
            tuple(d.args["inventory_path"])
            for d in loaded.notes
            if d.code == "opaque-value" and d.args.get("membership")
        ]
        program, side = facts_mod.build(inv, catalogue, opaque, _unread_local(loaded))
        settings_diags: list[Diagnostic] = []
        from solver import settings as settings_mod

        settings_plan = settings_mod.plan(inv, catalogue, side, loaded.locator)
        program += settings_plan.facts
        settings_diags = settings_plan.diagnostics
        sources: list[Source] = []
        if opts.rules:
            from solver import policy

            # read once here; parsed, checked and run in a child process (policy.solve)
            sources = policy.read(opts.rules)
    from solver.results import Builder

    make_builder = partial(
        Builder,
        inv,
        side,
        loaded.locator,
        catalogue_names={
            "service": catalogue.names("service"),
            "legacy": catalogue.names("legacy"),
        },
        module_inputs=catalogue.inputs("service"),
    )
    policy_diags: list[Diagnostic] = []
    with t.phase("solve"):
        if sources:
            from solver import policy

            # In a child process, killed after policy_timeout seconds.
            result, policy_diags = policy.solve(
                program,
                sources,
                side,
                make_builder,
                resolve=opts.resolve,
                timeout=opts.policy_timeout,
            )
        else:
            from solver.solve import solve

            result = solve(
                program,
                resolve=opts.resolve,
                consts=[("fanout_limit", str(int(opts.fanout_limit)))],
            )
    with t.phase("results"):
        builder = make_builder(result.atoms)
        diags += builder.diagnostics()
        diags += settings_diags
        diags += settings_plan.conflicts(result.atoms)
        diags += policy_diags
        resolution = builder.resolution() if opts.resolve else None
        if resolution is not None and opts.settings:
            settings_plan.fill(resolution)
    from solver.coverage import coverage_of

    return make_report(
        resolution or empty_resolution(), diags, loaded.files, coverage=coverage_of(loaded)
    )


def _unread_local(loaded: Loaded) -> frozenset[str] | bool:
    """The clan's own modules that could not be read (see :func:`solver.facts.build`)."""
    names: set[str] = set()
    for d in loaded.notes:
        if d.code != "opaque-value":
            continue
        path = d.args.get("inventory_path")
        if isinstance(path, list) and path:
            if path == ["modules"]:
                return True
            if len(path) == 2 and path[0] == "modules" and isinstance(path[1], str):
                names.add(path[1])
        elif d.path == "modules":
            return True
        elif d.path.startswith("modules."):
            rest = d.path[len("modules.") :]
            if rest.startswith('"'):
                import json

                try:
                    rest = json.loads(rest)
                except ValueError:
                    continue
            names.add(rest)
    return frozenset(names)


def make_report(
    resolution: Any,
    diags: Iterable[Diagnostic],
    files: list[str],
    coverage: Coverage | None = None,
) -> Report:
    ds = sort_diagnostics(list(diags))
    # Built without validation, like the resolution (solver.report.construct): every
    # value is already typed, and validating would build the schemas of the whole report
    # (~4 ms of every pre-commit run).
    summary = construct(
        Summary,
        errors=sum(d.severity == "error" for d in ds),
        warnings=sum(d.severity == "warning" for d in ds),
        infos=sum(d.severity == "info" for d in ds),
        ignored=0,
        files=list(files),
    )
    if coverage is None:
        coverage = construct(
            Coverage,
            files=list(files),
            skipped=[],
            opaque_values=0,
            opaque_membership=0,
            clan_read=True,
            opaque=[],
        )
    return construct(
        Report, resolution=resolution, diagnostics=ds, summary=summary, coverage=coverage
    )


def check(
    source: str | os.PathLike[str] | dict[str, Any] | None = None,
    *,
    modules: Sequence[str | os.PathLike[str]] = (),
    rules: Sequence[str | os.PathLike[str]] = (),
    resolve: bool = True,
    clan_core: str | os.PathLike[str] | None = None,
) -> Report:
    """Check an inventory (a file, a clan directory, or the data itself).

    Returns a :class:`~solver.report.Report` with every finding and, unless
    ``resolve=False``, the resolution (``report.resolution.machines["jon"]``).
    ``clan_core`` is a clan-core checkout to read the module catalogue from (default: the
    one the clan's flake.lock pins, when its source is in the Nix store). Raises
    :class:`~solver.errors.InputError` when the input cannot be used.
    """
    opts = Options(
        modules=[os.fspath(m) for m in modules],
        rules=[os.fspath(r) for r in rules],
        resolve=resolve,
        settings=resolve,
        clan_core=None if clan_core is None else os.fspath(clan_core),
        clan_path=None if isinstance(source, dict) else os.fspath(source or "."),
    )
    with collector_paused():
        return run(_load(source, opts.timings), opts)
