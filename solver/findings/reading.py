"""Reading: the input (a file, a clan folder, a catalogue, the configuration) could not be
read at all. These are reported by the readers (`solver/read/`, `solver/config.py`,
`solver/catalogue`) as input errors (exit code 2), not by the rules."""

from __future__ import annotations

from solver.findings.base import Family

family = Family("reading")
code = family.code

code(
    "io-error",
    "error",
    "file cannot be read",
    trigger="The inventory path does not exist, is a directory where a file is needed, or "
    "cannot be read (permissions).",
    why="Nothing can be checked without the file.",
    fix="check the path passed to inventory-solver",
    example="inventory-solver check does-not-exist.json",
    input=True,
)
code(
    "encoding",
    "error",
    "file is not UTF-8",
    trigger="An inventory file is not UTF-8 (a byte-order mark is accepted).",
    why="Nix reads files as UTF-8; other encodings give names that do not match.",
    fix="save the file as UTF-8",
    example="an inventory.json saved as Latin-1 with a machine named `café`",
    input=True,
)
code(
    "json-syntax",
    "error",
    "invalid JSON",
    trigger="The file is not valid JSON: a syntax error, an empty file, or NaN/Infinity.",
    why="builtins.fromJSON fails, and with it the evaluation of the whole clan.",
    fix="fix the JSON at the given position",
    example='{"machines": {"jon": {},}}  (a trailing comma)',
    input=True,
    clan="builtins.fromJSON fails: the whole clan stops evaluating",
)
code(
    "duplicate-key",
    "error",
    "duplicate key in a JSON object",
    trigger="A JSON object repeats a key.",
    why="JSON parsers disagree on which one wins (Nix keeps the last), so the inventory is "
    "ambiguous.",
    fix="keep one of the definitions",
    example='{"machines": {"jon": {}, "jon": {"tags": ["web"]}}}',
    input=True,
)
code(
    "too-deep",
    "error",
    "nesting too deep",
    trigger="The input is nested more deeply than any inventory can be.",
    why="Such input is generated or hostile; reading it further could exhaust the stack.",
    fix="check what generated the file",
    example="a JSON file of 100,000 nested lists: [[[[…]]]]",
    input=True,
)
code(
    "number-range",
    "error",
    "number out of range",
    trigger="A number Nix cannot represent: an integer outside the 64-bit range "
    "(-9223372036854775808 to 9223372036854775807) or a float that overflows (1e400).",
    why="Nix rejects both when it reads the file.",
    fix="use a smaller number, or a string",
    example='{"instances": {"a": {"roles": {"r": {"settings": {"port": 1e400}}}}}}',
    input=True,
)
code(
    "input-too-large",
    "error",
    "input too large",
    trigger="The file is larger than inventory-solver reads (256 MiB).",
    why="No inventory is that large; reading it would only use memory.",
    fix="check that the path names the inventory",
    example="inventory-solver check disk-image.json",
    input=True,
)
code(
    "nix-syntax",
    "error",
    "invalid Nix",
    trigger="A .nix file of the clan has a syntax error.",
    why="Nix cannot evaluate the clan, so neither can inventory-solver read it.",
    fix="fix the Nix syntax at the given position",
    example="clan.nix: { inventory.machines.jon = { ; }",
    input=True,
)
code(
    "nix-eval",
    "error",
    "Nix evaluation failed",
    trigger="`--eval` asked Nix for the inventory and Nix failed.",
    why="The exact inventory is what Nix returns; without it there is nothing to check.",
    fix="run without --eval to read the clan statically, or fix what Nix reports",
    example="inventory-solver check --eval . (with a clan whose flake does not evaluate)",
    input=True,
)
code(
    "nix-missing",
    "error",
    "Nix is not installed",
    trigger="`--eval` needs the `nix` command on PATH, and it is not there.",
    why="`--eval` asks Nix for the inventory; without Nix it cannot.",
    fix="install Nix, or run without --eval to read the clan statically",
    example="inventory-solver check --eval . (on a machine without Nix)",
    input=True,
)
code(
    "catalogue-error",
    "error",
    "invalid module catalogue",
    trigger="A catalogue file (--modules, or `modules` in the project config) does not follow "
    "the catalogue schema.",
    why="Modules, roles and constraints are checked against the catalogues; a broken one "
    "would check against wrong facts.",
    fix="see the README section 'Module catalogue' for the schema",
    example='modules.toml: [modules.borg]\\nroles = "client"  (a string, not a table)',
    input=True,
)
code(
    "config-error",
    "error",
    "invalid project configuration",
    trigger="inventory-solver.toml (or [tool.inventory-solver] in pyproject.toml) does not "
    "follow the configuration schema.",
    why="Severities and ignores would otherwise be applied differently from what was meant.",
    fix="see the README section 'Project configuration'",
    example='inventory-solver.toml: [severity]\\nempty-role = "loud"',
    input=True,
)
