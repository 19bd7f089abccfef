"""Every registered code is produced by at least one input, as a user runs it: one case per
code (an inventory, a clan, a config, a policy), checked with ``check --format json``.
A code added to the registry without a case here fails `test_every_code_has_a_case`."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from solver.cli import cli
from solver.findings import CODES

ROOT = Path(__file__).resolve().parent.parent
CLANS = ROOT / "tests" / "data" / "clans"
FLAKE_HEAD = (
    '{\n  inputs.clan-core.url = "https://git.clan.lol/clan/clan-core/archive/main.tar.gz";\n'
)


@dataclass
class Case:
    """Files to write under a fresh folder, and the arguments of `check` (`{d}` is the
    folder). `patch` runs first, with pytest's monkeypatch."""

    files: dict[str, str | bytes | dict[str, Any]]
    args: list[str] = field(default_factory=lambda: ["{d}/inventory.json"])
    patch: Callable[[pytest.MonkeyPatch], None] | None = None


def inv(data: dict[str, Any]) -> Case:
    return Case({"inventory.json": data})


M = {"a": {}, "b": {}}


def role(**kw: Any) -> dict[str, Any]:
    return kw


def _small_limit(mp: pytest.MonkeyPatch) -> None:
    from solver import files

    mp.setattr(files, "MAX_BYTES", 16)


def _no_nix(mp: pytest.MonkeyPatch) -> None:
    from solver.read import nix_eval

    mp.setattr(nix_eval.shutil, "which", lambda _name: None)


LOCK_WITHOUT_NARHASH = {
    "nodes": {
        "root": {"inputs": {"clan-core": "clan-core"}},
        "clan-core": {
            "locked": {"type": "github", "owner": "clan-lol", "repo": "clan-core", "rev": "0" * 40},
            "original": {"type": "github", "owner": "clan-lol", "repo": "clan-core"},
        },
    },
    "root": "root",
    "version": 7,
}

CASES: dict[str, Case] = {
    # -- reading
    "io-error": Case({}, ["{d}/nope.json"]),
    "encoding": Case({"inventory.json": b'{"machines": {"caf\xe9": {}}}'}),
    "json-syntax": Case({"inventory.json": "{"}),
    "duplicate-key": Case({"inventory.json": '{"machines": {"a": {}, "a": {}}}'}),
    "too-deep": Case({"inventory.json": "[" * 100_000 + "]" * 100_000}),
    "number-range": Case({"inventory.json": '{"machines": {"a": {"installedAt": 1e400}}}'}),
    "input-too-large": Case({"inventory.json": {"machines": M}}, patch=_small_limit),
    "nix-syntax": Case({"flake.nix": FLAKE_HEAD + "  outputs = { ; };\n}\n"}, ["{d}"]),
    "nix-eval": Case({"inv.nix": '{ a = throw "boom"; }\n'}, ["{d}/inv.nix", "--eval"]),
    "nix-missing": Case({"inv.nix": "{ }\n"}, ["{d}/inv.nix", "--eval"], patch=_no_nix),
    "catalogue-error": Case(
        {"inventory.json": {"machines": M}, "cat.toml": "[modules\n"},
        ["{d}/inventory.json", "--modules", "{d}/cat.toml"],
    ),
    "config-error": Case(
        {"inventory.json": {"machines": M}, "c.toml": '[severity]\nempty-role = "loud"\n'},
        ["{d}/inventory.json", "--config", "{d}/c.toml"],
    ),
    # -- schema
    "not-an-inventory": Case({"inventory.json": "[1]"}),
    "unknown-key": inv({"machines": {"a": {"tag": []}}}),
    "wrong-type": inv({"machines": {"a": {"tags": "x"}}}),
    "role-machines-list": inv(
        {"machines": M, "instances": {"sshd": {"roles": {"server": {"machines": ["a"]}}}}}
    ),
    "removed-option": inv(
        {"machines": M, "services": {"sshd": {"s": {"roles": {"server": {"machines": ["a"]}}}}}}
    ),
    # -- references
    "unknown-machine": inv(
        {"machines": M, "instances": {"sshd": {"roles": {"server": {"machines": {"c": {}}}}}}}
    ),
    "unknown-tag": inv(
        {"machines": M, "instances": {"sshd": {"roles": {"server": {"tags": ["nope"]}}}}}
    ),
    "unknown-role": inv(
        {"machines": M, "instances": {"sshd": {"roles": {"servr": {"machines": {"a": {}}}}}}}
    ),
    "unknown-module": inv(
        {
            "machines": M,
            "instances": {"x": {"module": {"name": "borgbakup"}, "roles": {"client": {}}}},
        }
    ),
    "deprecated-module": inv(
        {"machines": M, "instances": {"admin": {"roles": {"default": {"machines": {"a": {}}}}}}}
    ),
    # -- membership
    "legacy-tag-quirk": inv(
        {
            "machines": {"a": {"tags": ["t"]}},
            "services": {"sshd": {"s": {"roles": {"server": {"tags": ["t", "ghost"]}}}}},
        }
    ),
    "empty-role": inv(
        {
            "machines": M,
            "instances": {"sshd": {"roles": {"server": {"machines": {"a": {}}}, "client": {}}}},
        }
    ),
    "empty-instance": inv({"machines": M, "instances": {"sshd": {"roles": {"server": {}}}}}),
    "class-mismatch": inv(
        {
            "machines": {"mac": {"machineClass": "darwin"}},
            "instances": {
                "b": {
                    "module": {"name": "borgbackup"},
                    "roles": {"client": {"machines": {"mac": {}}}},
                }
            },
        }
    ),
    "fanout": Case({}, []),  # needs a lower limit: see test_fanout_is_produced
    # -- constraints
    "max-instances": Case(
        {
            "inventory.json": {
                "machines": M,
                "instances": {
                    "one": {"module": {"name": "svc", "input": "self"}, "roles": {"default": {}}},
                    "two": {"module": {"name": "svc", "input": "self"}, "roles": {"default": {}}},
                },
            },
            "cat.json": {
                "modules": [
                    {"name": "svc", "input": "self", "max_instances": 1, "roles": {"default": {}}}
                ]
            },
        },
        ["{d}/inventory.json", "--modules", "{d}/cat.json"],
    ),
    "min-machines": inv(
        {
            "machines": M,
            "instances": {
                "zt": {"module": {"name": "zerotier"}, "roles": {"peer": {"machines": {"a": {}}}}}
            },
        }
    ),
    "max-machines": inv(
        {
            "machines": M,
            "instances": {
                "zt": {
                    "module": {"name": "zerotier"},
                    "roles": {"controller": {"machines": {"a": {}, "b": {}}}},
                }
            },
        }
    ),
    "single-instance": inv(
        {
            "machines": M,
            "services": {
                "zerotier": {
                    "one": {"roles": {"controller": {"machines": ["a"]}}},
                    "two": {"roles": {"peer": {"machines": ["a"]}}},
                }
            },
        }
    ),
    "incompatible-roles": inv(
        {
            "machines": M,
            "instances": {
                "wg": {
                    "module": {"name": "wireguard"},
                    "roles": {"controller": {"machines": {"a": {}}}, "peer": {"tags": ["all"]}},
                }
            },
        }
    ),
    # -- settings
    "settings-conflict": inv(
        {
            "machines": M,
            "instances": {
                "sshd": {
                    "roles": {
                        "server": {
                            "settings": {"hostKeys": {"rsa": {"enable": True}}},
                            "machines": {
                                "a": {"settings": {"hostKeys": {"rsa": {"enable": False}}}}
                            },
                        }
                    }
                }
            },
        }
    ),
    "settings-type-conflict": inv(
        {
            "machines": M,
            "instances": {
                "svc": {
                    "module": {"name": "svc", "input": "self"},
                    "roles": {
                        "peer": {
                            "settings": {"net": 5},
                            "machines": {"a": {"settings": {"net": {"x": 1}}}},
                        }
                    },
                }
            },
        }
    ),
    "priority-range": inv(
        {
            "machines": M,
            "instances": {
                "sshd": {
                    "roles": {
                        "server": {
                            "machines": {"a": {}},
                            "settings": {
                                "hostKeys": {
                                    "_type": "override",
                                    "priority": 10**12,
                                    "content": {},
                                }
                            },
                        }
                    }
                }
            },
        }
    ),
    "unknown-setting": inv(
        {
            "machines": M,
            "instances": {
                "sshd": {"roles": {"server": {"machines": {"a": {}}, "settings": {"bogus": 1}}}}
            },
        }
    ),
    "setting-type": inv(
        {
            "machines": M,
            "instances": {
                "sshd": {
                    "roles": {
                        "server": {
                            "machines": {"a": {}},
                            "settings": {"hostKeys": {"rsa": {"enable": "yes"}}},
                        }
                    }
                }
            },
        }
    ),
    "duplicate-setting-across-instances": inv(
        {
            "machines": M,
            "instances": {
                "u1": {
                    "module": {"name": "users"},
                    "roles": {"default": {"machines": {"a": {}}, "settings": {"user": "alice"}}},
                },
                "u2": {
                    "module": {"name": "users"},
                    "roles": {"default": {"machines": {"a": {}}, "settings": {"user": "alice"}}},
                },
            },
        }
    ),
    # -- sources
    "catalogue-source": Case(
        {"inventory.json": {"machines": M}, "flake.lock": LOCK_WITHOUT_NARHASH, ".git/x": ""}
    ),
    "conflicting-definition": Case({}, [str(CLANS / "conflict")]),
    "duplicate-definition": Case({}, [str(CLANS / "conflict")]),
    "duplicate-attribute": Case(
        {
            "flake.nix": FLAKE_HEAD + "  outputs = { clan-core, ... }: {\n"
            "    clan = clan-core.lib.clan {\n"
            "      inventory = import ./inv.nix;\n"
            "      inventory.machines.b = { };\n"
            "    };\n  };\n}\n",
            "inv.nix": "{ machines.a = { }; }\n",
        },
        ["{d}"],
    ),
    "clan-not-found": Case(
        {"flake.nix": "{ outputs = _: { }; }\n", "inventory.json": {"machines": M}}, ["{d}"]
    ),
    "clan-not-read": Case(
        {
            "flake.nix": FLAKE_HEAD + "  outputs = { self, clan-core, ... }: {\n"
            "    clan = clan-core.lib.clan (import ./mk-clan.nix { inherit self; });\n  };\n}\n",
            "mk-clan.nix": "{ self }: builtins.fromJSON (builtins.readFile ./c.json)\n",
        },
        ["{d}"],
    ),
    "local-module": Case(
        {
            "flake.nix": FLAKE_HEAD + "  outputs = { self, clan-core, ... }: {\n"
            "    clan = clan-core.lib.clan {\n"
            "      inherit self;\n"
            "      modules.motd = {\n"
            '        _class = "clan.service";\n'
            '        manifest.name = "motd";\n'
            "        manifest.constraints.roles.default.minMachines = -1;\n"
            "        roles.default = { };\n"
            "      };\n"
            "      inventory.machines.a = { };\n"
            "    };\n  };\n}\n",
        },
        ["{d}"],
    ),
    "opaque-value": Case({}, [str(CLANS / "opaque")]),
    "file-not-read": Case(
        {
            "clan/flake.nix": FLAKE_HEAD + "  outputs = { clan-core, ... }: {\n"
            "    clan = clan-core.lib.clan { inventory = import ../outside.nix; };\n  };\n}\n",
            "clan/.git/x": "",
            "outside.nix": "{ machines.a = { }; }\n",
        },
        ["{d}/clan"],
    ),
    # -- policies
    "unused-ignore": Case(
        {
            "inventory.json": {"machines": M},
            "c.toml": '[[ignore]]\ncode = "empty-role"\nreason = "gone"\n',
        },
        ["{d}/inventory.json", "--config", "{d}/c.toml"],
    ),
    "invalid-suppression": Case(
        {
            "clan.nix": "{\n  inventory.machines.jon = { };\n"
            "  inventory.instances.sshd.roles.server.machines.ghost = { };"
            " # inventory-solver: ignore[unknown-machine]\n}\n",
        },
        ["{d}"],
    ),
    "unknown-code": Case(
        {"inventory.json": {"machines": M}}, ["{d}/inventory.json", "--select", "unknown-machien"]
    ),
    "policy": Case(
        {
            "inventory.json": {"machines": M},
            "p.lp": 'violation("no-machines", error, "{} exists", (M,)) :- machine(M).\n',
        },
        ["{d}/inventory.json", "--rules", "{d}/p.lp"],
    ),
    "policy-error": Case(
        {"inventory.json": {"machines": M}, "p.lp": "violation(:- .\n"},
        ["{d}/inventory.json", "--rules", "{d}/p.lp"],
    ),
}


# Findings made by the readers (not by the rules) whose severity is written where they are
# made and differs from the registry's default: to be settled in one place.
SEVERITY_AT_THE_CALL: dict[str, str] = {}  # codes whose severity the input decides


def write(d: Path, files: dict[str, str | bytes | dict[str, Any]]) -> None:
    for name, content in files.items():
        p = d / name
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        elif isinstance(content, dict):
            p.write_text(json.dumps(content), encoding="utf-8")
        else:
            p.write_text(content, encoding="utf-8")


def codes_of(case: Case, tmp_path: Path, mp: pytest.MonkeyPatch) -> dict[str, str]:
    """code -> severity of the findings `check` reports for `case`."""
    d = tmp_path / "case"
    d.mkdir()
    write(d, case.files)
    mp.chdir(d)
    mp.setenv("INVENTORY_SOLVER_CACHE_DIR", str(tmp_path / "cache"))
    mp.setenv("INVENTORY_SOLVER_NIX_STORE", str(tmp_path / "store"))
    if case.patch is not None:
        case.patch(mp)
    args = [a.replace("{d}", str(d)) for a in case.args]
    r = CliRunner().invoke(cli, ["check", *args, "--format", "json", "--no-cache"])
    assert r.exit_code in (0, 1, 2), r.output
    report = json.loads(r.stdout)
    return {x["code"]: x["severity"] for x in report["diagnostics"]}


def test_every_code_has_a_case() -> None:
    assert sorted(set(CODES) - set(CASES)) == [], "add a case for every new code"
    assert sorted(set(CASES) - set(CODES)) == []


@pytest.mark.parametrize("code", [c for c in CASES if c != "fanout"])
def test_code_is_produced(code: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if code == "nix-eval" and shutil.which("nix") is None:
        pytest.skip("nix is not installed")
    found = codes_of(CASES[code], tmp_path, monkeypatch)
    if code == "policy":  # a policy finding carries the policy's own code
        found = {("policy" if c not in CODES else c): s for c, s in found.items()}
    assert code in found, f"{code} not produced; got {sorted(found)}"
    assert found[code] == SEVERITY_AT_THE_CALL.get(code, CODES[code].severity)


def test_fanout_is_produced() -> None:
    from solver.api import Options, run
    from solver.read import Loaded

    data = {
        "machines": {f"m{i}": {} for i in range(20)},
        "instances": {f"i{n}": {"roles": {"server": {"tags": ["all"]}}} for n in range(10)},
    }
    report = run(Loaded(data=data), Options(resolve=False, fanout_limit=150))
    assert "fanout" in {d.code for d in report.diagnostics}
