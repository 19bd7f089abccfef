"""Repairs (issue #14): the smallest set of edits that removes the selected errors.

Per candidate kind a small inventory with the repair a user should get; generated broken
inventories where applying the repair leaves none of the fixed errors; and on small
cases a brute-force search (every subset of the candidate edits, each checked by
`check`) that finds no cheaper repair.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from solver.api import Options, run
from solver.fix.actions import Action, Repair
from solver.fix.apply_data import ApplyError, apply_actions
from solver.fix.repair import candidates, compute_repair
from solver.read import Loaded
from tests.strategies import budget


def repair(data: dict[str, Any], select: frozenset[str] | None = None) -> Repair:
    return compute_repair(Loaded(data=data), Options(), select)


def findings(data: dict[str, Any]) -> dict[str, str]:
    """code@path -> severity of every finding `check` reports."""
    rep = run(Loaded(data=data), Options())
    return {f"{d.code}@{d.path}": d.severity for d in rep.diagnostics}


def errors(data: dict[str, Any]) -> set[str]:
    return {k for k, sev in findings(data).items() if sev == "error"}


def described(actions: tuple[Action, ...]) -> list[str]:
    return [f"{a.describe()} ({a.cost})" for a in actions]


def fleet(**instances: Any) -> dict[str, Any]:
    return {
        "machines": {
            "web1": {"tags": ["web", "server"]},
            "web2": {"tags": ["web"]},
            "db1": {"tags": ["server"]},
            "mac": {"machineClass": "darwin", "tags": ["laptop"]},
        },
        "instances": instances,
    }


# -- one case per kind of edit ----------------------------------------------------------
def test_machine_typo_is_renamed_to_the_closest_machine() -> None:
    data = fleet(sshd={"roles": {"server": {"machines": {"dbb1": {}}}}})
    r = repair(data)
    assert described(r.actions) == ["rename instances.sshd.roles.server.machines.dbb1 to 'db1' (1)"]
    assert r.actions[0].fixes == ("unknown-machine@instances.sshd.roles.server.machines.dbb1",)
    assert r.fixed == r.actions[0].fixes and r.unfixed == () and r.alternatives == ()
    after = apply_actions(data, r.actions)
    assert after["instances"]["sshd"]["roles"]["server"]["machines"] == {"db1": {}}
    assert errors(after) == set()


def test_tag_written_as_machine_moves_to_tags() -> None:
    data = fleet(sshd={"roles": {"server": {"machines": {"laptop": {}}}}})
    r = repair(data)
    assert described(r.actions) == [
        "move instances.sshd.roles.server.machines.laptop to the role's tags (1)"
    ]
    after = apply_actions(data, r.actions)
    assert after["instances"]["sshd"]["roles"]["server"] == {"machines": {}, "tags": ["laptop"]}
    assert errors(after) == set()


def test_machine_list_becomes_an_attribute_set() -> None:
    data = fleet(sshd={"roles": {"server": {"machines": ["web1", "db1"]}}})
    r = repair(data)
    assert [(a.kind, a.path) for a in r.actions] == [
        ("to-attrset", ("instances", "sshd", "roles", "server", "machines"))
    ]
    assert r.fixed == ("role-machines-list@instances.sshd.roles.server.machines",)
    after = apply_actions(data, r.actions)
    assert after["instances"]["sshd"]["roles"]["server"]["machines"] == {"web1": {}, "db1": {}}
    assert errors(after) == set()


def test_unknown_tag_is_renamed_only_when_selected() -> None:
    data = fleet(sshd={"roles": {"server": {"tags": ["servr"]}}})
    assert repair(data).actions == ()  # a warning: not fixed unless asked for
    r = repair(data, frozenset({"unknown-tag"}))
    assert described(r.actions) == ["rename instances.sshd.roles.server.tags[0] to 'server' (1)"]
    assert r.actions[0].part == "value"
    assert "unknown-tag@instances.sshd.roles.server.tags[0]" not in findings(
        apply_actions(data, r.actions)
    )


def test_role_typo_and_module_typo_are_renamed() -> None:
    data = fleet(
        backup={
            "module": {"name": "borgbakup"},
            "roles": {"clients": {"tags": ["server"]}, "server": {"machines": {"db1": {}}}},
        }
    )
    r = repair(data)
    # "clients" is only unknown once the module is known: its rename goes with the module's
    assert described(r.actions) == [
        "rename instances.backup.module.name to 'borgbackup' (1)",
        "rename instances.backup.roles.clients to 'client' (1)",
    ]
    assert r.fixed == ("unknown-module@instances.backup.module.name",)
    after = apply_actions(data, r.actions)
    assert set(after["instances"]["backup"]["roles"]) == {"client", "server"}
    assert errors(after) == set()


def test_a_typo_inside_a_misspelt_role_gets_both_renames() -> None:
    data = fleet(
        backup={"module": {"name": "borgbackup"}, "roles": {"clients": {"machines": {"dbb1": {}}}}}
    )
    r = repair(data)
    assert described(r.actions) == [
        "rename instances.backup.roles.clients to 'client' (1)",
        "rename instances.backup.roles.clients.machines.dbb1 to 'db1' (1)",
    ]
    after = apply_actions(data, r.actions)
    assert after["instances"]["backup"]["roles"] == {"client": {"machines": {"db1": {}}}}
    assert errors(after) == set()


def test_legacy_lists_are_edited_by_position() -> None:
    data = fleet()
    data["services"] = {
        "borgbackup": {
            "x": {
                "roles": {
                    "client": {"machines": ["web1", "dbb1"], "tags": ["servr"]},
                    "server": {"machines": ["db1"]},
                }
            }
        }
    }
    r = repair(data, frozenset({"unknown-machine", "unknown-tag"}))
    assert described(r.actions) == [
        "rename services.borgbackup.x.roles.client.machines[1] to 'db1' (1)",
        "rename services.borgbackup.x.roles.client.tags[0] to 'server' (1)",
    ]
    assert all(a.part == "value" for a in r.actions)
    after = apply_actions(data, r.actions)
    assert after["services"]["borgbackup"]["x"]["roles"]["client"] == {
        "machines": ["web1", "db1"],
        "tags": ["server"],
    }
    left = findings(after)
    assert not left.keys() & set(r.fixed)


def test_too_many_machines_gives_equal_cost_alternatives() -> None:
    data = fleet(
        zt={
            "module": {"name": "zerotier"},
            "roles": {"controller": {"machines": {"web1": {}, "db1": {}}}},
        }
    )
    r = repair(data)
    assert described(r.actions) == ["remove instances.zt.roles.controller.machines.db1 (2)"]
    assert [described(a) for a in r.alternatives] == [
        ["remove instances.zt.roles.controller.machines.web1 (2)"]
    ]
    assert r.fixed == ("max-machines@instances.zt.roles.controller",)
    for choice in (r.actions, *r.alternatives):
        assert errors(apply_actions(data, choice)) == set()


def test_incompatible_roles_drops_the_explicit_name_not_a_tag() -> None:
    data = fleet(
        wg={
            "module": {"name": "wireguard"},
            "roles": {"controller": {"machines": {"web1": {}}}, "peer": {"tags": ["web"]}},
        }
    )
    r = repair(data)
    assert described(r.actions) == ["remove instances.wg.roles.controller.machines.web1 (2)"]
    # the controller role is then empty: a warning, which the repair may leave
    assert errors(apply_actions(data, r.actions)) == set()


def test_class_mismatch_drops_the_darwin_machine() -> None:
    data = fleet(
        b={
            "module": {"name": "borgbackup"},
            "roles": {"client": {"machines": {"mac": {}, "web1": {}}}},
        }
    )
    r = repair(data)
    assert described(r.actions) == ["remove instances.b.roles.client.machines.mac (2)"]
    assert errors(apply_actions(data, r.actions)) == set()


def test_class_mismatch_through_a_tag_is_fixed_when_selected() -> None:
    data = fleet(b={"module": {"name": "borgbackup"}, "roles": {"client": {"tags": ["laptop"]}}})
    assert repair(data).actions == ()  # a warning
    r = repair(data, frozenset({"class-mismatch"}))
    assert described(r.actions) == ["remove machines.mac.tags[0] (4)"]
    assert r.fixed == ("class-mismatch@instances.b.roles.client.tags[0]",)
    assert not findings(apply_actions(data, r.actions)).keys() & set(r.fixed)


def test_settings_conflict_keeps_the_machine_value() -> None:
    data = fleet(
        wg={
            "module": {"name": "wireguard"},
            "roles": {
                "controller": {
                    "machines": {"web1": {"settings": {"port": 51821}}},
                    "settings": {"port": 51820},
                },
                "peer": {"machines": {"db1": {}}},
            },
        }
    )
    r = repair(data)
    assert described(r.actions) == ["remove instances.wg.roles.controller.settings.port (2)"]
    assert r.fixed == (
        "settings-conflict@instances.wg.roles.controller.machines.web1.settings.port",
    )
    after = apply_actions(data, r.actions)
    assert after["instances"]["wg"]["roles"]["controller"]["settings"] == {}
    assert errors(after) == set()


def test_a_value_two_instances_share_on_a_machine_is_fixed_by_leaving_one() -> None:
    # users: the user name (here "root": set, and the default of the instance "root")
    # must differ between the instances on one machine
    data = fleet(
        admin={
            "module": {"name": "users"},
            "roles": {"default": {"machines": {"web1": {}}, "settings": {"user": "root"}}},
        },
        root={"module": {"name": "users"}, "roles": {"default": {"tags": ["web"]}}},
    )
    before = errors(data)
    assert {e.split("@")[0] for e in before} == {"duplicate-setting-across-instances"}
    r = repair(data)
    assert described(r.actions) == ["remove instances.admin.roles.default.machines.web1 (2)"]
    assert set(r.fixed) == before
    assert errors(apply_actions(data, r.actions)) == set()


def test_an_error_no_edit_removes_is_unfixed_not_a_failure() -> None:
    data = fleet(
        zt={"module": {"name": "zerotier"}, "roles": {"peer": {"tags": ["web"]}}},
        sshd={"roles": {"server": {"machines": {"dbb1": {}}}}},
    )
    r = repair(data)
    assert r.unfixed == ("min-machines@instances.zt.roles",)
    assert described(r.actions) == ["rename instances.sshd.roles.server.machines.dbb1 to 'db1' (1)"]


def test_a_fleet_wide_finding_is_left_unfixed() -> None:
    data = {
        "machines": {f"m{i}": {} for i in range(5)},
        "instances": {"a": {"module": {"name": "sshd"}, "roles": {"server": {"tags": ["all"]}}}},
    }
    r = compute_repair(Loaded(data=data), Options(fanout_limit=2), frozenset({"fanout"}))
    assert r.actions == () and r.unfixed == ("fanout@",)


def test_select_restricts_what_is_fixed() -> None:
    data = fleet(
        zt={
            "module": {"name": "zerotier"},
            "roles": {"controller": {"machines": {"web1": {}, "db1": {}}}},
        },
        sshd={"roles": {"server": {"machines": {"dbb1": {}}}}},
    )
    r = repair(data, frozenset({"unknown-machine"}))
    assert [a.kind for a in r.actions] == ["rename"]
    assert r.fixed == ("unknown-machine@instances.sshd.roles.server.machines.dbb1",)


def test_a_rename_that_would_bring_in_an_error_is_not_taken() -> None:
    # renaming "web3" to "web1" or "web2" makes a second zerotier controller: the
    # repair drops the name instead
    data = fleet(
        zt={
            "module": {"name": "zerotier"},
            "roles": {"controller": {"machines": {"db1": {}, "web3": {}}}},
        }
    )
    r = repair(data)
    assert described(r.actions) == ["remove instances.zt.roles.controller.machines.web3 (2)"]
    assert errors(apply_actions(data, r.actions)) == set()


def test_apply_refuses_a_path_that_is_not_there() -> None:
    with pytest.raises(ApplyError):
        apply_actions({"machines": {}}, [Action(kind="remove", path=("machines", "x"))])


# -- generated broken inventories -------------------------------------------------------
MACHINES = ["alpha", "bravo", "charlie", "delta"]
TAGS = ["web", "db"]


@st.composite
def broken(draw: st.DrawFn) -> dict[str, Any]:
    """A small fleet with a few of the usual mistakes."""
    machines: dict[str, Any] = {}
    for m in MACHINES:
        machines[m] = {"tags": draw(st.lists(st.sampled_from(TAGS), unique=True, max_size=2))}
    if draw(st.booleans()):
        machines["mac"] = {"machineClass": "darwin"}
    instances: dict[str, Any] = {}
    mistakes = draw(
        st.lists(
            st.sampled_from(
                [
                    "typo",
                    "tag-as-machine",
                    "controllers",
                    "incompatible",
                    "settings",
                    "class",
                    "role-typo",
                    "module-typo",
                    "key-typo",
                ]
            ),
            min_size=1,
            max_size=3,
            unique=True,
        )
    )
    pick = st.sampled_from(MACHINES)
    if "typo" in mistakes:
        m = draw(pick)
        typo = m[:-1] + draw(st.sampled_from(["x", "", m[-1] * 2]))
        instances["ssh"] = {
            "module": {"name": "sshd"},
            "roles": {"server": {"machines": {typo: {}}}},
        }
    if "tag-as-machine" in mistakes:
        t = draw(st.sampled_from(TAGS))
        machines[MACHINES[0]]["tags"] = sorted({*machines[MACHINES[0]]["tags"], t})
        instances["adm"] = {
            "module": {"name": "admin"},
            "roles": {"default": {"machines": {t: {}}}},
        }
    if "controllers" in mistakes:
        a, b = draw(st.lists(pick, min_size=2, max_size=2, unique=True))
        instances["zt"] = {
            "module": {"name": "zerotier"},
            "roles": {"controller": {"machines": {a: {}, b: {}}}, "peer": {"tags": ["all"]}},
        }
    if "incompatible" in mistakes:
        m = draw(pick)
        t = draw(st.sampled_from(TAGS))
        machines[m]["tags"] = sorted({*machines[m]["tags"], t})
        instances["wg"] = {
            "module": {"name": "wireguard"},
            "roles": {"controller": {"machines": {m: {}}}, "peer": {"tags": [t]}},
        }
    if "settings" in mistakes:
        m = draw(pick)
        role: dict[str, Any] = {"machines": {m: {"settings": {"port": 2}}}, "settings": {"port": 1}}
        instances["wg2"] = {"module": {"name": "wireguard"}, "roles": {"controller": role}}
    if "class" in mistakes and "mac" in machines:
        instances["bk"] = {
            "module": {"name": "borgbackup"},
            "roles": {"client": {"machines": {"mac": {}, draw(pick): {}}}},
        }
    if "role-typo" in mistakes:
        role = draw(st.sampled_from(["clients", "srver", "Server"]))
        instances["ssh2"] = {"module": {"name": "sshd"}, "roles": {role: {"tags": ["all"]}}}
    if "module-typo" in mistakes:
        instances["mon"] = {
            "module": {"name": draw(st.sampled_from(["monitorin", "monitoringg", "Monitoring"]))},
            "roles": {draw(st.sampled_from(["client", "clients"])): {"tags": ["all"]}},
        }
    if "key-typo" in mistakes:
        # a typo in a settings key (renamed, unless the right key then conflicts) and in
        # an inventory key (renamed when the right key is free, else removed)
        m = draw(pick)
        wrong = draw(st.sampled_from(["prot", "mtuu"]))
        machine_port = {"settings": {"port": 2}} if draw(st.booleans()) else {}
        instances["wg3"] = {
            "module": {"name": "wireguard"},
            "roles": {"controller": {"machines": {m: machine_port}, "settings": {wrong: 1}}},
        }
        key = draw(st.sampled_from(["tag", "descripton", "machineclass"]))
        if key == "tag" and draw(st.booleans()):
            machines[m]["tag"] = machines[m].pop("tags")
        else:
            machines[m][key] = {"descripton": "db", "machineclass": "nixos"}.get(key, ["web"])
    return {"machines": machines, "instances": instances}


@budget(12)
@given(broken())
def test_applying_the_repair_leaves_none_of_the_fixed_errors(data: dict[str, Any]) -> None:
    before = errors(data)
    r = repair(data)
    assert set(r.fixed) | set(r.unfixed) == before
    for choice in (r.actions, *r.alternatives):
        assert sum(a.cost for a in choice) == r.cost
        after = errors(apply_actions(data, choice))
        assert not after & set(r.fixed)
        assert after <= before  # no error brought in


def _score(data: dict[str, Any], to_fix: set[str], before: set[str]) -> int:
    after = errors(data)
    return len(after & to_fix) + len(after - before)


@budget(6)
@given(broken())
def test_the_repair_is_as_cheap_as_brute_force_finds(data: dict[str, Any]) -> None:
    acts, to_fix_list = candidates(Loaded(data=data), Options())
    if len(acts) > 7:
        return  # too many subsets to check one by one
    to_fix, before = set(to_fix_list), errors(data)
    r = repair(data)
    got = (_score(apply_actions(data, r.actions), to_fix, before), r.cost)
    best: tuple[int, int] | None = None
    for k in range(len(acts) + 1):
        for subset in itertools.combinations(acts, k):
            cost = sum(a.cost for a in subset)
            if best is not None and (best[0] == 0 and cost >= best[1]):
                continue
            try:
                edited = apply_actions(data, subset)
            except ApplyError:
                continue  # two edits of one name (rename and remove): not a repair
            score = (_score(edited, to_fix, before), cost)
            if best is None or score < best:
                best = score
    assert got == best


def test_examples_mistakes_is_repaired_in_one_go() -> None:
    from pathlib import Path

    from solver.read import load

    root = Path(__file__).resolve().parents[1] / "examples" / "mistakes"
    opts = Options(clan_path=str(root), modules=[str(root / "modules.toml")])
    loaded = load(str(root))
    r = compute_repair(loaded, opts)

    def errs(data: dict[str, Any]) -> set[str]:
        rep = run(Loaded(data=data), Options(modules=[str(root / "modules.toml")]))
        return {f"{d.code}@{d.path}" for d in rep.diagnostics if d.severity == "error"}

    before = errs(loaded.data)
    after = errs(apply_actions(loaded.data, r.actions))
    assert r.fixed and not after & set(r.fixed)
    assert after <= before
    # the legacy zerotier instances have no controller: nothing to rename or drop for that
    # the legacy `services` have no automatic fix: migrating them is the user's decision
    assert r.unfixed == (
        "min-machines@services.zerotier.net-a.roles",
        "min-machines@services.zerotier.net-b.roles",
        "removed-option@services",
    )
    assert after == set(r.unfixed)
    done = [a.describe() for a in r.actions]
    assert "rename instances.monitor.module.name to 'monitoring'" in done
    # the schema's findings: the typo in a settings key is renamed, the rest removed
    assert "rename instances.wg.roles.peer.settings.prot to 'port'" in done
    assert "remove machines.web2.tag" in done  # `tags` is defined already
    assert "remove machines.db1.machineClass" in done
    assert "remove machines.old.system" in done
    assert "remove instances.wg.roles.controller.settings.endpoint" in done


def test_a_key_typo_is_renamed_when_the_right_key_is_free() -> None:
    data = fleet()
    data["machines"]["web2"] = {"tag": ["web"]}
    r = repair(data)
    assert described(r.actions) == ["rename machines.web2.tag to 'tags' (1)"]
    assert errors(apply_actions(data, r.actions)) == set()


def test_a_settings_key_typo_is_removed_when_the_renamed_key_would_conflict() -> None:
    role = {"machines": {"web1": {"settings": {"port": 2}}}, "settings": {"prot": 1}}
    data = fleet(wg={"module": {"name": "wireguard"}, "roles": {"controller": role}})
    r = repair(data)
    assert described(r.actions) == ["remove instances.wg.roles.controller.settings.prot (2)"]
    data["machines"]["db1"]["descripton"] = "db"  # a second rename, which stays
    r = repair(data)
    assert described(r.actions) == [
        "remove instances.wg.roles.controller.settings.prot (2)",
        "rename machines.db1.descripton to 'description' (1)",
    ]
    del data["machines"]["db1"]["descripton"]
    role["settings"] = {"prot": 2}  # the same value: no conflict, the rename stays
    r = repair(data)
    assert described(r.actions) == [
        "rename instances.wg.roles.controller.settings.prot to 'port' (1)"
    ]


def test_the_fix_checks_hint_names_is_the_one_fix_applies() -> None:
    import re
    from pathlib import Path

    from solver.location import format_path
    from solver.read import load

    root = Path(__file__).resolve().parents[1] / "examples" / "mistakes"
    opts = Options(clan_path=str(root), modules=[str(root / "modules.toml")])
    loaded = load(str(root))
    done = {(format_path(a.path), a.kind, a.new) for a in compute_repair(loaded, opts).actions}
    said = 0
    for d in run(loaded, opts).diagnostics:
        m = re.search(
            r"\(fix: (rename to '([^']*)'|remove it); run `inventory-solver fix`\)$", d.hint or ""
        )
        if m is None:
            continue
        said += 1
        want = ("rename", m.group(2)) if m.group(2) is not None else ("remove", None)
        assert (d.path, *want) in done, (d.code, d.path)
    assert said >= 6


def test_a_required_key_misspelt_is_renamed_and_fixes_both_findings() -> None:
    data: dict[str, Any] = {"meta": {"nmae": "ok"}}
    r = repair(data)
    assert described(r.actions) == ["rename meta.nmae to 'name' (1)"]
    assert r.fixed == ("unknown-key@meta.nmae", "wrong-type@meta")
    assert errors(apply_actions(data, r.actions)) == set()
    data = {"meta": {"nmae": "not a name!"}}  # not valid as a name: the whole meta goes
    r = repair(data)
    assert described(r.actions) == ["remove meta (2)"]
    assert errors(apply_actions(data, r.actions)) == set()
