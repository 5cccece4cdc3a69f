"""What a model's scores must be before they are evidence: real numbers, and class
probabilities that form a distribution on every row."""

from __future__ import annotations

from typing import Any

import numpy as np

from pytest_modelgate.errors import ModelError

__all__ = ["PROBABILITY_SUM_TOLERANCE", "real_scores", "require_distribution"]


#: how far a row of class probabilities may sum from 1 (absolute): float32 softmax rounding
#: stays below 1e-6; a model that is not a distribution (0.9 for every class) is far above.
PROBABILITY_SUM_TOLERANCE = 1e-3


def real_scores(values: Any, where: str, source: str) -> np.ndarray:
    """Scores as floats; complex values are refused (numpy would keep the real part silently)."""
    arr = np.asarray(values)
    if np.iscomplexobj(arr):
        example = complex(arr.flat[0]) if arr.size else complex(0)
        raise ModelError(
            f"{where}: {source} returned complex-valued scores (e.g. {example:.6g}); scores must "
            "be real numbers — the imaginary part is never dropped silently"
        )
    return np.asarray(arr, dtype=float)


def _rows_text(rows: np.ndarray, values: np.ndarray | None = None, name: str = "") -> str:
    shown = rows[:5].tolist()
    if values is None:
        return ", ".join(map(str, shown))
    return ", ".join(f"{i} ({name} {float(values[i]):.6g})" for i in shown)


def require_distribution(s: np.ndarray, where: str, source: str) -> None:
    """Each row of ``(n, K)`` class probabilities must be non-negative and sum to 1 within
    :data:`PROBABILITY_SUM_TOLERANCE`: log loss and Brier score read them as a distribution,
    and a model giving 0.9 to every class would pass ``log_loss <= 0.3``."""
    negative = (s < 0).any(axis=1)
    if negative.any():
        rows = np.flatnonzero(negative)
        raise ModelError(
            f"{where}: {source} gave negative probabilities in {rows.size} row(s) (first rows: "
            f"{_rows_text(rows)}; smallest {float(s.min()):.6g}); class probabilities must be "
            "in [0, 1] and sum to 1 — use predict_proba(), or normalise the scores (a softmax "
            "of decision values)"
        )
    sums = s.sum(axis=1)
    off = np.abs(sums - 1.0) > PROBABILITY_SUM_TOLERANCE
    if off.any():
        rows = np.flatnonzero(off)
        raise ModelError(
            f"{where}: {source}'s class probabilities do not sum to 1 in {rows.size} row(s) "
            f"(tolerance {PROBABILITY_SUM_TOLERANCE:g}; first rows: {_rows_text(rows, sums, 'sum')}"
            "); metrics of probabilities (log_loss, brier_score) would be meaningless — use "
            "predict_proba(), or normalise each row (divide by its sum, or a softmax of "
            "decision values)"
        )
