"""Sources and coverage: how a clan's inventory was put together from its files
(inventory.json, clan.nix, flake.nix, machines/), and what of it could not be read.
Reported by the readers (`solver/read/`, `solver/catalogue/source.py`), not by the rules;
these findings say what was *not* checked ("no silent pass")."""

from __future__ import annotations

from solver.findings.base import Family

family = Family("sources")
code = family.code

code(
    "catalogue-source",
    "info",
    "where the module catalogue comes from",
    trigger="The clan pins a clan-core in flake.lock whose source is not in the Nix store, "
    "or part of a clan-core checkout could not be read.",
    why="Modules, roles and settings are then checked against the built-in catalogue (its "
    "clan-core revision is named), which may differ from the pinned one.",
    fix="evaluate the clan once (its inputs are then in the store) or pass --clan-core PATH",
    example="a clan whose flake.lock pins a clan-core revision never fetched on this machine",
)
code(
    "conflicting-definition",
    "error",
    "a value is defined differently in two places",
    trigger="The same inventory value is defined in two sources (e.g. inventory.json and "
    "clan.nix) with different values.",
    why="The module system refuses two different definitions of one value.",
    fix="define it in one place",
    example='inventory.json: {"machines": {"jon": {"machineClass": "darwin"}}} and clan.nix: '
    'inventory.machines.jon.machineClass = "nixos";',
    clan="evaluation error",
)
code(
    "duplicate-definition",
    "error",
    "a settings block is defined in two places",
    trigger="A `settings` block is defined in more than one source.",
    why="clan-core declares it unique: \"is defined multiple times while it's expected to "
    'be unique".',
    fix="define the settings in one place",
    example="roles.server.settings of one instance written both in inventory.json and in clan.nix",
    clan="evaluation error",
)
code(
    "duplicate-attribute",
    "error",
    "attribute already defined",
    trigger="A .nix attribute set defines the same attribute twice in a way Nix rejects, "
    "e.g. `inventory.machines = …` beside `inventory = import …`.",
    why="Nix stops: \"attribute 'x' already defined\".",
    fix="define the attribute once",
    example="clan.nix: { inventory = import ./inventory.nix; inventory.machines.jon = { }; }",
    clan="evaluation error",
)
code(
    "clan-not-found",
    "info",
    "no clan call in flake.nix",
    trigger="flake.nix has no `clan-core.lib.clan` / `buildClan` call or flake-parts `clan` "
    "module that inventory-solver can read.",
    why="Only inventory.json and machines/ were read; the inventory may have more.",
    fix="use --eval for an exact check",
    example="a flake.nix that builds its outputs through a helper function of its own",
)
code(
    "clan-not-read",
    "warning",
    "a clan exists but its inventory was not read",
    trigger="The folder evidently holds a clan (a clan-core input in flake.lock or "
    "flake.nix, clan-core's flake module or lib.clan, machines/*/ folders), but no "
    "inventory could be read from it: no clan call was found, or the inventory is built by "
    "Nix code that is not read statically.",
    why="Nothing about its instances was checked. `--strict` makes this exit code 1.",
    fix="run with --eval to let Nix evaluate the clan, or write the inventory as plain data",
    example="flake.nix: clan = clan-core.lib.clan (import ./mk-clan.nix { inherit self; });",
)
code(
    "local-module",
    "info",
    "local module not read",
    trigger="A clan.service module of the clan itself (`modules.<name>`) could not be read "
    "statically.",
    why="Its roles and constraints are not checked.",
    fix="describe the module with --modules, or use --eval",
    example="clan.nix: modules.mine = lib.modules.importApply ./mine.nix { };",
)
code(
    "opaque-value",
    "info",
    "value not read statically",
    trigger="A value in a .nix file is not plain data (a function call, interpolation, "
    "`with`, …) and was left out.",
    why="Where it decides membership, the affected roles are not fully checked. `--eval` "
    "asks Nix for the exact inventory.",
    fix="use --eval for an exact check",
    example="clan.nix: inventory.machines = lib.genAttrs hosts (_: { });",
)
code(
    "file-not-read",
    "warning",
    "file not read",
    trigger="A file the clan refers to was not read: an import that leaves the repository "
    "root (`../x.nix`, an absolute path, a symlink pointing outside), or a .nix file with a "
    "syntax error that the clan itself does not need.",
    why="What it would define is not checked.",
    fix="keep the clan's files inside the repository, and fix the file's Nix syntax",
    example="clan.nix: inventory = import ../shared/inventory.nix;",
)
