"""Small hand-built reports shared by the renderer tests (imported by conftest and tests)."""

from __future__ import annotations

from dataclasses import dataclass

from solver.diagnostics import Diagnostic, Related
from solver.location import Location
from solver.render import SourceText
from solver.report import Report, Resolution, Summary

INVENTORY = """\
{
  "machines": {
    "web1": { "tags": ["server", "dmz"] }
  },
  "instances": {
    "borg": {
      "roles": {
        "client": {
          "tags": {
            "server": { "settings": { "port": 22 } },
            "dmz": { "settings": { "port": 2222 } }
          }
        }
      }
    }
  }
}
"""


def loc(line: int, col: int, end: int | None = None, file: str = "inventory.json") -> Location:
    return Location(
        file=file,
        line=line,
        column=col,
        end_line=line if end is not None else None,
        end_column=end,
    )


def conflict() -> Diagnostic:
    return Diagnostic(
        code="INV001",
        severity="error",
        message="conflicting definition values for `port` on machine `web1`",
        path="instances.borg.roles.client.tags.server.settings.port",
        location=loc(10, 39, 45),
        related=(
            Related(
                message="set by tag `dmz`",
                path="instances.borg.roles.client.tags.dmz.settings.port",
                location=loc(11, 36),
            ),
            Related(message="`web1` has both tags", path="machines.web1.tags"),
        ),
        hint="set it once under instances.borg.roles.client.machines.web1.settings.port",
        instance="borg",
        role="client",
        machine="web1",
    )


def no_machines() -> Diagnostic:
    return Diagnostic(
        code="INV007",
        severity="warning",
        message="instance `borg` has no machines",
        path="instances.borg",
    )


def unknown_tag() -> Diagnostic:
    return Diagnostic(
        code="INV003",
        severity="info",
        message='no machine has the tag "dmz"',
        path="instances.borg.roles.client.tags.dmz",
        location=loc(11, 13),
        hint='did you mean the tag "dns"?',
    )


def make_report(
    diags: list[Diagnostic], *, ignored: int = 0, files: list[str] | None = None
) -> Report:
    summary = Summary(
        errors=sum(d.severity == "error" for d in diags),
        warnings=sum(d.severity == "warning" for d in diags),
        infos=sum(d.severity == "info" for d in diags),
        ignored=ignored,
        files=["inventory.json"] if files is None else files,
    )
    return Report(resolution=Resolution(), diagnostics=diags, summary=summary)


@dataclass
class Example:
    report: Report
    sources: SourceText
