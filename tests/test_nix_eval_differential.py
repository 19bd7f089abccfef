"""The static evaluator against real Nix: generated data expressions must give the same
JSON (``nix-instantiate --eval --strict --json``, with the vendored nixpkgs lib), and every
clan fixture reformatted with trailing commas in its function formals must read the same."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solver.read.nix.clan import load_clan
from solver.read.nix.eval import Attrs, Lambda, ListV, Opaque, Reader, Scalar, Thunk, Val, get_attr
from solver.read.nix.parse import _parser

ROOT = Path(__file__).resolve().parents[1]
# repo/../shared/vendor (a worktree under wt/ has it one level further up)
NIXPKGS_LIB = next(
    (
        d / ".." / "shared" / "vendor" / "nixpkgs-lib" / "lib"
        for d in (ROOT, ROOT.parent)
        if (d / ".." / "shared" / "vendor" / "nixpkgs-lib" / "lib").is_dir()
    ),
    ROOT / ".." / "shared" / "vendor" / "nixpkgs-lib" / "lib",
)
CLANS = Path(__file__).parent / "data" / "clans"
NIX = shutil.which("nix-instantiate")

needs_nix = pytest.mark.skipif(
    NIX is None or not (NIXPKGS_LIB / "default.nix").is_file(),
    reason="nix-instantiate or the vendored nixpkgs lib (../shared/vendor/nixpkgs-lib) is absent",
)


def to_json(v: Val | Thunk) -> Any:
    if isinstance(v, Thunk):
        v = v.force()
    if isinstance(v, Opaque):
        return {"<opaque>": v.what}
    if isinstance(v, Scalar):
        return v.value
    if isinstance(v, ListV):
        return [to_json(t) for t in v.items]
    if isinstance(v, Attrs):
        out = {}
        for k in sorted(v.fields):
            got = get_attr(v, k)
            assert got is not None
            out[k] = to_json(got)
        return out
    if isinstance(v, Lambda):
        return {"<function>": True}
    raise AssertionError(v)


# -- a type-directed generator of valid data expressions ---------------------------------------

NAMES = ["a", "b", "c", "web", "db-1", "x y"]
WORDS = ["", "a", "b", "web", "db-1", "x y", "é"]
TYPES = ["int", "str", "bool", "ilist", "slist", "iattrs", "aattrs"]


def _q(s: str) -> str:
    return json.dumps(s, ensure_ascii=False).replace("${", "\\${")


def _attr(name: str) -> str:
    return name if name.replace("-", "").isalnum() and not name[0].isdigit() else _q(name)


_NAMES3 = st.lists(st.sampled_from(NAMES), max_size=3, unique=True)
_NAMES2 = st.lists(st.sampled_from(NAMES), max_size=2, unique=True)
_INTS: dict[tuple[int, int], Any] = {}


def _ints(lo: int, hi: int) -> Any:
    """Strategies are costly to build: one per range."""
    s = _INTS.get((lo, hi))
    if s is None:
        s = _INTS[(lo, hi)] = st.integers(lo, hi)
    return s


class Gen:
    def __init__(self, draw: Any) -> None:
        self.draw = draw
        self.fresh = 0

    def pick(self, options: list[Any]) -> Any:
        return options[self.draw(_ints(0, len(options) - 1))]

    def var(self) -> str:
        self.fresh += 1
        return f"v{self.fresh}"

    def expr(self, t: str, depth: int, env: dict[str, str]) -> str:
        here = [n for n, vt in env.items() if vt == t]
        if here and self.draw(_ints(0, 3)) == 0:
            return str(self.pick(here))
        if depth <= 0 or self.draw(_ints(0, 2)) == 0:
            return self.leaf(t, env)
        d = depth - 1
        kind = self.draw(_ints(0, 9))
        if kind == 0:  # let
            vt = self.pick(TYPES)
            v = self.var()
            return f"(let {v} = {self.expr(vt, d, env)}; in {self.expr(t, d, {**env, v: vt})})"
        if kind == 1:  # if
            return f"(if {self.expr('bool', d, env)} then {self.expr(t, d, env)} else {self.expr(t, d, env)})"
        if kind == 2 and t in ("int", "str", "bool"):  # with
            v = self.var()
            inner = self.expr(t, d, {**env, v: t})
            return f"(with {{ {v} = {self.expr(t, d, env)}; }}; {inner})"
        return self.node(t, d, env)

    def node(self, t: str, d: int, env: dict[str, str]) -> str:
        def e(tt: str) -> str:
            return self.expr(tt, d, env)

        k = self.draw(_ints(0, 5))
        if t == "int":
            opts: list[Callable[[], str]] = [
                lambda: f"({e('int')} + {e('int')})",
                lambda: f"({e('int')} - {e('int')})",
                lambda: f"({e('int')} * {self.leaf('int', env)})",
                lambda: f"({e('int')} / {self.pick(['3', '(-2)', '7'])})",
                lambda: f"(builtins.length {e('ilist')})",
                lambda: f"(lib.foldl' (acc: x: acc + x) {e('int')} {e('ilist')})",
            ]
        elif t == "str":
            opts = [
                lambda: f'"${{{e("str")}}}-${{toString {e("int")}}}"',
                lambda: f"({e('str')} + {e('str')})",
                lambda: f'(lib.concatStringsSep "," {e("slist")})',
                lambda: f"(toString {e('int')})",
                lambda: f"(lib.optionalString {e('bool')} {e('str')})",
                lambda: f"(lib.toUpper {e('str')})",
            ]
        elif t == "bool":
            opts = [
                lambda: f"({e('int')} < {e('int')})",
                lambda: f"({e('str')} == {e('str')})",
                lambda: f"(lib.elem {e('int')} {e('ilist')})",
                lambda: f"(builtins.hasAttr {e('str')} {e('iattrs')})",
                lambda: f"(!{e('bool')} || {e('bool')} && {e('bool')})",
                lambda: f"({e('iattrs')} ? {_attr(self.pick(NAMES))})",
            ]
        elif t == "ilist":
            opts = [
                lambda: f"({e('ilist')} ++ {e('ilist')})",
                lambda: f"(map (x: x + {e('int')}) {e('ilist')})",
                lambda: f"(lib.filter (x: x > {e('int')}) {e('ilist')})",
                lambda: f"(builtins.attrValues {e('iattrs')})",
                lambda: f"(lib.optional {e('bool')} {e('int')})",
                lambda: f"(lib.unique {e('ilist')})",
            ]
        elif t == "slist":
            opts = [
                lambda: f"(builtins.attrNames {e('iattrs')})",
                lambda: f'(map (x: "p${{x}}") {e("slist")})',
                lambda: f"({e('slist')} ++ {e('slist')})",
                lambda: f"(lib.optionals {e('bool')} {e('slist')})",
                lambda: f"(builtins.attrNames {e('aattrs')})",
                lambda: f"(map (n: lib.toLower n) {e('slist')})",
            ]
        elif t == "iattrs":
            opts = [
                lambda: f"({e('iattrs')} // {e('iattrs')})",
                lambda: f"(lib.genAttrs {e('slist')} (n: builtins.stringLength n + {e('int')}))",
                lambda: f"(lib.mapAttrs (n: v: v * 2 + {e('int')}) {e('iattrs')})",
                lambda: f"(lib.filterAttrs (n: v: v > {e('int')}) {e('iattrs')})",
                lambda: (
                    f"(builtins.listToAttrs (map (n: {{ name = n; value = {e('int')}; }}) {e('slist')}))"
                ),
                lambda: f"(lib.optionalAttrs {e('bool')} {e('iattrs')})",
            ]
        else:  # aattrs
            opts = [
                lambda: f"(lib.recursiveUpdate {e('aattrs')} {e('aattrs')})",
                lambda: f"({e('aattrs')} // {e('aattrs')})",
                lambda: f"(lib.mapAttrs (n: v: v // {e('iattrs')}) {e('aattrs')})",
                lambda: f"(lib.genAttrs {e('slist')} (n: {e('iattrs')}))",
                lambda: self.leaf(t, env),
                lambda: f"(lib.recursiveUpdate {e('aattrs')} {e('aattrs')})",
            ]
        return str(opts[k]())

    def leaf(self, t: str, env: dict[str, str]) -> str:
        if t == "int":
            return self._int()
        if t == "str":
            return _q(str(self.pick(WORDS)))
        if t == "bool":
            return str(self.pick(["true", "false"]))
        if t == "ilist":
            n = self.draw(_ints(0, 3))
            return "[ " + " ".join(self._int() for _ in range(n)) + " ]"
        if t == "slist":
            n = self.draw(_ints(0, 3))
            return "[ " + " ".join(_q(self.pick(WORDS)) for _ in range(n)) + " ]"
        if t == "iattrs":
            names = self.draw(_NAMES3)
            return "{ " + "".join(f"{_attr(n)} = {self._int()}; " for n in names) + "}"
        names = self.draw(_NAMES2)
        return "{ " + "".join(f"{_attr(n)} = {self.leaf('iattrs', env)}; " for n in names) + "}"

    def _int(self) -> str:
        n = self.draw(_ints(-20, 20))
        return f"({n})" if n < 0 else str(n)


@st.composite
def batches(draw: Any) -> list[str]:
    g = Gen(draw)
    return [g.expr(Gen(draw).pick(TYPES), 3, {}) for _ in range(8)]


def nix_eval(exprs: list[str], tmp: Path) -> Any:
    f = tmp / "batch-nix.nix"
    f.write_text(f"let lib = import {NIXPKGS_LIB.resolve()}; in [\n" + "\n".join(exprs) + "\n]\n")
    assert NIX is not None
    out = subprocess.run(
        [NIX, "--eval", "--strict", "--json", str(f)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr + f.read_text()
    return json.loads(out.stdout)


@needs_nix
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(batches())
def test_same_json_as_nix(tmp_path_factory: pytest.TempPathFactory, exprs: list[str]) -> None:
    tmp = tmp_path_factory.mktemp("diff")
    expected = nix_eval(exprs, tmp)
    f = tmp / "batch.nix"
    f.write_text("[\n" + "\n".join(exprs) + "\n]\n")
    got = to_json(Reader(str, root=str(tmp)).import_file(str(f)))
    for e, want, have in zip(exprs, expected, got, strict=True):
        assert have == want, e


# -- trailing commas in formals ---------------------------------------------------------------


def with_trailing_commas(data: bytes) -> bytes:
    """`data` with a comma after the last formal of every function (Nix accepts
    ``{ a, b, }:``; nixfmt writes it so). Nix allows no comma after ``...``, so a final
    ``...`` is blanked (the reader never checks for unexpected arguments: the same to it)."""
    tree = _parser().parse(data)
    if tree.root_node.has_error:
        return data  # already written with trailing commas (a gap of the grammar)
    edits: list[tuple[int, int, bytes]] = []
    stack = [tree.root_node]
    while stack:
        n = stack.pop()
        stack.extend(n.children)
        if n.type != "formals":
            continue
        items = [c for c in n.children if c.type not in ("{", "}", "comment")]
        if items and items[-1].type == "ellipses":
            edits.append((items[-1].start_byte, items[-1].end_byte, b"   "))
            items = items[:-1]
            if items and items[-1].type == ",":
                continue  # `a, ...' -> `a,    ': the comma is already there
        if items and items[-1].type == "formal":
            edits.append((items[-1].end_byte, items[-1].end_byte, b","))
    out = bytearray(data)
    for start, end, text in sorted(edits, reverse=True):
        out[start:end] = text
    return bytes(out)


def test_trailing_comma_rewrite_adds_commas() -> None:
    assert with_trailing_commas(b"{ a, b ? 1 }: a") == b"{ a, b ? 1, }: a"
    assert with_trailing_commas(b"{ a, ... }: a") == b"{ a,     }: a"


@pytest.mark.parametrize("case", sorted(p.name for p in CLANS.iterdir() if p.is_dir()))
def test_clans_read_the_same_with_trailing_commas(tmp_path: Path, case: str) -> None:
    target = tmp_path / case
    shutil.copytree(CLANS / case, target)
    for f in target.rglob("*.nix"):
        f.write_bytes(with_trailing_commas(f.read_bytes()))
    before = load_clan(str(CLANS / case))
    after = load_clan(str(target))
    assert after.data == before.data
    assert [(n.code, n.message) for n in after.notes] == [(n.code, n.message) for n in before.notes]


def test_the_fixtures_have_formals_to_rewrite() -> None:
    files = list(CLANS.rglob("*.nix"))
    assert sum(with_trailing_commas(f.read_bytes()) != f.read_bytes() for f in files) >= 3


# -- what Nix parses, the reader parses --------------------------------------------------------

VALID = [
    "{ or = 1; }",
    "x: x.or or 1",
    '"\\${x}"',
    "''$${x}''",
    './a/${"b"}.nix',
    "let a-b = 1; a' = 2; in a-b + a'",
    "http://x.org/a?b=c",
    "{ inherit; }",
    "{ inherit ({ }) ; a = 1; }",
    "x@{ a }: a",
    "{ }@x: x",
    "{ a ? { } }: a",
    "f: f -1",
    "({ a, }: a)",
    "{\n  self,\n  lib,\n}:\n1",
    "{ a ,b, # last\n}: 1",
    '{ a."b".${"c"} = 1; }',
    "let { a = 1; body = a; }",
    "x: -x.y",
    "{ a = 1; /* x */ }",
]


@pytest.mark.skipif(NIX is None, reason="nix-instantiate is absent")
@pytest.mark.parametrize("text", VALID)
def test_what_nix_parses_is_no_syntax_error(tmp_path: Path, text: str) -> None:
    from solver.read.nix.parse import parse_file

    f = tmp_path / "x.nix"
    f.write_text(text)
    assert NIX is not None
    nix = subprocess.run([NIX, "--parse", str(f)], capture_output=True, text=True)
    assert nix.returncode == 0, nix.stderr
    src = parse_file(str(f), "x.nix")
    assert not src.tree.root_node.has_error
