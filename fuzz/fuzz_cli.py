"""atheris: the CLI end to end (check, every format): exit 0, 1 or 2, never a traceback
or an internal error."""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    import common
    from click.testing import CliRunner

    from solver.cli import cli

FORMATS = ["text", "json", "concise", "sarif", "github"]


def one(data: bytes) -> None:
    if not data:
        return
    fmt = FORMATS[data[0] % len(FORMATS)]
    path = common.write("inventory.json", data[1:])
    out = CliRunner().invoke(cli, ["check", path, "--format", fmt, "--no-cache"])
    assert out.exit_code in (0, 1, 2), out.output
    assert out.exception is None or isinstance(out.exception, SystemExit), repr(out.exception)
    assert "internal error" not in out.output and "Traceback" not in out.output, out.output


if __name__ == "__main__":
    atheris.Setup(sys.argv, one)
    atheris.Fuzz()
