"""Parse: a ``.nix`` file into a tree-sitter tree, with positions for every node.

Tree-sitter (``tree-sitter-nix``) is imported only when the first ``.nix`` file is parsed.
"""

from __future__ import annotations

import os
import re
import time
from typing import Any

from solver.errors import InputError
from solver.location import Location

Node = Any  # tree_sitter.Node (the package ships no stubs)

_PARSER: Any = None


def _parser() -> Any:
    global _PARSER
    if _PARSER is None:
        import tree_sitter as ts
        import tree_sitter_nix as tsn

        _PARSER = ts.Parser(ts.Language(tsn.language()))
    return _PARSER


class TooComplex(Exception):
    """The parser gave up: the file takes longer than :func:`_budget` to parse."""


def _budget(size: int) -> float:
    """Seconds a file of `size` bytes may take to parse (a 300-line flake takes ~3 ms;
    tree-sitter-nix is quadratic on thousands-long chains such as ``a+a+a…``)."""
    return 0.5 + size / 1_000_000


def _parse_bytes(data: bytes) -> Any:
    deadline = time.monotonic() + _budget(len(data))

    def read(byte: int, _point: Any) -> bytes:
        return data[byte : byte + 65536]

    def progress(*_state: Any) -> bool:
        return time.monotonic() > deadline

    parser = _parser()
    try:
        return parser.parse(read, progress_callback=progress)
    except ValueError:
        parser.reset()
        raise TooComplex() from None


# -- source files -----------------------------------------------------------------------


class Src:
    """One parsed ``.nix`` file: its bytes, tree and display name."""

    def __init__(self, path: str, display: str, data: bytes, parsed: bytes | None = None):
        self.path = path
        self.display = display
        self.data = data
        self.dir = os.path.dirname(path)
        # `parsed`: a copy of `data` with harmless grammar gaps blanked (same offsets)
        self.tree = _parse_bytes(data if parsed is None else parsed)
        self._line_starts: list[int] | None = None

    @property
    def root(self) -> Node:
        return self.tree.root_node.child_by_field_name("expression")

    def _col(self, row: int, bytecol: int) -> int:
        if self._line_starts is None:
            starts = [0]
            find = self.data.find
            i = find(b"\n")
            while i != -1:
                starts.append(i + 1)
                i = find(b"\n", i + 1)
            self._line_starts = starts
        start = self._line_starts[row] if row < len(self._line_starts) else len(self.data)
        return len(self.data[start : start + bytecol].decode("utf-8", "replace")) + 1

    def location(self, node: Node, whole: bool = True) -> Location:
        """Where `node` is (1-based line, code-point column); `whole=False` marks its first
        character only (an opening brace, as the JSON locator does)."""
        (row, bcol) = node.start_point
        col = self._col(row, bcol)
        if not whole:
            return Location(
                file=self.display, line=row + 1, column=col, end_line=row + 1, end_column=col + 1
            )
        (erow, ecol) = node.end_point
        if erow != row:
            return Location(file=self.display, line=row + 1, column=col)
        return Location(
            file=self.display,
            line=row + 1,
            column=col,
            end_line=row + 1,
            end_column=self._col(erow, ecol),
        )

    def text(self, node: Node) -> str:
        return self.data[node.start_byte : node.end_byte].decode("utf-8", "replace")


def _first_error(root: Node) -> Node | None:
    """The first (in source order) missing or ERROR node below `root` (iterative)."""
    node = root
    while True:
        if node.is_missing or node.type == "ERROR":
            return node
        if not node.has_error:
            return None
        for child in node.children:
            if child.is_missing or child.type == "ERROR" or child.has_error:
                node = child
                break
        else:
            return node


# Nix accepts a comma before the closing brace of function formals (``{ a, b, }:``), which
# the tree-sitter grammar rejects; a comma is only valid Nix in formals, so a comma followed
# by ``}`` (blanks and comments between) is such a trailing comma (or inside a string or
# comment, where blanking it for the parser changes nothing: text is read from the file).
_TRAILING_COMMA = re.compile(rb",(?=(?:\s|#[^\n]*+|/\*(?:[^*]|\*(?!/))*+\*/)*+\})")
# The pipe operators of Nix >= 2.24 (experimental) are not in the grammar: they are parsed
# as ``->`` (same width, lowest precedence, right-associative; eval re-associates ``|>``).
_PIPES = re.compile(rb"\|>|<\|")

# An empty ``inherit;`` / ``inherit (e);`` is valid Nix (it binds nothing) that the grammar
# rejects: blanked whole.
_EMPTY_INHERIT = re.compile(rb"(?<![\w'-])inherit\s*+(?:\([^()]*\)\s*+)?;")

MAX_DEPTH = 1500  # nesting of the syntax tree beyond which a file is `too-deep'


def _repaired(data: bytes) -> bytes | None:
    """`data` with the harmless grammar gaps above blanked, or None if there are none."""
    fixed = _TRAILING_COMMA.sub(b" ", data)
    fixed = _PIPES.sub(b"->", fixed)
    fixed = _EMPTY_INHERIT.sub(lambda m: b" " * len(m.group(0)), fixed)
    return fixed if fixed != data else None


def _too_deep(root: Node) -> Node | None:
    """The first node nested deeper than :data:`MAX_DEPTH`, or None (iterative walk).

    A subtree of n bytes is at most ~4n deep (a nesting level takes at least a byte of
    source, and a byte at most a few nodes), so small subtrees are not entered."""
    cursor = root.walk()
    depth = 0
    while True:
        if depth > MAX_DEPTH:
            return cursor.node
        node = cursor.node
        small = 4 * (node.end_byte - node.start_byte) + depth + 8 <= MAX_DEPTH
        if not small and cursor.goto_first_child():
            depth += 1
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return None
            depth -= 1


def _next_token(node: Node) -> Node | None:
    n = node
    while n is not None:
        sib = n.next_sibling
        while sib is not None and sib.end_byte == sib.start_byte:
            sib = sib.next_sibling
        if sib is not None:
            while sib.child_count:
                sib = sib.children[0]
            return sib
        n = n.parent
    return None


def parse_file(path: str, display: str) -> Src:
    """Parse one ``.nix`` file; a syntax error is an :class:`InputError` (``nix-syntax``)."""
    from solver.read.json_reader import read_text

    text = read_text(path)
    data = text.encode("utf-8")
    try:
        src = Src(path, display, data)
        if src.tree.root_node.has_error:
            fixed = _repaired(data)
            if fixed is not None:
                src = Src(path, display, data, parsed=fixed)
    except TooComplex:
        raise InputError.single(
            "too-deep",
            f"{display} is too complex to be read (a chain of thousands of operators or "
            "names, or nesting too deep)",
            Location(file=display, line=1, column=1),
        ) from None
    root = src.tree.root_node
    deep = _too_deep(root)
    if deep is not None:
        raise InputError.single(
            "too-deep",
            f"{display} is nested too deeply to be read (more than {MAX_DEPTH} levels)",
            src.location(deep, whole=False),
        )
    if root.has_error:
        bad = _first_error(root) or root
        if bad.is_missing:
            nxt = _next_token(bad)
            if nxt is None:
                what = f"unexpected end of file, expecting `{bad.type}'"
                lines = text.split("\n")
                loc = Location(file=display, line=len(lines), column=len(lines[-1]) + 1)
            else:
                what = f"unexpected `{src.text(nxt)[:40]}', expecting `{bad.type}'"
                loc = src.location(nxt)
            raise InputError.single(
                "nix-syntax",
                f"syntax error in {display}: {what}",
                loc,
                hint="fix the Nix syntax (`nix-instantiate --parse FILE` shows Nix's own message)",
            )
        else:
            snippet = src.text(bad).strip().splitlines()
            what = (
                f"unexpected `{snippet[0][:40]}'" if snippet and snippet[0] else "unexpected input"
            )
        raise InputError.single(
            "nix-syntax",
            f"syntax error in {display}: {what}",
            src.location(bad),
            hint="fix the Nix syntax (`nix-instantiate --parse FILE` shows Nix's own message)",
        )
    if src.root is None:
        raise InputError.single(
            "nix-syntax",
            f"{display} contains no Nix expression",
            Location(file=display, line=1, column=1),
        )
    return src
