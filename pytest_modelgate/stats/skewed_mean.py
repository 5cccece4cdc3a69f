"""Interval for the mean of skewed per-row values (losses), with a support rule.

A mean loss is skewed: most rows lose little, a few lose a lot (the rare positives of a Brier
score or log loss, large regression errors). The normal (CLT) interval ignores that and its upper
end is too low — at prevalence 0.05 and n = 100 a strict ``max`` on the Brier score passes
falsely 9% of the time instead of 2.5% (docs/validity.md). Two remedies, chosen by simulation
over the validity matrix's loss scenarios:

- **Hall's skewness-corrected t** (Hall 1992): the Student t statistic T = √n (x̄ − μ)/s is
  skewed when the data are, and the monotone cubic
  g(T) = T + a T² + a² T³/3 + b,  a = γ/(3√n),  b = γ/(6√n)  (γ the skewness)
  removes the first-order (1/√n) term of its Edgeworth expansion (Johnson's 1978 correction made
  monotone). Inverting g at the t quantiles gives the interval; with γ = 0 it is Student's t
  interval, and as n grows it becomes the normal interval, so large samples lose no power.
- **Cochran's rule** (n ≥ 25 G1², G1 the adjusted sample skewness): below it no interval from
  the sample's moments is trustworthy — the sample has not yet seen the tail that makes the
  mean — and the interval is undefined, which the gate reports as INCONCLUSIVE with the number of
  rows the rule asks for. Simulated (R = 2000): with the rule, every loss cell of the matrix errs
  at most about nominal; a looser rule (9 G1² or 16 G1²) leaves lognormal squared errors at 4–7%.

References
----------
Hall, P. (1992). On the removal of skewness by transformation. JRSS B 54(1), 221–228.
Johnson, N. J. (1978). Modified t tests and confidence intervals for asymmetrical populations.
JASA 73(363), 536–544.
Cochran, W. G. (1977). Sampling Techniques, 3rd ed., §2.15 (n > 25 G1²).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special

from pytest_modelgate.stats.intervals import Interval, clipped_interval

__all__ = [
    "COCHRAN_FACTOR",
    "SKEWED_MEAN_METHOD",
    "SkewedMean",
    "adjusted_skewness",
    "hall_t_bounds",
    "skewed_mean_interval",
]

#: Cochran's rule: a mean of values with skewness G1 is close enough to normal from 25·G1² rows.
COCHRAN_FACTOR = 25.0
SKEWED_MEAN_METHOD = "hall-t"


@dataclass(frozen=True)
class SkewedMean:
    """The interval, the sample skewness behind it and the rows Cochran's rule asks for; ``note``
    says why the interval is undefined (empty when it is defined)."""

    interval: Interval
    skewness: float
    rows_needed: float
    note: str = ""


def adjusted_skewness(dev: np.ndarray, w: np.ndarray, n: float, m2: float) -> float:
    """Adjusted Fisher–Pearson skewness G1 (scipy's ``skew(bias=False)``) of values with
    deviations ``dev`` from their mean, frequencies ``w`` (``n`` in all) and second central
    moment ``m2 > 0``."""
    g1 = float(w @ (dev * dev * dev) / n) / m2**1.5
    return g1 * math.sqrt(n * (n - 1.0)) / (n - 2.0)


def hall_t_bounds(
    mean: float, sd: float, n: float, skewness: float, confidence: float
) -> tuple[float, float]:
    """Hall's (1992) skewness-corrected t interval for a mean, from the sample's moments.

    ``sd`` is the ``ddof=1`` standard deviation and ``skewness`` the (adjusted) sample skewness;
    the quantile is Student's t with n − 1 degrees of freedom, so ``skewness = 0`` gives the
    t interval exactly.
    """
    t = float(special.stdtrit(n - 1.0, 0.5 + confidence / 2.0))
    se = sd / math.sqrt(n)
    a = skewness / (3.0 * math.sqrt(n))
    b = skewness / (6.0 * math.sqrt(n))

    def g_inverse(u: float) -> float:
        if abs(a) < 1e-12:
            return u - b
        return (float(np.cbrt(1.0 + 3.0 * a * (u - b))) - 1.0) / a

    return mean - se * g_inverse(t), mean - se * g_inverse(-t)


def skewed_mean_interval(
    values: np.ndarray,
    weight: np.ndarray | None = None,
    confidence: float = 0.95,
    *,
    bounds: tuple[float | None, float | None] = (None, None),
) -> SkewedMean:
    """Interval of the mean of ``values`` (row frequencies ``weight``): Hall's skewness-corrected
    t where Cochran's rule holds, else undefined with a note that says why.

    Parameters
    ----------
    values : ndarray, shape (rows,)
        Per-row values (e.g. losses).
    weight : ndarray, shape (rows,), optional
        Row frequencies (grouped data): the result is that of the expanded rows.
    confidence : float
        Two-sided level.
    bounds : (low, high)
        Range of the mean (e.g. ``(0, None)`` for a loss); the interval is clipped to it.
    """
    x = np.asarray(values, dtype=np.float64)
    w = np.ones_like(x) if weight is None else np.asarray(weight, dtype=np.float64)
    n = float(w.sum())
    nan = Interval(math.nan, math.nan, confidence, SKEWED_MEAN_METHOD)
    if n < 3:
        return SkewedMean(
            nan,
            math.nan,
            math.nan,
            f"{n:g} rows are too few to measure the skewness of the per-row values "
            "(at least 3 are needed)",
        )
    mean = float(w @ x / n)
    dev = x - mean
    m2 = float(w @ (dev * dev) / n)
    if m2 <= 0:
        # no variation: a zero-width interval, which estimate_metric reports as collapsed
        return SkewedMean(Interval(mean, mean, confidence, SKEWED_MEAN_METHOD), 0.0, 0.0)
    skewness = adjusted_skewness(dev, w, n, m2)
    needed = COCHRAN_FACTOR * skewness * skewness
    if n < needed:
        return SkewedMean(
            nan,
            skewness,
            needed,
            f"the per-row values are too skewed for {n:,.0f} rows (skewness {skewness:.2g}): "
            f"their mean is close enough to normal for an interval only from about "
            f"{math.ceil(needed):,} rows (Cochran's rule n ≥ 25·skewness²); a few rows carry "
            "most of the loss, so add rows",
        )
    sd = math.sqrt(m2 * n / (n - 1.0))
    low, high = hall_t_bounds(mean, sd, n, skewness, confidence)
    interval = clipped_interval(low, high, confidence, SKEWED_MEAN_METHOD, bounds)
    return SkewedMean(interval, skewness, needed)
