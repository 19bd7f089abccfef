"""The registry of findings holds together: every rule's violation has a function, nothing
is dropped, the input contract of rules/schema.lp is what Python writes, the docs are
generated from the registry, and every `docs/…#anchor` the code cites exists."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from solver.api import Options, prepare
from solver.cli import cli
from solver.commands.explain import explain_code
from solver.findings import CODES, FAMILIES, RULES, codes_markdown, readme_table
from solver.findings.__main__ import readme_with_table
from solver.read import load
from solver.results import Builder
from solver.solve import fact_predicates

ROOT = Path(__file__).resolve().parent.parent
MISTAKES = ROOT / "examples" / "mistakes"


def rule_atoms() -> set[str]:
    found: set[str] = set()
    for f in (ROOT / "rules").glob("*.lp"):
        found |= set(re.findall(r"violation\(([a-z_]+),", f.read_text(encoding="utf-8")))
    return found


def test_every_violation_of_the_rules_has_a_function() -> None:
    atoms = rule_atoms()
    assert len(atoms) > 20
    missing = sorted(atoms - set(RULES))
    assert missing == [], f"violation atoms with no function in solver/findings/: {missing}"


def test_no_function_is_registered_for_an_atom_the_rules_do_not_emit() -> None:
    assert sorted(set(RULES) - rule_atoms()) == []


def builder(atoms: dict[str, list[tuple[Any, ...]]]) -> Builder:
    loaded = load(str(MISTAKES / "inventory.json"))
    prog = prepare(loaded, Options(modules=[str(MISTAKES / "modules.toml")]))
    return Builder(prog.inv, prog.side, loaded.locator, atoms, settings=prog.settings)


def test_a_violation_without_a_function_is_still_a_located_finding() -> None:
    b = builder({"violation": [("brand_new_check", (4, 5))]})
    (d,) = b.diagnostics()
    assert d.code == "brand-new-check"
    assert d.severity == "error"
    assert "brand_new_check('db1', 'server')" in d.message
    assert d.location is not None and d.location.file.endswith("inventory.json")


def test_a_violation_of_unexpected_shape_is_still_a_finding() -> None:
    # unknown_role has two fields (instance, role): one argument does not fit
    b = builder({"violation": [("unknown_role", (1,))]})
    (d,) = b.diagnostics()
    assert d.code == "unknown-role"
    assert "has no message for" in d.message
    assert d.location is not None


def test_finding_functions_use_named_fields() -> None:
    for f in (ROOT / "solver" / "findings").glob("*.py"):
        if f.name in ("base.py", "context.py"):
            continue  # the conversion itself
        text = f.read_text(encoding="utf-8")
        assert "tuple[Term" not in text, f.name
        assert "type: ignore" not in text, f.name
        # a severity is declared by the registry (or a variant's registration), never
        # written into a finding
        body = re.sub(r"@family\.\w+\((?:[^()]|\([^()]*\))*\)", "", text)
        assert not re.search(r"severity=\"(error|warning|info)\"", body), f.name


def test_every_code_has_every_section() -> None:
    assert len(CODES) == sum(len(f.codes) for f in FAMILIES)
    for info in CODES.values():
        for title, text in info.sections():
            assert text.strip(), f"{info.code}: empty section {title}"
        assert info.title and info.title == info.title.strip()


def test_explain_prints_every_section() -> None:
    for code, info in CODES.items():
        text = explain_code(code)
        assert text is not None and text.startswith(f"{code}: {info.title}\n")
        for title, body in info.sections():
            assert f"{title}:\n  {body}\n" in text


def test_the_readme_table_and_docs_codes_are_generated_from_the_registry() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme == readme_with_table(readme), "run: python -m solver.findings --write"
    codes_md = (ROOT / "docs" / "codes.md").read_text(encoding="utf-8")
    assert codes_md == codes_markdown(), "run: python -m solver.findings --write"
    table = readme_table()
    for info in CODES.values():
        assert f"| `{info.code}` | {info.severity}" in table
        assert f"### {info.code}\n" in codes_md
        assert info.doc.why in codes_md and info.doc.example in codes_md


# -- the input contract ---------------------------------------------------------------------
def declared() -> set[tuple[str, int]]:
    text = (ROOT / "rules" / "schema.lp").read_text(encoding="utf-8")
    return {(m[0], int(m[1])) for m in re.findall(r"^#defined ([a-z_]+)/(\d+)\.", text, re.M)}


# A Nix clan with what only Nix can express: an instance whose roles are computed, and a
# module of the clan's own that cannot be read statically.
RICH_CLAN = """{
  inputs.clan-core.url = "https://git.clan.lol/clan/clan-core/archive/main.tar.gz";
  outputs =
    { self, clan-core, ... }@inputs:
    {
      clan = clan-core.lib.clan {
        inherit self;
        meta.name = "rich";
        modules.mine = inputs.other.clan.modules.thing;
        inventory.machines.a = { };
        inventory.instances.x = {
          module.name = "mine";
          module.input = "self";
          roles.default.machines.a = { };
        };
        inventory.instances.sshd.roles = self.sshdRoles;
      };
    };
}
"""

# The legacy shape, with a disabled instance.
LEGACY = {
    "machines": {"jon": {"tags": ["laptop"]}},
    "services": {
        "borgbackup": {
            "on": {"roles": {"client": {"machines": ["jon"], "tags": ["laptop"]}}},
            "off": {"enabled": False, "roles": {"client": {"machines": ["jon"]}}},
        }
    },
}


def test_python_writes_exactly_the_input_facts_schema_lp_declares(tmp_path: Path) -> None:
    """solver/facts.py and solver/settings.py write every predicate rules/schema.lp
    declares, with its arity, and no other, over a set of rich inventories."""
    corpus = ROOT / "tests" / "data" / "corpus"
    clan = tmp_path / "clan"
    clan.mkdir()
    (clan / "flake.nix").write_text(RICH_CLAN, encoding="utf-8")
    legacy = tmp_path / "legacy.json"
    legacy.write_text(json.dumps(LEGACY), encoding="utf-8")
    inputs: list[tuple[Path, list[str]]] = [
        (p, [str(corpus / "svc-catalogue.toml")]) for p in sorted(corpus.glob("*.json"))
    ]
    inputs += [
        (MISTAKES / "inventory.json", [str(MISTAKES / "modules.toml")]),
        (ROOT / "tests" / "data" / "clans" / "opaque", []),
        (clan, []),
        (legacy, []),
    ]
    want = declared()
    assert len(want) > 30
    seen: set[tuple[str, int]] = set()
    for path, modules in inputs:
        prog = prepare(load(str(path)), Options(modules=modules))
        got = fact_predicates(prog.text)
        assert got - want == set(), f"{path.name}: written but not declared in schema.lp"
        seen |= got
    assert want - seen == set(), "declared in schema.lp but never written"


def test_debug_program_prints_facts_by_predicate_then_the_rules(tmp_path: Path) -> None:
    inv = MISTAKES / "inventory.json"
    r = CliRunner().invoke(
        cli,
        ["check", str(inv), "--modules", str(MISTAKES / "modules.toml"), "--debug-program"],
    )
    assert r.exit_code == 0, r.output
    out = r.output
    titles = re.findall(r"^% (facts: [a-z_]+/\d+|rules/[a-z]+\.lp|ids: )", out, re.M)
    assert titles[0] == "ids: "
    facts = [t for t in titles if t.startswith("facts")]
    rules = [t for t in titles if t.startswith("rules")]
    assert "facts: machine/1" in facts and "facts: setting_source/5" in facts
    assert rules == [
        "rules/" + n
        for n in (
            "schema.lp",
            "membership.lp",
            "checks.lp",
            "settings.lp",
            "vocabulary.lp",
            "display.lp",
        )
    ]
    assert titles.index(rules[0]) > titles.index(facts[-1])
    assert '% 4 = "db1"' in out
    # every fact of the program, each once, before the rules
    prog = prepare(load(str(inv)), Options(modules=[str(MISTAKES / "modules.toml")]))
    written = [x for part in (prog.facts, prog.settings_facts) for x in part.split("\n") if x]
    listed = [x for x in out.split("% rules/schema.lp")[0].splitlines() if x and x[0] != "%"]
    assert sorted(listed) == sorted(written)
    assert "--debug-program" not in CliRunner().invoke(cli, ["check", "--help"]).output
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    assert CliRunner().invoke(cli, ["check", str(bad), "--debug-program"]).exit_code == 2


# -- citations ------------------------------------------------------------------------------
def slug(heading: str) -> str:
    """GitHub's anchor of a Markdown heading."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


CITE = re.compile(r"docs/([A-Za-z0-9_./-]+?\.md)(#[A-Za-z0-9_-]+)?")


def test_every_docs_anchor_cited_in_the_code_exists() -> None:
    files = [*(ROOT / "solver").rglob("*.py"), *(ROOT / "rules").glob("*.lp")]
    files += [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]
    cited: set[tuple[str, str]] = set()
    for f in files:
        for m in CITE.finditer(f.read_text(encoding="utf-8")):
            cited.add((m.group(1), (m.group(2) or "")[1:]))
    assert ("semantics.md", "settings-merge") in cited
    for doc, anchor in sorted(cited):
        path = ROOT / "docs" / doc
        assert path.is_file(), f"docs/{doc} is cited but does not exist"
        if anchor:
            heads = re.findall(r"^#+ (.+)$", path.read_text(encoding="utf-8"), re.M)
            assert anchor in {slug(h) for h in heads}, f"docs/{doc}#{anchor} does not exist"


def test_no_citation_of_documents_that_do_not_ship() -> None:
    bad = re.compile(r"clan-core-semantics\.md|clingo-practice\.md|validator-conventions\.md|§")
    for f in [*(ROOT / "solver").rglob("*.py"), *(ROOT / "rules").glob("*.lp")]:
        for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1):
            if "SARIF" in line:
                continue  # a section of the SARIF standard, which is public
            assert not bad.search(line), f"{f.relative_to(ROOT)}:{n}: {line.strip()}"


@pytest.mark.parametrize("doc", ["semantics.md"])
def test_semantics_links_point_at_pinned_revisions(doc: str) -> None:
    text = (ROOT / "docs" / doc).read_text(encoding="utf-8")
    links = re.findall(r"https://github\.com/clan-lol/clan-core/blob/([0-9a-f]+)/(\S+?)\)", text)
    assert len(links) > 10
    vendor = ROOT.parent / "shared" / "vendor" / "clan-core"
    head = "d7c35d9127af3f773b57d8e792818597a9aaa29c"
    for rev, path in links:
        assert len(rev) == 40, rev
        if rev == head and vendor.is_dir():
            assert (vendor / path).is_file(), path
