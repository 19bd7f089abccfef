"""Reading user policies: every file once, with a size limit, and ``#include`` confined.

A pre-commit hook runs on whatever a pull request contains, so a policy must not make the
tool read (let alone print) a file outside the project. clingo follows ``#include`` itself
and reports syntax errors with a snippet of the included file: ``#include "/etc/shadow".``
printed a line of it. So clingo never sees an ``#include``:

* every policy file is read here, once (so ``--rules <(cat p.lp)``, a pipe, works), at
  most :data:`MAX_POLICY_BYTES`, and only when it is a regular file or a pipe (never a
  device or a socket);
* :func:`scan` finds the ``#include`` directives the way clingo's lexer does (outside
  strings and comments) and blanks them out (keeping every line and column); an included
  file must lie beside the policy: a relative path without ``..``, inside the folder of the
  policy that names it at top level, symlinks resolved. It is read the same way and its
  own includes are confined to the same folder;
* the child process that parses the texts cannot open files at all while clingo runs
  (``solver.policy``), so a directive this scan missed could not be followed either.
"""

from __future__ import annotations

import math
import os
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass

from solver.errors import InputError
from solver.location import Location

CODE = "policy-error"
MAX_POLICY_BYTES = 8 * 1024 * 1024  # per policy file
MAX_FILES = 256  # policy files in one run, includes counted
MAX_TOTAL_BYTES = 32 * 1024 * 1024  # all policy files of one run together
MAX_TIMEOUT = 3600.0  # seconds: the largest policy-timeout accepted
HINT_INCLUDE = (
    'include only files beside the policy (a relative path such as "helpers.lp" or '
    '"lib/helpers.lp", without ".."), or list each file under --rules'
)

_NEXT = re.compile(r'["%#]|[^\x00-\x7f]')
_STRING = re.compile(r'"(?:[^\\"\n]|\\["\\n])*"')
_KEYWORD = re.compile(r"#[a-zA-Z0-9_]*")
_BLOCK = re.compile(r"\*%|%\*|%|\n")
_SPACE = re.compile(r"[ \t\r\n]*")
_ESCAPE = re.compile(r"\\(.)")


@dataclass(frozen=True)
class Source:
    """One policy file as read: ``text`` has its ``#include`` directives blanked out."""

    path: str  # the path as given (an included file: joined to the including folder)
    shown: str  # the name in messages (Location.file)
    text: str
    real: str | None  # the resolved path of a regular file; None for a pipe
    stray: tuple[int, int, str] | None = None  # a non-ASCII char outside strings/comments


@dataclass(frozen=True)
class Include:
    name: str
    line: int
    column: int


@dataclass(frozen=True)
class Scanned:
    text: str  # the directives replaced by spaces
    includes: list[Include]
    stray: tuple[int, int, str] | None  # (line, column, char) of a non-ASCII char


def _shown(path: str) -> str:
    from solver.read import display_name

    return display_name(path)


def error(
    message: str, file: str, line: int = 1, column: int = 1, hint: str | None = None
) -> InputError:
    return InputError.single(
        CODE, message, Location(file=file, line=line, column=column), hint=hint
    )


def timeout_problem(value: object) -> str | None:
    """Why `value` is not a policy time limit (seconds, 0 < t <= MAX_TIMEOUT), or None."""
    if (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and 0 < value <= MAX_TIMEOUT
    ):
        return None
    shown = repr(value) if isinstance(value, str) else str(value).lower()
    return f"{shown} is not a time limit: give seconds, more than 0 and at most {MAX_TIMEOUT:g}"


# -- scanning ----------------------------------------------------------------------------------
def _line_col(text: str, pos: int) -> tuple[int, int]:
    return text.count("\n", 0, pos) + 1, pos - (text.rfind("\n", 0, pos) + 1) + 1


def _skip_comment(text: str, pos: int) -> int:
    """The end of the comment at `pos` (``%`` to the line end, ``#!`` too, or a nested
    ``%* ... *%`` in which a ``%`` starts a line comment, as in clingo's lexer)."""
    n = len(text)
    if not text.startswith("%*", pos):
        end = text.find("\n", pos)
        return n if end < 0 else end + 1
    depth, i = 1, pos + 2
    while depth > 0:
        m = _BLOCK.search(text, i)
        if m is None:
            return n
        tok, i = m.group(), m.end()
        if tok == "*%":
            depth -= 1
        elif tok == "%*":
            depth += 1
        elif tok == "%":
            end = text.find("\n", i)
            if end < 0:
                return n
            i = end + 1
    return i


def _skip_blank(text: str, pos: int) -> int:
    """Past white space and comments (what may stand between the tokens of a directive)."""
    while True:
        pos = _SPACE.match(text, pos).end()  # type: ignore[union-attr]
        if text.startswith("%", pos) or text.startswith("#!", pos):
            pos = _skip_comment(text, pos)
            continue
        return pos


def _loose_string_end(text: str, pos: int) -> int:
    """The end of a malformed string at `pos`: the next unescaped quote or the line end."""
    i, n = pos + 1, len(text)
    while i < n and text[i] != '"' and text[i] != "\n":
        i += 2 if text[i] == "\\" else 1
    return i + 1


class _Bad(Exception):
    def __init__(self, pos: int, message: str) -> None:
        super().__init__(message)
        self.pos = pos
        self.message = message


def _directive(text: str, pos: int) -> tuple[str, int]:
    """The file name of the ``#include`` at `pos` and the end of the directive."""
    i = _skip_blank(text, pos + len("#include"))
    if text.startswith("<", i):
        raise _Bad(pos, "`#include <...>` is not supported in policies")
    m = _STRING.match(text, i)
    if m is None:
        raise _Bad(pos, "`#include` must be followed by a file name in quotes and `.`")
    name = _ESCAPE.sub(lambda e: "\n" if e.group(1) == "n" else e.group(1), m.group()[1:-1])
    i = _skip_blank(text, m.end())
    if not text.startswith(".", i) or text.startswith("..", i):
        raise _Bad(pos, '`#include "..."` must end with `.`')
    return name, i + 1


def scan(text: str) -> Scanned:
    """The ``#include`` directives of `text` (as clingo's lexer finds them, outside strings
    and comments), the text with them blanked out, and the first stray non-ASCII character.

    clingo's lexer rejects a non-ASCII character outside a string or comment one byte at a
    time and its message then holds half a UTF-8 sequence, which clingo's Python logger
    cannot decode: the process aborts. So such a character is reported first.
    Raises :class:`_Bad` for a directive that is not ``#include "name".``.
    """
    includes: list[Include] = []
    stray: tuple[int, int, str] | None = None
    out: list[str] = []
    done = 0
    i = 0
    quiet = 0  # stray characters before this position are inside a malformed string
    while True:
        m = _NEXT.search(text, i)
        if m is None:
            break
        p = m.start()
        c = text[p]
        if c == '"':
            s = _STRING.match(text, p)
            if s is not None:
                i = s.end()
            else:
                # clingo: a lexer error at the quote, then on with the next character (an
                # #include after it is live). The string's text is not a stray character:
                # the parse reports the lexer error at the quote.
                i = p + 1
                quiet = max(quiet, _loose_string_end(text, p))
        elif c == "%":
            i = _skip_comment(text, p)
        elif c == "#":
            if text.startswith("#!", p):
                i = _skip_comment(text, p)
                continue
            word = _KEYWORD.match(text, p).group()  # type: ignore[union-attr]
            if word == "#include":
                name, end = _directive(text, p)
                line, column = _line_col(text, p)
                includes.append(Include(name, line, column))
                out.append(text[done:p])
                out.append(re.sub(r"[^\n]", " ", text[p:end]))
                done = i = end
            elif word == "#script":
                # a script body is not ASP (and is rejected later); clingo's script mode ends
                # at an `#end` no earlier than the first one after `#script`
                end = text.find("#end", p)
                i = len(text) if end < 0 else end
                if end >= 0:
                    i = end + len("#end")
            else:
                i = p + len(word)
        else:
            if stray is None and p >= quiet:
                line, column = _line_col(text, p)
                stray = (line, column, c)
            i = p + 1
    out.append(text[done:])
    return Scanned("".join(out), includes, stray)


# -- reading -----------------------------------------------------------------------------------
def _read_fd(fd: int, shown: str, limit: int) -> bytes:
    from solver.files import read_at_most

    data = read_at_most(fd, limit)
    if len(data) > limit:
        raise error(f"the policy file is larger than {limit // (1024 * 1024)} MiB; not read", shown)
    return data


def _kind(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISFIFO(mode):
        return "pipe"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"  # pragma: no cover - no other kinds on Linux


def _open(path: str, shown: str, pipes: bool) -> tuple[bytes, bool]:
    """The bytes of `path` (a regular file, or a pipe when `pipes`) and whether it is a pipe."""
    limit = MAX_POLICY_BYTES
    allowed = ("file", "pipe") if pipes else ("file",)
    try:
        kind = _kind(os.stat(path).st_mode)
        if kind not in allowed:
            raise error(f"the policy file is {kind}, not a regular file; not read", shown)
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise error(f"cannot read the policy file: {exc.strerror or exc}", shown) from None
    try:
        st = os.fstat(fd)
        kind = _kind(st.st_mode)
        if kind not in allowed:  # changed between stat and open
            raise error(f"the policy file is {kind}, not a regular file; not read", shown)
        if kind == "file" and st.st_size > limit:
            raise error(
                f"the policy file is {st.st_size // (1024 * 1024)} MiB; policies are read "
                f"up to {limit // (1024 * 1024)} MiB",
                shown,
            )
        if kind == "pipe":
            os.set_blocking(fd, True)
        try:
            return _read_fd(fd, shown, limit), kind == "pipe"
        except OSError as exc:
            raise error(f"cannot read the policy file: {exc.strerror or exc}", shown) from None
    finally:
        os.close(fd)


def _decode(data: bytes, shown: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = _line_col(data[: exc.start].decode("utf-8", "replace"), exc.start)
        raise error(
            f"the policy file is not UTF-8 (byte 0x{data[exc.start]:02x})", shown, line, column
        ) from None


def _confined(name: str, including: str, folder: str) -> str | None:
    """The real path `name` names from the file `including`, or None when it may not be
    included: absolute, with ``..``, or resolving (symlinks followed) outside `folder`."""
    if not name or "\0" in name or "\n" in name or os.path.isabs(name):
        return None
    if name.startswith("~") or ".." in re.split(r"[\\/]", name):
        return None
    real = os.path.realpath(os.path.join(os.path.dirname(including), name))
    if not real.startswith(folder + os.sep):
        return None
    return real


def _repository(folder: str) -> str | None:
    """The nearest folder from `folder` upward with a ``.git`` entry, or None."""
    from solver.files import repository_of

    return repository_of(folder)


def _stays_in_repository(path: str, shown: str) -> None:
    """A policy path inside a repository must not be a symlink that leads out of it: a
    pull request can replace ``policies/x.lp`` (named by the hook's ``--rules``) with a
    link to ``/etc/shadow``. A path given outside any repository is the user's choice."""
    here = os.path.abspath(path)
    root = _repository(os.path.dirname(here))
    if root is None:
        return
    real_root = os.path.realpath(root)
    real = os.path.realpath(here)
    if real != real_root and not real.startswith(real_root + os.sep):
        raise error(
            "the policy file is a link that leads outside its repository; not read",
            shown,
            hint="name the file it points to, or keep policies inside the repository",
        )


def read(paths: Sequence[str]) -> list[Source]:
    """Every policy file in `paths` and the files they include, each read once.

    Raises :class:`~solver.errors.InputError` (``policy-error``, located) for a file that
    cannot be read, and for an ``#include`` that is not of a file beside the policy; the
    message names what was not read and shows nothing of it.
    """
    out: list[Source] = []
    seen: set[str] = set()
    for path in paths:
        shown = _shown(path)
        _stays_in_repository(path, shown)
        data, pipe = _open(path, shown, pipes=True)
        real = None if pipe else os.path.realpath(path)
        if real is not None and real in seen:
            continue
        _add(out, seen, path, shown, _decode(data, shown), real, real)
    return out


def _add(
    out: list[Source],
    seen: set[str],
    path: str,
    shown: str,
    text: str,
    real: str | None,
    top: str | None,
) -> None:
    """`text` and, depth first, the files it includes (confined to the folder of `top`)."""
    if real is not None:
        seen.add(real)
    total = sum(len(src.text) for src in out) + len(text)
    if total > MAX_TOTAL_BYTES:
        raise error(
            f"the policy files hold more than {MAX_TOTAL_BYTES // (1024 * 1024)} MiB "
            "together; not read",
            shown,
        )
    try:
        scanned = scan(text)
    except _Bad as bad:
        line, column = _line_col(text, bad.pos)
        raise error(bad.message, shown, line, column, HINT_INCLUDE) from None
    out.append(Source(path, shown, scanned.text, real, scanned.stray))
    if scanned.stray is not None:
        return  # reported by the parse (solver.policy), before any include matters
    for inc in scanned.includes:
        if top is None or real is None:
            raise error(
                f'`#include "{inc.name}"`: a policy read from a pipe cannot include files',
                shown,
                inc.line,
                inc.column,
                "pass each file with --rules",
            )
        folder = os.path.dirname(top)
        target = _confined(inc.name, real, folder)
        if target is None:
            raise error(
                f'`#include "{inc.name}"`: only files beside the policy can be included '
                f"(inside {_shown(folder) or '.'}); not read",
                shown,
                inc.line,
                inc.column,
                HINT_INCLUDE,
            )
        if target in seen:
            continue  # clingo includes a file once
        if len(seen) >= MAX_FILES:
            raise error(
                f"more than {MAX_FILES} policy files are included; not read",
                shown,
                inc.line,
                inc.column,
            )
        joined = os.path.join(os.path.dirname(path), inc.name)
        inc_shown = _shown(joined)
        try:
            data, _pipe = _open(target, inc_shown, pipes=False)
        except InputError as exc:
            d = exc.diagnostics[0]
            raise error(
                f'`#include "{inc.name}"`: {d.message}', shown, inc.line, inc.column
            ) from None
        _add(out, seen, joined, inc_shown, _decode(data, inc_shown), target, top)


__all__ = ["MAX_POLICY_BYTES", "MAX_TIMEOUT", "Source", "read", "scan", "timeout_problem"]
