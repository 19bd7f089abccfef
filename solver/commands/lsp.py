"""``inventory-solver lsp``: the language server (solver/lsp.py) on stdin/stdout."""

from __future__ import annotations

import click

INSTALL = "pip install 'inventory-solver[lsp]'"


@click.command(name="lsp")
def command() -> None:
    """Run the language server over stdio: findings as diagnostics while you edit, and
    hover on a machine for its roles (needs the `lsp` extra: pygls)."""
    try:
        import lsprotocol  # noqa: F401
        import pygls  # noqa: F401
    except ImportError:
        click.echo(
            f"inventory-solver lsp needs pygls, which is not installed; install it with: {INSTALL}",
            err=True,
        )
        raise SystemExit(2) from None
    from solver.lsp import serve

    serve()
