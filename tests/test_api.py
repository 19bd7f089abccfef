"""The library as a user meets it: the CLI's report for the CLI's inputs, the project
config found as the CLI finds it, clear TypeErrors, documented public names, types."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import solver
from solver.cli import cli
from solver.errors import InputError

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"

INPUTS = sorted(
    [
        *(DATA / "corpus").glob("*.json"),
        *(
            p / "inventory.json"
            for p in (ROOT / "examples").iterdir()
            if (p / "inventory.json").exists()
        ),
        *(p for p in (DATA / "clans").iterdir() if p.is_dir()),
    ]
)


def library_json(path: str, **kw: Any) -> dict[str, Any]:
    from solver.render import SourceText, get_renderer

    try:
        report = solver.check(path, **kw)
    except InputError as exc:
        from solver.api import make_report
        from solver.report import empty_resolution

        report = make_report(empty_resolution(), exc.diagnostics, [])
    out: dict[str, Any] = json.loads(
        get_renderer("json")(report, sources=SourceText(), color=False)
    )
    return out


def cli_json(path: str, *extra: str) -> dict[str, Any]:
    r = CliRunner().invoke(cli, ["check", path, "--format", "json", "--no-cache", *extra])
    assert r.exit_code in (0, 1, 2), r.output
    out: dict[str, Any] = json.loads(r.stdout)
    return out


@pytest.mark.parametrize("target", INPUTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_library_gives_the_cli_report(target: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the CLI looks for the config from where it runs, the library from the path's folder
    monkeypatch.chdir(target if target.is_dir() else target.parent)
    name = "." if target.is_dir() else target.name
    assert library_json(name) == cli_json(name)


@pytest.fixture
def configured(tmp_path: Path) -> Path:
    """examples/mistakes with a project config that ignores one finding and demotes
    another: the issue's "1 error (2 ignored)" against "2 errors, 1 warning"."""
    shutil.copy(ROOT / "examples" / "mistakes" / "inventory.json", tmp_path / "inventory.json")
    shutil.copy(ROOT / "examples" / "mistakes" / "modules.toml", tmp_path / "modules.toml")
    plain = solver.check(
        tmp_path / "inventory.json", config=None, modules=[tmp_path / "modules.toml"]
    )
    codes = sorted({d.code for d in plain.diagnostics})
    assert len(codes) >= 2
    (tmp_path / "inventory-solver.toml").write_text(
        'modules = ["modules.toml"]\n'
        f'[severity]\n"{codes[0]}" = "off"\n'
        f'[[ignore]]\ncode = "{codes[1]}"\nreason = "known"\n'
    )
    return tmp_path


def test_config_is_found_from_the_path_like_the_cli(
    configured: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_config = solver.check(configured / "inventory.json")
    without = solver.check(
        configured / "inventory.json", config=None, modules=[configured / "modules.toml"]
    )
    assert with_config.summary.ignored > 0
    assert len(with_config.diagnostics) < len(without.diagnostics)
    assert without.summary.ignored == 0
    monkeypatch.chdir(configured)
    assert library_json("inventory.json") == cli_json("inventory.json")
    assert library_json("inventory.json", config=None) != cli_json("inventory.json")


def test_config_path_and_overrides(
    configured: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    shutil.copy(configured / "inventory.json", elsewhere / "inventory.json")
    chosen = solver.check(elsewhere / "inventory.json", config=configured / "inventory-solver.toml")
    same = solver.check(configured / "inventory.json").summary
    assert chosen.summary.model_dump(exclude={"files"}) == same.model_dump(exclude={"files"})
    code = solver.check(elsewhere / "inventory.json", config=None).diagnostics[0].code
    demoted = solver.check(elsewhere / "inventory.json", config=None, severity={code: "info"})
    assert all(d.severity == "info" for d in demoted.diagnostics if d.code == code)
    ignored = solver.check(
        elsewhere / "inventory.json", config=None, ignore=[{"code": code, "reason": "test"}]
    )
    assert code not in {d.code for d in ignored.diagnostics}
    assert ignored.summary.ignored > 0


def test_a_bad_override_value_is_a_clear_valueerror(tmp_path: Path) -> None:
    (tmp_path / "inventory.json").write_text('{"machines": {"a": {}}}')
    with pytest.raises(ValueError, match=r"severity\.empty-role: Input should be 'error'"):
        solver.check(tmp_path / "inventory.json", severity={"empty-role": "loud"})
    with pytest.raises(ValueError, match=r"ignore\[0\]\.reason"):
        solver.check(tmp_path / "inventory.json", ignore=[{"code": "x"}])


def test_strict_raises_with_the_report() -> None:
    opaque = DATA / "clans" / "opaque"
    report = solver.check(opaque, config=None)
    if not report.coverage.gaps():
        pytest.skip("the opaque fixture is read completely now")
    with pytest.raises(solver.IncompleteRead) as exc:
        solver.check(opaque, config=None, strict=True)
    assert exc.value.gaps == report.coverage.gaps()
    assert exc.value.report.summary == report.summary


def test_resolve_is_the_resolution_the_cli_renders() -> None:
    path = ROOT / "examples" / "borgbackup-two-instances" / "inventory.json"
    res = solver.resolve(path, config=None)
    r = CliRunner().invoke(cli, ["resolve", str(path), "--format", "json", "--no-cache"])
    data = json.loads(r.stdout)
    assert sorted(data["machines"]) == sorted(res.machines)
    for name, inst in res.instances.items():
        assert data["instances"][name]["roles"] == {r: rr.members for r, rr in inst.roles.items()}


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        (
            {"path": ["inventory.json"]},
            "`path` must be a path (str or os.PathLike), a dict or None, not list",
        ),
        ({"path": 3}, "`path` must be"),
        ({"modules": 3}, "`modules` must be a list or tuple of paths, not int"),
        ({"modules": "m.toml"}, "`modules` must be a list or tuple of paths, not str"),
        ({"rules": [1]}, "`rules[0]` must be a path"),
        ({"config": 1.5}, "`config` must be True, None or a path, not float"),
        ({"eval": "yes"}, "`eval` must be a bool, not str"),
        ({"strict": 1}, "`strict` must be a bool or None, not int"),
        ({"policy_timeout": "5"}, "`policy_timeout` must be a number of seconds"),
        ({"severity": ["empty-role"]}, "`severity` must be a dict"),
        ({"ignore": {"code": "x"}}, "`ignore` must be a list of dicts"),
    ],
)
def test_wrong_types_raise_typeerror_at_the_call(kwargs: dict[str, Any], says: str) -> None:
    args = {"path": str(ROOT / "examples" / "mistakes" / "inventory.json"), **kwargs}
    path = args.pop("path")
    with pytest.raises(TypeError) as exc:
        solver.check(path, **args)
    assert says in str(exc.value)
    assert str(exc.value).startswith("solver.check:")


def test_policy_timeout_out_of_range() -> None:
    with pytest.raises(ValueError, match="policy_timeout"):
        solver.check({"machines": {}}, policy_timeout=0)


# -- the public surface ---------------------------------------------------------------


def _words(text: str) -> str:
    text = re.sub(r":\w+:", "", text)
    text = re.sub(r"~?(solver\.[\w.]+\.)(?=\w)", "", text)
    return " ".join(text.replace("`", "").split())


def _summary(doc: str) -> str:
    """The first sentence of a docstring, as words."""
    para = _words(doc.strip().split("\n\n")[0])
    return re.split(r"(?<=[.:])\s", para)[0]


def test_every_public_name_is_documented_with_its_docstring() -> None:
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    sections = dict(
        (m.group(1), m.group(2))
        for m in re.finditer(r"^### `([\w]+)`\n(.*?)(?=^##|\Z)", text, re.M | re.S)
    )
    assert set(sections) == set(solver.__all__)
    for name in solver.__all__:
        if name == "__version__":
            assert solver.__version__ in sections[name]
            continue
        obj = getattr(solver, name)
        doc = obj.__doc__
        assert doc, f"{name} has no docstring"
        assert _summary(doc) in _words(sections[name]), name
    assert "only ever added" in text  # the versioning promise


def test_every_public_name_resolves_and_nothing_else_is_offered() -> None:
    for name in solver.__all__:
        assert getattr(solver, name) is not None
    with pytest.raises(AttributeError):
        solver.run  # noqa: B018


def test_py_typed_is_shipped() -> None:
    assert (ROOT / "solver" / "py.typed").is_file()
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    # the wheel packages the whole `solver` folder, py.typed included
    assert re.search(r'\[tool\.hatch\.build\.targets\.wheel\]\npackages = \["solver"\]', text)


def test_a_user_script_passes_mypy_strict(tmp_path: Path) -> None:
    pytest.importorskip("mypy")
    env = {**os.environ, "MYPYPATH": ""}
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--cache-dir",
            str(tmp_path / "cache"),
            "--config-file",
            os.devnull,
            str(DATA / "typed_user.py"),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,  # the user's project: solver is an installed, typed package
    )
    assert r.returncode == 0, r.stdout + r.stderr


def test_diff_of_two_inventories() -> None:
    """``solver.diff(base, target)``: the Diff the command renders, from two inventories
    (or two reports); a machine added to a role through a tag is one added membership."""
    base = {
        "machines": {"a": {"tags": ["web"]}, "b": {}},
        "instances": {"ssh": {"module": {"name": "sshd"}, "roles": {"server": {"tags": ["web"]}}}},
    }
    target = {
        "machines": {"a": {"tags": ["web"]}, "b": {"tags": ["web"]}},
        "instances": base["instances"],
    }
    d = solver.diff(base, target, config=None)
    assert isinstance(d, solver.Diff)
    assert [(m.instance, m.role, m.machine, m.change) for m in d.memberships] == [
        ("ssh", "server", "b", "added")
    ]
    assert solver.diff(solver.check(base, config=None), target, config=None).memberships
    assert solver.diff(base, base, config=None).empty
