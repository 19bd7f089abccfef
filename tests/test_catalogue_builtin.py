"""The built-in module catalogue (solver/catalogue/builtin.json, generated from clan-core,
with solver/catalogue/curated.json on top) loads and holds the curated facts taken from
clan-core (see docs/semantics.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from solver.catalogue.model import CatalogueFile, ModuleSpec

HERE = Path(__file__).resolve().parent.parent / "solver" / "catalogue"
BUILTIN = HERE / "builtin.json"
CURATED = HERE / "curated.json"


@pytest.fixture(scope="module")
def catalogue() -> CatalogueFile:
    """The built-in catalogue as a run loads it (generated services, curated knowledge)."""
    from solver.catalogue import builtin

    raw = builtin().raw
    return CatalogueFile(modules=[ModuleSpec.model_validate(raw[k]) for k in raw])


def test_curated_file_validates() -> None:
    from solver.catalogue.curated_schema import CuratedFile

    cur = CuratedFile.model_validate_json(CURATED.read_text(encoding="utf-8"))
    assert cur.legacy and cur.services
    # every curated service exists in the generated catalogue
    gen = json.loads(BUILTIN.read_text(encoding="utf-8"))
    names = {(m.get("input"), m["name"]) for m in gen["modules"]}
    assert {(c.input, c.name) for c in cur.services} <= names
    for c in cur.services:
        if c.deprecated:
            assert c.deprecated_source, c.name
        if c.newer_options:
            assert c.newer_options_source, c.name


def test_builtin_file_is_generated_with_its_revision() -> None:
    gen = json.loads(BUILTIN.read_text(encoding="utf-8"))
    assert gen["generated_by"] == "inventory-solver catalogue build"
    assert len(gen["revision"]) == 40
    assert all(m.get("kind", "service") == "service" for m in gen["modules"])


def _get(cat: CatalogueFile, name: str, kind: str = "service") -> ModuleSpec:
    matches = [m for m in cat.modules if m.name == name and m.kind == kind and m.input is None]
    assert len(matches) == 1, (name, kind)
    return matches[0]


def test_loads_and_validates(catalogue: CatalogueFile) -> None:
    assert catalogue.version == 1
    assert len(catalogue.modules) >= 50


def test_keys_unique(catalogue: CatalogueFile) -> None:
    keys = [(m.input, m.name, m.kind) for m in catalogue.modules]
    assert len(keys) == len(set(keys))


def test_files_sorted_and_two_space_indent() -> None:
    for path in (BUILTIN, CURATED):
        text = path.read_text(encoding="utf-8")
        data = json.loads(text)
        assert text == json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    gen = json.loads(BUILTIN.read_text(encoding="utf-8"))["modules"]
    assert [m["name"] for m in gen] == sorted(m["name"] for m in gen)


def test_zerotier_service_constraints(catalogue: CatalogueFile) -> None:
    zt = _get(catalogue, "zerotier")
    assert zt.manifest_name == "clan-core/zerotier"
    assert set(zt.roles) == {"controller", "moon", "peer"}
    assert (zt.roles["controller"].min_machines, zt.roles["controller"].max_machines) == (1, 1)
    assert zt.roles["moon"].max_machines == 4
    assert zt.single_instance is None  # multi-instance since 26.05
    assert zt.roles["controller"].interface is not None
    assert zt.roles["controller"].freeform is False


def test_legacy_zerotier(catalogue: CatalogueFile) -> None:
    zt = _get(catalogue, "zerotier", "legacy")
    assert zt.roles["moon"].max_machines == 7
    assert zt.single_instance is not None
    assert zt.single_instance.scope == "machine"
    assert zt.single_instance.severity == "error"
    assert "{machine}" in (zt.single_instance.message or "")


def test_wireguard_controller_peer_incompatible(catalogue: CatalogueFile) -> None:
    wg = _get(catalogue, "wireguard")
    pairs = [set(r.roles) for r in wg.incompatible_roles]
    assert {"controller", "peer"} in pairs
    msg = wg.incompatible_roles[0].message or ""
    assert msg.startswith("Machine '{machine}' cannot have both 'controller' and 'peer' roles")
    assert "'{instance}'" in msg


def test_monitoring_exactly_one_server(catalogue: CatalogueFile) -> None:
    mon = _get(catalogue, "monitoring")
    (rc,) = mon.role_counts
    assert (rc.role, rc.min, rc.max) == ("server", 1, 1)


def test_curated_rules_cite_sources(catalogue: CatalogueFile) -> None:
    for m in catalogue.modules:
        curated = (
            list(m.incompatible_roles)
            + list(m.role_counts)
            + list(m.unique_settings)
            + ([m.single_instance] if m.single_instance else [])
        )
        for rule in curated:
            assert rule.source.strip(), m.name
        if curated:
            assert m.source, m.name


def test_every_service_has_classes_source(catalogue: CatalogueFile) -> None:
    for m in catalogue.modules:
        assert m.classes, m.name
        assert m.classes_source, m.name
        if "unchecked" in m.classes_source:
            assert set(m.classes) == {"nixos", "darwin"}, m.name


def test_deprecations(catalogue: CatalogueFile) -> None:
    coredns = _get(catalogue, "coredns")
    assert coredns.roles == {}
    assert "clan-community" in (coredns.deprecated or "")
    assert _get(catalogue, "admin").deprecated
    borg = _get(catalogue, "borgbackup", "legacy")
    assert borg.deprecated == (
        "The 'borgbackup' module has been migrated from `inventory.services` to "
        "`inventory.instances`\nSee https://docs.clan.lol/guides/clanServices/ for usage."
    )
    assert _get(catalogue, "syncthing", "legacy").deprecated is None


def test_users_unique_user_name(catalogue: CatalogueFile) -> None:
    users = _get(catalogue, "users")
    assert users.manifest_name == "clan-core/user"
    assert [(u.role, u.path) for u in users.unique_settings] == [("default", ["user"])]
    iface = users.roles["default"].interface
    assert iface is not None and iface["groups"].type == "list"
    assert iface["groups"].elem is not None and iface["groups"].elem.type == "str"
