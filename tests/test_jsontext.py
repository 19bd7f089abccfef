"""JSON outputs are written by orjson where it can, by the standard library where not:
the text is the same either way (solver/render/jsontext.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from solver.api import check
from solver.cli import cli
from solver.commands.resolve import to_data
from solver.render.jsontext import dumps

ROOT = Path(__file__).resolve().parent.parent
INVENTORIES = sorted((ROOT / "tests" / "data" / "corpus").rglob("*.json"))[:40]


def _stdlib(data: object) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"


@pytest.mark.parametrize("path", INVENTORIES, ids=lambda p: p.parent.name + "/" + p.name)
def test_same_text_as_the_standard_library(path: Path) -> None:
    from solver.errors import InputError

    try:
        report = check(path)
    except InputError:
        pytest.skip("not a usable inventory")
    data = to_data(report)
    assert dumps(data) == _stdlib(data)
    for machine in data["machines"].values():  # `resolve --by machine` and `explain`
        for a in machine["assignments"]:
            want = json.dumps(a["settings"], indent=2, sort_keys=True, ensure_ascii=False)
            assert dumps(a["settings"], sort_keys=True, newline=False) == want


def test_values_orjson_cannot_write_fall_back(tmp_path: Path) -> None:
    """A value beyond 64 bits (data handed to the library; a file holding one is a
    number-range error, as in Nix) comes out exactly as the standard library writes it."""
    data = {"settings": {"big": 123456789012345678901234567890, "ok": [1, "é"]}}
    assert dumps(data) == _stdlib(data)
    inv = tmp_path / "inventory.json"
    inv.write_text(
        '{"machines": {"a": {}}, "instances": {"x": {"module": {"name": "my-own"}, "roles": '
        '{"server": {"machines": {"a": {}}, "settings": {"big": 123456789012345678901234567890'
        "}}}}}}"
    )
    out = CliRunner().invoke(cli, ["resolve", str(inv), "--no-cache", "--format", "json"])
    assert out.exit_code == 2
    assert "number-range" in out.output


def test_lone_surrogate_from_library_data() -> None:
    """The reader rejects them in files; data handed to the library (or a file name that
    is not UTF-8) may still hold one: it is written as an escape, so the text is UTF-8."""
    data = {"odd": "\ud800", "name": "b\udcff", "ok": [1.5, None, True], "b": {"é": 1, "a": 2}}
    text = dumps(data)
    text.encode("utf-8")  # always writable
    back = json.loads(text)
    assert back["odd"] == "\\ud800" and back["name"] == "b\\xff"
    clean = {k: v for k, v in data.items() if k not in ("odd", "name")}
    assert {k: back[k] for k in clean} == clean
    sorted_text = dumps(data, sort_keys=True, newline=False)
    assert json.loads(sorted_text) == back and list(json.loads(sorted_text)) == sorted(back)
