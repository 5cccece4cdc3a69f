"""Fairness gaps: point estimates against fairlearn, stratified bootstrap against a row bootstrap,
and interval coverage by simulation from a population whose gaps are known exactly."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from fairlearn import metrics as flm
from sklearn import metrics as skm

from pytest_modelgate.errors import ModelError
from pytest_modelgate.estimates.fairness import (
    FAIRNESS_NAMES,
    GAP_BOOTSTRAP,
    _stratified_jackknife,
    fairness_estimate,
)
from pytest_modelgate.estimates.fairness_pairwise import PAIRWISE_METHOD
from pytest_modelgate.estimates.metric import StatsOptions
from pytest_modelgate.estimates.metrics import get_metric
from pytest_modelgate.evidence.core import Evidence
from pytest_modelgate.results import FairnessResult

OPTS = StatsOptions(resamples=500)
NAMED = {
    "demographic_parity_difference": flm.demographic_parity_difference,
    "demographic_parity_ratio": flm.demographic_parity_ratio,
    "equalized_odds_difference": flm.equalized_odds_difference,
    "equalized_odds_ratio": flm.equalized_odds_ratio,
    "equal_opportunity_difference": flm.equal_opportunity_difference,
    "equal_opportunity_ratio": flm.equal_opportunity_ratio,
}


def _binary(y, pred, scores=None) -> Evidence:
    pred = None if pred is None else np.asarray(pred)
    return Evidence("binary", (0, 1), np.asarray(y), pred, scores, "probability")


def _codes(sensitive: pd.Series | pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Group codes as fairlearn forms groups: observed values, or observed combinations."""
    frame = sensitive.to_frame() if isinstance(sensitive, pd.Series) else sensitive
    grouped = frame.groupby(list(frame.columns), sort=True)
    labels = [str(key) for key in grouped.size().index]
    return grouped.ngroup().to_numpy(), labels


def _estimate(name, ev, codes, labels, metric=None, min_support=1, **kw) -> FairnessResult:
    return fairness_estimate(
        name,
        ev,
        codes,
        labels,
        metric=metric,
        opts=kw.pop("opts", OPTS),
        rng=kw.pop("rng", np.random.default_rng(0)),
        min_support=min_support,
        **kw,
    )


def _random_binary(rng, n, shares):
    """Rows whose prevalence and prediction rates differ by group, so the gaps are not 0."""
    g = rng.choice(len(shares), size=n, p=shares)
    y = (rng.random(n) < 0.2 + 0.5 * rng.random(len(shares))[g]).astype(np.int64)
    tpr, fpr = 0.5 + 0.4 * rng.random(len(shares)), 0.3 * rng.random(len(shares))
    pred = (rng.random(n) < np.where(y == 1, tpr[g], fpr[g])).astype(np.int64)
    return g, y, pred


# --- point estimates: equal to fairlearn ------------------------------------------------------


@pytest.mark.parametrize(
    "shares",
    [[0.7, 0.3], [0.5, 0.35, 0.15], [0.3, 0.25, 0.2, 0.12, 0.08, 0.05]],
    ids=["2 groups", "3 groups", "6 groups"],
)
def test_named_metrics_equal_fairlearn_one_column(shares, rng):
    for _ in range(5):
        g, y, pred = _random_binary(rng, 1200, shares)
        sensitive = pd.Series(np.array(list("abcdef"))[g], name="grp")
        codes, labels = _codes(sensitive)
        ev = _binary(y, pred)
        for name, reference in NAMED.items():
            est = _estimate(name, ev, codes, labels)
            expected = reference(y, pred, sensitive_features=sensitive)
            assert abs(est.value - expected) <= 1e-12, name
            assert est.higher_is_better == name.endswith("ratio")
            assert all(not gv.excluded for gv in est.groups)


def test_named_metrics_equal_fairlearn_two_columns_intersections(rng):
    n = 1500
    sex = rng.choice(["f", "m"], size=n, p=[0.4, 0.6])
    race = rng.choice(["a", "b", "c"], size=n, p=[0.6, 0.3, 0.1])
    race[(sex == "f") & (race == "c")] = "b"  # an unobserved combination, as in real data
    frame = pd.DataFrame({"sex": sex, "race": race})
    codes, labels = _codes(frame)
    assert len(labels) == 5
    y = (rng.random(n) < np.where(race == "a", 0.3, 0.5)).astype(np.int64)
    pred = (rng.random(n) < np.where(y == 1, 0.7, 0.1) + 0.1 * (sex == "m")).astype(np.int64)
    ev = _binary(y, pred)
    for name, reference in NAMED.items():
        est = _estimate(name, ev, codes, labels)
        assert abs(est.value - reference(y, pred, sensitive_features=frame)) <= 1e-12, name
    # the per-group rows are fairlearn's by_group rows (observed combinations only)
    frame_tpr = flm.MetricFrame(
        metrics=flm.true_positive_rate, y_true=y, y_pred=pred, sensitive_features=frame
    ).by_group.dropna()
    est = _estimate("equal_opportunity_difference", ev, codes, labels)
    assert [gv.values["tpr"] for gv in est.groups] == pytest.approx(list(frame_tpr), abs=1e-15)
    assert [gv.group for gv in est.groups] == [str(k) for k in frame_tpr.index]


def test_group_without_positives_counts_tpr_as_zero_like_fairlearn(rng):
    g, y, pred = _random_binary(rng, 900, [0.5, 0.3, 0.2])
    y[g == 2] = 0  # group 2 has no positives: its TPR is 0/0
    sensitive = pd.Series(g, name="grp")
    codes, labels = _codes(sensitive)
    ev = _binary(y, pred)
    for name, reference in NAMED.items():
        est = _estimate(name, ev, codes, labels)
        assert abs(est.value - reference(y, pred, sensitive_features=sensitive)) <= 1e-12, name
    est = _estimate("equalized_odds_difference", ev, codes, labels)
    assert est.groups[2].values["tpr"] == 0.0
    assert "TPR is 0/0 in '2' (no positives) and counted as 0" in est.note
    assert est.interval.is_defined  # no replicate is undefined under the 0 convention


def test_ratio_edge_cases_follow_fairlearn(rng):
    g = np.repeat([0, 1, 2], [40, 30, 30])
    y = rng.integers(0, 2, g.size)
    none = np.zeros_like(y)
    # nobody selected: max selection rate 0, ratio 0/0 is nan; the difference is 0
    for name in ("demographic_parity_ratio", "equalized_odds_ratio", "equal_opportunity_ratio"):
        est = _estimate(name, _binary(y, none), g, ["a", "b", "c"])
        assert np.isnan(NAMED[name](y, none, sensitive_features=g))
        assert np.isnan(est.value) and not est.interval.is_defined and est.worst is None
        assert "0/0" in est.note
    assert _estimate("demographic_parity_difference", _binary(y, none), g, "abc").value == 0.0
    # no false positives anywhere: the FPR ratio is nan and fairlearn's min(tpr, fpr) keeps
    # the TPR ratio (a nan in the second position is skipped by builtin min)
    pred = np.where(y == 1, rng.integers(0, 2, g.size), 0)
    expected = flm.equalized_odds_ratio(y, pred, sensitive_features=g)
    assert np.isfinite(expected)
    assert _estimate("equalized_odds_ratio", _binary(y, pred), g, "abc").value == expected
    # no true positives anywhere: the TPR ratio is nan first, so the result is nan
    pred = np.where(y == 0, rng.integers(0, 2, g.size), 0)
    assert np.isnan(flm.equalized_odds_ratio(y, pred, sensitive_features=g))
    assert np.isnan(_estimate("equalized_odds_ratio", _binary(y, pred), g, "abc").value)


# --- metric_difference / metric_ratio against MetricFrame -------------------------------------


def _frame(fn, y, pred, codes):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return flm.MetricFrame(metrics=fn, y_true=y, y_pred=pred, sensitive_features=codes)


@pytest.mark.parametrize(
    ("metric", "fn", "uses"),
    [
        ("recall", skm.recall_score, "labels"),
        ("precision", skm.precision_score, "labels"),
        ("f1", skm.f1_score, "labels"),
        ("accuracy", skm.accuracy_score, "labels"),
        ("matthews_corrcoef", skm.matthews_corrcoef, "labels"),
        ("roc_auc", skm.roc_auc_score, "scores"),
        ("roc_auc", skm.roc_auc_score, "rounded scores"),
        ("average_precision", skm.average_precision_score, "scores"),
        ("brier_score", skm.brier_score_loss, "scores"),
    ],
)
def test_metric_gaps_equal_metricframe_binary(metric, fn, uses, rng):
    n = 2400  # more distinct scores than score bins: exercises the binned bootstrap
    g = rng.choice(4, size=n, p=[0.4, 0.3, 0.2, 0.1])
    y = (rng.random(n) < 0.35).astype(np.int64)
    scores = np.clip(0.25 * y + 0.1 * g + 0.6 * rng.random(n), 0, 1)
    if uses == "rounded scores":  # few distinct scores: exact histograms, many ties
        scores = np.round(scores, 1)
    pred = (scores > 0.5).astype(np.int64)
    ev = _binary(y, pred, scores)
    mf = _frame(fn, y, pred if uses == "labels" else scores, g)
    labels = ["a", "b", "c", "d"]
    m = get_metric(metric, "binary")
    diff = _estimate("metric_difference", ev, g, labels, metric=m)
    ratio = _estimate("metric_ratio", ev, g, labels, metric=m)
    assert abs(diff.value - mf.difference()) <= 1e-12
    assert abs(ratio.value - mf.ratio()) <= 1e-12
    assert diff.interval.low <= diff.value <= diff.interval.high
    assert diff.higher_is_better is False and ratio.higher_is_better is True
    expected_method = (
        "parametric-bootstrap"
        if metric == "brier_score"
        else PAIRWISE_METHOD
        if m.proportion is not None  # one binomial proportion per group: pairwise differences
        else "stratified"
    )
    assert expected_method in diff.interval.method
    assert "stratified" in ratio.interval.method or "parametric" in ratio.interval.method


@pytest.mark.parametrize(
    ("metric", "fn"),
    [
        ("mae", skm.mean_absolute_error),
        ("mse", skm.mean_squared_error),
        ("rmse", skm.root_mean_squared_error),
        ("r2", skm.r2_score),
        ("mape", skm.mean_absolute_percentage_error),
    ],
)
def test_metric_gaps_equal_metricframe_regression(metric, fn, rng):
    n = 1000
    g = rng.choice(3, size=n, p=[0.5, 0.3, 0.2])
    y = rng.normal(10, 3, n)
    yhat = y + rng.normal(0.5 * g, 1 + g)
    ev = Evidence("regression", (), y, yhat, None, None)
    mf = _frame(fn, y, yhat, g)
    m = get_metric(metric, "regression")
    diff = _estimate("metric_difference", ev, g, ["a", "b", "c"], metric=m)
    ratio = _estimate("metric_ratio", ev, g, ["a", "b", "c"], metric=m)
    assert abs(diff.value - mf.difference()) <= 1e-12
    assert abs(ratio.value - mf.ratio()) <= 1e-12
    assert diff.interval.method == "parametric-bootstrap"


@pytest.mark.parametrize(
    ("metric", "fn"),
    [
        ("accuracy", skm.accuracy_score),
        ("f1_macro", lambda a, b: skm.f1_score(a, b, average="macro")),
    ],
)
def test_metric_gaps_equal_metricframe_multiclass(metric, fn, rng):
    n = 1500
    g = rng.choice(3, size=n)
    y = rng.integers(0, 4, n)
    pred = np.where(rng.random(n) < 0.5 + 0.15 * g, y, rng.integers(0, 4, n))
    ev = Evidence("multiclass", (0, 1, 2, 3), y, pred, None, None)
    est = _estimate(
        "metric_difference", ev, g, ["a", "b", "c"], metric=get_metric(metric, "multiclass")
    )
    assert abs(est.value - _frame(fn, y, pred, g).difference()) <= 1e-12
    expected = PAIRWISE_METHOD if metric == "accuracy" else f"bootstrap-{GAP_BOOTSTRAP}-stratified"
    assert est.interval.method == expected


def test_undefined_group_metric_is_left_out_like_a_nan_in_metricframe(rng):
    g = np.repeat([0, 1, 2], [300, 200, 60])
    y = rng.integers(0, 2, g.size)
    y[g == 2] = 0  # recall and ROC AUC are undefined in group 2
    scores = np.clip(0.3 * y + 0.7 * rng.random(g.size), 0, 1)
    pred = (scores > 0.5).astype(np.int64)
    ev = _binary(y, pred, scores)
    recall = _estimate("metric_difference", ev, g, "abc", metric=get_metric("recall", "binary"))
    # fairlearn drops a nan group value (pandas skipna); sklearn's default zero_division=0
    # would instead report 0, which the registry deliberately does not make up
    nan_recall = _frame(lambda a, b: skm.recall_score(a, b, zero_division=np.nan), y, pred, g)
    assert abs(recall.value - nan_recall.difference()) <= 1e-12
    assert recall.groups[2].excluded and np.isnan(recall.groups[2].values["recall"])
    assert "recall undefined: 'c'" in recall.note
    auc = _estimate("metric_ratio", ev, g, "abc", metric=get_metric("roc_auc", "binary"))
    assert abs(auc.value - _frame(skm.roc_auc_score, y, scores, g).ratio()) <= 1e-12


# --- exclusion of small groups ----------------------------------------------------------------


def test_small_group_is_excluded_listed_and_named(rng):
    g, y, pred = _random_binary(rng, 1000, [0.6, 0.38, 0.02])
    g[:3] = 3  # a tiny fourth group that would dominate any gap
    y[:3], pred[:3] = 1, 0
    labels = ["a", "b", "c", "tiny"]
    ev = _binary(y, pred)
    keep = g != 3
    for name, reference in NAMED.items():
        est = _estimate(name, ev, g, labels, min_support=10)
        expected = reference(y[keep], pred[keep], sensitive_features=g[keep])
        assert abs(est.value - expected) <= 1e-12, name
        tiny = est.groups[3]
        assert (tiny.group, tiny.n, tiny.excluded) == ("tiny", 3, True)
        assert "fewer than 10 rows: 'tiny' (3)" in est.note
        assert est.worst is not None and "tiny" not in est.worst


def test_fewer_than_two_groups_gives_nan_with_reason(rng):
    g = np.r_[np.zeros(100, int), np.ones(5, int)]
    y, pred = rng.integers(0, 2, 105), rng.integers(0, 2, 105)
    est = _estimate(
        "demographic_parity_difference", _binary(y, pred), g, ["a", "b", "c"], min_support=30
    )
    assert np.isnan(est.value) and not est.interval.is_defined and est.worst is None
    assert "fewer than 2 groups" in est.note and "'b' (5)" in est.note
    assert [gv.group for gv in est.groups] == ["a", "b"]  # a code without rows is no group


def test_worst_names_the_groups_of_the_defining_component():
    # TPR: a .9, b .5 (gap .4); FPR: a .1, b .3 (gap .2) -> TPR defines equalized odds
    g = np.repeat([0, 1], 200)
    y = np.tile(np.repeat([1, 0], 100), 2)
    pred = np.r_[
        np.repeat([1, 0, 1, 0], [90, 10, 10, 90]), np.repeat([1, 0, 1, 0], [50, 50, 30, 70])
    ]
    est = _estimate("equalized_odds_difference", _binary(y, pred), g, ["a", "b"])
    assert est.value == pytest.approx(0.4) and est.worst == ("a", "b")
    est = _estimate("demographic_parity_difference", _binary(y, pred), g, ["a", "b"])
    assert est.worst == ("a", "b")  # selection .5 vs .4


# --- intervals --------------------------------------------------------------------------------


def test_interval_methods_and_reproducibility(rng):
    g, y, pred = _random_binary(rng, 800, [0.5, 0.3, 0.2])
    ev = _binary(y, pred)
    labels = ["a", "b", "c"]
    difference = _estimate("equalized_odds_difference", ev, g, labels)
    assert difference.interval.method == PAIRWISE_METHOD  # differences of rates: no bootstrap
    name = "equalized_odds_ratio"  # ratios keep the stratified bootstrap
    assert GAP_BOOTSTRAP == "percentile"
    default = _estimate(name, ev, g, labels, opts=StatsOptions(resamples=400))  # bca -> gap default
    assert default.interval.method == "bootstrap-percentile-stratified"
    bca = _estimate(name, ev, g, labels, bootstrap="bca")
    assert bca.interval.method == "bootstrap-bca-stratified"
    basic = _estimate(name, ev, g, labels, opts=StatsOptions(bootstrap="basic", resamples=400))
    assert basic.interval.method == "bootstrap-basic-stratified"
    again = _estimate(name, ev, g, labels, opts=StatsOptions(resamples=400))
    assert again.interval == default.interval  # same seed, same interval
    with pytest.raises(ValueError, match="bootstrap must be"):
        _estimate(name, ev, g, labels, bootstrap="studentized")


def test_no_variation_gives_no_interval():
    """Every replicate equal measures no uncertainty: the interval is undefined (a gate on it
    is INCONCLUSIVE, through the gate or the API alike) and the note says why."""
    g = np.repeat([0, 1, 2], 50)
    y = np.tile([0, 1], 75)
    ev = _binary(y, np.ones_like(y))  # everyone selected: every replicate has gap 0
    for method in ("bca", "percentile"):
        est = _estimate("demographic_parity_difference", ev, g, "abc", bootstrap=method)
        assert est.value == 0.0 and not est.interval.is_defined
        assert "collapsed to 0" in est.note


def test_stratified_cell_jackknife_equals_row_jackknife(rng):
    from pytest_modelgate.estimates.fairness import _named_stats

    n = 80
    g, y, pred = rng.integers(0, 3, n), rng.integers(0, 2, n), rng.integers(0, 2, n)
    stats = _named_stats("equalized_odds", _binary(y, pred), g, ["a", "b", "c"])
    values, weights = _stratified_jackknife(stats, np.arange(3), ratio=False)
    brute = []
    for i in range(n):
        keep = np.arange(n) != i
        brute.append(flm.equalized_odds_difference(y[keep], pred[keep], sensitive_features=g[keep]))
    np.testing.assert_allclose(np.sort(np.repeat(values, weights)), np.sort(brute), atol=1e-12)


def test_count_bootstrap_matches_stratified_row_bootstrap():
    # The stratified count bootstrap must have the distribution of a row bootstrap that
    # resamples rows within each group. Percentile intervals at three levels give six quantiles.
    rng = np.random.default_rng(5)
    n = 3000
    g = rng.choice(3, size=n, p=[0.6, 0.3, 0.1])
    pred = (rng.random(n) < np.array([0.30, 0.36, 0.42])[g]).astype(np.int64)
    y = rng.integers(0, 2, n)
    ev = _binary(y, pred)
    rows = [np.flatnonzero(g == k) for k in range(3)]
    brute_b = 4000
    rates = np.stack(
        [pred[r][rng.integers(0, r.size, size=(brute_b, r.size))].mean(axis=1) for r in rows], 1
    )
    brute = rates.max(axis=1) - rates.min(axis=1)
    sd = brute.std()
    for level in (0.5, 0.8, 0.95):
        est = _estimate(
            "demographic_parity_difference",
            ev,
            g,
            "abc",
            opts=StatsOptions(confidence=level, resamples=20000),
            rng=rng,
            bootstrap="percentile",
        )
        expected = np.quantile(brute, [(1 - level) / 2, (1 + level) / 2])
        # Monte Carlo SE of these quantile differences is <= 0.05 sd: allow 4 SE
        assert abs(est.interval.low - expected[0]) < 0.2 * sd, level
        assert abs(est.interval.high - expected[1]) < 0.2 * sd, level


def test_parametric_interval_width_for_a_mean_loss(rng):
    # two well separated groups: the gap is smooth and its SE is sqrt(se_a² + se_b²)
    g = np.repeat([0, 1], [600, 400])
    y = rng.normal(0, 1, 1000)
    yhat = y + rng.normal(0, np.where(g == 0, 1.0, 2.0))
    est = _estimate(
        "metric_difference",
        Evidence("regression", (), y, yhat, None, None),
        g,
        "ab",
        metric=get_metric("mae", "regression"),
        opts=StatsOptions(resamples=20000),
    )
    err = np.abs(yhat - y)
    se = np.hypot(*(err[g == k].std(ddof=1) / np.sqrt((g == k).sum()) for k in (0, 1)))
    assert est.interval.width == pytest.approx(2 * 1.959964 * se, rel=0.03)
    assert "parametric bootstrap" in est.note


def test_invalid_inputs_are_rejected(rng):
    g, y, pred = _random_binary(rng, 100, [0.5, 0.5])
    ev = _binary(y, pred)
    with pytest.raises(ValueError, match="unknown fairness metric"):
        _estimate("parity", ev, g, "ab")
    with pytest.raises(ValueError, match="needs a metric"):
        _estimate("metric_difference", ev, g, "ab")
    with pytest.raises(ValueError, match="metric must be None"):
        _estimate("demographic_parity_ratio", ev, g, "ab", metric=get_metric("recall", "binary"))
    with pytest.raises(ValueError, match=r"\[0, 2\)"):
        _estimate("demographic_parity_ratio", ev, g + 1, "ab")
    with pytest.raises(ValueError, match="binary task"):
        mc = Evidence("multiclass", (0, 1, 2), y, pred, None, None)
        _estimate("demographic_parity_ratio", mc, g, "ab")
    with pytest.raises(ModelError, match="predicted labels"):
        _estimate("equalized_odds_ratio", _binary(y, None, rng.random(100)), g, "ab")


def test_every_gap_the_spec_accepts_can_be_estimated():
    """The spec's `fairness:` values are the estimator's gaps plus the four_fifths_rule preset."""
    import typing

    from pytest_modelgate.spec.models import FairnessName

    assert set(typing.get_args(FairnessName)) == {*FAIRNESS_NAMES, "four_fifths_rule"}


# --- coverage by simulation -------------------------------------------------------------------


def _population(share, prevalence, tpr, fpr):
    """Cell probabilities [group, true, predicted] and the exact population gaps."""
    share, prevalence, tpr, fpr = map(np.asarray, (share, prevalence, tpr, fpr))
    negatives = np.stack([(1 - prevalence) * (1 - fpr), (1 - prevalence) * fpr], axis=-1)
    positives = np.stack([prevalence * (1 - tpr), prevalence * tpr], axis=-1)
    cells = np.stack([negatives, positives], axis=1) * share[:, None, None]
    selection = prevalence * tpr + (1 - prevalence) * fpr
    gaps = {
        "demographic_parity_difference": np.ptp(selection),
        "equalized_odds_difference": max(np.ptp(tpr), np.ptp(fpr)),
    }
    return cells, gaps


def _simulate(cells, gaps, sims, n, seed, bootstrap=None):
    rng = np.random.default_rng(seed)
    misses = {name: [] for name in gaps}
    for _ in range(sims):
        counts = rng.multinomial(n, cells.reshape(-1))
        group, rest = np.divmod(np.repeat(np.arange(counts.size), counts), 4)
        y, pred = np.divmod(rest, 2)
        ev = _binary(y, pred)
        for name, truth in gaps.items():
            iv = fairness_estimate(
                name,
                ev,
                group,
                ["a", "b", "c"],
                metric=None,
                opts=StatsOptions(resamples=1000),
                rng=rng,
                min_support=30,
                bootstrap=bootstrap,
            ).interval
            misses[name].append((truth < iv.low, truth > iv.high))
    return {name: np.mean(m, axis=0) for name, m in misses.items()}  # (below, above) rates


def test_coverage_of_gap_intervals():
    # 3 groups (50/30/20 %), n = 1500: selection rates .25/.3275/.4025 (gap .1525), TPR
    # .85/.75/.65 (gap .20) and FPR .05/.10/.20 (gap .15), so equalized odds sits near the
    # TPR/FPR kink. The bootstrap, before pairwise differences (1000 sets, seed 7): percentile
    # 0.962 / 0.954 (misses above the truth .017 / .007); the same sets with bootstrap="bca"
    # 0.934 / 0.884 (above .045 / .076), "basic" 0.912 / 0.863 (see GAP_BOOTSTRAP for why BCa overshoots on a max of noisy terms).
    cells, gaps = _population(
        [0.5, 0.3, 0.2], [0.25, 0.35, 0.45], [0.85, 0.75, 0.65], [0.05, 0.10, 0.20]
    )
    assert gaps["demographic_parity_difference"] == pytest.approx(0.1525)
    rates = _simulate(cells, gaps, sims=1000, n=1500, seed=7)
    coverage = {name: 1 - r.sum() for name, r in rates.items()}
    print("coverage", coverage)
    # the pairwise interval (the default for these differences): 0.966 / 0.986, conservative
    # because its lower end is Holm-corrected over pairs × rates
    for name, cov in coverage.items():
        assert 0.95 <= cov <= 0.995, (name, cov)
    # truth above the interval (a strict gate's false PASS side): .027 / .005, within Monte-Carlo
    # error (s.e. .005) of 2.5%
    assert all(above <= 0.025 + 3 * 0.005 for _, above in rates.values())


def test_near_ties_err_on_the_conservative_side():
    # Selection rates .310/.310/.308 (true gap .002): max − min is biased upward and no
    # bootstrap interval covers it well. When the percentile interval misses, it lies above the
    # truth, so a `max:` gate can fail a fair model but not pass an unfair one.
    cells, gaps = _population(
        [0.5, 0.3, 0.2], [0.3, 0.3, 0.3], [0.80, 0.80, 0.70], [0.10, 0.10, 0.14]
    )
    below, above = _simulate(cells, gaps, sims=300, n=1500, seed=3)["demographic_parity_difference"]
    print("near tie: truth below the interval", below, "above", above)
    assert above <= 0.025


def test_named_gaps_equal_fairlearn_on_the_adult_test_set():
    # the real data of the example project (shipped raw), with a transparent rule as "model"
    from pathlib import Path

    import pandas as pd
    from fairlearn import metrics as flm

    from pytest_modelgate.evidence.slicing import group_codes

    raw = Path(__file__).parents[2] / "example_project" / "data" / "raw" / "adult.test.gz"
    names = [
        "age",
        "workclass",
        "fnlwgt",
        "education",
        "education_num",
        "marital_status",
        "occupation",
        "relationship",
        "race",
        "sex",
        "capital_gain",
        "capital_loss",
        "hours_per_week",
        "native_country",
        "income",
    ]
    frame = pd.read_csv(raw, names=names, skiprows=1, skipinitialspace=True)
    y = frame["income"].str.startswith(">50K").astype(np.int64).to_numpy()
    pred = (
        ((frame["education_num"] >= 13) & (frame["hours_per_week"] >= 40))
        .astype(np.int64)
        .to_numpy()
    )
    ev = Evidence("binary", (0, 1), y, pred, None, None)
    opts = StatsOptions(resamples=200)
    for columns in (["sex"], ["race"], ["sex", "race"]):
        codes, labels = group_codes(frame, columns, max_groups=50, where="adult")
        sens = frame[columns] if len(columns) > 1 else frame[columns[0]]
        for name, reference in (
            ("demographic_parity_difference", flm.demographic_parity_difference),
            ("demographic_parity_ratio", flm.demographic_parity_ratio),
            ("equalized_odds_difference", flm.equalized_odds_difference),
            ("equalized_odds_ratio", flm.equalized_odds_ratio),
            ("equal_opportunity_difference", flm.equal_opportunity_difference),
            ("equal_opportunity_ratio", flm.equal_opportunity_ratio),
        ):
            est = fairness_estimate(
                name,
                ev,
                codes,
                labels,
                metric=None,
                opts=opts,
                rng=np.random.default_rng(0),
                min_support=1,
            )
            assert est.value == pytest.approx(
                reference(y, pred, sensitive_features=sens), abs=1e-12
            ), (name, columns)


# --- min_support per group and rate -------------------------------------------------------------


def test_min_support_applies_per_group_and_rate():
    """A TPR rests on the group's positives, an FPR on its negatives: a group with enough rows
    but 12 positives makes an equalized-odds gate INCONCLUSIVE, named with rate and count; the
    selection rate (demographic parity) of the same group rests on all its 100 rows."""
    import pytest_modelgate as mg

    g = np.repeat(["big", "small"], [400, 100])
    y = np.r_[np.tile([1, 0], 200), np.repeat([1, 0], [12, 88])]
    pred = y.copy()
    ev = mg.evaluate(y, pred, None, sensitive={"sex": g})
    with pytest.raises(AssertionError) as info:
        mg.assert_fair(ev, "equalized_odds_difference", sensitive="sex", max=0.2)
    message = str(info.value)
    assert "INCONCLUSIVE: only 12 rows in the TPR denominator of sex=small (positives)" in message
    assert "min_support = 30" in message
    mg.assert_fair(ev, "demographic_parity_difference", sensitive="sex", max=0.5, evidence="point")
    fe = ev.fairness("equalized_odds_difference", "sex")
    assert fe.thinnest == ("sex=small", "TPR", "positives", 12)
    assert "'sex=small': 12 positives for TPR" in fe.note
