"""The trend's slope (stats/trend.py) against statsmodels' weighted least squares with known
variances, and its level by simulation: at a flat true trend a lenient trend gate (fail when
the whole interval lies below 0) fails about 2.5 % of the time, never much more."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from pytest_modelgate.stats.trend import TREND_METHOD, weighted_slope


def test_slope_and_interval_equal_statsmodels_wls_with_known_variances():
    sm = pytest.importorskip("statsmodels.api")
    y = np.array([0.81, 0.805, 0.79, 0.792, 0.78, 0.776])
    se = np.array([0.006, 0.004, 0.007, 0.005, 0.006, 0.003])
    slope, interval, p = weighted_slope(y, se, 0.9)
    x = sm.add_constant(np.arange(len(y), dtype=float))
    # cov_type="fixed scale" keeps the variances as given (scale 1), as ours does
    fit = sm.WLS(y, x, weights=1 / se**2).fit(cov_type="fixed scale")
    assert slope == pytest.approx(fit.params[1], rel=1e-12)
    low, high = fit.conf_int(alpha=0.1)[1]
    assert (interval.low, interval.high) == (pytest.approx(low), pytest.approx(high))
    assert interval.method == TREND_METHOD and interval.level == 0.9
    z = fit.params[1] / fit.bse[1]
    assert p == pytest.approx(stats.norm.cdf(z))


def test_undefined_inputs_give_an_undefined_interval_and_too_few_releases_are_refused():
    slope, interval, _ = weighted_slope(np.array([0.8, 0.7, 0.6]), np.array([0.01, 0, 0.01]), 0.95)
    assert np.isnan(slope) and not interval.is_defined
    with pytest.raises(ValueError, match="at least 3 releases"):
        weighted_slope(np.array([0.8, 0.7]), np.array([0.01, 0.01]), 0.95)


def test_a_flat_trend_is_flagged_at_most_at_the_nominal_rate_and_a_decline_is_found():
    """400 histories of 5 releases, each release's accuracy measured on its own 2,000 rows with
    a Wilson interval (as the gate reads it back from the history)."""
    rng = np.random.default_rng(7)
    reps, k, n = 400, 5, 2000

    def flagged(true: np.ndarray) -> float:
        hits = rng.binomial(n, np.broadcast_to(true, (reps, k)))
        p = hits / n
        low, high = _wilson(hits, n)
        se = (high - low) / (2 * 1.959963984540054)
        return float(np.mean([weighted_slope(p[i], se[i], 0.95)[1].high < 0 for i in range(reps)]))

    flat = flagged(np.full(k, 0.8))
    # 2.5 % nominal; with 400 reps the 99 % binomial bound of a 2.5 % rate is 4.9 %
    assert flat <= 0.049
    declining = flagged(0.8 - 0.006 * np.arange(k))  # -0.006 a release: about 2.5 SE of the slope
    assert declining >= 0.5


def _wilson(hits: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    z = 1.959963984540054
    p = hits / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    return centre - half, centre + half
