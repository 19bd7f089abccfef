"""The text (default) format: exact output for small hand-built reports."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from render_helpers import INVENTORY, Example, conflict, loc, make_report, no_machines, unknown_tag

from solver.diagnostics import Diagnostic, Related
from solver.render import FORMATS, SourceText, get_renderer, summary_line
from solver.render.text import render
from solver.report import Summary

ROOT = Path(__file__).resolve().parents[2]
ANSI = re.compile(r"\x1b\[[0-9;]*m")

EXPECTED = """\
warning[INV007]: instance `borg` has no machines
  --> instances.borg

error[INV001]: conflicting definition values for `port` on machine `web1`
  --> inventory.json:10:39
   |
10 |             "server": { "settings": { "port": 22 } },
   |                                       ^^^^^^
   |
  ::: inventory.json:11:36
   |
11 |             "dmz": { "settings": { "port": 2222 } }
   |                                    ------ set by tag `dmz`
   |
   = note: `web1` has both tags (at machines.web1.tags)
   = help: set it once under instances.borg.roles.client.machines.web1.settings.port

info[INV003]: no machine has the tag "dmz"
  --> inventory.json:11:13
   |
11 |             "dmz": { "settings": { "port": 2222 } }
   |             ^^^^^
   |
   = help: did you mean the tag "dns"?

1 error, 1 warning, 1 info in inventory.json (2 ignored)
"""


def test_text_exact(example: Example) -> None:
    assert render(example.report, sources=example.sources, color=False) == EXPECTED


def test_no_ansi_without_color(example: Example) -> None:
    out = render(example.report, sources=example.sources, color=False)
    assert "\x1b" not in out


def test_color_is_only_decoration(example: Example) -> None:
    out = render(example.report, sources=example.sources, color=True)
    assert "\x1b[1;31merror[INV001]\x1b[0m" in out  # bold red error
    assert "\x1b[1;33mwarning[INV007]\x1b[0m" in out  # yellow warning
    assert "\x1b[1;36minfo[INV003]\x1b[0m" in out  # cyan info
    assert "\x1b[1;34m10 |\x1b[0m" in out  # blue gutter
    assert "\x1b[1;36mhelp:\x1b[0m" in out
    assert ANSI.sub("", out) == EXPECTED


def test_clean_report(sources: SourceText) -> None:
    out = render(make_report([]), sources=sources, color=False)
    assert out == "no problems found in inventory.json\n"
    out = render(make_report([], ignored=3), sources=sources, color=True)
    assert out == "\x1b[1;32mno problems found in inventory.json (3 ignored)\x1b[0m\n"


def test_deterministic_whatever_the_input_order(sources: SourceText) -> None:
    diags = [conflict(), no_machines(), unknown_tag()]
    report = make_report(diags)
    shuffled = report.model_copy(update={"diagnostics": list(reversed(diags)) + diags})
    first = render(report, sources=sources, color=False)
    again = render(shuffled, sources=sources, color=False)
    assert first == again


def test_missing_source_keeps_locations() -> None:
    empty = SourceText(read_files=False)
    out = render(make_report([conflict()]), sources=empty, color=False)
    assert out == (
        "error[INV001]: conflicting definition values for `port` on machine `web1`\n"
        "  --> inventory.json:10:39\n"
        "   |\n"
        "  ::: inventory.json:11:36: set by tag `dmz`\n"
        "   |\n"
        "   = note: `web1` has both tags (at machines.web1.tags)\n"
        "   = help: set it once under instances.borg.roles.client.machines.web1.settings.port\n"
        "\n"
        "1 error in inventory.json\n"
    )


def test_line_out_of_range_gives_no_snippet(sources: SourceText) -> None:
    d = Diagnostic(code="X1", severity="error", message="far away", path="a", location=loc(999, 1))
    out = render(make_report([d]), sources=sources, color=False)
    assert out == "error[X1]: far away\n  --> inventory.json:999:1\n\n1 error in inventory.json\n"


def test_underline_token_without_end_column() -> None:
    src = SourceText({"f.json": '  "tags": [ "backup", 42, true ]'}, read_files=False)
    cases = {3: '"tags"', 13: '"backup"', 23: "42", 27: "true", 11: "[", 14: "backup"}
    for col, token in cases.items():
        d = Diagnostic(
            code="T", severity="warning", message="m", path="p", location=loc(1, col, file="f.json")
        )
        out = render(make_report([d], files=["f.json"]), sources=src, color=False)
        caret_line = out.splitlines()[4]
        assert caret_line == "   | " + " " * (col - 1) + "^" * len(token), (col, out)


def test_escaped_quote_in_token() -> None:
    src = SourceText({"f.json": r'"a\"b": 1'}, read_files=False)
    d = Diagnostic(
        code="T", severity="error", message="m", path="p", location=loc(1, 1, file="f.json")
    )
    out = render(make_report([d], files=["f.json"]), sources=src, color=False)
    assert out.splitlines()[4] == "   | ^^^^^^"


def test_multiline_span_underlines_to_end_of_line() -> None:
    src = SourceText({"f.json": '{ "a": {\n  "b": 1\n} }'}, read_files=False)
    location = loc(1, 8, file="f.json").model_copy(update={"end_line": 3, "end_column": 2})
    d = Diagnostic(code="T", severity="error", message="m", path="a", location=location)
    out = render(make_report([d], files=["f.json"]), sources=src, color=False)
    assert out.splitlines()[3:5] == [' 1 | { "a": {', "   |        ^"]


def test_tabs_are_expanded_and_caret_follows() -> None:
    src = SourceText({"f.json": '\t"a": 1'}, read_files=False)
    d = Diagnostic(
        code="T", severity="error", message="m", path="a", location=loc(1, 2, 5, file="f.json")
    )
    out = render(make_report([d], files=["f.json"]), sources=src, color=False)
    assert out.splitlines()[3:5] == [' 1 |     "a": 1', "   |     ^^^"]


def test_unicode_columns_are_code_points() -> None:
    src = SourceText({"f.json": '{"größe": "ünïcødé"}'}, read_files=False)
    d = Diagnostic(
        code="U",
        severity="warning",
        message="unknown key «größe»",
        path='"größe"',
        location=loc(1, 11, 20, file="f.json"),
    )
    out = render(make_report([d], files=["f.json"]), sources=src, color=False)
    assert out.splitlines()[3:5] == [' 1 | {"größe": "ünïcødé"}', "   |           ^^^^^^^^^"]


def test_wide_gutter_for_long_line_numbers() -> None:
    text = "\n" * 1233 + '"x": 1'
    src = SourceText({"f.json": text}, read_files=False)
    d = Diagnostic(
        code="W",
        severity="error",
        message="m",
        path="x",
        location=loc(1234, 1, 4, file="f.json"),
        related=(Related(message="first here", location=loc(1, 1, file="other.json")),),
    )
    out = render(make_report([d], files=["f.json"]), sources=src, color=False)
    assert out.splitlines()[1:7] == [
        "    --> f.json:1234:1",
        "     |",
        '1234 | "x": 1',
        "     | ^^^",
        "     |",
        "    ::: other.json:1:1: first here",
    ]


def test_related_without_location_or_path() -> None:
    d = Diagnostic(
        code="R",
        severity="error",
        message="m",
        path="",
        related=(Related(message="see the module docs"),),
    )
    out = render(make_report([d], files=[]), sources=SourceText(), color=False)
    assert out == "error[R]: m\n  --> <inventory>\n   = note: see the module docs\n\n1 error\n"


def test_multiline_hint_is_indented() -> None:
    d = Diagnostic(code="H", severity="warning", message="m", path="p", hint="one\ntwo")
    out = render(make_report([d]), sources=SourceText(), color=False)
    assert "   = help: one\n           two\n" in out


def test_summary_uses_diagnostics_when_summary_is_empty(sources: SourceText) -> None:
    report = make_report([conflict(), no_machines()])
    report = report.model_copy(update={"summary": Summary(files=["inventory.json"])})
    out = render(report, sources=sources, color=False)
    assert out.endswith("\n1 error, 1 warning in inventory.json\n")


@pytest.mark.parametrize(
    ("summary", "line"),
    [
        (Summary(), "no problems found"),
        (Summary(files=["a.json"]), "no problems found in a.json"),
        (
            Summary(errors=2, warnings=1, files=["inventory.json"]),
            "2 errors, 1 warning in inventory.json",
        ),
        (
            Summary(warnings=2, infos=2, ignored=1, files=["a", "b"]),
            "2 warnings, 2 infos in a, b (1 ignored)",
        ),
        (Summary(errors=1, files=["a", "b", "c", "d"]), "1 error in 4 files"),
    ],
)
def test_summary_line(summary: Summary, line: str) -> None:
    assert summary_line(summary) == line


def test_source_text_reads_lazily_and_tolerates_missing(tmp_path: Path) -> None:
    path = tmp_path / "inv.json"
    path.write_bytes(b'{\r\n  "a": 1\r\n}\r\n\xff')
    src = SourceText(base=tmp_path)
    assert src.line("inv.json", 2) == '  "a": 1'
    assert src.line(str(path), 1) == "{"
    assert src.line("inv.json", 4) == "\ufffd"
    assert src.line("inv.json", 0) is None
    assert src.line("inv.json", 5) is None
    assert src.line("missing.json", 1) is None
    path.write_text("changed")
    assert src.line("inv.json", 2) == '  "a": 1'  # cached
    src.add("inv.json", "x\ny")
    assert src.line("inv.json", 2) == "y"
    assert SourceText(read_files=False).line(str(path), 1) is None


def test_source_text_given_texts() -> None:
    src = SourceText({"inventory.json": INVENTORY}, read_files=False)
    assert src.line("inventory.json", 1) == "{"
    lines = src.lines("inventory.json")
    assert lines is not None and lines[-1] == ""


def test_get_renderer_knows_every_format() -> None:
    for fmt in FORMATS:
        assert callable(get_renderer(fmt))
    with pytest.raises(ValueError, match="unknown output format 'xml'"):
        get_renderer("xml")


def test_text_path_imports_no_other_renderer() -> None:
    code = (
        "import sys\n"
        "from solver.render import get_renderer\n"
        "get_renderer('text')\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('solver.render.'))\n"
        "print(','.join(loaded))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "solver.render.text"
