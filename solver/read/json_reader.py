"""Read an inventory JSON file strictly, with positions computed lazily.

The happy path is one C-speed ``json.loads`` (duplicate keys and ``NaN``/``Infinity``
rejected by hooks). Positions are found only for paths that are reported: the
:class:`JsonLocator` indexes the keys of the containers on a requested path, skipping
sibling values with the C decoder (``json.JSONDecoder.raw_decode``), so that locating one
finding costs what the path crosses, not the size of the file.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Callable
from json.decoder import scanstring  # type: ignore[attr-defined]
from typing import TYPE_CHECKING, Any, cast

from solver.errors import InputError
from solver.location import Definition, Location, Part, Path, format_path

if TYPE_CHECKING:
    from solver.files import Files

_WS = " \t\n\r"
_DECODER = json.JSONDecoder(parse_int=str, parse_float=str)  # only to skip values: any size
_SCAN = _DECODER.scan_once  # type: ignore[attr-defined]
_Matcher = Callable[[str, int], "re.Match[str]"]
_WS_RE = re.compile(r"[ \t\n\r]*")
# a key's ':' (one character, whatever it is, as before), and a value's ',' if any
_COLON_RE = re.compile(r"[ \t\n\r]*(.?)[ \t\n\r]*", re.DOTALL)
_COMMA_RE = re.compile(r"[ \t\n\r]*(,[ \t\n\r]*)?")


class _Duplicate(Exception):
    pass


class _BadConstant(Exception):
    pass


def _no_dup(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise _Duplicate()
    return out


def _no_constant(name: str) -> Any:
    raise _BadConstant(name)


class JsonLocator:
    """Maps inventory paths to positions in one JSON text, indexing containers on demand."""

    def __init__(self, text: str, file: str) -> None:
        self.text = text
        self.file = file
        self._lines: list[int] | None = None
        # container offset -> key or index -> list of (key_start, key_end, value_start, value_end)
        self._index: dict[int, dict[str | int, list[tuple[int, int, int, int]]]] = {}
        # container offset -> (start, end) of every entry, in order (for ``definitions``)
        self._siblings: dict[int, tuple[tuple[int, int], ...]] = {}
        # container offset -> offset after its closing bracket (for indexed containers)
        self._ends: dict[int, int] = {}

    # -- offsets -> positions ---------------------------------------------------------
    def position(self, offset: int) -> tuple[int, int]:
        if self._lines is None:
            starts = [0]
            find = self.text.find
            i = find("\n")
            while i != -1:
                starts.append(i + 1)
                i = find("\n", i + 1)
            self._lines = starts
        line = bisect.bisect_right(self._lines, offset) - 1
        return line + 1, offset - self._lines[line] + 1

    def location(self, start: int, end: int | None = None) -> Location:
        line, col = self.position(start)
        if end is None or end <= start:
            return Location(file=self.file, line=line, column=col)
        eline, ecol = self.position(end - 1)
        if eline != line:
            return Location(file=self.file, line=line, column=col)
        return Location(file=self.file, line=line, column=col, end_line=line, end_column=ecol + 1)

    # -- scanning -------------------------------------------------------------------
    def _skip_ws(self, i: int) -> int:
        text = self.text
        n = len(text)
        while i < n and text[i] in _WS:
            i += 1
        return i

    def root(self) -> int:
        return self._skip_ws(0)

    def _value_end(self, i: int) -> int:
        try:
            _, end = _SCAN(self.text, i)
        except StopIteration:
            raise ValueError(f"no JSON value at offset {i}") from None
        return int(end)

    def entries(self, start: int) -> dict[str | int, list[tuple[int, int, int, int]]]:
        """Index the container whose opening bracket is at `start`."""
        cached = self._index.get(start)
        if cached is not None:
            return cached
        text = self.text
        n = len(text)
        out: dict[str | int, list[tuple[int, int, int, int]]] = {}
        opener = text[start] if start < n else ""
        # whitespace, separators and values are skipped by C code (a regex match, the JSON
        # scanner): the `machines` object of a large fleet has 100,000 entries
        # (every part of these patterns is optional: they always match)
        ws = cast(_Matcher, _WS_RE.match)
        colon = cast(_Matcher, _COLON_RE.match)
        comma = cast(_Matcher, _COMMA_RE.match)
        value_end = self._value_end
        if start == self.root():
            # The root's values are skipped by indexing them, not by decoding them: the
            # decoder would build the whole inventory once more (0.3 s at 100,000
            # machines), while every located path indexes the container it passes anyway.
            value_end = self._container_end
        i = ws(text, start + 1).end()
        # well-formed so far (a ':' after each key, a ',' between entries and only there):
        # only then is the end of the container known without the decoder
        ok = True
        after_comma = False
        if opener == "{":
            while i < n and text[i] == '"':
                key, kend = scanstring(text, i + 1)
                m = colon(text, kend)
                ok = ok and m.group(1) == ":"
                j = m.end()
                vend = value_end(j)
                hits = out.get(key)
                if hits is None:
                    out[key] = [(i, kend, j, vend)]
                else:
                    hits.append((i, kend, j, vend))
                m = comma(text, vend)
                i = m.end()
                after_comma = m.group(1) is not None
                ok = ok and (after_comma or (i < n and text[i] == "}"))
        elif opener == "[":
            idx = 0
            while i < n and text[i] != "]":
                vend = value_end(i)
                out[idx] = [(i, i, i, vend)]
                idx += 1
                m = comma(text, vend)
                i = m.end()
                after_comma = m.group(1) is not None
                ok = ok and (after_comma or (i < n and text[i] == "]"))
        if ok and not after_comma and i < n and text[i] == ("}" if opener == "{" else "]"):
            self._ends[start] = i + 1
        self._index[start] = out
        return out

    def _container_end(self, i: int) -> int:
        """The end of the value at `i`; a container is indexed on the way."""
        if i < len(self.text) and self.text[i] in "{[":
            self.entries(i)
            end = self._ends.get(i)
            if end is not None:
                return end
        return self._value_end(i)

    def span(self, path: Path) -> tuple[int, int, int, int] | None:
        """(key_start, key_end, value_start, value_end) of `path`, or None if absent."""
        cur = self.root()
        found: tuple[int, int, int, int] = (cur, cur, cur, cur)
        for key in path:
            if cur >= len(self.text) or self.text[cur] not in "{[":
                return None
            try:
                entries = self.entries(cur)
            except (ValueError, IndexError):
                return None
            hits = entries.get(key)
            if not hits:
                return None
            found = hits[-1]
            cur = found[2]
        return found

    def definitions(self, path: Path) -> list[Definition] | None:
        """The spans of `path` for editing (see :class:`~solver.location.Definition`)."""
        sp = self.span(path)
        if sp is None:
            return None
        ks, ke, vs, ve = sp
        if not path:
            ve = self._value_end(vs)
            return [Definition(self.file, self.text, "json", (vs, ve), value=(vs, ve))]
        parent = self.span(path[:-1])
        assert parent is not None  # the path's own span was found through it
        cstart = parent[2]
        cend = parent[3] if len(path) > 1 else self._value_end(cstart)
        siblings = self._siblings.get(cstart)
        if siblings is None:
            siblings = tuple(
                sorted((h[0], h[3]) for hits in self.entries(cstart).values() for h in hits)
            )
            self._siblings[cstart] = siblings
        is_key = isinstance(path[-1], str)
        return [
            Definition(
                self.file,
                self.text,
                "json",
                (ks, ve),
                key=(ks, ke) if is_key else None,
                value=(vs, ve),
                container=(cstart, cend),
                siblings=siblings,
            )
        ]

    def locate(self, path: Path, part: Part = "key") -> Location | None:
        # Walk down to the deepest existing prefix, so a missing key still points somewhere.
        for cut in range(len(path), -1, -1):
            sp = self.span(path[:cut])
            if sp is None:
                continue
            if cut == 0:
                return self.location(sp[2], sp[2] + 1)
            if cut < len(path) or part == "value":
                vs, ve = sp[2], sp[3]
                if self.text[vs] in "{[":
                    return self.location(vs, vs + 1)
                return self.location(vs, ve)
            if isinstance(path[cut - 1], int):
                return self.location(sp[2], sp[3])
            return self.location(sp[0], sp[1])
        return None

    # -- error path -------------------------------------------------------------------
    def find_problems(self) -> list[tuple[str, Path, int, int, int | None]]:
        """Every duplicate key and bad constant: (kind, path, start, end, first_start)."""
        problems: list[tuple[str, Path, int, int, int | None]] = []
        stack: list[tuple[int, Path]] = [(self.root(), ())]
        text = self.text
        while stack:
            start, path = stack.pop()
            if text[start] not in "{[":
                continue
            for key, hits in self.entries(start).items():
                if len(hits) > 1:
                    for h in hits[1:]:
                        problems.append(("duplicate", (*path, key), h[0], h[1], hits[0][0]))
                for h in hits:
                    vs, ve = h[2], h[3]
                    if text[vs] in "{[":
                        stack.append((vs, (*path, key)))
                    elif text[vs] in "NI-" and text[vs:ve].lstrip("-")[:1] in ("N", "I"):
                        problems.append(("constant", (*path, key), vs, ve, None))
        problems.sort(key=lambda p: p[2])
        return problems


def read_text(file: str, files: Files | None = None) -> str:
    """Read a file as UTF-8 (a BOM is allowed), turning every OS problem into InputError.

    The file is read through `files` (confined to its repository root; by default the
    repository that holds `file`): a path that leaves the root, a device or a FIFO is
    refused without reading a byte of it."""
    from solver.files import Files, Refused, find_root

    if files is None:
        files = Files(find_root(file))
    try:
        raw = files.read_bytes(file)
    except Refused as exc:
        code = "input-too-large" if "MiB" in exc.reason else "io-error"
        raise InputError.single(code, f"{file}: {exc.reason}") from None
    except FileNotFoundError:
        raise InputError.single("io-error", f"{file}: no such file") from None
    except PermissionError:
        raise InputError.single("io-error", f"{file}: permission denied") from None
    except IsADirectoryError:
        raise InputError.single(
            "io-error", f"{file} is a directory, not an inventory file", hint=None
        ) from None
    except OSError as exc:
        raise InputError.single("io-error", f"{file}: {exc.strerror or exc}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        col = len(before[before.rfind(b"\n") + 1 :].decode("utf-8", "replace")) + 1
        raise InputError.single(
            "encoding",
            f"{file} is not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})",
            Location(file=file, line=line, column=col),
            hint="save the file as UTF-8",
        ) from None


def parse_json(text: str, file: str) -> tuple[Any, JsonLocator]:
    """Parse strictly: syntax errors, duplicate keys and NaN/Infinity are InputErrors."""
    locator = JsonLocator(text, file)
    if not text.strip():
        raise InputError.single(
            "json-syntax",
            f"{file} is empty",
            Location(file=file, line=1, column=1),
            hint='an empty inventory is written "{}"',
        )
    out_of_range: list[str] = []

    def parse_int(literal: str) -> int | _OutOfRange:
        if len(literal) < 19:  # fits in 64 bits: the common case, no check needed
            return int(literal)
        value = _int_or_bad(literal)
        if isinstance(value, _OutOfRange):
            out_of_range.append(literal)
        return value

    def parse_float(literal: str) -> float | _OutOfRange:
        value = _float_or_bad(literal)
        if isinstance(value, _OutOfRange):
            out_of_range.append(literal)
        return value

    try:
        data = json.loads(
            text,
            object_pairs_hook=_no_dup,
            parse_constant=_no_constant,
            parse_int=parse_int,
            parse_float=parse_float,
        )
    except json.JSONDecodeError as exc:
        raise InputError.single(
            "json-syntax",
            f"invalid JSON: {exc.msg}",
            Location(file=file, line=exc.lineno, column=exc.colno),
        ) from None
    except RecursionError:
        raise InputError.single(
            "too-deep",
            f"{file} is nested too deeply to be an inventory",
            Location(file=file, line=1, column=1),
        ) from None
    except (_Duplicate, _BadConstant):
        # The hooks fire as soon as an object closes: a syntax error further on has not
        # been seen yet, and the locator below cannot index a broken text. Syntax first.
        try:
            json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError.single(
                "json-syntax",
                f"invalid JSON: {exc.msg}",
                Location(file=file, line=exc.lineno, column=exc.colno),
            ) from None
        except RecursionError:  # pragma: no cover - the first parse would have failed
            pass
        diags = []
        try:
            problems = locator.find_problems()
        except (RecursionError, ValueError):  # pragma: no cover - checked just above
            problems = []
        from solver.diagnostics import Diagnostic, Related

        for kind, path, start, end, first in problems:
            if kind == "duplicate":
                diags.append(
                    Diagnostic(
                        code="duplicate-key",
                        severity="error",
                        message=f"duplicate key {json.dumps(path[-1], ensure_ascii=False)}",
                        path=format_path(path),
                        location=locator.location(start, end),
                        related=(
                            Related(
                                message="first defined here",
                                path=format_path(path),
                                location=locator.location(first) if first is not None else None,
                            ),
                        ),
                        hint="JSON objects must not repeat a key; keep one of them",
                    )
                )
            else:
                diags.append(
                    Diagnostic(
                        code="json-syntax",
                        severity="error",
                        message=f"{text[start:end]} is not valid JSON",
                        path=format_path(path),
                        location=locator.location(start, end),
                        hint="JSON has no NaN or Infinity; use a number or a string",
                    )
                )
        if not diags:
            diags.append(
                Diagnostic(
                    code="json-syntax",
                    severity="error",
                    message="invalid JSON",
                    path="",
                    location=Location(file=file, line=1, column=1),
                )
            )
        raise InputError(diags) from None
    if out_of_range:
        _check_numbers(data, locator, file)
    if _SURROGATE_ESCAPE.search(text):
        _reject_surrogates(data, locator, file)
    return data, locator


# Numbers Nix cannot represent: integers beyond 64 bits (Nix rejects them when parsing;
# Python would accept any size, and fails on more than 4300 digits) and floats that
# overflow (``1e400``: Python makes it infinity, which JSON output writes as null). The
# parser's hooks mark them; only then is the data walked to locate each one.
INT_MIN, INT_MAX = -(2**63), 2**63 - 1


class _OutOfRange:
    def __init__(self, literal: str) -> None:
        self.literal = literal


def _int_or_bad(literal: str) -> int | _OutOfRange:
    digits = literal.lstrip("-")
    if len(digits) > 19:
        return _OutOfRange(literal)
    value = int(literal)
    return value if INT_MIN <= value <= INT_MAX else _OutOfRange(literal)


def _float_or_bad(literal: str) -> float | _OutOfRange:
    value = float(literal)
    return value if value not in (float("inf"), float("-inf")) else _OutOfRange(literal)


def _check_numbers(data: Any, locator: JsonLocator, file: str) -> None:
    """Raise (``number-range``, every offending number located) if `data` holds a number
    Nix cannot represent (marked by the parser's hooks)."""
    found: list[tuple[Path, str]] = []
    stack: list[tuple[Any, Path]] = [(data, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, _OutOfRange):
            found.append((path, value.literal))
        elif isinstance(value, dict):
            stack.extend((v, (*path, k)) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, (*path, i)) for i, v in enumerate(value))
    if not found:
        return
    from solver.diagnostics import Diagnostic

    diags = []
    for path, literal in found:
        shown = literal if len(literal) <= 40 else f"{literal[:20]}…({len(literal)} characters)"
        is_int = not any(c in literal for c in ".eE")
        what = (
            "an integer beyond the 64-bit range Nix has (-9223372036854775808 to "
            "9223372036854775807)"
            if is_int
            else "a float too large for Nix (it overflows to infinity)"
        )
        diags.append(
            Diagnostic(
                code="number-range",
                severity="error",
                message=f"the number {shown} is {what}",
                path=format_path(path),
                location=locator.locate(path, "value") or Location(file=file, line=1, column=1),
                hint="Nix rejects this number; use a smaller one, or a string",
            )
        )
    diags.sort(key=lambda d: (d.location.line, d.location.column) if d.location else (0, 0))
    raise InputError(diags)


# `\ud800`-style escapes can decode to lone surrogates, which are not text: Nix rejects
# them, and they cannot be printed or written as UTF-8. Checked only when the text has one.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _has_surrogate(s: str) -> bool:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _reject_surrogates(data: Any, locator: JsonLocator, file: str) -> None:
    """Raise for the first (in document order) key or string holding a lone surrogate."""
    stack: list[tuple[Part, Any, Path]] = [("value", data, ())]
    while stack:
        part, value, path = stack.pop()
        if isinstance(value, str):
            if not _has_surrogate(value):
                continue
            raise InputError.single(
                "json-syntax",
                "invalid JSON: a \\u escape encodes a lone UTF-16 surrogate, which is not text",
                locator.locate(path, part) or Location(file=file, line=1, column=1),
                path=format_path(
                    tuple(
                        k.encode("utf-8", "backslashreplace").decode() if isinstance(k, str) else k
                        for k in path
                    )
                ),
                hint="write the character itself, or a complete surrogate pair",
            )
        if isinstance(value, dict):
            for k, v in reversed(value.items()):
                stack.append(("value", v, (*path, k)))
                stack.append(("key", k, (*path, k)))
        elif isinstance(value, list):
            stack.extend(("value", v, (*path, i)) for i, v in reversed(list(enumerate(value))))


def read_json(
    file: str, display: str | None = None, files: Files | None = None
) -> tuple[Any, JsonLocator]:
    """Read and parse one JSON file; `display` is the name used in locations, `files`
    the confined reader that records what was read (by default one for the repository
    that holds `file`)."""
    return parse_json(read_text(file, files), display or file)
