"""Prediction churn against the baseline on the same rows (#19).

``negative_flip_rate`` is the share of rows the baseline predicts right and the candidate wrong
(the errors users notice after a release: "it used to get this one"), ``flip_rate`` the share of
rows whose predicted label changes at all. Both are proportions of the test rows: the flipped
rows are counted exactly, and the interval is Clopper–Pearson's — exact, each one-sided error at
most (1 − confidence)/2 at every n and rate, which matters here because churn rates sit near 0
where Wald and Wilson intervals undercover. The rows are paired by construction (both models
scored the same test rows), so no paired test is needed: the churn *is* a per-row event.

The estimate also returns which rows flipped, so the report can list them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pytest_modelgate.errors import DataError, ModelError
from pytest_modelgate.evidence.core import Evidence
from pytest_modelgate.results import MetricResult
from pytest_modelgate.stats import Interval, clopper_pearson_interval

__all__ = ["CHURN_METRICS", "ChurnEstimate", "churn_estimate", "flipped_rows"]

CHURN_METRICS = ("negative_flip_rate", "flip_rate")


@dataclass(frozen=True)
class ChurnEstimate:
    """The churn rate with its interval, and the flipped rows (positions in the evidence)."""

    result: MetricResult
    flipped: np.ndarray
    positive_flips: int  # rows the baseline got wrong and the candidate right


def _labels(ev: Evidence, role: str, name: str) -> np.ndarray:
    if ev.y_pred is None:
        raise ModelError(
            f"{ev.source}: {name} compares predicted labels, but the {role} gave only scores; "
            "set models.threshold to turn scores into labels"
        )
    return ev.y_pred


def flipped_rows(name: str, cand: Evidence, base: Evidence) -> tuple[np.ndarray, int]:
    """Mask of the rows counted by ``name``, and the number of positive flips."""
    c, b = _labels(cand, "candidate", name), _labels(base, "baseline", name)
    y = cand.y_true
    positive = int(np.count_nonzero((b != y) & (c == y)))
    if name == "negative_flip_rate":
        return (b == y) & (c != y), positive
    if name == "flip_rate":
        return c != b, positive
    raise KeyError(name)  # pragma: no cover - the registry names only these two


def churn_estimate(name: str, cand: Evidence, base: Evidence, level: float) -> ChurnEstimate:
    """``name`` (one of :data:`CHURN_METRICS`) on the rows both models predicted, with its
    Clopper–Pearson interval."""
    if cand.has_design:
        from pytest_modelgate.estimates.clustered import design_not_supported

        raise DataError(design_not_supported(cand, name))
    for ev in (cand, base):
        ev.require_rows(name, "it lists the rows whose prediction flipped")
    if cand.n_stored != base.n_stored:
        raise ValueError("churn needs both models' predictions on the same rows")  # guarded
    mask, positive = flipped_rows(name, cand, base)
    count, n = int(np.count_nonzero(mask)), cand.n
    value = count / n if n else float("nan")
    interval = (
        clopper_pearson_interval(count, n, level)
        if n
        else Interval(float("nan"), float("nan"), level, "clopper-pearson")
    )
    if name == "negative_flip_rate":
        note = (
            f"{count} negative flip(s) (baseline right, candidate wrong) and {positive} "
            "positive flip(s) (baseline wrong, candidate right)"
        )
    else:
        note = f"{count} row(s) whose predicted label changed"
    return ChurnEstimate(
        MetricResult(
            name,
            value,
            interval,
            n,
            note=note,
            support=n,
            support_label="rows",
        ),
        np.flatnonzero(mask),
        positive,
    )
