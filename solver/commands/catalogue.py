"""``inventory-solver catalogue [PATH]``: the modules the clan uses (``--all``: every
module) as the catalogue it is checked against describes them; ``catalogue build
CLAN_CORE_PATH``: regenerate the built-in catalogue (maintainers)."""

from __future__ import annotations

import click

from solver.commands.common import EXIT_OK, catalogue_options, guard, one_path, write_output
from solver.errors import InputError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from solver.catalogue.show import View


def gather(
    path: str | None,
    everything: bool,
    clan_core: str | None = None,
    modules: tuple[str, ...] = (),
    config_file: str | None = None,
    need_inventory: bool = True,
    no_nix: bool = False,
) -> View:
    """The :class:`solver.catalogue.show.View` of the clan at `path` (found upward from
    the current directory without it). Without an inventory (none found and
    `need_inventory` false) the catalogue is still chosen from the current directory."""
    from solver import config as config_mod
    from solver.catalogue import load as load_catalogue
    from solver.catalogue.show import build_view
    from solver.catalogue.source import choose
    from solver.model import validate
    from solver.read import Loaded, load

    cfg = config_mod.find(config_file)
    loaded: Loaded | None
    try:
        loaded = load(path)
    except InputError:
        if path is not None or need_inventory:
            raise
        loaded = None
    chosen = choose(clan_core or cfg.clan_core, path or ".", allow_nix=not no_nix)
    cat = load_catalogue(
        [*cfg.modules, *modules],
        loaded.modules if loaded is not None else (),
        base=chosen.catalogue,
    )
    inv = None
    if loaded is not None:
        cat = cat.with_core_inputs(loaded.clan_core_inputs)
        inv, _ = validate(loaded.data, loaded.locator)
    return build_view(
        cat, chosen.origin, chosen.where, chosen.revision, inv, everything, chosen.notes
    )


def _build(args: tuple[str, ...], output: str | None, revision: str | None) -> int:
    from solver.catalogue.build import build_file

    if len(args) != 1:
        raise click.UsageError("catalogue build takes one CLAN_CORE_PATH (a clan-core checkout)")
    text, notes = build_file(args[0], revision)
    for n in notes:
        click.echo(f"inventory-solver: not read: {n}", err=True)
    from solver.catalogue import BUILTIN

    target = output or BUILTIN
    write_output(text, target)
    click.echo(f"wrote {target}", err=True)
    return EXIT_OK


@click.command(name="catalogue")
@click.argument("args", nargs=-1, type=click.Path(), metavar="[PATH] | build CLAN_CORE_PATH")
@click.option("--all", "everything", is_flag=True, help="List every module of the catalogue.")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None)
@catalogue_options
@click.option(
    "--revision",
    default=None,
    help="catalogue build: the clan-core revision of the checkout (default: its git HEAD).",
)
def command(
    args: tuple[str, ...],
    everything: bool,
    fmt: str,
    output: str | None,
    modules: tuple[str, ...],
    clan_core: str | None,
    config_file: str | None,
    no_nix: bool,
    revision: str | None,
) -> None:
    """List the modules the clan at PATH uses (--all: every module) with their roles,
    constraints and settings options, from the catalogue it is checked against: the
    clan-core its flake.lock pins, a --clan-core checkout, or the built-in one.

    `catalogue build CLAN_CORE_PATH` (maintainers) regenerates the built-in catalogue
    (solver/catalogue/builtin.json, or -o FILE) from a clan-core checkout. A clan folder
    named `build` is written `./build`."""
    if revision is not None and not (args and args[0] == "build"):
        raise click.UsageError("--revision is an option of `catalogue build`")
    if args and args[0] == "build":
        guard(lambda: _build(args[1:], output, revision))
        return
    one_path(args, "catalogue")

    def go() -> int:
        from solver.catalogue.show import to_json, to_text

        view = gather(
            args[0] if args else None,
            everything,
            clan_core,
            modules,
            config_file,
            need_inventory=not everything,
            no_nix=no_nix,
        )
        text = to_json(view) if fmt == "json" else to_text(view)
        write_output(text, output, inputs=[*args, *modules])
        return EXIT_OK

    guard(go, fmt)
