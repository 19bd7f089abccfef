"""Project configuration: ``inventory-solver.toml`` or ``[tool.inventory-solver]`` in
``pyproject.toml``, found from the current directory upward.

```toml
modules = ["clan-modules.toml"]        # extra catalogue files (relative to this file)
clan-core = "../clan-core"             # read the catalogue from this clan-core checkout
rules = ["policies/backup.lp"]         # user policies
policy-timeout = 5                     # seconds, more than 0 and at most 3600
strict = false                         # exit 1 when the read is incomplete (--strict)

[severity]                             # per-code overrides: error, warning, info, off
empty-role = "info"

[[ignore]]                             # an ignore names a code, a scope and a reason
code = "unknown-machine"
instance = "borgbackup"                # optional scopes: instance, machine, role, path
path = "instances.borgbackup.*"        # (fnmatch pattern on the inventory path)
reason = "the machine is defined in Nix"
```
"""

from __future__ import annotations

import fnmatch
import os
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from solver.diagnostics import Diagnostic
from solver.errors import InputError
from solver.location import Location, format_path
from solver.report import Report

CONFIG_NAMES = ("inventory-solver.toml", "pyproject.toml")


class Ignore(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True)

    code: str
    reason: str = Field(min_length=1)
    instance: str | None = None
    machine: str | None = None
    role: str | None = None
    path: str | None = None

    def matches(self, d: Diagnostic) -> bool:
        if not fnmatch.fnmatchcase(d.code, self.code):
            return False
        for attr in ("instance", "machine", "role"):
            want = getattr(self, attr)
            if want is not None and getattr(d, attr) != want:
                return False
        return self.path is None or fnmatch.fnmatchcase(d.path, self.path)


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True, defer_build=True)

    modules: list[str] = Field(default_factory=list)
    clan_core: str | None = Field(default=None, alias="clan-core")
    rules: list[str] = Field(default_factory=list)
    policy_timeout: float = Field(default=5.0, alias="policy-timeout")
    strict: bool = False
    severity: dict[str, Literal["error", "warning", "info", "off"]] = Field(default_factory=dict)
    ignore: list[Ignore] = Field(default_factory=list)
    file: str | None = Field(default=None, exclude=True)
    text: str = Field(default="", exclude=True)

    @field_validator("policy_timeout", mode="before")
    @classmethod
    def _timeout(cls, value: object) -> object:
        """Seconds, more than 0 and at most 3600 (not inf, nan, a string or a bool)."""
        from solver.policy_source import timeout_problem

        problem = timeout_problem(value)
        if problem is not None:
            raise PydanticCustomError("policy_timeout", "{problem}", {"problem": problem})
        return value


def _discover(start: str) -> str | None:
    cur = os.path.abspath(start)
    while True:
        own = os.path.join(cur, "inventory-solver.toml")
        if os.path.isfile(own):
            return own
        py = os.path.join(cur, "pyproject.toml")
        if os.path.isfile(py) and _has_tool_table(py):
            return py
        parent = os.path.dirname(cur)
        if parent == cur:
            return None
        cur = parent


def _has_tool_table(path: str) -> bool:
    try:
        with open(path, encoding="utf-8") as fh:
            return "[tool.inventory-solver" in fh.read()
    except OSError:
        return False


def _line_of(text: str, key: str | int | None, nth: int = 0) -> int:
    if key is None:
        return 1
    if isinstance(key, int):
        hits = [n for n, ln in enumerate(text.splitlines(), 1) if re.match(r"\s*\[\[", ln)]
        return hits[key] if key < len(hits) else 1
    pat = re.compile(r"^\s*\"?" + re.escape(key) + r"\"?\s*=|\[" + re.escape(key) + r"\]")
    for n, line in enumerate(text.splitlines(), 1):
        if pat.search(line):
            return n
    return 1


def find(explicit: str | None = None, start: str = ".") -> Config:
    """The project config (an empty one when there is none)."""
    path = explicit or _discover(start)
    if path is None:
        return Config.model_construct()  # all defaults; skips building the validator
    from solver.read import display_name
    from solver.read.json_reader import read_text

    shown = display_name(path)
    text = read_text(path)
    import tomllib

    try:
        data: Any = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+), column (\d+)", str(exc))
        raise InputError.single(
            "config-error",
            f"invalid TOML: {exc}",
            Location(
                file=shown, line=int(m.group(1)) if m else 1, column=int(m.group(2)) if m else 1
            ),
        ) from None
    if os.path.basename(path) == "pyproject.toml":
        data = data.get("tool", {}).get("inventory-solver", {})
    try:
        cfg = Config.model_validate(data)
    except ValidationError as exc:
        diags = []
        for err in exc.errors(include_url=False, include_input=False):
            loc = tuple(err["loc"])
            key = next((k for k in reversed(loc) if isinstance(k, str)), None)
            idx = next((k for k in loc if isinstance(k, int)), None)
            line = _line_of(text, idx) if loc and loc[0] == "ignore" else _line_of(text, key)
            diags.append(
                Diagnostic(
                    code="config-error",
                    severity="error",
                    message=f"{format_path(loc) or 'config'}: {err['msg']}",
                    path=format_path(loc),
                    location=Location(file=shown, line=line, column=1),
                    hint="see the README section 'Project configuration'",
                )
            )
        raise InputError(diags) from None
    base = os.path.dirname(os.path.abspath(path))
    cfg.modules = [os.path.join(base, m) for m in cfg.modules]
    if cfg.clan_core is not None:
        cfg.clan_core = os.path.join(base, os.path.expanduser(cfg.clan_core))
    _confine_rules(cfg.rules, base, shown, text)
    cfg.rules = [os.path.join(base, r) for r in cfg.rules]
    cfg.file = shown
    cfg.text = text
    return cfg


def _confine_rules(rules: list[str], base: str, shown: str, text: str) -> None:
    """The policies a config names (`rules`, relative to `base`) lie inside its repository
    (a pull request can change the config): one that resolves outside it, symlinks
    followed, is a config-error, and is not read."""
    from solver.files import find_root

    root = os.path.realpath(find_root(base))
    diags = []
    for n, rule in enumerate(rules):
        real = os.path.realpath(os.path.join(base, rule))
        if real != root and not real.startswith(root + os.sep):
            diags.append(
                Diagnostic(
                    code="config-error",
                    severity="error",
                    message=f"rules[{n}]: {rule!r} is outside the "
                    "repository of the config; not read",
                    path=f"rules[{n}]",
                    location=Location(file=shown, line=_line_of(text, "rules"), column=1),
                    hint="keep policies inside the repository, or pass them with --rules",
                )
            )
    if diags:
        raise InputError(diags)


def apply(cfg: Config, report: Report) -> Report:
    """Severity overrides and ignores; an ignore that matches nothing is reported."""
    if not cfg.severity and not cfg.ignore:
        return report
    kept: list[Diagnostic] = []
    ignored = 0
    used = [False] * len(cfg.ignore)
    for d in report.diagnostics:
        sev = cfg.severity.get(d.code)
        if sev == "off":
            ignored += 1
            continue
        if sev is not None and sev != d.severity:
            d = d.model_copy(update={"severity": sev})
        hit = False
        for n, ig in enumerate(cfg.ignore):
            if ig.matches(d):
                used[n] = True
                hit = True
        if hit:
            ignored += 1
            continue
        kept.append(d)
    for n, ig in enumerate(cfg.ignore):
        if not used[n]:
            kept.append(
                Diagnostic(
                    code="unused-ignore",
                    severity="warning",
                    message=f"ignore of `{ig.code}` ({ig.reason}) matches no finding",
                    path=f"ignore[{n}]",
                    location=Location(
                        file=cfg.file or "inventory-solver.toml",
                        line=_line_of(cfg.text, n),
                        column=1,
                    ),
                    hint="remove the ignore, or fix its scope",
                    args={"code": ig.code},
                )
            )
    from solver.runner import rebuild

    new = report.model_copy(update={"diagnostics": kept})
    new.summary = new.summary.model_copy(update={"ignored": report.summary.ignored + ignored})
    return rebuild(new)
