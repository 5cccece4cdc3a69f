"""``engine: memory`` — pandas ``groupby`` on a DataFrame held in memory (the reference)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from pytest_modelgate._paths import display_path
from pytest_modelgate.errors import DataError
from pytest_modelgate.inputs.engines._core import COUNT, CountPlan, ScoreSummary, bin_index, is_path

__all__ = ["MemoryAdapter", "score_array"]


def score_array(values: Any, column: str, label: str) -> np.ndarray:
    """A score column as float64 (missing → NaN); a DataError if it is not numeric."""
    series = values if isinstance(values, pd.Series) else pd.Series(values)
    if not (pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)):
        raise DataError(f"{label}: score column {column!r} must be numeric (got {series.dtype})")
    return series.to_numpy(dtype=np.float64, na_value=np.nan)


class MemoryAdapter:
    """A pandas DataFrame; a path is read with
    :func:`~pytest_modelgate.inputs.loading.read_table`."""

    engine = "memory"

    def __init__(self, source: Any) -> None:
        if isinstance(source, pd.DataFrame):
            self.frame = source
            self.label = "the DataFrame"
        elif is_path(source):
            from pathlib import Path

            from pytest_modelgate.inputs.loading import read_table

            self.frame = read_table(Path(source))
            self.label = display_path(source)
        elif hasattr(source, "to_pandas") and hasattr(source, "schema"):  # a pyarrow Table
            self.frame = source.to_pandas()
            self.label = "the Arrow table"
        else:
            raise TypeError(
                "engine: memory takes a pandas DataFrame, a pyarrow Table or a path to a "
                f".csv/.parquet file or a folder of .parquet files (got {type(source).__name__})"
            )
        self._scores: dict[str, np.ndarray] = {}

    def columns(self) -> list[str]:
        return [str(c) for c in self.frame.columns]

    def rows(self) -> int | None:
        return len(self.frame)

    def _score(self, column: str) -> np.ndarray:
        if column not in self._scores:
            self._scores[column] = score_array(self.frame[column], column, self.label)
        return self._scores[column]

    def summarize(self, columns: Sequence[str]) -> dict[str, ScoreSummary]:
        return {c: summarize_array(self._score(c)) for c in columns}

    def count(self, plan: CountPlan) -> pd.DataFrame:
        keys = {k: self.frame[k] for k in plan.keys}
        scores = {c: self._score(c) for c in plan.score_columns}
        return count_cells(keys, scores, plan, len(self.frame), index=self.frame.index)


def summarize_array(s: np.ndarray) -> ScoreSummary:
    nan = np.isnan(s)
    inf = np.isinf(s)
    finite = s[~(nan | inf)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (np.nan, np.nan)
    return ScoreSummary(int(nan.sum()), int(inf.sum()), lo, hi)


def count_cells(
    keys: dict[str, Any],
    scores: dict[str, np.ndarray],
    plan: CountPlan,
    n: int,
    index: Any = None,
) -> pd.DataFrame:
    """Partial counts of one block of rows: keys as given, scores as float64 arrays."""
    columns: dict[str, Any] = dict(keys)
    for name, col, t in plan.thresholds:
        columns[name] = (scores[col] >= t).astype(np.int8)
    for b in plan.binned:
        columns[b.column] = bin_index(scores[b.column], b)
    for col in plan.exact:
        columns[col] = scores[col]
    group = plan.group_columns
    if not group:
        return pd.DataFrame({COUNT: [n]})
    frame = pd.DataFrame(columns, index=index)
    return (
        frame.groupby(group, dropna=False, sort=False, observed=True)
        .size()
        .rename(COUNT)
        .reset_index()
    )
