"""atheris: the catalogue reader (TOML and JSON, by the first byte)."""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    import common

    from solver.catalogue import read_file


def one(data: bytes) -> None:
    if not data:
        return
    ext = ".toml" if data[0] & 1 else ".json"
    path = common.write("modules" + ext, data[1:])
    common.only_input_errors(read_file, path)


if __name__ == "__main__":
    atheris.Setup(sys.argv, one)
    atheris.Fuzz()
