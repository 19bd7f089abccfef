"""atheris: the static Nix reader (a clan directory with one flake.nix), then the pipeline."""

from __future__ import annotations

import os
import sys

import atheris

with atheris.instrument_imports():
    import common

    from solver.api import Options, run
    from solver.read.nix.clan import load_clan

CLAN = os.path.join(common.TMP, "clan")
os.makedirs(CLAN, exist_ok=True)


def one(data: bytes) -> None:
    with open(os.path.join(CLAN, "flake.nix"), "wb") as fh:
        fh.write(data)
    loaded = common.only_input_errors(load_clan, CLAN)
    if loaded is not None:
        common.only_input_errors(run, loaded, Options())


if __name__ == "__main__":
    atheris.Setup(sys.argv, one)
    atheris.Fuzz()
