"""What every engine shares: the plan, the bin formula, the checks and the final table.

An engine adapter only reads its source and computes, per cell, the key values, the 0/1
threshold keys, the *integer* bin index of each binned score and a count. Everything that must be
identical across engines — the bin index formula, the representative value of a bin, how missing
keys are grouped, the row order — is defined here, once.
"""

from __future__ import annotations

import importlib
import math
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Protocol

import numpy as np
import pandas as pd

from pytest_modelgate.errors import DataError, did_you_mean

__all__ = [
    "COUNT",
    "Adapter",
    "BinnedScore",
    "CountPlan",
    "Progress",
    "ScoreSummary",
    "bin_index",
    "bin_values",
    "finalize",
    "need",
]

COUNT = "__count__"

_EXTRAS = {
    "duckdb": ("duckdb", "DuckDB", "duckdb"),
    "pyspark": ("spark", "PySpark", "spark"),
    "pyarrow": ("stream", "pyarrow", "parquet"),
}


def not_installed(module: str, engine: str) -> str:
    """The message for a missing optional dependency: what it is and which extra installs it."""
    _, what, extra = _EXTRAS[module]
    return (
        f"engine: {engine} needs {what}, which is not installed. "
        f"Install it with: pip install 'pytest-modelgate[{extra}]'"
    )


def need(module: str, engine: str) -> ModuleType:
    """Import an optional dependency, or say which extra installs it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise DataError(not_installed(module, engine)) from None


# --------------------------------------------------------------------------------------------
# The bin formula. Engines evaluate exactly these IEEE-754 double operations, in this order:
#     index = min(floor(((s - lo) / span) * bins), bins - 1)      span = hi - lo > 0
#     index = 0                                                   span == 0 (constant column)
# where s is the raw score cast to double and lo/hi are the column's min/max. Subtraction,
# division and multiplication are correctly rounded in numpy, DuckDB, Spark (JVM) and Arrow, so
# every engine gets the same integer for the same score. Representative values are computed from
# the integer indices by :func:`bin_values` only, never by an engine.
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BinnedScore:
    """A score column cut into ``bins`` equal-width bins over its observed ``[lo, hi]``."""

    column: str
    bins: int
    lo: float
    hi: float

    @property
    def span(self) -> float:
        return self.hi - self.lo

    @property
    def width(self) -> float:
        """Width of one bin; a representative value is at most ``width / 2`` from the score."""
        return self.span / self.bins


def bin_index(values: np.ndarray, binned: BinnedScore) -> np.ndarray:
    """The bin of each value (int64 in ``[0, bins)``); the reference all engines must match."""
    s = np.asarray(values, dtype=np.float64)
    if binned.span == 0:
        return np.zeros(s.shape, dtype=np.int64)
    raw = np.floor(((s - binned.lo) / binned.span) * float(binned.bins))
    return np.minimum(raw, binned.bins - 1).astype(np.int64)


def bin_values(index: np.ndarray, binned: BinnedScore) -> np.ndarray:
    """The representative value (midpoint) of each bin index: ``lo + (i + 0.5) * width``."""
    i = np.asarray(index, dtype=np.float64)
    if binned.span == 0:
        return np.full(i.shape, binned.lo, dtype=np.float64)
    return binned.lo + (i + 0.5) * binned.width


@dataclass(frozen=True)
class CountPlan:
    """The cells to count: raw keys, 0/1 threshold keys, binned and exact score columns."""

    keys: tuple[str, ...]
    thresholds: tuple[tuple[str, str, float], ...]  # (new key, score column, t): score >= t
    binned: tuple[BinnedScore, ...]
    exact: tuple[str, ...]
    score_order: tuple[str, ...]  # output order of the score columns (binned and exact)

    @property
    def group_columns(self) -> list[str]:
        """Output columns before the count, in output (and sort) order."""
        return [*self.keys, *(name for name, _, _ in self.thresholds), *self.score_order]

    @property
    def score_columns(self) -> list[str]:
        """The score columns read as numbers: binned, exact and thresholded (each once)."""
        return list(dict.fromkeys([*self.score_order, *(col for _, col, _ in self.thresholds)]))

    @property
    def source_columns(self) -> list[str]:
        """The columns an engine must read (each once)."""
        return list(dict.fromkeys([*self.keys, *self.score_columns]))


@dataclass(frozen=True)
class ScoreSummary:
    """First pass over a score column: rows that are missing/NaN or ±inf, and the range."""

    missing: int
    infinite: int
    lo: float
    hi: float


class Adapter(Protocol):
    """One engine over one source."""

    engine: str
    label: str  # how the source is named in messages

    def columns(self) -> list[str]: ...

    def rows(self) -> int | None: ...

    def summarize(self, columns: Sequence[str]) -> dict[str, ScoreSummary]: ...

    def count(self, plan: CountPlan) -> pd.DataFrame:
        """Columns ``plan.group_columns`` (binned scores as int64 indices) and ``COUNT``; a cell
        may appear more than once (partial counts are summed by :func:`finalize`)."""
        ...


def check_columns(adapter: Adapter, wanted: Mapping[str, Sequence[str]]) -> None:
    """Every named column exists; else a DataError naming the column, role and source."""
    have = adapter.columns()
    present = set(have)
    for role, cols in wanted.items():
        missing = [c for c in cols if c not in present]
        if missing:
            shown = ", ".join(map(str, have[:20])) + (
                f", ... ({len(have)} in all)" if len(have) > 20 else ""
            )
            raise DataError(
                f"{adapter.label}: {role} column(s) {', '.join(map(repr, missing))} not in the "
                f"data{did_you_mean(missing, have)} (columns: {shown})"
            )


def check_scores(adapter: Adapter, summaries: Mapping[str, ScoreSummary]) -> None:
    """Missing, NaN or infinite scores are an error: dropping them would bias every metric."""
    bad = [(c, s) for c, s in summaries.items() if s.missing or s.infinite]
    if bad:
        parts = [
            f"{c!r} has {s.missing} missing/NaN and {s.infinite} infinite value(s)" for c, s in bad
        ]
        raise DataError(
            f"{adapter.label}: score column {'; '.join(parts)}; scores cannot be guessed — "
            "fix or drop those rows before gating"
        )


def _sort_frame(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    try:
        return frame.sort_values(columns, na_position="last", kind="mergesort")
    except TypeError:  # a key column mixes types (str and int): order by type name, then text
        sort_keys = {
            c: frame[c].map(lambda v: (type(v).__name__, str(v)))
            if frame[c].dtype == object
            else frame[c]
            for c in columns
        }
        order = pd.DataFrame(sort_keys).sort_values(columns, na_position="last", kind="mergesort")
        return frame.loc[order.index]


def _plain_key(values: pd.Series) -> pd.Series:
    """One representation of a key column whichever engine produced it: what Arrow's
    ``to_pandas()`` gives. Nullable integers with missing values become float64 (NaN), nullable
    booleans with missing values become object (None), categoricals become their values."""
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return _plain_key(pd.Series(np.asarray(values), index=values.index, name=values.name))
    if isinstance(dtype, pd.api.extensions.ExtensionDtype) and dtype.kind in "iufb":
        has_na = bool(values.isna().any())
        if dtype.kind == "b":
            return (
                values.astype(object).where(values.notna(), None) if has_na else values.astype(bool)
            )
        if has_na or dtype.kind == "f":
            return values.astype(np.float64)
        return values.astype(dtype.numpy_dtype)
    return values


def finalize(partial: pd.DataFrame, plan: CountPlan, rows: int | None = None) -> pd.DataFrame:
    """Merge partial counts into one row per cell, map bin indices to representative values,
    and sort by the group columns (missing values last).

    Missing key values — ``None``, ``NaN``, ``NA``, ``NaT`` — are one group: engines differ on
    whether a float NaN equals a null (DuckDB and Spark keep them apart, pandas does not).
    """
    columns = plan.group_columns
    frame = partial.loc[:, [*columns, COUNT]].copy()
    for col in plan.keys:
        frame[col] = _plain_key(frame[col])
    for name, _, _ in plan.thresholds:
        frame[name] = frame[name].astype(np.int8)
    for b in plan.binned:
        frame[b.column] = frame[b.column].astype(np.int64)
    for col in plan.exact:
        frame[col] = frame[col].astype(np.float64)
    if columns:
        merged = (
            frame.groupby(columns, dropna=False, sort=False, observed=True)[COUNT]
            .sum()
            .reset_index()
        )
        merged = _sort_frame(merged, columns).reset_index(drop=True)
    else:
        merged = pd.DataFrame({COUNT: [int(frame[COUNT].sum())]})
    merged[COUNT] = merged[COUNT].astype(np.int64)
    for b in plan.binned:
        merged[b.column] = bin_values(merged[b.column].to_numpy(), b)
    merged = merged.loc[:, [*columns, COUNT]]
    merged.attrs["score_bins"] = {
        b.column: {"bins": b.bins, "lo": b.lo, "hi": b.hi, "width": b.width} for b in plan.binned
    }
    merged.attrs["rows"] = int(merged[COUNT].sum()) if rows is None else rows
    return merged


class Progress:
    """``label: 1,234,567 / 10,000,000 rows (12%)`` on stderr, at most twice a second.

    On only when asked (``enabled=True``) or, by default, when stderr is a terminal."""

    def __init__(self, label: str, total: int | None, enabled: bool | None) -> None:
        self.label = label
        self.total = total
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.done = 0
        self._last = 0.0

    def advance(self, rows: int) -> None:
        self.done += rows
        if self.enabled and time.monotonic() - self._last >= 0.5:
            self._last = time.monotonic()
            self._write()

    def _write(self) -> None:
        pct = f" ({100 * self.done / self.total:.0f}%)" if self.total else ""
        of = f" / {self.total:,}" if self.total else ""
        sys.stderr.write(f"\r{self.label}: {self.done:,}{of} rows{pct}")
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            self._write()
            sys.stderr.write("\n")
            sys.stderr.flush()


def float_literal(value: float) -> str:
    """A SQL literal that parses to exactly ``value`` (a bare ``0.1`` is a DECIMAL in DuckDB)."""
    if not math.isfinite(value):
        raise ValueError(f"not a finite float: {value!r}")
    return f"CAST('{value!r}' AS DOUBLE)"


def is_path(source: Any) -> bool:
    import os

    return isinstance(source, (str, os.PathLike))


def parquet_files(source: Any, engine: str) -> list[str]:
    """The Parquet file(s) behind a path: the file itself, or a folder's ``.parquet``/``.pq``
    files in name order (the same files :func:`~pytest_modelgate.inputs.loading.read_table`
    reads)."""
    from pathlib import Path

    from pytest_modelgate._paths import display_path

    path = Path(source)
    shown = display_path(path)
    if not path.exists():
        raise DataError(f"{shown}: data file does not exist (resolved to {path.resolve()})")
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in (".parquet", ".pq"))
        if not files:
            raise DataError(f"{shown}: folder holds no .parquet files")
        return [str(p) for p in files]
    if path.suffix.lower() in (".parquet", ".pq"):
        return [str(path)]
    raise DataError(
        f"{shown}: engine: {engine} reads Parquet (a .parquet file or a folder of them); "
        "convert the file, or use engine: memory"
    )
