"""``--format json``: a versioned document with every field of every diagnostic.

Schema, version 1::

    {
      "version": 1,
      "diagnostics": [
        {
          "code": str, "severity": "error" | "warning" | "info", "message": str,
          "path": str,                       # inventory path, e.g. instances.borg.roles
          "location": {"file", "line", "column", "end_line", "end_column"} | null,
          "related": [{"message": str, "path": str | null, "location": {...} | null}],
          "hint": str | null, "clan_id": str | null,
          "instance", "role", "machine", "module", "tag": str | null,
          "args": {...}
        }
      ],
      "summary": {"errors", "warnings", "infos", "ignored": int, "files": [str],
                  "suppressed": int},
      "coverage": {
        "files": [str],                      # files read
        "skipped": [{"file", "reason", "location"}],  # files not read, and why
        "opaque_values": int,                # values not evaluated statically
        "opaque_membership": int,            # of which decide role membership
        "clan_read": bool,                   # false: clan-not-read
        "opaque": [{"path", "message", "location", "membership": bool}]
      },
      "suppressed": [                        # findings an inline comment suppressed
        {"diagnostic": {...}, "kind": "inSource", "reason": str, "location": {...}}
      ]
    }

``summary`` ends with ``"suppressed": int`` (how many; ``ignored`` counts the config's
ignores and ``--select``/``--ignore``). A suppressed finding is not in ``diagnostics``;
``location`` is the comment's.

Lines and columns are 1-based; columns count Unicode code points and ``end_column`` is
exclusive. Diagnostics are sorted by position then code. Fields appear in the order
above; new fields may be added at the end of an object without a version change.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from solver.diagnostics import sort_diagnostics
from solver.render import CodeInfo, SourceText, counts
from solver.render.jsontext import dumps
from solver.report import Report

VERSION = 1


def to_data(report: Report) -> dict[str, Any]:
    """The JSON document as plain Python data."""
    return {
        "version": VERSION,
        "diagnostics": [
            d.model_dump(mode="json") for d in sort_diagnostics(list(report.diagnostics))
        ],
        "summary": counts(report).model_dump(mode="json"),
        "coverage": _coverage(report),
        "suppressed": [
            s.model_dump(mode="json")
            for s in sorted(
                report.suppressed, key=lambda s: (s.diagnostic.sort_key(), s.location.line)
            )
        ],
    }


def _coverage(report: Report) -> dict[str, Any]:
    """What was read: ``files``, ``skipped`` [{file, reason, location}], ``opaque_values``
    (how many values were not evaluated), ``opaque_membership`` (of which decide role
    membership), ``clan_read`` (false: a clan exists but its inventory was not read) and
    ``opaque`` [{path, message, location, membership}]."""
    cov = report.coverage
    data: dict[str, Any] = cov.model_dump(mode="json")
    if not cov.files:  # a report built without a reader (by hand): the summary's files
        data["files"] = list(report.summary.files)
    return data


def render(
    report: Report,
    *,
    sources: SourceText,
    color: bool,
    codes: Mapping[str, CodeInfo] | None = None,
) -> str:
    return dumps(to_data(report), default=str)
