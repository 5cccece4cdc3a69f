"""One-vs-rest ROC AUCs of multiclass scores and their joint influence on the rows (#19).

For class ``k`` the one-vs-rest AUC compares the rows of class ``k`` (positives, ``m_k``) with
all other rows (negatives, ``n_k``) on the score column of ``k``. DeLong's structural
components are each positive's placement among the negatives (``V10``) and each negative's
placement among the positives (``V01``, ties count one half); DeLong's variance is
``S10/m + S01/n`` with ``S`` the sample variances (``ddof = 1``).

Every row is a positive of exactly one class and a negative of all others, so the AUCs of one
model are correlated through the rows. Writing each AUC's deviation as a sum over rows,

    φ_k(i) = N (V10_k(i) − A_k) / √(m_k (m_k − 1))   (row i of class k)
    φ_k(i) = N (V01_k(i) − A_k) / √(n_k (n_k − 1))   (row i of another class)

gives ``Σ_i φ_k(i)² / N² = S10/m + S01/n`` — DeLong's variance exactly — and the covariance of
two classes' AUCs as ``Σ_i φ_k(i) φ_l(i) / N²`` (the influence-function form of DeLong's
covariance for correlated AUCs, Hanley–McNeil's rows being shared across classes). The macro
average's variance is then the variance of the mean of the ``φ_k`` — one matrix product, no
resampling. A paired difference of two models' macro AUC on the same rows subtracts their
``φ`` row by row.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["ovr_auc_influence"]


def _placements(sorted_other: NDArray[np.float64], values: NDArray[np.float64]) -> NDArray:
    """Share of ``sorted_other`` below each value, ties counting one half."""
    below = np.searchsorted(sorted_other, values, side="left")
    upto = np.searchsorted(sorted_other, values, side="right")
    return (below + upto) / (2.0 * sorted_other.size)


def ovr_auc_influence(
    y: NDArray[np.int64], scores: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """One-vs-rest AUC of every class and the rows' influence on each.

    Parameters
    ----------
    y : int array (n,)
        Class code of each row, ``0 .. K-1``.
    scores : float array (n, K)
        Score of each class on each row (column ``k`` ranks class ``k`` against the rest).

    Returns
    -------
    aucs : (K,) the one-vs-rest AUC of each class; ``nan`` for a class with no row, or whose
        rows are all the rows.
    phi : (n, K) the influence ``φ_k(i)`` of each row (module docstring); ``nan`` columns where
        the AUC is undefined or a class has a single row (DeLong's variance needs two).
        ``phi[:, k] @ phi[:, l] / n**2`` is the covariance of the AUCs of ``k`` and ``l``.
    """
    y = np.asarray(y, dtype=np.int64)
    scores = np.asarray(scores, dtype=np.float64)
    n, k_classes = scores.shape
    aucs = np.full(k_classes, np.nan)
    phi = np.full((n, k_classes), np.nan)
    for k in range(k_classes):
        pos = y == k
        m = int(pos.sum())
        if m == 0 or m == n:
            continue
        s = scores[:, k]
        s_pos, s_neg = s[pos], s[~pos]
        v10 = _placements(np.sort(s_neg), s_pos)
        v01 = 1.0 - _placements(np.sort(s_pos), s_neg)
        auc = float(v10.mean())
        aucs[k] = auc
        if m < 2 or n - m < 2:
            continue
        column = np.empty(n)
        column[pos] = n * (v10 - auc) / np.sqrt(m * (m - 1.0))
        column[~pos] = n * (v01 - auc) / np.sqrt((n - m) * (n - m - 1.0))
        phi[:, k] = column
    return aucs, phi
