"""Model: the inventory as strict pydantic objects, with located schema findings.

Both shapes of clan's inventory are modelled: the current one (``instances``,
docs/semantics.md#inventory-shape) and the legacy one (``services.<module>.<instance>``,
docs/semantics.md#the-legacy-shape). Validation never stops at
the first problem: every schema error becomes a diagnostic (``unknown-key``,
``wrong-type``, ...), the offending value is left out, and the rest is checked.
"""

from __future__ import annotations

import copy
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from solver.diagnostics import Diagnostic
from solver.errors import InputError
from solver.location import Locator, Path, format_path

Settings = dict[str, Any]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True, defer_build=True)


# -- current shape ------------------------------------------------------------------------
class Deploy(_Strict):
    targetHost: str | None = None
    buildHost: str | None = None
    forwardAgent: bool | None = None


class Machine(_Strict):
    name: str | None = None
    description: str | None = None
    icon: str | None = None
    tags: list[str] = Field(default_factory=list)
    machineClass: Literal["nixos", "darwin"] = "nixos"
    deploy: Deploy | None = None
    installedAt: int | None = None
    system: str | None = None  # removed option: reported, then ignored


class Meta(_Strict):
    name: str = Field(pattern=r"^[a-zA-Z0-9_-]*$")
    description: str | None = None
    icon: str | None = None
    domain: str | None = None
    tld: str | None = None


class ModuleSel(_Strict):
    name: str | None = None
    input: str | None = None


class MachineRole(_Strict):
    settings: Settings | None = None
    extraModules: list[Any] = Field(default_factory=list)


class TagRole(_Strict):
    settings: Settings | None = None


class Role(_Strict):
    machines: dict[str, MachineRole] = Field(default_factory=dict)
    tags: list[str] | dict[str, TagRole] = Field(default_factory=list)
    settings: Settings | None = None
    extraModules: list[Any] = Field(default_factory=list)

    def tag_names(self) -> list[str]:
        return list(self.tags) if isinstance(self.tags, list) else list(self.tags.keys())


class Instance(_Strict):
    module: ModuleSel | None = None
    roles: dict[str, Role] = Field(default_factory=dict)

    def module_name(self, instance_name: str) -> str:
        return (self.module.name if self.module and self.module.name else None) or instance_name

    def module_input(self) -> str | None:
        return self.module.input if self.module else None


# -- legacy shape -------------------------------------------------------------------------
class LegacyMeta(_Strict):
    name: str | None = None
    description: str | None = None
    icon: str | None = None


class LegacyRole(_Strict):
    machines: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    config: Settings | None = None
    extraModules: list[Any] = Field(default_factory=list)


class LegacyMachine(_Strict):
    config: Settings | None = None
    extraModules: list[Any] = Field(default_factory=list)


class LegacyInstance(_Strict):
    enabled: bool = True
    meta: LegacyMeta | None = None
    config: Settings | None = None
    extraModules: list[Any] = Field(default_factory=list)
    machines: dict[str, LegacyMachine] = Field(default_factory=dict)
    roles: dict[str, LegacyRole] = Field(default_factory=dict)


class Inventory(_Strict):
    meta: Meta | None = None
    machines: dict[str, Machine] = Field(default_factory=dict)
    tags: dict[str, list[str]] = Field(default_factory=dict)
    instances: dict[str, Instance] = Field(default_factory=dict)
    modules: dict[str, Any] = Field(default_factory=dict)
    services: dict[str, dict[str, LegacyInstance]] | None = None

    @property
    def legacy(self) -> bool:
        return self.services is not None


# -- validation ---------------------------------------------------------------------------
_TYPE_WORDS = {
    "string_type": "string",
    "bool_type": "boolean",
    "int_type": "signed integer",
    "int_parsing": "signed integer",
    "float_type": "floating point number",
    "dict_type": "attribute set",
    "model_type": "submodule",
    "model_attributes_type": "submodule",
    "list_type": "list",
}


def _existing_prefix(data: Any, loc: tuple[Any, ...]) -> Path | None:
    """The longest prefix of a pydantic `loc` that exists in `data`.

    A union (``roles.<r>.tags``: list or attribute set) puts a branch label such as
    ``list[str]`` into `loc`: the label is skipped when its branch matches the value, and
    the error is dropped (None) when it comes from the branch the value does not take."""
    out: list[str | int] = []
    cur = data
    for key in loc:
        if isinstance(cur, dict) and isinstance(key, str) and key in cur:
            cur = cur[key]
            out.append(key)
        elif isinstance(cur, list) and isinstance(key, int) and 0 <= key < len(cur):
            cur = cur[key]
            out.append(key)
        elif isinstance(key, str) and key.startswith(("list[", "dict[")):
            if isinstance(cur, dict) == key.startswith("list["):
                return None  # the other branch of the union
            if not isinstance(cur, (dict, list)):
                break
        else:
            break
    return tuple(out)


def _allowed_keys(parent_model: type[BaseModel] | None) -> list[str]:
    return sorted(parent_model.model_fields) if parent_model else []


def _model_at(path: Path) -> type[BaseModel] | None:
    """Which model describes the object at `path` (for the list of allowed keys)."""
    p = [k for k in path]
    if not p:
        return Inventory
    head = p[0]
    depth = len(p)
    table: dict[tuple[str, int], type[BaseModel]] = {
        ("meta", 1): Meta,
        ("machines", 2): Machine,
        ("machines", 3): Deploy,
        ("instances", 2): Instance,
        ("instances", 3): ModuleSel,
        ("instances", 4): Role,
        ("instances", 6): MachineRole,
        ("services", 3): LegacyInstance,
        ("services", 4): LegacyMeta,
        ("services", 5): LegacyRole,
    }
    if head == "instances" and depth == 6 and p[4] == "tags":
        return TagRole
    if head == "instances" and depth == 3 and p[2] != "module":
        return None
    if head == "services" and depth == 5 and p[3] == "machines":
        return LegacyMachine
    if head == "services" and depth == 4 and p[3] != "meta":
        return None
    if head == "machines" and depth == 3 and p[2] != "deploy":
        return None
    return table.get((str(head), depth))


def _delete(data: Any, path: Path) -> None:
    cur = data
    for key in path[:-1]:
        cur = cur[key]
    last = path[-1]
    if isinstance(cur, dict):
        cur.pop(last, None)
    elif isinstance(cur, list) and isinstance(last, int) and 0 <= last < len(cur):
        del cur[last]


def _inventory_option(path: Path) -> str:
    return "inventory" + ("." + format_path(path) if path else "")


def _fix_machine_lists(data: dict[str, Any], locator: Locator, diags: list[Diagnostic]) -> None:
    """`roles.<r>.machines` as a list (the legacy form) in the current shape: report, convert."""
    from solver.findings.base import with_fix as fix_hint_text

    instances = data.get("instances")
    if not isinstance(instances, dict):
        return
    for iname, inst in instances.items():
        roles = inst.get("roles") if isinstance(inst, dict) else None
        if not isinstance(roles, dict):
            continue
        for rname, role in roles.items():
            if not isinstance(role, dict) or not isinstance(role.get("machines"), list):
                continue
            names = role["machines"]
            path: Path = ("instances", iname, "roles", rname, "machines")
            good = [n for n in names if isinstance(n, str)]
            example = ", ".join(f'"{n}": {{}}' for n in good[:3]) or '"jon": {}'
            diags.append(
                Diagnostic(
                    code="role-machines-list",
                    severity="error",
                    message=(
                        f"A definition for option `{_inventory_option(path)}' is not of type "
                        "`attribute set of (submodule)'"
                    ),
                    path=format_path(path),
                    location=locator.locate(path, "value"),
                    hint=fix_hint_text(
                        f"write the machines as an attribute set: {{{example}}}",
                        "write it as an attribute set",
                    ),
                    instance=iname,
                    role=rname,
                )
            )
            role["machines"] = {n: {} for n in good}


def validate(data: Any, locator: Locator) -> tuple[Inventory, list[Diagnostic]]:
    """Validate `data` as an inventory: the model, plus a diagnostic per schema problem."""
    if not isinstance(data, dict):
        kind = type(data).__name__ if data is not None else "null"
        raise InputError.single(
            "not-an-inventory",
            f"the inventory must be an object, not {kind}",
            locator.locate((), "value"),
            hint='an empty inventory is written "{}"',
        )
    diags: list[Diagnostic] = []
    work = data
    copied = False
    deleted: set[Path] = set()

    def own() -> dict[str, Any]:
        nonlocal work, copied
        if not copied:
            work = copy.deepcopy(work)
            copied = True
        return work

    if _has_machine_lists(work):
        _fix_machine_lists(own(), locator, diags)
    for _ in range(8):
        try:
            inv = Inventory.model_validate(work)
            break
        except ValidationError as exc:
            errors = exc.errors(include_url=False, include_input=False)
            doomed: dict[Path, Diagnostic | None] = {}
            for err in errors:
                loc = tuple(err["loc"])
                found = _existing_prefix(work, loc)
                if found is None:
                    continue
                path = found
                if err["type"] == "missing" and (*path, loc[-1]) in deleted and path:
                    doomed[path] = None  # we removed a required value: drop its owner too
                    continue
                if not path:
                    # the root itself, or a missing top-level key: cannot continue
                    raise InputError.single(
                        "not-an-inventory", err["msg"], locator.locate((), "value")
                    ) from None
                if path in doomed:
                    continue
                doomed[path] = _schema_diag(err, path, loc, locator, work)
            data_copy = own()
            for path in sorted(doomed, key=lambda p: (len(p), [str(k) for k in p]), reverse=True):
                _delete(data_copy, path)
                deleted.add(path)
            diags.extend(_supplied(d, doomed) for d in doomed.values() if d is not None)
    else:  # pragma: no cover - every round removes at least one value
        raise InputError.single("not-an-inventory", "the inventory could not be validated")
    diags.extend(_removed_options(inv, locator))
    return inv, diags


def _supplied(d: Diagnostic, doomed: dict[Path, Diagnostic | None]) -> Diagnostic:
    """A required value is missing, and an unknown key beside it is to be renamed to it
    (``meta: {nmae = "x"}``): that rename is the fix of both findings."""
    from solver.fix.schema import fix_args

    missing = d.args.get("missing")
    if d.code != "wrong-type" or missing is None:
        return d
    owner = tuple(d.args["fix"]["path"])
    for p, other in doomed.items():
        fix = other.args.get("fix") if other is not None else None
        if p[:-1] == owner and isinstance(fix, dict) and fix.get("new") == missing:
            return d.model_copy(
                update={
                    "hint": f"(fix: rename {format_path(p)} to {missing!r}; "
                    "run `inventory-solver fix`)",
                    "args": {**fix_args(p, missing), "missing": missing},
                }
            )
    return d


def _has_machine_lists(data: dict[str, Any]) -> bool:
    inst = data.get("instances")
    if not isinstance(inst, dict):
        return False
    for i in inst.values():
        roles = i.get("roles") if isinstance(i, dict) else None
        if isinstance(roles, dict):
            for r in roles.values():
                if isinstance(r, dict) and isinstance(r.get("machines"), list):
                    return True
    return False


def _rename_target(work: Any, path: Path, allowed: list[str]) -> tuple[str | None, str | None]:
    """The did-you-mean name of the unknown key at `path`, and that name again when the key
    can simply be renamed to it: not defined already, and the value valid under it."""
    from pydantic import TypeAdapter

    from solver.render.suggest import did_you_mean

    key = path[-1]
    parent = _get(work, path[:-1])
    if not isinstance(key, str) or not isinstance(parent, dict):
        return None, None
    close = did_you_mean(key, allowed, limit=1)
    model = _model_at(path[:-1])
    if not close or close[0] in parent or model is None:
        return (close[0] if close else None), None
    field = model.model_fields.get(close[0])
    if field is None or field.annotation is None:
        return close[0], None
    kind: Any = field.annotation
    if field.metadata:  # constraints such as meta.name's pattern
        kind = Annotated[(kind, *field.metadata)]
    try:
        TypeAdapter(kind).validate_python(parent[key], strict=True)
    except ValidationError:
        return close[0], None
    return close[0], close[0]


def _get(data: Any, path: Path) -> Any:
    cur = data
    for k in path:
        if isinstance(cur, dict) and k in cur:
            cur = cur[k]
        elif isinstance(cur, list) and isinstance(k, int) and 0 <= k < len(cur):
            cur = cur[k]
        else:
            return None
    return cur


def _schema_diag(
    err: Any, path: Path, loc: tuple[Any, ...], locator: Locator, work: Any
) -> Diagnostic:
    from solver.fix.schema import fix_args, fix_hint

    etype = err["type"]
    option = _inventory_option(path)
    ctx = _context(path)
    if etype == "extra_forbidden" and len(path) == len(loc):
        allowed = _allowed_keys(_model_at(path[:-1]))
        if "system" in allowed:
            allowed.remove("system")
        if "services" in allowed:
            allowed.remove("services")
        close, new = _rename_target(work, path, allowed)
        hint = ("allowed keys here: " + ", ".join(allowed)) if allowed else None
        if close is not None:
            parent = _get(work, path[:-1])
            taken = ""
            if new is None:
                defined = isinstance(parent, dict) and close in parent
                taken = " (defined already)" if defined else " (the value does not fit it)"
            hint = f'did you mean "{close}"{taken}? {hint}'
        return Diagnostic(
            code="unknown-key",
            severity="error",
            message=f"The option `{option}' does not exist.",
            path=format_path(path),
            location=locator.locate(path, "key"),
            hint=fix_hint(hint, new),
            args=fix_args(path, new),
            **ctx,
        )
    if etype == "missing":
        return Diagnostic(
            code="wrong-type",
            severity="error",
            message=f"The option `{option}.{loc[-1]}' is used but not defined.",
            path=format_path(path),
            location=locator.locate(path, "key"),
            hint=fix_hint(None, None),
            args={**fix_args(path, None), "missing": str(loc[-1])},
            **ctx,
        )
    word = _TYPE_WORDS.get(etype)
    if etype == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        word = "one of " + expected.replace("'", '"').replace(" or ", ", ")
    elif etype == "string_pattern_mismatch":
        word = "string matching the pattern " + err.get("ctx", {}).get("pattern", "").strip("^$")
    elif len(loc) > len(path) and _union_word(path):
        word = _union_word(path)
    if word is None:
        word = err["msg"]
    return Diagnostic(
        code="wrong-type",
        severity="error",
        message=f"A definition for option `{option}' is not of type `{word}'",
        path=format_path(path),
        location=locator.locate(path, "value"),
        hint=fix_hint("the value is ignored for the rest of the check", None),
        args=fix_args(path, None),
        **ctx,
    )


def _union_word(path: Path) -> str | None:
    if len(path) == 5 and path[0] == "instances" and path[4] == "tags":
        return "(list of string) or (attribute set of (submodule))"
    return None


def _context(path: Path) -> dict[str, str]:
    ctx: dict[str, str] = {}
    if len(path) >= 2 and path[0] == "instances":
        ctx["instance"] = str(path[1])
        if len(path) >= 4 and path[2] == "roles":
            ctx["role"] = str(path[3])
    if len(path) >= 2 and path[0] == "machines":
        ctx["machine"] = str(path[1])
    return ctx


def _removed_options(inv: Inventory, locator: Locator) -> list[Diagnostic]:
    from solver.fix.schema import fix_args, fix_hint

    out: list[Diagnostic] = []
    if inv.services is not None:
        out.append(
            Diagnostic(
                code="removed-option",
                severity="error",
                message=(
                    "The option definition `services' no longer has any effect; please remove "
                    "it. The `inventory.services` option has been removed. Use "
                    "`inventory.instances` instead."
                ),
                path="services",
                location=locator.locate(("services",), "key"),
                hint=(
                    "migrate each services.<module>.<instance> to instances.<module>-<instance> "
                    "with module.name = <module> and roles.<r>.machines as an attribute set; "
                    "see https://clan.lol/docs/guides/migrations/migrate-inventory-services "
                    "(no automatic fix: `inventory-solver fix` leaves the migration to you)"
                ),
            )
        )
    for name, m in inv.machines.items():
        if m.system is not None:
            path: Path = ("machines", name, "system")
            out.append(
                Diagnostic(
                    code="removed-option",
                    severity="error",
                    message=f"The option `{_inventory_option(path)}' does not exist.",
                    path=format_path(path),
                    location=locator.locate(path, "key"),
                    hint=fix_hint(
                        "`system` was dropped from the inventory (2024-09); set "
                        "nixpkgs.hostPlatform in the machine's configuration instead",
                        None,
                    ),
                    args=fix_args(path, None),
                    machine=name,
                )
            )
    return out
