"""Edits: a :class:`~solver.fix.actions.Repair` written into the user's files.

Every action names an inventory path; the reader's locator
(:class:`~solver.location.DefinitionLocator`) says where each definition of that path is
written (character offsets of its key, value and whole binding), in ``inventory.json`` or
in a ``.nix`` file alike. Only those spans are edited: formatting, comments and the order
of keys elsewhere stay as they are.

* ``rename``: the key (``part="key"``) or the string value (``part="value"``) is replaced,
  in the quoting style it was written in (a Nix key is quoted when the new name needs it).
* ``remove``: the binding (``"k": v`` with its comma in JSON; ``a.b = v;`` in Nix, with
  its line when it is alone on it, a comment after it included) or the list element.
* ``move-to-tags``: the ``machines`` entry is removed and the name added to the role's
  ``tags`` (a list or an attribute set), or ``tags = [ "x" ];`` is written just before
  ``machines``.
* ``to-attrset``: ``[ "a" "b" ]`` becomes ``{ a = { }; b = { }; }`` (JSON:
  ``{"a": {}, "b": {}}``), whitespace kept.

A value that is *computed* (by a function, ``map``, a ``let`` binding used here, a
``machines/<name>/`` directory, ...) cannot be edited where it is used: the action is
not applied, with the place where the value is computed, and nothing is written for it.
Edits that overlap are refused (:class:`EditConflict`): nothing is changed.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from solver.fix.actions import Action, Repair
from solver.location import Definition, DefinitionLocator, Location, Path, format_path

if TYPE_CHECKING:
    from solver.read import Loaded

_NIX_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_'-]*$")
_NIX_KEYWORDS = frozenset(
    {"if", "then", "else", "assert", "with", "let", "in", "rec", "inherit", "or"}
)
# a Nix string literal without interpolation
_NIX_PLAIN_STRING = re.compile(r'^"(?:[^"\\$]|\\.|\$(?!\{))*"$', re.S)
_NIX_PLAIN_INDENTED = re.compile(r"^''(?:[^'$]|'(?!')|\$(?!\{))*''$", re.S)


class EditConflict(Exception):
    """Two edits touch the same text: the repair cannot be written safely."""


@dataclass(frozen=True)
class TextEdit:
    """Replace ``text[start:end]`` of `file` (character offsets) by `replacement`."""

    file: str
    start: int
    end: int
    replacement: str
    action: Action

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.file, self.start, self.end, self.replacement)


@dataclass(frozen=True)
class NotApplied:
    """An action that was not written, and why (in a user's words)."""

    action: Action
    reason: str

    def message(self) -> str:
        return f"not applied: {self.action.describe()}: {self.reason}"


@dataclass
class EditPlan:
    """The text edits of a repair, the original text of every file they touch, and the
    actions that could not be written."""

    edits: list[TextEdit] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)
    applied: list[Action] = field(default_factory=list)
    not_applied: list[NotApplied] = field(default_factory=list)

    def files(self) -> list[str]:
        return sorted({e.file for e in self.edits})

    def edited(self) -> dict[str, str]:
        """The new text of every file with an edit."""
        out: dict[str, str] = {}
        for name in self.files():
            out[name] = apply_edits(self.texts[name], [e for e in self.edits if e.file == name])
        return out


def apply_edits(text: str, edits: list[TextEdit]) -> str:
    """`text` with the (non-overlapping) `edits` applied."""
    parts: list[str] = []
    pos = 0
    for e in sorted(edits, key=TextEdit.sort_key):
        parts.append(text[pos : e.start])
        parts.append(e.replacement)
        pos = e.end
    parts.append(text[pos:])
    return "".join(parts)


def position(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column (code points) of `offset` in `text`."""
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, col


# -- quoting ------------------------------------------------------------------------------


def nix_string(value: str) -> str:
    out = (
        value.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("${", "\\${")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
    )
    return f'"{out}"'


def nix_key(name: str, quoted: bool = False) -> str:
    """`name` as a Nix attribute name: bare when it can be (and was not `quoted`)."""
    if not quoted and _NIX_IDENT.match(name) and name not in _NIX_KEYWORDS:
        return name
    return nix_string(name)


def json_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


# -- planning -----------------------------------------------------------------------------


class _Skip(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _where(loc: Location) -> str:
    return f"{loc.file}:{loc.line}"


def _get(data: Any, path: Path) -> Any:
    cur = data
    for k in path:
        if isinstance(k, int):
            if not isinstance(cur, list) or not -len(cur) <= k < len(cur):
                return None
            cur = cur[k]
        else:
            if not isinstance(cur, dict) or k not in cur:
                return None
            cur = cur[k]
    return cur


class _Planner:
    def __init__(self, loaded: Loaded) -> None:
        self.loaded = loaded
        loc = loaded.locator
        self.locator: DefinitionLocator | None = loc if isinstance(loc, DefinitionLocator) else None
        self.texts: dict[str, str] = {}
        # definitions to remove, with the action removing each (grouped per container
        # and file at the end, so that neighbours go together cleanly)
        self.removals: list[tuple[Definition, Action]] = []

    # -- helpers ------------------------------------------------------------------------
    def defs(self, path: Path) -> list[Definition]:
        if self.locator is None:
            raise _Skip("the inventory was not read from a file")
        got = self.locator.definitions(path)
        if not got:
            raise _Skip(f"{format_path(path)} is not located in a file")
        return got

    def resolve(self, path: Path) -> Path:
        """A name in a role's ``machines`` written as a list: its index in the list."""
        if path and isinstance(path[-1], str):
            parent = _get(self.loaded.data, path[:-1])
            if isinstance(parent, list) and path[-1] in parent:
                return (*path[:-1], parent.index(path[-1]))
        return path

    def edit(self, d: Definition, start: int, end: int, text: str, action: Action) -> TextEdit:
        self.texts.setdefault(d.file, d.text)
        return TextEdit(d.file, start, end, text, action)

    @staticmethod
    def key_editable(d: Definition, what: str) -> None:
        if d.key_computed is not None:
            raise _Skip(f"{what} is computed at {_where(d.key_computed)}")

    @staticmethod
    def value_editable(d: Definition, what: str) -> None:
        if d.computed is not None:
            raise _Skip(f"{what} is computed at {_where(d.computed)}")
        if d.value is None:
            raise _Skip(f"{what} is not written as one value ({d.file})")

    # -- kinds ----------------------------------------------------------------------------
    def rename(self, a: Action) -> list[TextEdit]:
        if a.new is None:
            raise _Skip("no new name given")
        out: list[TextEdit] = []
        if a.part == "key" and self.resolve(a.path) == a.path:
            if not a.path or not isinstance(a.path[-1], str):
                raise _Skip("the path does not end with a name")
            for d in self.defs(a.path):
                self.key_editable(d, "the name")
                assert d.key is not None
                old = d.text[d.key[0] : d.key[1]]
                if d.syntax == "json":
                    new = json_string(a.new)
                else:
                    new = nix_key(a.new, quoted=old.startswith('"'))
                out.append(self.edit(d, d.key[0], d.key[1], new, a))
            return out
        for d in self.defs(self.resolve(a.path)):
            self.value_editable(d, "the value")
            assert d.value is not None
            old = d.text[d.value[0] : d.value[1]]
            if d.syntax == "json":
                if not old.startswith('"'):
                    raise _Skip(f"the value at {d.file} is not a string")
                new = json_string(a.new)
            elif _NIX_PLAIN_STRING.match(old):
                new = nix_string(a.new)
            elif _NIX_PLAIN_INDENTED.match(old) and not re.search(r"''|\$\{|\n", a.new):
                new = f"''{a.new}''"
            else:
                loc = _loc(d, d.value[0])
                raise _Skip(f"the value is not a plain string (computed at {_where(loc)})")
            out.append(self.edit(d, d.value[0], d.value[1], new, a))
        return out

    def remove(self, a: Action, path: Path) -> list[TextEdit]:
        path = self.resolve(path)
        found = self.defs(path)
        for d in found:
            if d.key is None:
                self.value_editable(d, "the list element")
            else:
                self.key_editable(d, "the definition")
            where = _overrides_at(d)
            if where is not None:
                raise _Skip(
                    f"the definition overrides another one with `//' at {_where(where)}; "
                    "removing it would bring that one back"
                )
        out: list[TextEdit] = []
        removed = {(d.file, d.binding) for d in found}
        kept_parent = False
        for d in sorted(found, key=lambda d: (d.file, d.binding)):
            if (
                not kept_parent
                and d.syntax == "nix"
                and d.key is not None
                and d.prefix
                and self.only_here(path, removed)
            ):
                kept_parent = True
                # `roles.r.machines.m = …;` is the only definition of `roles.r.machines`:
                # keep that defined (empty), as removing the key leaves it in JSON
                out.append(self.edit(d, *d.binding, f"{d.prefix.rstrip('.')} = {{ }};", a))
                continue
            self.texts.setdefault(d.file, d.text)
            self.removals.append((d, a))
        return out

    def only_here(self, path: Path, removed: set[tuple[str, tuple[int, int]]]) -> bool:
        """Whether the parent of `path` is defined only by the bindings `removed`."""
        assert self.locator is not None
        parents = self.locator.definitions(path[:-1]) or []
        return all((p.file, p.binding) in removed for p in parents)

    def add_tags(self, role: Path, names: list[str], actions: list[Action]) -> list[TextEdit]:
        """Add `names` to the role's tags (creating ``tags``); the edits carry `actions[0]`."""
        a = actions[0]
        tags_path = (*role, "tags")
        current = _get(self.loaded.data, tags_path)
        if isinstance(current, list):
            names = [n for n in names if n not in current]
        elif isinstance(current, dict):
            names = [n for n in names if n not in current]
        if not names:
            return []
        if current is None:
            mdefs = self.defs((*role, "machines"))
            for d in mdefs:
                if d.key_computed is None and d.key is not None:
                    if d.syntax == "json":
                        new = f'"tags": [{", ".join(json_string(n) for n in names)}]'
                        return [self.insert_before(d, new + ",", a)]
                    new = f"{d.prefix}tags = [ {' '.join(nix_string(n) for n in names)} ];"
                    return [self.insert_before(d, new, a)]
            self.key_editable(mdefs[0], "the role's machines")
            raise _Skip("the role's machines are not written in a file")
        tdefs = self.defs(tags_path)
        problem: _Skip | None = None
        for d in tdefs:
            try:
                if isinstance(current, dict):
                    return [self.add_to_set(d, names, a)]
                return [self.add_to_list(d, tags_path, len(current), names, a)]
            except _Skip as exc:
                problem = problem or exc
        raise problem or _Skip("the role's tags are not written in a file")

    def insert_before(self, d: Definition, new: str, a: Action) -> TextEdit:
        start = d.binding[0]
        line_start = d.text.rfind("\n", 0, start) + 1
        indent = d.text[line_start:start]
        if indent.strip() == "":
            return self.edit(d, line_start, line_start, f"{indent}{new}\n", a)
        return self.edit(d, start, start, f"{new} ", a)

    def add_to_set(self, d: Definition, names: list[str], a: Action) -> TextEdit:
        if d.syntax == "nix":
            self.key_editable(d, "the role's tags")
            new = " ".join(f"{d.prefix}tags.{nix_key(n)} = {{ }};" for n in names)
            return self.insert_before(d, new, a)
        self.value_editable(d, "the role's tags")
        assert d.value is not None
        items = ", ".join(f"{json_string(n)}: {{}}" for n in names)
        return self.append_json(d, items, a)

    def append_json(self, d: Definition, items: str, a: Action) -> TextEdit:
        assert d.value is not None
        vs, ve = d.value
        text = d.text
        q = ve - 1
        while q > vs and text[q - 1] in " \t\r\n":
            q -= 1
        if q - 1 == vs:  # empty container
            return self.edit(d, vs + 1, ve - 1, items, a)
        line_start = text.rfind("\n", vs, q) + 1
        if line_start > vs and text[line_start:q].strip():
            line = text[line_start:q]
            indent = line[: len(line) - len(line.lstrip())]
            return self.edit(d, q, q, f",\n{indent}{items}", a)
        return self.edit(d, q, q, f", {items}", a)

    def add_to_list(
        self, d: Definition, tags_path: Path, n: int, names: list[str], a: Action
    ) -> TextEdit:
        self.value_editable(d, "the role's tags")
        assert d.value is not None
        vs, ve = d.value
        text = d.text
        if not (text[vs] == "[" and text[ve - 1] == "]"):
            raise _Skip(f"the role's tags are computed at {_where(_loc(d, vs))}")
        if d.syntax == "json":
            return self.append_json(d, ", ".join(json_string(x) for x in names), a)
        items = " ".join(nix_string(x) for x in names)
        last: Definition | None = None
        assert self.locator is not None
        for i in range(n):
            for e in self.locator.definitions((*tags_path, i)) or []:
                if e.file == d.file and e.container == d.value:
                    last = e
        if last is None:
            if text[vs + 1 : ve - 1].strip():
                raise _Skip(f"the role's tags are computed at {_where(_loc(d, vs))}")
            return self.edit(d, vs, ve, f"[ {items} ]", a)
        end = last.binding[1]
        line_start = text.rfind("\n", 0, last.binding[0]) + 1
        indent = text[line_start : last.binding[0]]
        if indent.strip() == "" and line_start > vs:
            return self.edit(d, end, end, f"\n{indent}{items}", a)
        return self.edit(d, end, end, f" {items}", a)

    def to_attrset(self, a: Action) -> list[TextEdit]:
        value = _get(self.loaded.data, a.path)
        if not isinstance(value, list):
            raise _Skip(f"{format_path(a.path)} is not a list")
        out: list[TextEdit] = []
        assert self.locator is not None or not value
        for d in self.defs(a.path):
            self.value_editable(d, "the list")
            assert d.value is not None
            vs, ve = d.value
            if not (d.text[vs] == "[" and d.text[ve - 1] == "]"):
                raise _Skip(f"the list is computed at {_where(_loc(d, vs))}")
            elems: list[tuple[Definition, str]] = []
            for i, name in enumerate(value):
                for e in (self.locator.definitions((*a.path, i)) if self.locator else None) or []:
                    if e.file != d.file or e.container != d.value:
                        continue
                    if e.computed is not None or not isinstance(name, str):
                        where = e.computed or _loc(e, e.binding[0])
                        raise _Skip(f"an element is computed at {_where(where)}")
                    elems.append((e, name))
            inner = d.text[vs + 1 : ve - 1]
            if not elems and inner.strip() and d.syntax == "nix":
                raise _Skip(f"the list is computed at {_where(_loc(d, vs))}")
            out.append(self.edit(d, vs, vs + 1, "{", a))
            for e, name in elems:
                if d.syntax == "json":
                    new = f"{json_string(name)}: {{}}"
                else:
                    new = f"{nix_key(name)} = {{ }};"
                out.append(self.edit(e, e.binding[0], e.binding[1], new, a))
            out.append(self.edit(d, ve - 1, ve, "}", a))
        return out

    # -- removals, grouped -----------------------------------------------------------------
    def removal_edits(self) -> list[TextEdit]:
        out: list[TextEdit] = []
        by_file: dict[str, list[tuple[Definition, Action]]] = {}
        seen: set[tuple[str, tuple[int, int]]] = set()
        spans: dict[str, list[tuple[int, int]]] = {}
        for d, _a in self.removals:
            spans.setdefault(d.file, []).append(d.binding)
        for d, a in self.removals:
            if (d.file, d.binding) in seen or any(
                s <= d.binding[0] and d.binding[1] <= e and (s, e) != d.binding
                for s, e in spans[d.file]
            ):  # already removed with an enclosing definition
                continue
            seen.add((d.file, d.binding))
            by_file.setdefault(d.file, []).append((d, a))
        for _name, items in sorted(by_file.items()):
            json_items = [x for x in items if x[0].syntax == "json"]
            nix_items = [x for x in items if x[0].syntax == "nix"]
            out.extend(self._json_removals(json_items))
            out.extend(self._nix_removals(nix_items))
        return out

    def _json_removals(self, items: list[tuple[Definition, Action]]) -> list[TextEdit]:
        out: list[TextEdit] = []
        groups: dict[tuple[int, int] | None, list[tuple[Definition, Action]]] = {}
        for d, a in items:
            groups.setdefault(d.container, []).append((d, a))
        for container, group in groups.items():
            d0 = group[0][0]
            if container is None:  # the whole document: not an edit fix makes
                raise _Skip("the whole inventory cannot be removed")
            sibs = list(d0.siblings)
            removed = {d.binding: a for d, a in group}
            flags = [s in removed for s in sibs]
            i = 0
            n = len(sibs)
            for k, sib in enumerate(sibs):
                if not flags[k]:
                    continue
                # each entry takes the separator before it (or after it, when no kept
                # entry comes before): neighbours removed together stay disjoint
                i = k
                while i > 0 and flags[i - 1]:
                    i -= 1
                if i > 0:
                    start, end = sibs[k - 1][1], sib[1]
                elif not all(flags):
                    start, end = sib[0], sibs[k + 1][0]
                else:
                    start = container[0] + 1 if k == 0 else sib[0]
                    end = sibs[k + 1][0] if k + 1 < n else container[1] - 1
                out.append(self.edit(d0, start, end, "", removed[sib]))
        return out

    def _nix_removals(self, items: list[tuple[Definition, Action]]) -> list[TextEdit]:
        if not items:
            return []
        out: list[TextEdit] = []
        items = sorted(items, key=lambda x: x[0].binding)
        text = items[0][0].text
        runs: list[list[tuple[Definition, Action]]] = []
        for d, a in items:
            s = d.binding[0]
            if runs and runs[-1][-1][0].binding[1] <= s:
                gap = text[runs[-1][-1][0].binding[1] : s]
                if gap.strip() == "":
                    runs[-1].append((d, a))
                    continue
            runs.append([(d, a)])
        for run in runs:
            r0, r1 = self._nix_run(text, run[0][0].binding[0], run[-1][0].binding[1])
            for i, (d, a) in enumerate(run):
                start = r0 if i == 0 else d.binding[0]
                end = run[i + 1][0].binding[0] if i + 1 < len(run) else r1
                out.append(self.edit(d, start, end, "", a))
        return out

    @staticmethod
    def _nix_run(text: str, s: int, e: int) -> tuple[int, int]:
        """The text to delete for the bindings or elements written from `s` to `e`: their
        lines when they are alone on them (a comment after them included), else them with
        the blanks on one side."""
        line_start = text.rfind("\n", 0, s) + 1
        eol = text.find("\n", e)
        eol = len(text) if eol == -1 else eol
        rest = text[e:eol].strip()
        if text[line_start:s].strip() == "" and (rest == "" or rest.startswith("#")):
            return line_start, min(eol + 1, len(text))
        j = s
        while j > 0 and text[j - 1] in " \t":
            j -= 1
        k = e
        while k < len(text) and text[k] in " \t":
            k += 1
        if j < s and text[j - 1 : j] not in ("{", "["):
            return j, e
        if k > e:
            return s, k
        return j, e


def _overrides_at(d: Definition) -> Location | None:
    """Where the attribute set holding the Nix binding `d` is the right side of `//`
    (``common // { x = 1; }``): the binding hides a value of the left side. Found by
    scanning the text back to the unmatched ``{`` (braces in strings and comments
    between are rare enough in an inventory; a miss only loses this refusal)."""
    if d.syntax != "nix" or d.key is None:
        return None
    text, depth, i = d.text, 0, d.binding[0]
    while i > 0:
        i -= 1
        c = text[i]
        if c == "}":
            depth += 1
        elif c == "{":
            if depth == 0:
                break
            depth -= 1
    else:
        return None
    j = i
    while j > 0 and text[j - 1] in " \t\r\n(":
        j -= 1
    if text[max(j - 2, 0) : j] == "//":
        return _loc(d, j - 2)
    return None


def _loc(d: Definition, offset: int) -> Location:
    line, col = position(d.text, offset)
    return Location(file=d.file, line=line, column=col)


def plan_edits(repair: Repair, loaded: Loaded) -> EditPlan:
    """The text edits that write `repair` into the files `loaded` was read from.

    Raises :class:`EditConflict` when two edits overlap (nothing should then be written)."""
    planner = _Planner(loaded)
    plan = EditPlan()
    edits: list[TextEdit] = []
    moves: dict[Path, list[tuple[Action, list[TextEdit]]]] = {}
    for a in sorted(repair.actions, key=Action.sort_key):
        before = len(planner.removals)
        try:
            if a.kind == "rename":
                edits.extend(planner.rename(a))
            elif a.kind == "remove":
                edits.extend(planner.remove(a, a.path))
            elif a.kind == "to-attrset":
                edits.extend(planner.to_attrset(a))
            elif a.kind == "move-to-tags":
                if len(a.path) < 2 or a.path[-2] != "machines" or not isinstance(a.path[-1], str):
                    raise _Skip("the path is not a name in a role's machines")
                pending = planner.remove(a, a.path)
                moves.setdefault(a.path[:-2], []).append((a, pending))
                continue
            plan.applied.append(a)
        except _Skip as exc:
            del planner.removals[before:]
            plan.not_applied.append(NotApplied(a, exc.reason))
    for role, moved in sorted(moves.items(), key=lambda x: format_path(x[0])):
        actions = [a for a, _ in moved]
        names = [str(a.path[-1]) for a in actions]
        try:
            edits.extend(planner.add_tags(role, names, actions))
            edits.extend(e for _, pending in moved for e in pending)
            plan.applied.extend(actions)
        except _Skip as exc:
            ids = {id(a) for a in actions}
            planner.removals = [r for r in planner.removals if id(r[1]) not in ids]
            plan.not_applied.extend(NotApplied(a, exc.reason) for a in actions)
    try:
        edits.extend(planner.removal_edits())
    except _Skip as exc:  # pragma: no cover - no repair removes the whole inventory
        raise EditConflict(exc.reason) from None
    edits.sort(key=TextEdit.sort_key)
    for prev, cur in itertools.pairwise(edits):
        if prev.file != cur.file:
            continue
        same_point = prev.start == prev.end == cur.start == cur.end
        if prev.end > cur.start or same_point:
            line, col = position(planner.texts[cur.file], cur.start)
            raise EditConflict(
                f"the edits for `{prev.action.describe()}' and `{cur.action.describe()}' "
                f"overlap in {cur.file}:{line}:{col}; nothing was changed"
            )
    plan.edits = edits
    plan.texts = {f: t for f, t in planner.texts.items() if any(e.file == f for e in edits)}
    plan.applied.sort(key=Action.sort_key)
    plan.not_applied.sort(key=lambda n: n.action.sort_key())
    return plan
