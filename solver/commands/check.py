"""``inventory-solver check [PATH]``: every finding, with exit code 0, 1 or 2."""

from __future__ import annotations

import click

from solver.commands.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    RunArgs,
    code_options,
    code_selection,
    guard,
    input_options,
    one_path,
    want_color,
    write_output,
)

FORMATS = ["text", "concise", "json", "sarif", "github"]


@click.command(name="check")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default=None,
    help="Output format (default text; concise under pre-commit).",
)
@click.option(
    "--color", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True
)
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning"]),
    default="error",
    show_default=True,
    help="Lowest severity that makes the exit code 1.",
)
@click.option(
    "--exit-zero", is_flag=True, help="Exit 0 even with findings (still 2 on unusable input)."
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write the report to a file (atomically; never onto an input).",
)
@click.option(
    "--strict",
    is_flag=True,
    default=None,
    help="Exit 1 when the read is incomplete in a way that affects findings (a skipped file, "
    "a value deciding membership not evaluated, clan-not-read). Config: strict = true.",
)
@click.option(
    "-v",
    "--verbose",
    is_flag=True,
    help="List the files read, the files skipped and the values not evaluated (to stderr).",
)
@code_options
@click.option("--debug-program", is_flag=True, hidden=True)
@input_options
def command(
    paths: tuple[str, ...],
    fmt: str | None,
    color: str,
    fail_on: str,
    exit_zero: bool,
    output: str | None,
    strict: bool | None,
    verbose: bool,
    select: tuple[str, ...],
    ignore_codes: tuple[str, ...],
    debug_program: bool,
    **kw: object,
) -> None:
    """Check the inventory at PATH (a JSON file, a .nix file or a clan directory;
    default: the clan in the current directory) and report every finding."""
    import os

    one_path(paths, "check")
    if fmt is None:
        fmt = "concise" if os.environ.get("PRE_COMMIT") else "text"
    use_color = want_color(color) and output is None

    if debug_program:
        guard(lambda: _debug_program(paths, kw))
        return

    def go() -> int:
        from solver.render import SourceText, get_renderer
        from solver.runner import execute

        chosen, unwanted = code_selection(select, ignore_codes)
        args = RunArgs(
            paths=paths,
            strict=strict or None,
            select=chosen,
            ignore_codes=unwanted,
            **kw,  # type: ignore[arg-type]
        )
        report = execute(args)
        text = get_renderer(fmt)(report, sources=SourceText(), color=use_color)
        if verbose:
            from solver.coverage import verbose_text

            click.echo(verbose_text(report.coverage), nl=False, err=True)
            if args.tags:
                click.echo(
                    f"tags carried by machines ({len(args.tags):,}): " + ", ".join(args.tags),
                    err=True,
                )
        write_output(text, output, inputs=_inputs(paths, kw))
        gaps = report.coverage.gaps() if args.strict else []
        if gaps:
            click.echo(
                "inventory-solver: --strict: the inventory was not read completely: "
                + "; ".join(gaps)
                + (" (exit code 0: --exit-zero)" if exit_zero else " (exit code 1)"),
                err=True,
            )
        if exit_zero:
            return EXIT_OK
        failing = report.summary.errors + (report.summary.warnings if fail_on == "warning" else 0)
        return EXIT_FINDINGS if failing or gaps else EXIT_OK

    guard(go, fmt, use_color)


def _debug_program(paths: tuple[str, ...], kw: dict[str, object]) -> int:
    """Print the program that would be solved, with section titles (hidden option: for
    people debugging rules). Exit 0: nothing was checked."""
    from solver.api import CheckOptions, debug_program

    def strs(name: str) -> list[str]:
        value = kw.get(name)
        return [str(v) for v in value] if isinstance(value, tuple) else []

    config = kw.get("config_file")
    clan_core = kw.get("clan_core")
    opts = CheckOptions(
        config=str(config) if isinstance(config, str) else True,
        config_start=".",
        use_eval=bool(kw.get("use_eval")),
        modules=strs("modules"),
        clan_core=clan_core if isinstance(clan_core, str) else None,
    )
    click.echo(debug_program(paths[0] if paths else None, opts), nl=False)
    return EXIT_OK


def _inputs(paths: tuple[str, ...], kw: dict[str, object]) -> list[str]:
    """The files named on the command line: -o must not overwrite one of them."""
    out = [p for p in paths if p != "-"]
    for name in ("modules", "rules"):
        value = kw.get(name)
        if isinstance(value, tuple):
            out.extend(str(v) for v in value)
    if isinstance(kw.get("config_file"), str):
        out.append(str(kw["config_file"]))
    return out
