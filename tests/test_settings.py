"""Settings: merged per-machine values and every settings clash (issue 3).

Semantics: docs/semantics.md#settings-merge and docs/semantics.md#the-legacy-shape (legacy
``config``). Each test writes a small inventory to a file, so that both sides
of a finding can be checked for their ``file:line:col``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import solver
from solver.commands.resolve import to_text
from solver.diagnostics import Diagnostic
from solver.report import Report

from .conftest import CORPUS

SELF = {"name": "svc", "input": "self"}  # a module no catalogue knows: freeform settings


def _write(tmp_path: Path, data: dict[str, Any]) -> str:
    path = tmp_path / "inventory.json"
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return str(path)


def _check(tmp_path: Path, data: dict[str, Any]) -> tuple[Report, list[str]]:
    path = _write(tmp_path, data)
    return solver.check(path), Path(path).read_text(encoding="utf-8").splitlines()


def _settings(report: Report, machine: str, instance: str, role: str) -> Any:
    for a in report.resolution.machines[machine].assignments:
        if a.instance == instance and a.role == role:
            return a.settings
    raise AssertionError(f"{machine} holds no {instance}/{role}")


def _codes(report: Report, prefix: str = "") -> list[str]:
    return [d.code for d in report.diagnostics if d.code.startswith(prefix)]


def _only(report: Report, code: str) -> Diagnostic:
    found = [d for d in report.diagnostics if d.code == code]
    assert len(found) == 1, [(d.code, d.message) for d in report.diagnostics]
    return found[0]


def _at(lines: list[str], line: int, col: int) -> str:
    """The text at a 1-based location (to check a location points at the value)."""
    return lines[line - 1][col - 1 :]


MACHINES = {"jon": {"tags": ["laptop"]}, "sara": {"tags": ["laptop"]}, "tim": {}}


# -- merge ----------------------------------------------------------------------------
def test_attrsets_and_declared_lists_merge_across_three_layers(tmp_path: Path) -> None:
    inv = {
        "machines": MACHINES,
        "instances": {
            "borg": {
                "module": {"name": "borgbackup"},
                "roles": {
                    "client": {
                        "settings": {"exclude": ["role"], "destinations": {"a": {"repo": "ra"}}},
                        "machines": {
                            "jon": {
                                "settings": {
                                    "exclude": ["machine"],
                                    "destinations": {"b": {"repo": "rb"}},
                                }
                            }
                        },
                        "tags": {
                            "laptop": {
                                "settings": {
                                    "exclude": ["tag"],
                                    "destinations": {"a": {"rsh": "ssh"}},
                                }
                            },
                            "all": {},
                        },
                    }
                },
            }
        },
    }
    report, _ = _check(tmp_path, inv)
    assert _codes(report) == []
    # listOf concatenates in clan-core's order: tag, machine, role
    assert _settings(report, "jon", "borg", "client") == {
        "exclude": ["tag", "machine", "role"],
        "destinations": {"a": {"repo": "ra", "rsh": "ssh"}, "b": {"repo": "rb"}},
    }
    assert _settings(report, "sara", "borg", "client") == {
        "exclude": ["tag", "role"],
        "destinations": {"a": {"repo": "ra", "rsh": "ssh"}},
    }
    assert _settings(report, "tim", "borg", "client") == {
        "exclude": ["role"],
        "destinations": {"a": {"repo": "ra"}},
    }


def test_freeform_attrsets_merge_and_equal_values_are_fine(tmp_path: Path) -> None:
    inv = {
        "machines": MACHINES,
        "instances": {
            "svc": {
                "module": SELF,
                "roles": {
                    "peer": {
                        "settings": {"timeout": 42, "names": ["x"], "nets": {"a": 1}},
                        "machines": {"jon": {"settings": {"timeout": 42, "nets": {"b": 2}}}},
                        "tags": {"laptop": {"settings": {"names": ["x"], "nets": {"c": {}}}}},
                    }
                },
            }
        },
    }
    report, _ = _check(tmp_path, inv)
    assert _codes(report, "setting") == []
    assert _settings(report, "jon", "svc", "peer") == {
        "timeout": 42,
        "names": ["x"],
        "nets": {"a": 1, "b": 2, "c": {}},
    }


# -- conflicts ------------------------------------------------------------------------
def test_different_scalars_conflict_with_both_locations(tmp_path: Path) -> None:
    inv = {
        "machines": MACHINES,
        "instances": {
            "wg": {
                "module": {"name": "wireguard"},
                "roles": {
                    "controller": {
                        "settings": {"port": 51820, "endpoint": "vpn.example.org"},
                        "machines": {"jon": {"settings": {"port": 51821}}},
                    }
                },
            }
        },
    }
    report, lines = _check(tmp_path, inv)
    d = _only(report, "settings-conflict")
    assert d.severity == "error"
    assert d.message.startswith(
        "The option `clan-core-wireguard.instances.wg.roles.controller.machines.jon.settings"
        ".port' has conflicting definition values: 51821"
    )
    assert (d.instance, d.role, d.machine, d.module) == ("wg", "controller", "jon", "wireguard")
    assert d.path == "instances.wg.roles.controller.machines.jon.settings.port"
    assert d.location is not None
    assert _at(lines, d.location.line, d.location.column).startswith("51821")
    (rel,) = d.related
    assert rel.path == "instances.wg.roles.controller.settings.port"
    assert rel.location is not None
    assert _at(lines, rel.location.line, rel.location.column).startswith("51820")
    assert "51820" in rel.message
    assert d.hint and '"_type": "override", "priority": 50' in d.hint
    # the clashing option is left out of the merged value, the rest is kept
    assert _settings(report, "jon", "wg", "controller") == {"endpoint": "vpn.example.org"}


def test_freeform_lists_must_be_equal(tmp_path: Path) -> None:
    inv = {
        "machines": MACHINES,
        "instances": {
            "svc": {
                "module": SELF,
                "roles": {
                    "peer": {
                        "machines": {"tim": {}},
                        "settings": {"names": ["role"]},
                        "tags": {"laptop": {"settings": {"names": ["tag"]}}},
                    }
                },
            }
        },
    }
    report, lines = _check(tmp_path, inv)
    d = _only(report, "settings-conflict")
    # one finding for the pair of definitions, naming every affected machine
    assert d.args["machines"] == ["jon", "sara"]
    assert "on 2 machines: jon, sara" in d.message
    assert d.path == "instances.svc.roles.peer.tags.laptop.settings.names"
    assert d.related[0].path == "instances.svc.roles.peer.settings.names"
    assert d.location is not None
    assert _at(lines, d.location.line, d.location.column).startswith("[")
    assert _settings(report, "tim", "svc", "peer") == {"names": ["role"]}
    assert _settings(report, "jon", "svc", "peer") == {}


def test_one_finding_per_set_of_sources_in_a_large_role(tmp_path: Path) -> None:
    machines = {f"m{k:03d}": {"tags": ["web"]} for k in range(40)}
    inv = {
        "machines": machines,
        "instances": {
            "svc": {
                "module": SELF,
                "roles": {
                    "peer": {
                        "settings": {"level": 1},
                        "tags": {"web": {"settings": {"level": 2}}},
                    }
                },
            }
        },
    }
    report, _ = _check(tmp_path, inv)
    d = _only(report, "settings-conflict")
    assert len(d.args["machines"]) == 40
    assert "on 40 machines: m000, m001, m002, m003, m004 and 35 more" in d.message


def test_overrides_lowest_priority_number_wins(tmp_path: Path) -> None:
    def ov(prio: int, value: Any) -> dict[str, Any]:
        return {"_type": "override", "priority": prio, "content": value}

    inv = {
        "machines": MACHINES,
        "instances": {
            "wg": {
                "module": {"name": "wireguard"},
                "roles": {
                    "controller": {
                        "settings": {"port": 1, "domain": ov(1000, "role"), "endpoint": "e"},
                        "machines": {
                            "jon": {"settings": {"port": ov(50, 2), "domain": "jon"}},
                            "sara": {"settings": {"port": ov(1000, 3)}},
                        },
                    }
                },
            },
            "borg": {
                "module": {"name": "borgbackup"},
                "roles": {
                    "client": {
                        # only the definitions at the winning priority are merged
                        "settings": {"exclude": ov(1000, ["default"])},
                        "machines": {"jon": {"settings": {"exclude": ["jon"]}}},
                        "tags": {"laptop": {"settings": {"exclude": ["laptop"]}}, "all": {}},
                    }
                },
            },
        },
    }
    report, _ = _check(tmp_path, inv)
    assert _codes(report, "setting") == []
    assert _settings(report, "jon", "wg", "controller") == {
        "port": 2,
        "domain": "jon",
        "endpoint": "e",
    }
    assert _settings(report, "sara", "wg", "controller") == {
        "port": 1,
        "domain": "role",
        "endpoint": "e",
    }
    assert _settings(report, "jon", "borg", "client")["exclude"] == ["laptop", "jon"]
    assert _settings(report, "tim", "borg", "client")["exclude"] == ["default"]


def test_two_overrides_at_the_same_priority_still_conflict(tmp_path: Path) -> None:
    force = {"_type": "override", "priority": 50, "content": 7}
    inv = {
        "machines": MACHINES,
        "instances": {
            "svc": {
                "module": SELF,
                "roles": {
                    "peer": {
                        "settings": {"x": {"_type": "override", "priority": 50, "content": 8}},
                        "machines": {"jon": {"settings": {"x": force}}},
                    }
                },
            }
        },
    }
    report, lines = _check(tmp_path, inv)
    d = _only(report, "settings-conflict")
    assert d.path == "instances.svc.roles.peer.machines.jon.settings.x.content"
    assert d.location is not None
    assert _at(lines, d.location.line, d.location.column).startswith("7")


def test_override_on_a_node_drops_the_other_subtrees(tmp_path: Path) -> None:
    inv = {
        "machines": MACHINES,
        "instances": {
            "svc": {
                "module": SELF,
                "roles": {
                    "peer": {
                        "settings": {
                            "opts": {"_type": "override", "priority": 50, "content": {"a": 1}}
                        },
                        "machines": {"jon": {"settings": {"opts": {"a": 2, "b": 3}}}},
                    }
                },
            }
        },
    }
    report, _ = _check(tmp_path, inv)
    assert _codes(report, "setting") == []
    assert _settings(report, "jon", "svc", "peer") == {"opts": {"a": 1}}


def test_type_clash_attrs_against_scalar(tmp_path: Path) -> None:
    inv = {
        "machines": MACHINES,
        "instances": {
            "svc": {
                "module": SELF,
                "roles": {
                    "peer": {
                        "settings": {"net": 5},
                        "machines": {"jon": {"settings": {"net": {"a": 1}}}},
                        # an empty attribute set is a definition too
                        "tags": {"laptop": {"settings": {"other": {}}}, "all": {}},
                    }
                },
            },
            "svc2": {
                "module": SELF,
                "roles": {
                    "peer": {
                        "settings": {"other": "x"},
                        "tags": {"laptop": {"settings": {"other": {}}}},
                    }
                },
            },
        },
    }
    report, lines = _check(tmp_path, inv)
    found = sorted(
        (d for d in report.diagnostics if d.code == "settings-type-conflict"),
        key=lambda d: d.path,
    )
    assert [d.path for d in found] == [
        "instances.svc.roles.peer.machines.jon.settings.net",
        "instances.svc2.roles.peer.tags.laptop.settings.other",
    ]
    first = found[0]
    assert "conflicting option types" in first.message
    assert first.related[0].path == "instances.svc.roles.peer.settings.net"
    assert first.location is not None and first.related[0].location is not None
    assert _at(lines, first.location.line, first.location.column).startswith("{")
    assert _at(lines, first.related[0].location.line, first.related[0].location.column) == "5"
    assert found[1].args["machines"] == ["jon", "sara"]
    assert _codes(report, "settings-conflict") == []


# -- legacy ---------------------------------------------------------------------------
def test_legacy_instances_share_one_namespace() -> None:
    report = solver.check(os.path.join(CORPUS, "legacy-2024-07-root-inventory.json"))
    assert _codes(report, "setting") == []
    m = "minimal-inventory-machine"
    # expected.md: ["vim"] + ["zed-editor"] (editors) + ["firefox"] + ["chromium"] (browsing)
    want = {"packages": ["vim", "zed-editor", "firefox", "chromium"]}
    assert _settings(report, m, "packages/editors", "default") == want
    assert _settings(report, m, "packages/browsing", "default") == want
    assert _settings(report, m, "single-disk/default", "default") == {"device": "/dev/null"}
    later = solver.check(os.path.join(CORPUS, "legacy-2025-06-root-inventory.json"))
    got = _settings(later, "test-inventory-machine", "packages/browsing", "default")
    assert got == {"packages": ["hello", "chromium"]}  # expected.md: ["hello"] ++ ["chromium"]


def test_legacy_scalars_conflict_across_instances(tmp_path: Path) -> None:
    inv = {
        "machines": {"jon": {}},
        "services": {
            "single-disk": {
                "a": {
                    "roles": {"default": {"machines": ["jon"]}},
                    "config": {"device": "/dev/sda"},
                },
                "b": {
                    "roles": {"default": {"machines": ["jon"], "config": {"device": "/dev/sdb"}}},
                },
            }
        },
    }
    report, lines = _check(tmp_path, inv)
    d = _only(report, "settings-conflict")
    assert d.message.startswith("The option `clan.single-disk.device' has conflicting")
    assert d.path == "services.single-disk.b.roles.default.config.device"
    assert d.related[0].path == "services.single-disk.a.config.device"
    assert d.location is not None and d.related[0].location is not None
    assert _at(lines, d.location.line, d.location.column).startswith('"/dev/sdb"')
    loc = d.related[0].location
    assert _at(lines, loc.line, loc.column).startswith('"/dev/sda"')


# -- unique settings ------------------------------------------------------------------
def test_two_users_instances_creating_root(tmp_path: Path) -> None:
    inv = {
        "machines": MACHINES,
        "instances": {
            "admin": {
                "module": {"name": "users"},
                "roles": {"default": {"tags": {"laptop": {}}, "settings": {"user": "root"}}},
            },
            "root": {  # user defaults to the instance name
                "module": {"name": "users"},
                "roles": {"default": {"tags": {"all": {}}}},
            },
            "alice": {
                "module": {"name": "users"},
                "roles": {"default": {"tags": {"all": {}}}},
            },
        },
    }
    report, lines = _check(tmp_path, inv)
    d = _only(report, "duplicate-setting-across-instances")
    assert d.args["machines"] == ["jon", "sara"]
    assert "instances 'admin' and 'root' of module 'users'" in d.message
    assert '"root"' in d.message
    assert d.path == "instances.root.roles.default"
    assert d.related[0].path == "instances.admin.roles.default.settings.user"
    loc = d.related[0].location
    assert loc is not None and _at(lines, loc.line, loc.column).startswith('"root"')


# -- schema ---------------------------------------------------------------------------
def test_unknown_setting_and_wrong_type_against_the_interface(tmp_path: Path) -> None:
    inv = {
        "machines": MACHINES,
        "instances": {
            "user-jon": {
                "module": {"name": "users"},
                "roles": {
                    "default": {
                        "machines": {"jon": {"settings": {"gorups": ["wheel"]}}},
                        "settings": {"user": "jon", "groups": "wheel"},
                    }
                },
            }
        },
    }
    report, lines = _check(tmp_path, inv)
    unknown = _only(report, "unknown-setting")
    assert unknown.message == (
        "The option `clan-core-users.instances.user-jon.roles.default.machines.jon.settings"
        ".gorups' does not exist."
    )
    assert unknown.path == "instances.user-jon.roles.default.machines.jon.settings.gorups"
    assert unknown.location is not None
    assert _at(lines, unknown.location.line, unknown.location.column).startswith('"gorups"')
    assert unknown.hint and 'did you mean "groups"?' in unknown.hint
    wrong = _only(report, "setting-type")
    assert wrong.message == (
        "A definition for option `clan-core-users.instances.user-jon.roles.default.settings"
        ".groups' is not of type `list of string'"
    )
    assert wrong.location is not None
    assert _at(lines, wrong.location.line, wrong.location.column).startswith('"wheel"')
    # both values are left out of the merged settings
    assert _settings(report, "jon", "user-jon", "default") == {"user": "jon"}


# -- the corpus -----------------------------------------------------------------------
CORPUS_SETTINGS: dict[str, dict[tuple[str, str, str], Any]] = {
    # (machine, instance, role) -> the user-defined values of the .expected.md
    "instances-docs-putting-it-together": {
        ("sally-laptop", "borgbackup", "client"): {"startAt": "*-*-* 02:00:00"},
        ("fred-laptop", "borgbackup", "client"): {"startAt": "*-*-* 02:00:00"},
        ("sally-laptop", "wifi", "default"): {"networks": {"home": {}}},
        ("sally-laptop", "user-sally", "default"): {"user": "sally"},
        ("fred-laptop", "user-fred", "default"): {"user": "fred"},
        ("backup-server", "sshd", "server"): {},
    },
    "instances-wireguard-vmtest": {
        ("ctrl1", "wg-test-one", "controller"): {"endpoint": "192.168.1.1"},
        ("ctrl2", "wg-test-one", "controller"): {"endpoint": "192.168.1.2"},
        ("peer1", "wg-test-one", "peer"): {"controller": "ctrl1"},
        ("peer2", "wg-test-one", "peer"): {"controller": "ctrl2"},
        ("peer3", "wg-test-one", "peer"): {"controller": "ctrl1"},
    },
    "instances-zerotier-vmtest": {
        ("controller", "zerotier", "moon"): {"stableEndpoints": ["192.168.1.1/9993"]},
        ("moon", "zerotier", "moon"): {"stableEndpoints": ["192.168.1.2/9993"]},
        ("controller", "zerotier", "controller"): {},
        ("peer1", "zerotier", "peer"): {},
    },
    "legacy-2025-06-root-inventory": {
        ("test-inventory-machine", "single-disk/default", "default"): {"device": "/dev/null"},
        ("test-inventory-machine", "packages/editors", "default"): {
            "packages": ["hello", "chromium"]
        },
    },
    "legacy-syncthing-example": {
        (m, "syncthing/instance_1", "peer"): {
            "folders": {
                "test": {
                    "path": "~/data/docs",
                    "devices": ["camina_machine", "vyr_machine", "vi_machine"],
                },
                "videos": {"path": "~/data/videos", "devices": ["camina_machine", "vyr_machine"]},
                "playlist": {
                    "path": "~/data/playlist",
                    "devices": ["camina_machine", "vi_machine"],
                },
            }
        }
        for m in ("camina_machine", "vi_machine", "vyr_machine")
    },
}


def test_corpus_settings_match_expected() -> None:
    for name, want in CORPUS_SETTINGS.items():
        report = solver.check(os.path.join(CORPUS, name + ".json"))
        for (m, i, r), value in want.items():
            assert _settings(report, m, i, r) == value, (name, m, i, r)


def test_corpus_has_no_settings_findings_and_resolve_shows_settings() -> None:
    for file in sorted(os.listdir(CORPUS)):
        if not file.endswith(".json") or file.startswith("expected"):
            continue
        report = solver.check(os.path.join(CORPUS, file))
        settings_codes = {
            "settings-conflict",
            "settings-type-conflict",
            "unknown-setting",
            "setting-type",
            "duplicate-setting-across-instances",
        }
        assert [d.code for d in report.diagnostics if d.code in settings_codes] == [], file
        for mres in report.resolution.machines.values():
            for a in mres.assignments:
                assert isinstance(a.settings, dict), (file, mres.name, a.instance)
    report = solver.check(os.path.join(CORPUS, "instances-wireguard-vmtest.json"))
    text = to_text(report, "machine")
    assert '"endpoint": "192.168.1.1"' in text


def test_sshd_server_authorized_keys_is_an_option(tmp_path: Path) -> None:
    """clan-core's default clan template sets `sshd.roles.server.settings.authorizedKeys`;
    a key of the wrong type is still an error."""
    inv = tmp_path / "inventory.json"
    inv.write_text(
        json.dumps(
            {
                "machines": {"web": {}},
                "instances": {
                    "sshd": {
                        "roles": {
                            "server": {
                                "tags": {"all": {}},
                                "settings": {"authorizedKeys": {"admin": "ssh-ed25519 AAAA k"}},
                            },
                            "client": {"machines": {"web": {"settings": {"authorizedKeys": {}}}}},
                        }
                    },
                    "sshd-typo": {
                        "module": {"name": "sshd"},
                        "roles": {"server": {"settings": {"authorizedKeys": {"a": 1}}}},
                    },
                },
            }
        )
    )
    report = solver.check(inv)
    found = sorted(
        (d.code, d.instance, d.role) for d in report.diagnostics if d.severity == "error"
    )
    assert found == [("setting-type", "sshd-typo", "server"), ("unknown-setting", "sshd", "client")]
    (a,) = [x for x in report.resolution.machines["web"].assignments if x.role == "server"]
    assert a.settings == {"authorizedKeys": {"admin": "ssh-ed25519 AAAA k"}}


def test_wireguard_controller_external_peers(tmp_path: Path) -> None:
    """The controller's `ipv4` and `externalPeers` are options; their values are type-checked."""
    inv = tmp_path / "inventory.json"
    peers = {"phone": {"allowInternetAccess": True, "ipv4": {"address": "10.42.1.50/32"}}}
    controller = {
        "endpoint": "vpn.example.com",
        "ipv4": {"enable": True, "address": "10.42.1.1/24"},
        "externalPeers": peers,
    }
    data = {
        "machines": {"nas": {}, "amy": {}},
        "instances": {
            "wg": {
                "module": {"name": "wireguard"},
                "roles": {
                    "controller": {"machines": {"nas": {"settings": controller}}},
                    "peer": {"machines": {"amy": {}}},
                },
            }
        },
    }
    inv.write_text(json.dumps(data))
    assert [d.code for d in solver.check(inv).diagnostics] == []
    peers["phone"]["allowInternetAccess"] = "yes"  # type: ignore[assignment]
    inv.write_text(json.dumps(data))
    (d,) = solver.check(inv).diagnostics
    assert d.code == "setting-type" and d.path.endswith("externalPeers.phone.allowInternetAccess")
