"""Settings: per-machine merged settings and the facts the settings rules check.

Semantics: docs/semantics.md#settings-merge (current ``settings`` and legacy ``config``)
and docs/semantics.md#override-priorities. Who decides what:

* **Schema checks, in Python at plan time** (``unknown-setting``, ``setting-type``): they
  are per definition and need no machine, like the model's own schema checks. A value
  that does not fit the role's ``interface`` is reported and left out of the facts and
  of the merged value (as the model does with schema errors).
* **Conflicts, in rules** (``rules/settings.lp``): Python flattens each *definition
  source* (role / machine / tag settings; legacy instance / machine / role ``config``)
  into ``setting_node(S,P,V,Prio,Kind)`` facts -- P an option-path id, V a value id
  (canonical JSON), Prio the override priority, Kind ``attrs``/``scalar``/``list``/
  ``concat`` -- and the rules decide which sources apply to which machine, which win
  on priority and what clashes (``settings-conflict``, ``settings-type-conflict``,
  ``duplicate-setting-across-instances``).
* **Merged values, in Python** (:meth:`Plan.fill`): for each (machine, instance, role)
  assignment, the applying definitions are merged with the module system's rules.

Merge rules (both sides agree): definitions of one option are filtered by priority
(lowest number wins: ``lib.mkForce`` = 50, plain = 100, ``lib.mkDefault`` = 1000, written
in JSON as ``{"_type": "override", "priority": P, "content": V}``); an overridden node
takes its whole subtree with it; an override around a whole settings block applies to
each of its top-level keys. Survivors merge: attribute sets recursively, declared
``listOf`` options (and every list of a legacy ``config``) concatenate, other lists and
scalars must be equal. Definition order (for concatenation) is clan-core's: tags
(reverse alphabetical), machine, role (imports are merged last-first); legacy: instances
in reverse alphabetical order, each ``lib.mkMerge [instance, machine, roles]`` (which
gives the corpus' ``["hello"] ++ ["chromium"]`` for editors and browsing). **A clashing option is left out of the merged value**
(it is reported instead). In the legacy shape every instance of a module writes the same
``clan.<module>`` namespace, so each legacy assignment carries that namespace's value
for the machine.

Known approximation: when a definition dropped at an ancestor (by priority) carries a
*lower* priority deeper down, the rules still let it win there (nested overrides of
opposite direction are not seen in real inventories).
"""

from __future__ import annotations

import json
import marshal
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from solver.catalogue import Catalogue
from solver.catalogue.model import ModuleSpec, OptionSpec, RoleSpec
from solver.diagnostics import Diagnostic
from solver.facts import InstanceInfo, SideTable
from solver.fix.schema import fix_args, fix_hint
from solver.location import Locator, Path, format_path
from solver.model import Inventory, Settings
from solver.report import Assignment, Resolution

PRIO_MIN, PRIO_MAX = -(2**31), 2**31 - 1  # clingo's integers
DEFAULT_PRIO = 100
SHOW_MACHINES = 5

SHAPE = {"attrs": "attrs", "scalar": "scalar", "list": "list", "concat": "list"}
SHAPE_WORD = {"attrs": "an attribute set", "scalar": "a scalar", "list": "a list"}
HINT_CONFLICT = (
    "make the values equal, or mark one as an override: "
    '{{"_type": "override", "priority": 50, "content": {value}}} (lib.mkForce) wins over '
    "plain values (100), which win over priority 1000 (lib.mkDefault)"
)


class _Missing:
    """A merged option that clashes: left out of the merged value."""


MISSING = _Missing()


@dataclass(slots=True)
class Node:
    """One option definition of a source: an attribute set or a leaf."""

    kind: str  # attrs | scalar | list | concat
    prio: int
    path: Path  # inventory path of the value (through override "content")
    value: Any = None
    children: dict[str, Node] | None = None


@dataclass
class Source:
    """Where settings are defined: one settings (or legacy config) block."""

    id: int
    instance: int  # instance id
    info: InstanceInfo
    role: str | None  # None: legacy instance or machine config
    kind: str  # role | machine | tag | instance
    who: str | None  # machine or tag name
    path: Path  # inventory path of the block
    root: Node

    def describe(self) -> str:
        if self.kind == "role":
            base = f"role '{self.role}'"
        elif self.kind == "tag":
            base = f"tag '{self.who}' of role '{self.role}'"
        elif self.kind == "machine":
            base = f"machine '{self.who}'" + (f" of role '{self.role}'" if self.role else "")
        else:
            base = "instance config"
        return f"{base} in instance '{self.info.name}'" if self.info.legacy else base


@dataclass
class _RoleSources:
    root_opt: OptionSpec | None
    role: Source | None = None
    machines: dict[str, Source] = field(default_factory=dict)
    tags: dict[str, Source] = field(default_factory=dict)


@dataclass
class _LegacySources:
    instance: Source | None = None
    machines: dict[str, Source] = field(default_factory=dict)
    roles: dict[str, Source] = field(default_factory=dict)


def _canon(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _is_override(raw: Any) -> bool:
    return (
        isinstance(raw, dict)
        and raw.get("_type") == "override"
        and "content" in raw
        and isinstance(raw.get("priority"), int)
        and not isinstance(raw.get("priority"), bool)
    )


def _nix_type(opt: OptionSpec) -> str:
    if opt.nix_type:
        word = opt.nix_type
    elif opt.type == "list":
        word = "list of " + (_nix_type(opt.elem) if opt.elem else "anything")
    elif opt.type == "attrs":
        word = "attribute set of " + (_nix_type(opt.elem) if opt.elem else "anything")
    else:
        word = {
            "str": "string",
            "int": "signed integer",
            "float": "floating point number",
            "number": "signed integer or floating point number",
            "bool": "boolean",
            "path": "path",
            "port": "16 bit unsigned integer; between 0 and 65535 (both inclusive)",
            "enum": "one of " + ", ".join(json.dumps(v) for v in opt.values or []),
            "submodule": "submodule",
            "anything": "anything",
        }[opt.type]
    if opt.nullable and not word.startswith("null or"):
        word = f"null or {word}"
    return word


_PATTERN = re.compile(r"^string matching the pattern (.*)$")


def _fits(value: Any, opt: OptionSpec | None) -> bool:
    """Whether `value` is of the declared type (recursively; overrides unwrapped)."""
    while _is_override(value):
        value = value["content"]
    if opt is None or opt.type == "anything":
        return True
    if value is None:
        return opt.nullable
    t = opt.type
    if t == "str":
        if not isinstance(value, str):
            return False
        m = _PATTERN.match(opt.nix_type or "")
        return m is None or re.fullmatch(m.group(1).strip("^$"), value) is not None
    if t == "path":
        return isinstance(value, str) and value.startswith("/")
    if t == "bool":
        return isinstance(value, bool)
    if t == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if t == "port":
        return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 65535
    if t == "float":
        return isinstance(value, float)
    if t == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if t == "enum":
        return value in (opt.values or [])
    if t == "list":
        return isinstance(value, list) and all(_fits(e, opt.elem) for e in value)
    if t == "attrs":
        return isinstance(value, dict) and all(_fits(v, opt.elem) for v in value.values())
    if t == "submodule":
        if not isinstance(value, dict):
            return False
        opts = opt.options or {}
        return all(_fits(v, opts[k]) if k in opts else opt.freeform for k, v in value.items())
    return True  # pragma: no cover - every type is handled above


def _instance_name_default(opt: OptionSpec | None) -> bool:
    """The option defaults to the instance name (users' `user`, via extendSettings);
    the catalogue records this in the option's description."""
    return opt is not None and "computed default: the instance name" in (opt.description or "")


def _option_at(root: OptionSpec | None, keys: Iterable[str]) -> OptionSpec | None:
    cur = root
    for k in keys:
        if cur is None:
            return None
        if cur.type == "submodule":
            cur = (cur.options or {}).get(k)
        elif cur.type == "attrs":
            cur = cur.elem
        else:
            return None
    return cur


def _service_name(spec: ModuleSpec | None, name: str, input: str | None) -> str:
    """The option prefix clan's messages use for a service: `<input>-<module>`."""
    del spec
    return f"{input or 'clan-core'}-{name}"


def machines_text(machines: list[str]) -> str:
    shown = ", ".join(machines[:SHOW_MACHINES])
    if len(machines) == 1:
        return f"machine {shown}"
    more = len(machines) - SHOW_MACHINES
    return f"{len(machines)} machines: {shown}" + (f" and {more} more" if more > 0 else "")


class Plan:
    """The settings facts of one inventory, and what to do with the answer."""

    def __init__(self, side: SideTable, locator: Locator) -> None:
        self.side = side
        self.locator = locator
        self.facts = ""
        self.diagnostics: list[Diagnostic] = []
        self.sources: list[Source] = []
        self.paths: dict[tuple[str, ...], int] = {}
        self.path_keys: list[tuple[str, ...]] = [()]
        self.values: dict[str, int] = {}
        self.value_text: list[str] = [""]
        self.nodes: dict[tuple[int, int], Node] = {}
        self.current: dict[tuple[str, str], _RoleSources] = {}
        self.legacy: dict[str, _LegacySources] = {}
        self._out: list[str] = []
        self._cache: dict[tuple[int, ...], bytes] = {}
        self._shared: dict[tuple[int, ...], dict[str, Any]] = {}

    # -- ids --------------------------------------------------------------------------
    def path_id(self, keys: tuple[str, ...]) -> int:
        got = self.paths.get(keys)
        if got is None:
            parent = self.path_id(keys[:-1]) if len(keys) > 1 else 0
            got = len(self.path_keys)
            self.paths[keys] = got
            self.path_keys.append(keys)
            self._out.append(f"setting_path({got},{parent}).")
        return got

    def value_id(self, value: Any) -> int:
        text = _canon(value)
        got = self.values.get(text)
        if got is None:
            got = len(self.value_text)
            self.values[text] = got
            self.value_text.append(text)
        return got

    # -- reading the inventory --------------------------------------------------------
    def _walk(
        self,
        raw: Any,
        opt: OptionSpec | None,
        path: Path,
        option: str,
        ctx: dict[str, str],
        legacy: bool,
        prio: int | None = None,
    ) -> Node | None:
        own: int | None = None
        given = path  # the definition, override wrappers included (what a fix removes)
        while _is_override(raw):
            if own is None:
                own = int(raw["priority"])
                if not self._priority_ok(own, path, ctx):
                    return None
            raw = raw["content"]
            path = (*path, "content")
        p = prio if prio is not None else own if own is not None else DEFAULT_PRIO
        if opt is not None and opt.type == "anything":
            opt = None
        if opt is not None and not (raw is None and opt.nullable):
            t = opt.type
            ok = (
                isinstance(raw, dict)
                if t in ("attrs", "submodule")
                else isinstance(raw, list) and all(_fits(e, opt.elem) for e in raw)
                if t == "list"
                else _fits(raw, opt)
            )
            if not ok:
                self.diagnostics.append(
                    Diagnostic(
                        code="setting-type",
                        severity="error",
                        message=f"A definition for option `{option}' is not of type "
                        f"`{_nix_type(opt)}'",
                        path=format_path(path),
                        location=self.locator.locate(path, "value"),
                        hint=fix_hint(
                            f"write {_nix_type(opt)} here"
                            + (f" ({opt.description})" if opt.description else "")
                            + "; the value is ignored for the rest of the check",
                            None,
                        ),
                        args={"option": option, "type": _nix_type(opt), **fix_args(given, None)},
                        **ctx,
                    )
                )
                return None
        if isinstance(raw, dict):
            children: dict[str, Node] = {}
            for k, v in raw.items():
                key = str(k)
                child_opt: OptionSpec | None = None
                if opt is not None and opt.type == "attrs":
                    child_opt = opt.elem
                elif opt is not None and opt.type == "submodule":
                    opts = opt.options or {}
                    if key in opts:
                        child_opt = opts[key]
                    elif not opt.freeform:
                        self._unknown(path, key, option, opts, ctx, raw, legacy)
                        continue
                child = self._walk(
                    v,
                    child_opt,
                    (*path, key),
                    f"{option}.{format_path((key,))}",
                    ctx,
                    legacy,
                )
                if child is not None:
                    children[key] = child
            return Node("attrs", p, path, children=children)
        if isinstance(raw, list):
            kind = "concat" if legacy or (opt is not None and opt.type == "list") else "list"
            return Node(kind, p, path, value=raw)
        return Node("scalar", p, path, value=raw)

    def _unknown(
        self,
        path: Path,
        key: str,
        option: str,
        opts: dict[str, OptionSpec],
        ctx: dict[str, str],
        parent: dict[str, Any],
        legacy: bool,
    ) -> None:
        from solver.render.suggest import did_you_mean

        close = did_you_mean(key, list(opts))
        known = ", ".join(sorted(opts)) or "none"
        hint = f'did you mean "{close[0]}"? ' if close else ""
        hint += f"options here: {known}"
        p = (*path, key)
        # the local fix: the did-you-mean name when it is free and the value is valid there
        # (read again under that name, it gives no finding); else the key goes
        new: str | None = None
        if close and close[0] not in parent:
            before = len(self.diagnostics)
            self._walk(parent[key], opts[close[0]], (*path, close[0]), option, ctx, legacy)
            if len(self.diagnostics) == before:
                new = close[0]
            del self.diagnostics[before:]
        self.diagnostics.append(
            Diagnostic(
                code="unknown-setting",
                severity="error",
                message=f"The option `{option}.{format_path((key,))}' does not exist.",
                path=format_path(p),
                location=self.locator.locate(p, "key"),
                hint=fix_hint(hint, new),
                args={"option": f"{option}.{format_path((key,))}", **fix_args(p, new)},
                **ctx,
            )
        )

    def _priority_ok(self, prio: int, path: Path, ctx: dict[str, str]) -> bool:
        """Priorities are compared as clingo integers (32 bits); a larger one would wrap
        around and change which definition wins. Reported, and the definition left out."""
        if PRIO_MIN <= prio <= PRIO_MAX:
            return True
        p = (*path, "priority")
        self.diagnostics.append(
            Diagnostic(
                code="priority-range",
                severity="error",
                message=f"override priority {prio} is outside the range inventory-solver "
                f"compares ({PRIO_MIN} to {PRIO_MAX})",
                path=format_path(p),
                location=self.locator.locate(p, "value"),
                hint="use a priority such as 50 (lib.mkForce), 100 or 1000 (lib.mkDefault); "
                "the definition is ignored for the rest of the check",
                args={"priority": str(prio)},
                **ctx,
            )
        )
        return False

    def add_source(
        self,
        instance: int,
        raw: Settings,
        *,
        role: str | None,
        kind: str,
        who: str | None,
        path: Path,
        root_opt: OptionSpec | None,
        option: str,
    ) -> Source | None:
        info = self.side.instance(instance)
        ctx: dict[str, str] = {"instance": info.name}
        if role is not None:
            ctx["role"] = role
        if kind == "machine" and who is not None:
            ctx["machine"] = who
        if kind == "tag" and who is not None:
            ctx["tag"] = who
        ctx["module"] = self.side.module(info.module).ref.name
        # an override around the whole block applies to each top-level key
        prio: int | None = None
        body: Any = raw
        bpath = path
        while _is_override(body):
            if prio is None:
                prio = int(body["priority"])
                if not self._priority_ok(prio, bpath, ctx):
                    return None
            body = body["content"]
            bpath = (*bpath, "content")
        if not isinstance(body, dict):
            return None
        root = Node("attrs", DEFAULT_PRIO, bpath, children={})
        assert root.children is not None
        for k, v in body.items():
            key = str(k)
            child_opt: OptionSpec | None = None
            if root_opt is not None:
                opts = root_opt.options or {}
                if key in opts:
                    child_opt = opts[key]
                elif not root_opt.freeform:
                    self._unknown(bpath, key, option, opts, ctx, body, info.legacy)
                    continue
            child = self._walk(
                v,
                child_opt,
                (*bpath, key),
                f"{option}.{format_path((key,))}",
                ctx,
                info.legacy,
                prio,
            )
            if child is not None:
                root.children[key] = child
        src = Source(len(self.sources) + 1, instance, info, role, kind, who, path, root)
        self.sources.append(src)
        nid = self.side.names
        r = nid(role) if role is not None else 0
        w = nid(who) if who is not None else 0
        self._out.append(f"setting_source({src.id},{instance},{r},{kind},{w}).")
        self._flatten(src.id, root, ())
        return src

    def _flatten(self, s: int, node: Node, keys: tuple[str, ...]) -> None:
        for k, child in (node.children or {}).items():
            ck = (*keys, k)
            p = self.path_id(ck)
            self.nodes[(s, p)] = child
            v = self.value_id(child.value) if child.kind in ("scalar", "list") else 0
            self._out.append(f"setting_node({s},{p},{v},{child.prio},{child.kind}).")
            if child.kind == "attrs":
                self._flatten(s, child, ck)

    # -- after the solve: what findings name (solver/findings/settings.py) -------------
    def option_name(self, src: Source, keys: tuple[str, ...], machine: str) -> str:
        info = src.info
        mod = self.side.module(info.module)
        if info.legacy:
            return f"clan.{format_path((mod.ref.name, *keys))}"
        svc = _service_name(mod.spec, mod.ref.name, mod.ref.input)
        base = format_path(("instances", info.name, "roles", src.role or "", "machines", machine))
        return f"{svc}.{base}.settings.{format_path(keys)}"

    def unique_value_source(
        self, info: InstanceInfo, role: str, keys: tuple[str, ...], v: int, machine: str
    ) -> Source | None:
        p = self.paths.get(keys)
        rs = self.current.get((info.name, role))
        if rs is None or p is None:
            return None
        cands = [rs.machines.get(machine), *rs.tags.values(), rs.role]
        for s in cands:
            n = self.nodes.get((s.id, p)) if s is not None else None
            if s is not None and n is not None and self.value_id(n.value) == v:
                return s
        return None

    # -- after the solve: merged values -------------------------------------------------
    def fill(self, resolution: Resolution) -> None:
        for mres in resolution.machines.values():
            held = [(x.instance, x.module.name, x.role) for x in mres.assignments]
            for a in mres.assignments:
                tags = [v.tag for v in a.via if v.kind == "tag" and v.tag]
                srcs = self.sources_of(mres.name, a.instance, a.role, a.module.name, tags, held)
                _set(a, self._merged(srcs) if srcs else {})

    def sources_of(
        self,
        machine: str,
        instance: str,
        role: str,
        module: str,
        tags: Iterable[str],
        held: Iterable[tuple[str, str, str]],
    ) -> list[Source]:
        """The settings sources of `machine` in (`instance`, `role`), in merge order:
        `tags` are the tags it holds the role through, `held` every (instance, module,
        role) the machine holds, in (instance, role) order (a legacy instance's value is
        written by every instance of its module that the machine is in)."""
        if instance in self.legacy:
            return self._legacy_sources(machine, module, held)
        rs = self.current.get((instance, role))
        if rs is None:
            return []
        srcs: list[Source] = []
        if rs.tags:
            srcs += [rs.tags[t] for t in sorted((t for t in tags if t in rs.tags), reverse=True)]
        ms = rs.machines.get(machine)
        if ms is not None:
            srcs.append(ms)
        if rs.role is not None:
            srcs.append(rs.role)
        return srcs

    def _legacy_sources(
        self, machine: str, module: str, held: Iterable[tuple[str, str, str]]
    ) -> list[Source]:
        """The sources of `clan.<module>` on the machine: every instance of the module
        that the machine is in writes it."""
        srcs: list[Source] = []
        for instance, mod, role in sorted(held, key=lambda x: x[0], reverse=True):
            ls = self.legacy.get(instance)
            if ls is None or mod != module:
                continue
            if ls.instance is not None and ls.instance not in srcs:
                srcs.append(ls.instance)
            ms = ls.machines.get(machine)
            if ms is not None and ms not in srcs:
                srcs.append(ms)
            rsrc = ls.roles.get(role)
            if rsrc is not None and rsrc not in srcs:
                srcs.append(rsrc)
        return srcs

    def shared(self, srcs: list[Source]) -> dict[str, Any]:
        """The merged value of `srcs`, one object per distinct source list (callers must
        not change it): for comparisons (``diff``), which only read values."""
        key = tuple(s.id for s in srcs)
        got = self._shared.get(key)
        if got is None:
            got = self._shared[key] = self._merged(srcs) if srcs else {}
        return got

    def _merged(self, srcs: list[Source]) -> dict[str, Any]:
        """The merged value of `srcs` (in definition order): a fresh object each time,
        loaded from a cached `marshal` image (many machines share one source list; the
        values are JSON data, which marshal copies about twice as fast as json.loads)."""
        key = tuple(s.id for s in srcs)
        blob = self._cache.get(key)
        if blob is None:
            got = _merge([s.root for s in srcs])
            blob = marshal.dumps(got if isinstance(got, dict) else {})
            self._cache[key] = blob
        return marshal.loads(blob)  # type: ignore[no-any-return]


def _set(a: Assignment, value: dict[str, Any]) -> None:
    """`a.settings = value` without pydantic's per-assignment bookkeeping (a fleet has
    ~100k assignments; the field is declared, so dumps and validation see it as usual)."""
    a.__dict__["settings"] = value
    a.__pydantic_fields_set__.add("settings")


def _copy(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _copy(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_copy(x) for x in v]
    return v


def _merge(nodes: list[Node]) -> Any:
    """The module system's merge of one option's definitions (see the module docstring)."""
    if not nodes:
        return MISSING
    w = min(n.prio for n in nodes)
    live = [n for n in nodes if n.prio == w]
    shapes = {SHAPE[n.kind] for n in live}
    if len(shapes) > 1:
        return MISSING
    shape = shapes.pop()
    if shape == "attrs":
        out: dict[str, Any] = {}
        keys: dict[str, None] = {}
        for n in live:
            keys.update(dict.fromkeys(n.children or {}))
        for k in keys:
            v = _merge([n.children[k] for n in live if n.children and k in n.children])
            if v is not MISSING:
                out[k] = v
        return out
    if shape == "list" and all(n.kind == "concat" for n in live):
        return [_copy(e) for n in live for e in n.value]
    first = _canon(live[0].value)
    if all(_canon(n.value) == first for n in live[1:]):
        return _copy(live[0].value)
    return MISSING


def _root_opt(spec: ModuleSpec | None, role: str) -> OptionSpec | None:
    """The role's interface as one submodule option (built once per module and role: a
    fleet has thousands of instances of the same few modules)."""
    rspec = spec.roles.get(role) if spec else None
    if rspec is None or rspec.interface is None:
        return None
    key = (id(rspec), role)
    hit = _ROOT_OPTS.get(key)
    if hit is None or hit[0] is not rspec:
        opt = OptionSpec.model_construct(
            type="submodule",
            nix_type=None,
            nullable=False,
            values=None,
            elem=None,
            options=rspec.interface,
            freeform=rspec.freeform,
            default=None,
            has_default=False,
            description=None,
        )
        hit = _ROOT_OPTS[key] = (rspec, opt)
    return hit[1]


# (id of the RoleSpec, role) -> (the RoleSpec itself, to check the id was not reused; option)
_ROOT_OPTS: dict[tuple[int, str], tuple[RoleSpec, OptionSpec]] = {}


def _legacy_source(
    at: tuple[Plan, int, Path, str],
    config: Settings | None,
    kind: str,
    who: str | None,
    role: str | None,
    *sub: str,
) -> Source | None:
    """One legacy `config` block (instance, machine or role) as a settings source."""
    if config is None:
        return None
    pl, instance, ipath, base = at
    return pl.add_source(
        instance,
        config,
        role=role,
        kind=kind,
        who=who,
        path=(*ipath, *sub, "config"),
        root_opt=None,
        option=base,
    )


def plan(inv: Inventory, cat: Catalogue, side: SideTable, locator: Locator) -> Plan:
    """Read every settings block of `inv` into facts (and schema findings)."""
    del cat  # the module specs are in the side table
    pl = Plan(side, locator)
    nid = side.names
    for i, info in enumerate(side.instances, 1):
        if not info.enabled:
            continue
        mod = side.module(info.module)
        spec = mod.spec
        if info.legacy:
            mname, iname = str(info.path[1]), str(info.path[2])
            linst = (inv.services or {})[mname][iname]
            ls = pl.legacy.setdefault(info.name, _LegacySources())
            base = f"clan.{format_path((mname,))}"

            at = (pl, i, info.path, base)
            ls.instance = _legacy_source(at, linst.config, "instance", None, None)
            for m in sorted(linst.machines):
                cfg = linst.machines[m].config
                src = _legacy_source(at, cfg, "machine", m, None, "machines", m)
                if src is not None:
                    ls.machines[m] = src
            for r in sorted(linst.roles):
                src = _legacy_source(at, linst.roles[r].config, "role", None, r, "roles", r)
                if src is not None:
                    ls.roles[r] = src
            continue
        inst = inv.instances[info.name]
        svc = _service_name(spec, mod.ref.name, mod.ref.input)
        for r in sorted(inst.roles):
            role = inst.roles[r]
            ropt = _root_opt(spec, r)
            rs = pl.current.setdefault((info.name, r), _RoleSources(root_opt=ropt))
            rpath: Path = (*info.path, "roles", r)
            prefix = f"{svc}.{format_path(rpath)}"
            if role.settings is not None:
                rs.role = pl.add_source(
                    i,
                    role.settings,
                    role=r,
                    kind="role",
                    who=None,
                    path=(*rpath, "settings"),
                    root_opt=ropt,
                    option=f"{prefix}.settings",
                )
            # per-machine and per-tag settings of the role: same shape, different scope
            narrow: list[tuple[str, str, dict[str, Settings | None], dict[str, Source]]] = [
                (
                    "machine",
                    "machines",
                    {m: e.settings for m, e in role.machines.items()},
                    rs.machines,
                )
            ]
            if isinstance(role.tags, dict):
                tag_settings = {t: e.settings for t, e in role.tags.items()}
                narrow.append(("tag", "tags", tag_settings, rs.tags))
            for kind, sub, entries, into in narrow:
                for who in sorted(entries):
                    raw = entries[who]
                    if raw is None:
                        continue
                    src = pl.add_source(
                        i,
                        raw,
                        role=r,
                        kind=kind,
                        who=who,
                        path=(*rpath, sub, who, "settings"),
                        root_opt=ropt,
                        option=f"{prefix}.{sub}.{format_path((who,))}.settings",
                    )
                    if src is not None:
                        into[who] = src
    # -- unique settings ----------------------------------------------------------------
    for k, minfo in enumerate(side.modules, 1):
        spec = minfo.spec
        if spec is None or not spec.unique_settings:
            continue
        for x, rule in enumerate(spec.unique_settings):
            keys = tuple(rule.path)
            p = pl.path_id(keys)
            roles = [rule.role] if rule.role else sorted(spec.roles)
            for r in roles:
                pl._out.append(f"unique_setting({k},{nid(r)},{p},{x}).")
                for i, info in enumerate(side.instances, 1):
                    if info.module != k or not info.enabled or info.legacy:
                        continue
                    if r not in inv.instances[info.name].roles:
                        continue
                    opt = _option_at(_root_opt(spec, r), keys)
                    if _instance_name_default(opt):
                        dv = pl.value_id(info.name)
                    elif opt is not None and opt.has_default and opt.default is not None:
                        dv = pl.value_id(opt.default)
                    else:
                        continue
                    pl._out.append(f"unique_default({i},{nid(r)},{p},{dv}).")
    pl._out.append("")
    pl.facts = "\n".join(pl._out)
    return pl


__all__ = ["Node", "Plan", "Source", "plan"]
