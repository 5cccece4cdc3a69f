"""The slope of a metric across releases, with its interval: weighted least squares with known
variances (each release's estimate weighted by 1 / SE², its SE read from its own interval).

    slope = Σ wᵢ (xᵢ − x̄)(yᵢ − ȳ) / Σ wᵢ (xᵢ − x̄)²,   SE(slope)² = 1 / Σ wᵢ (xᵢ − x̄)²

with x̄, ȳ the w-weighted means, x the release index (0, 1, …: equally spaced releases, not
calendar time) and a normal interval. What it tests: the slope of the weighted least-squares
line through the releases' *true* values (H0: that slope ≥ −tolerance). With each release
measured on its own independent test rows the SE is exact (up to the normal approximation of
each estimate). When the releases were measured on the same rows their errors are positively
correlated; with equal correlation ρ the slope's true variance is (1 − ρ) times the one used
here (Σ cᵢ = 0 cancels the shared part), so the interval is conservative, never too narrow.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from pytest_modelgate.stats.intervals import Interval

__all__ = ["TREND_METHOD", "weighted_slope"]

TREND_METHOD = "wls-slope-normal"


def weighted_slope(
    y: np.ndarray, se: np.ndarray, confidence: float
) -> tuple[float, Interval, float]:
    """The slope of ``y`` on the release index with known standard errors ``se``; returns the
    slope, its two-sided ``confidence`` interval and the one-sided p-value of a decline
    (P(Z ≤ slope / SE) under slope = 0)."""
    y = np.asarray(y, dtype=float)
    se = np.asarray(se, dtype=float)
    if len(y) < 3 or len(y) != len(se):
        raise ValueError("a trend needs at least 3 releases, each with a standard error")
    if not (np.all(np.isfinite(y)) and np.all(np.isfinite(se)) and np.all(se > 0)):
        nan = float("nan")
        return nan, Interval(nan, nan, confidence, TREND_METHOD), nan
    x = np.arange(len(y), dtype=float)
    w = 1.0 / se**2
    x_bar = float(np.sum(w * x) / np.sum(w))
    y_bar = float(np.sum(w * y) / np.sum(w))
    sxx = float(np.sum(w * (x - x_bar) ** 2))
    slope = float(np.sum(w * (x - x_bar) * (y - y_bar)) / sxx)
    sd = math.sqrt(1.0 / sxx)
    z = float(special.ndtri(0.5 + confidence / 2))
    p_decline = float(special.ndtr(slope / sd))
    return slope, Interval(slope - z * sd, slope + z * sd, confidence, TREND_METHOD), p_decline
