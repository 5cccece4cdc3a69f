"""MOVER intervals for a difference of two independent proportions, and the pairwise gap
interval of fairness gates, against scipy, statsmodels and brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import stats

from pytest_modelgate.estimates.fairness_pairwise import PAIRWISE_METHOD, pairwise_gap_interval
from pytest_modelgate.stats.difference import mover_difference_interval, proportion_limits

CASES = [(0, 5, 3, 200), (5, 5, 180, 200), (7, 15, 130, 1000), (1, 40, 0, 30), (12, 30, 12, 30)]


def test_clopper_pearson_limits_equal_scipy_binomtest():
    z = stats.norm.ppf(0.975)
    for x, n, _, _ in CASES:
        ci = stats.binomtest(x, n).proportion_ci(0.95, method="exact")
        low, high = proportion_limits(x, n, z)
        assert (float(low), float(high)) == pytest.approx((ci.low, ci.high), abs=1e-10)
    assert np.isnan(proportion_limits(0, 0, z)[0])


def test_wilson_mover_equals_statsmodels_newcombe():
    proportion = pytest.importorskip("statsmodels.stats.proportion")
    for x1, n1, x2, n2 in CASES:
        low, high = mover_difference_interval(x1, n1, x2, n2, 0.95, limits="wilson")
        ref = proportion.confint_proportions_2indep(x1, n1, x2, n2, method="newcomb")
        assert (float(low), float(high)) == pytest.approx(ref, abs=1e-10)


def test_mover_cp_by_hand():
    # the square-and-add formula with scipy's exact limits, one pair at a time
    for x1, n1, x2, n2 in CASES:
        a = stats.binomtest(x1, n1).proportion_ci(0.9, method="exact")
        b = stats.binomtest(x2, n2).proportion_ci(0.9, method="exact")
        p1, p2 = x1 / n1, x2 / n2
        low = p1 - p2 - np.hypot(p1 - a.low, b.high - p2)
        high = p1 - p2 + np.hypot(a.high - p1, p2 - b.low)
        got = mover_difference_interval(x1, n1, x2, n2, 0.9)
        assert (float(got[0]), float(got[1])) == pytest.approx((low, high), abs=1e-10)


def test_mover_cp_keeps_its_one_sided_level_where_newcombe_does_not():
    # exact one-sided error of the lower end, every count pair enumerated: a group of 5 rows at
    # rate .05 against 200 at .15 (CP 1.43%, Wilson 6.06%)
    n1, p1, n2, p2 = 5, 0.05, 200, 0.15
    x1, x2 = np.meshgrid(np.arange(n1 + 1), np.arange(n2 + 1), indexing="ij")
    weight = stats.binom.pmf(x1, n1, p1) * stats.binom.pmf(x2, n2, p2)
    errors = {}
    for limits in ("clopper-pearson", "wilson"):
        low, _ = mover_difference_interval(x1, n1, x2, n2, 0.95, limits=limits)
        errors[limits] = float(weight[low > p1 - p2 + 1e-12].sum())
    assert errors["clopper-pearson"] <= 0.025 < 0.05 < errors["wilson"]


def test_pairwise_gap_interval_by_brute_force():
    successes = np.array([[40.0, 10.0], [30.0, 25.0], [8.0, 2.0], [0.0, 0.0]])
    trials = np.array([[50.0, 100.0], [50.0, 100.0], [10.0, 40.0], [0.0, 30.0]])
    iv, tests = pairwise_gap_interval(successes, trials, 0.95)
    upper, lower, m = [], [], 0
    pairs = list(itertools.combinations(range(4), 2))
    for (i, j), c in itertools.product(pairs, range(2)):
        if trials[i, c] and trials[j, c]:
            m += 1
    for (i, j), c in itertools.product(pairs, range(2)):
        if not (trials[i, c] and trials[j, c]):
            continue  # 0/0 takes part in no difference
        args = (successes[i, c], trials[i, c], successes[j, c], trials[j, c])
        lo, hi = (float(v) for v in mover_difference_interval(*args, 0.95))
        upper.append(max(hi, -lo))
        lo, hi = (float(v) for v in mover_difference_interval(*args, 1 - 0.05 / m))
        lower.append(max(lo, -hi, 0.0))
    assert tests == m == 9
    assert (iv.low, iv.high) == pytest.approx((max(lower), max(upper)), abs=1e-12)
    assert iv.method == PAIRWISE_METHOD and iv.level == 0.95
    rates = successes[:3] / trials[:3]
    gap = max(np.ptp(rates[:, 0]), np.ptp(rates[:, 1]))
    assert iv.low <= gap <= iv.high
    none, zero = pairwise_gap_interval(successes[:1], trials[:1], 0.95)
    assert not none.is_defined and zero == 0
