"""How paths are shown to people: relative where that is shorter and unambiguous."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["display_path"]


def display_path(path: str | os.PathLike[str], base: str | os.PathLike[str] | None = None) -> str:
    """``path`` relative to ``base`` (default: the working folder) when it lies below it,
    else absolute. Always with forward slashes on POSIX."""
    p = Path(path)
    try:
        rel = os.path.relpath(p, base) if base is not None else os.path.relpath(p)
    except ValueError:  # pragma: no cover - another drive on Windows
        return str(p)
    return str(p.resolve()) if rel.startswith("..") else rel
