"""``fix --apply``: write edited files, all or none.

Every file is first checked (inside the repository, a regular file and not a symbolic
link, and still exactly the text that was read); only when every file passes is any
written. Each is replaced atomically: a temporary file beside it, then a rename over it
(its mode and byte-order mark kept). Just before each rename the file is checked again,
so a file changed meanwhile is not overwritten."""

from __future__ import annotations

import os
import stat
import tempfile

from solver.files import Files, Refused

_BOM = b"\xef\xbb\xbf"


class NotWritten(Exception):
    """A file cannot be written safely; nothing more is written. ``written`` lists the
    files already replaced (empty unless a file changed during the writing itself)."""

    def __init__(self, message: str, written: list[str] | None = None) -> None:
        super().__init__(message)
        self.written = written or []


def _target(files: Files, file: str) -> tuple[str, os.stat_result]:
    """The real path to replace for `file`, refusing links, special files and paths
    outside the repository."""
    try:
        st = os.lstat(file)
    except OSError as exc:
        raise NotWritten(f"{file}: cannot be read again: {exc.strerror or exc}") from None
    if stat.S_ISLNK(st.st_mode):
        raise NotWritten(
            f"{file} is a symbolic link; inventory-solver does not write through links"
        )
    if not stat.S_ISREG(st.st_mode):
        raise NotWritten(f"{file} is not a regular file")
    folder = os.path.dirname(os.path.abspath(file))
    real = os.path.join(os.path.realpath(folder), os.path.basename(file))
    try:
        files.resolve(real)
    except Refused:
        raise NotWritten(f"{file} is outside the repository; not written") from None
    return real, st


def _current(files: Files, real: str, file: str, expected: str) -> bool:
    """Whether `real` still holds the text `expected` (a byte-order mark aside); and raise
    when it cannot be read."""
    try:
        raw = files.read_bytes(real)
    except (OSError, Refused) as exc:
        why = exc.reason if isinstance(exc, Refused) else (exc.strerror or str(exc))
        raise NotWritten(f"{file}: cannot be read again: {why}") from None
    try:
        return raw.decode("utf-8-sig") == expected
    except UnicodeDecodeError:
        return False


def write_files(old: dict[str, str], new: dict[str, str], root: str) -> list[str]:
    """Replace each file of `new` (read with the text `old[file]`) by its new text; the
    files written, sorted. Raises :class:`NotWritten` (nothing written) when any file
    changed since it was read, is a link, or is outside `root`."""
    files = Files(root)
    checked: list[tuple[str, str, os.stat_result]] = []
    for file in sorted(new):
        real, st = _target(files, file)
        if not _current(files, real, file, old[file]):
            raise NotWritten(
                f"{file} changed since it was read; nothing was written (run fix again)"
            )
        checked.append((file, real, st))
    written: list[str] = []
    for file, real, st in checked:
        try:
            raw = files.read_bytes(real)
        except (OSError, Refused):
            raw = b""
        if raw.decode("utf-8-sig", "replace") != old[file] or os.path.islink(real):
            raise NotWritten(
                f"{file} changed while the fix was written; it was not written", written
            )
        data = (_BOM if raw.startswith(_BOM) else b"") + new[file].encode("utf-8")
        folder = os.path.dirname(real)
        try:
            fd, tmp = tempfile.mkstemp(prefix=".inventory-solver-", dir=folder)
        except OSError as exc:
            raise NotWritten(f"cannot write {file}: {exc.strerror or exc}", written) from None
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
                os.fchmod(fh.fileno(), stat.S_IMODE(st.st_mode))
            os.replace(tmp, real)
        except OSError as exc:
            if os.path.lexists(tmp):
                os.unlink(tmp)
            raise NotWritten(f"cannot write {file}: {exc.strerror or exc}", written) from None
        written.append(file)
    return written
