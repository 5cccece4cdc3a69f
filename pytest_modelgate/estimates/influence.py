"""Per-row influence values of the estimates whose design-based variance is a linearisation.

A smooth statistic ``θ̂ = f(T)`` of weighted totals ``T`` (confusion cells, score-histogram
cells) has, to first order, ``θ̂ − θ ≈ Σ_rows w_i · ψ_i`` with ``ψ_i = ∂f/∂T`` at the cell of
row ``i``; summing ``w_i ψ_i`` per unit (cluster, or row) and taking the CR1 variance of those
sums (:func:`~pytest_modelgate.stats.cluster.linearised_variance`) gives the design variance.
A paired Δ between two models on the same rows is linearised by the difference of their
influence values, row by row, so the covariance of the two estimates — they share every
cluster — is in it without being estimated separately. Every function here is one vectorised
pass over the rows (the metrics are homogeneous of degree 0 in ``T``, so the influences sum to 0).

- confusion-count metrics (precision, f1, mcc, ...): the gradient of the registry's
  ``from_counts`` at the weighted confusion table (central differences on a ``K × K`` table);
- ROC AUC: the weighted DeLong placements (Obuchowski 1997), as the clustered AUC interval;
- average precision: the exact derivative of scikit-learn's step-wise AP in each distinct score,
  through two suffix sums — no ``cells × cells`` gradient matrix.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from pytest_modelgate.estimates.metrics import Metric
from pytest_modelgate.evidence.core import Evidence
from pytest_modelgate.stats.cluster import numerical_gradient

__all__ = ["ap_influence", "auc_influence", "count_influence", "design_weights"]


def design_weights(ev: Evidence) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``(w, f)``: each stored row's sampling weight (1 without ``sample_weight``) and its point
    weight ``w × frequency`` (what the point estimate sums)."""
    w = np.ones(ev.n_stored) if ev.sample_weight is None else ev.sample_weight
    f = w if ev.weight is None else w * ev.weight
    return np.asarray(w, np.float64), np.asarray(f, np.float64)


def count_influence(metric: Metric, ev: Evidence) -> tuple[float, NDArray[np.float64]]:
    """A confusion-count metric (weighted) and each stored row's influence ``w_i ψ_i``
    (``nan`` metric and zero influence where the metric is undefined, e.g. precision of a model
    that predicts no positive)."""
    assert metric.from_counts is not None and ev.y_pred is not None
    w, _ = design_weights(ev)
    k = len(ev.classes)
    totals = np.asarray(ev.counts, dtype=np.float64)  # weighted by the point weight
    with np.errstate(divide="ignore", invalid="ignore"):
        value = float(metric.from_counts(totals[None])[0])
    if not np.isfinite(value):
        return float("nan"), np.zeros(ev.n_stored)
    grad = numerical_gradient(metric.from_counts, totals).reshape(-1)
    return value, w * grad[ev.y_true * k + ev.y_pred]


def _distinct_codes(scores: NDArray[np.float64]) -> tuple[NDArray[np.int64], int]:
    _, code = np.unique(scores, return_inverse=True)
    code = np.asarray(code, np.int64).reshape(-1)
    return code, (int(code.max()) + 1 if code.size else 0)


def auc_influence(ev: Evidence, scores: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
    """Weighted ROC AUC (ties half) and each stored row's influence: a positive's
    ``(V10 − AUC)/m``, a negative's ``(V01 − AUC)/n`` with the weighted placements ``V`` and
    class weights ``m``, ``n`` — the structural components of DeLong (Obuchowski's clustered
    variance sums them per cluster)."""
    w, f = design_weights(ev)
    y_pos = ev.positives
    code, bins = _distinct_codes(scores)
    neg = np.bincount(code, weights=np.where(y_pos, 0.0, f), minlength=bins)
    pos = np.bincount(code, weights=np.where(y_pos, f, 0.0), minlength=bins)
    m, n = float(pos.sum()), float(neg.sum())
    if m <= 0 or n <= 0:
        return float("nan"), np.zeros(ev.n_stored)
    v10 = (np.cumsum(neg) - 0.5 * neg)[code] / n  # share of negatives below (ties half)
    v01 = (m - np.cumsum(pos) + 0.5 * pos)[code] / m  # share of positives above (ties half)
    auc = float((f * v10)[y_pos].sum() / m)
    return auc, np.where(y_pos, w * (v10 - auc) / m, w * (v01 - auc) / n)


def ap_influence(ev: Evidence, scores: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
    """Weighted average precision (scikit-learn's step-wise definition, tied scores one
    threshold) and each stored row's influence.

    With distinct scores in descending order ``k``, ``TP_k``/``FP_k`` the cumulative weights,
    ``D_k = TP_k + FP_k``, ``P`` the positives' weight and ``AP = Σ_k pos_k/P · TP_k/D_k``:

    - a positive at ``j``: ``(TP_j/D_j − AP)/P + Σ_{k ≥ j} pos_k/P · FP_k/D_k²``;
    - a negative at ``j``: ``−Σ_{k ≥ j} pos_k/P · TP_k/D_k²``.
    """
    w, f = design_weights(ev)
    y_pos = ev.positives
    code, bins = _distinct_codes(scores)
    desc = bins - 1 - code  # 0 = highest score
    pos = np.bincount(desc, weights=np.where(y_pos, f, 0.0), minlength=bins)
    neg = np.bincount(desc, weights=np.where(y_pos, 0.0, f), minlength=bins)
    p_total = float(pos.sum())
    if p_total <= 0:
        return float("nan"), np.zeros(ev.n_stored)
    tp, fp = np.cumsum(pos), np.cumsum(neg)
    d = tp + fp
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(d > 0, tp / d, 0.0)
        d2 = np.where(d > 0, d * d, 1.0)
    share = pos / p_total
    ap = float(share @ np.where(pos > 0, precision, 0.0))
    # suffix sums over k >= j (lower scores come later in the descending order)
    a = np.cumsum((share * fp / d2)[::-1])[::-1]
    b = np.cumsum((share * tp / d2)[::-1])[::-1]
    psi = np.where(y_pos, (precision[desc] - ap) / p_total + a[desc], -b[desc])
    return ap, w * psi
