"""Facts of the built-in catalogue that public clans tripped over (each checked against
clan-core d7c35d912, the vendored snapshot): options they set must be known, and the
machine classes a service supports must be what clan-core builds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from solver.api import check


def inventory(tmp_path: Path, data: dict[str, Any]) -> Path:
    p = tmp_path / "inventory.json"
    p.write_text(json.dumps(data))
    return p


def test_wifi_network_key_management_is_an_option(tmp_path: Path) -> None:
    inst = {
        "module": {"name": "wifi"},
        "roles": {
            "default": {
                "machines": {"a": {}},
                "settings": {"networks": {"home": {"keyMgmt": "sae", "autoConnect": True}}},
            }
        },
    }
    p = inventory(tmp_path, {"machines": {"a": {}}, "instances": {"wifi": inst}})
    assert [d.code for d in check(p).diagnostics] == []
    inst["roles"]["default"]["settings"]["networks"]["home"]["keyMgmt"] = 3  # type: ignore[index]
    p = inventory(tmp_path, {"machines": {"a": {}}, "instances": {"wifi": inst}})
    assert [d.code for d in check(p).diagnostics] == ["setting-type"]


def test_a_darwin_machine_gets_nothing_of_a_nixos_only_service(tmp_path: Path) -> None:
    """trusted-nix-caches has no darwinModule: a darwin machine reached through `all` is
    told (warning); wireguard has one: no finding for a darwin peer named explicitly."""
    p = inventory(
        tmp_path,
        {
            "machines": {"mac": {"machineClass": "darwin"}, "pc": {}},
            "instances": {
                "caches": {
                    "module": {"name": "trusted-nix-caches"},
                    "roles": {"default": {"tags": {"all": {}}}},
                },
                "wg": {
                    "module": {"name": "wireguard"},
                    "roles": {
                        "controller": {"machines": {"pc": {}}},
                        "peer": {"machines": {"mac": {}}},
                    },
                },
            },
        },
    )
    found = [(d.code, d.severity, d.message) for d in check(p).diagnostics]
    assert [(c, s) for c, s, _ in found] == [("class-mismatch", "warning")]
    assert "instance 'caches'" in found[0][2]
