"""Paired comparisons of a candidate and a baseline model scored on the same rows.

When both models are evaluated on one test set, their per-row outcomes are correlated:
most rows are right (or wrong) for both. Comparing two separate intervals ignores that
correlation and badly understates the precision of the *difference*; the functions here
use the paired 2×2 table (or per-row differences) instead.

The paired table of per-row correctness is::

                     baseline right   baseline wrong
    candidate right       both           only_a (b)
    candidate wrong     only_b (c)         neither

References
----------
McNemar (1947), Psychometrika 12(2), 153-157.
Newcombe (1998), Statistics in Medicine 17(22), 2635-2650 (method 10).
Tango (1998), Statistics in Medicine 17(8), 891-908 (the paired score interval).
Laud (2017), Statistics in Medicine 36(14), 2296-2314 (skewness-corrected score intervals).
Hall (1992), JRSS B 54(1), 221-228 (a skewness-correcting transformation of the t statistic).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from pytest_modelgate.stats.intervals import (
    Interval,
    _check_confidence,
    _two_sided_z,
    wilson_interval,
)
from pytest_modelgate.stats.skewed_mean import hall_t_bounds

__all__ = [
    "McNemarResult",
    "mcnemar",
    "paired_mean_difference_interval",
    "paired_proportion_difference_interval",
    "paired_score_interval",
    "paired_score_statistic",
]


def _check_count(name: str, value: float) -> int:
    count = int(value)
    if count != value or count < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    return count


def _binom_half_cdf(k: int, n: int) -> float:
    """``P(X <= k)`` for ``X ~ Binomial(n, 1/2)``; 0 for ``k < 0``."""
    # bdtr is undefined (nan) for k < 0, but the empty tail is exactly 0.
    return 0.0 if k < 0 else float(special.bdtr(k, n, 0.5))


@dataclass(frozen=True)
class McNemarResult:
    """Result of McNemar's test on the discordant pairs of a paired 2×2 table.

    Parameters
    ----------
    b : int
        Rows where the candidate is right and the baseline wrong.
    c : int
        Rows where the baseline is right and the candidate wrong.
    statistic : float
        Yates continuity-corrected chi-square ``(|b - c| - 1)² / (b + c)``; 0 when
        ``b + c == 0``.
    p_value : float
        Exact two-sided p-value: the binomial test of ``b`` successes in ``b + c`` trials
        with probability 1/2 (1.0 when ``b + c == 0``).
    p_value_mid : float
        Mid-p version of ``p_value``: the exact p-value minus the point probability of the
        observed split, ``2·(P(X <= m) - P(X = m)/2)`` with ``m = min(b, c)``, capped at 1.
    p_value_chi2 : float
        Upper tail of the chi-square distribution with 1 degree of freedom at ``statistic``.
    method : str, default "exact"
        Which p-value is the primary one.
    """

    b: int
    c: int
    statistic: float
    p_value: float
    p_value_mid: float
    p_value_chi2: float
    method: str = "exact"


def mcnemar(b: int, c: int) -> McNemarResult:
    """McNemar's test that the two discordant cells are equally likely.

    Parameters
    ----------
    b : int
        Count of rows where only the candidate is right (``only_a``).
    c : int
        Count of rows where only the baseline is right (``only_b``).

    Returns
    -------
    McNemarResult
        Exact, mid-p and Yates chi-square p-values; ``method="exact"``.

    Notes
    -----
    Conditional on ``n = b + c`` discordant rows, ``b ~ Binomial(n, 1/2)`` under the null of
    equal accuracy, so the exact two-sided p-value is ``min(1, 2·P(X <= min(b, c)))`` (the
    null distribution is symmetric, so doubling the smaller tail is the same as SciPy's
    "sum of outcomes no more likely than observed" rule). The exact test is conservative;
    the mid-p value is closer to nominal size and is reported for information.
    """
    b, c = _check_count("b", b), _check_count("c", c)
    n = b + c
    if n == 0:
        # No discordant rows: the data say nothing against equal accuracy.
        return McNemarResult(b, c, 0.0, 1.0, 1.0, 1.0)
    m = min(b, c)
    cdf_m = _binom_half_cdf(m, n)
    cdf_below = _binom_half_cdf(m - 1, n)
    p_exact = min(1.0, 2.0 * cdf_m)
    # 2·(P(X <= m) - P(X = m)/2) = P(X <= m-1) + P(X <= m): written this way it avoids the
    # cancellation of subtracting a pmf from a cdf.
    p_mid = min(1.0, cdf_below + cdf_m)
    statistic = (abs(b - c) - 1.0) ** 2 / n
    # chdtrc is the chi-square survival function; df=1 for the single discordance contrast.
    p_chi2 = float(special.chdtrc(1.0, statistic))
    return McNemarResult(b, c, float(statistic), p_exact, p_mid, p_chi2)


def paired_proportion_difference_interval(
    both: int,
    only_a: int,
    only_b: int,
    neither: int,
    confidence: float = 0.95,
) -> Interval:
    """Newcombe's hybrid score interval for ``p_a - p_b`` from a paired 2×2 table.

    Parameters
    ----------
    both : int
        Rows where both models are right.
    only_a : int
        Rows where the candidate (a) is right and the baseline (b) wrong.
    only_b : int
        Rows where the baseline is right and the candidate wrong.
    neither : int
        Rows where both models are wrong.
    confidence : float, default 0.95
        Two-sided confidence level.

    Returns
    -------
    Interval
        Interval for the accuracy difference ``p_a - p_b`` with ``method="newcombe-paired"``,
        clipped to ``[-1, 1]``; ``(nan, nan)`` when the table is empty.

    Notes
    -----
    Method 10 of Newcombe (1998), without continuity correction. With ``(l1, u1)`` and
    ``(l2, u2)`` the Wilson intervals of ``p_a = (both + only_a)/n`` and
    ``p_b = (both + only_b)/n``, ``Δ = p_a - p_b`` and the phi coefficient ``φ`` of the
    table,

    ``low  = Δ - sqrt((p_a - l1)² - 2φ(p_a - l1)(u2 - p_b) + (u2 - p_b)²)``

    ``high = Δ + sqrt((u1 - p_a)² - 2φ(u1 - p_a)(p_b - l2) + (p_b - l2)²)``.

    The Wilson intervals keep the ends sensible near 0 and 1, and the ``-2φ`` term subtracts
    the covariance that the shared rows induce, which is what makes the paired interval much
    narrower than two separate intervals when the models agree on most rows. ``φ`` is taken
    as 0 when a margin is empty (its denominator is 0), as in the paper.
    """
    confidence = _check_confidence(confidence)
    cells = [
        _check_count(name, value)
        for name, value in (
            ("both", both),
            ("only_a", only_a),
            ("only_b", only_b),
            ("neither", neither),
        )
    ]
    a_, b_, c_, d_ = cells
    n = a_ + b_ + c_ + d_
    if n == 0:
        return Interval(math.nan, math.nan, confidence, "newcombe-paired")
    p_a = (a_ + b_) / n
    p_b = (a_ + c_) / n
    wa = wilson_interval(a_ + b_, n, confidence)
    wb = wilson_interval(a_ + c_, n, confidence)
    # Python ints: the margin product can exceed int64 for very large tables.
    denom_sq = (a_ + b_) * (c_ + d_) * (a_ + c_) * (b_ + d_)
    phi = 0.0 if denom_sq == 0 else (a_ * d_ - b_ * c_) / math.sqrt(denom_sq)
    delta = p_a - p_b
    da_low, db_high = p_a - wa.low, wb.high - p_b
    da_high, db_low = wa.high - p_a, p_b - wb.low
    # |φ| <= 1, so each radicand is >= (x - y)² >= 0 mathematically; max() only guards
    # against a tiny negative residue from rounding.
    rad_low = max(0.0, da_low**2 - 2.0 * phi * da_low * db_high + db_high**2)
    rad_high = max(0.0, da_high**2 - 2.0 * phi * da_high * db_low + db_low**2)
    low = max(-1.0, delta - math.sqrt(rad_low))
    high = min(1.0, delta + math.sqrt(rad_high))
    return Interval(low, high, confidence, "newcombe-paired")


#: Continuity correction of the paired score interval, on the count scale of ``b - c``.
PAIRED_SCORE_CONTINUITY = 0.5


def paired_score_statistic(
    only_a: ArrayLike,
    only_b: ArrayLike,
    n: ArrayLike,
    delta: ArrayLike,
    *,
    skewness_correction: bool = True,
    continuity: float = PAIRED_SCORE_CONTINUITY,
) -> NDArray[np.float64]:
    """Tango's score statistic for ``H0: p_a - p_b = delta`` on paired rows (vectorised).

    Parameters
    ----------
    only_a, only_b : array_like
        Discordant counts: rows where only the candidate (a) / only the baseline (b) succeeds.
    n : array_like
        Rows in the table (the denominator of both proportions).
    delta : array_like
        The hypothesised difference ``p_a - p_b``, in ``[-1, 1]``.
    skewness_correction : bool, default True
        Apply Laud's (2017) correction for the skewness of the score.
    continuity : float, default 0.5
        Subtracted from ``|b - c - n·delta|`` before standardising (0: none).

    Returns
    -------
    ndarray
        The statistic, approximately standard normal under ``H0``: positive when the data
        favour a larger difference; ``±inf`` where the restricted variance is 0.

    Notes
    -----
    Tango (1998): ``S = b - c - n·delta`` has restricted variance ``n(2q + delta(1 - delta))``
    with ``q`` the maximum-likelihood estimate of ``P(only b)`` under the constraint
    ``P(only a) - P(only b) = delta`` (the positive root of ``2n q² + B q + C``,
    ``B = -b - c + (2n - b + c)·delta``, ``C = -c·delta·(1 - delta)``). Each row adds
    ``x - delta`` to ``S`` with ``x`` in {+1, -1, 0}, so the third central moment of ``S`` is
    ``n(delta - 3·delta(2q + delta) + 2·delta³)``; with ``A = μ₃ / (6 V^{3/2})`` the
    skewness-corrected statistic is the root ``Z`` of ``Z + A(Z² - 1) = S/√V`` (the
    Cornish–Fisher expansion of ``S/√V``, Laud 2017), which balances the two tails.
    """
    b = np.asarray(only_a, dtype=np.float64)
    c = np.asarray(only_b, dtype=np.float64)
    size = np.asarray(n, dtype=np.float64)
    d = np.asarray(delta, dtype=np.float64)
    quad_b = -b - c + (2.0 * size - b + c) * d
    quad_c = -c * d * (1.0 - d)
    root = np.sqrt(np.maximum(quad_b * quad_b - 8.0 * size * quad_c, 0.0))
    q = (root - quad_b) / (4.0 * size)
    variance = size * (2.0 * q + d * (1.0 - d))
    score = b - c - size * d
    score = np.sign(score) * np.maximum(np.abs(score) - continuity, 0.0)
    degenerate = variance <= 1e-12 * size
    safe_variance = np.where(degenerate, 1.0, variance)
    t = score / np.sqrt(safe_variance)
    if skewness_correction:
        mu3 = size * (d - 3.0 * d * (2.0 * q + d) + 2.0 * d**3)
        a = mu3 / (6.0 * safe_variance**1.5)
        disc = 1.0 + 4.0 * a * (a + t)
        small = np.abs(a) < 1e-12
        safe_a = np.where(small, 1.0, a)
        corrected = (np.sqrt(np.maximum(disc, 0.0)) - 1.0) / (2.0 * safe_a)
        # no real root: the data lie beyond every quantile the expansion can reach
        corrected = np.where(disc < 0, np.copysign(np.inf, t), corrected)
        t = np.where(small, t, corrected)
    signed_inf = np.where(score > 0, np.inf, np.where(score < 0, -np.inf, 0.0))
    return np.asarray(np.where(degenerate, signed_inf, t), dtype=np.float64)


def _score_z(b: int, c: int, n: int, d: float, skew: bool, continuity: float) -> float:
    """:func:`paired_score_statistic` for one Δ in plain floats (the interval evaluates it ~90
    times; numpy's per-call overhead would dominate). Tested equal to the vectorised form."""
    quad_b = -b - c + (2.0 * n - b + c) * d
    quad_c = -c * d * (1.0 - d)
    q = (math.sqrt(max(quad_b * quad_b - 8.0 * n * quad_c, 0.0)) - quad_b) / (4.0 * n)
    variance = n * (2.0 * q + d * (1.0 - d))
    score = b - c - n * d
    score = math.copysign(max(abs(score) - continuity, 0.0), score)
    if variance <= 1e-12 * n:
        return math.inf if score > 0 else -math.inf if score < 0 else 0.0
    t = score / math.sqrt(variance)
    if not skew:
        return t
    a = n * (d - 3.0 * d * (2.0 * q + d) + 2.0 * d**3) / (6.0 * variance**1.5)
    if abs(a) < 1e-12:
        return t
    disc = 1.0 + 4.0 * a * (a + t)
    if disc < 0:
        return math.copysign(math.inf, t)
    return (math.sqrt(disc) - 1.0) / (2.0 * a)


def _score_limit(
    b: int, c: int, n: int, z: float, lower: bool, skew: bool, continuity: float
) -> float:
    """One end of ``{delta: |Z(delta)| <= z}`` by bisection (Z decreases in delta)."""

    def inside_at(delta: float) -> bool:
        stat = _score_z(b, c, n, delta, skew, continuity)
        return stat <= z if lower else stat >= -z

    edge = -1.0 if lower else 1.0
    if inside_at(edge):
        return edge
    inside, outside = (b - c) / n, edge
    while abs(inside - outside) > 1e-12:
        mid = 0.5 * (inside + outside)
        inside, outside = (mid, outside) if inside_at(mid) else (inside, mid)
    return inside


def paired_score_interval(
    both: int,
    only_a: int,
    only_b: int,
    neither: int,
    confidence: float = 0.95,
    *,
    skewness_correction: bool = True,
    continuity: float = PAIRED_SCORE_CONTINUITY,
) -> Interval:
    """Score interval for ``p_a - p_b`` from a paired 2×2 table (Tango 1998, with Laud's
    skewness correction and a continuity correction of ½).

    Parameters
    ----------
    both, only_a, only_b, neither : int
        The paired table: rows where both succeed, only the candidate (a), only the baseline
        (b), neither.
    confidence : float, default 0.95
        Two-sided confidence level.
    skewness_correction : bool, default True
        Laud's (2017) skewness correction of the score (see :func:`paired_score_statistic`).
    continuity : float, default 0.5
        Continuity correction on the count scale; ``0`` with ``skewness_correction=False``
        is Tango's (1998) interval as published.

    Returns
    -------
    Interval
        ``{delta : |Z(delta)| <= z}`` with ``method="tango-skew-cc"`` (``"tango-score"`` for
        the uncorrected variant); ``(nan, nan)`` when the table is empty.

    Notes
    -----
    The interval depends on the discordant counts and ``n`` only. Chosen by exact
    enumeration of the paired multinomial (denominators 10–1000, discordant rates 2–50%,
    margins 0–0.2): the largest one-sided error at the bar is 2.31% (strict, false PASS) and
    2.37% (lenient, false FAIL), coverage at least 95.4%. Without the corrections Tango's
    interval errs up to 5.1% on one side, Bonett–Price's adjusted Wald up to 3.7%, and
    Newcombe's method 10 up to 25% when few rows are discordant; the price is about 6% of
    width against plain Tango (notes in ``docs/baselines.md``).
    """
    confidence = _check_confidence(confidence)
    a_, b_, c_, d_ = (
        _check_count(name, value)
        for name, value in (
            ("both", both),
            ("only_a", only_a),
            ("only_b", only_b),
            ("neither", neither),
        )
    )
    method = "tango-skew-cc" if skewness_correction or continuity else "tango-score"
    n = a_ + b_ + c_ + d_
    if n == 0:
        return Interval(math.nan, math.nan, confidence, method)
    z = _two_sided_z(confidence)
    low = _score_limit(b_, c_, n, z, True, skewness_correction, continuity)
    high = _score_limit(b_, c_, n, z, False, skewness_correction, continuity)
    return Interval(low, high, confidence, method)


def paired_mean_difference_interval(
    differences: ArrayLike, confidence: float = 0.95, weights: ArrayLike | None = None
) -> tuple[Interval, float, float]:
    """Interval and test for the mean of per-row paired differences, robust to skewness.

    Parameters
    ----------
    differences : array_like, shape (n,)
        Per-row differences ``d_i``, e.g. baseline loss minus candidate loss on row ``i``.
        Must be finite and contain at least two values.
    confidence : float, default 0.95
        Two-sided confidence level.
    weights : array_like of int, shape (n,), optional
        Row frequencies (grouped data): ``d_i`` stands for ``weights[i]`` identical rows; the
        result equals the unweighted one on the expanded rows.

    Returns
    -------
    interval : Interval
        The union of the Student-t interval ``mean ± t·sd/√n`` and Hall's (1992)
        skewness-corrected t interval (:func:`~pytest_modelgate.stats.skewed_mean.hall_t_bounds`,
        the one threshold gates use), ``method="paired-t-hall"``.
    standard_error : float
        ``sd/sqrt(n)`` (``sd`` with ``ddof=1``).
    p_value : float
        Two-sided normal p-value of ``H0: mean = 0``.

    Notes
    -----
    Differencing per row removes the between-row variation that both models share. Per-row
    loss differences are often skewed (an over-confident model's rare confident mistakes
    cost a lot): then the normal interval errs on one side (measured: 4.5% false PASS at
    n = 300 for log loss, 3.7% at n = 1000). Hall's transformation of the t statistic
    removes the first-order skewness term; but on heavy-tailed, roughly symmetric
    differences the sample skewness is noise and Hall's interval alone errs more than the
    t interval (5–6% at n = 30–100). Each end of the union is the farther of the two, so its
    error on each side is at most the smaller of the two methods' (simulations in
    ``docs/baselines.md``). Cochran's rule, which makes a threshold gate on a skewed mean
    INCONCLUSIVE, is not applied: the union keeps the error without refusing the comparison.
    When every difference is the same the interval is the point ``[mean, mean]``,
    ``se = 0`` and ``p = 1`` if that mean is 0, else ``p = 0``.
    """
    confidence = _check_confidence(confidence)
    d = np.asarray(differences, dtype=np.float64)
    if d.ndim != 1:
        raise ValueError(f"differences must be 1-D, got shape {d.shape}")
    if d.size < 2:
        raise ValueError("need at least two paired differences to estimate a variance")
    if not np.all(np.isfinite(d)):
        raise ValueError("differences must be finite")
    w: np.ndarray | None = None
    n = d.size
    if weights is not None:
        w = np.asarray(weights, dtype=np.float64)
        if w.shape != d.shape or np.any(w < 0) or np.any(w != np.round(w)):
            raise ValueError("weights must be non-negative integers, one per difference")
        keep = w > 0
        d, w = d[keep], w[keep]
        n = int(w.sum())
        if n < 2:
            raise ValueError("need at least two paired differences to estimate a variance")
    method = "paired-t-hall"
    # Test constancy exactly: d.std() of identical values can leave a ~1e-17 residue, which
    # would turn a zero-variance sample into a spuriously "infinitely significant" one.
    if np.all(d == d[0]):
        mean = float(d[0])
        p = 1.0 if mean == 0.0 else 0.0
        return Interval(mean, mean, confidence, method), 0.0, p
    if w is None:
        mean = float(d.mean())
        dev = d - mean
        m2, m3 = float(np.mean(dev**2)), float(np.mean(dev**3))
    else:
        mean = float(w @ d / n)
        dev = d - mean
        m2, m3 = float(w @ dev**2) / n, float(w @ dev**3) / n
    sd = math.sqrt(m2 * n / (n - 1))
    se = sd / math.sqrt(n)
    t = float(special.stdtrit(n - 1, 0.5 + confidence / 2))
    skewness = m3 / m2**1.5 * math.sqrt(n * (n - 1.0)) / (n - 2.0) if n > 2 else 0.0
    hall_low, hall_high = hall_t_bounds(mean, sd, n, skewness, confidence)
    low, high = min(mean - t * se, hall_low), max(mean + t * se, hall_high)
    interval = Interval(low, high, confidence, method)
    # erfc(|z|/√2) is the two-sided normal tail 2·(1 - Φ(|z|)) without cancellation.
    p = float(special.erfc(abs(mean / se) / math.sqrt(2.0)))
    return interval, se, p
