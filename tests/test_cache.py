"""The result cache (solver/cache.py): hits are byte-identical, changes miss, bad entries
are ignored, --no-cache and --output bypass it, a read-only cache dir never fails a run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.generate import generate

ROOT = Path(__file__).resolve().parent.parent


def _run(args: list[str], cwd: Path, cache: Path, **env: str) -> subprocess.CompletedProcess[bytes]:
    e = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "PRE_COMMIT")}
    e["INVENTORY_SOLVER_CACHE_DIR"] = str(cache)
    e.pop("INVENTORY_SOLVER_NO_CACHE", None)
    e.update(env)
    return subprocess.run(
        [sys.executable, "-m", "solver", *args], cwd=cwd, env=e, capture_output=True
    )


def _entries(cache: Path) -> list[Path]:
    return sorted(p for p in cache.rglob("*") if p.is_file())


@pytest.fixture
def clan(tmp_path: Path) -> Path:
    (tmp_path / "inv.json").write_text(json.dumps(generate(30, 40, seed=3)), encoding="utf-8")
    return tmp_path


def test_hit_is_byte_identical(clan: Path) -> None:
    cache = clan / "cache"
    first = _run(["check", "inv.json"], clan, cache)
    assert first.returncode == 1, first.stderr
    assert len(_entries(cache)) == 1
    second = _run(["check", "inv.json"], clan, cache)
    assert (second.returncode, second.stdout, second.stderr) == (
        first.returncode,
        first.stdout,
        first.stderr,
    )
    # the same run without the cache prints the same bytes
    fresh = _run(["check", "inv.json", "--no-cache"], clan, cache)
    assert (fresh.returncode, fresh.stdout, fresh.stderr) == (1, first.stdout, first.stderr)


def test_hit_does_not_run_the_pipeline(clan: Path) -> None:
    cache = clan / "cache"
    _run(["check", "inv.json"], clan, cache)
    probe = (
        "import sys; from solver.cli import main\n"
        "try:\n    main(['check', 'inv.json'])\nexcept SystemExit as e:\n    code = e.code\n"
        "bad = [m for m in ('click', 'pydantic', 'clingo') if m in sys.modules]\n"
        "sys.stderr.write(repr(bad))\n"
    )
    e = dict(os.environ, INVENTORY_SOLVER_CACHE_DIR=str(cache))
    out = subprocess.run([sys.executable, "-c", probe], cwd=clan, env=e, capture_output=True)
    assert out.stderr.decode().endswith("[]"), out.stderr


def test_resolve_hit_and_exit_zero(clan: Path) -> None:
    cache = clan / "cache"
    data = generate(30, 40, seed=3)
    data["instances"] = {k: v for k, v in data["instances"].items() if k.startswith("pkgs")}
    (clan / "ok.json").write_text(json.dumps(data), encoding="utf-8")
    first = _run(["resolve", "ok.json", "--format", "json"], clan, cache)
    assert first.returncode == 0, first.stderr
    second = _run(["resolve", "ok.json", "--format", "json"], clan, cache)
    assert (second.returncode, second.stdout) == (0, first.stdout)
    assert len(_entries(cache)) == 1


def test_change_of_input_or_flag_misses(clan: Path) -> None:
    cache = clan / "cache"
    base = _run(["check", "inv.json"], clan, cache)
    flag = _run(["check", "inv.json", "--format", "json"], clan, cache)
    assert flag.stdout != base.stdout
    assert len(_entries(cache)) == 2
    env = _run(["check", "inv.json"], clan, cache, NO_COLOR="1")
    assert env.returncode == 1
    assert len(_entries(cache)) == 3
    data = json.loads((clan / "inv.json").read_text())
    data["instances"].pop("typo-module-0")
    (clan / "inv.json").write_text(json.dumps(data), encoding="utf-8")
    changed = _run(["check", "inv.json"], clan, cache)
    assert b"borgbackupp" in base.stdout and b"borgbackupp" not in changed.stdout
    # the key says how the tool was asked, the entry what it read: the stale entry is
    # replaced, and the next run answers from the new one
    assert len(_entries(cache)) == 3
    again = _run(["check", "inv.json"], clan, cache)
    assert (again.returncode, again.stdout) == (changed.returncode, changed.stdout)


def test_corrupt_or_foreign_entry_is_ignored(clan: Path) -> None:
    cache = clan / "cache"
    first = _run(["check", "inv.json"], clan, cache)
    (entry,) = _entries(cache)
    raw = entry.read_bytes()
    # a flipped payload byte: the payload digest no longer matches
    entry.write_bytes(raw[:-5] + b"X" + raw[-4:])
    again = _run(["check", "inv.json"], clan, cache)
    assert (again.returncode, again.stdout) == (1, first.stdout)
    # a foreign entry (another key's header) under this key's name
    head, _, _payload = raw.partition(b"\n")
    parts = head.split(b" ")
    parts[1] = b"0" * 64
    entry.write_bytes(b" ".join(parts) + b"\n" + b"forged output\n")
    again = _run(["check", "inv.json"], clan, cache)
    assert (again.returncode, again.stdout) == (1, first.stdout)
    # garbage, and a truncated file
    for junk in (b"\x00\xff garbage", raw[: len(raw) // 2], b""):
        entry.write_bytes(junk)
        again = _run(["check", "inv.json"], clan, cache)
        assert (again.returncode, again.stdout) == (1, first.stdout)


def test_no_cache_and_output_bypass(clan: Path) -> None:
    cache = clan / "cache"
    _run(["check", "inv.json", "--no-cache"], clan, cache)
    assert not cache.exists()
    out = _run(["check", "inv.json", "-o", "report.txt"], clan, cache)
    assert out.returncode == 1
    assert (clan / "report.txt").exists()
    assert not cache.exists()
    _run(["check", "inv.json", "--timings"], clan, cache)
    assert not cache.exists()


def test_unusable_cache_dir_never_fails(clan: Path) -> None:
    blocker = clan / "not-a-dir"
    blocker.write_text("x")
    res = _run(["check", "inv.json"], clan, blocker / "sub")
    assert res.returncode == 1 and b"borgbackupp" in res.stdout
    if os.geteuid() != 0:  # root ignores permissions
        ro = clan / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        try:
            res = _run(["check", "inv.json"], clan, ro)
            assert res.returncode == 1 and b"borgbackupp" in res.stdout
        finally:
            ro.chmod(0o700)


def test_clan_directory_key_covers_its_files(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    clan = tmp_path / "clan"
    clan.mkdir()
    (clan / "inventory.json").write_text(json.dumps(generate(30, 40, seed=5)))
    first = _run(["check", "clan"], tmp_path, cache)
    assert first.returncode == 1, first.stderr
    again = _run(["check", "clan"], tmp_path, cache)
    assert (again.returncode, again.stdout) == (first.returncode, first.stdout)
    (clan / "machines" / "extra").mkdir(parents=True)
    second = _run(["check", "clan"], tmp_path, cache)
    fresh = _run(["check", "clan", "--no-cache"], tmp_path, cache)
    assert (second.returncode, second.stdout) == (fresh.returncode, fresh.stdout)


def test_parse_rules() -> None:
    from solver import cache

    assert cache.parse(["explain", "x"]) is None
    assert cache.parse(["check", "--eval"]) is None
    assert cache.parse(["check", "-", "--format", "json"]) is None
    assert cache.parse(["check", "--unknown-flag"]) is None
    got = cache.parse(["check", "a.json", "--modules=m.toml", "--rules", "r.lp", "--exit-zero"])
    assert got is not None
    assert got.paths == ["a.json"] and got.files == ["m.toml", "r.lp"]


# -- correctness is structural: the entry is what the run read (issue 15) ----------------


def test_record_covers_failures_and_refusals(tmp_path: Path) -> None:
    """A file that was missing, a folder that could not be listed, a path that was
    refused (outside the root): when any of them changes, the entry is stale."""
    from solver.files import Files, Refused

    root = tmp_path / "repo"
    root.mkdir()
    (tmp_path / "outside.nix").write_text("{}")
    files = Files(str(root))
    with pytest.raises(FileNotFoundError):
        files.read_bytes(str(root / "later.nix"))
    (root / "link.nix").symlink_to(tmp_path / "outside.nix")
    with pytest.raises(Refused):
        files.read_bytes(str(root / "link.nix"))
    rec = files.record()
    assert Files(str(root)).still_valid(rec)
    (root / "later.nix").write_text("{}")  # the missing file appears
    assert not Files(str(root)).still_valid(rec)
    (root / "later.nix").unlink()
    assert Files(str(root)).still_valid(rec)
    (root / "link.nix").unlink()  # the link is replaced by a file inside
    (root / "link.nix").write_text("{}")
    assert not Files(str(root)).still_valid(rec)


def _inprocess(args: list[str], cache: Path | None) -> tuple[int, str, str]:
    """One CLI run in this process (a fresh run state), with its exit code and output."""
    import io
    import signal

    saved = (sys.stdout, sys.stderr, signal.getsignal(signal.SIGINT), dict(os.environ))
    out, err = io.StringIO(), io.StringIO()
    sys.stdout, sys.stderr = out, err
    os.environ.pop("INVENTORY_SOLVER_NO_CACHE", None)
    if cache is None:
        os.environ["INVENTORY_SOLVER_NO_CACHE"] = "1"
    else:
        os.environ["INVENTORY_SOLVER_CACHE_DIR"] = str(cache)
    code = 0
    try:
        from solver.cli import main

        main(args)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 2
    finally:
        sys.stdout, sys.stderr = saved[0], saved[1]
        signal.signal(signal.SIGINT, saved[2])
        os.environ.clear()
        os.environ.update(saved[3])
    return code, out.getvalue(), err.getvalue()


_CLAN_NIX = """{{ ... }}:
{{
  inventory.machines = {{ {machines} }};
  inventory.instances.b = {{
    module.name = "borgbackup";
    roles.client.machines = {{ {members} }};
  }};
}}
"""
_FLAKE = """{{
  outputs = {{ self, clan-core, ... }}:
    let clan = clan-core.lib.clan {{ inherit self; imports = [ {target} ]; }};
    in {{ inherit (clan.config) nixosConfigurations clanInternals; }};
}}
"""


def _apply(root: Path, action: tuple[str, int]) -> None:
    what, n = action
    name = ["jon", "sara", "ghost", ".hidden", "result"][n % 5]
    if what == "json":
        inv = {"machines": {name: {}}, "instances": {"x": {"module": {"name": "sshd"}}}}
        if n % 2:
            inv["instances"]["x"]["roles"] = {"server": {"machines": {"jon": {}}}}
        (root / "inventory.json").write_text(json.dumps(inv))
    elif what == "clan":
        machines = " ".join(f"{m} = {{ }};" for m in ("jon", "sara")[: n % 3])
        (root / "clan.nix").write_text(
            _CLAN_NIX.format(machines=machines, members=f"{name} = {{ }};")
        )
    elif what == "hidden":
        (root / ".hidden").mkdir(exist_ok=True)
        (root / ".hidden" / "c.nix").write_text(
            _CLAN_NIX.format(machines="jon = { };", members=f"{name} = {{ }};")
        )
    elif what == "flake":
        target = ["./clan.nix", "./.hidden/c.nix"][n % 2]
        (root / "flake.nix").write_text(_FLAKE.format(target=target))
    elif what == "mkdir":
        (root / "machines" / name).mkdir(parents=True, exist_ok=True)
    elif what == "rmdir":
        d = root / "machines" / name
        if d.is_dir():
            d.rmdir()


_EDITS = ["json", "clan", "hidden", "flake", "mkdir", "rmdir"]


def test_cached_answers_equal_uncached_runs_under_edits() -> None:
    """Edits of every file kind the reader follows (inventory.json, a flake.nix importing
    clan.nix or ./.hidden/c.nix, machines/ folders including .hidden and result), each
    followed by a cached run: every cached answer equals an uncached run."""
    import tempfile

    from hypothesis import given
    from hypothesis import strategies as st

    from tests.strategies import budget

    steps = st.lists(
        st.tuples(
            st.sampled_from(_EDITS),
            st.integers(min_value=0, max_value=4),
            st.sampled_from(["clan", "clan/inventory.json"]),
        ),
        min_size=2,
        max_size=5,
    )

    @budget(6)
    @given(st.integers(min_value=0, max_value=1), steps)
    def prop(start: int, actions: list[tuple[str, int, str]]) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            base = Path(tmp)
            root = base / "clan"
            root.mkdir()
            (root / ".git").mkdir()
            cache = base / "cache"
            for edit in (("json", 0), ("clan", 1), ("hidden", 2), ("flake", start)):
                _apply(root, edit)
            here = os.getcwd()
            os.chdir(base)
            try:
                for target in ("clan", "clan/inventory.json"):  # fill the cache
                    _inprocess(["check", target, "--format", "concise"], cache)
                for what, n, target in actions:
                    _apply(root, (what, n))
                    args = ["check", target, "--format", "concise"]
                    cached = _inprocess(args, cache)
                    fresh = _inprocess(args, None)
                    assert cached == fresh, (what, n, target)
            finally:
                os.chdir(here)

    prop()
