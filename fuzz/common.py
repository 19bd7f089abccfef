"""Shared by the atheris harnesses: run one input, allow only InputError."""

from __future__ import annotations

import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from solver.codes import CODES
from solver.errors import InputError

TMP = tempfile.mkdtemp(prefix="inventory-solver-fuzz-")


def write(name: str, data: bytes) -> str:
    path = os.path.join(TMP, name)
    with open(path, "wb") as fh:
        fh.write(data)
    return path


def only_input_errors(fn, *args):  # type: ignore[no-untyped-def]
    try:
        return fn(*args)
    except InputError as exc:
        for d in exc.diagnostics:
            assert d.code in CODES, d.code
            assert d.message
        return None
