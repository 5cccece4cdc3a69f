"""Confidence-interval container and closed-form intervals for proportions and estimates.

The binomial intervals reproduce ``scipy.stats.binomtest(k, n).proportion_ci`` (two-sided)
but avoid its root finding, so they are cheap enough to call once per gate and per slice.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import special

__all__ = [
    "INTERVAL_METHODS",
    "Interval",
    "clopper_pearson_interval",
    "normal_interval",
    "wilson_interval",
]

INTERVAL_METHODS: frozenset[str] = frozenset(
    {
        "wilson",
        "clopper-pearson",
        "normal",
        "delong",
        "bootstrap-percentile",
        "bootstrap-basic",
        "bootstrap-bca",
    }
)


@dataclass(frozen=True)
class Interval:
    """A two-sided confidence interval.

    Parameters
    ----------
    low, high : float
        Interval end points; both are ``nan`` when the interval is undefined
        (for example a proportion with zero trials).
    level : float
        Nominal two-sided confidence level in (0, 1).
    method : str
        How the interval was computed, usually one of :data:`INTERVAL_METHODS`. For bootstrap
        intervals this records the method actually used, which can differ from the one
        requested when a degenerate case forced a fallback.
    """

    low: float
    high: float
    level: float
    method: str

    @property
    def width(self) -> float:
        """Return ``high - low`` (``nan`` for an undefined interval)."""
        return self.high - self.low

    @property
    def is_defined(self) -> bool:
        """Return True when both end points are numbers (not ``nan``)."""
        return not (math.isnan(self.low) or math.isnan(self.high))

    def contains(self, x: float) -> bool:
        """Return True if ``low <= x <= high``.

        Parameters
        ----------
        x : float
            Value to test.

        Returns
        -------
        bool
            False whenever the interval or ``x`` is ``nan``: an undefined interval must never
            be read as evidence that a threshold was met.
        """
        return bool(self.low <= x <= self.high)


def _check_confidence(confidence: float) -> float:
    confidence = float(confidence)
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    return confidence


def _check_counts(successes: float, trials: float) -> tuple[int, int]:
    k, n = int(successes), int(trials)
    if k != successes or n != trials:
        raise ValueError("successes and trials must be integer-valued")
    if n < 0 or not 0 <= k <= n:
        raise ValueError(f"need 0 <= successes <= trials, got successes={k}, trials={n}")
    return k, n


def _two_sided_z(confidence: float) -> float:
    return float(special.ndtri(0.5 + 0.5 * confidence))


def wilson_interval(successes: float, trials: float, confidence: float = 0.95) -> Interval:
    """Two-sided Wilson score interval for a binomial proportion (no continuity correction).

    Parameters
    ----------
    successes : int or integral float
        Number of successes ``k`` (``0 <= k <= trials``).
    trials : int or integral float
        Number of trials ``n``; a non-integer value raises ``ValueError``.
    confidence : float, default 0.95
        Two-sided confidence level.

    Returns
    -------
    Interval
        Interval with ``method="wilson"``; ``(nan, nan)`` when ``trials == 0``.

    Notes
    -----
    Uses Newcombe's (1998) form, like SciPy, so results agree with
    ``binomtest(k, n).proportion_ci(confidence, method="wilson")`` to rounding error.
    The ends are pinned to exactly 0 (``k == 0``) and 1 (``k == n``) where the formula is
    mathematically exact but floating point would leave a residue of order 1e-17.
    """
    confidence = _check_confidence(confidence)
    k, n = _check_counts(successes, trials)
    if n == 0:
        return Interval(math.nan, math.nan, confidence, "wilson")
    z = _two_sided_z(confidence)
    p = k / n
    denom = 2.0 * (n + z**2)
    center = (2.0 * n * p + z**2) / denom
    delta = z / denom * math.sqrt(4.0 * n * p * (1.0 - p) + z**2)
    low = 0.0 if k == 0 else center - delta
    high = 1.0 if k == n else center + delta
    return Interval(low, high, confidence, "wilson")


def clopper_pearson_interval(successes: float, trials: float, confidence: float = 0.95) -> Interval:
    """Two-sided exact (Clopper–Pearson) interval for a binomial proportion.

    Parameters
    ----------
    successes : int or integral float
        Number of successes ``k`` (``0 <= k <= trials``).
    trials : int or integral float
        Number of trials ``n``; a non-integer value raises ``ValueError``.
    confidence : float, default 0.95
        Two-sided confidence level.

    Returns
    -------
    Interval
        Interval with ``method="clopper-pearson"``; ``(nan, nan)`` when ``trials == 0``.

    Notes
    -----
    The binomial tail equations that define the interval are solved in closed form by
    the inverse regularised incomplete beta function, ``Beta(k, n-k+1)`` quantile for the
    lower end and ``Beta(k+1, n-k)`` for the upper end; the ends are 0 and 1 when
    ``k == 0`` and ``k == n`` because those beta distributions do not exist.
    """
    confidence = _check_confidence(confidence)
    k, n = _check_counts(successes, trials)
    if n == 0:
        return Interval(math.nan, math.nan, confidence, "clopper-pearson")
    alpha = (1.0 - confidence) / 2.0
    low = 0.0 if k == 0 else float(special.betaincinv(k, n - k + 1, alpha))
    high = 1.0 if k == n else float(special.betaincinv(k + 1, n - k, 1.0 - alpha))
    return Interval(low, high, confidence, "clopper-pearson")


def normal_interval(
    estimate: float,
    standard_error: float,
    confidence: float = 0.95,
    *,
    method: str = "normal",
    bounds: tuple[float | None, float | None] = (None, None),
) -> Interval:
    """Wald-type interval ``estimate ± z·se``, optionally clipped to the parameter range.

    Parameters
    ----------
    estimate : float
        Point estimate.
    standard_error : float
        Standard error of the estimate (must be ``>= 0`` or ``nan``).
    confidence : float, default 0.95
        Two-sided confidence level.
    method : str, default "normal"
        Label stored in the result (e.g. ``"delong"`` when ``se`` comes from DeLong).
    bounds : tuple of (float or None, float or None), default (None, None)
        Range of the parameter, e.g. ``(0, 1)`` for an AUC; the interval is clipped to it
        because a Wald interval can otherwise leave the parameter space near the edges.

    Returns
    -------
    Interval
        ``(nan, nan)`` when the estimate or the standard error is ``nan``.
    """
    confidence = _check_confidence(confidence)
    estimate, se = float(estimate), float(standard_error)
    if se < 0:
        raise ValueError(f"standard_error must be >= 0, got {se!r}")
    if math.isnan(estimate) or math.isnan(se):
        return Interval(math.nan, math.nan, confidence, method)
    half = _two_sided_z(confidence) * se
    return clipped_interval(estimate - half, estimate + half, confidence, method, bounds)


def clipped_interval(
    low: float,
    high: float,
    level: float,
    method: str,
    bounds: tuple[float | None, float | None] = (None, None),
) -> Interval:
    """``[low, high]`` clipped to the parameter's range ``bounds`` (``None``: open), e.g.
    ``(0, None)`` for a loss — an interval formula can leave the range near its edges."""
    lower_bound, upper_bound = bounds
    if lower_bound is not None:
        low, high = max(low, lower_bound), max(high, lower_bound)
    if upper_bound is not None:
        low, high = min(low, upper_bound), min(high, upper_bound)
    return Interval(low, high, level, method)
