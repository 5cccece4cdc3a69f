"""How paths are shown to people, and how files are written so nobody sees half a file."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

__all__ = ["atomic_write", "check_writable", "display_path"]


def display_path(path: str | os.PathLike[str], base: str | os.PathLike[str] | None = None) -> str:
    """``path`` relative to ``base`` (default: the working folder) when it lies below it,
    else absolute. Always with forward slashes on POSIX."""
    p = Path(path)
    try:
        rel = os.path.relpath(p, base) if base is not None else os.path.relpath(p)
    except ValueError:  # pragma: no cover - another drive on Windows
        return str(p)
    return str(p.resolve()) if rel.startswith("..") else rel


def atomic_write(path: str | os.PathLike[str], data: bytes | str) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename.

    A reader (or a CI step after a crash) sees the old file or the whole new one, never half a
    file; on any failure the temporary file is removed and the error propagates (``OSError``).
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp_name, 0o644)
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
    if path.is_dir():
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
