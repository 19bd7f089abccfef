"""The json format: versioned, every field, round trip, deterministic."""

from __future__ import annotations

import json

from render_helpers import Example, conflict, loc, make_report, no_machines, unknown_tag

from solver.diagnostics import Diagnostic, sort_diagnostics
from solver.render import SourceText
from solver.render.json_format import render
from solver.report import Summary

DIAGNOSTIC_FIELDS = list(Diagnostic.model_fields)


def test_json_shape(example: Example) -> None:
    data = json.loads(render(example.report, sources=example.sources, color=False))
    assert list(data) == ["version", "diagnostics", "summary", "coverage", "suppressed"]
    assert data["version"] == 1
    assert data["coverage"]["files"] == ["inventory.json"]
    assert data["coverage"]["skipped"] == []
    assert data["summary"] == {
        "errors": 1,
        "warnings": 1,
        "infos": 1,
        "ignored": 2,
        "files": ["inventory.json"],
        "suppressed": 0,
    }
    for item in data["diagnostics"]:
        assert list(item) == DIAGNOSTIC_FIELDS
    first = data["diagnostics"][1]
    assert first["code"] == "INV001"
    assert first["location"] == {
        "file": "inventory.json",
        "line": 10,
        "column": 39,
        "end_line": 10,
        "end_column": 45,
    }
    assert first["related"][0] == {
        "message": "set by tag `dmz`",
        "path": "instances.borg.roles.client.tags.dmz.settings.port",
        "location": {
            "file": "inventory.json",
            "line": 11,
            "column": 36,
            "end_line": None,
            "end_column": None,
        },
    }
    assert first["related"][1]["location"] is None
    assert data["diagnostics"][0]["location"] is None


def test_json_round_trip(example: Example) -> None:
    data = json.loads(render(example.report, sources=example.sources, color=False))
    back = [Diagnostic.model_validate(item) for item in data["diagnostics"]]
    assert back == sort_diagnostics(list(example.report.diagnostics))
    assert Summary.model_validate(data["summary"]) == example.report.summary


def test_json_unicode_and_args() -> None:
    d = Diagnostic(
        code="U",
        severity="warning",
        message="unknown machine «wéb1» 🚀",
        path='machines."wéb1"',
        location=loc(3, 5, 11, file="invéntory.json"),
        args={"name": "wéb1", "candidates": ["web1", "web2"], "count": 2},
    )
    out = render(make_report([d], files=["invéntory.json"]), sources=SourceText(), color=False)
    assert "«wéb1» 🚀" in out and "\\u" not in out
    assert out.endswith("}\n") and '\n  "version": 1,' in out
    data = json.loads(out)
    assert Diagnostic.model_validate(data["diagnostics"][0]) == d


def test_json_deterministic() -> None:
    diags = [unknown_tag(), conflict(), no_machines()]
    report = make_report(diags)
    a = render(report, sources=SourceText(), color=True)
    shuffled = report.model_copy(update={"diagnostics": [*reversed(diags), conflict()]})
    b = render(shuffled, sources=SourceText(), color=False)
    assert a == b
    assert "\x1b" not in a


def test_json_empty() -> None:
    data = json.loads(render(make_report([]), sources=SourceText(), color=False))
    assert data["diagnostics"] == []
    assert data["summary"]["errors"] == 0
