"""The rule every share-of-rows check gate uses (invariance, directional, serving skew):
an exact interval, so a gate whose true share sits at its limit errs at most at the promised
one-sided rate at every n — computed exactly here by enumerating the binomial."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from pytest_modelgate.checks.common import CheckRule, judge_rate
from pytest_modelgate.results import Verdict


def _error_rate(n: int, p: float, evidence: str) -> float:
    """P(false verdict) when the true share equals the limit p: strict → PASS, lenient → FAIL."""
    rule = CheckRule(evidence, 0.95, 1)
    k = np.arange(n + 1)
    wrong = Verdict.PASS if evidence == "strict" else Verdict.FAIL
    hits = np.array([judge_rate(int(i), n, p, rule, "rows").verdict is wrong for i in k])
    return float(stats.binom.pmf(k, n, p)[hits].sum())


@pytest.mark.parametrize("n", [30, 100, 1000])
@pytest.mark.parametrize("p", [0.001, 0.01, 0.05, 0.2])
@pytest.mark.parametrize("evidence", ["strict", "lenient"])
def test_one_sided_error_at_the_limit_is_at_most_2_5_percent(
    n: int, p: float, evidence: str
) -> None:
    assert _error_rate(n, p, evidence) <= 0.025 + 1e-12


def test_the_interval_is_clopper_pearson() -> None:
    got = judge_rate(3, 40, 0.1, CheckRule("strict", 0.9, 1), "rows").interval
    ref = stats.binomtest(3, 40).proportion_ci(0.9, method="exact")
    assert (got.low, got.high) == pytest.approx((ref.low, ref.high), rel=1e-9)


def test_zero_tolerance_is_exact_whatever_the_rule() -> None:
    for evidence in ("strict", "lenient", "point"):
        rule = CheckRule(evidence, 0.95, 30)
        assert judge_rate(0, 500, 0.0, rule, "rows").verdict is Verdict.PASS
        assert judge_rate(1, 500, 0.0, rule, "rows").verdict is Verdict.FAIL


def test_no_rows_is_inconclusive() -> None:
    j = judge_rate(0, 0, 0.0, CheckRule("strict", 0.95, 30), "rows")
    assert j.verdict is Verdict.INCONCLUSIVE and j.reason == "no rows to judge"


def test_quantile_bounds_are_the_exact_order_statistics() -> None:
    """Brute force: each end's one-sided error is P(Binomial(n, q) ...) <= 2.5%, and the next
    order statistic inwards would break it."""
    from pytest_modelgate.stats.quantiles import calls_needed, quantile_interval

    for n, q in [(72, 0.95), (100, 0.95), (50, 0.5), (400, 0.99)]:
        x = np.arange(1.0, n + 1)  # x_(k) = k
        iv = quantile_interval(x[::-1], q)
        u, lo = int(iv.high), int(iv.low)
        assert stats.binom.cdf(u - 1, n, q) >= 0.975 > stats.binom.cdf(u - 2, n, q)
        assert 1 - stats.binom.cdf(lo - 1, n, q) >= 0.975 > 1 - stats.binom.cdf(lo, n, q)
    assert calls_needed(0.95) == 72 and calls_needed(0.99) == 368
    assert np.isnan(quantile_interval(np.arange(71.0), 0.95).high)
    assert not np.isnan(quantile_interval(np.arange(72.0), 0.95).high)
