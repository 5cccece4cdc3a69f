"""Distribution-free confidence bounds for a quantile, from order statistics.

For i.i.d. draws from a continuous distribution, the number of draws below the true
``q``-quantile is Binomial(n, q), so the ``k``-th smallest draw ``x_(k)`` is above the quantile
with probability ``P(Binomial(n, q) <= k - 1)`` whatever the distribution. The bounds below pick
the order statistics that make each one-sided error at most ``(1 - confidence) / 2`` (exact
coverage is at least the nominal level; with ties or discrete data it stays conservative).
A bound that would need more draws than there are is undefined (``nan``):
:func:`calls_needed` says how many draws make it exist.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from pytest_modelgate.stats.intervals import Interval

__all__ = ["calls_needed", "quantile_interval"]

METHOD = "order-statistic"


def _alpha(confidence: float) -> float:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence!r}")
    return (1.0 - confidence) / 2.0


def quantile_interval(values: ArrayLike, q: float, confidence: float = 0.95) -> Interval:
    """Two-sided distribution-free interval for the ``q``-quantile of ``values``' distribution.

    Parameters
    ----------
    values : array-like of float
        i.i.d. draws (any order); ``nan`` is not allowed.
    q : float
        The quantile, in (0, 1) (0.95 for a p95).
    confidence : float, default 0.95
        Two-sided level: each end errs with probability at most ``(1 - confidence) / 2``.

    Returns
    -------
    Interval
        ``method="order-statistic"``; an end is ``nan`` when ``len(values)`` is too small for it
        (the upper bound on a p95 at 95% needs 72 draws, see :func:`calls_needed`).
    """
    if not 0.0 < q < 1.0:
        raise ValueError(f"q must lie in (0, 1), got {q!r}")
    alpha = _alpha(confidence)
    x = np.sort(np.asarray(values, dtype=float))
    if np.isnan(x).any():
        raise ValueError("values must not contain nan")
    n = x.size
    if n == 0:
        return Interval(math.nan, math.nan, confidence, METHOD)
    from scipy import stats  # lazily: scipy.stats costs ~0.5 s to import

    k = np.arange(1, n + 1)
    below = stats.binom.cdf(k - 1, n, q)  # P(x_(k) > quantile) = P(Bin(n, q) <= k - 1)
    upper = np.flatnonzero(below >= 1.0 - alpha)
    lower = np.flatnonzero(below <= alpha)
    high = float(x[upper[0]]) if upper.size else math.nan
    low = float(x[lower[-1]]) if lower.size else math.nan
    return Interval(low, high, confidence, METHOD)


def calls_needed(q: float, confidence: float = 0.95, side: str = "upper") -> int:
    """Fewest draws for which the ``side`` bound of :func:`quantile_interval` exists."""
    alpha = _alpha(confidence)
    tail = q if side == "upper" else 1.0 - q  # P(all draws below / above the quantile)
    return max(1, math.ceil(math.log(alpha) / math.log(tail) - 1e-12))
