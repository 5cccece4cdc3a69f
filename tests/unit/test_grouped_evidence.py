"""Grouped (frequency-weighted) evidence gives the row-level results.

The reference is always the row-level path on the same rows: every metric's estimate and
interval on ``compress(...)``-ed evidence must equal the row-level one — exactly for statistics
of identical count tables (the count bootstrap draws the same multinomials from the same seed),
to 1e-12 for analytic intervals (weighted sums vs row sums differ by rounding only). The row
bootstrap of per-row means draws cell weights instead of row weights: equal in distribution, not
draw for draw, so those are compared with a Monte-Carlo tolerance.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from pytest_modelgate.errors import ModelError
from pytest_modelgate.estimates.metric import StatsOptions, estimate_metric, score_histogram
from pytest_modelgate.estimates.metrics import METRICS, get_metric
from pytest_modelgate.evidence.core import Evidence, build_evidence, weighted_quantile
from pytest_modelgate.evidence.grouped import compress
from pytest_modelgate.inputs.loading import Predictions
from pytest_modelgate.stats import (
    delong_auc_variance,
    delong_difference_test,
    delong_paired,
    weighted_row_bootstrap,
)

SEED = 7


def _rng() -> np.random.Generator:
    return np.random.default_rng(SEED)


def _binary_frame(n: int = 2500, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = rng.random(n) < 0.35
    sex = rng.choice(["F", "M", "X"], size=n, p=[0.5, 0.42, 0.08]).astype(object)
    sex[rng.random(n) < 0.03] = None
    age = rng.integers(18, 80, size=n).astype(float)
    age[rng.random(n) < 0.02] = np.nan
    # scores on a 1/64 grid: grouping on them is exact
    cand = np.clip(np.round((0.3 + 0.35 * y + rng.normal(0, 0.22, n)) * 64) / 64, 0, 1)
    base = np.clip(np.round((0.35 + 0.25 * y + rng.normal(0, 0.25, n)) * 64) / 64, 0, 1)
    return pd.DataFrame(
        {
            "y": np.where(y, "yes", "no"),
            "sex": sex,
            "age": age,
            "cand": cand,
            "base": base,
        }
    )


def _binary_evidence(frame: pd.DataFrame, column: str) -> Evidence:
    preds = Predictions(None, frame[column].to_numpy(), None, "probability", column)
    return build_evidence(frame["y"], preds, "binary", "yes", 0.5, "test.csv")


def _multiclass(n: int = 2000, seed: int = 1) -> tuple[Evidence, Evidence, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    classes = ["a", "b", "c", "d"]
    y = rng.choice(classes, size=n, p=[0.4, 0.3, 0.2, 0.1])
    out = []
    for noise in (0.25, 0.4):
        logits = rng.normal(0, 1, (n, 4)) + 2.0 * (y[:, None] == np.array(classes))
        logits += rng.normal(0, noise, (n, 4))
        p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
        p = np.round(p * 4) / 4 + 0.125  # few distinct probability vectors
        p = p / p.sum(1, keepdims=True)
        preds = Predictions(None, p, tuple(classes), "probability", f"m{noise}")
        out.append(build_evidence(pd.Series(y), preds, "multiclass", None, None, "test.csv"))
    keys = pd.DataFrame({"g": rng.choice(["u", "v"], size=n)})
    return out[0], out[1], keys


def _regression(n: int = 1500, seed: int = 2) -> tuple[Evidence, Evidence, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    y = np.round(rng.normal(10, 3, n) * 2) / 2  # half-unit grid: many repeated values
    out = []
    for noise in (1.0, 1.5):
        pred = np.round((y + rng.normal(0, noise, n)) * 2) / 2
        preds = Predictions(pred, None, None, None, f"r{noise}")
        out.append(build_evidence(pd.Series(y), preds, "regression", None, None, "test.csv"))
    keys = pd.DataFrame({"g": rng.choice(["u", "v", "w"], size=n)})
    return out[0], out[1], keys


def _assert_same(a, b, tol: float = 1e-12) -> None:
    """Two estimates: same n, method, and value/ends equal to ``tol`` (nan equals nan)."""
    assert a.n == b.n
    assert a.interval.method == b.interval.method
    for x, y in (
        (a.value, b.value),
        (a.interval.low, b.interval.low),
        (a.interval.high, b.interval.high),
    ):
        if math.isnan(x) or math.isnan(y):
            assert math.isnan(x) and math.isnan(y)
        else:
            assert abs(x - y) <= tol, (x, y)


def _metrics(task: str) -> list[str]:
    # churn metrics (#19) compare two models' per-row predictions: no single-evidence estimate;
    # roc_auc_ovr needs each row's placement (refused on cells: the test below)
    return sorted(
        {
            m.name
            for key, m in METRICS.items()
            if key.startswith(f"{task}:") and m.kind != "churn" and m.name != "roc_auc_ovr"
        }
    )


def test_macro_auc_is_refused_on_compressed_evidence_with_the_reason():
    cand, base, keys = _multiclass()
    packed = compress(cand, base, keys=keys).evidence[0]
    metric = get_metric("roc_auc_ovr", "multiclass")
    with pytest.raises(ModelError, match="needs each row's placement among the other classes"):
        estimate_metric(metric, packed, StatsOptions(), _rng())


# --- the compression itself --------------------------------------------------------------------


def test_compress_has_few_cells_and_the_same_counts():
    frame = _binary_frame()
    cand, base = _binary_evidence(frame, "cand"), _binary_evidence(frame, "base")
    packed = compress(cand, base, keys=frame[["sex"]])
    c = packed.evidence[0]
    assert c.is_weighted and c.n == cand.n == 2500
    assert compress(cand, keys=frame[["sex"]]).evidence[0].n_stored < cand.n / 3  # it compresses
    np.testing.assert_array_equal(c.counts, cand.counts)
    # every input row maps to a cell that holds its values
    np.testing.assert_array_equal(c.y_true[packed.inverse], cand.y_true)
    np.testing.assert_array_equal(c.scores[packed.inverse], cand.scores)
    np.testing.assert_array_equal(packed.evidence[1].scores[packed.inverse], base.scores)
    shown = packed.keys["sex"].iloc[packed.inverse].reset_index(drop=True)
    pd.testing.assert_series_equal(shown, frame["sex"], check_names=False)


def test_weighted_quantile_equals_numpy_and_pandas_on_expanded_rows():
    rng = np.random.default_rng(3)
    for _ in range(500):
        k = int(rng.integers(1, 40))
        values = rng.choice(rng.normal(size=12) * 10, size=k)
        weight = rng.integers(1, 7, size=k)
        q = np.r_[np.linspace(0, 1, int(rng.integers(2, 11))), rng.random(4)]
        rows = np.repeat(values, weight)
        np.testing.assert_array_equal(weighted_quantile(values, weight, q), np.quantile(rows, q))
        np.testing.assert_array_equal(
            weighted_quantile(values, weight, q), pd.Series(rows).quantile(q).to_numpy()
        )


def test_quantile_binned_score_histogram_equals_the_row_histogram():
    # more distinct scores than bins: the quantile edges must be those of the expanded rows
    rng = np.random.default_rng(4)
    values = rng.random(3000)
    weight = rng.integers(1, 5, size=3000)
    y = rng.random(3000) < 0.4
    hist_w, exact_w = score_histogram(y, values, max_bins=64, weight=weight)
    hist_r, exact_r = score_histogram(np.repeat(y, weight), np.repeat(values, weight), max_bins=64)
    assert not exact_w and not exact_r
    np.testing.assert_array_equal(hist_w, hist_r)


# --- DeLong --------------------------------------------------------------------------------------


def test_weighted_delong_equals_row_delong_on_expanded_rows():
    rng = np.random.default_rng(5)
    for _ in range(200):
        k = int(rng.integers(4, 80))
        y = rng.integers(0, 2, size=k)
        if y.min() == y.max():
            continue
        a = np.round(rng.random(k) * 8) / 8
        b = np.round(rng.random(k) * 3) / 3
        w = rng.integers(1, 9, size=k)
        rows = (np.repeat(y, w), np.repeat(a, w), np.repeat(b, w))
        auc_w, var_w = delong_auc_variance(y, a, w)
        auc_r, var_r = delong_auc_variance(rows[0], rows[1])
        assert abs(auc_w - auc_r) < 1e-12
        assert (math.isnan(var_w) and math.isnan(var_r)) or abs(var_w - var_r) < 1e-12
        aucs_w, cov_w = delong_paired(y, a, b, w)
        aucs_r, cov_r = delong_paired(*rows)
        np.testing.assert_allclose(aucs_w, aucs_r, rtol=0, atol=1e-12)
        np.testing.assert_allclose(cov_w, cov_r, rtol=0, atol=1e-12)
        d_w = delong_difference_test(y, a, b, w)
        d_r = delong_difference_test(*rows)
        np.testing.assert_allclose(d_w, d_r, rtol=0, atol=1e-12)


def test_weighted_delong_matches_sklearn_auc():
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(6)
    y = rng.integers(0, 2, size=300)
    s = np.round(rng.random(300) * 10) / 10
    w = rng.integers(1, 6, size=300)
    auc, _ = delong_auc_variance(y, s, w)
    assert auc == pytest.approx(sklearn_metrics.roc_auc_score(y, s, sample_weight=w), abs=1e-12)


def test_weights_must_be_frequencies():
    with pytest.raises(ValueError, match="weights must be non-negative integers"):
        delong_auc_variance([0, 1, 1], [0.1, 0.2, 0.3], [1, 0.5, 2])


# --- every metric, compressed vs rows -----------------------------------------------------------

INTERVALS = ("auto", "wilson", "clopper-pearson", "normal", "bootstrap")


@pytest.mark.parametrize("interval", INTERVALS)
@pytest.mark.parametrize("bootstrap", ["bca", "percentile"])
def test_binary_metrics_equal_on_compressed_evidence(interval, bootstrap):
    frame = _binary_frame()
    rows = _binary_evidence(frame, "cand")
    packed = compress(rows).evidence[0]
    opts = StatsOptions(interval=interval, bootstrap=bootstrap, resamples=400)
    for name in _metrics("binary"):
        metric = get_metric(name, "binary")
        a = estimate_metric(metric, rows, opts, _rng())
        b = estimate_metric(metric, packed, opts, _rng())
        if metric.kind == "row_mean" and interval == "bootstrap":
            _assert_same_in_distribution(a, b)
        else:
            _assert_same(a, b)
            assert a.support == b.support


@pytest.mark.parametrize("interval", ["auto", "bootstrap"])
def test_multiclass_metrics_equal_on_compressed_evidence(interval):
    rows, _, _ = _multiclass()
    packed = compress(rows).evidence[0]
    assert packed.n_stored < rows.n / 2
    opts = StatsOptions(interval=interval, resamples=400)
    for name in _metrics("multiclass"):
        metric = get_metric(name, "multiclass")
        a = estimate_metric(metric, rows, opts, _rng())
        b = estimate_metric(metric, packed, opts, _rng())
        if metric.kind == "row_mean" and interval == "bootstrap":
            _assert_same_in_distribution(a, b)
        else:
            _assert_same(a, b)


@pytest.mark.parametrize("interval", ["auto", "bootstrap"])
def test_regression_metrics_equal_on_compressed_evidence(interval):
    rows, _, _ = _regression()
    packed = compress(rows).evidence[0]
    assert packed.n_stored < rows.n
    opts = StatsOptions(interval=interval, resamples=400)
    for name in _metrics("regression"):
        metric = get_metric(name, "regression")
        a = estimate_metric(metric, rows, opts, _rng())
        b = estimate_metric(metric, packed, opts, _rng())
        if interval == "bootstrap":
            _assert_same_in_distribution(a, b)
        else:
            _assert_same(a, b, tol=1e-10)


def _assert_same_in_distribution(a, b) -> None:
    """Row weights vs cell weights: the same bootstrap distribution, different draws. With 400
    resamples the ends' Monte-Carlo error is a few % of the interval's width."""
    assert a.n == b.n
    assert a.value == pytest.approx(b.value, abs=1e-12)
    width = a.interval.high - a.interval.low
    assert abs(a.interval.low - b.interval.low) < 0.15 * width
    assert abs(a.interval.high - b.interval.high) < 0.15 * width


def test_cell_bootstrap_has_the_row_bootstrap_distribution():
    # many resamples: the quantiles of the two bootstrap distributions agree to Monte-Carlo error
    rng = np.random.default_rng(8)
    values = np.round(rng.exponential(1.0, 400) * 4) / 4
    cells, inverse = np.unique(values, return_inverse=True)
    freq = np.bincount(inverse)

    def mean(w, cols):
        return (w @ cols[:, 0]) / w.sum(axis=1)

    rows = weighted_row_bootstrap(values, mean, n_resamples=20000, rng=_rng(), method="bca")
    packed = weighted_row_bootstrap(
        cells, mean, n_resamples=20000, rng=_rng(), method="bca", frequencies=freq
    )
    assert rows.interval.method == packed.interval.method == "bootstrap-bca"
    assert packed.standard_error == pytest.approx(rows.standard_error, rel=0.03)
    assert packed.interval.low == pytest.approx(rows.interval.low, abs=0.01)
    assert packed.interval.high == pytest.approx(rows.interval.high, abs=0.01)


# --- paired comparisons -------------------------------------------------------------------------


def _assert_same_comparison(a, b, tol: float = 1e-12) -> None:
    assert (a.n, a.paired, a.test, a.interval.method) == (b.n, b.paired, b.test, b.interval.method)
    pairs = [
        (a.delta, b.delta),
        (a.candidate, b.candidate),
        (a.baseline, b.baseline),
        (a.interval.low, b.interval.low),
        (a.interval.high, b.interval.high),
        (a.p_value, b.p_value),
    ]
    for x, y in pairs:
        if x is None or y is None:
            assert x is None and y is None
        elif math.isnan(x) or math.isnan(y):
            assert math.isnan(x) and math.isnan(y)
        else:
            assert abs(x - y) <= tol, (a.metric, x, y)


def _compare_all(task: str, cand, base, against_constant: bool = True) -> None:
    from pytest_modelgate.estimates.compare import compare_metric, constant_evidence

    packed = compress(cand, base)
    pc, pb = packed.evidence
    opts = StatsOptions(resamples=400)
    for name in _metrics(task):
        metric = get_metric(name, task)
        a = compare_metric(metric, cand, base, opts, _rng())
        b = compare_metric(metric, pc, pb, opts, _rng())
        if name == "average_precision":  # paired row bootstrap: cells drawn, equal in distribution
            assert a.delta == pytest.approx(b.delta, abs=1e-12)
            width = a.interval.high - a.interval.low
            assert abs(a.interval.low - b.interval.low) < 0.15 * width
            assert abs(a.interval.high - b.interval.high) < 0.15 * width
        else:
            _assert_same_comparison(a, b, tol=1e-10 if task == "regression" else 1e-12)
        if against_constant:
            ca, la = constant_evidence(metric, cand)
            cb, lb = constant_evidence(metric, pc)
            assert la == lb
            if name != "average_precision":
                _assert_same_comparison(
                    compare_metric(metric, cand, ca, opts, _rng()),
                    compare_metric(metric, pc, cb, opts, _rng()),
                    tol=1e-10,
                )


def test_binary_comparisons_equal_on_compressed_evidence():
    frame = _binary_frame()
    _compare_all("binary", _binary_evidence(frame, "cand"), _binary_evidence(frame, "base"))


def test_multiclass_comparisons_equal_on_compressed_evidence():
    cand, base, _ = _multiclass()
    _compare_all("multiclass", cand, base)


def test_regression_comparisons_equal_on_compressed_evidence():
    cand, base, _ = _regression()
    _compare_all("regression", cand, base)


def test_paired_comparison_refuses_evidence_on_other_cells():
    from pytest_modelgate.estimates.compare import compare_metric

    frame = _binary_frame()
    cand, base = _binary_evidence(frame, "cand"), _binary_evidence(frame, "base")
    pc = compress(cand).evidence[0]
    pb = compress(base).evidence[0]
    with pytest.raises(ValueError, match="same rows"):
        compare_metric(get_metric("accuracy", "binary"), pc, pb, StatsOptions(), _rng())


# --- slices --------------------------------------------------------------------------------------

SLICINGS = ["sex", ["sex", "age_band"], "bins", "quantiles"]


def _slicing(name):
    from pytest_modelgate.spec import SliceBins

    if name == "bins":
        return SliceBins(column="age", bins=[18, 30, 50, 65, 90])
    if name == "quantiles":
        return SliceBins(column="age", quantiles=4)
    return name


@pytest.mark.parametrize("slicing", SLICINGS, ids=str)
def test_slices_equal_on_compressed_evidence(slicing):
    from pytest_modelgate.evidence.slicing import slice_rows

    frame = _binary_frame()
    frame["age_band"] = np.where(frame["age"] < 40, "young", "old")
    rows = _binary_evidence(frame, "cand")
    keys = frame[["sex", "age", "age_band"]]
    packed = compress(rows, keys=keys)
    ev = packed.evidence[0]
    spec = [_slicing(slicing)]
    by_rows = slice_rows(frame, spec, max_slices=50, where="w")
    by_cells = slice_rows(packed.keys, spec, max_slices=50, where="w", weights=ev.weight)
    assert [s.label for s in by_rows] == [s.label for s in by_cells]
    assert len(by_rows) >= 3
    opts = StatsOptions(resamples=300)
    for sr, sc in zip(by_rows, by_cells, strict=True):
        # the cells of a slice hold exactly its rows
        np.testing.assert_array_equal(
            np.sort(np.flatnonzero(np.isin(packed.inverse, sc.rows))), sr.rows
        )
        for name in ("accuracy", "recall", "f1", "roc_auc", "brier_score"):
            metric = get_metric(name, "binary")
            _assert_same(
                estimate_metric(metric, rows.subset(sr.rows), opts, _rng()),
                estimate_metric(metric, ev.subset(sc.rows), opts, _rng()),
            )


def test_lenient_slices_holm_equal_on_compressed_evidence():
    from pytest_modelgate.checks.slices import combine_slices
    from pytest_modelgate.checks.threshold import check_threshold
    from pytest_modelgate.evidence.slicing import slice_rows

    frame = _binary_frame()
    rows = _binary_evidence(frame, "cand")
    packed = compress(rows, keys=frame[["sex"]])
    ev = packed.evidence[0]
    metric = get_metric("recall", "binary")
    outcome = []
    for source, table, weights in ((rows, frame, None), (ev, packed.keys, ev.weight)):
        slices = slice_rows(table, ["sex"], max_slices=10, where="w", weights=weights)
        ests = [
            estimate_metric(metric, source.subset(s.rows), StatsOptions(), _rng()) for s in slices
        ]
        results = [
            check_threshold(
                gate_id="g",
                name="g",
                estimate=e,
                lo=0.6,
                hi=None,
                evidence="lenient",
                min_support=10,
                severity="block",
                line=1,
                spec_file="gates.yaml",
                slice_=s.label,
            )
            for e, s in zip(ests, slices, strict=True)
        ]
        combined = combine_slices(results, ests, evidence="lenient", lo=0.6, hi=None, level=0.95)
        outcome.append([(r.verdict, r.p_value, r.p_adjusted, r.n) for r in combined])
    for a, b in zip(*outcome, strict=True):
        assert a[0] == b[0] and a[3] == b[3]
        assert a[1] == pytest.approx(b[1], abs=1e-12) and a[2] == pytest.approx(b[2], abs=1e-12)


# --- fairness ------------------------------------------------------------------------------------

NAMED_GAPS = [
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "equalized_odds_difference",
    "equalized_odds_ratio",
    "equal_opportunity_difference",
    "equal_opportunity_ratio",
]


def _fairness_pair(name, metric, rows, ev, frame, keys, bootstrap=None):
    from pytest_modelgate.estimates.fairness import fairness_estimate
    from pytest_modelgate.evidence.slicing import group_codes

    out = []
    for source, table in ((rows, frame), (ev, keys)):
        codes, labels = group_codes(table, ["sex"], max_groups=10, where="w")
        out.append(
            fairness_estimate(
                name,
                source,
                codes,
                labels,
                metric=metric,
                opts=StatsOptions(resamples=300),
                rng=_rng(),
                min_support=30,
                bootstrap=bootstrap,
            )
        )
    return out


@pytest.mark.parametrize("bootstrap", [None, "bca"])
def test_fairness_gaps_equal_on_compressed_evidence(bootstrap):
    frame = _binary_frame()
    rows = _binary_evidence(frame, "cand")
    packed = compress(rows, keys=frame[["sex"]])
    ev = packed.evidence[0]
    cases = [(n, None) for n in NAMED_GAPS] + [
        (gap, get_metric(m, "binary"))
        for gap in ("metric_difference", "metric_ratio")
        for m in ("recall", "f1", "roc_auc", "average_precision", "log_loss")
    ]
    for name, metric in cases:
        a, b = _fairness_pair(name, metric, rows, ev, frame, packed.keys, bootstrap)
        assert a.n == b.n and a.worst == b.worst and a.note == b.note
        assert [(g.group, g.n, g.excluded) for g in a.groups] == [
            (g.group, g.n, g.excluded) for g in b.groups
        ]
        for ga, gb in zip(a.groups, b.groups, strict=True):
            for k in ga.values:
                assert ga.values[k] == pytest.approx(gb.values[k], abs=1e-12, nan_ok=True)
        assert a.interval.method == b.interval.method
        tol = 1e-9 if metric is not None and metric.kind == "row_mean" else 1e-12
        for x, y in (
            (a.value, b.value),
            (a.interval.low, b.interval.low),
            (a.interval.high, b.interval.high),
        ):
            assert x == pytest.approx(y, abs=tol, nan_ok=True), (name, metric)


def test_fairness_point_estimates_equal_fairlearn_on_compressed_evidence():
    fl = pytest.importorskip("fairlearn.metrics")
    frame = _binary_frame()
    frame = frame[frame["sex"].notna()].reset_index(drop=True)
    rows = _binary_evidence(frame, "cand")
    packed = compress(rows, keys=frame[["sex"]])
    ev = packed.evidence[0]
    for name in NAMED_GAPS:
        _, b = _fairness_pair(name, None, rows, ev, frame, packed.keys)
        expected = getattr(fl, name)(
            rows.y_true, rows.y_pred, sensitive_features=frame["sex"].to_numpy()
        )
        assert b.value == pytest.approx(expected, abs=1e-12), name


# --- the grouped-table constructor --------------------------------------------------------------


def _grouped(frame, **kw):
    from pytest_modelgate.evidence.grouped import build_grouped_evidence
    from tests.grouping import group_counts

    table = group_counts(
        frame, ["y", "sex"], {"cand": kw.pop("bins", None)}, thresholds=kw.pop("thresholds", None)
    )
    args = dict(
        target="y",
        predictions=None,
        scores="cand",
        task="binary",
        positive_label="yes",
        threshold=0.5,
        where="test.csv",
        source="columns of test.csv",
    )
    args.update(kw)
    return build_grouped_evidence(table, **args)


def test_grouped_table_evidence_equals_row_evidence():
    frame = _binary_frame()
    rows = _binary_evidence(frame, "cand")
    ev = _grouped(frame)
    assert ev.classes == rows.classes and ev.n == rows.n and ev.n_stored < rows.n
    np.testing.assert_array_equal(ev.counts, rows.counts)
    opts = StatsOptions(resamples=300)
    for name in ("roc_auc", "average_precision", "log_loss", "f1"):
        metric = get_metric(name, "binary")
        _assert_same(
            estimate_metric(metric, rows, opts, _rng()), estimate_metric(metric, ev, opts, _rng())
        )


def test_threshold_is_taken_from_the_engine_key_not_from_binned_scores():
    frame = _binary_frame()
    rows = _binary_evidence(frame, "cand")
    ev = _grouped(
        frame, bins=7, thresholds={"__p__": ("cand", 0.5)}, predicted_key="__p__", score_bins=7
    )
    np.testing.assert_array_equal(ev.counts, rows.counts)  # 7 bins would move the threshold
    with pytest.raises(ValueError, match="threshold on binned scores is inexact"):
        _grouped(frame, bins=7, score_bins=7)


def test_binned_scores_refuse_probability_losses_and_note_auc():
    frame = _binary_frame()
    ev = _grouped(
        frame, bins=32, thresholds={"__p__": ("cand", 0.5)}, predicted_key="__p__", score_bins=32
    )
    with pytest.raises(ModelError, match="log_loss is not available on grouped data with binned"):
        estimate_metric(get_metric("log_loss", "binary"), ev, StatsOptions(), _rng())
    est = estimate_metric(get_metric("roc_auc", "binary"), ev, StatsOptions(), _rng())
    assert "32 equal-width bins" in est.note


def test_grouped_messages_count_rows_not_cells():
    from pytest_modelgate.errors import DataError

    frame = _binary_frame()
    frame.loc[:9, "y"] = None  # ten rows without a label, in fewer cells
    with pytest.raises(DataError, match="target column 'y' has 10 missing value"):
        _grouped(frame)
    frame = _binary_frame()
    frame["y"] = np.where(frame["y"] == "yes", "up", "down")
    with pytest.raises(DataError) as grouped_error:
        _grouped(frame, positive_label=None)
    with pytest.raises(DataError) as row_error:
        preds = Predictions(None, frame["cand"].to_numpy(), None, "probability", "cand")
        build_evidence(frame["y"], preds, "binary", None, 0.5, "test.csv")
    assert (
        str(grouped_error.value).split("(observed")[0] == str(row_error.value).split("(observed")[0]
    )


def test_binned_auc_note_bounds_the_binning_error():
    # the bound in the note holds against the AUC of the raw scores, and is attained in size
    rng = np.random.default_rng(11)
    frame = _binary_frame()
    frame["cand"] = np.clip(frame["cand"] + rng.normal(0, 0.01, len(frame)), 0, 1)  # continuous
    rows = _binary_evidence(frame, "cand")
    exact = delong_auc_variance(rows.positives, rows.scores)[0]
    for bins in (4, 16, 256):
        ev = _grouped(
            frame,
            bins=bins,
            thresholds={"__p__": ("cand", 0.5)},
            predicted_key="__p__",
            score_bins=bins,
        )
        if bins == 4:  # most pairs tied: refused rather than gated on a collapsed ranking
            with pytest.raises(ModelError, match="not reliable on these binned scores"):
                estimate_metric(get_metric("roc_auc", "binary"), ev, StatsOptions(), _rng())
            continue
        est = estimate_metric(get_metric("roc_auc", "binary"), ev, StatsOptions(), _rng())
        bound = float(est.note.split("within ±")[1].split(" ")[0])
        assert abs(est.value - exact) <= bound + 1e-12, (bins, est.value, exact, bound)
        if bins == 16:
            assert abs(est.value - exact) > 1e-4  # coarse bins do move the AUC
