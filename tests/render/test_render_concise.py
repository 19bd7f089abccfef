"""The concise format: one line per finding, then the summary."""

from __future__ import annotations

from render_helpers import Example, conflict, loc, make_report

from solver.diagnostics import Diagnostic
from solver.render import SourceText
from solver.render.concise import format_line, render

EXPECTED = """\
instances.borg: warning[INV007] instance `borg` has no machines
inventory.json:10:39: error[INV001] conflicting definition values for `port` on machine `web1`
inventory.json:11:13: info[INV003] no machine has the tag "dmz"
1 error, 1 warning, 1 info in inventory.json (2 ignored)
"""


def test_concise_exact(example: Example) -> None:
    assert render(example.report, sources=example.sources, color=False) == EXPECTED


def test_concise_clean() -> None:
    out = render(make_report([]), sources=SourceText(), color=False)
    assert out == "no problems found in inventory.json\n"


def test_concise_color() -> None:
    line = format_line(conflict(), color=True)
    assert line == (
        "\x1b[1minventory.json:10:39\x1b[0m: \x1b[1;31merror[INV001]\x1b[0m "
        "conflicting definition values for `port` on machine `web1`"
    )
    assert "\x1b" not in format_line(conflict(), color=False)


def test_concise_one_line_per_finding() -> None:
    d = Diagnostic(
        code="N", severity="error", message="first\r\nsecond\nthird", path="", location=loc(2, 3)
    )
    assert format_line(d) == "inventory.json:2:3: error[N] first second third"
    d = d.model_copy(update={"location": None})
    assert format_line(d) == "<inventory>: error[N] first second third"
