"""The one registry of diagnostic codes: each code documented once, here.

``inventory-solver explain CODE`` prints an entry; the README's table is checked against
this registry by a test. ``input`` codes mean the input could not be used (exit 2).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning", "info"]


@dataclass(frozen=True)
class CodeInfo:
    code: str
    severity: Severity
    title: str
    description: str
    hint: str | None = None
    input: bool = False  # the input cannot be used: exit code 2
    clan: str | None = None  # what clan-core does about it


_ALL: list[CodeInfo] = [
    # -- reading ------------------------------------------------------------------------
    CodeInfo(
        "io-error",
        "error",
        "file cannot be read",
        "The inventory path does not exist, is a directory where a file is needed, or cannot "
        "be read (permissions).",
        "check the path passed to inventory-solver",
        input=True,
    ),
    CodeInfo(
        "encoding",
        "error",
        "file is not UTF-8",
        "Inventory files must be UTF-8 (a byte-order mark is accepted).",
        "save the file as UTF-8",
        input=True,
    ),
    CodeInfo(
        "json-syntax",
        "error",
        "invalid JSON",
        "The file is not valid JSON: a syntax error, an empty file, or NaN/Infinity.",
        "fix the JSON at the given position",
        input=True,
        clan="builtins.fromJSON fails: the whole clan stops evaluating",
    ),
    CodeInfo(
        "duplicate-key",
        "error",
        "duplicate key in a JSON object",
        "A JSON object repeats a key. JSON parsers disagree on which one wins (Nix keeps the "
        "last), so the inventory is ambiguous.",
        "keep one of the definitions",
        input=True,
    ),
    CodeInfo(
        "too-deep",
        "error",
        "nesting too deep",
        "The input is nested more deeply than any inventory can be.",
        input=True,
    ),
    CodeInfo(
        "number-range",
        "error",
        "number out of range",
        "A number Nix cannot represent: an integer outside the 64-bit range "
        "(-9223372036854775808 to 9223372036854775807) or a float that overflows (1e400). "
        "Nix rejects both when it reads the file.",
        hint="use a smaller number, or a string",
        input=True,
    ),
    CodeInfo(
        "input-too-large",
        "error",
        "input too large",
        "The file is larger than inventory-solver reads (256 MiB).",
        input=True,
    ),
    CodeInfo(
        "nix-syntax",
        "error",
        "invalid Nix",
        "A .nix file of the clan has a syntax error.",
        "fix the Nix syntax at the given position",
        input=True,
    ),
    CodeInfo(
        "nix-eval",
        "error",
        "Nix evaluation failed",
        "`--eval` asked Nix for the inventory and Nix failed or is not installed.",
        "run without --eval to read the clan statically, or install Nix",
        input=True,
    ),
    CodeInfo(
        "catalogue-error",
        "error",
        "invalid module catalogue",
        "A catalogue file (--modules, or `modules` in the project config) does not follow "
        "the catalogue schema.",
        "see the README section 'Module catalogue' for the schema",
        input=True,
    ),
    CodeInfo(
        "catalogue-source",
        "info",
        "where the module catalogue comes from",
        "The clan pins a clan-core in flake.lock whose source is not in the Nix store, so "
        "modules, roles and settings are checked against the built-in catalogue (its "
        "clan-core revision is named); or part of a clan-core checkout could not be read.",
        "evaluate the clan once (its inputs are then in the store) or pass --clan-core PATH",
    ),
    CodeInfo(
        "config-error",
        "error",
        "invalid project configuration",
        "inventory-solver.toml (or [tool.inventory-solver] in pyproject.toml) does not follow "
        "the configuration schema.",
        input=True,
    ),
    # -- schema -------------------------------------------------------------------------
    CodeInfo(
        "not-an-inventory",
        "error",
        "not an inventory",
        "The top level of the inventory must be an object (attribute set).",
        input=True,
    ),
    CodeInfo(
        "unknown-key",
        "error",
        "the option does not exist",
        "A key that clan's inventory schema does not have. clan's inventory is not freeform "
        "(except `tags`): evaluation fails with \"The option `inventory.<path>' does not "
        'exist."',
        "check the spelling against the allowed keys",
        clan="evaluation error",
    ),
    CodeInfo(
        "wrong-type",
        "error",
        "value has the wrong type",
        "A value does not have the type clan's inventory schema declares (\"A definition for "
        "option `…' is not of type `…'\"). The value is ignored for the rest of the check.",
        clan="evaluation error",
    ),
    CodeInfo(
        "role-machines-list",
        "error",
        "roles.<r>.machines written as a list",
        "In `inventory.instances`, a role's `machines` is an attribute set of machine names, "
        "not a list (the list form belonged to the removed `inventory.services`). "
        "inventory-solver still resolves the listed machines so that other findings appear.",
        'write "machines": {"jon": {}, "sara": {}}',
        clan="evaluation error: not of type `attribute set of (submodule)'",
    ),
    CodeInfo(
        "removed-option",
        "error",
        "option was removed from clan",
        "An option clan-core removed: `services` (the legacy `inventory.services`, replaced by "
        "`inventory.instances`) or `machines.<m>.system`. Legacy inventories are still "
        "resolved with legacy semantics.",
        "migrate: https://clan.lol/docs/guides/migrations/migrate-inventory-services",
        clan="error when the CLI reads the inventory",
    ),
    # -- references ---------------------------------------------------------------------
    CodeInfo(
        "unknown-machine",
        "error",
        "machine is not defined",
        "A role (or a top-level `tags` list) names a machine that `machines` does not define. "
        "clan-core keeps it as a role member (constraints count it) but builds nothing for it, "
        "silently.",
        "define the machine under `machines`, or fix the name",
        clan="silent",
    ),
    CodeInfo(
        "unknown-tag",
        "warning",
        "no machine carries the tag",
        "A role lists a tag that no machine carries; it contributes no member. Same wording "
        "as clan-core's evaluation warning. The hint names up to 5 of the closest tags and "
        "how many exist (all of them only when there are at most 5). When the unknown tags "
        "leave the role (or the whole instance) without machines, that is said in related "
        "notes of this finding, not as `empty-role` / `empty-instance`.",
        "add the tag to a machine, or fix the name",
        clan="evaluation warning",
    ),
    CodeInfo(
        "legacy-tag-quirk",
        "warning",
        "legacy clan-core drops tag members here",
        "In a legacy `services` role, an unknown tag makes legacy clan-core (≤ 2025-08) drop "
        "the members of every tag listed before it. inventory-solver resolves the members as "
        "intended and reports the difference.",
        "remove the unknown tag from the list",
        clan="legacy: silent loss of members",
    ),
    CodeInfo(
        "unknown-role",
        "error",
        "module does not define the role",
        "An instance uses a role its module does not define. In clan-core this breaks the "
        "evaluation of every machine of the clan.",
        "use one of the module's roles",
        clan="evaluation error (all machines)",
    ),
    CodeInfo(
        "unknown-module",
        "error",
        "no catalogue knows the module",
        "The instance's module is not in the built-in catalogue or any user catalogue. "
        "For clan-core modules (no `module.input`) this is an error, as in clan-core; for "
        "modules from another input it is a warning, because inventory-solver cannot see "
        'them: add them with --modules. A module of the clan\'s own (`input = "self"`) '
        "whose definition could not be read statically is not reported here: that is said "
        "once, as an opaque-value note where the module is defined. The instance is still "
        "resolved.",
        "fix the module name, or describe the module in a catalogue file (--modules)",
        clan="evaluation error",
    ),
    CodeInfo(
        "deprecated-module",
        "warning",
        "module is deprecated",
        "The module is deprecated or was moved out of clan-core. The hint names the "
        "replacement when clan-core names one (the catalogue's `replaced_by`).",
        "use the replacement named in the hint",
        clan="evaluation warning or throw",
    ),
    CodeInfo(
        "empty-role",
        "warning",
        "role has no machine",
        "A role mentioned by an instance resolves to no machine and names no tag. A role "
        "emptied by tags that no machine carries is reported once, as `unknown-tag` with a "
        "related note.",
        "assign machines to the role, or remove it",
        clan="silent",
    ),
    CodeInfo(
        "empty-instance",
        "warning",
        "instance has no machine",
        "No role of the instance resolves to any machine: the instance does nothing. Not "
        "reported when every role it mentions is emptied by unknown tags (the `unknown-tag` "
        "finding says so).",
        "assign machines to its roles, or remove the instance",
        clan="silent",
    ),
    # -- constraints --------------------------------------------------------------------
    CodeInfo(
        "max-instances",
        "error",
        "too many instances of a module",
        "The module's `manifest.constraints.maxInstances` allows fewer instances than the "
        "inventory defines (instances are counted per module input and name). clan-core id "
        "`<svc>-maxInstances`.",
        "merge the instances, or remove some",
        clan="clan CLI check before `vars generate`",
    ),
    CodeInfo(
        "min-machines",
        "error",
        "role has too few machines",
        "A role has fewer machines than the module requires: `manifest.constraints.roles.<r>."
        "minMachines` (clan-core id `<svc>-<inst>-<role>-minMachines`), a legacy frontmatter "
        "`min`, or a rule clan-core enforces in service code (e.g. monitoring needs one "
        "server). Roles absent from the instance count 0; unknown machines count.",
        "assign more machines to the role",
        clan="clan CLI check / legacy assertion",
    ),
    CodeInfo(
        "max-machines",
        "error",
        "role has too many machines",
        "A role has more machines than the module allows (`maxMachines`, legacy `max`, or a "
        "rule in service code). Legacy counting keeps duplicates (a machine listed and "
        "tagged counts twice), as legacy clan-core did.",
        "remove machines from the role",
        clan="clan CLI check / legacy assertion",
    ),
    CodeInfo(
        "single-instance",
        "error",
        "module supports one instance only",
        "The module supports one instance per machine (or per clan), but several are used. "
        "clan-core has no machine-readable flag for this; the catalogue says which modules "
        "and why.",
        "use one instance of the module, with several roles or machines",
        clan="assertion at build time, or silently only the first instance works",
    ),
    CodeInfo(
        "incompatible-roles",
        "error",
        "roles must not share a machine",
        "A machine holds two roles of one instance that the module forbids together (e.g. "
        "wireguard controller and peer).",
        "give the machine only one of the roles",
        clan="NixOS assertion when the machine is built",
    ),
    CodeInfo(
        "class-mismatch",
        "error",
        "machine class not supported by the module",
        "A machine's `machineClass` (e.g. darwin) is not supported by the module: clan-core "
        "silently builds nothing of the service for it. Named explicitly: an error per "
        "machine. Reached through tags (e.g. `all`): one warning per instance, role and "
        "class, listing the machines (the first 10, then how many more).",
        "remove the machine from the role, or use a module that supports its class",
        clan="silent",
    ),
    # -- settings -----------------------------------------------------------------------
    CodeInfo(
        "settings-conflict",
        "error",
        "conflicting definition values",
        "One option of a machine's settings gets different values from several places of "
        'equal priority (role, machine, tags). Nix stops with "has conflicting definition '
        'values", one machine at a time.',
        "make the values equal, or mark one as an override "
        '({"_type": "override", "priority": 50, "content": …} is lib.mkForce)',
        clan="evaluation error",
    ),
    CodeInfo(
        "settings-type-conflict",
        "error",
        "definitions of different kinds",
        "One definition of an option is an attribute set or list, another a scalar: they "
        "cannot be merged.",
        "use the same kind of value everywhere",
        clan="evaluation error",
    ),
    CodeInfo(
        "priority-range",
        "error",
        "override priority out of range",
        'An override priority (`{"_type": "override", "priority": P, ...}`, lib.mkOverride) '
        "outside -2147483648 to 2147483647: inventory-solver cannot compare it, so the "
        "definition is left out of the merge instead of deciding a conflict wrongly.",
        hint="use a priority such as 50 (lib.mkForce), 100 or 1000 (lib.mkDefault)",
    ),
    CodeInfo(
        "unknown-setting",
        "error",
        "the setting does not exist",
        "A setting that the role's interface does not declare (\"The option `…' does not "
        'exist.").',
        "check the spelling against the role's options",
        clan="evaluation error",
    ),
    CodeInfo(
        "setting-type",
        "error",
        "setting has the wrong type",
        "A setting value does not have the type the role's interface declares (\"A definition "
        "for option `…' is not of type `…'\").",
        clan="evaluation error",
    ),
    CodeInfo(
        "duplicate-setting-across-instances",
        "error",
        "two instances set the same identifying value on one machine",
        "Several instances of one module on one machine set a setting that must be unique per "
        "machine (e.g. two `users` instances creating the same user).",
        "keep one instance for that value, or change it",
        clan="NixOS conflict at build time",
    ),
    # -- clan sources -------------------------------------------------------------------
    CodeInfo(
        "conflicting-definition",
        "error",
        "a value is defined differently in two places",
        "The same inventory value is defined in two sources (e.g. inventory.json and "
        "clan.nix) with different values.",
        "define it in one place",
        clan="evaluation error",
    ),
    CodeInfo(
        "duplicate-definition",
        "error",
        "a settings block is defined in two places",
        "A `settings` block may be defined only once (\"is defined multiple times while it's "
        'expected to be unique").',
        "define the settings in one place",
        clan="evaluation error",
    ),
    CodeInfo(
        "duplicate-attribute",
        "error",
        "attribute already defined",
        "A .nix attribute set defines the same attribute twice in a way Nix rejects "
        "(\"attribute 'x' already defined\"), e.g. `inventory.machines = …` beside "
        "`inventory = import …`.",
        "define the attribute once",
        clan="evaluation error",
    ),
    CodeInfo(
        "clan-not-found",
        "info",
        "no clan call in flake.nix",
        "flake.nix has no `clan-core.lib.clan` / `buildClan` call or flake-parts `clan` "
        "module that inventory-solver can read; only inventory.json and machines/ were read.",
        "use --eval for an exact check",
    ),
    CodeInfo(
        "clan-not-read",
        "warning",
        "a clan exists but its inventory was not read",
        "The folder evidently holds a clan (a clan-core input in flake.lock or flake.nix, "
        "clan-core's flake module or lib.clan, machines/*/ folders), but no inventory could be "
        "read from it: no clan call was found, or the inventory is built by Nix code that is "
        "not read statically. Nothing about its instances was checked. `--strict` makes this "
        "exit code 1.",
        "run with --eval to let Nix evaluate the clan, or write the inventory as plain data",
    ),
    CodeInfo(
        "local-module",
        "info",
        "local module not read",
        "A clan.service module of the clan itself (`modules.<name>`) could not be read "
        "statically; its roles and constraints are not checked.",
        "describe the module with --modules, or use --eval",
    ),
    CodeInfo(
        "nix-missing",
        "error",
        "Nix is not installed",
        "`--eval` needs the `nix` command on PATH.",
        "install Nix, or run without --eval to read the clan statically",
        input=True,
    ),
    CodeInfo(
        "opaque-value",
        "info",
        "value not read statically",
        "A value in a .nix file is not plain data (a function call, interpolation, `with`, …) "
        "and was left out; where it decides membership, the affected roles are not fully "
        "checked. `--eval` asks Nix for the exact inventory.",
        "use --eval for an exact check",
    ),
    CodeInfo(
        "file-not-read",
        "warning",
        "file not read",
        "A file the clan refers to was not read: an import that leaves the repository root "
        "(`../x.nix`, an absolute path, a symlink pointing outside), or a .nix file with a "
        "syntax error that the clan itself does not need. What it would define is not checked.",
        "keep the clan's files inside the repository, and fix the file's Nix syntax",
    ),
    # -- configuration ------------------------------------------------------------------
    CodeInfo(
        "unused-ignore",
        "warning",
        "ignore matches nothing",
        "An ignore in the project configuration, or a code of an inline suppression "
        "(`# inventory-solver: ignore[CODE] reason` in a .nix file), matched no finding: it "
        "is stale.",
        "remove the ignore",
    ),
    CodeInfo(
        "invalid-suppression",
        "warning",
        "inline suppression not applied",
        "A `# inventory-solver:` comment in a .nix file is not `ignore[CODE,...] reason`: "
        "the reason is missing, a code is empty or unknown, or it is a `/* */` comment. It "
        "suppresses nothing (an unknown code only itself).",
        "write `# inventory-solver: ignore[CODE,...] reason` on or just above the definition",
    ),
    CodeInfo(
        "unknown-code",
        "error",
        "unknown code on the command line",
        "A code given to --select or --ignore is not a diagnostic code (nor one a user "
        "policy writes), or a pattern matches none.",
        "see `inventory-solver explain CODE`; the message lists near matches",
        input=True,
    ),
    CodeInfo(
        "policy",
        "error",
        "user policy violation",
        "A finding raised by a user policy (--rules); its code is the policy's own.",
    ),
    CodeInfo(
        "policy-error",
        "error",
        "user policy cannot be used",
        "A user policy file has a syntax error, defines a built-in predicate, or did not "
        "finish within the time limit.",
        input=True,
    ),
    CodeInfo(
        "fanout",
        "warning",
        "resolution is very large",
        "The inventory resolves to a very large number of role memberships (a broad tag in "
        "many instances); listing them all may be slow.",
        "use tags that select fewer machines, or check without --resolve output",
    ),
]

CODES: dict[str, CodeInfo] = {c.code: c for c in _ALL}


def info(code: str) -> CodeInfo:
    """The registry entry of `code`; user policy codes fall back to the `policy` entry."""
    return CODES.get(code) or CODES["policy"]
