"""Policies and configuration: the user's own rules (--rules, `solver/policy.py`) and the
project configuration's ignores (`solver/config.py`)."""

from __future__ import annotations

from solver.findings.base import Family

family = Family("policies")
code = family.code

code(
    "unused-ignore",
    "warning",
    "ignore matches nothing",
    trigger="An ignore in the project configuration matched no finding.",
    why="It is stale: it would silently hide a finding that appears later.",
    fix="remove the ignore",
    example='inventory-solver.toml: [[ignore]]\\ncode = "empty-role"\\ninstance = "gone"',
)
code(
    "policy",
    "error",
    "user policy violation",
    trigger="A user policy (--rules) derives a `violation(Code, Severity, Message, Args)` "
    "atom; the finding's code is the policy's own.",
    why="The policy's author decided the inventory must not look like this.",
    fix="what the policy's message says",
    example='violation("no-darwin", error, "{} is darwin", (M,)) :- machine_class(M, darwin).',
)
code(
    "policy-error",
    "error",
    "user policy cannot be used",
    trigger="A user policy file has a syntax error, defines a built-in predicate, or did "
    "not finish within the time limit.",
    why="Its findings cannot be trusted, so none are reported and the run stops.",
    fix="fix the policy at the given position (see docs/vocabulary.md)",
    example="policy.lp: machine(x).  (defines a built-in predicate)",
    input=True,
)
