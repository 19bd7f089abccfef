"""Security: nothing outside the repository is opened, let alone printed.

A pre-commit hook runs on whatever a pull request contains. The clan below is written as
an attacker would write it: imports of ``/etc/passwd`` and ``/proc/self/environ``, ``../``
imports, symlinks (files and folders) that lead out of the repository, a FIFO and a link
to ``/dev/zero`` among the imports, ``builtins.readFile`` of a file outside, a local
module outside the clan, and an ``inventory.json`` that is a symlink to a secret. The
check runs in a child process with an audit hook (PEP 578) that records every file the
process opens while it checks; the test asserts that none of them is outside the
repository, that the run ends (no hang, no traceback), and that the secret never reaches
the output.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

SECRET = "TOKEN-d41d8cd98f00b204e9800998ecf8427e"

FLAKE = """{
  inputs.clan-core.url = "https://example.invalid/clan-core";
  outputs = { self, clan-core, nixpkgs, ... }: {
    clan = clan-core.lib.clan {
      inherit self;
      imports = [ /etc/passwd ../outside.nix ./link-out.nix ./fifo.nix ./zero.nix ./dir-out ];
      modules.evil = ../outside-module.nix;
      inventory = {
        meta.name = import /proc/self/environ;
        machines.m.tags = [ (builtins.readFile ../secret.txt) ];
        machines.n.tags = builtins.attrNames (builtins.readDir ../.);
        instances.ssh = {
          module.name = "sshd";
          roles.server.machines.m = { };
        };
      };
    };
  };
}
"""

# the child: warm every import up first (the interpreter's own files are not the
# question), then record what `check` opens
CHILD = textwrap.dedent(
    """
    import json, os, sys
    import solver.api
    from solver.read.nix import parse
    parse._parser()
    import solver.render.text, solver.render.json_format, solver.results, solver.solve
    import solver.policy, solver.coverage
    opened = []
    path_dirs = {os.path.abspath(p or ".") for p in sys.path}
    def hook(event, args):
        if event == "open" and args and isinstance(args[0], (str, bytes)):
            p = args[0].decode("utf-8", "replace") if isinstance(args[0], bytes) else args[0]
            opened.append(os.path.abspath(p))
        elif event in ("os.listdir", "os.scandir") and args:
            p = args[0]
            if isinstance(p, (str, bytes)):
                p = p.decode("utf-8", "replace") if isinstance(p, bytes) else p
                # Python's import system lists the folders of sys.path (lazy imports)
                if os.path.abspath(p) not in path_dirs:
                    opened.append(os.path.abspath(p))
    target = sys.argv[1]
    sys.addaudithook(hook)
    from solver.render import SourceText, get_renderer
    try:
        report = solver.api.check(target)
        out = get_renderer("text")(report, sources=SourceText(), color=False)
        out += get_renderer("json")(report, sources=SourceText(), color=False)
        code = 0
    except solver.api.InputError as exc:
        out = "\\n".join(d.message + " " + str(d.location) for d in exc.diagnostics)
        code = 2
    sys.stdout.write(json.dumps({"opened": opened, "out": out, "code": code}))
    """
)


def _allowed(path: str, repo: Path) -> bool:
    real = os.path.realpath(path)
    root = os.path.realpath(repo)
    if real == root or real.startswith(root + os.sep):
        return True
    # the interpreter, the installed packages and the project's own files (rules/)
    here = os.path.realpath(Path(__file__).parents[1])
    prefixes = {sys.prefix, sys.base_prefix, sys.exec_prefix, here}
    return any(real.startswith(os.path.realpath(p) + os.sep) for p in prefixes)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs (POSIX)")
def test_nothing_outside_the_repository_is_opened(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "flake.nix").write_text(FLAKE)
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = f'{{ inventory.machines.leak.tags = [ "{SECRET}" ]; }}\n'
    (tmp_path / "outside.nix").write_text(secret)
    (tmp_path / "outside-module.nix").write_text(secret)
    (tmp_path / "secret.txt").write_text(SECRET)
    (outside / "secret.nix").write_text(secret)
    (outside / "default.nix").write_text(secret)
    (outside / "inventory.json").write_text(json.dumps({"machines": {SECRET: {}}}))
    (repo / "link-out.nix").symlink_to(outside / "secret.nix")
    (repo / "dir-out").symlink_to(outside)
    (repo / "zero.nix").symlink_to("/dev/zero")
    os.mkfifo(repo / "fifo.nix")
    (repo / "inventory.json").symlink_to(outside / "inventory.json")
    (repo / "machines").mkdir()
    (repo / "machines" / "m").mkdir()
    (repo / "machines" / "etc").symlink_to("/etc")

    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(repo)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={**os.environ, "INVENTORY_SOLVER_NO_CACHE": "1"},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout)
    outside_opened = sorted({p for p in result["opened"] if not _allowed(p, repo)})
    assert outside_opened == []
    assert SECRET not in result["out"]
    assert "root:" not in result["out"]  # nothing of /etc/passwd
    # and the user is told what was not read
    assert "not read" in result["out"]


def test_cli_never_prints_the_environment(tmp_path: Path) -> None:
    """``inventory = import /proc/self/environ;`` once printed the environment (CI
    tokens included) in an error snippet."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "flake.nix").write_text(
        "{ outputs = { self, clan-core, ... }: { clan = clan-core.lib.clan {\n"
        "  inventory = import /proc/self/environ;\n"
        "}; }; }\n"
    )
    exe = Path(sys.executable).parent / "inventory-solver"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "solver"]
    env = {**os.environ, "CI_SECRET_TOKEN": SECRET, "INVENTORY_SOLVER_NO_CACHE": "1"}
    for fmt in ("text", "json", "sarif", "github"):
        proc = subprocess.run(
            [*cmd, "check", str(repo), "--format", fmt],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
        )
        assert proc.returncode in (0, 1, 2), proc.stderr
        assert SECRET not in proc.stdout + proc.stderr
        assert "Traceback" not in proc.stderr


def test_a_folder_that_cannot_be_listed_is_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``machines/`` that cannot be listed (no permission) was an exit-2 error of the
    whole run; an import of a FIFO an info "does not exist". Both are now a
    ``file-not-read`` warning saying what was not read, and the rest is checked."""
    from solver.read import load

    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "machines" / "a").mkdir(parents=True)
    os.mkfifo(repo / "pipe.nix")
    (repo / "flake.nix").write_text(
        "{ outputs = { self, clan-core, ... }: { clan = clan-core.lib.clan {\n"
        "  imports = [ ./pipe.nix ];\n"
        "  inventory.machines.b = { };\n"
        "}; }; }\n"
    )
    real_scandir = os.scandir
    denied = os.path.realpath(repo / "machines")

    def scandir(path: Any = ".") -> Any:
        if os.path.realpath(os.fspath(path)) == denied:
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    loaded = load(str(repo))
    notes = sorted((n.code, n.severity, n.message) for n in loaded.notes)
    assert ("file-not-read", "warning") in {(c, s) for c, s, _ in notes}
    messages = " | ".join(m for _, _, m in notes)
    assert "machines not read: it cannot be listed (Permission denied)" in messages
    assert "./pipe.nix not read: not a regular file" in messages
    assert loaded.data["machines"] == {"b": {}}


def test_clan_evidence_probes_are_confined(tmp_path: Path) -> None:
    """The probes behind ``clan-not-read`` (``flake.lock``, ``flake.nix``, ``machines/``)
    go through the confined reader: a FIFO ``flake.lock`` cannot hang the run and a
    ``machines`` link out of the repository is not listed."""
    from solver.read import load

    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    os.mkfifo(repo / "flake.lock")
    (repo / "machines").symlink_to("/etc")
    (repo / "flake.nix").write_text(
        '{ inputs.clan-core.url = "x";\n'
        "  outputs = { self, clan-core, ... }: { clan = clan-core.lib.clan {\n"
        '    inventory = builtins.getEnv "X";\n'
        "  }; }; }\n"
    )
    loaded = load(str(repo))
    [warning] = [n for n in loaded.notes if n.code == "clan-not-read"]
    assert "a clan-core input in flake.nix" in warning.message
    assert "under machines/" not in warning.message
    assert any(e.path.endswith("flake.lock") for e in loaded.reads)
