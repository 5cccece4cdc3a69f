"""How paths are shown to people, and how files are written so nobody sees half a file."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path

__all__ = [
    "atomic_write",
    "check_report_path",
    "check_writable",
    "display_path",
    "not_a_regular_file",
]


def display_path(path: str | os.PathLike[str], base: str | os.PathLike[str] | None = None) -> str:
    """``path`` relative to ``base`` (default: the working folder) when it lies below it,
    else absolute. Always with forward slashes on POSIX."""
    p = Path(path)
    try:
        rel = os.path.relpath(p, base) if base is not None else os.path.relpath(p)
    except ValueError:  # pragma: no cover - another drive on Windows
        return str(p)
    outside = rel == ".." or rel.startswith(("../", ".." + os.sep))
    return str(p.resolve()) if outside else rel


def _umask() -> int:
    """The process's umask (read by setting it and putting it back: there is no getter)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_KINDS = (
    (stat.S_ISCHR, "character device"),
    (stat.S_ISBLK, "block device"),
    (stat.S_ISFIFO, "named pipe (FIFO)"),
    (stat.S_ISSOCK, "socket"),
    (stat.S_ISLNK, "symbolic link"),
    (stat.S_ISDIR, "folder"),
)


def not_a_regular_file(path: str | os.PathLike[str], *, follow: bool = False) -> str | None:
    """What ``path`` is when it exists and is not a regular file (``"character device"``,
    ``"named pipe (FIFO)"``, ``"symbolic link"``, ...), else ``None``. A symbolic link is
    named as such, not followed — unless ``follow`` (inputs: a link to a file is that file)."""
    try:
        mode = (os.stat if follow else os.lstat)(path).st_mode
    except OSError:
        return None
    return next((kind for test, kind in _KINDS if test(mode)), None)


def atomic_write(path: str | os.PathLike[str], data: bytes | str) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename.

    A reader (or a CI step after a crash) sees the old file or the whole new one, never half a
    file; on any failure the temporary file is removed and the error propagates (``OSError``).
    The file gets the permissions of a newly created file (``0o666`` less the umask).

    Only a regular file is ever replaced: a device (``/dev/null``), a FIFO, a socket, a folder or
    a symbolic link at ``path`` raises ``IsADirectoryError``/``OSError`` and is left as it was —
    a rename would put a regular file in its place (as root, in place of ``/dev/null``), and a
    link would be replaced rather than written through.
    """
    target = Path(path)
    kind = not_a_regular_file(target)
    if kind is not None:
        raise OSError(
            f"{display_path(target)} is a {kind}, not a regular file; refusing to replace it"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp_name, 0o666 & ~_umask())  # mkstemp creates 0o600
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    return target


def check_writable(path: Path, what: str) -> str | None:
    """Why ``path`` cannot be written (a sentence naming ``what`` and the path), or ``None``.

    Checked before the gates run, so a typo in a report path fails in a second, not after the
    whole evaluation.
    """
    shown = display_path(path)
    if path.is_dir() and not path.is_symlink():
        return f"{what} {shown} is a folder; give a file name (e.g. {shown}/report.json)"
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        return f"{what} {shown}: {display_path(folder)} is a file, not a folder"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"{what} {shown}: the folder {display_path(folder)} is not writable"
    if path.exists() and not os.access(path, os.W_OK):
        return f"{what} {shown}: the file is not writable"
    try:  # the permission bits can say yes where the file system says no (/proc, read-only);
        # probe the nearest existing folder, creating nothing (a --collect-only run writes none)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        return f"{what} {shown}: cannot write there ({exc.strerror or exc})"
    return None


def check_report_path(path: Path, what: str, inputs: Iterable[tuple[Path, str]] = ()) -> str | None:
    """Why a report must not be written to ``path`` (a sentence), or ``None``.

    Refused: a path that is one of the run's ``inputs`` (pairs of a path and what it is, e.g.
    ``(data.csv, "the test data (data.test)")``) or lies inside an input folder (a folder of
    Parquet files, the baseline store) — compared after resolving links and by inode, so a
    hard link or another spelling of the same file is caught —; a device, FIFO, socket or
    folder; a symbolic link (reports are replaced atomically, which would replace the link and
    leave its target stale: give the target's path); then everything :func:`check_writable`
    refuses.
    """
    shown = display_path(path)
    kind = not_a_regular_file(path)
    if kind == "symbolic link":
        return (
            f"{what} {shown} is a symbolic link (to {os.readlink(path)}); reports are replaced "
            "atomically, never written through a link: give the path of the file itself"
        )
    if kind is not None and kind != "folder":
        return (
            f"{what} {shown} is a {kind}, not a regular file; a report would replace it: give "
            "a file name"
        )
    resolved = path.resolve()
    try:
        identity = os.stat(resolved)
    except OSError:
        identity = None
    for source, description in inputs:
        source_resolved = source.resolve()
        same = resolved == source_resolved
        if not same and identity is not None:
            with contextlib.suppress(OSError):
                same = os.path.samestat(identity, os.stat(source_resolved))
        if same:
            return (
                f"{what} {shown} is {description}; writing the report there would destroy "
                "it: give another path (e.g. .modelgate/report.json)"
            )
        if source_resolved in resolved.parents:
            return (
                f"{what} {shown} lies inside {description} ({display_path(source)}); give a "
                "path outside it (e.g. .modelgate/report.json)"
            )
    return check_writable(path, what)
