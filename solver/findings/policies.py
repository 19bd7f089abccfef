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
    trigger="An ignore in the project configuration, or a code of an inline suppression "
    "(`# inventory-solver: ignore[CODE] reason` in a .nix file), matched no finding.",
    why="It is stale: it would silently hide a finding that appears later.",
    fix="remove the ignore (or the code from the comment)",
    example='inventory-solver.toml: [[ignore]]\\ncode = "empty-role"\\ninstance = "gone"',
)
code(
    "invalid-suppression",
    "warning",
    "inline suppression not applied",
    trigger="A `# inventory-solver:` comment in a .nix file is not "
    "`ignore[CODE,...] reason`: the reason is missing, a code is empty or unknown, or it is "
    "a `/* */` comment.",
    why="It suppresses nothing (an unknown code only itself), so the finding it was meant "
    "to silence is still reported, and a suppression without a reason cannot be reviewed.",
    fix="write `# inventory-solver: ignore[CODE,...] reason` on or just above the definition",
    example="machines.ghost = { }; # inventory-solver: ignore[unknown-machine]",
)
code(
    "unknown-code",
    "error",
    "unknown code on the command line",
    trigger="A code given to --select or --ignore is not a diagnostic code (nor one a user "
    "policy writes), or a pattern matches none.",
    why="A misspelt code would select or ignore nothing, silently.",
    fix="see `inventory-solver explain CODE`; the message lists near matches",
    example="inventory-solver check --select unknown-machien",
    input=True,
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
