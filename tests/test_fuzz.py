"""Fuzz every reader with hypothesis: random bytes and mutated valid inputs.

The JSON reader, the whole pipeline on random data at every inventory position, the
catalogue reader (TOML and JSON), the project config, the Nix reader, and user policy
files when ``solver/policy.py`` exists: nothing raises but ``InputError``, and the CLI
always exits 0, 1 or 2 with a message, never a traceback or an internal error.
Budget: tests/strategies.py. Coverage-guided fuzzing: fuzz/README.md (atheris).
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

import solver
from solver.cli import cli
from solver.codes import CODES
from solver.errors import InputError
from tests.strategies import budget, inventories

ROOT = Path(__file__).resolve().parent.parent
TOKENS = [
    b"{",
    b"}",
    b"[",
    b"]",
    b'"',
    b",",
    b":",
    b"\\",
    b"\\u",
    b"\\ud800",
    b"\n",
    b"NaN",
    b"-",
    b"1e999",
    b"\xff",
    b"\xef\xbb\xbf",
    b"\x00",
    b"null",
    b"''",
    b"${",
    b"#",
    b"/*",
    b"let",
    b"in",
    b"=",
    b";",
    b"rec",
    b"import",
    b"...",
]


@st.composite
def mutated(draw: st.DrawFn, seed: bytes) -> bytes:
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "delete", "insert", "token", "truncate", "dup"]))
        i = draw(st.integers(0, len(data))) if data else 0
        if op == "flip" and data:
            j = min(i, len(data) - 1)
            data[j] = draw(st.integers(0, 255))
        elif op == "delete":
            del data[i : i + draw(st.integers(1, 8))]
        elif op == "insert":
            data[i:i] = draw(st.binary(max_size=6))
        elif op == "token":
            data[i:i] = draw(st.sampled_from(TOKENS))
        elif op == "truncate":
            del data[i:]
        elif op == "dup" and data:
            j = draw(st.integers(i, len(data)))
            data[j:j] = data[i:j]
    return bytes(data)


def only_input_errors(fn: Any, *args: Any) -> Any:
    """Call `fn`; an InputError is fine if every diagnostic is a registered, worded error."""
    try:
        return fn(*args)
    except InputError as exc:
        assert exc.diagnostics
        for d in exc.diagnostics:
            assert d.code in CODES, d.code
            assert d.message and d.severity == "error"
        return None


def _seed_inventories() -> list[bytes]:
    seeds: list[bytes] = []
    for p in sorted((ROOT / "examples").rglob("*.json"))[:10]:
        seeds.append(p.read_bytes())
    seeds.append(
        json.dumps(
            {
                "meta": {"name": "c"},
                "machines": {"jon": {"tags": ["web"], "deploy": {"targetHost": "root@jon"}}},
                "tags": {"all": ["jon"]},
                "instances": {
                    "sshd": {
                        "module": {"name": "sshd"},
                        "roles": {
                            "server": {"machines": {"jon": {"settings": {"port": 22}}}},
                            "client": {"tags": {"web": {}}, "settings": {"x": [1, 2]}},
                        },
                    }
                },
                "services": {"borgbackup": {"i": {"roles": {"client": {"machines": ["jon"]}}}}},
            },
            indent=2,
        ).encode()
    )
    return seeds


SEEDS = _seed_inventories()
json_seeds = st.sampled_from(SEEDS)


def _write(dirpath: Path, name: str, data: bytes) -> Path:
    p = dirpath / name
    p.write_bytes(data)
    return p


# -- JSON reader and the whole pipeline ----------------------------------------------------
@budget(300)
@given(
    st.binary(max_size=200)
    | st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass"))
)
def test_json_reader_random_bytes(tmp_path_factory: Any, data: bytes) -> None:
    p = _write(tmp_path_factory.mktemp("j"), "inventory.json", data)
    only_input_errors(solver.check, p)


@budget(300)
@given(json_seeds.flatmap(mutated))
def test_json_reader_mutated(tmp_path_factory: Any, data: bytes) -> None:
    p = _write(tmp_path_factory.mktemp("j"), "inventory.json", data)
    only_input_errors(solver.check, p)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


@budget(300)
@given(inventories(), st.data())
def test_pipeline_random_values_anywhere(inv: dict[str, Any], data: Any) -> None:
    """Replace a value (or add a key) anywhere in a valid inventory by random data."""
    path = data.draw(st.sampled_from(_paths(inv)))
    value = data.draw(json_values)
    if not path:
        inv = value if data.draw(st.booleans()) else {**inv, "x": value}
    else:
        cur = inv
        for k in path[:-1]:
            cur = cur[k]
        if isinstance(cur, dict) and data.draw(st.booleans()):
            cur[
                data.draw(
                    st.sampled_from(
                        [
                            "machines",
                            "tags",
                            "settings",
                            "roles",
                            "config",
                            "enabled",
                            "module",
                            "x",
                        ]
                    )
                )
            ] = value
        else:
            cur[path[-1]] = value
    from solver.api import Options, run
    from solver.read import Loaded

    report = only_input_errors(lambda: run(Loaded(data=inv), Options()))
    if report is not None:
        for d in report.diagnostics:
            assert d.code in CODES and d.message


# -- the CLI: exit 0/1/2 with a message, never a traceback -----------------------------
def _cli(args: list[str]) -> Any:
    out = CliRunner().invoke(cli, args)
    assert out.exit_code in (0, 1, 2), (out.exit_code, out.output)
    assert out.exception is None or isinstance(out.exception, SystemExit), repr(out.exception)
    assert "Traceback" not in out.output and "internal error" not in out.output, out.output
    assert out.exit_code == 0 or out.output.strip(), "no message"
    return out


@budget(100)
@given(json_seeds.flatmap(mutated), st.sampled_from(["text", "json", "concise", "sarif", "github"]))
def test_cli_check_mutated(tmp_path_factory: Any, data: bytes, fmt: str) -> None:
    p = _write(tmp_path_factory.mktemp("c"), "inventory.json", data)
    _cli(["check", str(p), "--format", fmt, "--no-cache", "--color", "never"])


@budget(50)
@given(json_seeds.flatmap(mutated))
def test_cli_resolve_mutated(tmp_path_factory: Any, data: bytes) -> None:
    p = _write(tmp_path_factory.mktemp("c"), "inventory.json", data)
    out = _cli(["resolve", str(p), "--format", "json", "--no-cache"])
    if out.exit_code == 0:
        json.loads(out.stdout)


# -- catalogue ---------------------------------------------------------------------------
CATALOGUE_TOML = (ROOT / "examples" / "mistakes" / "modules.toml").read_bytes()
CATALOGUE_JSON = json.dumps(
    {
        "version": 1,
        "modules": [
            {
                "name": "dns",
                "input": "self",
                "max_instances": 1,
                "roles": {"primary": {"min_machines": 1, "max_machines": 1}, "secondary": {}},
                "incompatible_roles": [{"roles": ["primary", "secondary"], "source": "x"}],
            }
        ],
    }
).encode()


@budget(150)
@given(
    st.sampled_from([(".toml", CATALOGUE_TOML), (".json", CATALOGUE_JSON)]).flatmap(
        lambda s: st.tuples(st.just(s[0]), mutated(s[1]) | st.binary(max_size=100))
    )
)
def test_catalogue_reader(tmp_path_factory: Any, case: tuple[str, bytes]) -> None:
    from solver.catalogue import read_file

    ext, data = case
    p = _write(tmp_path_factory.mktemp("cat"), "modules" + ext, data)
    only_input_errors(read_file, str(p))


@budget(40)
@given(mutated(CATALOGUE_TOML))
def test_cli_with_mutated_catalogue(tmp_path_factory: Any, data: bytes) -> None:
    d = tmp_path_factory.mktemp("catcli")
    _write(d, "modules.toml", data)
    inv = _write(
        d, "inventory.json", b'{"instances": {"dns": {"module": {"name": "dns", "input": "self"}}}}'
    )
    _cli(["check", str(inv), "--modules", str(d / "modules.toml"), "--no-cache"])


# -- project config ------------------------------------------------------------------------
CONFIG = b"""modules = []
rules = []
policy-timeout = 5

[severity]
empty-role = "info"

[[ignore]]
code = "unknown-machine"
instance = "borgbackup"
path = "instances.borgbackup.*"
reason = "the machine is defined in Nix"
"""


@budget(150)
@given(mutated(CONFIG) | st.binary(max_size=100), st.booleans())
def test_config_reader(tmp_path_factory: Any, data: bytes, pyproject: bool) -> None:
    from solver import config

    d = tmp_path_factory.mktemp("cfg")
    if pyproject:
        data = b"[tool.inventory-solver]\n" + data
    p = _write(d, "pyproject.toml" if pyproject else "inventory-solver.toml", data)
    only_input_errors(config.find, str(p))


@budget(40)
@given(mutated(CONFIG))
def test_cli_with_mutated_config(tmp_path_factory: Any, data: bytes) -> None:
    d = tmp_path_factory.mktemp("cfgcli")
    _write(d, "inventory-solver.toml", data)
    inv = _write(
        d,
        "inventory.json",
        b'{"machines": {"a": {}}, "instances": {"borgbackup": {"roles": {"client": {"machines": {"ghost": {}}}}}}}',
    )
    _cli(["check", str(inv), "--config", str(d / "inventory-solver.toml"), "--no-cache"])


# -- Nix reader ------------------------------------------------------------------------------
NIX_SEEDS = [p.read_bytes() for p in sorted((ROOT / "tests" / "data" / "clans").rglob("*.nix"))][
    :20
]


@pytest.mark.skipif(not NIX_SEEDS, reason="no .nix seeds")
@budget(200)
@given(st.sampled_from(NIX_SEEDS or [b""]).flatmap(mutated) | st.text(max_size=200).map(str.encode))
def test_nix_reader(tmp_path_factory: Any, data: bytes) -> None:
    from solver.read.nix.clan import load_clan

    d = tmp_path_factory.mktemp("nix")
    _write(d, "flake.nix", data)
    loaded = only_input_errors(load_clan, str(d))
    if loaded is not None:
        only_input_errors(lambda: solver.api.run(loaded, solver.api.Options()))


@pytest.mark.skipif(not NIX_SEEDS, reason="no .nix seeds")
@budget(40)
@given(st.sampled_from(NIX_SEEDS or [b""]).flatmap(mutated))
def test_cli_nix_mutated(tmp_path_factory: Any, data: bytes) -> None:
    d = tmp_path_factory.mktemp("nixcli")
    _write(d, "flake.nix", data)
    _cli(["check", str(d), "--no-cache", "--format", "json"])


# -- user policy files ------------------------------------------------------------------------
HAS_POLICY = importlib.util.find_spec("solver.policy") is not None
POLICY_SEEDS = [p.read_bytes() for p in sorted((ROOT / "examples").rglob("*.lp"))][:10] or [
    b'violation("x", (I,)) :- instance(I).\n'
]


@pytest.mark.skipif(not HAS_POLICY, reason="solver/policy.py (user policies) does not exist yet")
@budget(60)
@given(
    st.sampled_from(POLICY_SEEDS).flatmap(mutated)
    | st.binary(max_size=80)
    # the lexer's corners: strings, escapes and comments around non-ASCII text
    | st.text(alphabet='p(X). :-"\\%*\nxé€😀\ufeff#', max_size=40).map(str.encode)
)
def test_cli_policy_files(tmp_path_factory: Any, data: bytes) -> None:
    d = tmp_path_factory.mktemp("pol")
    _write(d, "policy.lp", data)
    inv = _write(
        d,
        "inventory.json",
        b'{"machines": {"a": {}}, "instances": {"sshd": {"roles": {"server": {"machines": {"a": {}}}}}}}',
    )
    _cli(
        ["check", str(inv), "--rules", str(d / "policy.lp"), "--no-cache", "--policy-timeout", "2"]
    )


def test_cli_arguments_never_crash(tmp_path: Path) -> None:
    """Odd command lines: missing paths for options, a directory as --modules, ..."""
    inv = _write(tmp_path, "inventory.json", b"{}")
    for args in (
        ["check", str(inv), "--modules", str(tmp_path)],
        ["check", str(inv), "--modules", str(tmp_path / "missing.toml")],
        ["check", str(inv), "--config", str(tmp_path / "missing.toml")],
        ["check", str(inv), "--config", str(tmp_path)],
        ["check", str(tmp_path / "missing"), "--format", "sarif"],
        ["resolve", str(tmp_path / "x.nix")],
    ):
        out = CliRunner().invoke(cli, args)
        assert out.exit_code == 2, (args, out.output)
        assert "Traceback" not in out.output and "internal error" not in out.output, out.output
        assert out.output.strip()
