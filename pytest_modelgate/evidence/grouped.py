"""Grouped evidence: a GROUP BY's cells (one row per distinct cell, with its row count) encoded
exactly as :func:`~pytest_modelgate.evidence.core.build_evidence` encodes rows, and
:func:`compress`, which turns row evidence into cells (the equivalence proofs use it)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from pytest_modelgate.errors import DataError
from pytest_modelgate.evidence.core import (
    COUNT_COLUMN,
    Evidence,
    build_evidence,
    weighted_bincount,
)

__all__ = ["Compressed", "build_grouped_evidence", "compress", "confusion_cells"]


def _column_without_nulls(frame: pd.DataFrame, column: str, weight: np.ndarray, what: str) -> Any:
    values = frame[column]
    missing = values.isna().to_numpy()
    if missing.any():
        raise DataError(f"{what} has {int(weight[missing].sum())} missing value(s)")
    return values


def build_grouped_evidence(
    frame: pd.DataFrame,
    *,
    target: str,
    predictions: str | None,
    scores: str | None,
    task: str,
    positive_label: Any,
    threshold: float | None,
    where: str,
    source: str,
    predicted_key: str | None = None,
    score_bins: int | None = None,
    engine: str | None = None,
    count_column: str = COUNT_COLUMN,
) -> Evidence:
    """Weighted evidence from a grouped table: one row per distinct cell and its row count.

    Parameters
    ----------
    frame : the grouped table (``pytest_modelgate.group_counts``): the key columns under
        their original names, each score column replaced by its bin's representative value, and
        the int64 frequency column ``count_column``.
    target, predictions, scores : the label column and the model's prediction/score columns.
    task, positive_label, threshold, where : as for :func:`build_evidence`; the labels are
        encoded by :func:`build_evidence` itself, so classes, the positive label and every
        message are those of the row-level path.
    source : the predictions' description, for messages.
    predicted_key : a 0/1 column ``score >= threshold`` computed by the engine on the raw score
        before binning; it replaces the thresholding of (binned) scores.
    score_bins : the number of equal-width bins the scores went through (``None``: exact).
    engine : the engine's name, for messages.

    Raises
    ------
    DataError
        Missing labels or predictions (the count of rows, not of cells, is reported), or a
        frequency column that is not a positive integer.
    """
    from pytest_modelgate.inputs.loading import Predictions

    if count_column not in frame.columns:
        raise DataError(f"{where}: the grouped table has no {count_column!r} column")
    raw = frame[count_column].to_numpy()
    if raw.size and (not np.issubdtype(raw.dtype, np.integer) or raw.min() < 1):
        raise DataError(f"{where}: {count_column!r} must hold positive integer row counts")
    weight = raw.astype(np.int64)
    y = _column_without_nulls(
        frame, target, weight, f"{where}: target column {target!r}"
    ).reset_index(drop=True)
    labels = score_values = None
    if predictions is not None:
        labels = _column_without_nulls(
            frame, predictions, weight, f"{where}: prediction column {predictions!r}"
        ).to_numpy()
    if scores is not None:
        score_values = _column_without_nulls(
            frame, scores, weight, f"{where}: score column {scores!r}"
        ).to_numpy(dtype=float)
    if threshold is not None and predicted_key is None and score_bins is not None:
        raise ValueError(
            "a threshold on binned scores is inexact: compute it on the raw scores (thresholds=)"
        )
    preds = Predictions(
        labels, score_values, None, "column" if score_values is not None else None, source
    )
    ev = build_evidence(y, preds, task, positive_label, None if predicted_key else threshold, where)
    y_pred = ev.y_pred
    if predicted_key is not None:
        y_pred = frame[predicted_key].to_numpy().astype(np.int64)
    return replace(ev, y_pred=y_pred, weight=weight, score_bins=score_bins, engine=engine)


@dataclass(frozen=True)
class Compressed:
    """In-memory evidence compressed to its distinct cells (see :func:`compress`).

    Attributes
    ----------
    evidence : one weighted evidence per input, all on the same cells (so paired comparisons
        between them stay paired).
    keys : the extra key columns, one row per cell (empty without keys).
    inverse : the cell of each input row.
    """

    evidence: tuple[Evidence, ...]
    keys: pd.DataFrame
    inverse: np.ndarray


def compress(*evidence: Evidence, keys: pd.DataFrame | None = None) -> Compressed:
    """Group rows that agree on every label, prediction, score and key column.

    The in-memory counterpart of an engine's GROUP BY: rows with the same (label, predicted
    label, score) for every given evidence and the same values of ``keys`` (slice and sensitive
    columns; missing values form their own cell) become one weighted row. Already-weighted input
    is merged further. Scores are grouped on their exact values (no binning).
    """
    if not evidence:
        raise ValueError("compress needs at least one Evidence")
    n = evidence[0].n_stored
    columns: dict[str, np.ndarray] = {}
    for i, ev in enumerate(evidence):
        if ev.n_stored != n:
            raise ValueError("every evidence must be on the same rows")
        if i and not np.array_equal(ev.frequencies, evidence[0].frequencies):
            raise ValueError("every evidence must carry the same weights")
        columns[f"y{i}"] = ev.y_true
        if ev.y_pred is not None:
            columns[f"p{i}"] = ev.y_pred
        if ev.scores is not None:
            s = np.asarray(ev.scores).reshape(n, -1)
            for j in range(s.shape[1]):
                columns[f"s{i}_{j}"] = s[:, j]
    table = pd.DataFrame(columns)
    key_frame = pd.DataFrame(index=range(n))
    if keys is not None:
        if len(keys) != n:
            raise ValueError(f"keys has {len(keys)} rows, the evidence {n}")
        key_frame = keys.reset_index(drop=True)
        for j, c in enumerate(key_frame.columns):
            table[f"k{j}"] = key_frame[c].to_numpy()
    inverse = table.groupby(list(table.columns), sort=False, dropna=False).ngroup().to_numpy()
    _, first = np.unique(inverse, return_index=True)
    weight = weighted_bincount(inverse, evidence[0].weight, first.size)
    out = tuple(replace(ev.subset(first), weight=weight) for ev in evidence)
    return Compressed(out, key_frame.iloc[first].reset_index(drop=True), inverse.astype(np.int64))


def confusion_cells(ev: Evidence, rows: np.ndarray) -> Evidence:
    """``ev`` on ``rows`` as its confusion cells: one stored row per non-empty (label,
    predicted label) cell, weighted by its count — all a confusion-count metric reads, in
    ``k²`` stored rows instead of a copy of the slice's rows kept for the session (#16).

    Only for evidence with predicted labels and no sampling design; the counts, hence every
    count metric and its interval, are those of ``ev.subset(rows)``."""
    assert ev.y_pred is not None and not ev.has_design
    k = len(ev.classes)
    codes = ev.y_true[rows] * k + ev.y_pred[rows]
    counts = weighted_bincount(codes, None if ev.weight is None else ev.weight[rows], k * k)
    present = np.flatnonzero(counts)
    return Evidence(
        ev.task,
        ev.classes,
        (present // k).astype(np.int64),
        (present % k).astype(np.int64),
        None,
        None,
        ev.source,
        counts[present],
        ev.score_bins,
        ev.engine,
    )
