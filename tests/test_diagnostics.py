"""One small inventory per diagnostic code: the code, its path and its line."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

import solver
from solver.diagnostics import Diagnostic
from solver.errors import InputError


def run(tmp_path: Path, text: str, **kw: object) -> list[Diagnostic]:
    f = tmp_path / "inventory.json"
    f.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return solver.check(str(f), **kw).diagnostics  # type: ignore[arg-type]


def only(diags: list[Diagnostic], code: str) -> Diagnostic:
    hits = [d for d in diags if d.code == code]
    assert len(hits) == 1, [(d.code, d.path) for d in diags]
    return hits[0]


def where(d: Diagnostic) -> tuple[int, int]:
    assert d.location is not None
    return d.location.line, d.location.column


def test_unknown_machine(tmp_path: Path) -> None:
    diags = run(
        tmp_path,
        """
        {
          "machines": {"jon": {}, "sara": {}},
          "instances": {
            "sshd": {"roles": {"server": {"machines": {"jon": {}, "sarah": {}}}}}
          }
        }
        """,
    )
    d = only(diags, "unknown-machine")
    assert d.severity == "error"
    assert d.path == "instances.sshd.roles.server.machines.sarah"
    assert where(d) == (4, 59)
    # the fix `inventory-solver fix` applies, said without running the repair
    assert (
        d.hint
        == "did you mean the machine \"sara\"? (fix: rename to 'sara'; run `inventory-solver fix`)"
    )
    assert d.machine == "sarah" and d.instance == "sshd" and d.role == "server"


def test_unknown_machine_that_is_a_tag(tmp_path: Path) -> None:
    diags = run(
        tmp_path,
        """
        {
          "machines": {"jon": {}},
          "instances": {"sshd": {"roles": {"server": {"machines": {"all": {}}}}}}
        }
        """,
    )
    d = only(diags, "unknown-machine")
    assert d.hint == (
        '"all" is a tag, not a machine; use roles.server.tags.all '
        "(fix: move it to the role's tags; run `inventory-solver fix`)"
    )


def test_unknown_tag_has_clan_wording_and_available_tags(tmp_path: Path) -> None:
    diags = run(
        tmp_path,
        """
        {
          "machines": {"jon": {"tags": ["backup"]}},
          "instances": {
            "borgbackup": {"roles": {"client": {"tags": ["backups"]}, "server": {"machines": {"jon": {}}}}}
          }
        }
        """,
    )
    d = only(diags, "unknown-tag")
    assert d.severity == "warning"
    assert (
        d.message
        == "Service instance 'borgbackup': - client tags: no machine with tag 'backups' found."
    )
    assert d.path == "instances.borgbackup.roles.client.tags[0]"
    assert where(d) == (4, 50)
    assert d.hint is not None and 'did you mean the tag "backup"?' in d.hint
    assert 'Available tags: ["all","backup","nixos"]' in d.hint


def test_unknown_role(tmp_path: Path) -> None:
    diags = run(
        tmp_path,
        """
        {
          "machines": {"jon": {}},
          "instances": {
            "borgbackup": {
              "roles": {
                "clients": {"machines": {"jon": {}}}
              }
            }
          }
        }
        """,
    )
    d = only(diags, "unknown-role")
    assert d.path == "instances.borgbackup.roles.clients"
    assert where(d) == (6, 9)
    assert d.message.startswith(
        "Instance: 'instances.borgbackup' uses the following roles: [\"clients\"]"
    )
    assert 'only defines roles: ["client","server"]' in d.message
    assert (
        d.hint
        == "did you mean the role \"client\"? (fix: rename to 'client'; run `inventory-solver fix`)"
    )


def test_unknown_module_clan_core(tmp_path: Path) -> None:
    diags = run(
        tmp_path,
        """
        {
          "machines": {"jon": {}},
          "instances": {
            "backup": {
              "module": {"name": "borgbakup"},
              "roles": {"client": {"machines": {"jon": {}}}}
            }
          }
        }
        """,
    )
    d = only(diags, "unknown-module")
    assert d.severity == "error"
    assert d.message == "clan-core doesn't provide clan-module with name 'borgbakup'."
    assert d.path == "instances.backup.module.name"
    assert where(d) == (5, 26)
    assert d.hint == (
        "did you mean the module \"borgbackup\"? (fix: rename to 'borgbackup'; run `inventory-solver fix`)"
    )


def test_unknown_module_defaults_to_instance_name(tmp_path: Path) -> None:
    diags = run(
        tmp_path,
        """
        {
          "machines": {"jon": {}},
          "instances": {"my-thing": {"roles": {"default": {"machines": {"jon": {}}}}}}
        }
        """,
    )
    d = only(diags, "unknown-module")
    assert d.path == "instances.my-thing"
    assert where(d) == (3, 17)


def test_unknown_module_is_still_resolved(tmp_path: Path) -> None:
    f = tmp_path / "i.json"
    f.write_text(
        json.dumps(
            {
                "machines": {"a": {}},
                "instances": {
                    "x": {
                        "module": {"name": "x", "input": "self"},
                        "roles": {"r": {"machines": {"a": {}}}},
                    }
                },
            }
        )
    )
    report = solver.check(str(f))
    assert report.resolution.instances["x"].roles["r"].members == ["a"]


def test_empty_role_and_empty_instance(tmp_path: Path) -> None:
    diags = run(
        tmp_path,
        """
        {
          "machines": {"jon": {}},
          "instances": {
            "sshd": {"roles": {"server": {"machines": {"jon": {}}}, "client": {}}},
            "hello-world": {"roles": {"morning": {"tags": []}}}
          }
        }
        """,
    )
    role = only(diags, "empty-role")
    assert role.path == "instances.sshd.roles.client"
    assert where(role) == (4, 61)
    inst = only(diags, "empty-instance")
    assert inst.path == "instances.hello-world"
    assert where(inst) == (5, 5)


def test_max_and_min_machines(tmp_path: Path) -> None:
    diags = run(
        tmp_path,
        """
        {
          "machines": {"a": {}, "b": {}},
          "instances": {
            "zerotier": {
              "roles": {
                "moon": {"machines": {"a": {}}}
              }
            },
            "zt": {
              "module": {"name": "zerotier"},
              "roles": {"controller": {"machines": {"a": {}, "b": {}}}}
            }
          }
        }
        """,
    )
    mn = only(diags, "min-machines")
    assert mn.clan_id == "clan-core/zerotier-zerotier-controller-minMachines"
    assert mn.path == "instances.zerotier.roles"
    assert where(mn) == (5, 7)
    mx = only(diags, "max-machines")
    assert mx.clan_id == "clan-core/zerotier-zt-controller-maxMachines"
    assert mx.path == "instances.zt.roles.controller"
    assert where(mx) == (11, 17)


def test_max_instances(tmp_path: Path) -> None:
    cat = tmp_path / "cat.json"
    cat.write_text(
        json.dumps(
            {
                "modules": [
                    {"name": "svc", "input": "self", "max_instances": 1, "roles": {"default": {}}}
                ]
            }
        )
    )
    diags = run(
        tmp_path,
        """
        {
          "machines": {"a": {}},
          "instances": {
            "one": {"module": {"name": "svc", "input": "self"}, "roles": {"default": {"machines": {"a": {}}}}},
            "two": {"module": {"name": "svc", "input": "self"}, "roles": {"default": {}}}
          }
        }
        """,
        modules=[str(cat)],
    )
    d = only(diags, "max-instances")
    assert d.clan_id == "svc-maxInstances"
    assert d.path == "instances.two"
    assert where(d) == (5, 5)
    assert [r.path for r in d.related] == ["instances.one"]


def test_single_instance_per_machine_legacy_zerotier(tmp_path: Path) -> None:
    diags = run(
        tmp_path,
        """
        {
          "machines": {"a": {}},
          "services": {
            "zerotier": {
              "one": {"roles": {"controller": {"machines": ["a"]}}},
              "two": {"roles": {"peer": {"machines": ["a"]}}}
            }
          }
        }
        """,
    )
    d = only(diags, "single-instance")
    assert d.severity == "error"
    assert d.machine == "a"
    assert d.path == "services.zerotier.two.roles.peer.machines[0]"
    assert where(d) == (6, 47)
    assert [r.path for r in d.related] == ["services.zerotier.one.roles.controller.machines[0]"]


def test_incompatible_roles_wireguard(tmp_path: Path) -> None:
    diags = run(
        tmp_path,
        """
        {
          "machines": {"a": {}, "b": {}},
          "instances": {
            "wg": {
              "module": {"name": "wireguard"},
              "roles": {
                "controller": {"machines": {"a": {}}},
                "peer": {"tags": ["all"]}
              }
            }
          }
        }
        """,
    )
    d = only(diags, "incompatible-roles")
    assert d.machine == "a" and d.instance == "wg"
    assert d.message.startswith(
        "Machine 'a' cannot have both 'controller' and 'peer' roles in the wireguard instance 'wg'."
    )
    assert d.path == "instances.wg.roles.peer.tags[0]"
    assert where(d) == (8, 27)
    assert [r.path for r in d.related] == ["instances.wg.roles.controller.machines.a"]


def test_class_mismatch_explicit_is_error_tag_is_warning(tmp_path: Path) -> None:
    diags = run(
        tmp_path,
        """
        {
          "machines": {"mac": {"machineClass": "darwin"}, "pc": {}},
          "instances": {
            "zerotier": {"roles": {"controller": {"machines": {"mac": {}}}, "peer": {"tags": ["all"]}}}
          }
        }
        """,
    )
    hits = sorted((d for d in diags if d.code == "class-mismatch"), key=lambda d: d.path)
    assert [(d.path, d.severity) for d in hits] == [
        ("instances.zerotier.roles.controller.machines.mac", "error"),
        ("instances.zerotier.roles.peer.tags[0]", "warning"),
    ]
    assert where(hits[0]) == (4, 56)


def test_deprecated_module(tmp_path: Path) -> None:
    diags = run(
        tmp_path,
        """
        {
          "machines": {"a": {}},
          "instances": {"admin": {"roles": {"default": {"machines": {"a": {}}}}}}
        }
        """,
    )
    d = only(diags, "deprecated-module")
    assert d.severity == "warning" and d.path == "instances.admin"


def test_unknown_key_lists_allowed_keys(tmp_path: Path) -> None:
    diags = run(
        tmp_path,
        """
        {
          "machines": {"jon": {"tag": ["x"]}}
        }
        """,
    )
    d = only(diags, "unknown-key")
    assert d.message == "The option `inventory.machines.jon.tag' does not exist."
    assert where(d) == (2, 24)
    assert d.hint is not None and "tags" in d.hint and "machineClass" in d.hint


def test_wrong_type_and_rest_still_checked(tmp_path: Path) -> None:
    diags = run(
        tmp_path,
        """
        {
          "machines": {"jon": {"machineClass": "windows", "tags": "web"}},
          "instances": {"sshd": {"roles": {"server": {"machines": {"ghost": {}}}}}}
        }
        """,
    )
    wrong = sorted((d for d in diags if d.code == "wrong-type"), key=lambda d: d.path)
    assert [d.path for d in wrong] == ["machines.jon.machineClass", "machines.jon.tags"]
    assert wrong[0].message == (
        "A definition for option `inventory.machines.jon.machineClass' is not of type "
        '`one of "nixos", "darwin"\''
    )
    assert where(wrong[0]) == (2, 40)
    assert only(diags, "unknown-machine").machine == "ghost"


def test_role_machines_as_list(tmp_path: Path) -> None:
    f = tmp_path / "inventory.json"
    f.write_text(
        '{\n  "machines": {"jon": {}},\n  "instances": {"sshd": {"roles": {"server": {"machines": ["jon"]}}}}\n}\n'
    )
    report = solver.check(str(f))
    d = only(report.diagnostics, "role-machines-list")
    assert d.hint == (
        'write the machines as an attribute set: {"jon": {}} '
        "(fix: write it as an attribute set; run `inventory-solver fix`)"
    )
    assert where(d) == (3, 59)
    assert report.resolution.instances["sshd"].roles["server"].members == ["jon"]


def test_removed_system_option(tmp_path: Path) -> None:
    diags = run(tmp_path, '{\n  "machines": {"a": {"system": "x86_64-linux"}}\n}\n')
    d = only(diags, "removed-option")
    assert d.path == "machines.a.system" and where(d) == (2, 22)


def test_legacy_tag_quirk(tmp_path: Path) -> None:
    diags = run(
        tmp_path,
        """
        {
          "machines": {"a": {"tags": ["backup"]}},
          "services": {"borgbackup": {"i": {"roles": {"client": {"tags": ["backup", "ghost"]}}}}}
        }
        """,
    )
    d = only(diags, "legacy-tag-quirk")
    assert d.path == "services.borgbackup.i.roles.client.tags[1]"
    assert where(d) == (3, 77)


def test_duplicate_key_is_unusable_input(tmp_path: Path) -> None:
    f = tmp_path / "inventory.json"
    f.write_text('{\n  "machines": {},\n  "machines": {}\n}\n')
    with pytest.raises(InputError) as exc:
        solver.check(str(f))
    d = exc.value.diagnostics[0]
    assert d.code == "duplicate-key" and where(d) == (3, 3)
    assert d.related[0].location is not None and d.related[0].location.line == 2


def test_json_syntax_error_is_located(tmp_path: Path) -> None:
    f = tmp_path / "inventory.json"
    f.write_text('{\n  "machines": {,}\n}\n')
    with pytest.raises(InputError) as exc:
        solver.check(str(f))
    d = exc.value.diagnostics[0]
    assert d.code == "json-syntax" and where(d) == (2, 16)


def test_fanout_warns_when_the_resolution_is_huge() -> None:
    from solver.api import Options, run
    from solver.read import Loaded

    data = {
        "machines": {f"m{i}": {} for i in range(20)},
        "instances": {
            f"pk{j}": {"module": {"name": "packages"}, "roles": {"default": {"tags": ["all"]}}}
            for j in range(10)
        },
    }
    report = run(Loaded(data=data), Options(resolve=False, fanout_limit=150))
    d = only(report.diagnostics, "fanout")
    assert d.severity == "warning" and d.args == {"memberships": 200}
    quiet = run(Loaded(data=data), Options(resolve=False, fanout_limit=200))
    assert not [x for x in quiet.diagnostics if x.code == "fanout"]
