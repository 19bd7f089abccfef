"""Read a clan-core checkout statically: every ``clanServices/<name>/default.nix`` to a
:class:`~solver.catalogue.model.ModuleSpec`.

The project's Nix evaluator (:mod:`solver.read.nix.eval`) reads each service file with a
``lib`` that also understands the option declarations (``lib.mkOption``,
``lib.mkEnableOption``, ``lib.mkPackageOption``, ``lib.types.*``, ``lib.literalExpression``
…). What is read:

* ``manifest``: ``name``, ``description``, ``categories``; a file that is a bare
  ``throw ''…''`` (a service moved out of clan-core) is a deprecated module whose message is
  the thrown text;
* ``manifest.constraints``: ``maxInstances`` and ``roles.<r>.{minMachines,maxMachines}``;
* ``roles.<r>``: the description and the ``interface`` (a module: ``options`` with
  ``mkOption`` declarations, nested attribute sets of options, ``freeformType``), turned
  into :class:`~solver.catalogue.model.OptionSpec` s;
* whether a role's ``perInstance`` or the service's ``perMachine`` returns a
  ``darwinModule``: then the module supports ``darwin`` machines too;
* the registry: ``clanServices/<name>/flake-module.nix``'s ``clan.modules`` (the names a
  service is exported under) and ``clan.deprecatedModules``.

Reading is confined to the checkout (:class:`solver.files.Files`); the record of what was
read (:meth:`ClanCoreReader.fs`) keys the cache (see :mod:`solver.catalogue.source`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from solver.catalogue.model import MachineClass, ModuleSpec, OptionSpec, RoleSpec
from solver.files import Files
from solver.read.nix import lib as nixlib
from solver.read.nix.eval import (
    Attrs,
    Builtin,
    Field,
    If,
    Lambda,
    ListV,
    Merge,
    Opaque,
    Override,
    Reader,
    Scalar,
    Shim,
    Site,
    Thunk,
    Val,
    get_attr,
    ready,
)
from solver.read.nix.modules import ModuleReader
from solver.read.nix.parse import Node, Src

# -- values of the option shim ------------------------------------------------------------


class TypeV(Opaque):
    """A ``lib.types`` value: `kind` and its parameters (element types, enum values,
    submodule options)."""

    __slots__ = ("args", "kind", "nix_type")

    def __init__(self, kind: str, nix_type: str, args: dict[str, Any] | None = None) -> None:
        super().__init__(None, None, f"the option type `{nix_type}'")
        self.kind = kind
        self.nix_type = nix_type
        self.args = args or {}


class OptionV(Opaque):
    """A ``lib.mkOption { … }`` value; `decl` is its argument."""

    __slots__ = ("decl",)

    def __init__(self, site: Site, decl: Thunk) -> None:
        super().__init__(site[0], site[1], "an option declaration")
        self.decl = decl


class Thrown(Opaque):
    """``throw msg`` with the whole message (the evaluator's own keeps 80 characters)."""

    __slots__ = ("message",)

    def __init__(self, site: Site, message: str) -> None:
        super().__init__(site[0], site[1], f'a `throw\' ("{message[:80]}")')
        self.message = message


def _scalar_type(kind: str, nix_type: str) -> TypeV:
    return TypeV(kind, nix_type)


_SIMPLE: dict[str, tuple[str, str]] = {
    "str": ("str", "string"),
    "string": ("str", "string"),
    "lines": ("str", 'strings concatenated with "\\n"'),
    "commas": ("str", 'strings concatenated with ","'),
    "envVar": ("str", 'strings concatenated with ":"'),
    "singleLineStr": ("str", "(optionally newline-terminated) single-line string"),
    "nonEmptyStr": ("str", "non-empty string"),
    "int": ("int", "signed integer"),
    "float": ("float", "floating point number"),
    "number": ("number", "signed integer or floating point number"),
    "bool": ("bool", "boolean"),
    "port": ("port", "16 bit unsigned integer; between 0 and 65535 (both inclusive)"),
    "path": ("path", "path"),
    "pathInStore": ("path", "path in the Nix store"),
    "anything": ("anything", "anything"),
    "raw": ("anything", "raw value"),
    "unspecified": ("anything", "unspecified value"),
    "package": ("anything", "package"),
    "deferredModule": ("anything", "module"),
    "json": ("anything", "JSON value"),
    "attrs": ("attrs", "attribute set"),
    "pkgs": ("anything", "Nix packages"),
    "bits": ("anything", "bits"),
}
_INTS: dict[str, str] = {
    "unsigned": "unsigned integer, meaning >=0",
    "positive": "positive integer, meaning >0",
    "u8": "8 bit unsigned integer; between 0 and 255 (both inclusive)",
    "u16": "16 bit unsigned integer; between 0 and 65535 (both inclusive)",
    "u32": "32 bit unsigned integer; between 0 and 4294967295 (both inclusive)",
    "s8": "8 bit signed integer; between -128 and 127 (both inclusive)",
    "s16": "16 bit signed integer; between -32768 and 32767 (both inclusive)",
    "s32": "32 bit signed integer; between -2147483648 and 2147483647 (both inclusive)",
}


def _type_of(th: Thunk | Val) -> TypeV:
    v = th.force() if isinstance(th, Thunk) else th
    if isinstance(v, TypeV):
        return v
    return TypeV("anything", "unknown type", {"why": getattr(v, "what", "")})


def _data(v: Val, depth: int = 0) -> Any:
    """Plain data of a value (strings, numbers, lists, sets); :class:`_NotData` if not."""
    if depth > 40:
        raise _NotData
    while isinstance(v, Override):
        v = v.content.force()
    if isinstance(v, Scalar):
        return v.value
    if isinstance(v, ListV):
        return [_data(t.force(), depth + 1) for t in v.items]
    if isinstance(v, Attrs) and not isinstance(v, Shim):
        if v.dynamic:
            raise _NotData
        out = {}
        for k in sorted(v.fields):
            got = get_attr(v, k)
            if got is None:
                raise _NotData
            out[k] = _data(got, depth + 1)
        return out
    raise _NotData


class _NotData(Exception):
    pass


def _str_list(v: Val | None) -> list[str]:
    if isinstance(v, ListV):
        out = []
        for t in v.items:
            x = t.force()
            if isinstance(x, Scalar) and isinstance(x.value, str):
                out.append(x.value)
        return out
    return []


# -- the lib shim ---------------------------------------------------------------------------


def _b(name: str, arity: int, impl: Callable[[Reader, list[Thunk], Site], Val]) -> Builtin:
    return Builtin(name, arity, impl)


def _mk_option(r: Reader, a: list[Thunk], site: Site) -> Val:
    return OptionV(site, a[0])


def _mk_enable_option(r: Reader, a: list[Thunk], site: Site) -> Val:
    decl = Attrs(None, None)
    decl.add("type", Field(None, None, ready(TypeV("bool", "boolean"))))
    decl.add("default", Field(None, None, ready(Scalar(None, None, False))))

    def desc() -> Val:
        v = a[0].force()
        if isinstance(v, Scalar) and isinstance(v.value, str):
            return Scalar(None, None, f"Whether to enable {v.value}.")
        return v

    decl.add("description", Field(None, None, Thunk(desc)))
    return OptionV(site, ready(decl))


def _mk_package_option(r: Reader, a: list[Thunk], site: Site) -> Val:
    decl = Attrs(None, None)
    decl.add("type", Field(None, None, ready(TypeV("anything", "package"))))
    decl.add("default", Field(None, None, ready(Opaque(None, None, "a package"))))
    return OptionV(site, ready(decl))


def _type_fn(kind: str, arity: int, build: Callable[[list[Thunk]], TypeV]) -> Builtin:
    return _b(kind, arity, lambda r, a, site: build(a))


def _list_of(a: list[Thunk]) -> TypeV:
    e = _type_of(a[0])
    return TypeV("list", f"list of {e.nix_type}", {"elem": e})


def _attrs_of(a: list[Thunk]) -> TypeV:
    e = _type_of(a[0])
    return TypeV("attrs", f"attribute set of {e.nix_type}", {"elem": e})


def _null_or(a: list[Thunk]) -> TypeV:
    e = _type_of(a[0])
    return TypeV("nullOr", f"null or {e.nix_type}", {"elem": e})


def _either(a: list[Thunk]) -> TypeV:
    x, y = _type_of(a[0]), _type_of(a[1])
    return TypeV("either", f"{x.nix_type} or {y.nix_type}", {"alts": [x, y]})


def _one_of(a: list[Thunk]) -> TypeV:
    v = a[0].force()
    alts = [_type_of(t) for t in v.items] if isinstance(v, ListV) else []
    return TypeV("either", " or ".join(t.nix_type for t in alts) or "unknown type", {"alts": alts})


def _enum(a: list[Thunk]) -> TypeV:
    v = a[0].force()
    try:
        values = _data(v)
    except _NotData:
        return TypeV("anything", "enumeration")
    if not isinstance(values, list):
        return TypeV("anything", "enumeration")
    return TypeV("enum", "one of " + ", ".join(json.dumps(x) for x in values), {"values": values})


def _str_matching(a: list[Thunk]) -> TypeV:
    v = a[0].force()
    pat = v.value if isinstance(v, Scalar) and isinstance(v.value, str) else None
    if pat is None:
        return TypeV("str", "string")
    return TypeV("str", f"string matching the pattern {pat}")


def _submodule(a: list[Thunk]) -> TypeV:
    return TypeV("submodule", "submodule", {"module": a[0]})


def _submodule_with(a: list[Thunk]) -> TypeV:
    v = a[0].force()
    mods = get_attr(v, "modules") if isinstance(v, Attrs) else None
    return TypeV("submodule", "submodule", {"modules": mods})


def _same(kind_arg: int) -> Callable[[list[Thunk]], TypeV]:
    return lambda a: _type_of(a[kind_arg])


def _coerced_to(a: list[Thunk]) -> TypeV:
    return _type_of(a[2])


def _lib_shim() -> Shim:
    base = nixlib.lib_set()
    s = Shim("lib")
    for k, fs in base.fields.items():
        s.fields[k] = list(fs)
    types = Attrs(None, None)
    for name, (kind, nix) in _SIMPLE.items():
        types.add(name, Field(None, None, ready(TypeV(kind, nix))))
    ints = Attrs(None, None)
    for name, nix in _INTS.items():
        ints.add(name, Field(None, None, ready(TypeV("int", nix))))
    ints.add(
        "between",
        Field(None, None, ready(_type_fn("between", 2, lambda a: TypeV("int", "integer")))),
    )
    types.add("ints", Field(None, None, ready(ints)))
    numbers = Attrs(None, None)
    for name in ("nonnegative", "positive"):
        numbers.add(name, Field(None, None, ready(TypeV("number", f"{name} number"))))
    types.add("numbers", Field(None, None, ready(numbers)))
    fns: dict[str, tuple[int, Callable[[list[Thunk]], TypeV]]] = {
        "listOf": (1, _list_of),
        "nonEmptyListOf": (1, _list_of),
        "attrsOf": (1, _attrs_of),
        "lazyAttrsOf": (1, _attrs_of),
        "nullOr": (1, _null_or),
        "either": (2, _either),
        "oneOf": (1, _one_of),
        "enum": (1, _enum),
        "strMatching": (1, _str_matching),
        "separatedString": (1, lambda a: TypeV("str", "string")),
        "submodule": (1, _submodule),
        "submoduleWith": (1, _submodule_with),
        "uniq": (1, _same(0)),
        "unique": (2, _same(1)),
        "addCheck": (2, _same(0)),
        "coercedTo": (3, _coerced_to),
        "functionTo": (1, lambda a: TypeV("anything", "function")),
        "package": (0, lambda a: TypeV("anything", "package")),
    }
    for name, (arity, build) in fns.items():
        if arity:
            types.add(name, Field(None, None, ready(_type_fn(name, arity, build))))
    s.fields["types"] = [Field(None, None, ready(types))]
    for name, arity, impl in (
        ("mkOption", 1, _mk_option),
        ("mkEnableOption", 1, _mk_enable_option),
        ("mkPackageOption", 3, _mk_package_option),
        ("mkPackageOptionMD", 3, _mk_package_option),
    ):
        s.fields[name] = [Field(None, None, ready(_b(name, arity, impl)))]
    ident = _b("literal", 1, lambda r, a, site: a[0].force())
    for name in ("literalExpression", "literalMD", "mdDoc", "literalExample"):
        s.fields[name] = [Field(None, None, ready(ident))]
    for ns in (*nixlib._NAMESPACES, "options", "lib"):
        s.fields[ns] = [Field(None, None, ready(s))]
    return s


_SHIM: list[Shim] = []


def lib_shim() -> Shim:
    """The evaluator's ``lib`` plus the option declarations (built once)."""
    if not _SHIM:
        _SHIM.append(_lib_shim())
    return _SHIM[0]


def _mk_removed_option(r: Reader, a: list[Thunk], site: Site) -> Val:
    """clan-core's ``clanLib.mkRemovedOption name message``: a raw option that throws when
    set (kept as an option so that setting it is not `unknown-setting`)."""
    decl = Attrs(None, None)
    decl.add("type", Field(None, None, ready(TypeV("anything", "raw value"))))
    decl.add("default", Field(None, None, ready(Scalar(None, None, None))))

    def desc() -> Val:
        v = a[1].force()
        msg = v.value if isinstance(v, Scalar) and isinstance(v.value, str) else ""
        return Scalar(None, None, f"[removed] {msg}".strip())

    decl.add("description", Field(None, None, Thunk(desc)))
    return OptionV(site, ready(decl))


def clan_lib_shim() -> Attrs:
    """The part of clan-core's ``clanLib`` that service interfaces use."""
    s = Attrs(None, None)
    s.add("mkRemovedOption", Field(None, None, ready(_b("mkRemovedOption", 2, _mk_removed_option))))
    return s


def _throw(r: Reader, a: list[Thunk], site: Site) -> Val:
    v = a[0].force()
    msg = v.value if isinstance(v, Scalar) and isinstance(v.value, str) else "…"
    return Thrown(site, msg)


_THROW = Builtin("throw", 1, _throw)


class ClanCoreReader(ModuleReader):
    """:class:`ModuleReader` whose ``lib`` is :func:`lib_shim` and whose ``throw`` keeps
    its message."""

    def variable(self, src: Src, node: Node, name: str, scope: Any) -> Val:
        val = super().variable(src, node, name, scope)
        if val is nixlib.lib_set():
            return lib_shim()
        if name == "throw" and val is nixlib.global_value("throw"):
            return _THROW
        return val

    def _formal(
        self, src: Src, ident: Node, name: str, arg: Thunk, default: Node | None, scope: Any
    ) -> Thunk:
        th = super()._formal(src, ident, name, arg, default, scope)
        if name != "lib":
            return th

        def fn() -> Val:
            v = th.force()
            return lib_shim() if v is nixlib.lib_set() else v

        return Thunk(fn)


# -- interfaces -----------------------------------------------------------------------------


@dataclass
class ReadNote:
    """Something of a service that could not be read (said, never silently dropped)."""

    module: str
    what: str


@dataclass
class ClanCoreCatalogue:
    """What was read from one checkout."""

    root: str
    modules: list[ModuleSpec]
    notes: list[ReadNote] = field(default_factory=list)
    files: Files | None = None
    revision: str | None = None


def _call_module(r: ClanCoreReader, fn: Val, extra: dict[str, Thunk] | None = None) -> Val:
    """Apply a module function to ``{ lib, config, … }`` (others are unknown)."""
    seen = 0
    while isinstance(fn, Lambda) and seen < 4:
        seen += 1
        args = Attrs(None, None)
        args.add("lib", Field(None, None, ready(lib_shim())))
        args.add("clanLib", Field(None, None, ready(clan_lib_shim())))
        for k, v in (extra or {}).items():
            args.add(k, Field(None, None, v))
        fn = r.call_value(fn, ready(args), (fn.src, fn.node))
    return fn


def _strip(v: Val) -> Val:
    while isinstance(v, (Override, If)):
        v = v.content.force()
    return v


def _text(v: Val | None) -> str | None:
    if v is None:
        return None
    v = _strip(v)
    if isinstance(v, Scalar) and isinstance(v.value, str):
        return v.value
    return None


def _attr(v: Val | None, *path: str) -> Val | None:
    for p in path:
        if v is None:
            return None
        v = _strip(v)
        if not isinstance(v, Attrs):
            return None
        v = get_attr(v, p)
    return _strip(v) if v is not None else None


class _Interface:
    def __init__(self, r: ClanCoreReader, module: str, notes: list[ReadNote]) -> None:
        self.r = r
        self.module = module
        self.notes = notes

    def module_options(self, mod: Val | None, where: str) -> tuple[dict[str, OptionSpec], bool]:
        """A module's ``options`` (and whether it has a ``freeformType``)."""
        if mod is None:
            return {}, False
        v = _strip(_call_module(self.r, _strip(mod)))
        if isinstance(v, Merge):
            out: dict[str, OptionSpec] = {}
            free = False
            for t in v.items:
                o, f = self.module_options(t.force(), where)
                out.update(o)
                free = free or f
            return out, free
        if not isinstance(v, Attrs):
            self.notes.append(ReadNote(self.module, f"{where}: {getattr(v, 'what', 'not read')}"))
            return {}, True
        free = get_attr(v, "freeformType") is not None
        imports = _attr(v, "imports")
        out = {}
        if isinstance(imports, ListV):
            for t in imports.items:
                o, f = self.module_options(t.force(), where)
                out.update(o)
                free = free or f
        opts = _attr(v, "options")
        if opts is not None:
            out.update(self.options(opts, where))
        elif "options" not in v.fields and "config" not in v.fields:
            # a module without `options`/`config` keys: everything but these is config
            pass
        return dict(sorted(out.items())), free

    def options(self, v: Val, where: str) -> dict[str, OptionSpec]:
        v = _strip(v)
        if not isinstance(v, Attrs):
            self.notes.append(
                ReadNote(self.module, f"{where}: options are {getattr(v, 'what', 'not a set')}")
            )
            return {}
        out: dict[str, OptionSpec] = {}
        for name in sorted(v.fields):
            got = get_attr(v, name)
            if got is None:
                continue
            got = _strip(got)
            if isinstance(got, OptionV):
                out[name] = self.option(got, f"{where}.{name}")
            elif isinstance(got, Attrs):
                out[name] = OptionSpec(
                    type="submodule",
                    options=self.options(got, f"{where}.{name}"),
                    default={},
                    has_default=True,
                )
            else:
                self.notes.append(
                    ReadNote(self.module, f"{where}.{name}: {getattr(got, 'what', 'not read')}")
                )
        for d in v.dynamic:
            self.notes.append(ReadNote(self.module, f"{where}: an option named by {d.what}"))
        return out

    def option(self, o: OptionV, where: str) -> OptionSpec:
        decl = _strip(o.decl.force())
        if not isinstance(decl, Attrs):
            self.notes.append(ReadNote(self.module, f"{where}: declaration not read"))
            return OptionSpec(type="anything")
        tv = get_attr(decl, "type")
        typ = _type_of(tv) if tv is not None else TypeV("anything", "unspecified value")
        spec = self.spec(typ, where)
        upd: dict[str, Any] = {}
        d = get_attr(decl, "default")
        if d is not None:
            try:
                upd["default"] = _data(d)
                upd["has_default"] = True
            except _NotData:
                upd["has_default"] = False
                dt = _text(get_attr(decl, "defaultText"))
                upd["description"] = "[computed default" + (f": {dt}" if dt else "") + "] "
        desc = _text(get_attr(decl, "description"))
        if desc is not None:
            upd["description"] = (upd.get("description") or "") + desc.strip()
        return spec.model_copy(update=upd)

    def spec(self, t: TypeV, where: str, depth: int = 0) -> OptionSpec:
        if depth > 20:
            return OptionSpec(type="anything", nix_type=t.nix_type)
        k = t.kind
        if k == "nullOr":
            inner = self.spec(t.args["elem"], where, depth + 1)
            return inner.model_copy(update={"nullable": True, "nix_type": t.nix_type})
        if k in ("list", "attrs"):
            e = t.args.get("elem")
            elem = self.spec(e, where, depth + 1) if e is not None else None
            return OptionSpec(type=cast(Any, k), nix_type=t.nix_type, elem=elem)
        if k == "enum":
            return OptionSpec(type="enum", nix_type=t.nix_type, values=t.args["values"])
        if k == "either":
            return OptionSpec(type="anything", nix_type=t.nix_type)
        if k == "submodule":
            mods: list[Val] = []
            if "module" in t.args:
                mods.append(t.args["module"].force())
            else:
                ml = t.args.get("modules")
                if isinstance(ml, ListV):
                    mods.extend(x.force() for x in ml.items)
            opts: dict[str, OptionSpec] = {}
            free = False
            for m in mods:
                o, f = self.module_options(m, where)
                opts.update(o)
                free = free or f
            return OptionSpec(
                type="submodule", nix_type="submodule", options=opts or {}, freeform=free
            )
        if k == "str" and t.nix_type.startswith("string matching"):
            return OptionSpec(type="str", nix_type=t.nix_type)
        nix = None if t.nix_type == _DEFAULT_WORD.get(k) else t.nix_type
        return OptionSpec(type=cast(Any, k), nix_type=nix)


_DEFAULT_WORD = {
    "str": "string",
    "int": "signed integer",
    "bool": "boolean",
    "path": "path",
    "port": "16 bit unsigned integer; between 0 and 65535 (both inclusive)",
    "anything": "anything",
    "float": "floating point number",
    "number": "signed integer or floating point number",
}


# -- services -------------------------------------------------------------------------------


def _has_darwin(r: ClanCoreReader, v: Val | None) -> bool:
    """Whether a ``perInstance``/``perMachine`` value returns a ``darwinModule``."""
    if v is None:
        return False
    v = _strip(v)
    got = _strip(_call_module(r, v)) if isinstance(v, Lambda) else v
    if isinstance(got, Attrs):
        return "darwinModule" in got.fields
    # not readable: look at the text of the function
    if v.src is not None and v.node is not None:
        return "darwinModule" in v.src.text(v.node)
    return False


def read_service(r: ClanCoreReader, name: str, path: str, notes: list[ReadNote]) -> ModuleSpec:
    """One service's :class:`ModuleSpec` from its ``default.nix``."""
    rel = os.path.relpath(path, r.fs.root)
    source = f"{rel} (read from the clan-core checkout)"
    val = _strip(r.import_file(path))
    thrown = f"{rel}: the file is a `throw' (no roles, builds nothing)"
    if isinstance(val, Thrown):
        return ModuleSpec(
            name=name,
            roles={},
            deprecated=val.message.strip(),
            source=source,
            classes_source=thrown,
        )
    config_th = Thunk(lambda: val_th.force())
    val_th = Thunk(lambda: _strip(_call_module(r, val, {"config": config_th})))
    mod = val_th.force()
    if isinstance(mod, Thrown):
        return ModuleSpec(
            name=name,
            roles={},
            deprecated=mod.message.strip(),
            source=source,
            classes_source=thrown,
        )
    if not isinstance(mod, Attrs):
        notes.append(ReadNote(name, f"{rel}: {getattr(mod, 'what', 'not a module')}"))
        return ModuleSpec(name=name, roles={}, source=source)
    iface = _Interface(r, name, notes)
    roles: dict[str, RoleSpec] = {}
    darwin = _has_darwin(r, _attr(mod, "perMachine"))
    rv = _attr(mod, "roles")
    cons = _attr(mod, "manifest", "constraints", "roles")
    if isinstance(rv, Attrs):
        for rname in sorted(rv.fields):
            role = _attr(rv, rname)
            desc = _text(_attr(role, "description"))
            iv = _attr(role, "interface")
            interface: dict[str, OptionSpec] | None = None
            freeform = True
            if iv is not None:
                interface, freeform = iface.module_options(iv, f"roles.{rname}.interface")
            elif isinstance(role, Attrs):
                interface, freeform = {}, False
            darwin = darwin or _has_darwin(r, _attr(role, "perInstance"))
            mn = _attr(cons, rname, "minMachines")
            mx = _attr(cons, rname, "maxMachines")
            roles[rname] = RoleSpec(
                description=desc.strip() if desc else None,
                min_machines=mn.value if isinstance(mn, Scalar) else None,
                max_machines=mx.value if isinstance(mx, Scalar) else None,
                interface=interface,
                freeform=freeform,
            )
    else:
        notes.append(ReadNote(name, f"{rel}: roles not read"))
    mi = _attr(mod, "manifest", "constraints", "maxInstances")
    classes: list[MachineClass] = ["nixos", "darwin"] if darwin else ["nixos"]
    return ModuleSpec(
        name=name,
        manifest_name=_text(_attr(mod, "manifest", "name")),
        description=_text(_attr(mod, "manifest", "description")),
        roles=roles,
        max_instances=mi.value if isinstance(mi, Scalar) and isinstance(mi.value, int) else None,
        classes=classes,
        classes_source=f"{rel}: "
        + (
            "a role's perInstance or perMachine returns a darwinModule"
            if darwin
            else "no darwinModule in any role or perMachine"
        ),
        source=source,
    )


def _registry(r: ClanCoreReader, svc_dir: str) -> tuple[list[str], list[str]]:
    """(names in ``clan.modules``, names in ``clan.deprecatedModules``) of a service's
    ``flake-module.nix``; empty when it is absent or unreadable."""
    path = os.path.join(svc_dir, "flake-module.nix")
    if r.fs.kind(path) != "file":
        return [], []
    v = _strip(_call_module(r, _strip(r.import_file(path))))
    clan = _attr(v, "clan")
    mods = _attr(clan, "modules")
    names = sorted(mods.fields) if isinstance(mods, Attrs) else []
    return names, _str_list(_attr(clan, "deprecatedModules"))


def read_checkout(root: str) -> ClanCoreCatalogue:
    """Every service of a clan-core checkout (sorted by name)."""
    files = Files(root)
    r = ClanCoreReader(files, display=lambda p: os.path.relpath(p, files.root))
    services = os.path.join(files.root, "clanServices")
    notes: list[ReadNote] = []
    specs: list[ModuleSpec] = []
    try:
        names = files.listdir(services)
    except OSError:
        names = []
    for name in sorted(names):
        d = os.path.join(services, name)
        path = os.path.join(d, "default.nix")
        if files.kind(d) != "dir" or files.kind(path) != "file":
            continue
        try:
            spec = read_service(r, name, path, notes)
        except Exception as exc:  # a service not read is said, not fatal
            notes.append(ReadNote(name, f"not read: {exc}"))
            continue
        exported, deprecated = _registry(r, d)
        for alias in exported or [name]:
            upd: dict[str, Any] = {"name": alias}
            if alias in deprecated and spec.deprecated is None:
                upd["deprecated"] = f"The '{alias}' service is deprecated in clan-core."
            specs.append(spec.model_copy(update=upd))
    specs.sort(key=lambda s: s.name)
    return ClanCoreCatalogue(root=files.root, modules=specs, notes=notes, files=files)
