"""What ``inventory-solver catalogue`` and ``explain MODULE`` show: the modules of the
catalogue a clan is checked against (the clan-core it pins, a checkout, or the built-in
one), with their roles, constraints and settings options.

JSON document, version 1::

    {
      "version": 1,
      "catalogue": {"origin": "flake.lock" | "path" | "built-in",
                    "where": str | null,       # the checkout or store path read
                    "revision": str | null,    # clan-core revision, when known
                    "files": [str]},           # user catalogue files layered on top
      "modules": [{"name", "input", "kind", "instances": [str], "in_catalogue": bool,
                   "spec": {...} | null}],     # the catalogue entry (model.ModuleSpec)
      "notes": [{"code", "message", ...}]      # what could not be read
    }

Modules are sorted by kind (service first), name, input. Fields may be added at the end
of an object without a version change.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from solver.catalogue import Catalogue, ModuleKey
from solver.catalogue.model import ModuleSpec, OptionSpec
from solver.diagnostics import Diagnostic

VERSION = 1
_KIND_ORDER = {"service": 0, "legacy": 1}


@dataclass
class Used:
    key: ModuleKey
    instances: list[str]
    spec: ModuleSpec | None


@dataclass
class View:
    origin: str
    where: str | None
    revision: str | None
    files: list[str]
    modules: list[Used]
    notes: list[Diagnostic] = field(default_factory=list)
    everything: bool = False


def _sort_key(u: Used) -> tuple[int, str, str]:
    inp, name, kind = u.key
    return (_KIND_ORDER.get(kind, 2), name, inp or "")


def used_modules(inv: Any, cat: Catalogue) -> dict[ModuleKey, list[str]]:
    """(input, name, kind) of every module the inventory uses -> its instances."""
    out: dict[ModuleKey, list[str]] = {}
    for iname, inst in sorted(inv.instances.items()):
        name = inst.module_name(iname)
        inp = inst.module_input()
        if inp in cat.core_inputs:
            inp = None
        out.setdefault((inp, name, "service"), []).append(iname)
    for mname, insts in sorted((inv.services or {}).items()):
        for iname in sorted(insts):
            out.setdefault((None, mname, "legacy"), []).append(iname)
    return out


def build_view(
    cat: Catalogue,
    origin: str,
    where: str | None,
    revision: str | None,
    inv: Any | None,
    everything: bool,
    notes: Iterable[Diagnostic] = (),
) -> View:
    used = used_modules(inv, cat) if inv is not None else {}
    keys: set[ModuleKey] = set(used)
    if everything:
        keys |= {*cat.modules, *cat.raw}
    mods = [Used(k, used.get(k, []), cat.get(*k)) for k in keys]
    mods.sort(key=_sort_key)
    files = [f for f in cat.files if f != "<built-in>" and f != where]
    return View(origin, where, revision, files, mods, list(notes), everything)


# -- JSON -----------------------------------------------------------------------------------


def to_data(view: View) -> dict[str, Any]:
    return {
        "version": VERSION,
        "catalogue": {
            "origin": view.origin,
            "where": view.where,
            "revision": view.revision,
            "files": view.files,
        },
        "modules": [
            {
                "name": u.key[1],
                "input": u.key[0],
                "kind": u.key[2],
                "instances": u.instances,
                "in_catalogue": u.spec is not None,
                "spec": u.spec.model_dump(mode="json") if u.spec is not None else None,
            }
            for u in view.modules
        ],
        "notes": [d.model_dump(mode="json") for d in view.notes],
    }


def to_json(view: View) -> str:
    return json.dumps(to_data(view), indent=2, ensure_ascii=False, sort_keys=False) + "\n"


# -- text -----------------------------------------------------------------------------------


def source_line(view: View) -> str:
    rev = f"clan-core {view.revision}" if view.revision else "clan-core (revision unknown)"
    if view.origin == "built-in":
        line = f"catalogue: {rev}, built-in"
    elif view.origin == "flake.lock":
        line = f"catalogue: {rev}, pinned by flake.lock, read from {view.where}"
    else:
        line = f"catalogue: {rev}, read from the checkout {view.where}"
    if view.files:
        line += "; with " + ", ".join(view.files)
    return line


def _type_word(o: OptionSpec) -> str:
    word = o.nix_type or {
        "str": "string",
        "int": "signed integer",
        "bool": "boolean",
        "list": "list",
        "attrs": "attribute set",
        "submodule": "submodule",
        "anything": "anything",
    }.get(o.type, o.type)
    if o.type == "list" and o.elem is not None and not o.nix_type:
        word = f"list of {_type_word(o.elem)}"
    if o.type == "attrs" and o.elem is not None and not o.nix_type:
        word = f"attribute set of {_type_word(o.elem)}"
    if o.nullable and not word.startswith("null or"):
        word = f"null or {word}"
    if o.freeform:
        word += " (other keys allowed)"
    return word


def _default(o: OptionSpec) -> str:
    if not o.has_default:
        return ""
    return " = " + json.dumps(o.default, sort_keys=True, ensure_ascii=False)


def option_lines(
    opts: dict[str, OptionSpec], indent: str, describe: bool, prefix: str = ""
) -> list[str]:
    """One line per option (nested submodule options with dotted names)."""
    out: list[str] = []
    for name in sorted(opts):
        o = opts[name]
        full = f"{prefix}{name}"
        nested = o.type == "submodule" and o.options
        if nested and not o.nix_type and not o.freeform:
            # a group of options (`certificate.enable`), not a typed option
            assert o.options is not None
            out += option_lines(o.options, indent, describe, f"{full}.")
            continue
        out.append(f"{indent}{full}: {_type_word(o)}{_default(o)}")
        if describe and o.description:
            for line in o.description.strip().splitlines():
                out.append(f"{indent}    {line}".rstrip())
        if nested:
            assert o.options is not None
            out += option_lines(o.options, indent, describe, f"{full}.<name>.")
        elif o.type in ("list", "attrs") and o.elem is not None and o.elem.options:
            sep = ".*." if o.type == "list" else ".<name>."
            out += option_lines(o.elem.options, indent, describe, f"{full}{sep}")
    return out


def _bounds(mn: int | None, mx: int | None) -> str:
    if mn is None and mx is None:
        return ""
    if mn == mx:
        return f" (exactly {mn} machine{'s' if mn != 1 else ''})"
    parts = []
    if mn is not None:
        parts.append(f"at least {mn}")
    if mx is not None:
        parts.append(f"at most {mx}")
    return f" ({' and '.join(parts)} machine{'s' if (mx or mn) != 1 else ''})"


def module_lines(spec: ModuleSpec, describe: bool, indent: str = "  ") -> list[str]:
    """A module's description, constraints, curated rules, roles and options."""
    out: list[str] = []
    if spec.description:
        out.append(f"{indent}{spec.description.strip().splitlines()[0]}")
    if spec.deprecated:
        msg = spec.deprecated.strip().splitlines()[0]
        out.append(f"{indent}deprecated: {msg}")
    if spec.replaced_by:
        out.append(f"{indent}replaced by: " + ", ".join(r.describe() for r in spec.replaced_by))
    if spec.max_instances is not None:
        n = spec.max_instances
        out.append(f"{indent}at most {n} instance{'s' if n != 1 else ''}")
    if spec.single_instance is not None:
        out.append(f"{indent}one instance per {spec.single_instance.scope}")
    for inc in spec.incompatible_roles:
        out.append(f"{indent}roles {' and '.join(inc.roles)} may not share a machine")
    for rc in spec.role_counts:
        out.append(f"{indent}role {rc.role}{_bounds(rc.min, rc.max)} (enforced in service code)")
    out.append(f"{indent}machine classes: {', '.join(spec.classes)}")
    if describe and spec.source:
        out.append(f"{indent}source: {spec.source}")
    if not spec.roles:
        out.append(f"{indent}roles: (none)")
    for rname in sorted(spec.roles):
        r = spec.roles[rname]
        head = f"{indent}role {rname}{_bounds(r.min_machines, r.max_machines)}"
        if r.description:
            head += f": {r.description.strip().splitlines()[0]}"
        out.append(head)
        sub = indent + "    "
        if r.interface is None:
            out.append(f"{sub}settings: not known (not checked)")
        elif not r.interface:
            out.append(
                f"{sub}settings: none" + (" declared (any key allowed)" if r.freeform else "")
            )
        else:
            if r.freeform:
                out.append(f"{sub}(other keys allowed)")
            out += option_lines(r.interface, sub, describe)
    return out


def _title(u: Used) -> str:
    inp, name, kind = u.key
    title = name if kind == "service" else f"{name} (legacy clanModule)"
    if inp:
        title += f" of flake input '{inp}'"
    if u.spec is not None and u.spec.manifest_name and u.spec.manifest_name != name:
        title += f" [{u.spec.manifest_name}]"
    return title


def to_text(view: View) -> str:
    out = [source_line(view)]
    n = len(view.modules)
    where = "in the catalogue" if view.everything else "in use"
    out.append(f"{n} module{'s' if n != 1 else ''} {where}")
    for d in view.notes:
        out.append(f"note: {d.message}")
    for u in view.modules:
        out.append("")
        head = _title(u)
        if u.instances:
            head += " — instances: " + ", ".join(u.instances)
        out.append(head)
        if u.spec is None:
            out.append("  not in the catalogue (roles and settings are not checked)")
            continue
        out += module_lines(u.spec, describe=False)
    return "\n".join(out) + "\n"


def explain_text(view: View, name: str) -> str | None:
    """``explain MODULE``: every catalogue entry named `name` (``input/name`` picks a flake
    input), with option descriptions; None when there is none."""
    inp: str | None = None
    if "/" in name:
        inp, _, name = name.partition("/")
    hits = [u for u in view.modules if u.key[1] == name and (inp is None or u.key[0] == inp)]
    hits = [u for u in hits if u.spec is not None]
    if not hits:
        return None
    out = [source_line(view)]
    for u in hits:
        out.append("")
        head = f"module {_title(u)}"
        if u.instances:
            head += " — instances: " + ", ".join(u.instances)
        out.append(head)
        assert u.spec is not None
        out += module_lines(u.spec, describe=True)
    return "\n".join(out) + "\n"
