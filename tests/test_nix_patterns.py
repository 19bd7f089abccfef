"""Patterns of public clans that the first module-graph reader still missed, each in a
small clan written for this test: another flake framework's ``mkFlake`` around the clan,
``"${self}/inventory"`` imports, instances collected with ``readDir``, ``_module.args``
shared between flake-parts modules, ``flake.clan = clan.config`` beside a ``lib.clan``
call, and ``outputs`` arguments that no input declares. Each asserts the membership a
user of that clan expects (what Nix evaluates), and that nothing is left unread."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from solver.api import check


def write(root: Path, files: dict[str, str]) -> Path:
    (root / ".git").mkdir(parents=True, exist_ok=True)
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return root


def members(report: Any) -> dict[str, dict[str, list[str]]]:
    return {
        name: {role: sorted(rr.members) for role, rr in inst.roles.items()}
        for name, inst in report.resolution.instances.items()
    }


def unread(report: Any) -> list[str]:
    """Findings that say part of the clan was not read."""
    return sorted(
        d.code
        for d in report.diagnostics
        if d.code in ("opaque-value", "clan-not-read", "file-not-read")
    )


def test_another_frameworks_mkflake_is_looked_into(tmp_path: Path) -> None:
    """``adios-flake.lib.mkFlake { flake = let clan = import ./x.nix self; in … }``: the
    framework is not read, but the clan call in its argument is."""
    root = write(
        tmp_path,
        {
            "flake.nix": """{
  inputs.other-flake.url = "github:someone/other-flake";
  outputs = inputs@{ other-flake, self, ... }:
    other-flake.lib.mkFlake {
      inherit inputs self;
      flake = let clan = import ./machines/inventory.nix self; in {
        inherit (clan.config) nixosConfigurations;
        clan = clan.config;
      };
    };
}
""",
            "machines/inventory.nix": """self:
let
  inherit (self.inputs) clan-core;
in
clan-core.lib.clan {
  inherit self;
  inventory.machines.web.tags = [ "server" ];
  inventory.machines.db.tags = [ "server" ];
  inventory.instances.ssh = {
    module.name = "sshd";
    roles.server.tags.server = { };
  };
}
""",
        },
    )
    report = check(root)
    assert members(report) == {"ssh": {"server": ["db", "web"]}}
    assert unread(report) == []


def test_interpolated_self_path_is_imported(tmp_path: Path) -> None:
    """``import "${self}/inventory" { … }`` names the file ``inventory/default.nix`` of the
    flake (Nix copies the flake to the store first; the file is the same)."""
    root = write(
        tmp_path,
        {
            "flake.nix": """{
  inputs.clan-core.url = "x";
  outputs = { self, clan-core, nixpkgs, ... }: {
    clan = clan-core.lib.clan {
      inherit self;
      inventory = import "${self}/inventory" { inherit (nixpkgs) lib; };
    };
  };
}
""",
            "inventory/default.nix": """{ lib }:
{
  machines = lib.genAttrs [ "a" "b" ] (name: { tags = [ "peers" ]; });
  instances.zt = {
    module.name = "zerotier";
    roles.controller.machines.a = { };
    roles.peer.tags = [ "peers" ];
  };
}
""",
        },
    )
    report = check(root)
    assert members(report) == {"zt": {"controller": ["a"], "peer": ["a", "b"]}}
    assert unread(report) == []


def test_instances_collected_with_read_dir(tmp_path: Path) -> None:
    """One instance per file, collected with ``readDir`` + ``filterAttrs`` + ``map import``
    + ``foldl' recursiveUpdate``; a file added later is read the next time."""
    root = write(
        tmp_path,
        {
            "flake.nix": """{
  outputs = { self, clan-core, nixpkgs, ... }: {
    clan = clan-core.lib.clan {
      inherit self;
      inventory.machines = { a = { }; b = { }; };
      inventory.instances = import ./instances { inherit (nixpkgs) lib; };
    };
  };
}
""",
            "instances/default.nix": """{ lib }:
let
  entries = lib.filterAttrs (n: t: t == "regular" && n != "default.nix" && lib.hasSuffix ".nix" n)
    (builtins.readDir ./.);
  imported = map (n: import (./. + "/${n}")) (builtins.attrNames entries);
in
lib.foldl' (acc: x: lib.recursiveUpdate acc x) { } imported
""",
            "instances/ssh.nix": '{ ssh = { module.name = "sshd"; roles.server.machines.a = { }; }; }\n',
            "instances/zt.nix": '{ zt = { module.name = "zerotier"; roles.peer.machines.b = { }; }; }\n',
        },
    )
    report = check(root)
    assert members(report) == {"ssh": {"server": ["a"]}, "zt": {"peer": ["b"]}}
    assert unread(report) == []
    (root / "instances" / "more.nix").write_text(
        '{ more = { module.name = "sshd"; roles.server.machines.b = { }; }; }\n'
    )
    assert members(check(root))["more"] == {"server": ["b"]}


def test_module_args_are_shared_between_flake_parts_modules(tmp_path: Path) -> None:
    """``_module.args.hosts = import ./hosts.nix;`` in one module, ``{ hosts, ... }:`` in
    another; the clan call lives in a module's ``let`` and ``flake.clan = clan.config``
    is an output, not a definition of the clan."""
    root = write(
        tmp_path,
        {
            "flake.nix": """{
  inputs.flake-parts.url = "x";
  inputs.clan-core.url = "y";
  outputs = inputs@{ flake-parts, ... }:
    flake-parts.lib.mkFlake { inherit inputs; } {
      imports = [ ./hosts-module.nix ./clan.nix ];
      systems = [ "x86_64-linux" ];
    };
}
""",
            "hosts-module.nix": "{ ... }: { _module.args.hosts = import ./hosts.nix; }\n",
            "hosts.nix": """{
  alpha = { vpn = true; };
  beta = { vpn = true; };
  gamma = { vpn = false; };
}
""",
            "clan.nix": """{ inputs, lib, hosts, self, ... }:
let
  clan = inputs.clan-core.lib.clan {
    inherit self;
    inventory.machines = builtins.mapAttrs (name: cfg: { }) hosts;
    inventory.instances.wg = {
      module.name = "zerotier";
      roles.peer.machines = lib.mapAttrs (n: v: { }) (lib.filterAttrs (n: h: h.vpn) hosts);
    };
  };
in
{
  flake.clan = clan.config;
  flake.nixosConfigurations = clan.config.nixosConfigurations;
}
""",
        },
    )
    report = check(root)
    assert members(report) == {"wg": {"peer": ["alpha", "beta"]}}
    assert sorted(report.resolution.machines) == ["alpha", "beta", "gamma"]
    assert unread(report) == []


def test_outputs_argument_without_declared_input(tmp_path: Path) -> None:
    """``outputs = { self, nixpkgs, ... }:`` without an ``inputs.nixpkgs`` declaration:
    Nix takes ``nixpkgs`` from the flake registry, so ``nixpkgs.lib`` is nixpkgs' lib."""
    root = write(
        tmp_path,
        {
            "flake.nix": """{
  outputs = { self, clan-core, nixpkgs, ... }:
    let inherit (nixpkgs) lib; in {
      clan = clan-core.lib.clan {
        inherit self;
        inventory.machines = lib.genAttrs [ "x" "y" ] (n: { tags = lib.optional (n == "x") "gw"; });
        inventory.instances.ssh = { module.name = "sshd"; roles.server.tags = [ "gw" ]; };
      };
    };
}
""",
        },
    )
    report = check(root)
    assert members(report) == {"ssh": {"server": ["x"]}}
    assert unread(report) == []


def test_local_modules_registered_from_a_read_dir_of_flake_modules(tmp_path: Path) -> None:
    """``imports = lib.filter lib.filesystem.pathIsRegularFile (map (p:
    ./${p}/flake-module.nix) (lib.attrNames (lib.readDir ./.)))``: one flake-parts module
    per service folder, each registering ``clan.modules."@me/x"``; the instance using it
    is not an unknown module."""
    root = write(
        tmp_path,
        {
            "flake.nix": """{
  inputs.flake-parts.url = "x";
  inputs.clan-core.url = "y";
  outputs = inputs@{ flake-parts, ... }:
    flake-parts.lib.mkFlake { inherit inputs; } {
      imports = [ ./services/flake-module.nix ./clan.nix ];
    };
}
""",
            "services/flake-module.nix": """{ lib, ... }:
{
  imports = lib.filter lib.filesystem.pathIsRegularFile (
    map (path: ./${path}/flake-module.nix) (lib.attrNames (lib.readDir ./.))
  );
}
""",
            "services/web/flake-module.nix": """{ lib, self, ... }:
{
  clan.modules."@me/web" = lib.modules.importApply ./default.nix { inherit self; };
}
""",
            "services/web/default.nix": """{ self }:
{
  _class = "clan.service";
  manifest.name = "@me/web";
  roles.server.description = "serves";
}
""",
            "clan.nix": """{
  clan.inventory.machines.a = { };
  clan.inventory.instances.web = {
    module = { name = "@me/web"; input = "self"; };
    roles.server.machines.a = { };
  };
}
""",
        },
    )
    report = check(root)
    assert members(report) == {"web": {"server": ["a"]}}
    assert [d.code for d in report.diagnostics if d.severity != "info"] == []
    assert unread(report) == []


def test_sshd_certificate_settings_of_the_snapshot_are_known(tmp_path: Path) -> None:
    """``roles.server.settings.certificate.enable`` and ``generateRootKey`` exist in
    clan-core's sshd (public clans set them): no false unknown-setting."""
    import json

    inv = tmp_path / "inventory.json"
    inv.write_text(
        json.dumps(
            {
                "machines": {"a": {}},
                "instances": {
                    "sshd": {
                        "module": {"name": "sshd"},
                        "roles": {
                            "server": {
                                "machines": {"a": {}},
                                "settings": {
                                    "certificate": {"enable": False},
                                    "generateRootKey": True,
                                },
                            }
                        },
                    }
                },
            }
        )
    )
    assert [d.code for d in check(inv).diagnostics] == []
    inv.write_text(inv.read_text().replace("generateRootKey", "generateRootKeys"))
    assert [d.code for d in check(inv).diagnostics] == ["unknown-setting"]


def test_helpers_from_special_args_mapped_in_imports(tmp_path: Path) -> None:
    """``mkFlake { specialArgs.helpers = import ./helpers.nix; }`` and
    ``imports = map helpers.mkHost [ … ]``: one module per host, made by a helper."""
    root = write(
        tmp_path,
        {
            "flake.nix": """{
  inputs.clan-core.url = "git+https://git.clan.lol/clan/clan-core";
  outputs = inputs: inputs.flake-parts.lib.mkFlake
    { inherit inputs; specialArgs.helpers = import ./helpers.nix; } {
    imports = [ inputs.clan-core.flakeModules.default ./hosts.nix ];
    clan.inventory.instances.sshd.roles.server.tags.all = { };
    clan.inventory.instances.wifi.roles.default.tags.wifi = { };
  };
}
""",
            "hosts.nix": """{ helpers, ... }:
{
  imports = map helpers.mkHost [
    { name = "a"; }
    { name = "b"; tags = [ "wifi" ]; }
  ];
}
""",
            "helpers.nix": """{
  mkHost = { name, tags ? [ ] }: { clan.inventory.machines.${name}.tags = tags; };
}
""",
        },
    )
    report = check(root)
    assert members(report) == {"sshd": {"server": ["a", "b"]}, "wifi": {"default": ["b"]}}
    assert unread(report) == []


def test_clan_core_input_under_another_name(tmp_path: Path) -> None:
    """``inputs.clan.url = "…/clan-core"`` and ``module.input = "clan"``: clan-core's own
    sshd, not an unknown module of another input."""
    root = write(
        tmp_path,
        {
            "flake.nix": """{
  inputs.clan.url = "git+https://git.clan.lol/clan/clan-core";
  outputs = inputs: inputs.flake-parts.lib.mkFlake { inherit inputs; } {
    imports = [ inputs.clan.flakeModules.default ];
    clan.inventory.machines.a = { };
    clan.inventory.instances.sshd = {
      module = { name = "sshd"; input = "clan"; };
      roles.server.tags.all = { };
      roles.server.settings.authorizedKeyz = { };
    };
  };
}
""",
        },
    )
    report = check(root)
    assert members(report) == {"sshd": {"server": ["a"]}}
    # the module is known, so its interface is checked
    assert [d.code for d in report.diagnostics] == ["unknown-setting"]


def test_a_local_module_that_cannot_be_read_is_said_once(tmp_path: Path) -> None:
    """The clan's own module registry built by code this reader does not know
    (``clan.modules = config.flake.modules."clan.service"`` of another framework), or a
    local module whose file is missing: one note where it is defined, and no
    ``unknown-module`` warning per instance that uses it."""
    root = write(
        tmp_path,
        {
            "flake.nix": """{
  inputs.clan-core.url = "git+https://git.clan.lol/clan/clan-core";
  inputs.aspects.url = "github:someone/aspects";
  outputs = inputs: inputs.flake-parts.lib.mkFlake { inherit inputs; } ({ config, ... }: {
    imports = [ inputs.clan-core.flakeModules.default inputs.aspects.flakeModule ];
    clan.modules = config.flake.modules."clan.service";
    clan.inventory.machines.a = { };
    clan.inventory.instances.foo = { module.input = "self"; roles.default.tags.all = { }; };
    clan.inventory.instances.bar = { module.input = "self"; roles.default.tags.all = { }; };
  });
}
""",
        },
    )
    report = check(root)
    assert [d.code for d in report.diagnostics] == ["opaque-value"]
    assert members(report) == {"bar": {"default": ["a"]}, "foo": {"default": ["a"]}}
    (root / "flake.nix").write_text(
        (root / "flake.nix")
        .read_text()
        .replace('config.flake.modules."clan.service"', "{ foo = ./missing.nix; }")
    )
    report = check(root)
    codes = sorted(d.code for d in report.diagnostics)
    # foo's file is missing (said once, at the module); bar is simply unknown
    assert codes == ["opaque-value", "unknown-module"]
    [unknown] = [d for d in report.diagnostics if d.code == "unknown-module"]
    assert "'bar'" in unknown.message
