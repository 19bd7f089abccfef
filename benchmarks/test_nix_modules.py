"""Static reading of clans spread over many files (issue 11): a 20-file flake-parts clan
(target ≤ 50 ms) and an import-tree folder of 300 files (target ≤ 200 ms)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def flake_parts_clan(root: Path, n_files: int) -> Path:
    """flake.nix + clan.nix + hosts/ + one instance per file under instances/."""
    (root / ".git").mkdir(parents=True, exist_ok=True)
    (root / "hosts").mkdir(exist_ok=True)
    (root / "instances").mkdir(exist_ok=True)
    (root / "flake.nix").write_text(
        '{\n  inputs.flake-parts.url = "github:hercules-ci/flake-parts";\n'
        "  outputs = inputs@{ flake-parts, ... }:\n"
        "    flake-parts.lib.mkFlake { inherit inputs; } {\n"
        "      imports = [ ./clan.nix ./hosts ];\n"
        "      perSystem = { pkgs, ... }: { devShells.default = pkgs.mkShell { }; };\n"
        "    };\n}\n"
    )
    n_instances = max(n_files - 4, 1)
    imports = " ".join(f"./instances/i{i}.nix" for i in range(n_instances))
    (root / "clan.nix").write_text(
        "{ config, lib, ... }:\n{\n"
        f"  imports = [ {imports} ];\n"
        '  clan.meta.name = "bench";\n}\n'
    )
    hosts = "\n".join(f'    m{i}.tags = [ "t{i % 5}" ];' for i in range(40))
    (root / "hosts" / "default.nix").write_text(
        "{\n  imports = [ ./more.nix ];\n  flake.clan.inventory.machines = {\n"
        f"{hosts}\n  }};\n}}\n"
    )
    (root / "hosts" / "more.nix").write_text(
        '{ ... }: { clan.inventory.machines.extra = { machineClass = "darwin"; }; }\n'
    )
    for i in range(n_instances):
        (root / "instances" / f"i{i}.nix").write_text(
            "{ ... }:\n{\n"
            f"  clan.inventory.instances.sshd-{i} = {{\n"
            '    module.name = "sshd";\n'
            f"    roles.server.tags.t{i % 5} = {{ }};\n"
            "    roles.client.tags.all = { };\n"
            f"    roles.client.machines.m{i}.settings = {{ }};\n"
            "  };\n}\n"
        )
    return root


def import_tree_clan(root: Path, n_files: int) -> Path:
    """flake.nix = mkFlake … (import-tree ./modules), one definition per file."""
    (root / ".git").mkdir(parents=True, exist_ok=True)
    (root / "flake.nix").write_text(
        "{ outputs = inputs: inputs.flake-parts.lib.mkFlake { inherit inputs; }"
        " (inputs.import-tree ./modules); }\n"
    )
    for i in range(n_files):
        d = root / "modules" / f"group{i // 25}"
        d.mkdir(parents=True, exist_ok=True)
        if i % 2:
            body = (
                f"  flake.clan.machines.vm-{i} = {{ config, ... }}: {{ networking.hostName ="
                f' "vm-{i}"; }};\n  flake.clan.inventory.machines.vm-{i}.tags = [ "g{i // 25}" ];\n'
            )
        else:
            body = (
                f"  flake.clan.inventory.instances.sshd-{i} = {{\n"
                '    module.name = "sshd";\n'
                f"    roles.server.tags.g{i // 25} = {{ }};\n"
                "    roles.client.tags.all = { };\n  };\n"
            )
        (d / f"m{i}.nix").write_text("{ lib, ... }:\n{\n" + body + "}\n")
    return root


def test_read_20_file_flake_parts_clan(benchmark: Any, tmp_path: Path) -> None:
    from solver.read.nix.clan import load_clan

    root = flake_parts_clan(tmp_path / "fp", 20)
    assert sum(1 for _ in root.rglob("*.nix")) == 20
    loaded = benchmark(load_clan, str(root))
    assert len(loaded.data["instances"]) == 16 and len(loaded.files) == 20


def test_read_300_file_import_tree(benchmark: Any, tmp_path: Path) -> None:
    from solver.read.nix.clan import load_clan

    root = import_tree_clan(tmp_path / "tree", 300)
    loaded = benchmark(load_clan, str(root))
    assert len(loaded.data["instances"]) == 150 and len(loaded.data["machines"]) == 150
    assert len(loaded.files) == 301
