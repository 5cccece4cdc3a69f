"""Shared text formatting: numbers, intervals, bars, slice labels and aligned tables.

Every sink (terminal, messages, reports) formats through these helpers, so a number or a slice
reads the same everywhere. Escaping for a particular sink (HTML, Markdown, workflow commands)
is that sink's job and happens after formatting.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "MISSING_LABEL",
    "aligned_table",
    "bar_text",
    "fmt_num",
    "interval_text",
    "one_line",
    "plain",
    "safe_lines",
    "slice_label",
]

MISSING_LABEL = "<missing>"
"""The label of rows whose slice or sensitive column holds no value."""


def plain(value: Any) -> Any:
    """A numpy scalar as the Python scalar it holds (``np.int64(0)`` prints as ``0``)."""
    item = getattr(value, "item", None)
    if callable(item) and getattr(value, "shape", None) == ():
        return item()
    return value


def fmt_num(x: float | None, digits: int = 4, missing: str = "n/a") -> str:
    """``0.8123`` with ``digits`` decimals (a value that rounds to zero reads ``0.0000``, never
    ``-0.0000``); ``missing`` for a missing or undefined number."""
    if x is None:
        return missing
    x = float(x)
    if math.isnan(x):
        return missing
    text = f"{x:.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def interval_text(low: float | None, high: float | None, level: float, method: str) -> str:
    """``[0.8012, 0.8345] 95% wilson``."""
    return f"[{fmt_num(low)}, {fmt_num(high)}] {level * 100:g}% {method}"


def bar_text(low: float | None, high: float | None, *, ge: str = ">=", le: str = "<=") -> str:
    """The bar of a rule, e.g. ``>= 0.8 and <= 0.95`` (empty without bounds)."""
    parts = []
    if low is not None:
        parts.append(f"{ge} {low:g}")
    if high is not None:
        parts.append(f"{le} {high:g}")
    return " and ".join(parts)


def one_line(text: Any) -> str:
    """``text`` on one printable line: control characters (newlines, carriage returns, escape
    sequences), unpaired surrogates and Unicode line separators are shown escaped (``\\n``,
    ``\\x1b``), so a value from the data can never start a new output line — where a CI runner
    would read ``::stop-commands::`` or ``::add-mask::`` as a command — or recolour a terminal."""
    import unicodedata

    out = []
    for ch in str(text):
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Cs", "Zl", "Zp") or (cat == "Cf" and ch not in "\u200d"):
            out.append(ch.encode("unicode_escape", "backslashreplace").decode("ascii"))
        else:
            out.append(ch)
    return "".join(out)


_COMMAND_STARTS = ("::", "##[")  # GitHub workflow commands (v2 and the older ##[...] form)


def safe_lines(text: Any) -> str:
    """Multi-line ``text`` for a CI log: each line shown with :func:`one_line` (so ``\r``,
    escape sequences and Unicode line breaks cannot make lines of their own), and a line that
    would begin — after any indentation — with a workflow command (``::stop-commands::``,
    ``##[...]``) has that first character shown escaped (``\x3a:stop-commands::``). Text from
    a model's exception or the data can then never be read as a command by the runner."""
    out = []
    for raw in str(text).split("\n"):
        line = one_line(raw)
        body = line.lstrip()
        if body.startswith(_COMMAND_STARTS):
            indent = line[: len(line) - len(body)]
            line = f"{indent}\\x{ord(body[0]):02x}{body[1:]}"
        out.append(line)
    return "\n".join(out)


def column_list(names: Sequence[Any], limit: int = 20) -> str:
    """``a, b, c`` — the first ``limit`` names, then ``, ... (N in all)`` when there are more."""
    shown = [str(n) for n in names]
    more = f", ... ({len(shown)} in all)" if len(shown) > limit else ""
    return ", ".join(shown[:limit]) + more


def slice_label(labels: Mapping[str, Any] | None) -> str:
    """``sex=Female, age=[25, 35)`` (empty for the whole data), on one printable line."""
    if not labels:
        return ""
    return ", ".join(f"{one_line(k)}={one_line(plain(v))}" for k, v in labels.items())


def aligned_table(rows: Sequence[tuple[str, str]], indent: str = "  ") -> str:
    """Two aligned columns, one row a line: the shape of every failure table."""
    if not rows:
        return ""
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{indent}{k.ljust(width)}  {v}" for k, v in rows)
