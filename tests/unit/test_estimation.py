"""Default intervals: the right method per metric, and coverage close to nominal by simulation."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from pytest_modelgate.estimates.metric import StatsOptions, estimate_metric
from pytest_modelgate.estimates.metrics import get_metric
from pytest_modelgate.evidence.core import Evidence

AUTO = StatsOptions(resamples=1000)


def _binary(y, pred, p=None):
    return Evidence("binary", (0, 1), np.asarray(y), np.asarray(pred), p, "probability")


def test_auto_methods_per_metric(rng):
    y = rng.integers(0, 2, 300)
    p = np.clip(y * 0.3 + rng.random(300) * 0.7, 0, 1)
    ev = _binary(y, (p > 0.5).astype(int), p)
    methods = {
        m: estimate_metric(get_metric(m, "binary"), ev, AUTO, rng).interval.method
        for m in ("accuracy", "recall", "f1", "roc_auc", "average_precision", "log_loss")
    }
    assert methods == {
        "accuracy": "clopper-pearson",
        "recall": "clopper-pearson",
        "f1": "bootstrap-bca",
        "roc_auc": "delong-newcombe-hull",
        "average_precision": "bootstrap-bca",
        "log_loss": "hall-t",
    }


def test_small_perfect_slice_does_not_collapse_to_a_point(rng):
    # 20/20 correct: the percentile bootstrap gives [1, 1]; Clopper–Pearson gives a real interval
    ev = _binary(
        np.r_[np.ones(10), np.zeros(10)].astype(int), np.r_[np.ones(10), np.zeros(10)].astype(int)
    )
    est = estimate_metric(get_metric("accuracy", "binary"), ev, AUTO, rng)
    assert est.value == 1.0
    assert est.interval.high == 1.0
    assert est.interval.low == pytest.approx(0.025 ** (1 / 20), abs=1e-12)  # Clopper–Pearson


@pytest.mark.parametrize("metric", ["f1", "balanced_accuracy", "roc_auc"])
def test_collapsed_intervals_are_undefined_not_certain(metric, rng):
    # 40 rows, no errors and perfectly separated scores: a bootstrap (or DeLong) interval would
    # be [1, 1] and pass any strict gate on no evidence
    y = np.r_[np.ones(20), np.zeros(20)].astype(int)
    ev = _binary(y, y, y * 0.5 + 0.25)
    est = estimate_metric(get_metric(metric, "binary"), ev, AUTO, rng)
    assert est.value == 1.0
    if metric == "roc_auc":
        # Newcombe's score interval inside the hull measures uncertainty even at AUC 1
        assert est.interval.is_defined and est.interval.low < 0.95 and est.interval.high == 1.0
        return
    assert not est.interval.is_defined
    assert "collapsed to the single value 1" in est.note


def test_requested_method_applies_where_valid(rng):
    y = rng.integers(0, 2, 200)
    ev = _binary(y, y ^ (rng.random(200) < 0.2))
    cp = estimate_metric(
        get_metric("accuracy", "binary"), ev, StatsOptions(interval="clopper-pearson"), rng
    )
    ref = stats.binomtest(int((ev.y_true == ev.y_pred).sum()), 200).proportion_ci(0.95, "exact")
    assert (cp.interval.low, cp.interval.high) == pytest.approx((ref.low, ref.high), abs=1e-12)
    boot = estimate_metric(
        get_metric("accuracy", "binary"),
        ev,
        StatsOptions(interval="bootstrap", bootstrap="percentile", resamples=500),
        rng,
    )
    assert boot.interval.method == "bootstrap-percentile"
    # wilson does not apply to f1: falls back to the bootstrap (and says so)
    f1 = estimate_metric(
        get_metric("f1", "binary"), ev, StatsOptions(interval="wilson", resamples=300), rng
    )
    assert f1.interval.method.startswith("bootstrap")


def test_same_seed_same_numbers():
    y = np.random.default_rng(1).integers(0, 2, 500)
    ev = _binary(y, y ^ (np.random.default_rng(2).random(500) < 0.3))
    f1 = get_metric("f1", "binary")
    a = estimate_metric(f1, ev, AUTO, np.random.default_rng(7)).interval
    b = estimate_metric(f1, ev, AUTO, np.random.default_rng(7)).interval
    c = estimate_metric(f1, ev, AUTO, np.random.default_rng(8)).interval
    assert a == b and a != c


def test_r2_delta_interval_agrees_with_brute_force_row_bootstrap(rng):
    from sklearn.metrics import r2_score

    n = 2000
    x = rng.normal(size=n)
    y = 2 * x + rng.standard_t(5, size=n)
    pred = 1.9 * x
    ev = Evidence("regression", (), y, pred, None, None)
    delta = estimate_metric(get_metric("r2", "regression"), ev, StatsOptions(), rng).interval
    # independent reference: resample rows with replacement, scikit-learn's r2 on each resample
    idx = rng.integers(0, n, size=(1000, n))
    replicates = np.array([r2_score(y[i], pred[i]) for i in idx])
    low, high = np.percentile(replicates, [2.5, 97.5])
    assert delta.width == pytest.approx(high - low, rel=0.12)
    assert delta.low == pytest.approx(low, abs=0.01)


# --- coverage by simulation: the default interval covers the population value ~95% of the time --


def _coverage(hits: list[bool]) -> float:
    return float(np.mean(hits))


def test_coverage_accuracy_small_n():
    rng = np.random.default_rng(11)
    metric, p_true, n, sims = get_metric("accuracy", "binary"), 0.9, 60, 2000
    hits = []
    for _ in range(sims):
        correct = rng.random(n) < p_true
        y = rng.integers(0, 2, n)
        ev = _binary(y, np.where(correct, y, 1 - y))
        hits.append(estimate_metric(metric, ev, AUTO, rng).interval.contains(p_true))
    # Clopper–Pearson is exact, hence conservative: at least 95%, without waste
    assert 0.95 - 3 * 0.0049 <= _coverage(hits) <= 0.99


def test_coverage_f1_bca():
    rng = np.random.default_rng(12)
    cells = np.array([0.55, 0.10, 0.08, 0.27])  # tn, fp, fn, tp
    truth = 2 * cells[3] / (2 * cells[3] + cells[1] + cells[2])
    metric, n, sims = get_metric("f1", "binary"), 400, 400
    hits = []
    for _ in range(sims):
        kind = rng.choice(4, size=n, p=cells)
        y = (kind >= 2).astype(int)
        pred = np.isin(kind, [1, 3]).astype(int)
        est = estimate_metric(metric, _binary(y, pred), AUTO, rng)
        hits.append(est.interval.contains(truth))
    assert 0.93 <= _coverage(hits) <= 0.97


def test_coverage_roc_auc_delong():
    rng = np.random.default_rng(13)
    d, n, sims = 1.0, 300, 600
    truth = stats.norm.cdf(d / np.sqrt(2))  # binormal model with unit variances
    metric = get_metric("roc_auc", "binary")
    hits = []
    for _ in range(sims):
        y = rng.integers(0, 2, n)
        s = rng.normal(size=n) + d * y
        hits.append(
            estimate_metric(
                metric, _binary(y, (s > 0.5).astype(int), s), AUTO, rng
            ).interval.contains(truth)
        )
    assert 0.93 <= _coverage(hits) <= 0.97


@pytest.mark.parametrize(("auc", "n"), [(0.95, 100), (0.99, 400)])
def test_coverage_roc_auc_near_one(auc, n):
    # where release gates sit: a Wald interval on the AUC scale covers only ~0.82-0.90 here; the
    # DeLong–Newcombe hull is conservative there (docs/validity.md), never below nominal
    rng = np.random.default_rng(15)
    d = np.sqrt(2) * stats.norm.ppf(auc)
    metric = get_metric("roc_auc", "binary")
    hits, false_pass = [], []
    for _ in range(2000):
        y = rng.integers(0, 2, n)
        s = rng.normal(size=n) + d * y
        iv = estimate_metric(metric, _binary(y, (s > d / 2).astype(int), s), AUTO, rng).interval
        hits.append(iv.contains(auc))
        false_pass.append(iv.is_defined and iv.low >= auc)  # strict gate with the bar at the truth
    assert _coverage(hits) >= 0.95 - 3 * 0.0049
    assert np.mean(false_pass) <= 0.025 + 3 * 0.0035  # nominal, plus 3 Monte-Carlo s.e.


def test_coverage_mae_normal_and_r2_delta():
    rng = np.random.default_rng(14)
    n, sims = 300, 800
    # y = x + e, pred = x, x ~ N(0, 1), e ~ N(0, 1): mae = E|e| = sqrt(2/pi), r2 = 1 - 1/2
    mae_true, r2_true = np.sqrt(2 / np.pi), 0.5
    mae, r2 = get_metric("mae", "regression"), get_metric("r2", "regression")
    hits_mae, hits_r2 = [], []
    for _ in range(sims):
        x = rng.normal(size=n)
        y = x + rng.normal(size=n)
        ev = Evidence("regression", (), y, x, None, None)
        hits_mae.append(estimate_metric(mae, ev, AUTO, rng).interval.contains(mae_true))
        hits_r2.append(estimate_metric(r2, ev, AUTO, rng).interval.contains(r2_true))
    assert 0.93 <= _coverage(hits_mae) <= 0.97
    assert 0.93 <= _coverage(hits_r2) <= 0.97
