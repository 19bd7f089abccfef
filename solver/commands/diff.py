"""``inventory-solver diff [BASE] [TARGET]``: what a change does to the clan.

BASE and TARGET are git revisions of the repository that holds the clan. TARGET defaults
to the working tree (uncommitted changes included); BASE to the merge base of HEAD with
the upstream of the current branch, else with ``main`` or ``master``. ``--base REV``
names BASE explicitly (for CI).

The clan at a revision is read from git's objects (``git ls-tree`` and ``git cat-file``)
into a temporary folder: the work tree and the index are never touched (no checkout, no
stash). The same relative clan path is then checked there, with the project config of the
current directory, and the two reports are compared (:mod:`solver.changes`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from typing import Any

import click

from solver.commands.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_UNUSABLE,
    RunArgs,
    code_options,
    code_selection,
    guard,
    write_output,
)

FORMATS = ["text", "markdown", "json", "github"]


class GitError(Exception):
    """A git command failed or a revision does not exist: exit 2 with the message."""


def _git(repo: str, *args: str, input_: bytes | None = None) -> bytes:
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}
    env.pop("GIT_INDEX_FILE", None)
    try:
        proc = subprocess.run(
            ["git", "-C", repo, *args],
            input=input_,
            capture_output=True,
            env=env,
            check=False,
        )
    except FileNotFoundError as exc:
        raise GitError("git is not installed (diff reads revisions with git)") from exc
    if proc.returncode != 0:
        msg = proc.stderr.decode(errors="replace").strip().splitlines()
        raise GitError(f"git {' '.join(args[:3])}: {msg[-1] if msg else 'failed'}")
    return proc.stdout


def repository_of(path: str) -> str:
    top = _git(path, "rev-parse", "--show-toplevel").decode().strip()
    return os.path.realpath(top)


def resolve_commit(repo: str, rev: str) -> str:
    if rev.startswith("-"):
        raise GitError(f"not a revision: {rev!r}")
    try:
        return _git(repo, "rev-parse", "--verify", "--quiet", rev + "^{commit}").decode().strip()
    except GitError:
        raise GitError(f"unknown revision {rev!r}") from None


def default_base(repo: str) -> str:
    """The merge base of HEAD with the upstream of the current branch, or with main/master."""
    candidates: list[str] = []
    try:
        up = _git(repo, "rev-parse", "--abbrev-ref", "--symbolic-full-name", "@{upstream}")
        candidates.append(up.decode().strip())
    except GitError:
        pass
    candidates += ["main", "master", "origin/main", "origin/master"]
    for cand in candidates:
        try:
            resolve_commit(repo, cand)
        except GitError:
            continue
        try:
            return _git(repo, "merge-base", "HEAD", cand).decode().strip()
        except GitError:
            continue
    raise GitError(
        "no base revision: the current branch has no upstream and there is no main or master "
        "branch; name one (`inventory-solver diff REV` or `--base REV`)"
    )


def export_tree(repo: str, commit: str, dest: str) -> None:
    """Write the files of `commit` into `dest`, from git's objects only (the work tree and
    the index are not read or written). Submodules are left out; symlinks are kept."""
    listing = _git(repo, "ls-tree", "-r", "-z", "--full-tree", commit)
    entries: list[tuple[str, str, str]] = []  # mode, sha, path
    for rec in listing.split(b"\0"):
        if not rec:
            continue
        meta, _, raw_path = rec.partition(b"\t")
        mode, kind, sha = meta.decode().split(" ")
        if kind != "blob":
            continue  # a submodule (commit) is not part of this repository's objects
        entries.append((mode, sha, os.fsdecode(raw_path)))
    if not entries:
        return
    blobs = _git(repo, "cat-file", "--batch", input_="".join(e[1] + "\n" for e in entries).encode())
    pos = 0
    root = os.path.realpath(dest)
    for mode, _sha, path in entries:
        nl = blobs.index(b"\n", pos)
        header = blobs[pos:nl].decode().split(" ")
        size = int(header[2])
        data = blobs[nl + 1 : nl + 1 + size]
        pos = nl + 1 + size + 1  # content and its trailing newline
        target = os.path.join(dest, path)
        full = os.path.realpath(os.path.dirname(target))
        if not (full == root or full.startswith(root + os.sep)):
            continue  # never write outside the export folder (a path through a symlink)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if mode == "120000":
            os.symlink(os.fsdecode(data), target)
        else:
            with open(target, "wb") as fh:
                fh.write(data)
            if mode == "100755":
                os.chmod(target, 0o755)


@dataclass
class Side:
    """One side of the comparison: a revision (None: the working tree)."""

    rev: str | None
    commit: str | None = None

    def describe(self) -> dict[str, Any]:
        return {"rev": self.rev or "working tree", "commit": self.commit}


def _check(path: str, kw: dict[str, Any], view: Any = None, plain: bool = False) -> Any:
    from solver.runner import execute

    select, ignore_codes = code_selection(kw.get("select", ()), kw.get("ignore_codes", ()))
    return execute(
        RunArgs(
            paths=(path,),
            select=select,
            ignore_codes=ignore_codes,
            modules=tuple(kw.get("modules", ())),
            rules=tuple(kw.get("rules", ())),
            config_file=kw.get("config_file"),
            no_cache=True,
            resolve=not plain,
            settings=not plain,
            view=view,
        )
    )


def _prepare(side: Side, repo: str, rel: str, tmp: str) -> tuple[str | None, Any]:
    """(clan folder, FileMap) of `side`: the work tree, or an export of its commit. The
    folder is None when the clan does not exist at that revision (added or removed by the
    change): it is then compared as empty."""
    from solver.changes import FileMap

    if side.commit is None:
        clan = os.path.join(repo, rel)
        files = FileMap(root=repo)
    else:
        root = os.path.join(tmp, side.commit[:12])
        os.makedirs(root, exist_ok=True)
        if not os.listdir(root):
            export_tree(repo, side.commit, root)
            # the export is the repository: the readers confine reads to the folder with
            # `.git` (solver.files.find_root), so that a clan in a subfolder may import
            # files beside it, as it may in the work tree
            os.makedirs(os.path.join(root, ".git"), exist_ok=True)
        clan = os.path.join(root, rel)
        files = FileMap(root=os.path.realpath(root))
    if not os.path.exists(clan):
        click.echo(
            f"inventory-solver: note: no clan at {rel or '.'} in {side.describe()['rev']}; "
            "compared as empty",
            err=True,
        )
        return None, files
    return clan, files


def _snapshot_at(side: Side, clan: str | None, files: Any, kw: dict[str, Any]) -> Any:
    from solver.changes import Snapshot, finding, view
    from solver.errors import InputError

    if clan is None:
        return Snapshot()
    got: list[Snapshot] = []
    try:
        # the comparison's data straight from the atoms (no resolution objects); the
        # findings from the report, after the project config applied to them
        report = _check(clan, kw, lambda ctx, plan: got.append(view(ctx, plan)))
    except InputError:
        click.echo(
            f"inventory-solver: the clan cannot be read at {side.describe()['rev']}:", err=True
        )
        raise
    snap = got[0] if got else Snapshot()
    snap.findings = [finding(d, files) for d in report.diagnostics]
    return snap


def _reads(clan: str) -> list[tuple[str, list[Any]]]:
    """What reading the clan at `clan` reads (its reader's record, by root); nothing when
    it cannot be read (the check then says why)."""
    from solver.errors import InputError
    from solver.files import find_root
    from solver.read import load

    try:
        loaded = load(clan)
    except InputError:
        return []
    return [(find_root(clan), loaded.reads)] if loaded.reads else []


def _plain_check(side: Side, clan: str, kw: dict[str, Any]) -> None:
    """`check` of one side without the resolution: only its errors matter (exit 2)."""
    from solver.errors import InputError

    try:
        _check(clan, kw, plain=True)
    except InputError:
        click.echo(
            f"inventory-solver: the clan cannot be read at {side.describe()['rev']}:", err=True
        )
        raise


def same_inputs(
    reads: list[tuple[str, list[Any]]], target_root: str, base_root: str, rel: str
) -> bool:
    """Whether the base's files give the readers exactly what the target's gave them:
    every file read, folder listed, path probed or refused (`reads`: the records of the
    target's check, :func:`solver.cache.note_reads`) comes out the same under
    `base_root`, and so does the search for the ``flake.lock`` that picks the catalogue.
    The two sides are then the same clan and the base need not be checked. Records of
    folders outside the target (a clan-core in the Nix store, named by that same
    flake.lock) are the same for both sides; a reader confined to anything but the
    target's root (a nested repository) gives no answer here (False)."""
    from solver.files import Entry, Files

    t_root, b_root = os.path.realpath(target_root), os.path.realpath(base_root)

    def inside(path: str) -> bool:
        return path == t_root or path.startswith(t_root + os.sep)

    def mapped(path: str) -> str:
        return b_root + path[len(t_root) :] if inside(path) else path

    if not reads:
        return False
    for root, entries in reads:
        if not inside(root):
            continue
        if root != t_root:
            return False
        moved = [Entry(e.kind, mapped(e.path), e.digest) for e in entries]
        if not Files(b_root).still_valid(moved):
            return False
    # solver.catalogue.source.find_lock: the nearest flake.lock from the clan upward
    here = os.path.join(t_root, rel) if rel else t_root
    while True:
        a, b = os.path.join(here, "flake.lock"), mapped(os.path.join(here, "flake.lock"))
        if os.path.isfile(a) != os.path.isfile(b):
            return False
        if os.path.isfile(a):
            with open(a, "rb") as fa, open(b, "rb") as fb:
                return fa.read() == fb.read()
        if here == t_root or os.path.dirname(here) == here:
            return True
        here = os.path.dirname(here)


def parallel() -> bool:
    """Whether to check the base in a forked child while this process checks the target:
    only when the CPUs are not all busy (fewer runnable processes over the last minute
    than CPUs); on a saturated machine the two checks would only take turns, and the
    child's sending of its data back is extra work. ``INVENTORY_SOLVER_DIFF_SERIAL=1``
    never forks, ``=0`` always does (where fork exists)."""
    forced = os.environ.get("INVENTORY_SOLVER_DIFF_SERIAL")
    if not hasattr(os, "fork") or (forced and forced != "0"):
        return False
    if forced == "0":
        return True
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    if cpus < 2:
        return False
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        return True
    return load < cpus


def _both(base: Side, target: Side, repo: str, rel: str, tmp: str, kw: dict[str, Any]) -> Any:
    """(base snapshot, target snapshot). When a CPU is free (:func:`parallel`), the base
    is checked in a forked child while this process checks the target (two checks in
    about the time of one on two cores); the child sends back the snapshot's plain data. Without fork, or when the child fails, the
    base is checked here (which also gives the usual messages for unusable input)."""
    from solver.changes import Snapshot

    base_clan, base_files = _prepare(base, repo, rel, tmp)
    target_clan, target_files = _prepare(target, repo, rel, tmp)
    if (
        base_clan is not None
        and target_clan is not None
        and target_files.root is not None
        and base_files.root is not None
        and same_inputs(_reads(target_clan), target_files.root, base_files.root, rel)
    ):
        # the same files: the same clan, and no change. The target is still checked
        # (without the resolution), so that a clan that cannot be used says so as usual.
        _plain_check(target, target_clan, kw)
        return Snapshot(), Snapshot()
    pid = -1
    rfd = -1
    if base_clan is not None and parallel():
        rfd, wfd = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child: check the base, send its snapshot, exit without cleanup
            status = 3
            try:
                os.close(rfd)
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, 1)
                os.dup2(devnull, 2)
                data = _snapshot_at(base, base_clan, base_files, kw).to_bytes()
                with os.fdopen(wfd, "wb") as fh:
                    fh.write(data)
                status = 0
            except BaseException:
                pass
            finally:
                os._exit(status)
        os.close(wfd)
    try:
        from solver import cache

        # what the target's check reads (solver.cache.note_reads): its records, and
        # whether a reader kept none
        seen = len(cache.RUN.reads)
        before, cache.RUN.unrecorded = cache.RUN.unrecorded, False
        try:
            new = _snapshot_at(target, target_clan, target_files, kw)
        finally:
            unrecorded = cache.RUN.unrecorded
            cache.RUN.unrecorded = before or unrecorded
        if (
            base_clan is not None
            and target_clan is not None
            and not unrecorded
            and target_files.root is not None
            and base_files.root is not None
            and same_inputs(cache.RUN.reads[seen:], target_files.root, base_files.root, rel)
        ):
            return new, new  # the same files: the same clan (the child, if any, is killed)
        old: Snapshot | None = None
        if pid > 0:
            with os.fdopen(rfd, "rb") as fh:
                data = fh.read()
            rfd = -1
            _, status = os.waitpid(pid, 0)
            pid = -1
            if os.waitstatus_to_exitcode(status) == 0 and data:
                old = Snapshot.from_bytes(data)
        if old is None:
            old = _snapshot_at(base, base_clan, base_files, kw)
        return old, new
    finally:
        if rfd >= 0:
            os.close(rfd)
        if pid > 0:
            import signal

            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)


@click.command(name="diff")
@click.argument("revisions", nargs=-1)
@click.option("--base", "base_opt", default=None, help="The base revision (instead of BASE).")
@click.option(
    "--clan",
    "clan_path",
    type=click.Path(file_okay=False),
    default=None,
    help="The clan folder (default: found from the current directory, like check).",
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option(
    "--fail-on-new",
    type=click.Choice(["error", "warning"]),
    default=None,
    help="Exit 1 when the change introduces findings of this severity or worse.",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None)
@click.option(
    "--modules", "modules", multiple=True, type=click.Path(dir_okay=False), help="Catalogue file."
)
@click.option("--rules", "rules", multiple=True, type=click.Path(dir_okay=False))
@click.option("--config", "config_file", type=click.Path(dir_okay=False), default=None)
@code_options
def command(
    revisions: tuple[str, ...],
    base_opt: str | None,
    clan_path: str | None,
    fmt: str,
    fail_on_new: str | None,
    output: str | None,
    **kw: Any,
) -> None:
    """Compare the clan at BASE with TARGET: roles gained and lost, settings, findings.

    BASE and TARGET are git revisions; TARGET defaults to the working tree, BASE to the
    merge base with the upstream branch (or main/master).
    """
    if len(revisions) > 2 or (base_opt is not None and len(revisions) > 1):
        click.echo("inventory-solver: diff takes at most BASE and TARGET", err=True)
        sys.exit(EXIT_UNUSABLE)

    def go() -> int:
        from solver.changes import compare, to_data
        from solver.render import diff as views
        from solver.render.jsontext import dumps
        from solver.root import default_target

        clan = os.path.realpath(clan_path or default_target())
        try:
            repo = repository_of(clan if os.path.isdir(clan) else os.path.dirname(clan))
            rel = os.path.relpath(clan, repo)
            rel = "" if rel == "." else rel
            if base_opt is not None:
                base_rev: str | None = base_opt
                target_rev = revisions[0] if revisions else None
            else:
                base_rev = revisions[0] if revisions else None
                target_rev = revisions[1] if len(revisions) > 1 else None
            base = Side(base_rev or "merge base")
            base.commit = resolve_commit(repo, base_rev) if base_rev else default_base(repo)
            target = Side(target_rev)
            if target_rev is not None:
                target.commit = resolve_commit(repo, target_rev)
            tmp = tempfile.mkdtemp(prefix="inventory-solver-diff-")
            try:
                old, new = _both(base, target, repo, rel, tmp, kw)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
        except GitError as exc:
            click.echo(f"inventory-solver: {exc}", err=True)
            return EXIT_UNUSABLE
        d = compare(old, new)
        b, t = base.describe(), target.describe()
        if fmt == "json":
            text = dumps(to_data(d, b, t))
        elif fmt == "markdown":
            text = views.to_markdown(d, b, t)
        elif fmt == "github":
            md = views.to_markdown(d, b, t)
            summary = os.environ.get("GITHUB_STEP_SUMMARY")
            if summary:
                with open(summary, "a", encoding="utf-8") as fh:
                    fh.write(md)
            text = views.workflow_commands(d) + ("" if summary else md)
        else:
            color = output is None and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
            text = views.to_text(d, b, t, color=color)
        write_output(text, output, inputs=[*kw.get("modules", ()), *kw.get("rules", ())])
        if fail_on_new is not None and d.new_at_or_above(fail_on_new):
            return EXIT_FINDINGS
        return EXIT_OK

    guard(go, "text")
