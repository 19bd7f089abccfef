"""The lazy Nix evaluator (solver.read.nix.eval / lib / parse), on small files."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from solver.errors import InputError
from solver.read.nix.eval import (
    STOPPED_WORK,
    Attrs,
    Builtin,
    If,
    Lambda,
    ListV,
    Merge,
    Opaque,
    Override,
    Reader,
    Scalar,
    Thunk,
    Val,
    get_attr,
)


def plain(v: Val | Thunk | None) -> Any:
    """Known data as Python values; opaque parts as ("opaque", what)."""
    if isinstance(v, Thunk):
        v = v.force()
    if isinstance(v, Override):
        return ("override", v.prio, plain(v.content))
    if isinstance(v, If):
        return ("if", v.cond, plain(v.content))
    if isinstance(v, Merge):
        return ("merge", [plain(t) for t in v.items])
    if isinstance(v, Opaque):
        return ("opaque", v.what)
    if isinstance(v, Scalar):
        return v.value
    if isinstance(v, ListV):
        return [plain(t) for t in v.items]
    if isinstance(v, Attrs):
        return {k: plain(get_attr(v, k)) for k in sorted(v.fields)}
    if isinstance(v, Lambda):
        return "<function>"
    raise AssertionError(v)


def read(tmp_path: Path, text: str, name: str = "x.nix") -> tuple[Reader, Val]:
    f = tmp_path / name
    f.write_text(text)
    r = Reader(lambda p: Path(p).name, root=str(tmp_path))
    return r, r.import_file(str(f))


def ev(tmp_path: Path, text: str) -> Any:
    return plain(read(tmp_path, text)[1])


def field(v: Val, *path: str) -> Val:
    for k in path:
        assert isinstance(v, Attrs)
        got = get_attr(v, k)
        assert got is not None, k
        v = got
    return v


def loc(v: Val) -> tuple[int, int]:
    location = v.location()
    assert location is not None
    return (location.line, location.column)


def is_opaque(x: Any, fragment: str = "") -> bool:
    return isinstance(x, tuple) and x[0] == "opaque" and fragment in x[1]


# -- the language ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("with { a = 1; }; a", 1),
        ("let a = 2; in with { a = 1; }; a", 2),  # lexical variables shadow `with'
        ("with { a = 1; }; with { a = 3; }; a", 3),  # the innermost `with' wins
        ("with { true = 5; }; true", True),  # Nix's globals are lexical
        ('if 1 < 2 then "y" else "n"', "y"),
        ("if false then 1 else 2", 2),
        ("assert true; 4", 4),
        ("{ a.b = 1; } ? a.b", True),
        ("{ a.b = 1; } ? a.c", False),
        ("1 ? a", False),
        ("!true || false -> true", True),
        ("true && false", False),
        ('false -> (throw "x")', True),
        ("false && unknown", False),
        ("[ 1 { a = 2; } ] == [ 1 { a = 2; } ]", True),
        ("1 == 1.0", True),
        ('"a" != "b"', True),
        (
            '[ (1 < 2) (2 <= 2) (3 > 4) ("b" >= "a") ([ 1 2 ] < [ 1 3 ]) ]',
            [True, True, False, True, True],
        ),
        ("1 + 2 * 3 - 4", 3),
        ("7 / 2", 3),
        ("(-7) / 2", -3),
        ("7 / -2", -3),
        ("- (2 + 3)", -5),
        ('"a" + "b"', "ab"),
        ("1.5 + 1", 2.5),
        ('let x = "w"; in "${x}-${"1"}"', "w-1"),
        ("(x: x + 1) 2", 3),
        ("(a: b: a * b) 3 4", 12),
        ("({ a, b ? a + 1, ... }@args: [ a b args.c ]) { a = 1; c = 9; }", [1, 2, 9]),
        ("let f = x: y: x + y; g = f 10; in map g [ 1 2 ]", [11, 12]),
        ("rec { a = 1; b = a + 1; }", {"a": 1, "b": 2}),
        ("let s = { a = 1; }; in s.b or 7", 7),
        ("({ __functor = self: x: x + 1; }) 1", 2),
    ],
)
def test_language(tmp_path: Path, text: str, expected: Any) -> None:
    assert ev(tmp_path, text) == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("with x; a", "the variable `a'"),
        ("if x then 1 else 2", "`if' whose condition"),
        ('"${1}"', "interpolated int"),
        ('"${./x.nix}"', "store"),
        ("1 / 0", "division by zero"),
        ("assert false; 1", "failed assertion"),
        ('"a" + 1', "the expression"),
        ("x ? a", "the test"),
        ("unknown 1 2", "a call of `unknown'"),
        ("lib.foo 1", "a call of `lib.foo'"),
        ('builtins.throw "no"', "throw"),
        ("let a = a; in a", "refers to itself"),
    ],
)
def test_opaque(tmp_path: Path, text: str, fragment: str) -> None:
    got = ev(tmp_path, text)
    assert is_opaque(got, fragment), got


def test_with_scope_is_lazy_and_opaque_scope_only_affects_free_names(tmp_path: Path) -> None:
    got = ev(tmp_path, 'let b = 2; in with (throw "never"); { inherit b; c = d; }')
    assert got["b"] == 2
    assert is_opaque(got["c"], "the variable `d'")


def test_pipes(tmp_path: Path) -> None:
    text = "{ a = 1 |> (x: x + 1) |> (x: x * 10); b = (x: x + 1) <| (x: x * 10) <| 2; }"
    assert ev(tmp_path, text) == {"a": 20, "b": 21}


def test_unparsable_pipe_mix_is_only_that_expression(tmp_path: Path) -> None:
    got = ev(tmp_path, "{ a = 1 |> (x: x) <| 2; b = 3; }")
    assert got["b"] == 3 and is_opaque(got["a"])


# -- locations ------------------------------------------------------------------------------


def test_computed_values_keep_the_location_of_their_expression(tmp_path: Path) -> None:
    _, v = read(tmp_path, '{\n  a = 1 + 2;\n  b = if true then "x" else "y";\n}\n')
    assert loc(field(v, "a")) == (2, 7)
    assert loc(field(v, "b")) == (3, 20)  # the branch chosen


def test_gen_attrs_names_are_located_at_the_expressions_that_made_them(tmp_path: Path) -> None:
    text = (
        "{\n"
        '  m = builtins.listToAttrs (map (n: { name = "w-${n}"; value = n; }) [ "a" "b" ]);\n'
        '  g = lib.genAttrs [ "x"\n    "y" ] (n: { tags = [ n ]; });\n'
        "  k = lib.mapAttrs (n: v: v + 1) { p = 1; };\n"
        "}\n"
    )
    _, v = read(tmp_path, "\n" + text)
    assert isinstance(v, Attrs)
    g = field(v, "g")
    assert isinstance(g, Attrs) and plain(g) == {"x": {"tags": ["x"]}, "y": {"tags": ["y"]}}
    assert g.fields["y"][0].key_location() is not None
    assert (g.fields["y"][0].key_location().line, g.fields["y"][0].key_location().column) == (
        5,
        5,
    )
    m = field(v, "m")
    assert isinstance(m, Attrs) and sorted(m.fields) == ["w-a", "w-b"]
    key = m.fields["w-a"][0].key_location()
    assert key is not None and (key.line, key.column) == (3, 46)
    k = field(v, "k")
    assert isinstance(k, Attrs) and plain(k) == {"p": 2}
    kloc = k.fields["p"][0].key_location()
    assert kloc is not None and (kloc.line, kloc.column) == (6, 36)


# -- lib and builtins -------------------------------------------------------------------------


LIB_CASES: list[tuple[str, Any]] = [
    ("lib.attrNames { b = 1; a = 2; }", ["a", "b"]),
    ("lib.attrValues { b = 1; a = 2; }", [2, 1]),
    ("lib.filterAttrs (n: v: v > 1) { a = 1; b = 2; }", {"b": 2}),
    ('lib.mapAttrs\' (n: v: lib.nameValuePair "x${n}" v) { a = 1; }', {"xa": 1}),
    ("lib.filter (x: x > 1) [ 1 2 3 ]", [2, 3]),
    ("lib.concatMap (x: [ x x ]) [ 1 2 ]", [1, 1, 2, 2]),
    ("lib.concatLists [ [ 1 ] [ 2 ] ]", [1, 2]),
    ("lib.foldl' (a: b: a + b) 0 [ 1 2 3 ]", 6),
    ("lib.foldr (a: b: [ a ] ++ b) [ ] [ 1 2 ]", [1, 2]),
    ("lib.recursiveUpdate { a.b = 1; a.c = 1; } { a.c = 2; }", {"a": {"b": 1, "c": 2}}),
    ("lib.optional false 1 ++ lib.optionals true [ 2 ]", [2]),
    ("lib.optionalAttrs true { a = 1; } // lib.optionalAttrs false { b = 2; }", {"a": 1}),
    ("lib.elem 2 [ 1 2 ]", True),
    ('[ (lib.hasPrefix "a" "ab") (lib.hasSuffix "b" "ab") ]', [True, True]),
    ('[ (lib.removePrefix "a" "ab") (lib.removeSuffix "b" "ab") ]', ["b", "a"]),
    (
        '[ (toString 1) (toString true) (toString null) (toString [ 1 "a" ]) ]',
        ["1", "1", "", "1 a"],
    ),
    (
        "[ (builtins.length [ 1 2 ]) (builtins.head [ 1 2 ]) (builtins.elemAt [ 1 2 ] 1) ]",
        [2, 1, 2],
    ),
    ("builtins.tail [ 1 2 ]", [2]),
    ('[ (builtins.hasAttr "a" { a = 1; }) (builtins.getAttr "a" { a = 1; }) ]', [True, 1]),
    ('lib.attrByPath [ "a" "b" ] 0 { a.b = 3; } + lib.attrByPath [ "z" ] 4 { }', 7),
    (
        'map builtins.typeOf [ 1 "a" [ ] { } null true (x: x) 1.5 ]',
        ["int", "string", "list", "set", "null", "bool", "lambda", "float"],
    ),
    (
        '[ (lib.isAttrs { }) (lib.isList 1) (lib.isString "") (lib.isFunction lib.id) ]',
        [True, False, True, True],
    ),
    ("[ (lib.isBool true) (lib.isInt 1) (builtins.isNull null) ]", [True, True, True]),
    ('[ (lib.toLower "AbC") (lib.toUpper "aBc") ]', ["abc", "ABC"]),
    ('lib.concatStrings [ "a" "b" ] + lib.concatStringsSep "," [ "c" "d" ]', "abc,d"),
    ('lib.splitString "," "a,b,,c"', ["a", "b", "", "c"]),
    ("lib.unique [ 1 2 1 3 2 ]", [1, 2, 3]),
    ("lib.flatten [ 1 [ 2 [ 3 ] ] ]", [1, 2, 3]),
    ("lib.range 2 4", [2, 3, 4]),
    ("lib.zipAttrsWith (n: vs: vs) [ { a = 1; } { a = 2; b = 3; } ]", {"a": [1, 2], "b": [3]}),
    ("lib.mergeAttrsList [ { a = 1; } { a = 2; b = 3; } ]", {"a": 2, "b": 3}),
    ("lib.foldAttrs (x: acc: [ x ] ++ acc) [ ] [ { a = 1; } { a = 2; } ]", {"a": [1, 2]}),
    ("[ (lib.id 1) (lib.const 2 3) (lib.flip (a: b: a - b) 1 10) ]", [1, 2, 9]),
    ('builtins.trace "msg" 5', 5),
    ("builtins.seq 1 (builtins.deepSeq 2 3)", 3),
    ('lib.genAttrs [ "a" "a" ] (n: n)', {"a": "a"}),
    ('builtins.listToAttrs [ { name = "a"; value = 1; } { name = "a"; value = 2; } ]', {"a": 1}),
    ('lib.lists.length [ 1 ] + lib.attrsets.attrByPath [ ] 1 2 + lib.strings.stringLength "ab"', 5),
    ("builtins.fromJSON ''{\"a\": [1, true, null]}''", {"a": [1, True, None]}),
]


@pytest.mark.parametrize(("text", "expected"), LIB_CASES)
def test_lib(tmp_path: Path, text: str, expected: Any) -> None:
    assert ev(tmp_path, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "let inherit (builtins) attrNames; in attrNames { a = 1; }",
        "with lib; attrNames { a = 1; }",
        "let inherit (lib) attrNames; in attrNames { a = 1; }",
        "({ nixpkgs, ... }: nixpkgs.lib.attrNames { a = 1; }) { nixpkgs.lib = lib; }",
    ],
)
def test_ways_to_reach_lib(tmp_path: Path, text: str) -> None:
    assert ev(tmp_path, text) == ["a"]


@pytest.mark.parametrize(
    "expr",
    ["lib", "nixpkgs.lib", "inputs.nixpkgs.lib", "clan-core.inputs.nixpkgs.lib", "pkgs.lib"],
)
def test_lib_of_unknown_arguments(tmp_path: Path, expr: str) -> None:
    """A module's `lib` argument and nixpkgs' `lib` reached through flake inputs are the
    shim, when the function is applied to unknown arguments (as modules are)."""
    r, fn = read(
        tmp_path,
        f'{{ lib, nixpkgs, clan-core, pkgs, ... }}@inputs: {{ a = {expr}.genAttrs [ "x" ] (n: 1); }}',
    )
    assert isinstance(fn, Lambda)
    assert plain(r.call_opaque(fn)) == {"a": {"x": 1}}


def test_lib_is_only_the_shim_when_not_bound(tmp_path: Path) -> None:
    assert ev(tmp_path, "let lib = { genAttrs = 1; }; in lib.genAttrs") == 1
    got = ev(tmp_path, "({ lib }: lib.genAttrs) { lib = { }; }")
    assert is_opaque(got)


def test_unknown_arguments_make_calls_opaque_naming_the_function(tmp_path: Path) -> None:
    r, fn = read(tmp_path, "{ self, ... }: { a = builtins.attrNames self.x; b = lib.nope 1; }")
    assert isinstance(fn, Lambda)
    got = plain(r.call_opaque(fn))
    assert is_opaque(got["a"], "a call of `attrNames'")
    assert is_opaque(got["b"], "a call of `lib.nope'")


def test_laziness(tmp_path: Path) -> None:
    text = (
        'let xs = map (x: throw "boom") [ 1 2 ]; in '
        '{ n = builtins.length xs; s = lib.mapAttrs (n: v: throw "no") { a = 1; }; }'
    )
    got = ev(tmp_path, text)
    assert got["n"] == 2 and is_opaque(got["s"]["a"], "throw")


def test_builtins_are_functions_to_the_merge(tmp_path: Path) -> None:
    _, v = read(tmp_path, "builtins.map")
    assert isinstance(v, Builtin) and isinstance(v, Lambda)


# -- module-system wrappers ---------------------------------------------------------------------


def test_module_system_wrappers(tmp_path: Path) -> None:
    text = (
        "{\n  a = lib.mkDefault 1;\n  b = lib.mkForce { x = 1; };\n  c = lib.mkOverride 900 2;\n"
        "  d = lib.mkIf true 3;\n  e = lib.mkIf false 4;\n  f = lib.mkMerge [ 5 { y = 6; } ];\n"
        "  g = lib.mkBefore [ 7 ];\n  h = lib.mkOrder 10 8;\n  i = (lib.mkDefault { z = 9; }).content.z;\n}\n"
    )
    _, v = read(tmp_path, text)
    assert plain(v) == {
        "a": ("override", 1000, 1),
        "b": ("override", 50, {"x": 1}),
        "c": ("override", 900, 2),
        "d": ("if", True, 3),
        "e": ("if", False, 4),
        "f": ("merge", [5, {"y": 6}]),
        "g": [7],
        "h": 8,
        "i": 9,
    }
    assert loc(field(v, "a")) == (2, 7)  # the wrapper is located at the call
    assert isinstance(field(v, "b"), Opaque)  # unknown to code that does not handle it


def test_mk_if_with_unknown_condition_is_opaque(tmp_path: Path) -> None:
    r, fn = read(tmp_path, "{ config, lib, ... }: { a = lib.mkIf config.x 1; }")
    assert isinstance(fn, Lambda)
    got = plain(r.call_opaque(fn))["a"]
    assert is_opaque(got, "mkIf") and not isinstance(got, If)


def test_import_apply(tmp_path: Path) -> None:
    (tmp_path / "m.nix").write_text("{ greeting }: { roles.default.settings.msg = greeting; }")
    got = ev(tmp_path, 'lib.modules.importApply ./m.nix { greeting = "hi"; }')
    assert got == {"roles": {"default": {"settings": {"msg": "hi"}}}}


# -- files --------------------------------------------------------------------------------------


def test_files_inside_the_root(tmp_path: Path) -> None:
    (tmp_path / "machines" / "a").mkdir(parents=True)
    (tmp_path / "machines" / "b").mkdir(parents=True)
    (tmp_path / "data.json").write_text('{"k": 1}')
    text = (
        '{ ms = builtins.attrNames (lib.filterAttrs (n: t: t == "directory") '
        "(builtins.readDir ./machines));\n"
        "  e = [ (builtins.pathExists ./data.json) (builtins.pathExists ./nope) ];\n"
        "  j = builtins.fromJSON (builtins.readFile ./data.json);\n"
        '  p = toString (./machines + "/a"); }'
    )
    got = ev(tmp_path, text)
    assert got["ms"] == ["a", "b"]
    assert got["e"] == [True, False]
    assert got["j"] == {"k": 1}
    assert got["p"] == str(tmp_path / "machines" / "a")


def test_no_file_outside_the_root(tmp_path: Path) -> None:
    inner = tmp_path / "clan"
    inner.mkdir()
    (tmp_path / "secret.nix").write_text("42")
    (inner / "x.nix").write_text(
        "{ a = builtins.readFile ../secret.nix; b = builtins.readDir ../.; "
        "c = builtins.pathExists /etc/passwd; d = import ../secret.nix; }"
    )
    r = Reader(lambda p: Path(p).name, root=str(inner))
    got = plain(r.import_file(str(inner / "x.nix")))
    assert all(is_opaque(got[k]) for k in "abcd"), got
    # without a root nothing is read by the builtins
    r2 = Reader(lambda p: Path(p).name)
    assert is_opaque(plain(r2.import_file(str(inner / "x.nix")))["b"])


# -- parsing ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "{ a, b, }: a + b",
        "{\n  a,\n  b ? 1,\n}:\na + b",
        "{ a, b, # comment\n}@args: a + b",
        "{ a, b, /* c */ }: a + b",
    ],
)
def test_trailing_comma_in_formals(tmp_path: Path, text: str) -> None:
    r, fn = read(tmp_path, text)
    assert isinstance(fn, Lambda)
    assert plain(r.call(fn, Thunk(val=Attrs(None, None)))) is not None
    _, fn2 = read(tmp_path, f"({text}) {{ a = 1; b = 2; }}", "y.nix")
    assert plain(fn2) == 3


def test_a_trailing_comma_in_a_string_is_kept(tmp_path: Path) -> None:
    assert ev(tmp_path, '({ a, }: [ a "x, }" ]) { a = 1; }') == [1, "x, }"]


def test_a_real_syntax_error_is_still_one(tmp_path: Path) -> None:
    with pytest.raises(InputError) as e:
        read(tmp_path, "{ a = 1, }")
    assert e.value.diagnostics[0].code == "nix-syntax"


@pytest.mark.parametrize(
    "text",
    [
        "{ a = " * 40000 + "1" + "; }" * 40000,
        "[" * 40000 + "]" * 40000,
        "x: " * 40000 + "1",
        "a" + "+a" * 40000,
        "1" + " + 1" * 40000,
    ],
    ids=["attrs", "lists", "functions", "plus-chain", "spaced-plus-chain"],
)
def test_deep_files_are_a_clear_error(tmp_path: Path, text: str) -> None:
    t = time.monotonic()
    with pytest.raises(InputError) as e:
        read(tmp_path, text)
    assert e.value.diagnostics[0].code == "too-deep"
    assert time.monotonic() - t < 30  # generous: a guard against hangs, not a benchmark


# -- bounds -------------------------------------------------------------------------------------


def test_work_is_bounded(tmp_path: Path) -> None:
    text = "let f = n: if n == 0 then 0 else 1 + f (n - 1); in f 100000"
    got = ev(tmp_path, text)
    assert is_opaque(got, "evaluation stopped")


def test_steps_are_bounded(tmp_path: Path) -> None:
    f = tmp_path / "x.nix"
    f.write_text("lib.foldl' (a: b: a + b) 0 (lib.range 1 50000)")
    r = Reader(str, root=str(tmp_path))
    r.max_steps = 1000
    got = plain(r.import_file(str(f)))
    assert got == ("opaque", STOPPED_WORK) or is_opaque(got, STOPPED_WORK)


def test_infinite_recursion_is_opaque(tmp_path: Path) -> None:
    assert is_opaque(ev(tmp_path, "let f = x: f x; in f 1"), "evaluation stopped")


def test_empty_inherit_is_valid(tmp_path: Path) -> None:
    assert ev(tmp_path, '{ inherit; a = 1; inherit ({ b = 2; }) ; c = "inherit;"; }') == {
        "a": 1,
        "c": "inherit;",
    }


def test_positions_stay_exact_after_repairs(tmp_path: Path) -> None:
    _, v = read(tmp_path, "({ a, }: { x = a |> (y: y + 1); }) { a = 1; }")
    x = field(v, "x")
    assert plain(x) == 2 and loc(x) == (1, 25)  # `y + 1`, which computed it
