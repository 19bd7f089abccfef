"""`inventory-solver lsp` driven by a real LSP client over its stdio: the findings of the
editor's unsaved buffers as diagnostics, cleared when fixed; hover on a machine."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("pygls")

from tests.lspclient import Client

MISTAKE = """{
  "machines": {"jon": {"tags": ["backup"]}, "sara": {}},
  "instances": {
    "sshd": {"roles": {"server": {"machines": {"jon": {}, "sarah": {}}}}}
  }
}
"""
FIXED = MISTAKE.replace('"sarah"', '"sara"')


@pytest.fixture
def clan(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()  # the repository root: nothing above is looked at
    (tmp_path / "inventory.json").write_text(FIXED)  # on disk: no mistake
    return tmp_path


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    """One server for the tests of this module (as one editor session): each test opens
    documents of its own clan folder."""
    where = tmp_path_factory.mktemp("editor")
    c = Client(where)
    try:
        c.initialize(where)
        yield c
    finally:
        c.kill()


def test_a_mistake_in_the_buffer_is_published_and_cleared_when_fixed(
    client: Client, clan: Path
) -> None:
    uri = client.open(clan / "inventory.json", MISTAKE)
    diags = client.diagnostics(uri)
    codes = [d["code"] for d in diags]
    assert "unknown-machine" in codes
    d = next(d for d in diags if d["code"] == "unknown-machine")
    line = MISTAKE.splitlines()[3]
    start = line.index('"sarah"')
    assert d["range"] == {
        "start": {"line": 3, "character": start},
        "end": {"line": 3, "character": start + len('"sarah"')},
    }
    assert d["severity"] == 1
    assert d["source"] == "inventory-solver"
    assert "sara" in d["message"] and "hint:" in d["message"]
    assert d["data"]["path"] == "instances.sshd.roles.server.machines.sarah"
    # fixed in the buffer only: the file on disk never had the mistake
    client.change(uri, FIXED, 2)
    assert [d for d in client.diagnostics(uri) if d["severity"] == 1] == []
    assert (clan / "inventory.json").read_text() == FIXED


def test_a_burst_of_edits_is_checked_once_for_its_last_text(client: Client, clan: Path) -> None:
    uri = client.open(clan / "inventory.json", FIXED)
    client.diagnostics(uri)
    texts = [FIXED.replace('"sara": {}', f'"sara": {{}}, "m{n}": {{}}') for n in range(5)]
    texts.append(MISTAKE)
    for version, text in enumerate(texts, start=2):
        client.change(uri, text, version)
    last = len(texts) + 1
    published = []
    while True:
        msg = client.wait(
            lambda m: (
                m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri
            )
        )
        published.append(msg["params"])
        if msg["params"].get("version") == last:
            break
    assert len(published) < len(texts)  # not one check per keystroke
    assert "unknown-machine" in {d["code"] for d in published[-1]["diagnostics"]}


def test_the_other_side_of_a_conflict_is_a_related_location(client: Client, clan: Path) -> None:
    text = (Path(__file__).parent.parent / "examples" / "mistakes" / "inventory.json").read_text()
    (clan / "inventory.json").write_text(text)
    uri = client.open(clan / "inventory.json", text)
    diags = client.diagnostics(uri)
    mismatch = next(d for d in diags if d["code"] == "class-mismatch")
    [rel] = mismatch["relatedInformation"]
    assert rel["location"]["uri"] == uri
    mac = next(n for n, ln in enumerate(text.splitlines()) if '"mac"' in ln)
    assert rel["location"]["range"]["start"]["line"] == mac
    assert "machineClass of 'mac'" in rel["message"]
    assert {d["severity"] for d in diags} >= {1, 2}  # errors and warnings, as in the CLI


def test_a_syntax_error_while_typing_is_located(client: Client, clan: Path) -> None:
    uri = client.open(clan / "inventory.json", FIXED)
    client.diagnostics(uri)
    client.change(uri, FIXED.replace('"sara": {}', '"sara": {,}'), 2)
    diags = client.diagnostics(uri)
    assert len(diags) == 1
    assert diags[0]["severity"] == 1
    assert diags[0]["range"]["start"]["line"] == 1


def test_findings_in_a_nix_clan_go_to_their_file(client: Client, clan: Path) -> None:
    (clan / "inventory.json").unlink()
    (clan / "flake.nix").write_text(
        '{\n  inputs.clan-core.url = "github:clan/clan-core";\n'
        "  outputs = { clan-core, ... }: let\n"
        "    clan = clan-core.lib.clan { self = ./.; imports = [ ./clan.nix ]; };\n"
        "  in { inherit (clan.config) nixosConfigurations; };\n}\n"
    )
    nix = "{\n  inventory.machines.jon = { };\n  inventory.instances.sshd.roles.server.machines.jon = { };\n}\n"
    (clan / "clan.nix").write_text(nix)
    uri = client.open(clan / "clan.nix", nix, "nix")
    assert [d for d in client.diagnostics(uri) if d["severity"] == 1] == []
    client.change(uri, nix.replace("machines.jon = { };\n}", "machines.jom = { };\n}"), 2)
    diags = client.diagnostics(uri)
    bad = [d for d in diags if d["code"] == "unknown-machine"]
    assert bad, diags
    assert bad[0]["range"]["start"]["line"] == 2


def test_hover_on_a_machine_shows_its_roles(client: Client, clan: Path) -> None:
    uri = client.open(clan / "inventory.json", FIXED)
    client.diagnostics(uri)
    line = 3
    col = FIXED.splitlines()[line].index("jon") + 1
    hover = client.request(
        "textDocument/hover",
        {"textDocument": {"uri": uri}, "position": {"line": line, "character": col}},
    )
    text = hover["contents"]["value"]
    assert "machine jon" in text
    assert "sshd / server" in text
    assert "named explicitly" in text
    # not a machine: no hover
    col = FIXED.splitlines()[line].index("sshd") + 1
    assert (
        client.request(
            "textDocument/hover",
            {"textDocument": {"uri": uri}, "position": {"line": line, "character": col}},
        )
        is None
    )


def test_shutdown_and_exit_end_the_server(clan: Path) -> None:
    c = Client(clan)
    try:
        c.initialize(clan)
        assert c.close() == 0
    finally:
        c.kill()


def test_without_pygls_the_command_says_how_to_install(tmp_path: Path) -> None:
    blocker = tmp_path / "block"
    blocker.mkdir()
    (blocker / "pygls.py").write_text("raise ImportError('blocked for the test')\n")
    code = f"import sys; sys.path.insert(0, {str(blocker)!r}); from solver.cli import main; main(['lsp'])"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert "pip install 'inventory-solver[lsp]'" in r.stderr


def test_the_command_is_listed() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "solver", "--help"], capture_output=True, text=True, timeout=60
    )
    assert "lsp" in r.stdout
