"""Hypothesis strategies for inventories, and the test budget.

Every property test takes its example count from :func:`budget`, so the normal suite
stays fast. A longer run multiplies every budget::

    HYPOTHESIS_PROFILE=long .venv/bin/pytest tests/test_oracle.py tests/test_properties.py \
        tests/test_hostile.py tests/test_fuzz.py          # x30 examples
    HYPOTHESIS_PROFILE=long HYPOTHESIS_SCALE=200 .venv/bin/pytest ...   # x200

The generators are deliberately biased towards the cases where clan's semantics are
subtle (docs/semantics.md#membership-by-name-and-tag): builtin tags, a user-defined ``tags.all`` /
``tags.nixos`` / ``tags.darwin`` (replaces the computed one), top-level ``tags``, darwin
machines, role tags as a list and as an attrset, machines named in roles but not defined,
tags nobody carries, and legacy ``services`` (``enabled = false``, lists with duplicates).
"""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

_PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "default")
SCALE = int(os.environ.get("HYPOTHESIS_SCALE", "30")) if _PROFILE == "long" else 1

settings.register_profile("default", deadline=None, derandomize=False)
settings.register_profile("long", deadline=None)
settings.load_profile("long" if _PROFILE == "long" else "default")


def budget(n: int) -> settings:
    """`n` examples in the normal suite, `n * SCALE` under HYPOTHESIS_PROFILE=long."""
    return settings(
        max_examples=n * SCALE,
        deadline=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
            HealthCheck.function_scoped_fixture,
        ],
    )


# -- names ------------------------------------------------------------------------------
BUILTIN_TAGS = ["all", "nixos", "darwin"]

# Names that are hard for ASP, JSON, terminals and format strings.
HOSTILE = [
    "",
    "_",
    "web-1",
    "1e3",
    "42",
    "-7",
    "x). #false. p(y",
    'x"). :- machine(X). p("',
    "#show",
    "#show member/3.",
    "%",
    "%*",
    "*%",
    "% comment",
    "Server",
    "not",
    "explicit",
    "tag(1)",
    "all ",
    " all",
    "ALL",
    'quo"te',
    "back\\slash",
    "\\",
    "new\nline",
    "tab\there",
    "cr\rlf",
    "nul\x00byte",
    "\x1b[31mred\x1b[0m",
    "ünïcødé",
    "日本語",
    "emoji🙂",
    "a.b",
    "a/b",
    "{}",
    "$(rm -rf /)",
    "${x}",
    "%s%n%x",
    "{0}",
    "\u202eevil",
    "\ufeffbom",
    "a b",
]

plain_names = st.sampled_from(["jon", "sara", "web", "db", "laptop", "a", "b", "c"])
hostile_names = st.sampled_from(HOSTILE) | st.text(max_size=12)


def name_pool(hostile: bool) -> st.SearchStrategy[list[str]]:
    base = plain_names | hostile_names if hostile else plain_names
    return st.lists(base, min_size=1, max_size=6, unique=True)


def _role_name(hostile: bool) -> st.SearchStrategy[str]:
    base = st.sampled_from(["server", "client", "peer", "default", "controller"])
    return base | hostile_names if hostile else base


def _module_name(hostile: bool) -> st.SearchStrategy[str]:
    base = st.sampled_from(["sshd", "borgbackup", "zerotier", "wireguard", "mymod", "users"])
    return base | hostile_names if hostile else base


# -- inventories ------------------------------------------------------------------------
@st.composite
def inventories(
    draw: st.DrawFn,
    *,
    hostile: bool = False,
    legacy: bool | None = None,
    max_machines: int = 6,
) -> dict[str, Any]:
    """A schema-valid inventory (current shape, legacy shape, or both)."""
    machines_pool = draw(name_pool(hostile))
    tag_pool = draw(st.lists(plain_names | hostile_names if hostile else plain_names, max_size=4))
    tag_names = st.sampled_from([*tag_pool, *BUILTIN_TAGS, "ghosttag"])
    defined = draw(st.lists(st.sampled_from(machines_pool), max_size=max_machines, unique=True))
    # a machine name used in roles: usually defined, sometimes not
    any_machine = st.sampled_from([*machines_pool, "ghost"])

    inv: dict[str, Any] = {}
    machines: dict[str, Any] = {}
    for m in defined:
        body: dict[str, Any] = {}
        if draw(st.booleans()):
            body["tags"] = draw(st.lists(tag_names, max_size=4))  # duplicates allowed
        cls = draw(st.sampled_from([None, None, "nixos", "darwin"]))
        if cls is not None:
            body["machineClass"] = cls
        if draw(st.integers(0, 5)) == 0:
            body["description"] = draw(st.text(max_size=8))
        machines[m] = body
    if machines or draw(st.booleans()):
        inv["machines"] = machines
    if draw(st.integers(0, 2)) == 0:
        inv["tags"] = draw(
            st.dictionaries(tag_names, st.lists(any_machine, max_size=4), max_size=3)
        )

    shape = legacy
    if shape is None:
        shape = draw(st.sampled_from([False, False, True]))
    both = draw(st.integers(0, 9)) == 0
    if not shape or both:
        inv["instances"] = draw(
            st.dictionaries(
                _module_name(hostile) if hostile else st.sampled_from(["i1", "i2", "sshd", "x"]),
                _instance(hostile, any_machine, tag_names),
                max_size=3,
            )
        )
    if shape or both:
        inv["services"] = draw(
            st.dictionaries(
                _module_name(hostile),
                st.dictionaries(
                    st.sampled_from(["default", "i1", "i2"])
                    | (hostile_names if hostile else st.nothing()),
                    _legacy_instance(hostile, any_machine, tag_names),
                    max_size=2,
                ),
                max_size=2,
            )
        )
    return inv


def _settings() -> st.SearchStrategy[dict[str, Any]]:
    scalar = st.none() | st.booleans() | st.integers(-5, 5) | st.sampled_from(["a", "b"])
    value = st.recursive(
        scalar,
        lambda inner: (
            st.lists(inner, max_size=2)
            | st.dictionaries(st.sampled_from(["x", "y", "z"]), inner, max_size=2)
        ),
        max_leaves=4,
    )
    return st.dictionaries(st.sampled_from(["port", "nets", "names", "opts"]), value, max_size=3)


def _instance(
    hostile: bool, any_machine: st.SearchStrategy[str], tag_names: st.SearchStrategy[str]
) -> st.SearchStrategy[dict[str, Any]]:
    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        inst: dict[str, Any] = {}
        if draw(st.integers(0, 3)) == 0:
            inst["module"] = {"name": draw(_module_name(hostile))}
        roles: dict[str, Any] = {}
        for r in draw(st.lists(_role_name(hostile), max_size=3, unique=True)):
            role: dict[str, Any] = {}
            if draw(st.booleans()):
                role["machines"] = {m: {} for m in draw(st.lists(any_machine, max_size=4))}
            kind = draw(st.sampled_from(["none", "list", "attrs"]))
            if kind == "list":
                role["tags"] = draw(st.lists(tag_names, max_size=4))  # duplicates allowed
            elif kind == "attrs":
                role["tags"] = {t: {} for t in draw(st.lists(tag_names, max_size=4))}
            roles[r] = role
        if roles or draw(st.booleans()):
            inst["roles"] = roles
        return inst

    return build()


def _legacy_instance(
    hostile: bool, any_machine: st.SearchStrategy[str], tag_names: st.SearchStrategy[str]
) -> st.SearchStrategy[dict[str, Any]]:
    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        inst: dict[str, Any] = {}
        enabled = draw(st.sampled_from([None, None, True, False]))
        if enabled is not None:
            inst["enabled"] = enabled
        roles: dict[str, Any] = {}
        for r in draw(st.lists(_role_name(hostile), max_size=3, unique=True)):
            role: dict[str, Any] = {}
            if draw(st.booleans()):
                role["machines"] = draw(st.lists(any_machine, max_size=4))  # duplicates allowed
            if draw(st.booleans()):
                role["tags"] = draw(st.lists(tag_names, max_size=4))
            roles[r] = role
        inst["roles"] = roles
        return inst

    return build()


@st.composite
def settings_inventories(draw: st.DrawFn) -> dict[str, Any]:
    """A current-shape inventory whose roles carry settings at every layer."""
    inv = draw(inventories(legacy=False))
    for inst in (inv.get("instances") or {}).values():
        for role in (inst.get("roles") or {}).values():
            if draw(st.booleans()):
                role["settings"] = draw(_settings())
            for m in role.get("machines") or {}:
                if draw(st.booleans()):
                    role["machines"][m] = {"settings": draw(_settings())}
            if isinstance(role.get("tags"), dict):
                for t in role["tags"]:
                    if draw(st.booleans()):
                        role["tags"][t] = {"settings": draw(_settings())}
    return inv


def shuffled(data: Any, rnd: Any) -> Any:
    """The same JSON value with every object's keys in a random order."""
    if isinstance(data, dict):
        keys = list(data)
        rnd.shuffle(keys)
        return {k: shuffled(data[k], rnd) for k in keys}
    if isinstance(data, list):
        return [shuffled(v, rnd) for v in data]
    return data


BUILTIN_OR_SPECIAL = frozenset(BUILTIN_TAGS)


def rename(inv: dict[str, Any], f: Any) -> dict[str, Any]:
    """`inv` with every machine, tag, role and instance name passed through `f`.

    Builtin tag names (all, nixos, darwin) are left alone; legacy module names too."""

    def g(name: str) -> str:
        return name if name in BUILTIN_OR_SPECIAL else f(name)

    out: dict[str, Any] = {
        k: v for k, v in inv.items() if k not in ("machines", "tags", "instances", "services")
    }
    if "machines" in inv:
        out["machines"] = {
            g(m): ({**body, "tags": [g(t) for t in body["tags"]]} if "tags" in body else dict(body))
            for m, body in inv["machines"].items()
        }
    if "tags" in inv:
        out["tags"] = {g(t): [g(m) for m in ms] for t, ms in inv["tags"].items()}

    def role(r: dict[str, Any], legacy: bool) -> dict[str, Any]:
        new = dict(r)
        if "machines" in r:
            new["machines"] = (
                [g(m) for m in r["machines"]]
                if legacy
                else {g(m): v for m, v in r["machines"].items()}
            )
        if "tags" in r:
            t = r["tags"]
            new["tags"] = (
                [g(x) for x in t] if isinstance(t, list) else {g(x): v for x, v in t.items()}
            )
        return new

    if "instances" in inv:
        out["instances"] = {}
        for iname, inst in inv["instances"].items():
            new = dict(inst)
            if "roles" in inst:
                new["roles"] = {g(r): role(body, False) for r, body in inst["roles"].items()}
            if "module" not in inst:  # the module name defaults to the instance name: keep it
                new["module"] = {"name": iname}
            out["instances"][g(iname)] = new
    if "services" in inv:
        out["services"] = {
            mod: {
                g(iname): {
                    **inst,
                    **(
                        {"roles": {g(r): role(b, True) for r, b in inst["roles"].items()}}
                        if "roles" in inst
                        else {}
                    ),
                }
                for iname, inst in insts.items()
            }
            for mod, insts in inv["services"].items()
        }
    return out


def rename_membership(m: dict[str, Any], f: Any, legacy_names: dict[str, str]) -> dict[str, Any]:
    """Apply the same renaming to an oracle Membership (legacy_names: old -> new display)."""

    def g(name: str) -> str:
        return name if name in BUILTIN_OR_SPECIAL else f(name)

    def prov(p: str) -> str:
        return "tag:" + g(p[4:]) if p.startswith("tag:") else p

    return {
        legacy_names.get(i, g(i)): {
            g(r): {g(mm): {prov(p) for p in ps} for mm, ps in members.items()}
            for r, members in roles.items()
        }
        for i, roles in m.items()
    }
