"""Holm's step-down adjustment, used within one gate only: across its slices (lenient slices)
and across the columns of one drift check. (A lenient fairness gap uses Holm across its pairwise
group differences through its first step, Bonferroni: estimates/fairness_pairwise.py.)

There is no error control across the gates of a release decision: each gate is judged at its own
level. For strict gates none is needed (to pass, every gate must pass); a release with several
lenient gates can be blocked falsely more often than one gate's (1 − confidence)/2."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["holm_adjust", "min_resamples_for_level"]


def holm_adjust(p_values: ArrayLike) -> NDArray[np.float64]:
    """Holm (1979) step-down adjusted p-values.

    Parameters
    ----------
    p_values : array_like of float, any shape
        Raw p-values in [0, 1]; ``nan`` marks a test that was not performed.

    Returns
    -------
    ndarray of float64, same shape
        With the ``m`` non-``nan`` p-values sorted ascending as ``p_(1) <= ... <= p_(m)``,
        ``adj_(i) = min(1, max_{j <= i} (m - j + 1) p_(j))``. Rejecting where
        ``adj <= alpha`` controls the family-wise error rate at ``alpha``. ``nan`` entries
        stay ``nan`` and do not count towards ``m``: a slice or column without a test must not
        make the others stricter.
    """
    p = np.asarray(p_values, dtype=np.float64)
    flat = p.reshape(-1)
    present = ~np.isnan(flat)
    observed = flat[present]
    if np.any((observed < 0.0) | (observed > 1.0)):
        raise ValueError("p-values must lie in [0, 1]")
    m = observed.size
    # Stable sort so tied p-values keep input order; the running maximum makes ties equal
    # anyway, but stability keeps the result independent of sort implementation details.
    order = np.argsort(observed, kind="stable")
    multipliers = m - np.arange(m)
    stepped = np.minimum(np.maximum.accumulate(multipliers * observed[order]), 1.0)
    adjusted_observed = np.empty(m)
    adjusted_observed[order] = stepped
    adjusted = np.full(flat.shape, np.nan)
    adjusted[present] = adjusted_observed
    return adjusted.reshape(p.shape)


def min_resamples_for_level(alpha: float, m: int) -> int:
    """Bootstrap/permutation resamples needed for a p-value to be usable after Holm.

    Parameters
    ----------
    alpha : float
        Family-wise significance level in (0, 1).
    m : int
        Number of tests in the family (``>= 1``).

    Returns
    -------
    int
        ``ceil(10 m / alpha)``. Holm's strictest threshold is ``alpha / m``, and a
        resampling p-value moves in steps of about ``1 / B``; this keeps roughly ten
        resamples beyond that threshold so the smallest attainable p-value is not the
        thing deciding the gate.
    """
    alpha = float(alpha)
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
    if int(m) != m or m < 1:
        raise ValueError(f"m must be a positive integer, got {m!r}")
    # The relative slack absorbs rounding in 10*m/alpha (e.g. 10/0.05 must give 200, not 201).
    return math.ceil(10 * int(m) / alpha * (1.0 - 1e-12))
