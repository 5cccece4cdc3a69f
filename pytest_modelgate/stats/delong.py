"""ROC AUC with DeLong variance, by the fast midrank algorithm of Sun & Xu (2014).

DeLong's structural components are, for each positive, the fraction of negatives it
out-scores (ties count one half), and vice versa. Sun & Xu show that both follow from
midranks, so the whole computation is one sort per score vector: O(N log N) instead of O(m·n).

With frequency weights (grouped data: each stored row stands for ``w`` identical rows) the
structural components come from weighted per-class score histograms instead of ranks: a
positive's component is the weighted share of negatives below its score plus half of those tied
with it, which is exactly its midrank placement on the expanded rows. Means and ``ddof=1``
(co)variances are then frequency-weighted, so the result equals the unweighted computation on the
expanded rows (up to rounding) at O(cells log cells) cost.

References
----------
DeLong, DeLong & Clarke-Pearson (1988), Biometrics 44(3), 837-845.
Sun & Xu (2014), IEEE Signal Processing Letters 21(11), 1389-1393.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

__all__ = [
    "delong_auc_variance",
    "delong_difference_test",
    "delong_from_codes",
    "delong_paired",
    "midrank",
]


def midrank(x: ArrayLike) -> NDArray[np.float64]:
    """Return 1-based midranks of a 1-D array (tied values share their average rank).

    Parameters
    ----------
    x : array_like, shape (n,)
        Values to rank. NaNs are treated as equal to each other and larger than every number.

    Returns
    -------
    ndarray of float64, shape (n,)
        Same as ``scipy.stats.rankdata(x, method="average")``.

    Notes
    -----
    A tie group of size ``c`` whose last member sits at sorted position ``e`` (1-based)
    occupies ranks ``e-c+1 .. e``, whose mean is ``e - (c-1)/2``. ``np.unique`` gives each
    value's group and group sizes in one sort, so no per-element loop is needed.
    """
    values = np.asarray(x)
    if values.ndim != 1:
        raise ValueError(f"midrank expects a 1-D array, got shape {values.shape}")
    if values.size == 0:
        return np.empty(0, dtype=np.float64)
    _, group, sizes = np.unique(values, return_inverse=True, return_counts=True)
    group_end = np.cumsum(sizes)
    group_midrank = group_end - 0.5 * (sizes - 1)
    return group_midrank[group.reshape(-1)].astype(np.float64, copy=False)


def _validate(y_true: ArrayLike, scores: ArrayLike) -> tuple[NDArray[np.bool_], NDArray]:
    labels = np.asarray(y_true)
    score_matrix = np.asarray(scores, dtype=np.float64)
    if labels.ndim != 1:
        raise ValueError(f"y_true must be 1-D, got shape {labels.shape}")
    if labels.dtype != np.bool_:
        unique = np.unique(labels)
        if not np.all(np.isin(unique, [0, 1])):
            raise ValueError("y_true must be boolean or contain only 0/1")
        labels = labels.astype(bool)
    if score_matrix.shape[-1] != labels.shape[0]:
        raise ValueError(
            f"scores have {score_matrix.shape[-1]} rows but y_true has {labels.shape[0]}"
        )
    if np.isnan(score_matrix).any():
        # A NaN score has no place in the ordering that defines AUC; refuse rather than
        # silently rank it above everything.
        raise ValueError("scores contain NaN")
    return labels, score_matrix


def _placements_from_codes(
    labels: NDArray[np.bool_], codes: NDArray[np.integer], m: int, n: int
) -> tuple[float, NDArray[np.float64], NDArray[np.float64]]:
    """AUC, V10 (m,) and V01 (n,) of one score vector from its dense rank codes.

    ``codes`` is each row's index among the distinct scores, ascending (the inverse of
    ``np.unique``): one sort, done by the caller (and cached on the evidence). A tie group's
    midrank within any subset of rows is ``(rows of the subset up to and including the group)
    - (its rows in the group - 1) / 2`` (Sun & Xu), so a positive's pooled minus within-class
    midrank is ``negatives below + half the tied negatives``, read from per-class ``bincount``s
    of the codes. Every such value is an exact half-integer, so V10, V01 and the AUC equal, bit for
    bit, the three-sort computation (pooled, positive and negative midranks).
    """
    size = int(codes.max()) + 1 if codes.size else 0
    positives = np.bincount(codes[labels], minlength=size)
    negatives = np.bincount(codes[~labels], minlength=size)
    below_or_tied_neg = np.cumsum(negatives) - 0.5 * negatives
    below_or_tied_pos = np.cumsum(positives) - 0.5 * positives
    # the positives' pooled midranks sum to the Mann–Whitney U + m(m+1)/2 (exact half-integers)
    pooled_mid = np.cumsum(positives + negatives) - 0.5 * (positives + negatives - 1)
    auc = (float(positives @ pooled_mid) - m * (m + 1) / 2.0) / (m * n)
    v10 = below_or_tied_neg[codes[labels]] / n
    v01 = 1.0 - below_or_tied_pos[codes[~labels]] / m
    return auc, v10, v01


def _dense_codes(scores: NDArray[np.float64]) -> NDArray[np.intp]:
    """Each value's index among the distinct values, ascending (one sort)."""
    return np.unique(scores, return_inverse=True)[1].reshape(-1)


def _structural_components(
    labels: NDArray[np.bool_], codes: Sequence[NDArray[np.integer]]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """AUCs, V10 (k, m) and V01 (k, n) for k score vectors (as rank codes); requires m, n >= 1."""
    m = int(labels.sum())
    n = labels.size - m
    # k is the number of classifiers compared (1 or 2), never the number of rows.
    parts = [_placements_from_codes(labels, c, m, n) for c in codes]
    auc = np.array([p[0] for p in parts])
    return auc, np.stack([p[1] for p in parts]), np.stack([p[2] for p in parts])


def _check_weights(weights: ArrayLike, n_rows: int) -> NDArray[np.float64]:
    w = np.asarray(weights)
    if w.shape != (n_rows,):
        raise ValueError(f"weights must have shape ({n_rows},), got {w.shape}")
    if not np.all(np.isfinite(w)) or np.any(w < 0) or np.any(w != np.round(w)):
        raise ValueError("weights must be non-negative integers (row frequencies)")
    return w.astype(np.float64)


def _weighted_placements(
    labels: NDArray[np.bool_], scores: NDArray[np.float64], w: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Placement of every stored row against the other class, from weighted histograms:
    positives' share of negatives below (ties half), negatives' share of positives above."""
    _, code = np.unique(scores, return_inverse=True)
    code = code.reshape(-1)
    bins = int(code.max()) + 1
    neg = np.bincount(code, weights=np.where(labels, 0.0, w), minlength=bins)
    pos = np.bincount(code, weights=np.where(labels, w, 0.0), minlength=bins)
    m, n = pos.sum(), neg.sum()
    neg_below = np.cumsum(neg) - neg
    pos_above = m - np.cumsum(pos)
    v10 = (neg_below[code] + 0.5 * neg[code]) / n
    v01 = (pos_above[code] + 0.5 * pos[code]) / m
    return v10, v01


def _weighted_cov(x: NDArray[np.float64], w: NDArray[np.float64]) -> NDArray[np.float64]:
    """``np.cov(x, ddof=1)`` of the rows of ``x`` (k, cells) repeated ``w`` times."""
    total = w.sum()
    centred = x - (x @ w / total)[:, None]
    return np.asarray((centred * w) @ centred.T / (total - 1.0))


def _weighted_delong_covariance(
    labels: NDArray[np.bool_], score_matrix: NDArray[np.float64], w: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    k = score_matrix.shape[0]
    keep = w > 0
    labels, score_matrix, w = labels[keep], score_matrix[:, keep], w[keep]
    m = float(w[labels].sum())
    n = float(w[~labels].sum())
    if m == 0 or n == 0:
        return np.full(k, np.nan), np.full((k, k), np.nan)
    placements = [_weighted_placements(labels, score_matrix[i], w) for i in range(k)]
    v10 = np.stack([p[0][labels] for p in placements])
    v01 = np.stack([p[1][~labels] for p in placements])
    auc = v10 @ w[labels] / m
    if m < 2 or n < 2:
        return auc, np.full((k, k), np.nan)
    cov = _weighted_cov(v10, w[labels]) / m + _weighted_cov(v01, w[~labels]) / n
    return auc, cov


def _delong_covariance(
    y_true: ArrayLike, scores: ArrayLike, weights: ArrayLike | None = None
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    labels, score_matrix = _validate(y_true, scores)
    score_matrix = np.atleast_2d(score_matrix)
    if weights is not None:
        w = _check_weights(weights, labels.shape[0])
        return _weighted_delong_covariance(labels, score_matrix, w)
    return _covariance_from_codes(labels, [_dense_codes(row) for row in score_matrix])


def _covariance_from_codes(
    labels: NDArray[np.bool_], codes: Sequence[NDArray[np.integer]]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    k = len(codes)
    m = int(labels.sum())
    n = labels.size - m
    if m == 0 or n == 0:
        return np.full(k, np.nan), np.full((k, k), np.nan)
    auc, v10, v01 = _structural_components(labels, codes)
    if m < 2 or n < 2:
        return auc, np.full((k, k), np.nan)
    cov = np.cov(v10, ddof=1).reshape(k, k) / m + np.cov(v01, ddof=1).reshape(k, k) / n
    return auc, cov


def delong_from_codes(
    y_true: ArrayLike, codes: Sequence[ArrayLike]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """AUCs and DeLong covariance of ``k`` score vectors given as rank codes (no sort).

    Parameters
    ----------
    y_true : array_like of bool or {0, 1}, shape (N,)
        True labels shared by the score vectors.
    codes : sequence of k int arrays, shape (N,)
        Each score vector's dense rank codes: row ``i`` holds the index of its score among the
        vector's distinct scores, ascending (``np.unique(scores, return_inverse=True)[1]``;
        :attr:`pytest_modelgate.evidence.core.Evidence.score_codes` caches them).

    Returns
    -------
    aucs : ndarray, shape (k,)
    covariance : ndarray, shape (k, k)
        Identical (bit for bit) to :func:`delong_paired` (k = 2) or :func:`delong_auc_variance`
        (k = 1) on the scores the codes come from.
    """
    labels = np.asarray(y_true)
    if labels.dtype != np.bool_:
        labels = labels.astype(bool)
    arrays = [np.asarray(c).reshape(-1) for c in codes]
    if any(c.shape != labels.shape for c in arrays):
        raise ValueError("every code array must have one entry per label")
    return _covariance_from_codes(labels, arrays)


def delong_auc_variance(
    y_true: ArrayLike, scores: ArrayLike, weights: ArrayLike | None = None
) -> tuple[float, float]:
    """ROC AUC and its DeLong variance.

    Parameters
    ----------
    y_true : array_like of bool or {0, 1}, shape (N,)
        True labels; ``True`` marks a positive.
    scores : array_like of float, shape (N,)
        Scores, higher meaning more likely positive. Ties are allowed; NaN is rejected.
    weights : array_like of int, shape (N,), optional
        Row frequencies (grouped data): row ``i`` stands for ``weights[i]`` identical rows.
        The result equals the unweighted one on the expanded rows.

    Returns
    -------
    auc : float
        Equal to ``sklearn.metrics.roc_auc_score(y_true, scores)``; ``nan`` if either class
        is empty.
    variance : float
        ``var(V10, ddof=1)/m + var(V01, ddof=1)/n`` for ``m`` positives and ``n``
        negatives; ``nan`` unless both classes have at least two members.
    """
    labels, score_matrix = _validate(y_true, scores)
    if score_matrix.ndim != 1:
        raise ValueError(f"scores must be 1-D, got shape {score_matrix.shape}")
    auc, cov = _delong_covariance(labels, score_matrix[None, :], weights)
    return float(auc[0]), float(cov[0, 0])


def delong_paired(
    y_true: ArrayLike,
    scores_a: ArrayLike,
    scores_b: ArrayLike,
    weights: ArrayLike | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """AUCs of two score vectors on the same rows and their DeLong covariance matrix.

    Parameters
    ----------
    y_true : array_like of bool or {0, 1}, shape (N,)
        True labels shared by both models.
    scores_a, scores_b : array_like of float, shape (N,)
        Scores of the two models for the same rows in the same order.
    weights : array_like of int, shape (N,), optional
        Row frequencies shared by both models (see :func:`delong_auc_variance`).

    Returns
    -------
    aucs : ndarray, shape (2,)
        ``[auc_a, auc_b]``.
    covariance : ndarray, shape (2, 2)
        DeLong covariance; the off-diagonal term is what makes a paired comparison much
        tighter than two independent intervals when the models are correlated.
    """
    a = np.asarray(scores_a, dtype=np.float64)
    b = np.asarray(scores_b, dtype=np.float64)
    if a.ndim != 1 or a.shape != b.shape:
        raise ValueError("scores_a and scores_b must be 1-D arrays of the same length")
    return _delong_covariance(y_true, np.stack([a, b]), weights)


def delong_difference_test(
    y_true: ArrayLike,
    scores_a: ArrayLike,
    scores_b: ArrayLike,
    weights: ArrayLike | None = None,
) -> tuple[float, float, float]:
    """Paired DeLong z-test of ``AUC_a - AUC_b = 0``.

    Parameters
    ----------
    y_true : array_like of bool or {0, 1}, shape (N,)
        True labels shared by both models.
    scores_a, scores_b : array_like of float, shape (N,)
        Scores of the two models for the same rows.
    weights : array_like of int, shape (N,), optional
        Row frequencies shared by both models (see :func:`delong_auc_variance`).

    Returns
    -------
    delta : float
        ``auc_a - auc_b``.
    se : float
        ``sqrt(var_a + var_b - 2 cov_ab)``.
    p_value : float
        Two-sided normal p-value. When the estimated variance is exactly zero the z
        statistic is taken at its limit: ``p = 1`` if ``delta == 0`` and ``p = 0`` otherwise.
        Undefined inputs (a class with fewer than two rows) give ``nan``.
    """
    return difference_from_covariance(*delong_paired(y_true, scores_a, scores_b, weights))


def difference_from_covariance(
    aucs: NDArray[np.float64], cov: NDArray[np.float64]
) -> tuple[float, float, float]:
    """``(delta, se, p_value)`` of :func:`delong_difference_test` from the output of
    :func:`delong_paired` (callers that also need the two AUCs sort the scores only once)."""
    delta = float(aucs[0] - aucs[1])
    variance = float(cov[0, 0] + cov[1, 1] - 2.0 * cov[0, 1])
    if math.isnan(variance) or math.isnan(delta):
        return delta, math.nan, math.nan
    # Rounding can push a true zero variance (identical models) slightly negative.
    se = math.sqrt(max(variance, 0.0))
    if se == 0.0:
        return delta, 0.0, 1.0 if delta == 0.0 else 0.0
    p_value = float(2.0 * special.ndtr(-abs(delta) / se))
    return delta, se, p_value
