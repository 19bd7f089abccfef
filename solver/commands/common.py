"""What the subcommands share: input options, running the pipeline, exit codes, output."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import click

from solver.errors import InputError, InternalError

F = TypeVar("F", bound=Callable[..., Any])

EXIT_OK, EXIT_FINDINGS, EXIT_UNUSABLE = 0, 1, 2


def input_options(f: F) -> F:
    """--modules, --rules, --config, --eval, --no-cache, --timings."""
    opts = [
        click.option(
            "--modules",
            "modules",
            multiple=True,
            type=click.Path(dir_okay=False),
            help="Extra module catalogue file (TOML or JSON); repeatable.",
        ),
        click.option(
            "--rules",
            "rules",
            multiple=True,
            type=click.Path(dir_okay=False),
            help="User policy file (.lp); repeatable.",
        ),
        click.option(
            "--config",
            "config_file",
            type=click.Path(dir_okay=False),
            default=None,
            help="Project config file (default: inventory-solver.toml or pyproject.toml, "
            "searched from the current directory upward).",
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
            help="Seconds a run with user policies may take (default 5).",
        ),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


@dataclass
class RunArgs:
    paths: tuple[str, ...]
    modules: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()
    config_file: str | None = None
    use_eval: bool = False
    no_cache: bool = False
    timings: bool = False
    policy_timeout: float | None = None
    resolve: bool = False
    settings: bool | None = None  # merge settings into the resolution (default: = resolve)
    extra: dict[str, Any] = field(default_factory=dict)


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


def write_output(text: str, output: str | None) -> None:
    """To stdout, or atomically to `output` (temporary file in the same folder, then rename)."""
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
    import tempfile  # only for --output: ~3 ms of start-up otherwise

    folder = os.path.dirname(os.path.abspath(output))
    try:
        fd, tmp = tempfile.mkstemp(prefix=".inventory-solver-", dir=folder)
    except OSError as exc:
        raise InputError.single(
            "io-error", f"cannot write {output}: {exc.strerror or exc}", path=""
        ) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, output)
    except BaseException as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise InputError.single(
                "io-error", f"cannot write {output}: {exc.strerror or exc}", path=""
            ) from None
        raise
