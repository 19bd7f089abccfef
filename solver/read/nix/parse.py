"""Parse: a ``.nix`` file into a tree-sitter tree, with positions for every node.

Tree-sitter (``tree-sitter-nix``) is imported only when the first ``.nix`` file is parsed.
"""

from __future__ import annotations

import os
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


# -- source files -----------------------------------------------------------------------


class Src:
    """One parsed ``.nix`` file: its bytes, tree and display name."""

    def __init__(self, path: str, display: str, data: bytes) -> None:
        self.path = path
        self.display = display
        self.data = data
        self.dir = os.path.dirname(path)
        self.tree = _parser().parse(data)
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


def _first_error(node: Node) -> Node | None:
    if node.is_missing or node.type == "ERROR":
        return node
    if not node.has_error:
        return None
    for child in node.children:
        found = _first_error(child)
        if found is not None:
            return found
    return node


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
    src = Src(path, display, text.encode("utf-8"))
    root = src.tree.root_node
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
