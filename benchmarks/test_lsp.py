"""The language server's latency (issue 17): from `didChange` to `publishDiagnostics` for a
30-machine clan (the "precommit" size: 30 machines, 40 instances), with the server warm.
Target: 200 ms. A clan written as `inventory.json` and the same clan written in Nix
(`clan.nix` beside a `flake.nix`).

    pytest benchmarks/test_lsp.py --benchmark-enable
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from benchmarks.generate import SIZES, generate

pytest.importorskip("pygls")

from tests.lspclient import Client

FLAKE = """{
  inputs.clan-core.url = "github:clan/clan-core";
  outputs = { clan-core, ... }: let
    clan = clan-core.lib.clan { self = ./.; imports = [ ./clan.nix ]; };
  in { inherit (clan.config) nixosConfigurations; };
}
"""


def to_nix(value: Any, indent: str = "") -> str:
    """`value` written as a Nix expression (attribute names quoted when needed)."""
    inner = indent + "  "
    if isinstance(value, dict):
        if not value:
            return "{ }"
        parts = []
        for k, v in value.items():
            key = k if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_'-]*", k) else json.dumps(k)
            parts.append(f"{inner}{key} = {to_nix(v, inner)};")
        return "{\n" + "\n".join(parts) + f"\n{indent}}}"
    if isinstance(value, list):
        return "[ " + " ".join(to_nix(v, inner) for v in value) + " ]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return json.dumps(value)


def texts(kind: str) -> tuple[str, str]:
    """Two versions of the clan's main file: the generated one, and one with an instance
    naming a machine that does not exist (one more finding)."""
    n, m = SIZES["precommit"]
    inv = generate(n, m, seed=0)
    broken = json.loads(json.dumps(inv))
    broken.setdefault("instances", {})["bench-typo"] = {
        "module": {"name": "sshd"},
        "roles": {"server": {"machines": {"no-such-machine": {}}}},
    }
    if kind == "json":
        return json.dumps(inv, indent=2), json.dumps(broken, indent=2)
    return (
        "{\n  inventory = " + to_nix(inv, "  ") + ";\n}\n",
        "{\n  inventory = " + to_nix(broken, "  ") + ";\n}\n",
    )


@pytest.fixture(params=["json", "nix"])
def editor(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[Client, str, tuple[str, str]]]:
    kind = request.param
    (tmp_path / ".git").mkdir()
    good, bad = texts(kind)
    if kind == "json":
        main = tmp_path / "inventory.json"
    else:
        (tmp_path / "flake.nix").write_text(FLAKE)
        main = tmp_path / "clan.nix"
    main.write_text(good)
    client = Client(tmp_path)
    try:
        client.initialize(tmp_path)
        uri = client.open(main, good, kind)
        client.diagnostics(uri, timeout=60)
        yield client, uri, (good, bad)
        client.close()
    finally:
        client.kill()


def test_did_change_to_publish_diagnostics(
    benchmark: Any, editor: tuple[Client, str, tuple[str, str]]
) -> None:
    client, uri, (good, bad) = editor
    state = {"version": 1}
    seen: dict[bool, set[frozenset[str]]] = {}

    def edit() -> int:
        state["version"] += 1
        text = bad if state["version"] % 2 == 0 else good
        client.change(uri, text, state["version"])
        diags = client.diagnostics(uri)
        seen.setdefault(text is bad, set()).add(frozenset(d["message"] for d in diags))
        return len(diags)

    def quiet() -> None:
        time.sleep(0.2)  # a pause between edits: each is checked at once, not debounced

    benchmark.group = "lsp didChange -> publishDiagnostics (30 machines)"
    benchmark.pedantic(edit, setup=quiet, rounds=20, iterations=1, warmup_rounds=2)
    # every edit is answered with the findings of its own text
    assert len(seen[True]) == len(seen[False]) == 1
    assert seen[True] != seen[False]
