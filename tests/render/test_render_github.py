"""The github format: workflow commands and their escaping."""

from __future__ import annotations

from render_helpers import Example, loc, make_report

from solver.diagnostics import Diagnostic, Related
from solver.render import SourceText
from solver.render.github import escape_data, escape_property, format_command, render

EXPECTED = (
    "::warning file=inventory.json,title=inventory-solver (INV007)::"
    "instance `borg` has no machines (at instances.borg)\n"
    "::error file=inventory.json,line=10,col=39,endLine=10,endColumn=45,"
    "title=inventory-solver (INV001)::"
    "conflicting definition values for `port` on machine `web1`"
    "%0Ainventory.json:11:36: set by tag `dmz`"
    "%0Amachines.web1.tags: `web1` has both tags"
    "%0Ahelp: set it once under instances.borg.roles.client.machines.web1.settings.port\n"
    "::notice file=inventory.json,line=11,col=13,title=inventory-solver (INV003)::"
    'no machine has the tag "dmz"%0Ahelp: did you mean the tag "dns"?\n'
)


def test_github_exact(example: Example) -> None:
    out = render(example.report, sources=example.sources, color=True)
    assert out == EXPECTED
    assert "\x1b" not in out


def test_github_empty() -> None:
    assert render(make_report([]), sources=SourceText(), color=False) == ""


def test_escape_data() -> None:
    assert escape_data("100% a:b, c\r\nd\ne") == "100%25 a:b, c%0D%0Ad%0Ae"
    assert escape_data("%0A") == "%250A"  # already-escaped text is escaped again


def test_escape_property() -> None:
    assert escape_property("a:b,c%d\ne\rf") == "a%3Ab%2Cc%25d%0Ae%0Df"


def test_escaping_in_file_names_and_messages() -> None:
    d = Diagnostic(
        code="E,1",
        severity="error",
        message="50% of machines: web1, web2\nsecond line\r",
        path="p",
        location=loc(1, 2, file="dir:x/inv,1%.json"),
        hint="fix: a, b",
    )
    line = format_command(d)
    assert line == (
        "::error file=dir%3Ax/inv%2C1%25.json,line=1,col=2,"
        "title=inventory-solver (E%2C1)::"
        "50%25 of machines: web1, web2%0Asecond line%0D%0Ahelp: fix: a, b"
    )
    assert "\n" not in line and "\r" not in line
    body = line.split("::", 2)[2]
    assert body.count("::") == 0


def test_multi_line_region_has_no_end_column() -> None:
    location = loc(3, 4).model_copy(update={"end_line": 5, "end_column": 2})
    d = Diagnostic(code="M", severity="warning", message="m", path="p", location=location)
    assert format_command(d) == (
        "::warning file=inventory.json,line=3,col=4,endLine=5,title=inventory-solver (M)::m"
    )


def test_no_location_without_single_file() -> None:
    d = Diagnostic(
        code="N",
        severity="info",
        message="m",
        path="",
        related=(Related(message="bare note"),),
    )
    out = render(make_report([d], files=["a.json", "b.json"]), sources=SourceText(), color=False)
    assert out == "::notice title=inventory-solver (N)::m%0Abare note\n"
