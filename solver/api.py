"""The library entry points: ``check`` and the pipeline behind every command.

read -> model -> facts -> solve -> results; each phase is timed (``--timings``).
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
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
from solver.report import Coverage, Report, Resolution, Summary, construct, empty_resolution

if TYPE_CHECKING:
    from solver.changes import Diff
    from solver.config import Config
    from solver.facts import SideTable
    from solver.findings.context import Context
    from solver.location import Locator, Path
    from solver.model import Inventory
    from solver.policy_source import Source
    from solver.results import Builder
    from solver.settings import Plan
    from solver.solve import Term

    Atoms = dict[str, list[tuple[Term, ...]]]
    from solver.suppress import Selection


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
    no_nix: bool = False  # never run `nix` to locate the pinned clan-core
    clan_path: str | None = None  # the input: its flake.lock names the pinned clan-core
    extra_modules: Sequence[ModuleSpec] = ()
    resolve: bool = True  # build the resolution (members, settings), not only findings
    settings: bool = True  # merge settings into the resolution
    rules: Sequence[str] = ()  # user policy files
    policy_timeout: float = 5.0
    fanout_limit: int = 1_000_000  # memberships above which a `fanout` warning is given
    timings: Timings = field(default_factory=Timings)
    # called with the results' context (atoms, names) and the settings plan (None unless
    # `settings`) instead of building the resolution: the report's resolution is then
    # empty and the caller reads what it needs from the atoms (`diff`: solver.changes.view)
    view: Callable[[Context, Plan | None], None] | None = None


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


@dataclass
class Program:
    """The fact program of one inventory (facts.py's facts, then the settings facts), and
    what reading its answer needs."""

    inv: Inventory
    diags: list[Diagnostic]  # found before solving: reading notes, schema, settings
    catalogue: Catalogue
    side: SideTable
    settings: Plan
    facts: str
    settings_facts: str
    # (pinned, used): the clan pins one clan-core revision and the built-in catalogue of
    # another stands in for it (see solver.catalogue.source.soften_stand_in)
    stand_in: tuple[str, str] | None = None

    @property
    def text(self) -> str:
        return self.facts + self.settings_facts


def prepare(loaded: Loaded, opts: Options, catalogue: Catalogue | None = None) -> Program:
    """Validate `loaded`, choose the catalogue and build the fact program."""
    t = opts.timings
    with t.phase("model"):
        from solver.model import validate

        inv, diags = validate(loaded.data, loaded.locator)
        diags = list(loaded.notes) + diags
        stand_in: tuple[str, str] | None = None
        if catalogue is None:
            from solver.catalogue.source import choose

            chosen = choose(opts.clan_core, opts.clan_path, allow_nix=not opts.no_nix)
            diags += chosen.notes
            if chosen.stands_in_for is not None and chosen.revision is not None:
                stand_in = (chosen.stands_in_for, chosen.revision)
            catalogue = load_catalogue(
                opts.modules, [*loaded.modules, *opts.extra_modules], base=chosen.catalogue
            )
        catalogue = catalogue.with_core_inputs(loaded.clan_core_inputs)
    with t.phase("facts"):
        from solver import facts as facts_mod
        from solver import settings as settings_mod

        facts, side = facts_mod.build(
            inv, catalogue, opaque_membership(loaded), _unread_local(loaded)
        )
        settings_plan = settings_mod.plan(inv, catalogue, side, loaded.locator)
    return Program(inv, diags, catalogue, side, settings_plan, facts, settings_plan.facts, stand_in)


def _run(loaded: Loaded, opts: Options, catalogue: Catalogue | None) -> Report:
    t = opts.timings
    prepared = prepare(loaded, opts, catalogue)
    inv, diags, catalogue, side = prepared.inv, prepared.diags, prepared.catalogue, prepared.side
    settings_plan = prepared.settings
    program = prepared.text
    settings_diags = settings_plan.diagnostics
    with t.phase("facts"):
        sources: list[Source] = []
        if opts.rules:
            from solver import policy

            # read once here; parsed, checked and run in a child process (policy.solve)
            sources = policy.read(opts.rules)
    make_builder = builder_factory(inv, side, loaded.locator, catalogue, settings_plan)
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
        diags += policy_diags
        if prepared.stand_in is not None:
            from solver.catalogue.source import soften_stand_in

            diags = soften_stand_in(diags, inv, catalogue.core_inputs, *prepared.stand_in)
        if opts.view is not None:
            opts.view(builder, settings_plan if opts.settings else None)
            resolution = None
        else:
            resolution = builder.resolution() if opts.resolve else None
            if resolution is not None and opts.settings:
                settings_plan.fill(resolution)
    from solver.coverage import coverage_of

    return make_report(
        resolution or empty_resolution(), diags, loaded.files, coverage=coverage_of(loaded)
    )


def opaque_membership(loaded: Loaded) -> list[Path]:
    """The inventory paths whose value decides role membership but was not evaluated
    (``opaque-value`` notes of the reader): facts.py marks them."""
    return [
        tuple(d.args["inventory_path"])
        for d in loaded.notes
        if d.code == "opaque-value" and d.args.get("membership")
    ]


def builder_factory(
    inv: Inventory, side: SideTable, locator: Locator, catalogue: Catalogue, plan: Plan
) -> Callable[[Atoms], Builder]:
    """The results builder of one run, waiting only for the solver's atoms."""
    from solver.results import Builder

    return partial(
        Builder,
        inv,
        side,
        locator,
        catalogue_names={
            "service": catalogue.names("service"),
            "legacy": catalogue.names("legacy"),
        },
        module_inputs=catalogue.inputs("service"),
        settings=plan,
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
        suppressed=0,
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
        Report,
        resolution=resolution,
        diagnostics=ds,
        summary=summary,
        coverage=coverage,
        suppressed=[],
    )


@dataclass
class CheckOptions:
    """Everything a check needs besides its input: the one options object behind both
    ``inventory-solver check`` (built from the command line by :mod:`solver.runner`) and
    :func:`check` (built from its keyword arguments).

    ``config``: ``True`` finds ``inventory-solver.toml`` (or ``[tool.inventory-solver]``
    in ``pyproject.toml``) from ``config_start`` upward; ``None`` or ``False`` uses no
    config; a string names the file. Everything else adds to (``modules``, ``rules``,
    ``severity``, ``ignore``) or overrides (``strict``, ``policy_timeout``) the config."""

    config: str | bool | None = True
    config_start: str = "."
    use_eval: bool = False
    strict: bool | None = None
    modules: Sequence[str] = ()
    rules: Sequence[str] = ()
    policy_timeout: float | None = None
    severity: Mapping[str, str] | None = None
    ignore: Sequence[Mapping[str, str]] | None = None
    resolve: bool = True
    settings: bool | None = None  # merge settings into the resolution (default: = resolve)
    clan_core: str | None = None  # a clan-core checkout to read the catalogue from
    select: Sequence[str] | None = None  # --select: only these codes (fnmatch patterns)
    ignore_codes: Sequence[str] = ()  # --ignore: not these codes (fnmatch patterns)
    no_nix: bool = False  # never run `nix` to locate the pinned clan-core
    view: Callable[[Context, Plan | None], None] | None = None  # see Options.view


@dataclass
class Checked:
    """What :func:`check_with` produced: the report, what was read, and the config used."""

    report: Report
    loaded: Loaded
    config: Config
    strict: bool


def find_config(opts: CheckOptions) -> Config:
    """The project config `opts` asks for, with its `severity` and `ignore` overrides."""
    from solver import config as config_mod

    if opts.config is True:
        cfg = config_mod.find(None, start=opts.config_start)
    elif isinstance(opts.config, str):
        cfg = config_mod.find(opts.config)
    else:
        cfg = config_mod.Config.model_construct()
    if opts.severity or opts.ignore:
        from pydantic import ValidationError

        try:
            extra = config_mod.Config.model_validate(
                {
                    "severity": dict(opts.severity or {}),
                    "ignore": [dict(i) for i in opts.ignore or ()],
                }
            )
        except ValidationError as exc:
            from solver.location import format_path

            why = "; ".join(
                f"{format_path(tuple(e['loc']))}: {e['msg']}"
                for e in exc.errors(include_url=False, include_input=False)
            )
            raise ValueError(f"solver.check: {why}") from None
        cfg = cfg.model_copy(
            update={
                "severity": {**cfg.severity, **extra.severity},
                "ignore": [*cfg.ignore, *extra.ignore],
            }
        )
    return cfg


def check_with(
    source: str | dict[str, Any] | None,
    opts: CheckOptions,
    timings: Timings | None = None,
) -> Checked:
    """Config, read, pipeline, config applied: one check, as the CLI and :func:`check`
    run it. `source` is a path (``None``: the clan found from the current directory) or
    the inventory data itself."""
    from solver import config as config_mod

    timings = timings or Timings()
    cfg, options, loaded = _configured(source, opts, timings)
    selection, policy_codes = _selection(opts, options.rules)
    with collector_paused():
        report = run(loaded, options)
    with timings.phase("config"):
        from solver import suppress

        report = suppress.select(report, selection)
        if loaded.suppressions and options.rules and not policy_codes:
            policy_codes = suppress.policy_codes(options.rules)
        report = suppress.apply(report, loaded.suppressions, selection, policy_codes)
        report = config_mod.apply(cfg, report)
        report = suppress.select(report, selection)
    strict = cfg.strict if opts.strict is None else opts.strict
    return Checked(report=report, loaded=loaded, config=cfg, strict=strict)


def _configured(
    source: str | dict[str, Any] | None, opts: CheckOptions, timings: Timings
) -> tuple[Config, Options, Loaded]:
    """The project config, the run's options and the input read, as `check_with` uses them."""
    with timings.phase("config"):
        cfg = find_config(opts)
    options = Options(
        modules=[*cfg.modules, *opts.modules],
        rules=[*cfg.rules, *opts.rules],
        resolve=opts.resolve,
        settings=opts.resolve if opts.settings is None else opts.settings,
        policy_timeout=opts.policy_timeout or cfg.policy_timeout,
        timings=timings,
        clan_core=opts.clan_core or cfg.clan_core,
        no_nix=opts.no_nix,
        clan_path=None if isinstance(source, dict) else (source or "."),
        view=opts.view,
    )
    with collector_paused():
        if isinstance(source, dict):
            loaded = _load(source, timings)
        else:
            with timings.phase("read"):
                if opts.use_eval:
                    from solver.read.nix_eval import load_eval
                    from solver.root import default_target

                    loaded = load_eval(source or default_target())
                else:
                    from solver.read import load

                    loaded = load(source)
    return cfg, options, loaded


def debug_program(source: str | None, opts: CheckOptions) -> str:
    """The program `check` would solve for `source` (facts, then the rules files), with
    section titles: ``check --debug-program``, for people debugging rules."""
    from solver.solve import listing

    _, options, loaded = _configured(source, opts, Timings())
    with collector_paused():
        prog = prepare(loaded, options)
    parts = [("solver/facts.py", prog.facts), ("solver/settings.py", prog.settings_facts)]
    return listing(parts, prog.side.names.names)


def _selection(opts: CheckOptions, rules: Sequence[str]) -> tuple[Selection, set[str]]:
    """``--select``/``--ignore`` as a :class:`solver.suppress.Selection`, checked against
    the known codes, and the codes the user policies name (an unknown code:
    :class:`~solver.errors.InputError`, ``unknown-code``)."""
    from solver import suppress

    selection = suppress.Selection(
        None if opts.select is None else tuple(opts.select), tuple(opts.ignore_codes)
    )
    names = [*(selection.select or ()), *selection.ignore]
    policy_codes: set[str] = set()
    if names:
        from solver.errors import InputError

        if rules and not set(names) <= suppress.known_codes():
            policy_codes = suppress.policy_codes(rules)
        known = suppress.known_codes(policy_codes)
        for option, given in (("--select", selection.select or ()), ("--ignore", selection.ignore)):
            problem = suppress.check_patterns(option, given, known)
            if problem is not None:
                raise InputError.single(
                    "unknown-code",
                    problem,
                    hint="name codes as `inventory-solver explain CODE` lists them "
                    "(comma-separated; fnmatch patterns such as `unknown-*` are accepted)",
                )
    return selection, policy_codes


class IncompleteRead(Exception):
    """Raised by ``check(..., strict=True)`` (or with ``strict = true`` in the config) when the
    inventory was not read completely in a way that affects findings. ``.report`` is the
    report anyway; ``.gaps`` lists what was not read (as ``Coverage.gaps()``)."""

    def __init__(self, report: Report, gaps: list[str]) -> None:
        self.report = report
        self.gaps = gaps
        super().__init__("the inventory was not read completely: " + "; ".join(gaps))


_PathArg = str | os.PathLike[str]


def _type_error(name: str, want: str, value: object) -> TypeError:
    return TypeError(f"solver.check: `{name}` must be {want}, not {type(value).__name__}")


def _path_arg(name: str, value: object) -> str:
    if isinstance(value, str | os.PathLike) and not isinstance(value, bytes):
        text = os.fspath(value)
        if isinstance(text, str):
            return text
    raise _type_error(name, "a path (str or os.PathLike)", value)


def _paths_arg(name: str, value: object) -> list[str]:
    if isinstance(value, str | os.PathLike) or not isinstance(value, list | tuple):
        raise _type_error(name, "a list or tuple of paths", value)
    return [_path_arg(f"{name}[{n}]", v) for n, v in enumerate(value)]


def _options(
    source: object,
    *,
    config: object,
    eval: object,
    strict: object,
    modules: object,
    rules: object,
    policy_timeout: object,
    severity: object,
    ignore: object,
    resolve: object,
    clan_core: object = None,
) -> tuple[str | dict[str, Any] | None, CheckOptions]:
    """The keyword arguments of :func:`check` and :func:`resolve`, checked for type."""
    src: str | dict[str, Any] | None
    if source is None or isinstance(source, dict):
        src = source
    elif isinstance(source, str | os.PathLike):
        src = _path_arg("path", source)
    else:
        raise _type_error("path", "a path (str or os.PathLike), a dict or None", source)
    cfg: str | bool | None
    if config is None or isinstance(config, bool):
        cfg = config
    elif isinstance(config, str | os.PathLike):
        cfg = _path_arg("config", config)
    else:
        raise _type_error("config", "True, None or a path", config)
    for name, flag in (("eval", eval), ("resolve", resolve)):
        if not isinstance(flag, bool):
            raise _type_error(name, "a bool", flag)
    if strict is not None and not isinstance(strict, bool):
        raise _type_error("strict", "a bool or None", strict)
    if policy_timeout is not None:
        if isinstance(policy_timeout, bool) or not isinstance(policy_timeout, int | float):
            raise _type_error("policy_timeout", "a number of seconds or None", policy_timeout)
        from solver.policy_source import timeout_problem

        problem = timeout_problem(policy_timeout)
        if problem is not None:
            raise ValueError(f"solver.check: `policy_timeout`: {problem}")
    if severity is not None and not (
        isinstance(severity, Mapping)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in severity.items())
    ):
        raise _type_error("severity", "a dict of code to severity (str to str) or None", severity)
    if ignore is not None and not (
        isinstance(ignore, list | tuple) and all(isinstance(i, Mapping) for i in ignore)
    ):
        raise _type_error("ignore", "a list of dicts (code, reason, scopes) or None", ignore)
    if isinstance(src, str):
        folder = src if os.path.isdir(src) else os.path.dirname(src) or "."
    else:
        folder = "."
    opts = CheckOptions(
        config=cfg,
        config_start=folder,
        use_eval=bool(eval),
        strict=strict,
        modules=_paths_arg("modules", modules),
        rules=_paths_arg("rules", rules),
        policy_timeout=float(policy_timeout) if policy_timeout is not None else None,
        severity=dict(severity) if severity is not None else None,
        ignore=[dict(i) for i in ignore] if ignore is not None else None,
        resolve=bool(resolve),
        clan_core=None if clan_core is None else _path_arg("clan_core", clan_core),
    )
    return src, opts


def check(
    path: _PathArg | dict[str, Any] | None = None,
    *,
    config: _PathArg | bool | None = True,
    eval: bool = False,
    strict: bool | None = None,
    modules: Sequence[_PathArg] = (),
    rules: Sequence[_PathArg] = (),
    policy_timeout: float | None = None,
    severity: Mapping[str, str] | None = None,
    ignore: Sequence[Mapping[str, str]] | None = None,
    resolve: bool = True,
    clan_core: _PathArg | None = None,
    select: Sequence[str] | None = None,
) -> Report:
    """Check an inventory (a JSON file, a ``.nix`` file, a clan directory, or the data
    itself as a dict; ``None``: the clan found from the current directory upward) and
    return the same :class:`~solver.report.Report` as ``inventory-solver check PATH
    --format json`` gives.

    * ``config``: ``True`` (default) finds ``inventory-solver.toml`` or
      ``[tool.inventory-solver]`` in ``pyproject.toml`` from the path's folder upward (the
      current directory for a dict or ``None``); ``None`` or ``False`` uses none; a path
      selects the file.
    * ``eval``: ask Nix (``nix eval --json``) for the inventory (``--eval``).
    * ``strict``: raise :class:`IncompleteRead` when the inventory was not read
      completely in a way that affects findings (``--strict``; default: the config's).
    * ``modules``, ``rules``: extra catalogue files and user policies (``--modules``,
      ``--rules``), added to the config's.
    * ``policy_timeout``: seconds a run with user policies may take (``--policy-timeout``).
    * ``severity``, ``ignore``: per-code severity overrides and ignores, in the config's
      shape (``{"empty-role": "info"}``, ``[{"code": ..., "reason": ...}]``), added to it.
    * ``resolve``: ``False`` skips building the resolution (faster; findings only).
    * ``clan_core``: a clan-core checkout to read the module catalogue from
      (``--clan-core``; default: the config's, else the one the clan's ``flake.lock``
      pins when its source is in the Nix store, else the built-in catalogue).
    * ``select``: report only these codes (``--select``; fnmatch patterns accepted; an
      unknown code raises :class:`~solver.errors.InputError`). The others are counted in
      ``summary.ignored``; to leave codes out, use ``severity={"code": "off"}``.

    Raises :class:`~solver.errors.InputError` when the input (or the config) cannot be
    used, and ``TypeError`` at the call for an argument of the wrong type.
    """
    src, opts = _options(
        path,
        config=config,
        eval=eval,
        strict=strict,
        modules=modules,
        rules=rules,
        policy_timeout=policy_timeout,
        severity=severity,
        ignore=ignore,
        resolve=resolve,
        clan_core=clan_core,
    )
    if select is not None:
        if isinstance(select, str) or not (
            isinstance(select, list | tuple) and all(isinstance(c, str) for c in select)
        ):
            raise _type_error("select", "a list of codes (str) or None", select)
        opts.select = list(select)
    done = check_with(src, opts)
    if done.strict:
        gaps = done.report.coverage.gaps()
        if gaps:
            raise IncompleteRead(done.report, gaps)
    return done.report


def resolve(
    path: _PathArg | dict[str, Any] | None = None,
    *,
    config: _PathArg | bool | None = True,
    eval: bool = False,
    modules: Sequence[_PathArg] = (),
    rules: Sequence[_PathArg] = (),
    policy_timeout: float | None = None,
    clan_core: _PathArg | None = None,
) -> Resolution:
    """Who holds which role, with merged settings: the
    :class:`~solver.report.Resolution` that ``inventory-solver resolve PATH`` renders.
    The arguments are those of :func:`check`."""
    src, opts = _options(
        path,
        config=config,
        eval=eval,
        strict=None,
        modules=modules,
        rules=rules,
        policy_timeout=policy_timeout,
        severity=None,
        ignore=None,
        resolve=True,
        clan_core=clan_core,
    )
    return check_with(src, opts).report.resolution


def diff(
    base: Report | _PathArg | dict[str, Any],
    target: Report | _PathArg | dict[str, Any],
    *,
    config: _PathArg | bool | None = True,
    modules: Sequence[_PathArg] = (),
    rules: Sequence[_PathArg] = (),
    clan_core: _PathArg | None = None,
) -> Diff:
    """What changes from `base` to `target`: memberships, machines, instances, tags and
    merged settings added, removed or changed, and findings new or fixed — the
    :class:`~solver.changes.Diff` that ``inventory-solver diff`` renders.

    Each side is a :class:`~solver.report.Report` (from :func:`check`) or anything
    :func:`check` accepts (checked with the other keyword arguments, which are those of
    :func:`check`). Comparing two git revisions is the command's job
    (``inventory-solver diff BASE TARGET``): check each revision's clan, then pass the
    two reports here."""
    from solver.changes import compare

    sides: list[Report] = []
    for side in (base, target):
        if isinstance(side, Report):
            sides.append(side)
        else:
            sides.append(
                check(side, config=config, modules=modules, rules=rules, clan_core=clan_core)
            )
    return compare(sides[0], sides[1])
