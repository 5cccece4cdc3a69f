"""DeLong AUC inference against sklearn, scipy.rankdata and a brute-force pairwise kernel."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import special, stats
from sklearn.metrics import roc_auc_score

from pytest_modelgate.stats import (
    delong_auc_variance,
    delong_difference_test,
    delong_paired,
    midrank,
    normal_interval,
)


def _brute_force_components(
    y: np.ndarray, scores: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return AUCs, V10 (k, m) and V01 (k, n) from the explicit m×n kernel matrix."""
    scores = np.atleast_2d(scores)
    x = scores[:, y][:, :, None]
    z = scores[:, ~y][:, None, :]
    psi = (x > z).astype(float) + 0.5 * (x == z)
    return psi.mean(axis=(1, 2)), psi.mean(axis=2), psi.mean(axis=1)


def _brute_force_covariance(y: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    auc, v10, v01 = _brute_force_components(y, scores)
    m, n = v10.shape[1], v01.shape[1]
    k = auc.size
    cov = np.cov(v10, ddof=1).reshape(k, k) / m + np.cov(v01, ddof=1).reshape(k, k) / n
    return auc, cov


def _datasets() -> list[tuple[str, np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(12345)
    out = []
    y = rng.random(400) < 0.5
    out.append(("continuous", y, rng.normal(size=400) + 0.8 * y))
    y = rng.random(300) < 0.4
    out.append(("heavy-ties", y, rng.integers(0, 4, size=300) + (rng.random(300) < 0.3) * y))
    y = rng.random(1000) < 0.03
    out.append(("imbalanced", y, np.round(rng.normal(size=1000) + 1.5 * y, 1)))
    y = rng.random(50) < 0.5
    out.append(("constant-scores", y, np.zeros(50)))
    y = np.array([True, True, False, False, False])
    out.append(("perfect", y, np.array([0.9, 0.8, 0.1, 0.2, 0.3])))
    return out


DATASETS = _datasets()


@pytest.mark.parametrize(
    "values",
    [
        np.array([3.0, 1.0, 2.0]),
        np.array([1, 1, 1, 1]),
        np.array([5.0]),
        np.array([2, 2, 1, 3, 3, 3, -1, 2]),
        np.random.default_rng(0).integers(0, 20, size=1000),
        np.random.default_rng(1).normal(size=501),
    ],
)
def test_midrank_matches_rankdata(values: np.ndarray) -> None:
    np.testing.assert_array_equal(midrank(values), stats.rankdata(values, method="average"))


def test_midrank_empty_and_2d() -> None:
    assert midrank(np.array([])).shape == (0,)
    with pytest.raises(ValueError):
        midrank(np.zeros((2, 2)))


@pytest.mark.parametrize(("name", "y", "scores"), DATASETS, ids=[d[0] for d in DATASETS])
def test_auc_matches_sklearn(name: str, y: np.ndarray, scores: np.ndarray) -> None:
    auc, _ = delong_auc_variance(y, scores)
    assert auc == pytest.approx(roc_auc_score(y, scores), abs=1e-12)


@pytest.mark.parametrize(("name", "y", "scores"), DATASETS, ids=[d[0] for d in DATASETS])
def test_variance_matches_brute_force(name: str, y: np.ndarray, scores: np.ndarray) -> None:
    auc, variance = delong_auc_variance(y, scores)
    ref_auc, ref_cov = _brute_force_covariance(y, scores)
    assert auc == pytest.approx(ref_auc[0], abs=1e-12)
    assert variance == pytest.approx(ref_cov[0, 0], abs=1e-12)


def test_integer_labels_accepted() -> None:
    _, y, scores = DATASETS[0]
    assert delong_auc_variance(y.astype(int), scores) == delong_auc_variance(y, scores)
    with pytest.raises(ValueError):
        delong_auc_variance(y.astype(int) * 2, scores)
    with pytest.raises(ValueError):
        delong_auc_variance(y, np.where(y, np.nan, 0.0))


@pytest.mark.parametrize(("name", "y", "scores"), DATASETS[:3], ids=[d[0] for d in DATASETS[:3]])
def test_paired_covariance_matches_brute_force(
    name: str, y: np.ndarray, scores: np.ndarray
) -> None:
    rng = np.random.default_rng(99)
    other = np.round(scores + rng.normal(scale=0.7, size=scores.size), 1)
    aucs, cov = delong_paired(y, scores, other)
    ref_aucs, ref_cov = _brute_force_covariance(y, np.stack([scores, other]))
    np.testing.assert_allclose(aucs, ref_aucs, rtol=0, atol=1e-12)
    np.testing.assert_allclose(cov, ref_cov, rtol=0, atol=1e-12)
    assert aucs[1] == pytest.approx(roc_auc_score(y, other), abs=1e-12)

    delta, se, p_value = delong_difference_test(y, scores, other)
    ref_se = math.sqrt(ref_cov[0, 0] + ref_cov[1, 1] - 2 * ref_cov[0, 1])
    assert delta == pytest.approx(ref_aucs[0] - ref_aucs[1], abs=1e-12)
    assert se == pytest.approx(ref_se, abs=1e-12)
    assert p_value == pytest.approx(2 * stats.norm.sf(abs(delta) / ref_se), abs=1e-10)


def test_difference_test_degenerate_cases() -> None:
    _, y, scores = DATASETS[0]
    assert delong_difference_test(y, scores, scores) == (0.0, 0.0, 1.0)
    # Swapping models flips the sign of delta only.
    rng = np.random.default_rng(5)
    other = scores + rng.normal(size=scores.size)
    d_ab, se_ab, p_ab = delong_difference_test(y, scores, other)
    d_ba, se_ba, p_ba = delong_difference_test(y, other, scores)
    assert d_ab == pytest.approx(-d_ba) and se_ab == pytest.approx(se_ba)
    assert p_ab == pytest.approx(p_ba)
    with pytest.raises(ValueError):
        delong_paired(y, scores, other[:-1])


def test_small_classes_give_nan() -> None:
    scores = np.array([0.1, 0.4, 0.35, 0.8])
    auc, variance = delong_auc_variance(np.array([0, 0, 0, 1]), scores)
    assert auc == pytest.approx(1.0) and math.isnan(variance)
    auc, variance = delong_auc_variance(np.zeros(4, dtype=bool), scores)
    assert math.isnan(auc) and math.isnan(variance)
    _, se, p_value = delong_difference_test(np.array([0, 0, 0, 1]), scores, scores[::-1])
    assert math.isnan(se) and math.isnan(p_value)


def test_delong_interval_coverage_binormal() -> None:
    """95% DeLong Wald intervals cover the binormal AUC Φ(d/√2) about 95% of the time."""
    rng = np.random.default_rng(20240601)
    d, n_pos, n_neg, n_sim = 1.0, 150, 150, 2000
    true_auc = special.ndtr(d / math.sqrt(2.0))
    y = np.r_[np.ones(n_pos, dtype=bool), np.zeros(n_neg, dtype=bool)]
    positives = rng.normal(d, 1.0, size=(n_sim, n_pos))
    negatives = rng.normal(0.0, 1.0, size=(n_sim, n_neg))
    covered = 0
    for pos, neg in zip(positives, negatives, strict=True):
        auc, variance = delong_auc_variance(y, np.r_[pos, neg])
        interval = normal_interval(
            auc, math.sqrt(variance), 0.95, method="delong", bounds=(0.0, 1.0)
        )
        covered += interval.contains(true_auc)
    coverage = covered / n_sim
    assert 0.93 <= coverage <= 0.97, coverage
