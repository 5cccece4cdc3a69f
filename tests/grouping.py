"""A pandas stand-in for ``pytest_modelgate.inputs.engines.group_counts`` (the engines are another
branch): the same output shape, computed with one ``groupby``.

One row per distinct cell: the key columns under their original names (raw values, nulls kept as
a group), each score column replaced by its bin's representative value (the bin's midpoint on
``K`` equal-width bins over the column's [min, max]; exact values for ``None``), the 0/1
``thresholds`` keys computed on the raw scores before binning, and an int64 ``__count__``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

COUNT = "__count__"


def bin_scores(values: pd.Series, bins: int) -> pd.Series:
    s = values.astype(float)
    lo, hi = float(s.min()), float(s.max())
    if hi == lo:
        return s
    width = (hi - lo) / bins
    index = np.clip(np.floor((s.to_numpy() - lo) / width), 0, bins - 1)
    return pd.Series(lo + (index + 0.5) * width, index=s.index)


def group_counts(
    source: Any,
    keys: Sequence[str],
    scores: Mapping[str, int | None],
    *,
    engine: str = "pandas",
    thresholds: Mapping[str, tuple[str, float]] | None = None,
    batch_rows: int = 1_000_000,
    progress: bool | None = None,
) -> pd.DataFrame:
    if isinstance(source, pd.DataFrame):
        frame = source
    else:
        from pytest_modelgate.inputs.loading import read_table

        frame = read_table(Path(source))
    work = pd.DataFrame(index=frame.index)
    for k in keys:
        work[k] = frame[k]
    for col, k_bins in scores.items():
        work[col] = frame[col].astype(float) if k_bins is None else bin_scores(frame[col], k_bins)
    for new, (col, t) in (thresholds or {}).items():
        work[new] = (frame[col].astype(float) >= t).astype(np.int64)
    grouped = work.groupby(list(work.columns), dropna=False, sort=False).size()
    out = grouped.rename(COUNT).reset_index()
    out[COUNT] = out[COUNT].astype(np.int64)
    return out
