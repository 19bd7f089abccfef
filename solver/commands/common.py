"""What the subcommands share: input options, running the pipeline, exit codes, output."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import click

from solver.errors import InputError, InternalError

F = TypeVar("F", bound=Callable[..., Any])

EXIT_OK, EXIT_FINDINGS, EXIT_UNUSABLE = 0, 1, 2


def check_policy_timeout(
    _ctx: click.Context, _param: click.Parameter, value: float | None
) -> float | None:
    """--policy-timeout: seconds, more than 0 and at most 3600 (a usage error otherwise)."""
    if value is None:
        return value
    from solver.policy_source import timeout_problem

    problem = timeout_problem(value)
    if problem is not None:
        raise click.BadParameter(problem)
    return value


def catalogue_options(f: F) -> F:
    """--modules, --clan-core, --no-nix, --config: where the module catalogue and the
    project config come from (every command that reads a clan's catalogue)."""
    opts = [
        click.option(
            "--modules",
            "modules",
            multiple=True,
            type=click.Path(dir_okay=False),
            help="Extra module catalogue file (TOML or JSON); repeatable.",
        ),
        click.option(
            "--clan-core",
            "clan_core",
            type=click.Path(file_okay=False),
            default=None,
            help="Read the module catalogue from this clan-core checkout (default: the "
            "clan-core the clan's flake.lock pins, when its source is in the Nix store).",
        ),
        click.option(
            "--no-nix",
            "no_nix",
            is_flag=True,
            help="Never run `nix` to locate the pinned clan-core (by default, `nix flake "
            "metadata --offline` is asked when its source is not found in the store).",
        ),
        click.option(
            "--config",
            "config_file",
            type=click.Path(dir_okay=False),
            default=None,
            help="Project config file (default: inventory-solver.toml or pyproject.toml, "
            "searched from the current directory upward).",
        ),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def input_options(f: F) -> F:
    """The catalogue options (:func:`catalogue_options`), --rules, --eval, --no-cache,
    --timings, --policy-timeout."""
    opts = [
        click.option(
            "--rules",
            "rules",
            multiple=True,
            type=click.Path(dir_okay=False),
            help="User policy file (.lp); repeatable.",
        ),
        click.option(
            "--eval",
            "use_eval",
            is_flag=True,
            help="Ask Nix (nix eval --json) for the inventory instead of reading it statically.",
        ),
        click.option("--no-cache", is_flag=True, help="Do not use or write the result cache."),
        click.option("--timings", is_flag=True, help="Print the time of each phase to stderr."),
        click.option(
            "--policy-timeout",
            type=float,
            default=None,
            callback=check_policy_timeout,
            help="Seconds a run with user policies may take (default 5, at most 3600).",
        ),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return catalogue_options(f)


def code_options(f: F) -> F:
    """--select and --ignore: which findings to report, by code (as ruff does)."""
    f = click.option(
        "--ignore",
        "ignore_codes",
        multiple=True,
        metavar="CODE,...",
        help="Do not report these codes (comma-separated or repeated; fnmatch patterns "
        "such as 'unknown-*'). Counted as ignored.",
    )(f)
    return click.option(
        "--select",
        "select",
        multiple=True,
        metavar="CODE,...",
        help="Report only these codes (comma-separated or repeated; fnmatch patterns).",
    )(f)


def code_selection(
    select: tuple[str, ...], ignore_codes: tuple[str, ...]
) -> tuple[tuple[str, ...] | None, tuple[str, ...]]:
    """The --select/--ignore values as code lists (``None``: --select not given)."""
    from solver.suppress import split_codes

    return (tuple(split_codes(select)) if select else None), tuple(split_codes(ignore_codes))


@dataclass
class RunArgs:
    paths: tuple[str, ...]
    modules: tuple[str, ...] = ()
    clan_core: str | None = None
    no_nix: bool = False
    rules: tuple[str, ...] = ()
    config_file: str | None = None
    use_eval: bool = False
    no_cache: bool = False
    timings: bool = False
    policy_timeout: float | None = None
    resolve: bool = False
    settings: bool | None = None  # merge settings into the resolution (default: = resolve)
    strict: bool | None = None  # --strict; None: the config's `strict` (set by execute)
    select: tuple[str, ...] | None = None  # --select codes (None: every code)
    ignore_codes: tuple[str, ...] = ()  # --ignore codes
    extra: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)  # the tags machines carry (set by execute)
    view: Callable[[Any, Any], None] | None = None  # solver.api.Options.view


def fail_unusable(exc: InputError, fmt: str = "text", color: bool = False) -> None:
    """Print the reasons the input cannot be used and exit 2."""
    from solver.api import make_report
    from solver.render import SourceText, get_renderer
    from solver.report import empty_resolution

    report = make_report(empty_resolution(), exc.diagnostics, [])
    if fmt in ("json", "sarif", "github"):
        click.echo(get_renderer(fmt)(report, sources=SourceText(), color=False), nl=False)
    else:
        text = get_renderer("concise" if fmt == "concise" else "text")(
            report, sources=SourceText(), color=color
        )
        click.echo(text, nl=False, err=True, color=True)
    sys.exit(EXIT_UNUSABLE)


def guard(fn: Callable[[], int], fmt: str = "text", color: bool = False) -> None:
    """Run `fn`; turn every failure into a message and the right exit code, never a traceback."""
    try:
        code = fn()
    except KeyboardInterrupt:  # Ctrl-C: exit 130, and the result cache stores nothing
        from solver import cache

        cache.RUN.interrupted = True
        click.echo("inventory-solver: interrupted", err=True)
        sys.exit(130)
    except InputError as exc:
        fail_unusable(exc, fmt, color)
    except InternalError as exc:
        click.echo(f"inventory-solver: internal error: {exc}", err=True)
        sys.exit(EXIT_UNUSABLE)
    except RecursionError:
        click.echo("inventory-solver: the input is nested too deeply", err=True)
        sys.exit(EXIT_UNUSABLE)
    except MemoryError:
        click.echo("inventory-solver: out of memory reading the input", err=True)
        sys.exit(EXIT_UNUSABLE)
    except SystemExit:
        raise
    except BrokenPipeError:  # stdout's reader went away (`| head`): stop quietly
        _silence_stdout()
        sys.exit(1)
    except Exception as exc:  # a bug: say so plainly, show the traceback only on request
        if os.environ.get("INVENTORY_SOLVER_DEBUG"):
            raise
        click.echo(
            f"inventory-solver: internal error ({type(exc).__name__}: {exc}); "
            "this is a bug, please report it (INVENTORY_SOLVER_DEBUG=1 shows the traceback)",
            err=True,
        )
        sys.exit(EXIT_UNUSABLE)
    from solver import cache

    cache.mark_complete()  # the run ended normally: its result may be stored
    sys.exit(code)


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that flushing it at exit cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # pragma: no cover - no file descriptor to redirect
        pass


def want_color(choice: str) -> bool:
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


def write_output(text: str, output: str | None, inputs: Iterable[str] = ()) -> None:
    """To stdout, or to the file `output`.

    A regular file (new, or reached through symlinks) is replaced atomically: a temporary
    file beside the target, then a rename over the target, never over the link. A new file
    gets the mode the umask gives; an existing one keeps its mode. A device or FIFO
    (``/dev/stdout``, ``/dev/null``, a pipe) is written to directly, never replaced. An
    output that is one of the `inputs` (or a file the reader read) is refused (exit 2):
    ``check inv.json -o inv.json`` must not overwrite the inventory with the report."""
    from solver.render import no_surrogates

    text = no_surrogates(text)  # names that are not UTF-8: every writer is total
    if output is None or output == "-":
        try:
            click.echo(text, nl=False, color=True)  # colour was decided by --color / NO_COLOR
            sys.stdout.flush()
        except BrokenPipeError:  # the reader went away (`| head`): nothing more to say
            raise
        except OSError as exc:  # a full disk, a closed descriptor: say so, exit 2
            click.echo(
                f"inventory-solver: cannot write the output: {exc.strerror or exc}", err=True
            )
            sys.exit(EXIT_UNUSABLE)
        return
    import stat

    from solver.render import printable

    shown = printable(output, newlines=False)

    def unusable(why: str) -> InputError:
        return InputError.single("io-error", f"cannot write {shown}: {why}", path="")

    target = os.path.realpath(output)  # through symlinks: the link stays, its target changes
    try:
        st: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise unusable(str(exc.strerror or exc)) from None
    if st is not None and _is_input(st, inputs):
        raise InputError.single(
            "io-error",
            f"refusing to write the report to {shown}: it is an input of this run",
            path="",
            hint="choose another file for -o/--output",
        )
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise unusable("it is a directory")
    data = text.encode("utf-8")
    if st is not None and not stat.S_ISREG(st.st_mode):
        # a device or FIFO: write to it; replacing it would destroy the node
        try:
            fd = os.open(target, os.O_WRONLY | getattr(os, "O_NOCTTY", 0))
            try:
                view = memoryview(data)
                while view:
                    n = os.write(fd, view)
                    view = view[n:]
            finally:
                os.close(fd)
        except OSError as exc:
            raise unusable(str(exc.strerror or exc)) from None
        return
    import tempfile  # only for --output: ~3 ms of start-up otherwise

    folder = os.path.dirname(target)
    if st is not None:
        mode = stat.S_IMODE(st.st_mode)
    else:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    try:
        fd, tmp = tempfile.mkstemp(prefix=".inventory-solver-", dir=folder)
    except OSError as exc:
        raise unusable(str(exc.strerror or exc)) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            os.fchmod(fh.fileno(), mode)
        os.replace(tmp, target)
    except BaseException as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise unusable(str(exc.strerror or exc)) from None
        raise


def _is_input(st: os.stat_result, inputs: Iterable[str]) -> bool:
    """Whether the file `st` describes is one of `inputs` or a file this run read."""
    from solver import cache

    names = list(inputs)
    for _root, entries in cache.RUN.reads:
        names.extend(e.path for e in entries if e.kind == "file")
    for name in names:
        try:
            other = os.stat(name)
        except (OSError, ValueError):
            continue
        if (other.st_dev, other.st_ino) == (st.st_dev, st.st_ino):
            return True
    return False


def one_path(paths: tuple[str, ...], name: str) -> None:
    """Several paths are a usage error (exit 2), not a silent check of the first."""
    if len(paths) > 1:
        raise click.UsageError(
            f"{name} takes one PATH (a JSON file, a .nix file, a clan directory or - for "
            f"standard input), got {len(paths)}; run it once per inventory"
        )
