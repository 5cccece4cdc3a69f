"""Holm adjustment against a literal step-down procedure."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pytest_modelgate.stats import holm_adjust, min_resamples_for_level


def brute_force_holm(p_values: list[float]) -> list[float]:
    """Holm adjusted p-values straight from the definition, one test at a time."""
    present = [(p, i) for i, p in enumerate(p_values) if not math.isnan(p)]
    m = len(present)
    ranked = sorted(present)
    adjusted = [math.nan] * len(p_values)
    for rank, (_, original_index) in enumerate(ranked):
        candidates = [(m - j) * ranked[j][0] for j in range(rank + 1)]
        adjusted[original_index] = min(1.0, max(candidates))
    return adjusted


def brute_force_rejections(p_values: list[float], alpha: float) -> set[int]:
    """Indices Holm's step-down rejects at level alpha (stops at the first failure)."""
    present = sorted((p, i) for i, p in enumerate(p_values) if not math.isnan(p))
    m = len(present)
    rejected = set()
    for j, (p, i) in enumerate(present):
        if p > alpha / (m - j):
            break
        rejected.add(i)
    return rejected


CASES = [
    [0.01, 0.04, 0.03, 0.005],
    [0.5],
    [0.0, 1.0],
    [0.02, 0.02, 0.02],
    [0.3, 0.001, np.nan, 0.04, 0.2],
    [np.nan, np.nan],
    [],
]


@pytest.mark.parametrize("p_values", CASES)
def test_holm_matches_brute_force(p_values: list[float]) -> None:
    got = holm_adjust(p_values)
    np.testing.assert_allclose(got, brute_force_holm(p_values), rtol=0, atol=1e-15)


def test_holm_random_against_brute_force_and_rejections() -> None:
    rng = np.random.default_rng(17)
    for _ in range(200):
        m = int(rng.integers(1, 15))
        p = rng.beta(0.4, 2.0, size=m)
        p[rng.random(m) < 0.15] = np.nan
        p[rng.random(m) < 0.2] = 0.04  # ties, which step-down must treat consistently
        got = holm_adjust(p)
        np.testing.assert_allclose(got, brute_force_holm(list(p)), rtol=0, atol=1e-15)
        for alpha in (0.01, 0.05, 0.1):
            assert set(np.flatnonzero(got <= alpha)) == brute_force_rejections(list(p), alpha)


def test_holm_is_monotone_in_raw_p_and_bounded() -> None:
    rng = np.random.default_rng(3)
    p = rng.random(50) ** 3
    adjusted = holm_adjust(p)
    order = np.argsort(p)
    assert np.all(np.diff(adjusted[order]) >= 0)
    assert np.all(adjusted >= p) and np.all(adjusted <= 1.0)


def test_holm_nan_does_not_count_towards_m() -> None:
    with_nan = holm_adjust([0.01, np.nan, 0.02])
    assert math.isnan(with_nan[1])
    np.testing.assert_allclose(with_nan[[0, 2]], holm_adjust([0.01, 0.02]))
    np.testing.assert_allclose(with_nan[[0, 2]], [0.02, 0.02])


def test_holm_keeps_shape_and_rejects_invalid() -> None:
    grid = np.array([[0.01, 0.2], [0.03, 0.04]])
    np.testing.assert_allclose(holm_adjust(grid).ravel(), holm_adjust(grid.ravel()))
    assert holm_adjust(grid).shape == (2, 2)
    with pytest.raises(ValueError):
        holm_adjust([0.5, 1.2])
    with pytest.raises(ValueError):
        holm_adjust([-0.1])


@pytest.mark.parametrize(
    ("alpha", "m", "expected"),
    [(0.05, 1, 200), (0.05, 4, 800), (0.01, 3, 3000), (0.1, 1, 100), (0.03, 7, 2334)],
)
def test_min_resamples_for_level(alpha: float, m: int, expected: int) -> None:
    assert min_resamples_for_level(alpha, m) == expected
    assert min_resamples_for_level(alpha, m) == math.ceil(10 * m / alpha - 1e-9)


@pytest.mark.parametrize(("alpha", "m"), [(0.0, 1), (1.0, 1), (0.05, 0), (0.05, 1.5)])
def test_min_resamples_rejects_invalid(alpha: float, m: float) -> None:
    with pytest.raises(ValueError):
        min_resamples_for_level(alpha, m)  # type: ignore[arg-type]
