"""Anytime-valid bounds for the mean of a bounded outcome, and for a difference of two arms.

A fixed-sample interval promises its error once, at a sample size fixed in advance. A canary is
looked at every day: checking a 95 % interval after every batch and stopping at the first look
that clears the bar passes a model at the bar far more often than 2.5 % (about 10–15 % over 30
daily looks; ``validity/sequential.py`` measures it). A *confidence sequence* holds at every
sample size at once: ``P(some t: mean outside [L_t, U_t]) <= alpha``, so it may be checked after
every row, batch or day, and a decision may be taken at any look.

The bound used here is the predictable plug-in empirical-Bernstein confidence sequence of
Waudby-Smith & Ramdas (2023, "Estimating means of bounded random variables by betting", JRSS-B,
Theorem 2, "PrPl-EB"): for observations in [0, 1] with a common conditional mean ``m``,

    L_t = (Σ λ_i x_i − log(1/a) − Σ v_i ψ(λ_i)) / Σ λ_i,       U_t symmetric,

    λ_i = min(√(2 log(1/a) / (σ̂²_{i−1} · i · log(1 + i))), c),   v_i = 4 (x_i − μ̂_{i−1})²,
    ψ(λ) = (−log(1 − λ) − λ) / 4,   μ̂_i = (½ + Σ_{j≤i} x_j) / (i + 1),
    σ̂²_i = (¼ + Σ_{j≤i} (x_j − μ̂_j)²) / (i + 1),

each one-sided bound at level ``a`` (a supermartingale and Ville's inequality: no asymptotics,
no normality). Its running intersection (max of lower bounds, min of upper bounds) is as valid
and is what is reported. Cost: a handful of cumulative sums, O(n).

A difference of two independent arms (canary − control) is bounded by combining one-sided bounds
of each arm: ``L_canary − U_control`` is a lower bound of the difference at every pair of sample
sizes with error at most ``a_canary + a_control``; the error budget ``(1 − confidence) / 2`` of
one side is split in half between the arms (a union bound: conservative, never anti-conservative).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["ArmBounds", "DifferenceBounds", "difference_sequence", "eb_confidence_sequence"]

_C = 0.5  # the truncation of λ suggested by Waudby-Smith & Ramdas (any c in (0, 1) is valid)


@dataclass(frozen=True)
class ArmBounds:
    """Running (intersected) one-sided bounds after each observation of one arm."""

    mean: np.ndarray  # the running sample mean after 1, 2, …, n observations
    lower: np.ndarray  # anytime-valid lower bounds, each at level ``alpha_side``
    upper: np.ndarray  # anytime-valid upper bounds, each at level ``alpha_side``
    alpha_side: float


def _one_sided(x: np.ndarray, alpha_side: float) -> tuple[np.ndarray, np.ndarray]:
    """(lower, upper) PrPl-EB bounds for the mean of ``x`` (in [0, 1]) after each prefix."""
    n = x.size
    t = np.arange(1, n + 1, dtype=float)
    csum = np.cumsum(x)
    mu_hat = (0.5 + csum) / (t + 1)  # μ̂_t
    mu_prev = np.concatenate(([0.5], mu_hat[:-1]))  # μ̂_{t−1}, μ̂_0 = ½
    sq = np.cumsum((x - mu_hat) ** 2)
    var_hat = (0.25 + sq) / (t + 1)  # σ̂²_t
    var_prev = np.concatenate(([0.25], var_hat[:-1]))  # σ̂²_{t−1}, σ̂²_0 = ¼
    log_a = math.log(1.0 / alpha_side)
    lam = np.minimum(np.sqrt(2.0 * log_a / (var_prev * t * np.log1p(t))), _C)
    psi = (-np.log1p(-lam) - lam) / 4.0
    v = 4.0 * (x - mu_prev) ** 2
    sum_lam = np.cumsum(lam)
    centre = np.cumsum(lam * x) / sum_lam
    margin = (log_a + np.cumsum(v * psi)) / sum_lam
    lower = np.maximum.accumulate(np.clip(centre - margin, 0.0, 1.0))
    upper = np.minimum.accumulate(np.clip(centre + margin, 0.0, 1.0))
    return lower, upper


def eb_confidence_sequence(x: np.ndarray, alpha_side: float) -> ArmBounds:
    """Anytime-valid one-sided bounds, each at level ``alpha_side``, for the mean of ``x``.

    ``x`` holds the observations in the order they arrived (values in [0, 1]; a ``ValueError``
    otherwise). ``lower[k]`` and ``upper[k]`` bound the mean after ``k + 1`` observations, and
    ``P(some k: mean < lower[k]) <= alpha_side`` (likewise for ``upper``).
    """
    x = np.asarray(x, dtype=float)
    if x.ndim != 1:
        raise ValueError("the observations must be one-dimensional")
    if x.size and (not np.all(np.isfinite(x)) or x.min() < 0 or x.max() > 1):
        raise ValueError("the observations must lie in [0, 1]")
    if not 0 < alpha_side < 1:
        raise ValueError(f"alpha_side must lie in (0, 1), got {alpha_side!r}")
    if x.size == 0:
        empty = np.empty(0)
        return ArmBounds(empty, empty, empty, alpha_side)
    lower, upper = _one_sided(x, alpha_side)
    mean = np.cumsum(x) / np.arange(1, x.size + 1)
    return ArmBounds(mean, lower, upper, alpha_side)


@dataclass(frozen=True)
class DifferenceBounds:
    """An anytime-valid interval for ``mean(canary) − mean(control)`` at one look."""

    estimate: float
    lower: float
    upper: float
    n_canary: int
    n_control: int
    confidence: float  # each side errs with probability at most (1 − confidence) / 2


def difference_sequence(
    canary: ArmBounds, control: ArmBounds, n_canary: int, n_control: int, confidence: float
) -> DifferenceBounds:
    """The difference interval after ``n_canary`` and ``n_control`` observations of each arm.

    Both arms' bounds must have been built at ``alpha_side = (1 − confidence) / 4``; an arm with
    no observation yet gives the trivial bounds [0, 1] (the difference then spans [−1, 1])."""

    def at(arm: ArmBounds, n: int) -> tuple[float, float, float]:
        if n <= 0:
            return math.nan, 0.0, 1.0
        return float(arm.mean[n - 1]), float(arm.lower[n - 1]), float(arm.upper[n - 1])

    m_c, lo_c, up_c = at(canary, n_canary)
    m_k, lo_k, up_k = at(control, n_control)
    return DifferenceBounds(
        estimate=m_c - m_k,
        lower=lo_c - up_k,
        upper=up_c - lo_k,
        n_canary=n_canary,
        n_control=n_control,
        confidence=confidence,
    )
