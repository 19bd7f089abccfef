"""Safe to run on any repository (issue 15): a cache that never answers wrongly, output
that cannot destroy or fake anything, inputs that are never mishandled.

Every test here failed on the code before the fix; each says what a user would have seen.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from benchmarks.generate import generate

ROOT = Path(__file__).resolve().parent.parent
ESC = "\x1b[2J\x1b[31mfake"


def _env(cache: Path | None, **extra: str) -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "PRE_COMMIT", "CI")}
    e.pop("INVENTORY_SOLVER_NO_CACHE", None)
    if cache is None:
        e["INVENTORY_SOLVER_NO_CACHE"] = "1"
    else:
        e["INVENTORY_SOLVER_CACHE_DIR"] = str(cache)
    e["PYTHONPATH"] = str(ROOT)
    e.update(extra)
    return e


def _run(
    args: list[str],
    cwd: Path,
    cache: Path | None = None,
    *,
    stdin: bytes | None = None,
    timeout: float = 60,
    **extra: str,
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "solver", *args],
        cwd=cwd,
        env=_env(cache, **extra),
        input=stdin,
        capture_output=True,
        timeout=timeout,
    )


def _entries(cache: Path) -> list[Path]:
    return sorted(p for p in cache.rglob("*") if p.is_file() or p.is_symlink())


def _inventory(**machines_in_role: object) -> dict[str, object]:
    return {
        "machines": {"jon": {}, "sara": {}},
        "instances": {
            "b": {
                "module": {"name": "borgbackup"},
                "roles": {"client": {"machines": {"jon": {}, **machines_in_role}}},
            }
        },
    }


def _no_traceback(res: subprocess.CompletedProcess[bytes]) -> None:
    assert b"Traceback" not in res.stderr, res.stderr.decode(errors="replace")
    assert b"internal error" not in res.stderr, res.stderr.decode(errors="replace")


# -- the cache --------------------------------------------------------------------------


def test_ctrl_c_exits_130_and_caches_nothing(tmp_path: Path) -> None:
    """Ctrl-C used to make click print "Aborted!", exit 1, and that answer was cached:
    every later run replayed it until the input changed."""
    (tmp_path / "big.json").write_text(json.dumps(generate(5000, 1000, seed=1)))
    cache = tmp_path / "cache"
    proc = subprocess.Popen(
        [sys.executable, "-m", "solver", "check", "big.json"],
        cwd=tmp_path,
        env=_env(cache),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    time.sleep(1.2)  # past the imports, inside the pipeline
    if proc.poll() is not None:  # pragma: no cover - a machine far faster than expected
        pytest.skip("the run ended before it could be interrupted")
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert b"Aborted!" not in err and b"Traceback" not in err
    assert not cache.exists() or _entries(cache) == []
    again = _run(["check", "big.json"], tmp_path, cache, timeout=120)
    assert again.returncode == 1 and b"error" in again.stdout


def test_special_files_in_the_tree_do_not_hang_or_crash(tmp_path: Path) -> None:
    """The old key hashed every .json/.toml of the tree: a FIFO hung `check`, a link to
    /dev/zero grew memory until MemoryError."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "inventory.json").write_text(json.dumps(_inventory()))
    docs = tmp_path / "docs"
    docs.mkdir()
    os.mkfifo(docs / "notes.toml")
    (docs / "big.json").symlink_to("/dev/zero")
    import resource

    def limit() -> None:  # the old code read /dev/zero until memory ran out: cap it
        resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))

    for target in (".", "inventory.json"):
        res = subprocess.run(
            [sys.executable, "-m", "solver", "check", target],
            cwd=tmp_path,
            env=_env(tmp_path / "cache"),
            capture_output=True,
            timeout=30,
            preexec_fn=limit,
        )
        assert res.returncode == 0, res.stderr
        _no_traceback(res)


@pytest.mark.parametrize("kind", ["fifo", "zero", "dir"])
def test_a_hostile_cache_entry_is_ignored(tmp_path: Path, kind: str) -> None:
    """A cache entry that is a FIFO hung the run; one linked to /dev/zero was a
    traceback (MemoryError)."""
    (tmp_path / "inv.json").write_text(json.dumps(_inventory(sara={})))
    cache = tmp_path / "cache"
    first = _run(["check", "inv.json"], tmp_path, cache)
    (entry,) = _entries(cache)
    entry.unlink()
    if kind == "fifo":
        os.mkfifo(entry)
    elif kind == "zero":
        entry.symlink_to("/dev/zero")
    else:
        entry.mkdir()
    res = _run(["check", "inv.json"], tmp_path, cache, timeout=30)
    assert (res.returncode, res.stdout) == (first.returncode, first.stdout)
    _no_traceback(res)


def test_progress_lines_are_not_recorded() -> None:
    """Progress escapes written while stderr was a terminal were stored and replayed
    into a redirected stderr."""
    import io

    from solver import cache, runner

    raw = io.StringIO()
    tee = cache.Tee(raw)
    saved = sys.stderr
    sys.stderr = tee  # type: ignore[assignment]
    try:
        runner._progress("solve")
    finally:
        sys.stderr = saved
    assert "inventory-solver: solve" in raw.getvalue()  # the terminal still sees it
    assert tee.text() == ""  # but the cache does not record it


def test_relative_xdg_cache_home_is_ignored(tmp_path: Path) -> None:
    """A relative XDG_CACHE_HOME put the cache inside the repository (the XDG spec says
    to ignore it)."""
    (tmp_path / "inv.json").write_text(json.dumps(_inventory()))
    home = tmp_path / "home"
    home.mkdir()
    env = _env(None, HOME=str(home), XDG_CACHE_HOME="rel-cache")
    env.pop("INVENTORY_SOLVER_NO_CACHE")
    env.pop("INVENTORY_SOLVER_CACHE_DIR", None)
    res = subprocess.run(
        [sys.executable, "-m", "solver", "check", "inv.json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
    )
    assert res.returncode == 0, res.stderr
    assert not (tmp_path / "rel-cache").exists()
    assert (home / ".cache" / "inventory-solver").is_dir()


# -- output -------------------------------------------------------------------------------


def test_output_onto_an_input_is_refused(tmp_path: Path) -> None:
    """`check inv.json -o inv.json` overwrote the inventory with the report."""
    inv = tmp_path / "inv.json"
    inv.write_text(json.dumps(_inventory(ghost={})))
    before = inv.read_bytes()
    (tmp_path / "alias.json").symlink_to("inv.json")
    for target in ("inv.json", "alias.json", "./inv.json"):
        res = _run(["check", "inv.json", "-o", target], tmp_path)
        assert res.returncode == 2, res.stderr
        assert b"input" in res.stdout + res.stderr
        assert inv.read_bytes() == before
    assert (tmp_path / "alias.json").is_symlink()


def test_output_writes_through_a_symlink(tmp_path: Path) -> None:
    """-o renamed over a symlink (replacing the link by a file) and forced mode 0600."""
    (tmp_path / "inv.json").write_text(json.dumps(_inventory(ghost={})))
    real = tmp_path / "reports" / "out.txt"
    real.parent.mkdir()
    real.write_text("old")
    real.chmod(0o644)
    link = tmp_path / "out.txt"
    link.symlink_to(real)
    res = _run(["check", "inv.json", "-o", "out.txt"], tmp_path)
    assert res.returncode == 1, res.stderr
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert "ghost" in real.read_text()
    assert stat.S_IMODE(real.stat().st_mode) == 0o644  # an existing file keeps its mode


def test_output_mode_follows_the_umask(tmp_path: Path) -> None:
    (tmp_path / "inv.json").write_text(json.dumps(_inventory()))
    code = (
        "import os, sys; os.umask(0o022); sys.argv = ['x', 'check', 'inv.json', '-o', "
        "'new.txt']; from solver.cli import main; main()"
    )
    subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=_env(None), check=False)
    assert stat.S_IMODE((tmp_path / "new.txt").stat().st_mode) == 0o644


def test_output_to_a_fifo_writes_to_it(tmp_path: Path) -> None:
    """A special file is written to, not replaced by a regular file (as root, -o
    /dev/full replaced the device node)."""
    (tmp_path / "inv.json").write_text(json.dumps(_inventory(ghost={})))
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []

    def reader() -> None:
        with open(fifo, "rb") as fh:
            got.append(fh.read())

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    res = _run(["check", "inv.json", "-o", str(fifo)], tmp_path, timeout=60)
    t.join(timeout=30)
    if t.is_alive():  # the FIFO was replaced: release the reader still waiting on it
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        t.join(timeout=5)
    assert res.returncode == 1, res.stderr
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert got and b"ghost" in got[0]


def test_names_in_the_summary_line_are_escaped(tmp_path: Path) -> None:
    """A file name with escape sequences cleared the screen or faked output lines."""
    name = f"inv{ESC}\nnext.json"
    (tmp_path / name).write_text(json.dumps(_inventory(ghost={})))
    for fmt in ("text", "concise"):
        res = _run(["check", name, "--format", fmt], tmp_path)
        assert res.returncode == 1
        assert b"\x1b" not in res.stdout + res.stderr
        last = res.stdout.decode().rstrip("\n").splitlines()[-1]
        assert "\\x1b[2J" in last and "next.json" in last  # one line, escaped


def test_sarif_messages_cannot_plant_links(tmp_path: Path) -> None:
    """`[text](url)` in a name was passed into SARIF message text, where viewers render
    it as a link."""
    (tmp_path / "inv.json").write_text(json.dumps(_inventory(**{"[login](https://x.invalid)": {}})))
    res = _run(["check", "inv.json", "--format", "sarif"], tmp_path)
    assert res.returncode == 1
    log = json.loads(res.stdout)
    texts = [r["message"]["text"] for r in log["runs"][0]["results"]]
    assert any("login" in t for t in texts)
    for t in texts:
        assert "[login](" not in t
        assert "\\[login\\](https://x.invalid)" in t or "login" not in t


def _clan_with_non_utf8_machine(tmp_path: Path) -> Path:
    clan = tmp_path / "clan"
    (clan / "machines").mkdir(parents=True)
    inv = {
        "machines": {"x": {}},
        "instances": {
            "w": {
                "module": {"name": "wireguard"},
                "roles": {"controller": {"tags": {"all": {}}}, "peer": {"tags": {"all": {}}}},
            }
        },
    }
    (clan / "inventory.json").write_text(json.dumps(inv))
    os.mkdir(os.path.join(os.fsencode(clan / "machines"), b"b\xff\x1b[2J"))
    return clan


@pytest.mark.parametrize(
    "args",
    [
        ["check", "clan", "--format", "sarif"],
        ["check", "clan", "--format", "json"],
        ["check", "clan", "--format", "text"],
        ["check", "clan", "--format", "github"],
        ["resolve", "clan", "--format", "json"],
        ["resolve", "clan", "--by", "machine"],
    ],
)
def test_non_utf8_folder_names_never_crash_a_writer(tmp_path: Path, args: list[str]) -> None:
    """A folder under machines/ whose name is not UTF-8 crashed the SARIF writer and -o,
    and made --format json emit invalid UTF-8."""
    _clan_with_non_utf8_machine(tmp_path)
    for extra in ([], ["-o", "report.out"]):
        res = _run([*args, *extra], tmp_path)
        assert res.returncode in (0, 1), res.stderr
        _no_traceback(res)
        data = (tmp_path / "report.out").read_bytes() if extra else res.stdout
        text = data.decode("utf-8")  # valid UTF-8
        assert "\\xff" in text  # the byte is shown, escaped, the same way everywhere
        assert "\x1b" not in text
        if "json" in args or "sarif" in args:
            json.loads(text)


# -- inputs -------------------------------------------------------------------------------


def test_several_paths_are_a_usage_error(tmp_path: Path) -> None:
    """`check good.json bad.json` silently checked only the first."""
    (tmp_path / "good.json").write_text(json.dumps(_inventory()))
    (tmp_path / "bad.json").write_text(json.dumps(_inventory(ghost={})))
    for cmd in ("check", "resolve"):
        res = _run([cmd, "good.json", "bad.json"], tmp_path)
        assert res.returncode == 2
        assert b"one PATH" in res.stderr


def test_inventory_from_a_pipe(tmp_path: Path) -> None:
    """`check -`, `check /dev/stdin` and `check <(cat inv.json)` said "is empty"."""
    data = json.dumps(_inventory(ghost={})).encode()
    cache = tmp_path / "cache"
    for name in ("-", "/dev/stdin"):
        res = _run(["check", name, "--format", "concise"], tmp_path, cache, stdin=data)
        assert res.returncode == 1, res.stderr
        assert b"ghost" in res.stdout
        # twice: a pipe is never answered from the cache
        res = _run(["check", name], tmp_path, cache, stdin=json.dumps(_inventory()).encode())
        assert res.returncode == 0, res.stdout
    if os.path.exists("/bin/bash"):
        (tmp_path / "inv.json").write_bytes(data)
        res = subprocess.run(
            ["/bin/bash", "-c", f'"{sys.executable}" -m solver check <(cat inv.json)'],
            cwd=tmp_path,
            env=_env(None),
            capture_output=True,
        )
        assert res.returncode == 1, res.stderr
        assert b"ghost" in res.stdout


@pytest.mark.parametrize(
    ("literal", "what"),
    [
        ("9" * 5000, "64-bit"),
        ("1e400", "overflows"),
        ("9223372036854775808", "64-bit"),
        ("-9223372036854775809", "64-bit"),
    ],
)
def test_numbers_nix_cannot_represent(tmp_path: Path, literal: str, what: str) -> None:
    """A 5000-digit integer was an internal error, 1e400 became null, 2**63 was
    accepted: Nix rejects all of them."""
    text = '{"machines": {"jon": {"deploy": {"targetHost": ' + literal + "}}}}"
    (tmp_path / "inv.json").write_text(text)
    res = _run(["check", "inv.json", "--format", "concise"], tmp_path)
    assert res.returncode == 2
    _no_traceback(res)
    out = (res.stdout + res.stderr).decode()
    assert "inv.json:1:" in out and "number-range" in out and what in out
    ok = text.replace(literal, "9223372036854775807")
    (tmp_path / "inv.json").write_text(ok)
    assert _run(["check", "inv.json"], tmp_path).returncode != 2


def test_huge_override_priority_does_not_wrap(tmp_path: Path) -> None:
    """`"priority": 4294967396` wrapped at 2**32 to 100 and made a false
    settings-conflict; it is now reported where it is."""

    def repo(prio: int, value: str) -> dict[str, object]:
        return {"repo": {"_type": "override", "priority": prio, "content": value}}

    inv = {
        "machines": {"jon": {}},
        "instances": {
            "b": {
                "module": {"name": "borgbackup"},
                "roles": {
                    "client": {
                        "machines": {
                            "jon": {"settings": {"destinations": {"d": repo(4294967396, "a")}}}
                        },
                        "settings": {"destinations": {"d": repo(100, "b")}},
                    }
                },
            }
        },
    }
    (tmp_path / "inv.json").write_text(json.dumps(inv))
    res = _run(["check", "inv.json", "--format", "json"], tmp_path)
    codes = [d["code"] for d in json.loads(res.stdout)["diagnostics"]]
    assert "settings-conflict" not in codes
    assert "priority-range" in codes
    (d,) = [d for d in json.loads(res.stdout)["diagnostics"] if d["code"] == "priority-range"]
    assert d["location"]["file"] == "inv.json" and "4294967396" in d["message"]


def test_the_cache_key_never_reads_a_pipe(tmp_path: Path) -> None:
    """The key read every --rules/--modules file before the run: a pipe
    (`--rules <(cat p.lp)`) was consumed by it (or, with no writer yet, hung it). A
    special file now makes the run uncached, unread by the cache."""
    (tmp_path / "inv.json").write_text(json.dumps(_inventory()))
    os.mkfifo(tmp_path / "p.lp")
    code = (
        "from solver import cache; import sys\n"
        "argv = ['check', 'inv.json', '--rules', 'p.lp']\n"
        "sys.stdout.write(repr(cache.key(argv, cache.parse(argv))))\n"
    )
    res = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=_env(None), capture_output=True, timeout=20
    )
    assert res.stdout == b"None", res.stderr


@pytest.mark.parametrize(
    ("literal", "what"),
    [
        ("9" * 5000, "64-bit"),
        ("1.0e400", "overflows"),
        ("9223372036854775808", "64-bit"),
    ],
)
def test_nix_numbers_nix_cannot_represent(tmp_path: Path, literal: str, what: str) -> None:
    """The same in a clan written in Nix: a located number-range error, exit 2."""
    (tmp_path / ".git").mkdir()
    text = (
        "{ outputs = { self, clan-core, ... }: { clan = clan-core.lib.clan {\n"
        f"  inventory.machines.jon.deploy.port = {literal};\n"
        "}; }; }\n"
    )
    (tmp_path / "flake.nix").write_text(text)
    res = _run(["check", ".", "--format", "concise"], tmp_path)
    assert res.returncode == 2
    _no_traceback(res)
    out = (res.stdout + res.stderr).decode()
    assert "flake.nix:2:" in out and "number-range" in out and what in out
    (tmp_path / "flake.nix").write_text(text.replace(literal, "9223372036854775807"))
    assert _run(["check", "."], tmp_path).returncode != 2
