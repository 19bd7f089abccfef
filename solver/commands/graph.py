"""``inventory-solver graph [PATH]``: the fleet as a picture (dot, mermaid, html)."""

from __future__ import annotations

import os

import click

from solver.commands.common import (
    EXIT_OK,
    RunArgs,
    guard,
    input_options,
    one_path,
    write_output,
)


@click.command(name="graph")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["dot", "mermaid", "html"]),
    default="dot",
    show_default=True,
)
@click.option(
    "--by",
    type=click.Choice(["tag", "service"]),
    default="tag",
    show_default=True,
    help="Group machines by their first own tag, or instances by service (dot, mermaid).",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None)
@input_options
def command(paths: tuple[str, ...], fmt: str, by: str, output: str | None, **kw: object) -> None:
    """Draw machines, instances and roles of the inventory at PATH; machines with findings
    are marked. `--format html` writes one self-contained page (a machines × instances
    matrix with filters)."""
    one_path(paths, "graph")

    def go() -> int:
        from solver.render import graph
        from solver.runner import execute

        report = execute(RunArgs(paths=paths, resolve=True, settings=False, **kw))  # type: ignore[arg-type]
        if fmt == "html":
            title = os.path.basename(os.path.abspath(paths[0] if paths else ".")) or "clan"
            text = graph.to_html(report, title=f"{title}: machines × instances")
        elif fmt == "mermaid":
            text = graph.to_mermaid(report, by)
        else:
            text = graph.to_dot(report, by)
        write_output(text, output, inputs=[*paths, *kw.get("modules", ()), *kw.get("rules", ())])  # type: ignore[misc]
        return EXIT_OK

    guard(go, "text")
