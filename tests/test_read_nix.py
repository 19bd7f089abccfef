"""The static Nix reader: plain data is read exactly, everything else is opaque."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from solver.errors import InputError
from solver.read.nix.eval import Attrs, Opaque, Reader, Scalar, get_attr
from solver.read.nix.merge import MISSING, Merger


def _read(tmp_path: Path, text: str) -> tuple[Any, Merger]:
    f = tmp_path / "x.nix"
    f.write_text(text, encoding="utf-8")
    reader = Reader(lambda p: Path(p).name)
    val = reader.import_file(str(f))
    merger = Merger()
    data = merger.merge((), [(None, val, 0)])
    return (None if data is MISSING else data), merger


def value(tmp_path: Path, text: str) -> Any:
    data, merger = _read(tmp_path, text)
    assert not merger.errors, merger.errors
    return data


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", 1),
        ("-3", -3),
        ("2.5", 2.5),
        ("true", True),
        ("false", False),
        ("null", None),
        ('"a\\nb\\"c\\${x}"', 'a\nb"c${x}'),
        ('[ 1 "two" [ 3 ] { a = 4; } ]', [1, "two", [3], {"a": 4}]),
        ("{ a.b.c = 1; a.b.d = 2; a = { e = 3; }; }", {"a": {"b": {"c": 1, "d": 2}, "e": 3}}),
        (
            '{ "sally-laptop".tags = [ "x" ]; ${"quoted"} = 1; }',
            {"sally-laptop": {"tags": ["x"]}, "quoted": 1},
        ),
        ("let a = 1; b = a; in { inherit a b; c = b; }", {"a": 1, "b": 1, "c": 1}),
        (
            "let s = { x = 1; y = 2; }; in { inherit (s) x y; z = s.x; w = s.q or 7; }",
            {"x": 1, "y": 2, "z": 1, "w": 7},
        ),
        ("rec { a = 1; b = a; c = { d = b; }; }", {"a": 1, "b": 1, "c": {"d": 1}}),
        ('let n = "web"; in { "${n}-01" = "${n}.lan"; }', {"web-01": "web.lan"}),
        ("[ 1 ] ++ [ 2 ]", [1, 2]),
        ("{ a = 1; b = 1; } // { b = 2; }", {"a": 1, "b": 2}),
        ("({ a ? 1, b, ... }@args: { inherit a b; }) { b = 2; }", {"a": 1, "b": 2}),
        ("let f = x: { v = x; }; in f 3", {"v": 3}),
        ("{ /* comment */ a = 1; # another\n b = 2; }", {"a": 1, "b": 2}),
    ],
)
def test_plain_values(tmp_path: Path, text: str, expected: Any) -> None:
    assert value(tmp_path, text) == expected


def test_path_literal_is_absolute(tmp_path: Path) -> None:
    """As in Nix, a relative path literal is resolved against the directory of its file."""
    assert value(tmp_path, "./some/path.nix") == str(tmp_path / "some" / "path.nix")
    assert value(tmp_path, "[ ../up.pub /abs/key.pub ]") == [
        str(tmp_path.parent / "up.pub"),
        "/abs/key.pub",
    ]


def test_indented_strings(tmp_path: Path) -> None:
    text = "{ s = ''\n    line one\n      indented\n    ''${not interpolated} '''quoted'''\n  ''; }"
    assert value(tmp_path, text) == {"s": "line one\n  indented\n${not interpolated} ''quoted''\n"}
    assert value(tmp_path, "{ s = ''single''; }") == {"s": "single"}


def test_import_relative_file(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "default.nix").write_text("{ lib, ... }: { b = 2; }")
    (tmp_path / "other.nix").write_text("{ a = 1; }")
    assert value(tmp_path, "{ x = import ./other.nix; y = (import ./sub) { }; }") == {
        "x": {"a": 1},
        "y": {"b": 2},
    }


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ('{ a = lib.noSuchFunction [ "x" ] (n: { }); }', "lib.noSuchFunction"),
        ("{ a = f 1; }", "a call of `f'"),
        ("{ a = if x then 1 else 2; }", "`if' whose condition"),
        ("{ a = unknown; }", "variable `unknown'"),
        ('{ a = "${toString x}"; }', "toString"),
        ("{ a = x + 2; }", "x + 2"),
        ("{ a = import <nixpkgs>; }", "import"),
        ("{ a = x: x; }", "a function"),
    ],
)
def test_opaque_values(tmp_path: Path, text: str, what: str) -> None:
    data, merger = _read(tmp_path, text)
    assert data == {}
    [note] = merger.notes
    assert note.code == "opaque-value" and note.severity == "info"
    assert "`inventory.a' could not be read statically" in note.message
    assert what in note.message
    assert note.location is not None and note.location.line == 1 and note.location.column == 7


def test_opaque_list_element_and_name(tmp_path: Path) -> None:
    data, merger = _read(tmp_path, '{ l = [ "a" x "b" ]; ${y} = 1; z = 2; }')
    assert data == {"l": ["a", "b"], "z": 2}
    assert sorted(n.path for n in merger.notes) == ["", "l[1]"]


def test_lazy_let_bindings_are_not_reported(tmp_path: Path) -> None:
    assert value(tmp_path, "let unused = lib.mkForce 1; used = 2; in { a = used; }") == {"a": 2}


def test_self_reference_is_opaque(tmp_path: Path) -> None:
    data, merger = _read(tmp_path, "rec { a = a; b = 1; }")
    assert data == {"b": 1}
    assert "refers to itself" in merger.notes[0].message


def test_attribute_defined_twice_in_one_set(tmp_path: Path) -> None:
    _data, merger = _read(tmp_path, "{ a.b = 1; a.b = 2; }")
    assert [d.code for d in merger.errors] == ["duplicate-attribute"]


def test_columns_are_code_points(tmp_path: Path) -> None:
    f = tmp_path / "x.nix"
    f.write_text('{ d = "ünï"; x = lib.f; }', encoding="utf-8")
    reader = Reader(lambda p: "x.nix")
    val = reader.import_file(str(f))
    assert isinstance(val, Attrs)
    x = get_attr(val, "x")
    assert isinstance(x, Opaque)
    loc = x.location()
    assert loc is not None and (loc.line, loc.column, loc.end_column) == (1, 18, 23)
    d = get_attr(val, "d")
    assert isinstance(d, Scalar) and d.value == "ünï"


@pytest.mark.parametrize(
    ("text", "line", "col"),
    [
        ("{\n  a = 1\n  b = 2;\n}", 3, 5),
        ("{ a = [ 1 2 ; }", 1, 13),
        ("{ a = 1; ", 1, 10),
    ],
)
def test_syntax_error_is_input_error(tmp_path: Path, text: str, line: int, col: int) -> None:
    with pytest.raises(InputError) as exc:
        _read(tmp_path, text)
    [d] = exc.value.diagnostics
    assert d.code == "nix-syntax"
    assert d.location is not None
    assert (d.location.line, d.location.column) == (line, col)


def test_tree_sitter_is_imported_lazily(tmp_path: Path) -> None:
    inv = tmp_path / "inventory.json"
    inv.write_text('{"machines": {"a": {}}}')
    code = (
        "import sys\n"
        "from solver.read import load\n"
        f"load({str(inv)!r})\n"
        "assert 'tree_sitter' not in sys.modules, 'tree_sitter imported'\n"
        f"load({str(tmp_path)!r})\n"
        "assert 'tree_sitter' not in sys.modules, 'tree_sitter imported for a JSON-only clan'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parent.parent)
