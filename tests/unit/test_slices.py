"""Slices: building them, and the multiplicity rules across the slices of one gate."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pytest_modelgate.checks.slices import combine_slices, one_sided_p, worst_verdict
from pytest_modelgate.checks.threshold import check_threshold
from pytest_modelgate.errors import DataError
from pytest_modelgate.estimates.metric import StatsOptions, estimate_metric
from pytest_modelgate.estimates.metrics import get_metric
from pytest_modelgate.evidence.core import Evidence
from pytest_modelgate.evidence.slicing import group_codes, slice_rows
from pytest_modelgate.results import Verdict
from pytest_modelgate.spec import SliceBins
from pytest_modelgate.stats import holm_adjust


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "sex": ["F", "M", None, "F", "M", "M"],
            "race": ["a", "b", "a", "a", "b", "a"],
            "age": [18, 30, np.nan, 70, 44, 120],
            "id": range(6),
        }
    )


def test_values_missing_and_intersections():
    got = {
        s.key: s.rows.tolist()
        for s in slice_rows(frame(), ["sex", ["sex", "race"]], max_slices=10, where="w")
    }
    assert got == {
        "sex=F": [0, 3],
        "sex=M": [1, 4, 5],
        "sex=<missing>": [2],
        "sex=F, race=a": [0, 3],
        "sex=M, race=a": [5],
        "sex=M, race=b": [1, 4],
        "sex=<missing>, race=a": [2],
    }
    total = sum(len(s.rows) for s in slice_rows(frame(), ["sex"], max_slices=10, where="w"))
    assert total == len(frame())  # nothing dropped


def test_bins_keep_empty_bins_and_report_outside_and_missing():
    slices = slice_rows(
        frame(), [SliceBins(column="age", bins=[17, 25, 45, 65, 91])], max_slices=10, where="w"
    )
    got = {s.key: s.rows.tolist() for s in slices}
    assert got == {
        "age=[17, 25)": [0],
        "age=[25, 45)": [1, 4],
        "age=[45, 65)": [],
        "age=[65, 91)": [3],
        "age=<outside bins>": [5],
        "age=<missing>": [2],
    }


def test_quantiles():
    f = pd.DataFrame({"x": np.arange(100.0)})
    slices = slice_rows(f, [SliceBins(column="x", quantiles=4)], max_slices=10, where="w")
    assert [len(s.rows) for s in slices] == [25, 25, 25, 25]


def test_too_many_slices_is_an_error_that_says_what_to_do():
    with pytest.raises(
        DataError,
        match=r"w: slicing by id makes 6 slices \(cap: "
        r"stats.max_slices = 5\); bin a numeric column",
    ):
        slice_rows(frame(), ["id"], max_slices=5, where="w")
    with pytest.raises(DataError, match="column\\(s\\) 'nope' not in the test data"):
        slice_rows(frame(), ["nope"], max_slices=5, where="w")


def test_group_codes_for_fairness():
    codes, labels = group_codes(frame(), ["sex"], max_groups=10, where="w")
    assert labels == ["sex=F", "sex=M", "sex=<missing>"]
    assert codes.tolist() == [0, 1, 2, 0, 1, 1]


def test_holm_textbook_example():
    # four hypotheses, p = .01 .04 .03 .005: step-down multipliers 4, 3, 2, 1 on the sorted
    # p-values (.02, .03, .06, .04), then the running maximum: (.03, .06, .06, .02)
    assert holm_adjust(np.array([0.01, 0.04, 0.03, 0.005])).tolist() == pytest.approx(
        [0.03, 0.06, 0.06, 0.02]
    )


def _slice_results(values, n, bar, evidence, rng):
    metric = get_metric("accuracy", "binary")
    results, estimates = [], []
    for i, p in enumerate(values):
        y = rng.integers(0, 2, n)
        correct = rng.random(n) < p
        ev = Evidence("binary", (0, 1), y, np.where(correct, y, 1 - y), None, None)
        est = estimate_metric(metric, ev, StatsOptions(), rng)
        results.append(
            check_threshold(
                gate_id="g",
                name="g",
                estimate=est,
                lo=bar,
                hi=None,
                evidence=evidence,
                min_support=30,
                severity="block",
                slice_={"s": str(i)},
            )
        )
        estimates.append(est)
    return combine_slices(results, estimates, evidence=evidence, lo=bar, hi=None, level=0.95)


def test_strict_is_intersection_union_without_correction(rng):
    # two slices each clearly above the bar: each passes at its own level, so the gate passes
    out = _slice_results([0.9, 0.9], 2000, 0.87, "strict", rng)
    assert worst_verdict(out) is Verdict.PASS
    assert "no correction needed" in out[0].notes[-1]


def test_lenient_fails_on_one_clear_violation_among_ten(rng):
    out = _slice_results([0.8] * 9 + [0.6], 800, 0.75, "lenient", rng)
    verdicts = [r.verdict for r in out]
    assert verdicts[-1] is Verdict.FAIL and verdicts[:-1] == [Verdict.PASS] * 9
    assert out[-1].p_adjusted is not None and out[-1].p_adjusted < 0.025


def test_lenient_with_ten_slices_on_the_bar_rarely_fails():
    # family-wise false-block rate: ten slices whose true accuracy equals the bar
    rng = np.random.default_rng(3)
    fails = [
        worst_verdict(_slice_results([0.8] * 10, 400, 0.8, "lenient", rng)) is Verdict.FAIL
        for _ in range(300)
    ]
    rate = float(np.mean(fails))
    assert rate <= 0.045  # nominal 0.025 family-wise; without Holm it would be ~0.22


def test_one_sided_p_matches_the_wilson_interval():
    # the lenient rule on one slice equals the interval rule: Wilson inverts the score test
    rng = np.random.default_rng(5)
    metric = get_metric("accuracy", "binary")
    for p in (0.70, 0.74, 0.76, 0.8):
        y = rng.integers(0, 2, 500)
        ev = Evidence("binary", (0, 1), y, np.where(rng.random(500) < p, y, 1 - y), None, None)
        est = estimate_metric(metric, ev, StatsOptions(), rng)
        shows_violation = est.interval.high < 0.78
        assert (one_sided_p(est, 0.78, None) < 0.025) == shows_violation


# --- the p-values behind lenient Holm ------------------------------------------------------------


def _proportion(x, n, interval):
    from pytest_modelgate.results import MetricResult
    from pytest_modelgate.stats import clopper_pearson_interval, wilson_interval

    make = clopper_pearson_interval if interval == "clopper-pearson" else wilson_interval
    return MetricResult("accuracy", x / n, make(x, n, 0.95), n, support=n)


def test_exact_tails_equal_scipy_binomtest():
    from scipy import stats

    for x, n, bar in ((38, 50, 0.9), (50, 50, 0.95), (0, 20, 0.1), (170, 200, 0.8)):
        est = _proportion(x, n, "clopper-pearson")
        less = stats.binomtest(x, n, bar, alternative="less").pvalue
        greater = stats.binomtest(x, n, bar, alternative="greater").pvalue
        assert one_sided_p(est, bar, None) == pytest.approx(less, rel=1e-9)
        assert one_sided_p(est, None, bar) == pytest.approx(greater, rel=1e-9)
        assert one_sided_p(est, bar, bar) == pytest.approx(min(1, 2 * min(less, greater)))


def test_lenient_family_wise_error_is_exact_and_within_the_promise():
    """Ten slices of 50 rows at accuracy 0.95, the bar at 0.95: Holm fails the gate iff the
    smallest p < 0.025/10, so the family-wise false-FAIL rate is 1 − (1 − q)^10, q enumerated
    over every success count. The score test (Wilson) gave 11.2%; the exact tail 0.75%."""
    from scipy import stats

    def family_wise(interval):
        q = sum(
            stats.binom.pmf(x, 50, 0.95)
            for x in range(51)
            if one_sided_p(_proportion(x, 50, interval), 0.95, None) < 0.025 / 10
        )
        return 1 - (1 - q) ** 10

    assert family_wise("wilson") == pytest.approx(0.1118, abs=5e-4)
    assert family_wise("clopper-pearson") == pytest.approx(0.0075, abs=5e-4)


def test_one_slice_lenient_p_inverts_any_interval():
    """With one slice, p < 0.025 exactly when the interval lies beyond the bar — also for an
    asymmetric (bootstrap) interval, read with its half-width on the bar's side."""
    from pytest_modelgate.results import MetricResult
    from pytest_modelgate.stats import Interval

    est = MetricResult("f1", 0.70, Interval(0.60, 0.74, 0.95, "bootstrap-bca"), 300)
    for bar in (0.73, 0.7399, 0.7401, 0.75, 0.8):
        assert (one_sided_p(est, bar, None) < 0.025) == (bar > 0.74)
    for bar in (0.5, 0.5999, 0.6001, 0.65):
        assert (one_sided_p(est, None, bar) < 0.025) == (bar < 0.60)
    assert one_sided_p(est, 0.74, None) == pytest.approx(0.025)


def test_lenient_slices_show_the_interval_their_test_inverts():
    import pytest_modelgate as mg

    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 400)
    pred = np.where(rng.random(400) < 0.85, y, 1 - y)
    s = np.repeat(["a", "b"], 200)
    ev = mg.evaluate(y, pred, None, sensitive={"s": s})
    table = mg.assert_slices(ev, "accuracy", "s", min=0.8, evidence="lenient")
    assert set(table["method"]) == {"clopper-pearson"}
    strict = mg.assert_slices(ev, "accuracy", "s", min=0.5)
    assert set(strict["method"]) == {"clopper-pearson"}  # every proportion under auto


def _ids(n: int = 20_000) -> pd.DataFrame:
    """Two id columns of ``n`` distinct values each: ``n`` rows, ``n`` observed pairs, a
    product of ``n²`` = 4·10⁸ possible labels."""
    ids = np.arange(n)
    return pd.DataFrame({"id1": ids.astype(str), "id2": (ids[::-1] * 7).astype(str)})


def test_a_pair_of_high_cardinality_columns_is_refused_before_any_product_is_built():
    """Issue #15: the product of labels (4·10⁸ tuples) was built before the cap was checked —
    MemoryError after 51 s. The observed pairs are counted first."""
    with pytest.raises(DataError, match=r"w: slicing by id1 × id2 makes 20000 slices \(cap: "):
        slice_rows(_ids(), [["id1", "id2"]], max_slices=50, where="w")
    with pytest.raises(DataError, match=r"w: slicing by id1 × id2 makes 20000 slices"):
        group_codes(_ids(), ["id1", "id2"], max_groups=50, where="w")


def test_many_columns_of_many_values_combine_without_overflow():
    """Five categorical columns of 20k categories each (a product of 3·10²¹ codes, beyond
    int64) over 40 rows still give one slice per observed combination."""
    rng = np.random.default_rng(0)
    values = pd.Categorical(np.arange(20_000))
    f = pd.DataFrame({f"c{i}": values[rng.permutation(20_000)[:40]] for i in range(5)})
    slices = slice_rows(f, [[f"c{i}" for i in range(5)]], max_slices=50, where="w")
    assert sorted(int(s.rows[0]) for s in slices) == list(range(40))
    for s in slices:
        row = f.iloc[int(s.rows[0])]
        assert s.label == {c: str(row[c]) for c in f.columns}


def test_combined_slices_keep_only_observed_pairs_in_report_order():
    f = pd.DataFrame({"a": ["x", "y", "x", "y", "x"], "b": ["2", "1", "10", "1", None]})
    got = {s.key: s.rows.tolist() for s in slice_rows(f, [["a", "b"]], max_slices=9, where="w")}
    assert list(got) == ["a=x, b=2", "a=x, b=10", "a=x, b=<missing>", "a=y, b=1"]
    assert got == {"a=x, b=2": [0], "a=x, b=10": [2], "a=x, b=<missing>": [4], "a=y, b=1": [1, 3]}


def test_every_missing_slice_column_is_named_and_long_lists_say_how_many():
    """#15: only the first bad column was reported, and the column list was cut at 20 names
    without saying how many there are."""
    wide = pd.DataFrame({f"col{i}": [1, 2] for i in range(30)})
    with pytest.raises(DataError) as info:
        slice_rows(wide, [["col1", "nope"], "gone"], max_slices=5, where="w")
    text = str(info.value)
    assert "column(s) 'nope', 'gone' not in the test data" in text
    assert "col19, ... (30 in all)" in text
