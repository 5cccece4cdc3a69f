"""Intervals for one ROC AUC from its value, its DeLong variance and the class counts.

``interval: auto`` uses :func:`auc_hull_interval`, the hull (smallest interval containing all)
of three intervals:

- DeLong's standard error on the logit scale (``delong-logit``; stays inside (0, 1));
- DeLong's standard error on the AUC scale (Wald);
- Newcombe's (2006) score-type interval with the Hanley–McNeil variance (his method 5): the
  AUCs θ with (θ̂ − θ)² ≤ z² V_HM(θ), the variance taken at θ rather than at the estimate, like
  Wilson's interval for a proportion.

Why a hull, measured by simulation over the validity matrix's AUC scenarios (binormal and
exponential scores, AUC 0.6–0.995, 5–1000 positives, R = 2000; docs/validity.md): DeLong's
variance, estimated from the placements, is too small with few positives or AUC near 1, and its
lower bound passes a strict gate falsely up to 23% of the time (AUC 0.95, 5 positives) and 22%
(AUC 0.99, 30 positives, exponential). Newcombe's interval never erred on the lower side in these
cells (≤ 2.2%), but its Hanley–McNeil variance assumes exponential-like scores, and its upper
bound failed lenient gates up to 6.7% (exponential, AUC 0.99, 10 positives). The hull keeps the
one-sided error of both bounds ≤ 2.4% in every cell; its cost is width where DeLong alone was
valid (+5% at AUC 0.6, +20% at AUC 0.8 and +45% at AUC 0.95 with 1000 positives, binormal).

References
----------
Newcombe, R. G. (2006). Confidence intervals for an effect size measure based on the
Mann–Whitney statistic. Part 2: asymptotic methods and evaluation. Stat Med 25, 559–573.
Hanley, J. A. & McNeil, B. J. (1982). The meaning and use of the area under a ROC curve.
Radiology 143, 29–36.
"""

from __future__ import annotations

import math

from scipy import special

from pytest_modelgate.stats.intervals import Interval, normal_interval

__all__ = [
    "AUC_HULL_METHOD",
    "auc_hull_interval",
    "delong_logit_interval",
    "hanley_mcneil_variance",
    "newcombe_score_interval",
]

AUC_HULL_METHOD = "delong-newcombe-hull"


def _z(level: float) -> float:
    return float(special.ndtri(0.5 + level / 2))


def hanley_mcneil_variance(auc: float, n_pos: float, n_neg: float) -> float:
    """Hanley & McNeil's (1982) variance of the AUC estimate at true AUC ``auc``:
    [θ(1 − θ) + (m − 1)(Q1 − θ²) + (n − 1)(Q2 − θ²)] / (m n), Q1 = θ/(2 − θ), Q2 = 2θ²/(1 + θ),
    for ``m`` positives and ``n`` negatives (exact for exponential scores)."""
    t = auc
    q1, q2 = t / (2.0 - t), 2.0 * t * t / (1.0 + t)
    v = t * (1.0 - t) + (n_pos - 1.0) * (q1 - t * t) + (n_neg - 1.0) * (q2 - t * t)
    return max(v, 0.0) / (n_pos * n_neg)


def newcombe_score_interval(auc: float, n_pos: float, n_neg: float, level: float) -> Interval:
    """Newcombe's (2006) score-type ("Wilson-type") AUC interval with the Hanley–McNeil variance:
    the θ in [0, 1] with (θ̂ − θ)² ≤ z² V_HM(θ). Defined at θ̂ = 0 or 1 too (one end is then 0 or
    1); undefined without both classes."""
    method = "newcombe-score"
    if not (n_pos >= 1 and n_neg >= 1) or not 0.0 <= auc <= 1.0:
        return Interval(math.nan, math.nan, level, method)
    z2 = _z(level) ** 2

    def excess(theta: float) -> float:
        return (auc - theta) ** 2 - z2 * hanley_mcneil_variance(theta, n_pos, n_neg)

    # V_HM vanishes at 0 and 1, so excess ≥ 0 there and < 0 at θ̂ (when 0 < θ̂ < 1); at θ̂ = 1
    # (or 0) excess is 0 at the estimate itself, and < 0 just inside
    from scipy import optimize  # lazily: importing scipy.optimize costs ~0.3 s

    tiny = 1e-12
    inner_low, inner_high = min(auc, 1.0 - tiny), max(auc, tiny)
    low = 0.0 if auc == 0.0 else optimize.brentq(excess, 0.0, inner_low, xtol=1e-14)
    high = 1.0 if auc == 1.0 else optimize.brentq(excess, inner_high, 1.0, xtol=1e-14)
    return Interval(float(low), float(high), level, method)


def delong_logit_interval(auc: float, variance: float, level: float) -> Interval:
    """DeLong's standard error, with the interval built on the logit scale (inside (0, 1)). At
    AUC 0 or 1 the logit is infinite and the interval collapses to the point."""
    se = math.sqrt(variance) if variance >= 0 else math.nan
    if not 0.0 < auc < 1.0 or not math.isfinite(se):
        return normal_interval(auc, se, level, method="delong-logit", bounds=(0.0, 1.0))
    centre = math.log(auc / (1.0 - auc))
    half = _z(level) * se / (auc * (1.0 - auc))
    low, high = special.expit(centre - half), special.expit(centre + half)
    return Interval(float(low), float(high), level, "delong-logit")


def auc_hull_interval(
    auc: float, variance: float, n_pos: float, n_neg: float, level: float
) -> Interval:
    """The hull of the DeLong-logit, DeLong-Wald and Newcombe score intervals (module docstring).

    ``n_pos`` and ``n_neg`` are the class counts (frequency-weighted totals for grouped data).
    Undefined when the AUC or the counts are (a class with no rows); with fewer than two rows in
    a class DeLong's variance is undefined and the Newcombe interval alone is returned.
    """
    score = newcombe_score_interval(auc, n_pos, n_neg, level)
    if not score.is_defined:
        return Interval(math.nan, math.nan, level, AUC_HULL_METHOD)
    parts = [score]
    if math.isfinite(variance) and variance >= 0:
        se = math.sqrt(variance)
        parts.append(normal_interval(auc, se, level, bounds=(0.0, 1.0)))
        parts.append(delong_logit_interval(auc, variance, level))
    defined = [p for p in parts if p.is_defined]
    low = min(p.low for p in defined)
    high = max(p.high for p in defined)
    return Interval(low, high, level, AUC_HULL_METHOD)
