"""The intervals of issue #13 against independent references: Newcombe's AUC score interval by a
grid search over its defining inequality, the Hanley–McNeil variance by simulation of exponential
scores, Hall's skewness-corrected t against its forward transformation and Student's t, and
Cochran's rule and frequency weights against expanded rows."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import special, stats

from pytest_modelgate.stats import (
    auc_hull_interval,
    clopper_pearson_interval,
    delong_auc_variance,
    delong_logit_interval,
    hall_t_bounds,
    hanley_mcneil_variance,
    newcombe_score_interval,
    normal_interval,
    skewed_mean_interval,
)

Z = float(special.ndtri(0.975))


@pytest.mark.parametrize(
    ("auc", "m", "n"), [(0.8, 10, 90), (0.95, 5, 1000), (1.0, 5, 45), (0.6, 30, 30)]
)
def test_newcombe_score_interval_is_its_defining_set(auc, m, n):
    # brute force: every θ on a fine grid with (θ̂ − θ)² ≤ z² V_HM(θ), V_HM written out afresh
    theta = np.linspace(0.0, 1.0, 200_001)
    q1, q2 = theta / (2 - theta), 2 * theta**2 / (1 + theta)
    var = (theta * (1 - theta) + (m - 1) * (q1 - theta**2) + (n - 1) * (q2 - theta**2)) / (m * n)
    inside = theta[(auc - theta) ** 2 <= Z * Z * np.maximum(var, 0)]
    iv = newcombe_score_interval(auc, m, n, 0.95)
    assert iv.low == pytest.approx(inside.min(), abs=1e-5)
    assert iv.high == pytest.approx(inside.max(), abs=1e-5)
    assert iv.method == "newcombe-score"


def test_hanley_mcneil_variance_is_exact_for_exponential_scores():
    # Hanley & McNeil's Q1, Q2 are exact for exponential scores: compare with 20,000 simulated AUCs
    rng = np.random.default_rng(5)
    m, n, auc = 8, 40, 0.9
    mu = auc / (1 - auc)
    x = rng.exponential(mu, (20_000, m))
    y = rng.exponential(1.0, (20_000, n))
    aucs = (x[:, :, None] > y[:, None, :]).mean(axis=(1, 2))
    assert hanley_mcneil_variance(auc, m, n) == pytest.approx(aucs.var(), rel=0.04)


def test_auc_hull_contains_its_three_parts():
    rng = np.random.default_rng(1)
    y = np.r_[np.ones(12), np.zeros(200)].astype(int)
    s = np.r_[rng.normal(2.0, 1, 12), rng.normal(0, 1, 200)]
    auc, var = delong_auc_variance(y, s)
    hull = auc_hull_interval(auc, var, 12, 200, 0.95)
    parts = [
        newcombe_score_interval(auc, 12, 200, 0.95),
        delong_logit_interval(auc, var, 0.95),
        normal_interval(auc, math.sqrt(var), 0.95, bounds=(0.0, 1.0)),
    ]
    assert hull.low == min(p.low for p in parts)
    assert hull.high == max(p.high for p in parts)
    assert hull.method == "delong-newcombe-hull"


def test_auc_hull_at_perfect_separation_is_a_real_interval():
    # DeLong's variance is 0 at AUC 1: the hull keeps Newcombe's lower bound instead of a point
    hull = auc_hull_interval(1.0, 0.0, 5, 45, 0.95)
    assert hull.high == 1.0
    assert hull.low == pytest.approx(newcombe_score_interval(1.0, 5, 45, 0.95).low)
    assert 0.5 < hull.low < 0.95


def test_hall_t_is_student_t_without_skewness():
    low, high = hall_t_bounds(2.0, 1.5, 20, 0.0, 0.95)
    ref = stats.t.interval(0.95, 19, loc=2.0, scale=1.5 / math.sqrt(20))
    assert (low, high) == pytest.approx(ref, abs=1e-12)


@pytest.mark.parametrize("skew", [-1.5, 0.4, 2.0])
def test_hall_t_bounds_invert_halls_transformation(skew):
    # at each bound, g(T) = T + aT² + a²T³/3 + b must equal the ∓ t quantile (Hall 1992, eq. 2.6)
    n, mean, sd = 50, 1.0, 0.7
    low, high = hall_t_bounds(mean, sd, n, skew, 0.95)
    a, b = skew / (3 * math.sqrt(n)), skew / (6 * math.sqrt(n))
    t = stats.t.ppf(0.975, n - 1)
    for mu, target in ((low, t), (high, -t)):
        big_t = math.sqrt(n) * (mean - mu) / sd
        assert big_t + a * big_t**2 + a * a * big_t**3 / 3 + b == pytest.approx(target, abs=1e-9)
    # right skew moves the interval up (the upper end further from the mean)
    if skew > 0:
        assert high - mean > mean - low


def test_skewed_mean_interval_uses_adjusted_skewness_and_cochrans_rule():
    rng = np.random.default_rng(3)
    x = rng.exponential(1.0, 400)  # skewness 2: Cochran asks for about 100 rows
    result = skewed_mean_interval(x, confidence=0.95, bounds=(0.0, None))
    assert result.skewness == pytest.approx(stats.skew(x, bias=False), rel=1e-10)
    assert result.rows_needed == pytest.approx(25 * result.skewness**2)
    assert result.interval.is_defined and result.interval.method == "hall-t"
    heavy = np.r_[np.zeros(99), 50.0]  # one row carries the whole loss
    refused = skewed_mean_interval(heavy)
    assert not refused.interval.is_defined
    assert "too skewed for 100 rows" in refused.note and "Cochran" in refused.note


def test_skewed_mean_interval_with_frequencies_equals_expanded_rows():
    values = np.array([0.1, 0.4, 0.9, 0.05])
    weight = np.array([30, 20, 13, 47])
    got = skewed_mean_interval(values, weight)
    ref = skewed_mean_interval(np.repeat(values, weight))
    assert (got.interval.low, got.interval.high) == pytest.approx(
        (ref.interval.low, ref.interval.high), rel=1e-12
    )
    assert got.skewness == pytest.approx(ref.skewness, rel=1e-12)
    assert got.interval.is_defined


def test_clopper_pearson_one_sided_error_never_exceeds_its_half_of_alpha():
    # exact enumeration (issue #13): lenient min at n = 50, bar 0.99 — Wilson failed 8.9% of
    # models at the bar; Clopper–Pearson's upper bound is below 0.99 with probability ≤ 2.5%
    n, p = 50, 0.99
    k = np.arange(n + 1)
    highs = np.array([clopper_pearson_interval(int(j), n).high for j in k])
    assert stats.binom.pmf(k, n, p)[highs < p].sum() <= 0.025
