"""The command line: ``inventory-solver check | resolve | explain | test | lsp | diff | graph |
catalogue``.

One module per subcommand under ``solver/commands/``; each is imported only when its
command runs, so ``check`` does not pay for the others.

:func:`main` first asks the result cache (``solver/cache.py``, standard library only):
an unchanged inventory is answered before click, pydantic or clingo are imported. The
click group is built on first use (``solver.cli.cli`` still works).
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    import click

COMMANDS = {
    "check": "Check an inventory and report every finding.",
    "resolve": "Show who holds which role (per instance or per machine), with settings.",
    "explain": "Explain a machine (its roles and why) or a diagnostic code.",
    "test": "Run policy tests: inventories with the findings they must produce.",
    "lsp": "Run the language server (stdio): findings in your editor as you type.",
    "diff": "Compare the clan at two git revisions: roles, settings, new and fixed findings.",
    "graph": "Draw the fleet: machines, instances and roles (dot, mermaid, html).",
    "fix": "Show the smallest repair of the errors as a diff; --apply writes it.",
    "catalogue": "List the modules the clan uses: roles, constraints, settings options.",
}

_CLI: click.Group | None = None


def _build() -> click.Group:
    import importlib

    import click

    class LazyGroup(click.Group):
        def list_commands(self, ctx: click.Context) -> list[str]:
            return sorted(COMMANDS)

        def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
            if cmd_name not in COMMANDS:
                return None
            mod = importlib.import_module(f"solver.commands.{cmd_name}")
            command: click.Command = mod.command
            return command

        def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
            with formatter.section("Commands"):
                formatter.write_dl(sorted(COMMANDS.items()))

    @click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
    @click.version_option(package_name="inventory-solver", prog_name="inventory-solver")
    def cli() -> None:
        """Check clan inventories: role membership, settings and every conflict at once."""

    return cli


def get_cli() -> click.Group:
    global _CLI
    if _CLI is None:
        _CLI = _build()
    return _CLI


def __getattr__(name: str) -> Any:
    if name == "cli":
        return get_cli()
    raise AttributeError(name)


def entry() -> None:
    """The installed command (``inventory-solver``, ``python -m solver``): :func:`main`,
    then a hard exit once the output is flushed.

    Like mypy, the command ends without tearing its heap down: at 100,000 machines freeing
    every object one by one took about 0.4 s after the last line was written. Nothing is
    lost: every file the command writes (``--output``, the cache entry) is closed before
    :func:`main` returns. The cyclic collector is off for the same reason as in
    :func:`solver.api.collector_paused`: a short-lived process with few cycles.
    """
    import gc

    gc.disable()
    try:
        main()
        status: int = 0
    except KeyboardInterrupt:  # Ctrl-C before the command started (or while replaying)
        _say_interrupted()
        status = 130
    except SystemExit as exc:
        code = exc.code
        if code is None or isinstance(code, int):
            status = code or 0
        else:
            print(code, file=sys.stderr)
            status = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BrokenPipeError:  # the reader went away (`| head`): nothing more to say
            status = status or 1
        except (OSError, ValueError) as exc:  # a full disk: the output is incomplete
            try:
                os.write(2, f"inventory-solver: cannot write the output: {exc}\n".encode())
            except OSError:
                pass
            status = 2
    os._exit(status)


def main(argv: list[str] | None = None) -> Any:
    # Started with stdout or stderr closed (`>&-`): write nothing there, but still run
    # and give the exit code.
    if sys.stdout is None:
        sys.stdout = open(os.devnull, "w")  # lives as long as the process
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w")
    args = list(sys.argv[1:] if argv is None else argv)
    from solver import cache

    cache.reset()
    key: str | None = None
    tees: tuple[Any, Any] | None = None
    if not os.environ.get("INVENTORY_SOLVER_NO_CACHE"):
        parsed = cache.parse(args)
        if parsed is not None:  # check/resolve without --no-cache, --output, --eval, ...
            try:
                key = cache.key(args, parsed)
            except (OSError, ValueError, RecursionError):
                key = None
            if key is not None:
                try:
                    hit = cache.lookup(key)
                except (OSError, ValueError, RecursionError):
                    hit = None
                if hit is not None:
                    raise SystemExit(cache.replay(hit))
                tees = (cache.Tee(sys.stdout), cache.Tee(sys.stderr))
                sys.stdout, sys.stderr = tees
    _catch_interrupt()
    # The command line needs no pydantic plugins; looking for them (entry points through
    # importlib.metadata) costs ~15 ms of every pre-commit run. Users can still opt in.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    try:
        return get_cli().main(args=args, prog_name="inventory-solver")
    except KeyboardInterrupt:
        _restore(tees)
        tees = None
        _say_interrupted()
        sys.exit(130)
    except SystemExit as exc:
        if cache.RUN.interrupted or _by_interrupt(exc):
            # click turns Ctrl-C into "Aborted!" and exit 1: say what happened, exit 130,
            # and store nothing (the run did not complete)
            cache.RUN.interrupted = True
            _restore(tees)
            tees = None
            raise SystemExit(130) from None
        if tees is not None and key is not None:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
            out, err = tees[0].text(), tees[1].text()
            _restore(tees)
            tees = None
            cache.store(key, code, out, err)
        raise
    finally:
        _restore(tees)


def _restore(tees: tuple[Any, Any] | None) -> None:
    if tees is not None:
        sys.stdout, sys.stderr = tees[0]._stream, tees[1]._stream


def _by_interrupt(exc: BaseException) -> bool:
    """Whether `exc` was raised while handling a KeyboardInterrupt (click's Abort)."""
    seen = 0
    cur: BaseException | None = exc
    while cur is not None and seen < 20:
        if isinstance(cur, KeyboardInterrupt):
            return True
        cur = cur.__cause__ or cur.__context__
        seen += 1
    return False


def _say_interrupted() -> None:
    try:
        sys.stderr.write("inventory-solver: interrupted\n")
        sys.stderr.flush()
    except (OSError, ValueError):  # pragma: no cover - stderr gone
        pass


def _catch_interrupt() -> None:
    """Ctrl-C (SIGINT) marks the run interrupted before it raises KeyboardInterrupt, so
    that no handler in between can make it look like a normal end: nothing is cached."""
    import signal

    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        return  # ignored (a background job) or handled by an embedding program

    def handler(signum: int, frame: object) -> None:
        from solver import cache

        cache.RUN.interrupted = True
        raise KeyboardInterrupt

    try:
        signal.signal(signal.SIGINT, handler)
    except ValueError:  # pragma: no cover - not the main thread (a library caller)
        pass
