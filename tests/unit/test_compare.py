"""Baseline comparisons: paired Δ against brute-force row-level references and scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from pytest_modelgate.estimates.compare import compare_metric, compare_unpaired, constant_evidence
from pytest_modelgate.estimates.metric import StatsOptions
from pytest_modelgate.estimates.metrics import get_metric
from pytest_modelgate.evidence.core import Evidence

OPTS = StatsOptions(resamples=4000, bootstrap="percentile")


def two_models(rng: np.random.Generator, n: int = 2000):
    y = (rng.random(n) < 0.35).astype(np.int64)
    signal = rng.normal(size=n) + 1.3 * y
    s_b = 1 / (1 + np.exp(-(signal + rng.normal(scale=0.8, size=n))))
    s_c = 1 / (1 + np.exp(-(1.1 * signal + rng.normal(scale=0.6, size=n))))
    cand = Evidence("binary", (0, 1), y, (s_c >= 0.5).astype(np.int64), s_c, "probability")
    base = Evidence("binary", (0, 1), y, (s_b >= 0.5).astype(np.int64), s_b, "probability")
    return y, cand, base


def row_bootstrap(rng, n, fn, b=2000):
    idx = rng.integers(0, n, size=(b, n))
    return np.array([fn(i) for i in idx])


def test_joint_cell_bootstrap_matches_row_bootstrap_for_f1(rng):
    y, cand, base = two_models(rng)
    cmp = compare_metric(get_metric("f1", "binary"), cand, base, OPTS, rng)
    assert cmp.delta == pytest.approx(
        skm.f1_score(y, cand.y_pred) - skm.f1_score(y, base.y_pred), abs=1e-12
    )
    # brute force, vectorised over resamples: resample row indices, recount, recompute F1
    idx = rng.integers(0, len(y), size=(4000, len(y)))
    yy = y[idx]

    def f1_rows(pred: np.ndarray) -> np.ndarray:
        pp = pred[idx]
        tp = (yy & pp).sum(1)
        return 2 * tp / (2 * tp + (pp & (1 - yy)).sum(1) + ((1 - pp) & yy).sum(1))

    ref = f1_rows(cand.y_pred) - f1_rows(base.y_pred)
    low, high = np.percentile(ref, [2.5, 97.5])
    assert cmp.interval.low == pytest.approx(low, abs=0.004)
    assert cmp.interval.high == pytest.approx(high, abs=0.004)
    assert cmp.paired and cmp.test == "paired-bootstrap"


def test_accuracy_uses_the_paired_score_interval_and_mcnemar(rng):
    y, cand, base = two_models(rng)
    cmp = compare_metric(get_metric("accuracy", "binary"), cand, base, OPTS, rng)
    c_ok, b_ok = cand.y_pred == y, base.y_pred == y
    b, c = int((c_ok & ~b_ok).sum()), int((~c_ok & b_ok).sum())
    from scipy.stats import binomtest

    assert cmp.p_value == pytest.approx(binomtest(b, b + c, 0.5).pvalue, abs=1e-12)
    assert cmp.delta == pytest.approx((b - c) / len(y), abs=1e-12)
    assert cmp.interval.method == "tango-skew-cc"
    ref = row_bootstrap(rng, len(y), lambda i: c_ok[i].mean() - b_ok[i].mean())
    assert cmp.interval.width == pytest.approx(np.ptp(np.percentile(ref, [2.5, 97.5])), rel=0.1)


def test_paired_delong_se_close_to_paired_row_bootstrap(rng):
    y, cand, base = two_models(rng)
    cmp = compare_metric(get_metric("roc_auc", "binary"), cand, base, OPTS, rng)
    assert cmp.delta == pytest.approx(
        skm.roc_auc_score(y, cand.scores) - skm.roc_auc_score(y, base.scores), abs=1e-12
    )
    ref = row_bootstrap(
        rng,
        len(y),
        lambda i: skm.roc_auc_score(y[i], cand.scores[i]) - skm.roc_auc_score(y[i], base.scores[i]),
        b=500,
    )
    se = cmp.interval.width / (2 * 1.959964)
    assert se == pytest.approx(ref.std(ddof=1), rel=0.12)  # 500 resamples: ~3% noise on the SD


def test_paired_average_precision_matches_row_bootstrap(rng):
    y, cand, base = two_models(rng, n=1500)
    cmp = compare_metric(
        get_metric("average_precision", "binary"), cand, base, StatsOptions(resamples=1000), rng
    )
    assert cmp.candidate == pytest.approx(skm.average_precision_score(y, cand.scores), abs=1e-12)
    assert cmp.baseline == pytest.approx(skm.average_precision_score(y, base.scores), abs=1e-12)
    ref = row_bootstrap(
        rng,
        len(y),
        lambda i: (
            skm.average_precision_score(y[i], cand.scores[i])
            - skm.average_precision_score(y[i], base.scores[i])
        ),
        b=1000,
    )
    low, high = np.percentile(ref, [2.5, 97.5])
    assert cmp.interval.low == pytest.approx(low, abs=0.006)
    assert cmp.interval.high == pytest.approx(high, abs=0.006)


def test_loss_differences_are_oriented_higher_is_better(rng):
    y, cand, base = two_models(rng)
    cmp = compare_metric(get_metric("log_loss", "binary"), cand, base, OPTS, rng)
    ll_c, ll_b = skm.log_loss(y, cand.scores), skm.log_loss(y, base.scores)
    assert (cmp.candidate, cmp.baseline) == pytest.approx((ll_c, ll_b), abs=1e-12)
    assert cmp.delta == pytest.approx(ll_b - ll_c, abs=1e-12)  # positive: candidate better
    assert cmp.delta > 0 and cmp.interval.contains(cmp.delta)


@pytest.mark.parametrize("name", ["rmse", "r2", "mae"])
def test_regression_deltas_match_row_bootstrap(name, rng):
    n = 1500
    x = rng.normal(size=n)
    y = 2 * x + rng.standard_t(6, size=n)
    pc, pb = 1.95 * x, 1.7 * x + 0.1
    cand = Evidence("regression", (), y, pc, None, None)
    base = Evidence("regression", (), y, pb, None, None)
    cmp = compare_metric(get_metric(name, "regression"), cand, base, OPTS, rng)
    fn = {
        "rmse": lambda a, p: -np.sqrt(skm.mean_squared_error(a, p)),
        "r2": skm.r2_score,
        "mae": lambda a, p: -skm.mean_absolute_error(a, p),
    }[name]
    assert cmp.delta == pytest.approx(fn(y, pc) - fn(y, pb), abs=1e-12)
    ref = row_bootstrap(rng, n, lambda i: fn(y[i], pc[i]) - fn(y[i], pb[i]), b=1500)
    low, high = np.percentile(ref, [2.5, 97.5])
    assert cmp.interval.width == pytest.approx(high - low, rel=0.12)


def test_best_constant_predictors(rng):
    y, cand, _ = two_models(rng)
    acc, label = constant_evidence(get_metric("accuracy", "binary"), cand)
    assert label == "always 0" and (acc.y_pred == 0).all()  # the majority class
    _rec, label = constant_evidence(get_metric("recall", "binary"), cand)
    assert label == "always 1"
    prior, _ = constant_evidence(get_metric("log_loss", "binary"), cand)
    cmp = compare_metric(get_metric("log_loss", "binary"), cand, prior, OPTS, rng)
    assert cmp.baseline == pytest.approx(skm.log_loss(y, np.full(len(y), y.mean())), abs=1e-12)
    auc = compare_metric(get_metric("roc_auc", "binary"), cand, prior, OPTS, rng)
    assert auc.baseline == 0.5
    reg = Evidence("regression", (), rng.gamma(2, 2, 500), rng.gamma(2, 2, 500), None, None)
    med, label = constant_evidence(get_metric("mae", "regression"), reg)
    assert np.all(med.y_pred == np.median(reg.y_true)) and label.startswith("the median")


def test_unpaired_against_stored_numbers(rng):
    y, cand, _ = two_models(rng)
    stored = {"estimate": 0.70, "interval": {"low": 0.68, "high": 0.72, "level": 0.95}}
    cmp = compare_unpaired(get_metric("accuracy", "binary"), cand, stored, OPTS, rng)
    assert not cmp.paired and cmp.test == "unpaired-normal"
    se_b = 0.02 / 1.959964
    acc = (cand.y_pred == y).mean()
    se_c = np.sqrt(acc * (1 - acc) / len(y))  # close to the Wilson half-width / z at this n
    assert cmp.interval.width / (2 * 1.959964) == pytest.approx(np.hypot(se_b, se_c), rel=0.02)


def test_identical_models_agree_on_every_row(rng):
    _, cand, _ = two_models(rng)
    cmp = compare_metric(get_metric("f1", "binary"), cand, cand, OPTS, rng)
    assert cmp.delta == 0 and cmp.interval.low == 0 == cmp.interval.high
    assert cmp.note == "the models agree on every row"
    # a paired proportion still has an interval: no discordant row among n is evidence that
    # the rates are close, not that they are equal
    cmp = compare_metric(get_metric("recall", "binary"), cand, cand, OPTS, rng)
    assert cmp.delta == 0 and cmp.interval.method == "tango-skew-cc"
    assert cmp.interval.low == pytest.approx(-cmp.interval.high) and cmp.interval.high > 0
    assert "only 0" in cmp.note


def test_paired_average_precision_interval_covers_the_true_difference():
    """Coverage of the grouped-jackknife interval of ΔAP, simulated: samples of 800 rows from a
    population whose ΔAP is known (computed on 10⁶ rows)."""
    rng = np.random.default_rng(11)

    def draw(n: int):
        y = (rng.random(n) < 0.3).astype(np.int64)
        signal = rng.normal(size=n) + 1.2 * y
        s_b = signal + rng.normal(scale=0.9, size=n)
        s_c = 1.1 * signal + rng.normal(scale=0.6, size=n)
        return y, s_c, s_b

    y, s_c, s_b = draw(1_000_000)
    truth = skm.average_precision_score(y, s_c) - skm.average_precision_score(y, s_b)
    metric = get_metric("average_precision", "binary")
    covered, widths = 0, []
    reps = 200
    for _ in range(reps):
        y, s_c, s_b = draw(800)
        cand = Evidence("binary", (0, 1), y, (s_c >= 0).astype(np.int64), s_c, "decision_function")
        base = Evidence("binary", (0, 1), y, (s_b >= 0).astype(np.int64), s_b, "decision_function")
        cmp = compare_metric(metric, cand, base, StatsOptions(), rng)
        assert cmp.test == "paired-group-jackknife"
        covered += cmp.interval.low <= truth <= cmp.interval.high
        widths.append(cmp.interval.high - cmp.interval.low)
    assert 0.91 <= covered / reps <= 0.99, covered / reps  # 95% ± 3 MC s.e. (1.5 pt)
    assert np.median(widths) < 0.2  # informative, not trivially wide


def test_paired_average_precision_is_undefined_when_a_group_holds_every_positive(rng):
    """One positive row: some leave-a-group-out AP is undefined, and dropping those leave-outs
    would understate the uncertainty; the comparison has no interval (INCONCLUSIVE upstream)."""
    n = 500
    y = np.zeros(n, dtype=np.int64)
    y[7] = 1
    s_c, s_b = rng.random(n), rng.random(n)
    cand = Evidence("binary", (0, 1), y, (s_c >= 0.5).astype(np.int64), s_c, "probability")
    base = Evidence("binary", (0, 1), y, (s_b >= 0.5).astype(np.int64), s_b, "probability")
    cmp = compare_metric(get_metric("average_precision", "binary"), cand, base, StatsOptions(), rng)
    assert np.isnan(cmp.interval.low) and np.isnan(cmp.interval.high)


def _paired_rows(rng, n_pos: int, n_neg: int):
    y = np.r_[np.ones(n_pos, np.int64), np.zeros(n_neg, np.int64)]
    base = np.where(rng.random(y.size) < 0.85, y, 1 - y)
    cand = np.where(rng.random(y.size) < 0.8, y, 1 - y)
    return y, cand, base


@pytest.mark.parametrize(("name", "label", "sign"), [("recall", 1, 1), ("fpr", 0, -1)])
def test_paired_rate_uses_the_score_interval_on_its_denominator(rng, name, label, sign):
    """Δrecall / Δfpr: the paired table of the rows in the rate's denominator (positives /
    negatives), success = predicted positive; Δ oriented so that higher is better."""
    from pytest_modelgate.stats import paired_score_interval

    y, c_pred, b_pred = _paired_rows(rng, 40, 160)
    cand = Evidence("binary", (0, 1), y, c_pred, None, None)
    base = Evidence("binary", (0, 1), y, b_pred, None, None)
    cmp = compare_metric(get_metric(name, "binary"), cand, base, OPTS, rng)
    rows = y == label
    sc, sb = c_pred[rows] == 1, b_pred[rows] == 1
    table = [int(np.sum(x)) for x in (sc & sb, sc & ~sb, ~sc & sb, ~sc & ~sb)]
    ref = paired_score_interval(*table)
    expected = (ref.low, ref.high) if sign > 0 else (-ref.high, -ref.low)
    assert (cmp.interval.low, cmp.interval.high) == pytest.approx(expected, abs=1e-12)
    assert cmp.delta == pytest.approx(sign * (sc.mean() - sb.mean()), abs=1e-12)
    assert cmp.support == rows.sum() and cmp.test == "mcnemar-exact"


def test_paired_precision_is_correlated_mover_and_counts_each_models_denominator(rng):
    y, c_pred, b_pred = _paired_rows(rng, 40, 160)
    cand = Evidence("binary", (0, 1), y, c_pred, None, None)
    base = Evidence("binary", (0, 1), y, b_pred, None, None)
    cmp = compare_metric(get_metric("precision", "binary"), cand, base, OPTS, rng)
    assert cmp.test == "mover-cp-correlated"  # cross-checked in test_compare_precision_mover.py
    assert cmp.support == min(c_pred.sum(), b_pred.sum())
    assert cmp.support_label == (
        f"in the smaller denominator: candidate {c_pred.sum()}, baseline {b_pred.sum()}"
    )


def test_compare_support_names_the_denominator_and_the_rule(rng):
    """min_support applies to Δ's denominator through the threshold rule (one rule): 20
    positives are too few for Δrecall and ΔROC AUC; Δaccuracy on the same 100 rows is judged."""
    from pytest_modelgate import evaluate

    y, c_pred, b_pred = _paired_rows(rng, 20, 80)
    ev = evaluate(y, c_pred, baseline_pred=b_pred, seed=1)
    (recall,) = ev.check(metric="recall", compare="baseline", max_drop=0.05)
    assert recall.verdict.value == "INCONCLUSIVE"
    assert recall.message.startswith(
        "INCONCLUSIVE: only 20 rows in Δrecall's denominator (min_support = 30)"
    )
    (accuracy,) = ev.check(metric="accuracy", compare="baseline", max_drop=0.5)
    assert accuracy.verdict.value == "PASS"
    scores = np.where(y == 1, 0.7, 0.3) + rng.normal(0, 0.2, y.size)
    ev = evaluate(y, y_score=scores, baseline_score=scores[::-1].copy(), seed=1)
    (auc,) = ev.check(metric="roc_auc", compare="baseline", max_drop=0.5)
    assert auc.message.startswith(
        "INCONCLUSIVE: only 20 rows in the smaller class of Δroc_auc "
        "(positives: 20, negatives: 80) (min_support = 30)"
    )
    (auc,) = ev.check(metric="roc_auc", compare="baseline", max_drop=0.5, min_support=20)
    assert auc.verdict.value != "INCONCLUSIVE"


def test_a_relative_drop_from_an_undefined_baseline_is_inconclusive_not_nan():
    """The baseline predicts no positive: its precision is undefined. `max_relative_drop` used to
    print `required >= nan` (and write NaN into JUnit); the gate says why it cannot judge."""
    import pytest_modelgate as mg

    y = np.r_[np.ones(50, int), np.zeros(50, int)]
    pred = np.r_[np.ones(40, int), np.zeros(60, int)]
    ev = mg.evaluate(y, pred, baseline_pred=np.zeros(100, int))
    for margins in ({"max_relative_drop": 0.1}, {"max_relative_drop": 0.1, "max_drop": 0.05}):
        (result,) = ev.check(metric="precision", compare="baseline", **margins)
        assert result.verdict.value == "INCONCLUSIVE"
        assert "the baseline's precision is undefined" in result.message
        assert "nan" not in result.message + result.details
