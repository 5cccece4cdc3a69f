"""Binomial and normal intervals against SciPy's binomtest as the independent reference."""

from __future__ import annotations

import math

import pytest
from scipy import stats

from pytest_modelgate.stats import (
    Interval,
    clopper_pearson_interval,
    normal_interval,
    wilson_interval,
)

LEVELS = (0.8, 0.95, 0.99)


def _grid() -> list[tuple[int, int]]:
    pairs = set()
    for n in (1, 2, 3, 7, 20, 51, 100, 999, 10_000):
        for k in (0, 1, 2, n // 3, n // 2, n - 2, n - 1, n):
            if 0 <= k <= n:
                pairs.add((k, n))
    return sorted(pairs)


GRID = _grid()


@pytest.mark.parametrize("confidence", LEVELS)
def test_wilson_matches_scipy(confidence: float) -> None:
    for k, n in GRID:
        ref = stats.binomtest(k, n).proportion_ci(confidence, method="wilson")
        got = wilson_interval(k, n, confidence)
        assert got.low == pytest.approx(ref.low, abs=1e-12, rel=0), (k, n)
        assert got.high == pytest.approx(ref.high, abs=1e-12, rel=0), (k, n)
        assert got.method == "wilson"
        assert got.level == confidence


@pytest.mark.parametrize("confidence", LEVELS)
def test_clopper_pearson_matches_scipy(confidence: float) -> None:
    for k, n in GRID:
        ref = stats.binomtest(k, n).proportion_ci(confidence, method="exact")
        got = clopper_pearson_interval(k, n, confidence)
        assert got.low == pytest.approx(ref.low, abs=1e-12, rel=0), (k, n)
        assert got.high == pytest.approx(ref.high, abs=1e-12, rel=0), (k, n)
        assert got.method == "clopper-pearson"


def test_binomial_interval_edges_are_exact() -> None:
    assert wilson_interval(0, 10).low == 0.0
    assert wilson_interval(10, 10).high == 1.0
    assert clopper_pearson_interval(0, 10).low == 0.0
    assert clopper_pearson_interval(10, 10).high == 1.0
    # One-sided tail at k = n has closed form (alpha/2)^(1/n) for the lower end.
    assert clopper_pearson_interval(10, 10, 0.95).low == pytest.approx(0.025 ** (1 / 10))


def test_exact_interval_is_wider_than_wilson() -> None:
    for k, n in [(3, 40), (20, 40), (39, 40)]:
        exact, score = clopper_pearson_interval(k, n), wilson_interval(k, n)
        assert exact.width > score.width


@pytest.mark.parametrize("func", [wilson_interval, clopper_pearson_interval])
def test_zero_trials_is_undefined(func) -> None:
    got = func(0, 0, 0.9)
    assert math.isnan(got.low) and math.isnan(got.high)
    assert not got.is_defined
    assert not got.contains(0.5)


@pytest.mark.parametrize("func", [wilson_interval, clopper_pearson_interval])
@pytest.mark.parametrize(
    ("k", "n", "confidence"), [(-1, 5, 0.95), (6, 5, 0.95), (2.5, 5, 0.95), (1, 5, 1.0)]
)
def test_binomial_rejects_bad_input(func, k, n, confidence) -> None:
    with pytest.raises(ValueError):
        func(k, n, confidence)


def test_normal_interval_basic_and_clipped() -> None:
    z = stats.norm.ppf(0.975)
    got = normal_interval(0.5, 0.1)
    assert got.low == pytest.approx(0.5 - z * 0.1, abs=1e-15)
    assert got.high == pytest.approx(0.5 + z * 0.1, abs=1e-15)
    assert got.method == "normal"
    assert got.width == pytest.approx(2 * z * 0.1)

    clipped = normal_interval(0.97, 0.05, 0.9, method="delong", bounds=(0.0, 1.0))
    assert clipped.high == 1.0
    assert clipped.low == pytest.approx(0.97 - stats.norm.ppf(0.95) * 0.05)
    assert clipped.method == "delong"

    zero_se = normal_interval(0.3, 0.0)
    assert zero_se.low == zero_se.high == 0.3
    assert zero_se.contains(0.3)

    undefined = normal_interval(float("nan"), 0.1)
    assert not undefined.is_defined
    with pytest.raises(ValueError):
        normal_interval(0.5, -0.1)


def test_interval_contains_and_is_frozen() -> None:
    interval = Interval(0.2, 0.4, 0.95, "wilson")
    assert interval.contains(0.2) and interval.contains(0.4) and interval.contains(0.3)
    assert not interval.contains(0.41)
    assert not interval.contains(float("nan"))
    with pytest.raises(AttributeError):
        interval.low = 0.0  # type: ignore[misc]
