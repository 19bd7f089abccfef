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
    """A settings value beyond 64 bits (valid JSON, beyond orjson) comes out exactly as
    the standard library writes it."""
    inv = tmp_path / "inventory.json"
    inv.write_text(
        '{"machines": {"a": {}}, "instances": {"x": {"module": {"name": "my-own"}, "roles": '
        '{"server": {"machines": {"a": {}}, "settings": {"big": 123456789012345678901234567890'
        "}}}}}}"
    )
    out = CliRunner().invoke(cli, ["resolve", str(inv), "--no-cache", "--format", "json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    (assignment,) = data["machines"]["a"]["assignments"]
    assert assignment["settings"]["big"] == 123456789012345678901234567890
    assert out.output == _stdlib(data)


def test_lone_surrogate_from_library_data() -> None:
    """The reader rejects them in files; data handed to the library may still hold one."""
    data = {"odd": "\ud800", "ok": [1.5, None, True], "b": {"é": 1, "a": 2}}
    assert dumps(data) == _stdlib(data)
    want = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False)
    assert dumps(data, sort_keys=True, newline=False) == want
