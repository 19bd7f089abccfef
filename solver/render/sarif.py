"""``--format sarif``: a SARIF 2.1.0 log with one run, for GitHub code scanning and others.

The log validates against the official OASIS schema (``tests/render`` checks it) and has
the fields GitHub asks for: rules with descriptions and help, ``columnKind``, regions with
start and end, related locations and ``partialFingerprints``. Every result also carries
the inventory path as a logical location. Regions use 1-based lines and code-point
columns with an exclusive ``endColumn``, as SARIF does.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from importlib import metadata
from typing import Any
from urllib.parse import quote

from solver.diagnostics import Diagnostic, Related, sort_diagnostics
from solver.location import Location
from solver.render import CodeInfo, SourceText
from solver.render.jsontext import dumps
from solver.report import Report, Suppressed

TOOL_NAME = "inventory-solver"
DIST_NAME = "inventory-solver"
SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
FALLBACK_VERSION = "0+unknown"
FALLBACK_INFORMATION_URI = "https://pypi.org/project/inventory-solver/"
FINGERPRINT_KEY = "inventorySolver/v1"
LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def tool_version() -> str:
    try:
        return metadata.version(DIST_NAME)
    except metadata.PackageNotFoundError:
        return FALLBACK_VERSION


def information_uri() -> str:
    """The project's home page from its metadata, else its PyPI page."""
    try:
        urls: list[str] = [
            str(u) for u in metadata.metadata(DIST_NAME).get_all("Project-URL") or []
        ]
    except metadata.PackageNotFoundError:
        urls = []
    for entry in urls:
        url = entry.partition(",")[2].strip()
        if url.startswith(("https://", "http://")):
            return url
    return FALLBACK_INFORMATION_URI


def fingerprint(d: Diagnostic) -> str:
    """A hash of code, path and message: stable when lines move."""
    data = "\0".join((d.code, d.path, d.message)).encode("utf-8", "surrogateescape")
    return hashlib.sha256(data).hexdigest()[:32]


def artifact_uri(file: str) -> str:
    """A relative URI reference for `file` (relative to the current directory if absolute)."""
    path = file
    if os.path.isabs(path):
        try:
            rel = os.path.relpath(path)
        except ValueError:
            rel = None
        if rel is None or rel.startswith(".."):
            return "file://" + _quote(path)
        path = rel
    return _quote(path)


def _quote(path: str) -> str:
    # a name that is not UTF-8 (surrogateescape) is percent-encoded byte for byte
    return quote(path.replace(os.sep, "/"), safe="/", errors="surrogateescape")


def message_text(text: str) -> str:
    """`text` for a SARIF message: viewers render ``[text](url)`` (and ``[text](1)``, a
    link to a related location) in plain-text messages, so brackets from the input are
    escaped (``\\[``, as SARIF §3.11.6 provides) and a name cannot plant a link."""
    return text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")


def _region(loc: Location) -> dict[str, int]:
    region = {"startLine": max(loc.line, 1), "startColumn": max(loc.column, 1)}
    end_line = loc.end_line if loc.end_line is not None else loc.line
    if loc.end_line is not None:
        region["endLine"] = max(end_line, region["startLine"])
    if loc.end_column is not None:
        region["endLine"] = max(end_line, region["startLine"])
        region["endColumn"] = max(loc.end_column, 1)
    return region


def _physical(loc: Location) -> dict[str, Any]:
    return {"artifactLocation": {"uri": artifact_uri(loc.file)}, "region": _region(loc)}


def _logical(path: str) -> list[dict[str, str]]:
    return [{"fullyQualifiedName": path or "<inventory>"}]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _rule(
    code: str, diags: list[Diagnostic], codes: Mapping[str, CodeInfo] | None
) -> dict[str, Any]:
    info = codes.get(code) if codes is not None else None
    first = diags[0]
    if info is not None:
        title = info.title or code
        description = info.description or title
        help_text = info.hint or description
        severity = info.severity
        name = _slug(title) or code
    else:
        title = code
        description = first.message
        help_text = next((d.hint for d in diags if d.hint), None) or description
        severity = first.severity
        name = code
    return {
        "id": code,
        "name": name,
        "shortDescription": {"text": title},
        "fullDescription": {"text": description},
        "help": {"text": help_text},
        "defaultConfiguration": {"level": LEVEL.get(severity, "warning")},
    }


def _related(i: int, rel: Related) -> dict[str, Any]:
    out: dict[str, Any] = {"id": i, "message": {"text": message_text(rel.message)}}
    if rel.location is not None:
        out["physicalLocation"] = _physical(rel.location)
    if rel.path:
        out["logicalLocations"] = _logical(rel.path)
    return out


def _result(d: Diagnostic, rule_index: int, default_file: str | None) -> dict[str, Any]:
    text = d.message if not d.hint else f"{d.message}\nhelp: {d.hint}"
    location: dict[str, Any] = {}
    if d.location is not None:
        location["physicalLocation"] = _physical(d.location)
    elif default_file is not None:
        location["physicalLocation"] = {"artifactLocation": {"uri": artifact_uri(default_file)}}
    location["logicalLocations"] = _logical(d.path)
    result: dict[str, Any] = {
        "ruleId": d.code,
        "ruleIndex": rule_index,
        "level": LEVEL.get(d.severity, "warning"),
        "message": {"text": message_text(text)},
        "locations": [location],
    }
    if d.related:
        result["relatedLocations"] = [_related(i, rel) for i, rel in enumerate(d.related, 1)]
    result["partialFingerprints"] = {FINGERPRINT_KEY: fingerprint(d)}
    props: dict[str, Any] = {"inventoryPath": d.path}
    for key in ("instance", "role", "machine", "module", "tag", "clan_id"):
        value = getattr(d, key)
        if value is not None:
            props[key] = value
    result["properties"] = props
    return result


def _suppressed(s: Suppressed, rule_index: int, default_file: str | None) -> dict[str, Any]:
    """A suppressed finding: a result with a ``suppressions`` entry (kind ``inSource``, the
    comment's reason as justification and its location)."""
    result = _result(s.diagnostic, rule_index, default_file)
    result["suppressions"] = [
        {
            "kind": s.kind,
            "status": "accepted",
            "justification": s.reason,
            "location": {"physicalLocation": _physical(s.location)},
        }
    ]
    return result


def to_data(report: Report, codes: Mapping[str, CodeInfo] | None = None) -> dict[str, Any]:
    """The SARIF log as plain Python data."""
    diags = sort_diagnostics(list(report.diagnostics))
    suppressed = sorted(report.suppressed, key=lambda s: (s.diagnostic.sort_key(), str(s.location)))
    by_code: dict[str, list[Diagnostic]] = {}
    for d in [*diags, *(s.diagnostic for s in suppressed)]:
        by_code.setdefault(d.code, []).append(d)
    order = sorted(by_code)
    rules = [_rule(code, by_code[code], codes) for code in order]
    index = {code: i for i, code in enumerate(order)}
    files = report.summary.files
    default_file = files[0] if len(files) == 1 else None
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": TOOL_NAME,
                "version": tool_version(),
                "informationUri": information_uri(),
                "rules": rules,
            }
        },
        "columnKind": "unicodeCodePoints",
        "results": [_result(d, index[d.code], default_file) for d in diags]
        + [_suppressed(s, index[s.diagnostic.code], default_file) for s in suppressed],
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render(
    report: Report,
    *,
    sources: SourceText,
    color: bool,
    codes: Mapping[str, CodeInfo] | None = None,
) -> str:
    return dumps(to_data(report, codes), default=str)
