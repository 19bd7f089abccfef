"""The command line: ``inventory-solver check | resolve | explain | test``.

One module per subcommand under ``solver/commands/``; each is imported only when its
command runs, so ``check`` does not pay for the others.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

COMMANDS = {
    "check": "Check an inventory and report every finding.",
    "resolve": "Show who holds which role (per instance or per machine), with settings.",
    "explain": "Explain a machine (its roles and why) or a diagnostic code.",
    "test": "Run policy tests: inventories with the findings they must produce.",
}


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


def main(argv: list[str] | None = None) -> Any:
    try:
        return cli.main(args=argv, prog_name="inventory-solver")
    except KeyboardInterrupt:  # pragma: no cover - interactive
        click.echo("interrupted", err=True)
        sys.exit(130)
