"""Confined file access for the readers; see :mod:`solver.files` (which holds the code:
it imports only the standard library, so that the result cache can validate an entry
with it before pydantic is loaded)."""

from __future__ import annotations

from solver.files import MAX_BYTES, Entry, Files, Refused, find_root

__all__ = ["MAX_BYTES", "Entry", "Files", "Refused", "find_root"]
