"""atheris: the project configuration (inventory-solver.toml / pyproject.toml)."""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    import common

    from solver import config


def one(data: bytes) -> None:
    if not data:
        return
    name = "pyproject.toml" if data[0] & 1 else "inventory-solver.toml"
    path = common.write(name, data[1:])
    common.only_input_errors(config.find, path)


if __name__ == "__main__":
    atheris.Setup(sys.argv, one)
    atheris.Fuzz()
