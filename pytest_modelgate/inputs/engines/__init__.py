"""Sufficient statistics computed by an engine: one ``GROUP BY`` instead of rows in Python.

When predictions are already columns of a table, everything the gates need is a count per cell
(target, prediction, slice columns, binned scores). :func:`group_counts` asks an engine for those
counts; the rows never leave the engine.

========  ==================================================================  ==============
engine    reads                                                               install
========  ==================================================================  ==============
memory    a pandas DataFrame (or a .csv/.parquet path read into one)          —
stream    Parquet file/folder or pyarrow Dataset, in record batches           ``[parquet]``
duckdb    Parquet file/folder, DuckDB relation, DataFrame, Arrow table        ``[duckdb]``
spark     Spark DataFrame, catalog table name, Parquet file/folder            ``[spark]``
========  ==================================================================  ==============

Every engine returns the same table, bit for bit: engines compute only integer bin indices with
one formula (see :func:`bin_index`), and the merge, the representative values and the row order
are computed once, in pandas, by the same code.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

import pandas as pd

from pytest_modelgate.inputs.engines._core import (
    COUNT,
    Adapter,
    BinnedScore,
    CountPlan,
    bin_index,
    bin_values,
    check_columns,
    check_scores,
    finalize,
    not_installed,
)

__all__ = [
    "COUNT",
    "ENGINES",
    "BinnedScore",
    "bin_index",
    "bin_values",
    "group_counts",
    "missing_dependency",
]

_ENGINE_MODULES = {"stream": "pyarrow", "duckdb": "duckdb", "spark": "pyspark"}


def missing_dependency(engine: str) -> str | None:
    """Why ``engine`` cannot run here (its optional dependency is not installed, with the pip
    command), or ``None``. Checked before any gate runs, without importing the module."""
    import importlib.util

    module = _ENGINE_MODULES.get(engine)
    if module is None or importlib.util.find_spec(module) is not None:
        return None
    return not_installed(module, engine)


ENGINES = ("memory", "stream", "duckdb", "spark")

_NO_THRESHOLDS: Mapping[str, tuple[str, float]] = MappingProxyType({})


def _iv(
    keys: Sequence[str],
    scores: Mapping[str, int | None],
    engine: str,
    thresholds: Mapping[str, tuple[str, float]],
    batch_rows: int,
) -> tuple[tuple[str, ...], dict[str, int | None], tuple[tuple[str, str, float], ...]]:
    """Validate and standardise the arguments (programming errors → ValueError/TypeError)."""
    if engine not in ENGINES:
        raise ValueError(f"`engine` must be one of {', '.join(ENGINES)} (got {engine!r})")
    if isinstance(keys, str):
        raise TypeError(f"`keys` must be a sequence of column names, not a string ({keys!r})")
    key_tuple = tuple(keys)
    if len(set(key_tuple)) != len(key_tuple):
        raise ValueError(f"`keys` names a column twice: {list(key_tuple)}")
    score_map: dict[str, int | None] = {}
    for col, bins in scores.items():
        if bins is not None and (
            isinstance(bins, bool) or not isinstance(bins, numbers.Integral) or bins < 1
        ):
            raise ValueError(
                f"`scores[{col!r}]` must be a positive number of bins or None (got {bins!r})"
            )
        score_map[col] = None if bins is None else int(bins)
    both = sorted(set(key_tuple) & set(score_map))
    if both:
        raise ValueError(f"column(s) {both} are both in `keys` and in `scores`")
    threshold_list: list[tuple[str, str, float]] = []
    for name, spec in thresholds.items():
        col, t = spec
        if isinstance(t, bool) or not isinstance(t, numbers.Real) or not math.isfinite(t):
            raise ValueError(f"`thresholds[{name!r}]` needs a finite number (got {t!r})")
        if name in key_tuple or name in score_map or name == COUNT:
            raise ValueError(f"`thresholds` key {name!r} clashes with a key or score column")
        threshold_list.append((name, col, float(t)))
    if COUNT in key_tuple or COUNT in score_map:
        raise ValueError(f"{COUNT!r} is the count column; rename the data column")
    if isinstance(batch_rows, bool) or not isinstance(batch_rows, numbers.Integral):
        raise TypeError(f"`batch_rows` must be a positive integer (got {batch_rows!r})")
    if batch_rows < 1:
        raise ValueError(f"`batch_rows` must be a positive integer (got {batch_rows!r})")
    return key_tuple, score_map, tuple(threshold_list)


def _adapter(source: Any, engine: str, batch_rows: int, progress: bool | None) -> Adapter:
    if engine == "memory":
        from pytest_modelgate.inputs.engines._memory import MemoryAdapter

        return MemoryAdapter(source)
    if engine == "stream":
        from pytest_modelgate.inputs.engines._stream import StreamAdapter

        return StreamAdapter(source, batch_rows, progress)
    if engine == "duckdb":
        from pytest_modelgate.inputs.engines._duckdb import DuckDBAdapter

        return DuckDBAdapter(source, progress)
    from pytest_modelgate.inputs.engines._spark import SparkAdapter

    return SparkAdapter(source)


def group_counts(
    source: Any,
    keys: Sequence[str],
    scores: Mapping[str, int | None],
    *,
    engine: str,
    thresholds: Mapping[str, tuple[str, float]] = _NO_THRESHOLDS,
    batch_rows: int = 1_000_000,
    progress: bool | None = None,
) -> pd.DataFrame:
    """Count the rows of ``source`` per distinct cell of keys, threshold keys and binned scores.

    Parameters
    ----------
    source
        What the engine reads (see the module docstring): a DataFrame, a path to a Parquet file
        or a folder of Parquet files, a DuckDB relation, a Spark DataFrame or table name ...
    keys
        Columns grouped on their raw values. Missing values (``None``, ``NaN``) form one group of
        their own; they are never dropped.
    scores
        ``{column: bins}``: the column is cut into ``bins`` equal-width bins over its observed
        ``[min, max]`` (a first pass finds them) and replaced by the bin's midpoint;
        ``{column: None}`` keeps the exact values (as float64).
    engine
        ``memory``, ``stream``, ``duckdb`` or ``spark``.
    thresholds
        ``{new_key: (score_column, t)}``: an extra int8 0/1 key, ``score >= t`` on the *raw*
        score (before binning), e.g. the predicted label of a binary classifier.
    batch_rows
        ``stream`` only: rows per record batch; memory is bounded by a few batches.
    progress
        ``stream``: a progress line on stderr for each pass; ``None`` (default) shows it when
        stderr is a terminal. ``duckdb``: DuckDB's own progress bar, only when ``True``.

    Returns
    -------
    pandas.DataFrame
        One row per cell: the ``keys`` columns, the threshold keys (int8), the score columns
        (float64 representative values) and ``__count__`` (int64), sorted by those columns in
        that order, missing values last. ``.attrs["score_bins"]`` holds ``{column: {"bins",
        "lo", "hi", "width"}}`` for each binned score (a midpoint is at most ``width / 2`` from
        any score in its bin) and ``.attrs["rows"]`` the number of rows.

    Raises
    ------
    DataError
        A column is missing (with a did-you-mean), a score column is not numeric or holds
        missing, NaN or infinite values (with their counts), the source cannot be read, or the
        engine's optional dependency is not installed (with the pip command).
    ValueError, TypeError
        Invalid arguments (unknown engine, non-positive bins, clashing names).

    Notes
    -----
    The bin of a score ``s`` in a column with range ``[lo, hi]`` is
    ``min(floor(((s - lo) / (hi - lo)) * bins), bins - 1)`` (0 when ``hi == lo``), evaluated in
    IEEE double precision in the same order by every engine; its representative value is
    ``lo + (i + 0.5) * (hi - lo) / bins``, computed from the index in one place. The observed
    range (not [0, 1]) is used for every score, probabilities included: it needs no knowledge of
    the score's kind, and scores that fill a narrow part of [0, 1] keep their resolution.
    """
    key_tuple, score_map, threshold_list = _iv(keys, scores, engine, thresholds, batch_rows)
    adapter = _adapter(source, engine, int(batch_rows), progress)
    check_columns(
        adapter,
        {
            "key": key_tuple,
            "score": [*score_map, *(col for _, col, _ in threshold_list)],
        },
    )
    numeric = list(dict.fromkeys([*score_map, *(col for _, col, _ in threshold_list)]))
    summaries = adapter.summarize(numeric) if numeric else {}
    check_scores(adapter, summaries)
    binned = []
    for col, bins in score_map.items():
        if bins is not None:
            s = summaries[col]
            lo, hi = (s.lo, s.hi) if math.isfinite(s.lo) else (0.0, 0.0)  # no rows
            binned.append(BinnedScore(col, bins, lo, hi))
    plan = CountPlan(
        keys=key_tuple,
        thresholds=threshold_list,
        binned=tuple(binned),
        exact=tuple(c for c, b in score_map.items() if b is None),
        score_order=tuple(score_map),
    )
    return finalize(adapter.count(plan), plan)
