"""``inventory-solver test [DIR]``: run policy tests (``*.test.toml``), like a test runner.

Each test is an inventory, the policies to load, and the findings they must produce
(docs/policy-tests.md). Exit 0 when every test passes, 1 when one fails, 2 when a test
cannot be run (bad test file, missing inventory, unusable policy) or none is found.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any, Literal

import click
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from solver.commands.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_UNUSABLE,
    check_policy_timeout,
)
from solver.diagnostics import Diagnostic

SUFFIX = ".test.toml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Expect(_Strict):
    """One finding a test requires; every given field must match."""

    code: str
    path: str | None = None  # exact, or a pattern with * and ?
    severity: Literal["error", "warning", "info"] | None = None
    message: str | None = None  # a substring of the message
    machine: str | None = None
    instance: str | None = None
    role: str | None = None

    def matches(self, d: Diagnostic) -> bool:
        if d.code != self.code:
            return False
        if self.path is not None and not _path_match(self.path, d.path):
            return False
        if self.severity is not None and d.severity != self.severity:
            return False
        if self.message is not None and self.message not in d.message:
            return False
        return all(
            getattr(self, k) is None or getattr(self, k) == getattr(d, k)
            for k in ("machine", "instance", "role")
        )

    def describe(self) -> str:
        extra = [
            f"{k}={getattr(self, k)!r}"
            for k in ("severity", "machine", "instance", "role", "message")
            if getattr(self, k) is not None
        ]
        where = f" at {self.path}" if self.path is not None else ""
        return self.code + where + (f" ({', '.join(extra)})" if extra else "")


class Case(_Strict):
    name: str
    inventory: str | None = None
    rules: list[str] | None = None
    modules: list[str] | None = None
    exact: bool | None = None
    expect: list[Expect] = Field(default_factory=list)


class TestFile(_Strict):
    inventory: str | None = None
    rules: list[str] = Field(default_factory=list)
    modules: list[str] = Field(default_factory=list)
    exact: bool = False
    expect: list[Expect] = Field(default_factory=list)
    test: list[Case] = Field(default_factory=list)


def _path_match(pattern: str, path: str) -> bool:
    if pattern == path:
        return True
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, path) is not None


@dataclass
class Outcome:
    name: str
    status: Literal["PASS", "FAIL", "ERROR"]
    lines: list[str] = field(default_factory=list)


def discover(target: str) -> list[str]:
    if os.path.isfile(target):
        return [target]
    found = []
    for root, dirs, files in os.walk(target):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found += [os.path.join(root, f) for f in files if f.endswith(SUFFIX)]
    return sorted(found)


def _where(d: Diagnostic) -> str:
    loc = f"{d.location}: " if d.location else ""
    return f"{d.code} at {d.path or '<no path>'} ({loc}{d.message})"


def run_case(
    name: str,
    base: str,
    inventory: str | None,
    rules: list[str],
    modules: list[str],
    exact: bool,
    expect: list[Expect],
    timeout: float,
) -> Outcome:
    from solver.api import Options, run
    from solver.codes import CODES
    from solver.errors import InputError
    from solver.read import load

    if inventory is None:
        return Outcome(name, "ERROR", ['no inventory: set `inventory = "..."`'])
    opts = Options(
        modules=[os.path.join(base, m) for m in modules],
        rules=[os.path.join(base, r) for r in rules],
        resolve=False,
        settings=False,
        policy_timeout=timeout,
    )
    try:
        report = run(load(os.path.join(base, inventory)), opts)
    except InputError as exc:
        return Outcome(
            name,
            "ERROR",
            [f"{d.location}: {d.message}" if d.location else d.message for d in exc.diagnostics],
        )
    found = report.diagnostics
    missing = [e for e in expect if not any(e.matches(d) for d in found)]
    unexpected = []
    if exact:
        unexpected = [
            d for d in found if d.code not in CODES and not any(e.matches(d) for e in expect)
        ]
    if not missing and not unexpected:
        return Outcome(name, "PASS")
    lines = [f"missing:    {e.describe()}" for e in missing]
    lines += [f"unexpected: {_where(d)}" for d in unexpected]
    if missing:
        lines += [f"found:      {_where(d)}" for d in found if d not in unexpected]
    return Outcome(name, "FAIL", lines)


def run_file(path: str, root: str, timeout: float) -> list[Outcome]:
    import tomllib

    rel = os.path.relpath(path, root) if os.path.isdir(root) else os.path.basename(path)
    label = rel[: -len(SUFFIX)] if rel.endswith(SUFFIX) else rel
    try:
        with open(path, "rb") as fh:
            data: Any = tomllib.load(fh)
        spec = TestFile.model_validate(data)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        return [Outcome(label, "ERROR", [f"{path}: {exc}"])]
    except ValidationError as exc:
        lines = [
            f"{path}: {'.'.join(str(x) for x in e['loc']) or 'file'}: {e['msg']}"
            for e in exc.errors(include_url=False, include_input=False)
        ]
        return [Outcome(label, "ERROR", lines)]
    base = os.path.dirname(path)
    if not spec.test:
        return [
            run_case(
                label,
                base,
                spec.inventory,
                spec.rules,
                spec.modules,
                spec.exact,
                spec.expect,
                timeout,
            )
        ]
    out = []
    for case in spec.test:
        out.append(
            run_case(
                f"{label}::{case.name}",
                base,
                case.inventory if case.inventory is not None else spec.inventory,
                case.rules if case.rules is not None else spec.rules,
                case.modules if case.modules is not None else spec.modules,
                case.exact if case.exact is not None else spec.exact,
                [*spec.expect, *case.expect],
                timeout,
            )
        )
    return out


@click.command(name="test")
@click.argument("target", default=".", type=click.Path(exists=True))
@click.option(
    "--policy-timeout",
    type=float,
    default=5.0,
    show_default=True,
    callback=check_policy_timeout,
    help="Seconds each test's policy run may take.",
)
def command(target: str, policy_timeout: float) -> None:
    """Run the policy tests (*.test.toml) in TARGET (a directory, default ".", or one file)."""
    files = discover(target)
    if not files:
        click.echo(f"inventory-solver: no policy tests (*{SUFFIX}) in {target}", err=True)
        raise SystemExit(EXIT_UNUSABLE)
    outcomes: list[Outcome] = []
    for path in files:
        for outcome in run_file(path, target, policy_timeout):
            outcomes.append(outcome)
            head = f"{outcome.status} {outcome.name}"
            click.echo(head)
            for line in outcome.lines:
                click.echo(f"    {line}")
    passed = sum(o.status == "PASS" for o in outcomes)
    failed = sum(o.status == "FAIL" for o in outcomes)
    errors = sum(o.status == "ERROR" for o in outcomes)
    summary = f"{passed} passed, {failed} failed"
    click.echo(summary + (f", {errors} errors" if errors else ""))
    if errors:
        raise SystemExit(EXIT_UNUSABLE)
    raise SystemExit(EXIT_FINDINGS if failed else EXIT_OK)
