"""Hypothesis strategy for Nix data expressions around an inventory, for the differential
test against real Nix (tests/test_nix_differential.py).

:func:`machines_exprs` draws the text of a Nix expression whose value is an attribute set of
machines, ``{ <name> = { tags = [ <string> ... ]; }; ... }``, built with the forms issue 11
asks the static reader to evaluate: ``let``, ``with lib;``, ``//``, ``++``, ``if … then …
else``, string interpolation, lambdas, ``lib.genAttrs``, ``builtins.mapAttrs``,
``builtins.filter``, ``map``, ``builtins.listToAttrs``, ``lib.filterAttrs``,
``lib.optional(s)``, ``builtins.elem``, ``lib.hasPrefix``, ``builtins.attrNames``.
Scope: ``lib`` (nixpkgs' lib) is bound; ``s0`` (a string) and ``l0`` (a list of strings) once
a ``let`` binds them; ``name`` inside a ``genAttrs`` body. Every drawn expression is valid
Nix by construction; its value is what Nix says (never computed here).
"""

from __future__ import annotations

import json

from hypothesis import strategies as st

WORDS = ["web", "db", "ws-1", "prod", "edge", "a"]
DEPTH = 3


def _lit(word: str) -> str:
    return json.dumps(word)  # no `$`, `\\` or `"` in WORDS: a valid Nix string literal


@st.composite
def strings(draw: st.DrawFn, env: frozenset[str], depth: int) -> str:
    kinds = ["lit"] + [v for v in ("s0", "name") if v in env]
    if depth > 0:
        kinds += ["interp", "if", "concat"]
    kind = draw(st.sampled_from(kinds))
    if kind == "lit":
        return _lit(draw(st.sampled_from(WORDS)))
    if kind in ("s0", "name"):
        return kind
    if kind == "interp":
        prefix = draw(st.sampled_from(["", "x-", "host."]))
        return f'"{prefix}${{{draw(strings(env, depth - 1))}}}"'
    if kind == "if":
        c, a, b = (
            draw(bools(env, depth - 1)),
            draw(strings(env, depth - 1)),
            draw(strings(env, depth - 1)),
        )
        return f"(if {c} then {a} else {b})"
    return f"({draw(strings(env, depth - 1))} + {draw(strings(env, depth - 1))})"


@st.composite
def lists(draw: st.DrawFn, env: frozenset[str], depth: int) -> str:
    kinds = ["lit"] + (["l0"] if "l0" in env else [])
    if depth > 0:
        kinds += ["concat", "filter", "map", "if", "optional", "optionals", "attrNames"]
    kind = draw(st.sampled_from(kinds))
    sub = depth - 1
    if kind == "lit":
        items = draw(st.lists(strings(env, max(sub, 0)), max_size=3))
        return "[ " + " ".join(items) + (" ]" if items else "]")
    if kind == "l0":
        return "l0"
    if kind == "concat":
        return f"({draw(lists(env, sub))} ++ {draw(lists(env, sub))})"
    if kind == "filter":
        return f"(builtins.filter (x: x != {draw(strings(env, sub))}) {draw(lists(env, sub))})"
    if kind == "map":
        suffix = draw(st.sampled_from(["-1", "-backup", ""]))
        return f'(map (x: "${{x}}{suffix}") {draw(lists(env, sub))})'
    if kind == "if":
        c, a, b = draw(bools(env, sub)), draw(lists(env, sub)), draw(lists(env, sub))
        return f"(if {c} then {a} else {b})"
    if kind == "optional":
        return f"(lib.optional {draw(bools(env, sub))} {draw(strings(env, sub))})"
    if kind == "optionals":
        return f"(lib.optionals {draw(bools(env, sub))} {draw(lists(env, sub))})"
    return f"(builtins.attrNames {draw(machines(env, sub))})"


@st.composite
def bools(draw: st.DrawFn, env: frozenset[str], depth: int) -> str:
    kinds = ["true", "false"]
    if depth > 0:
        kinds += ["elem", "eq", "not", "prefix"]
    kind = draw(st.sampled_from(kinds))
    sub = depth - 1
    if kind in ("true", "false"):
        return kind
    if kind == "elem":
        return f"(builtins.elem {draw(strings(env, sub))} {draw(lists(env, sub))})"
    if kind == "eq":
        return f"({draw(strings(env, sub))} == {draw(strings(env, sub))})"
    if kind == "not":
        return f"(!{draw(bools(env, sub))})"
    return f'(lib.hasPrefix "w" {draw(strings(env, sub))})'


@st.composite
def machines(draw: st.DrawFn, env: frozenset[str], depth: int) -> str:
    kinds = ["lit"]
    if depth > 0:
        kinds += ["update", "genAttrs", "mapAttrs", "let", "with", "filterAttrs", "if"]
        kinds += ["listToAttrs"]
    kind = draw(st.sampled_from(kinds))
    sub = max(depth - 1, 0)
    if kind == "lit":
        names = draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=3, unique=True))
        body = " ".join(f"{_lit(n)} = {{ tags = {draw(lists(env, sub))}; }};" for n in names)
        return "{ " + body + (" }" if body else "}")
    if kind == "update":
        return f"({draw(machines(env, sub))} // {draw(machines(env, sub))})"
    if kind == "genAttrs":
        inner = env | {"name"}
        return f"(lib.genAttrs {draw(lists(env, sub))} (name: {{ tags = {draw(lists(inner, sub))}; }}))"
    if kind == "mapAttrs":
        return (
            f"(builtins.mapAttrs (n: v: {{ tags = v.tags ++ {draw(lists(env, sub))}; }}) "
            f"{draw(machines(env, sub))})"
        )
    if kind == "let":
        # `let` is recursive in Nix: s0 must not refer to itself, nor to l0 (which may use s0)
        inner = env | {"s0", "l0"}
        s0 = draw(strings(env - {"s0", "l0"}, sub))
        l0 = draw(lists((env - {"l0"}) | {"s0"}, sub))
        return f"(let s0 = {s0}; l0 = {l0}; in {draw(machines(inner, sub))})"
    if kind == "with":
        inner = env | {"name"}
        return (
            f"(with lib; genAttrs {draw(lists(env, sub))} "
            f"(name: {{ tags = optional {draw(bools(inner, sub))} {draw(strings(inner, sub))}; }}))"
        )
    if kind == "filterAttrs":
        return (
            f"(lib.filterAttrs (n: v: n != {draw(strings(env, sub))}) {draw(machines(env, sub))})"
        )
    if kind == "if":
        c, a, b = draw(bools(env, sub)), draw(machines(env, sub)), draw(machines(env, sub))
        return f"(if {c} then {a} else {b})"
    return (
        f"(builtins.listToAttrs (map (n: {{ name = n; value = {{ tags = [ n ]; }}; }}) "
        f"{draw(lists(env, sub))}))"
    )


def machines_exprs() -> st.SearchStrategy[str]:
    return machines(frozenset(), DEPTH)
