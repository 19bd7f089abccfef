"""atheris: the JSON reader and the whole pipeline (check) on arbitrary bytes."""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    import common

    import solver


def one(data: bytes) -> None:
    path = common.write("inventory.json", data)
    common.only_input_errors(solver.check, path)


if __name__ == "__main__":
    atheris.Setup(sys.argv, one)
    atheris.Fuzz()
