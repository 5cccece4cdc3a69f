"""Count and weighted-row bootstrap against scipy.stats.bootstrap and brute-force row resampling."""

from __future__ import annotations

import math
import types
import warnings
from typing import Literal

import numpy as np
import pytest
from scipy import stats

from pytest_modelgate.stats import (
    BCA_MAX_ROWS,
    bca_interval,
    count_bootstrap,
    draw_counts,
    jackknife_on_cells,
    percentile_of_score,
    weighted_row_bootstrap,
)

Method = Literal["percentile", "basic", "bca"]

# Confusion-matrix layout used throughout: [[tp, fp], [fn, tn]].


def accuracy_cells(c: np.ndarray) -> np.ndarray:
    return (c[:, 0, 0] + c[:, 1, 1]) / c.sum(axis=(1, 2))


def f1_cells(c: np.ndarray) -> np.ndarray:
    return 2 * c[:, 0, 0] / (2 * c[:, 0, 0] + c[:, 0, 1] + c[:, 1, 0])


def precision_cells(c: np.ndarray) -> np.ndarray:
    return c[:, 0, 0] / (c[:, 0, 0] + c[:, 0, 1])


def accuracy_rows(y_true: np.ndarray, y_pred: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.mean(y_true == y_pred, axis=axis)


def f1_rows(y_true: np.ndarray, y_pred: np.ndarray, axis: int = -1) -> np.ndarray:
    t, p = y_true.astype(bool), y_pred.astype(bool)
    tp = np.sum(t & p, axis=axis)
    fp = np.sum(~t & p, axis=axis)
    fn = np.sum(t & ~p, axis=axis)
    return 2 * tp / (2 * tp + fp + fn)


CELL_STATS = {"accuracy": (accuracy_cells, accuracy_rows), "f1": (f1_cells, f1_rows)}
SCIPY_METHOD = {"bca": "BCa", "percentile": "percentile", "basic": "basic"}


def confusion(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    return np.array(
        [
            [np.sum(y_true & y_pred), np.sum(~y_true & y_pred)],
            [np.sum(y_true & ~y_pred), np.sum(~y_true & ~y_pred)],
        ]
    )


def binary_rows(n: int, seed: int, prevalence: float = 0.4, agreement: float = 0.8):
    rng = np.random.default_rng(seed)
    y_true = rng.random(n) < prevalence
    y_pred = np.where(rng.random(n) < agreement, y_true, ~y_true)
    return y_true, y_pred


@pytest.mark.parametrize("confidence", [0.9, 0.95])
@pytest.mark.parametrize("method", ["bca", "percentile", "basic"])
@pytest.mark.parametrize("name", ["accuracy", "f1"])
def test_count_bootstrap_matches_scipy_given_same_replicates(
    name: str, method: Method, confidence: float
) -> None:
    cell_stat, row_stat = CELL_STATS[name]
    y_true, y_pred = binary_rows(150, seed=11)
    counts = confusion(y_true, y_pred)
    result = count_bootstrap(
        counts,
        cell_stat,
        n_resamples=4000,
        confidence=confidence,
        method=method,
        rng=np.random.default_rng(2024),
    )
    # scipy recomputes theta-hat and (for BCa) the jackknife over the 150 ROWS; only the
    # replicate distribution is shared, so agreement validates the cell jackknife too.
    reference = stats.bootstrap(
        (y_true.astype(float), y_pred.astype(float)),
        row_stat,
        paired=True,
        vectorized=True,
        n_resamples=0,
        bootstrap_result=types.SimpleNamespace(bootstrap_distribution=result.distribution),
        method=SCIPY_METHOD[method],
        confidence_level=confidence,
    )
    assert result.interval.method == f"bootstrap-{method}"
    assert result.interval.low == pytest.approx(reference.confidence_interval.low, abs=1e-10)
    assert result.interval.high == pytest.approx(reference.confidence_interval.high, abs=1e-10)
    assert result.standard_error == pytest.approx(reference.standard_error, rel=1e-12)
    assert result.n_undefined == 0


def test_bca_differs_from_percentile_for_f1() -> None:
    """Guard that the scipy comparison above exercises a non-trivial BCa adjustment."""
    counts = confusion(*binary_rows(150, seed=11))
    bca = count_bootstrap(
        counts, f1_cells, n_resamples=4000, method="bca", rng=np.random.default_rng(1)
    )
    pct = count_bootstrap(
        counts, f1_cells, n_resamples=4000, method="percentile", rng=np.random.default_rng(1)
    )
    np.testing.assert_array_equal(bca.distribution, pct.distribution)
    assert abs(bca.interval.low - pct.interval.low) > 1e-4


@pytest.mark.parametrize("name", ["accuracy", "f1"])
def test_cell_jackknife_equals_row_jackknife(name: str) -> None:
    cell_stat, row_stat = CELL_STATS[name]
    y_true, y_pred = binary_rows(97, seed=3)
    values, weights = jackknife_on_cells(confusion(y_true, y_pred), cell_stat)
    keep = ~np.eye(y_true.size, dtype=bool)
    row_values = row_stat(
        np.broadcast_to(y_true, keep.shape)[keep].reshape(y_true.size, -1),
        np.broadcast_to(y_pred, keep.shape)[keep].reshape(y_true.size, -1),
    )
    assert weights.sum() == y_true.size
    np.testing.assert_allclose(
        np.sort(np.repeat(values, weights)), np.sort(row_values), rtol=0, atol=1e-15
    )


def test_draw_counts_shape_totals_and_reproducibility() -> None:
    counts = np.array([[30, 5], [10, 55]])
    draws = draw_counts(counts, 5000, np.random.default_rng(8))
    assert draws.shape == (5000, 2, 2) and draws.dtype == np.int64
    assert np.all(draws.sum(axis=(1, 2)) == counts.sum())
    # Multinomial mean is n·p; 5000 draws pin it to well under one count.
    np.testing.assert_allclose(draws.mean(axis=0), counts, atol=0.5)
    np.testing.assert_array_equal(draws, draw_counts(counts, 5000, np.random.default_rng(8)))
    histogram = draw_counts(np.array([0, 4, 0, 9]), 100, np.random.default_rng(0))
    assert np.all(histogram[:, [0, 2]] == 0)
    assert draw_counts(np.zeros(3, dtype=int), 4, np.random.default_rng(0)).shape == (4, 3)
    with pytest.raises(ValueError):
        draw_counts(np.array([1, -1]), 3, np.random.default_rng(0))


def _row_bootstrap_quantiles(y_true, y_pred, row_stat, n_resamples, rng, chunk=1000):
    n = y_true.size
    values = []
    for start in range(0, n_resamples, chunk):
        idx = rng.integers(0, n, size=(min(chunk, n_resamples - start), n))
        values.append(row_stat(y_true[idx], y_pred[idx], axis=-1))
    return np.quantile(np.concatenate(values), [0.025, 0.5, 0.975])


@pytest.mark.parametrize("name", ["accuracy", "f1"])
def test_count_distribution_matches_row_resampling(name: str) -> None:
    cell_stat, row_stat = CELL_STATS[name]
    y_true, y_pred = binary_rows(2000, seed=21, prevalence=0.3)
    counts = confusion(y_true, y_pred)
    by_counts = count_bootstrap(
        counts, cell_stat, n_resamples=20_000, rng=np.random.default_rng(1)
    ).distribution
    by_rows = _row_bootstrap_quantiles(y_true, y_pred, row_stat, 20_000, np.random.default_rng(2))
    got = np.quantile(by_counts, [0.025, 0.5, 0.975])
    np.testing.assert_allclose(got, by_rows, rtol=0, atol=0.004)


def test_all_correct_small_sample_collapses_without_warnings() -> None:
    """20/20 correct: every replicate is 1, so bootstrap intervals are [1, 1].

    This is why callers should use Wilson/Clopper–Pearson for plain proportions: the
    bootstrap cannot express uncertainty the sample never showed.
    """
    counts = np.array([[8, 0], [0, 12]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pct = count_bootstrap(
            counts, accuracy_cells, method="percentile", rng=np.random.default_rng(0)
        )
        bca = count_bootstrap(counts, accuracy_cells, method="bca", rng=np.random.default_rng(0))
    assert (pct.interval.low, pct.interval.high) == (1.0, 1.0)
    assert (bca.interval.low, bca.interval.high) == (1.0, 1.0)
    assert bca.interval.method == "bootstrap-percentile"  # BCa undefined, fell back
    assert pct.standard_error == 0.0


def test_undefined_replicates_are_counted_not_warned() -> None:
    # One predicted positive in 20 rows: about (19/20)^20 ≈ 36% of replicates have none.
    counts = np.array([[1, 0], [5, 14]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = count_bootstrap(
            counts, precision_cells, n_resamples=2000, method="bca", rng=np.random.default_rng(4)
        )
    assert 500 < result.n_undefined < 1000
    assert np.isnan(result.distribution).sum() == result.n_undefined
    assert result.distribution.shape == (2000,)
    assert math.isfinite(result.standard_error)
    assert result.interval.is_defined


def test_undefined_point_estimate_gives_nan_interval() -> None:
    counts = np.array([[0, 0], [5, 15]])  # no predicted positives at all
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = count_bootstrap(
            counts, precision_cells, n_resamples=200, rng=np.random.default_rng(0)
        )
    assert not result.interval.is_defined
    assert result.n_undefined == 200


def test_bca_coverage_for_f1_on_counts() -> None:
    """BCa 95% intervals for F1 cover the population F1 in about 95% of test sets."""
    p = np.array([[0.30, 0.08], [0.12, 0.50]])
    true_f1 = 2 * p[0, 0] / (2 * p[0, 0] + p[0, 1] + p[1, 0])
    rng = np.random.default_rng(7)
    n_sim = 2000
    test_sets = rng.multinomial(500, p.ravel(), size=n_sim).reshape(n_sim, 2, 2)
    covered = sum(
        count_bootstrap(c, f1_cells, n_resamples=1000, method="bca", rng=rng).interval.contains(
            true_f1
        )
        for c in test_sets
    )
    coverage = covered / n_sim
    assert 0.93 <= coverage <= 0.97, coverage


def test_percentile_of_score_matches_scipy() -> None:
    rng = np.random.default_rng(0)
    values = rng.integers(0, 10, size=301).astype(float)
    for score in (-1.0, 0.0, 4.0, 4.5, 9.0, 10.0):
        expected = stats.percentileofscore(values, score, kind="mean") / 100
        assert percentile_of_score(values, score) == pytest.approx(expected, abs=1e-14)
    with_nan = np.r_[values, np.nan, np.nan]
    assert percentile_of_score(with_nan, 4.0) == percentile_of_score(values, 4.0)
    assert math.isnan(percentile_of_score(np.full(3, np.nan), 1.0))


def test_bca_interval_fallbacks() -> None:
    replicates = np.linspace(0.0, 1.0, 101)
    # (1 - 0.95) / 2 is 0.025000000000000022 in floating point; scipy uses it too.
    alpha = (1 - 0.95) / 2
    percentile = tuple(np.quantile(replicates, [alpha, 1 - alpha]))
    # All replicates above theta-hat: z0 = -inf, BCa undefined.
    assert bca_interval(-1.0, replicates, [0.1, 0.2], [1, 1], 0.95) == percentile
    # Constant jackknife: acceleration 0/0.
    assert bca_interval(0.5, replicates, [0.5, 0.5], [3, 4], 0.95) == percentile
    # Undefined jackknife value.
    assert bca_interval(0.5, replicates, [0.5, np.nan], [3, 4], 0.95) == percentile
    low, high = bca_interval(np.nan, replicates, [0.1, 0.2], [1, 1], 0.95)
    assert math.isnan(low) and math.isnan(high)


def mean_statistic(weights: np.ndarray, columns: np.ndarray) -> np.ndarray:
    return (weights @ columns[:, 0]) / weights.sum(axis=1)


def test_weighted_row_bootstrap_quantiles_match_row_resampling() -> None:
    rng = np.random.default_rng(42)
    x = rng.exponential(scale=0.25, size=400)
    result = weighted_row_bootstrap(
        x[:, None],
        mean_statistic,
        n_resamples=20_000,
        method="percentile",
        rng=np.random.default_rng(1),
    )
    idx = np.random.default_rng(2).integers(0, x.size, size=(20_000, x.size))
    brute = x[idx].mean(axis=1)
    quantiles = [0.025, 0.5, 0.975]
    # Bootstrap SE of the mean is ~0.0125, so the Monte Carlo SD of the difference of two
    # independent 2.5% quantile estimates is ~0.0003; 0.002 is ~6 SD yet far below the SE.
    assert brute.std() == pytest.approx(0.0125, rel=0.15)
    np.testing.assert_allclose(
        np.quantile(result.distribution, quantiles),
        np.quantile(brute, quantiles),
        rtol=0,
        atol=0.002,
    )
    assert result.interval.low == pytest.approx(np.quantile(result.distribution, 0.025))


@pytest.mark.parametrize("method", ["bca", "basic", "percentile"])
def test_weighted_row_bootstrap_matches_scipy_given_same_replicates(method: Method) -> None:
    x = np.random.default_rng(3).lognormal(size=300)
    result = weighted_row_bootstrap(
        x, mean_statistic, n_resamples=3000, method=method, rng=np.random.default_rng(9)
    )
    reference = stats.bootstrap(
        (x,),
        np.mean,
        n_resamples=0,
        method=SCIPY_METHOD[method],
        confidence_level=0.95,
        bootstrap_result=types.SimpleNamespace(bootstrap_distribution=result.distribution),
    )
    assert result.interval.method == f"bootstrap-{method}"
    assert result.interval.low == pytest.approx(reference.confidence_interval.low, abs=1e-10)
    assert result.interval.high == pytest.approx(reference.confidence_interval.high, abs=1e-10)


def test_weighted_row_bootstrap_chunking_is_invisible() -> None:
    x = np.random.default_rng(5).normal(size=(250, 2))
    ratio = lambda w, c: (w @ c[:, 0]) / (w @ np.abs(c[:, 1]))  # noqa: E731
    whole = weighted_row_bootstrap(x, ratio, n_resamples=500, rng=np.random.default_rng(6))
    chunked = weighted_row_bootstrap(
        x, ratio, n_resamples=500, rng=np.random.default_rng(6), chunk_rows_x_resamples=7 * 250 + 3
    )
    np.testing.assert_allclose(chunked.distribution, whole.distribution, rtol=0, atol=1e-12)
    assert chunked.interval.low == pytest.approx(whole.interval.low, abs=1e-12)
    assert chunked.interval.high == pytest.approx(whole.interval.high, abs=1e-12)


def test_weighted_row_bootstrap_large_n_falls_back_to_percentile() -> None:
    x = np.random.default_rng(0).normal(size=BCA_MAX_ROWS + 1)
    result = weighted_row_bootstrap(
        x, mean_statistic, n_resamples=50, method="bca", rng=np.random.default_rng(1)
    )
    assert result.interval.method == "bootstrap-percentile"
    assert result.interval.low == pytest.approx(np.quantile(result.distribution, 0.025))


def test_invalid_arguments() -> None:
    rng = np.random.default_rng(0)
    counts = np.array([[3, 1], [2, 4]])
    with pytest.raises(ValueError):
        count_bootstrap(counts, accuracy_cells, method="studentized", rng=rng)  # type: ignore
    with pytest.raises(ValueError):
        count_bootstrap(counts, accuracy_cells, confidence=95, rng=rng)
    with pytest.raises(ValueError):
        count_bootstrap(counts + 0.5, accuracy_cells, rng=rng)
    with pytest.raises(ValueError):
        weighted_row_bootstrap(np.empty((0, 1)), mean_statistic, rng=rng)
