"""Data checks against independent references: SciPy, hand computations and seeded simulations.

The 10⁶-row frames are built once per module; everything else uses small, written-out data.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.spatial.distance import jensenshannon

from pytest_modelgate.datachecks import (
    MISSING_LABEL,
    ColumnFinding,
    chi2_test,
    column_kind,
    drift_check,
    dtype_kind,
    jensen_shannon,
    ks_test,
    missing_values_check,
    psi,
    psi_bins,
    range_check,
    schema_check,
    unseen_categories_check,
    wasserstein_normalised,
)

BIG_N = 1_000_000
LEVELS = list("abcdef")
BASE_SHARES = [0.10, 0.18, 0.18, 0.18, 0.18, 0.18]
# The "a" share goes from 10% to 30%, the others shrink evenly.
SHIFTED_SHARES = [0.30, 0.14, 0.14, 0.14, 0.14, 0.14]


# --------------------------------------------------------------------------------------------
# Statistics against independent references
# --------------------------------------------------------------------------------------------

# Reference 1..100 with bins=4: the inverted-CDF quartiles are 25, 50 and 75, so the bins
# (-inf, 25], (25, 50], (50, 75], (75, inf) hold 25 reference values each.
QUARTILE_REF = np.arange(1, 101, dtype=float)
# 5, 10, 20 and 15 test values in those bins (one value on an edge, 50, closes bin 2).
QUARTILE_TEST = np.array([10.0] * 5 + [30.0] * 9 + [50.0] + [60.0] * 20 + [90.0] * 15)
QUARTILE_P_REF = np.array([0.25, 0.25, 0.25, 0.25])
QUARTILE_P_TEST = np.array([0.10, 0.20, 0.40, 0.30])


def test_numeric_bins_are_reference_quantiles_right_closed() -> None:
    counts = psi_bins(QUARTILE_REF, QUARTILE_TEST, bins=4)
    assert counts.kind == "numeric"
    assert counts.labels == ("(-inf, 25]", "(25, 50]", "(50, 75]", "(75, inf)")
    np.testing.assert_array_equal(counts.reference, [25, 25, 25, 25])
    np.testing.assert_array_equal(counts.test, [5, 10, 20, 15])


def test_tied_quantiles_merge_into_one_bin() -> None:
    # 60% zeros: the 10%..60% quantiles are all 0, so one bin (-inf, 0] holds the point mass
    # and no bin is empty (linear interpolation would put an edge at 0.4, between the zeros
    # and the next value 1, and leave (0, 0.4] empty). A reference with 50% at its maximum
    # gets no edge at the maximum (that would leave the top bin empty).
    reference = np.concatenate([np.zeros(60), np.arange(1, 41, dtype=float)])
    counts = psi_bins(reference, reference, bins=10)
    assert counts.labels[0] == "(-inf, 0]"
    assert counts.reference[0] == 60
    assert (counts.reference > 0).all()
    assert counts.labels[-3:] == ("(10, 20]", "(20, 30]", "(30, inf)")
    top_heavy = np.concatenate([np.arange(1, 51, dtype=float), np.full(50, 99.0)])
    counts = psi_bins(top_heavy, top_heavy, bins=4)
    assert counts.labels == ("(-inf, 25]", "(25, 50]", "(50, inf)")  # 75% quantile = max
    assert (counts.reference > 0).all()
    assert psi(reference, reference) == 0.0


def test_jensen_shannon_matches_scipy_on_hand_built_proportions() -> None:
    got = jensen_shannon(QUARTILE_REF, QUARTILE_TEST, bins=4)
    assert got == pytest.approx(jensenshannon(QUARTILE_P_REF, QUARTILE_P_TEST, base=2), abs=1e-12)
    # Categorical, with a category absent from the reference (JS needs no floor): counts
    # a:50 b:30 c:20 d:0 against a:10 b:20 c:30 d:40.
    reference = pd.Series(["a"] * 50 + ["b"] * 30 + ["c"] * 20)
    test = pd.Series(["a"] * 10 + ["b"] * 20 + ["c"] * 30 + ["d"] * 40)
    p = [0.5, 0.3, 0.2, 0.0]
    q = [0.1, 0.2, 0.3, 0.4]
    assert jensen_shannon(reference, test) == pytest.approx(jensenshannon(p, q, base=2), abs=1e-12)
    # Bounds: 0 for identical samples, 1 for disjoint supports.
    assert jensen_shannon(reference, reference) == 0.0
    assert jensen_shannon(pd.Series(["a"] * 5), pd.Series(["b"] * 5)) == pytest.approx(1.0)


def test_psi_equals_hand_computation() -> None:
    # Reference 1..10 (forced numeric: as 10 integer levels it would be categorical), bins=2:
    # the median edge is 5. Three of the ten test values are <= 5.
    # p_ref = (0.5, 0.5), p_test = (0.3, 0.7):
    # PSI = (0.3 − 0.5)·ln(0.3/0.5) + (0.7 − 0.5)·ln(0.7/0.5)
    #     = 0.2 × 0.5108256 + 0.2 × 0.3364722 = 0.1021651 + 0.0672944 = 0.1694596
    reference = np.arange(1, 11, dtype=float)
    test = np.array([1, 2, 3, 6, 7, 8, 9, 10, 11, 12], dtype=float)
    assert psi(reference, test, bins=2, kind="numeric") == pytest.approx(0.1694596, abs=1e-7)
    # Default kind: 10 integer levels are categories, and 11 and 12 are new ones.
    assert psi(reference, test, bins=2) > 1.0
    # Quartile example: Σ (q − p) ln(q/p) over (0.10, 0.20, 0.40, 0.30) vs 0.25 each
    # = −0.15·ln 0.4 − 0.05·ln 0.8 + 0.15·ln 1.6 + 0.05·ln 1.2
    # = 0.1374436 + 0.0111572 + 0.0705006 + 0.0091161 = 0.2282174
    assert psi(QUARTILE_REF, QUARTILE_TEST, bins=4) == pytest.approx(0.2282174, abs=1e-7)


def test_psi_floor_clips_then_renormalises() -> None:
    # Reference a:6 b:4 (c never seen), test a:5 b:3 c:2. The empty reference bin is clipped to
    # the floor 1e-4 and the reference proportions renormalised by 1.0001:
    # p_ref = (0.6, 0.4, 0.0001)/1.0001, p_test = (0.5, 0.3, 0.2) (nothing to clip).
    reference = pd.Series(["a"] * 6 + ["b"] * 4)
    test = pd.Series(["a"] * 5 + ["b"] * 3 + ["c"] * 2)
    p_ref = np.array([0.6, 0.4, 0.0001]) / 1.0001
    p_test = np.array([0.5, 0.3, 0.2])
    # Terms: a (0.5 − 0.59994)·ln(0.5/0.59994) = 0.018211, b (0.3 − 0.39996)·ln(0.3/0.39996)
    # = 0.028747, c (0.2 − 0.00009999)·ln(0.2/0.00009999) = 1.519440; total 1.566398.
    expected = float(np.sum((p_test - p_ref) * np.log(p_test / p_ref)))
    assert expected == pytest.approx(1.566398, abs=1e-6)
    assert psi(reference, test) == pytest.approx(expected, rel=1e-12)
    # A larger floor softens the empty bin; the statistic stays finite either way.
    assert psi(reference, test, floor=1e-2) < expected


def test_categorical_missing_values_are_their_own_category() -> None:
    reference = pd.Series(["a", "a", "b", None])
    test = pd.Series(["a", None, None, None])
    counts = psi_bins(reference, test)
    assert counts.kind == "categorical"
    table = dict(zip(counts.labels, zip(counts.reference, counts.test, strict=True), strict=True))
    assert table == {"a": (2, 1), "b": (1, 0), MISSING_LABEL: (1, 3)}


def test_wasserstein_normalised_equals_scipy_over_iqr() -> None:
    rng = np.random.default_rng(3)
    reference = rng.gamma(2.0, 3.0, size=2000)
    test = rng.gamma(2.5, 3.0, size=1500)
    q25, q75 = np.percentile(reference, [25, 75])
    expected = stats.wasserstein_distance(reference, test) / (q75 - q25)
    assert wasserstein_normalised(reference, test) == pytest.approx(expected, rel=1e-12)
    # Missing values are dropped before the distance.
    with_nan = np.concatenate([test, [np.nan] * 10])
    assert wasserstein_normalised(reference, with_nan) == pytest.approx(expected, rel=1e-12)


def test_wasserstein_scale_falls_back_to_sd_then_one() -> None:
    # 90% zeros: IQR 0, so the standard deviation (ddof=0) is the scale.
    reference = np.concatenate([np.zeros(90), np.arange(1, 11, dtype=float)])
    test = reference + 1.0
    assert wasserstein_normalised(reference, test) == pytest.approx(
        stats.wasserstein_distance(reference, test) / np.std(reference), rel=1e-12
    )
    constant = np.full(50, 7.0)
    assert wasserstein_normalised(constant, constant + 2.0) == pytest.approx(2.0)


def test_ks_and_chi2_equal_scipy() -> None:
    rng = np.random.default_rng(5)
    reference = rng.normal(size=400)
    test = rng.normal(0.2, 1.1, size=300)
    ref_ks = stats.ks_2samp(reference, test)
    assert ks_test(reference, test) == (
        pytest.approx(ref_ks.statistic),
        pytest.approx(ref_ks.pvalue),
    )

    # Category × sample table built by hand over the union of categories (d only in test).
    reference_cat = pd.Series(["a"] * 30 + ["b"] * 50 + ["c"] * 20)
    test_cat = pd.Series(["a"] * 40 + ["b"] * 40 + ["c"] * 10 + ["d"] * 10)
    table = np.array([[30, 40], [50, 40], [20, 10], [0, 10]])
    ref_chi2 = stats.chi2_contingency(table)
    statistic, p_value = chi2_test(reference_cat, test_cat)
    assert statistic == pytest.approx(ref_chi2.statistic, rel=1e-12)
    assert p_value == pytest.approx(ref_chi2.pvalue, rel=1e-12)
    assert chi2_test(pd.Series(["a"] * 3), pd.Series(["a"] * 4)) == (0.0, 1.0)


def test_column_kind_rules() -> None:
    rng = np.random.default_rng(1)
    assert column_kind(pd.Series(rng.normal(size=10))) == "numeric"  # few, but not integers
    assert column_kind(pd.Series(rng.integers(0, 5, size=1000))) == "categorical"
    assert column_kind(pd.Series(rng.integers(0, 90, size=1000))) == "numeric"
    assert column_kind(pd.Series([1.0, 2.0, np.nan, 2.0])) == "categorical"  # ints with NaN
    assert column_kind(pd.Series([True, False])) == "categorical"
    assert column_kind(pd.Series(["x", "y"])) == "categorical"
    assert column_kind(pd.Series(["x", "y"], dtype="category")) == "categorical"
    assert column_kind(pd.Series(pd.date_range("2026-01-01", periods=3))) == "numeric"
    assert column_kind(pd.Series(rng.integers(0, 30, size=1000)), max_levels=50) == "categorical"


# --------------------------------------------------------------------------------------------
# 10⁶ rows: no false alarm on equal data, detection of real shifts, why tests are not default
# --------------------------------------------------------------------------------------------


def _big_frame(rng: np.random.Generator, shift: float, shares: list[float]) -> pd.DataFrame:
    codes = rng.choice(len(LEVELS), size=BIG_N, p=shares)
    return pd.DataFrame(
        {
            "normal": rng.standard_normal(BIG_N) + shift,
            # Skewed: lognormal; the shift is in log space (in units of the log-sd 0.8).
            "lognormal": np.exp(0.8 * (rng.standard_normal(BIG_N) + shift)),
            "category": pd.Categorical.from_codes(codes, categories=LEVELS),
        }
    )


@pytest.fixture(scope="module")
def big() -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(20261127)
    return {
        "reference": _big_frame(rng, 0.0, BASE_SHARES),
        "same": _big_frame(rng, 0.0, BASE_SHARES),
        "shifted": _big_frame(rng, 0.5, SHIFTED_SHARES),
    }


# Measured with the seed above (reference vs same / vs shifted), for the record:
#   psi             normal 1.6e-05 / 0.237   lognormal 2.0e-05 / 0.239   category 2.2e-05 / 0.268
#   jensen_shannon  normal 0.0017  / 0.204   lognormal 0.0019  / 0.205   category 0.0020  / 0.216
#   wasserstein     normal 0.0011  / 0.37    lognormal 0.0021  / 0.60    (category: JS, as above)
#   ks / chi2 raw p normal 0.57    / 0       lognormal 0.22    / 0       category 0.052   / 0


@pytest.mark.parametrize("method", ["psi", "jensen_shannon", "wasserstein"])
def test_no_false_alarm_at_a_million_rows(big: dict[str, pd.DataFrame], method: str) -> None:
    result = drift_check(big["reference"], big["same"], method=method)
    assert result.passed, result.summary
    assert result.n_reference == result.n_test == BIG_N
    # Not merely under the threshold: two orders of magnitude below it.
    for finding in result.findings:
        assert finding.threshold is not None
        assert finding.statistic < finding.threshold / 20, finding
    assert result.summary.startswith("0 of 3 columns drifted")


@pytest.mark.parametrize("method", ["psi", "jensen_shannon", "wasserstein", "ks", "chi2"])
def test_real_shift_is_flagged_by_every_method(big: dict[str, pd.DataFrame], method: str) -> None:
    result = drift_check(big["reference"], big["shifted"], method=method)
    assert not result.passed
    assert {f.column for f in result.findings if f.flagged} == {"normal", "lognormal", "category"}
    assert result.summary.startswith("3 of 3 columns drifted")


def test_tests_flag_a_negligible_shift_at_a_million_rows(big: dict[str, pd.DataFrame]) -> None:
    """Why ks/chi2 are not the default: at n = 10⁶ they detect a shift nobody cares about.

    A mean shift of 0.01 sd changes every decile share by < 0.2 percentage points (measured:
    PSI 1.1e-4, ~1800 times below the 0.2 threshold; JS distance 0.0045; normalised
    Wasserstein 0.0075) — yet the KS test rejects it: D = 0.0048, p = 2.8e-10.
    """
    reference = big["reference"]["normal"]
    nudged = big["same"]["normal"] + 0.01
    statistic, p_value = ks_test(reference, nudged)
    assert p_value < 0.05
    assert p_value < 1e-5  # not a borderline call: a confident rejection of a trivial change
    assert psi(reference, nudged) < 0.2 / 100
    assert jensen_shannon(reference, nudged) < 0.1 / 10
    assert statistic < 0.01  # the largest CDF gap is under one percentage point


# --------------------------------------------------------------------------------------------
# Holm across columns
# --------------------------------------------------------------------------------------------

HOLM_REPS = 200
HOLM_COLUMNS = [f"x{i}" for i in range(20)]


def _false_flag_rates(method: str, draw) -> tuple[float, float]:
    """Family-wise false-flag rate with Holm, and without any adjustment, under the null."""
    rng = np.random.default_rng(99)
    holm_flags = raw_flags = 0
    for _ in range(HOLM_REPS):
        reference = pd.DataFrame(draw(rng), columns=HOLM_COLUMNS)
        test = pd.DataFrame(draw(rng), columns=HOLM_COLUMNS)
        result = drift_check(reference, test, method=method)
        holm_flags += not result.passed
        raw_flags += any(f.p_value is not None and f.p_value < 0.05 for f in result.findings)
    return holm_flags / HOLM_REPS, raw_flags / HOLM_REPS


def test_holm_controls_family_wise_false_flags_for_ks() -> None:
    # 20 N(0, 1) columns, 300 rows per sample, 200 repetitions. Measured: 0.025 with Holm,
    # 0.525 unadjusted (1 − 0.95²⁰ = 0.64 expected; the exact KS p-value is conservative).
    holm, raw = _false_flag_rates("ks", lambda rng: rng.standard_normal((300, 20)))
    assert holm <= 0.08, holm
    assert raw >= 0.4, raw  # the adjustment is what keeps the gate from failing by chance


def test_holm_controls_family_wise_false_flags_for_chi2() -> None:
    # 20 four-level integer columns (categorical by column_kind), 300 rows per sample, 200
    # repetitions. Measured: 0.05 with Holm, 0.615 unadjusted.
    shares = [0.4, 0.3, 0.2, 0.1]
    holm, raw = _false_flag_rates("chi2", lambda rng: rng.choice(4, size=(300, 20), p=shares))
    assert holm <= 0.08, holm
    assert raw >= 0.4, raw


def test_holm_adjusted_values_are_reported() -> None:
    rng = np.random.default_rng(8)
    reference = pd.DataFrame({"a": rng.normal(size=500), "b": rng.normal(size=500)})
    test = pd.DataFrame({"a": rng.normal(0.5, 1, size=500), "b": rng.normal(size=500)})
    result = drift_check(reference, test, method="ks")
    by_name = {f.column: f for f in result.findings}
    raw = [stats.ks_2samp(reference[c], test[c]).pvalue for c in "ab"]
    # Holm for m = 2 by hand: the smaller p is doubled, the larger is max(that, itself).
    first = min(1.0, 2 * min(raw))
    expected = {
        c: (first if p == min(raw) else max(first, p)) for c, p in zip("ab", raw, strict=True)
    }
    for c in "ab":
        assert by_name[c].p_value == pytest.approx(raw["ab".index(c)])
        assert by_name[c].p_adjusted == pytest.approx(expected[c])
        assert by_name[c].statistic == by_name[c].p_adjusted
    assert result.findings[0].column == "a" and result.findings[0].flagged
    assert not by_name["b"].flagged
    assert "Holm-adjusted p" in by_name["a"].detail
    # max replaces alpha for the tests.
    strict = drift_check(reference, test, method="ks", max=1e-300)
    assert strict.passed and strict.findings[0].threshold == 1e-300


# --------------------------------------------------------------------------------------------
# Drift details, fallbacks and errors
# --------------------------------------------------------------------------------------------


def test_drift_fallbacks_are_named_in_detail() -> None:
    rng = np.random.default_rng(2)
    frame = pd.DataFrame({"x": rng.normal(size=300), "c": rng.choice(["u", "v"], size=300)})
    other = pd.DataFrame({"x": rng.normal(size=300), "c": rng.choice(["u", "v"], size=300)})
    wass = {f.column: f for f in drift_check(frame, other, method="wasserstein").findings}
    assert wass["c"].detail.startswith("categorical column: jensen_shannon instead of wasserstein")
    assert wass["c"].statistic == pytest.approx(jensen_shannon(frame["c"], other["c"]))
    ks = {f.column: f for f in drift_check(frame, other, method="ks").findings}
    assert ks["c"].detail.startswith("categorical column: chi2 instead of ks")
    chi2 = {f.column: f for f in drift_check(frame, other, method="chi2").findings}
    assert chi2["x"].detail.startswith("numeric column: ks instead of chi2")
    # kinds= overrides column_kind: x binned as categories makes no sense, but it is obeyed.
    forced = drift_check(frame, other, kinds={"x": "categorical"}, columns=["x"])
    assert forced.findings[0].kind == "categorical"


def test_numeric_drift_ignores_missing_values_but_mentions_them() -> None:
    rng = np.random.default_rng(4)
    values = rng.normal(size=1000)
    reference = pd.DataFrame({"x": values})
    test = pd.DataFrame({"x": np.where(np.arange(1000) < 200, np.nan, values)})
    finding = drift_check(reference, test).findings[0]
    assert finding.statistic == pytest.approx(psi(values, values[200:]))
    assert "missing 0% in reference → 20% in test" in finding.detail


def test_drift_flags_columns_it_cannot_compute() -> None:
    reference = pd.DataFrame({"x": np.arange(50.0), "y": np.arange(50.0)})
    test = pd.DataFrame({"x": [np.nan] * 10, "y": np.arange(10.0)})
    result = drift_check(reference, test)
    assert not result.passed
    assert result.findings[0].column == "x"
    assert math.isnan(result.findings[0].statistic)
    assert "not computable" in result.findings[0].detail
    assert "x n/a" in result.summary


def test_drift_absent_columns_raise_key_error_listing_them() -> None:
    reference = pd.DataFrame({"a": [1.0], "b": [2.0], "c": [3.0]})
    test = pd.DataFrame({"a": [1.0], "d": [2.0]})
    with pytest.raises(KeyError, match=r"absent from the test data: 'b', 'c'"):
        drift_check(reference, test)
    with pytest.raises(KeyError, match=r"reference data: 'd'.*test data: 'b'"):
        drift_check(reference, test, columns=["a", "b", "d"])
    with pytest.raises(ValueError, match="unknown drift method"):
        drift_check(reference, reference, method="kl")


def test_drift_summary_lists_drifted_columns_worst_first() -> None:
    rng = np.random.default_rng(6)
    n = 5000
    reference = pd.DataFrame({c: rng.normal(size=n) for c in ("age", "hours", "score")})
    test = pd.DataFrame(
        {
            "age": rng.normal(1.0, 1, size=n),
            "hours": rng.normal(0.6, 1, size=n),
            "score": rng.normal(size=n),
        }
    )
    result = drift_check(reference, test)
    names = [f.column for f in result.findings]
    assert names == ["age", "hours", "score"]
    age, hours = result.findings[0].statistic, result.findings[1].statistic
    assert result.summary == f"2 of 3 columns drifted (psi > 0.2): age {age:.3g}, hours {hours:.3g}"
    assert "reference-quantile bins" in result.findings[0].detail


# --------------------------------------------------------------------------------------------
# The other checks on doctored data
# --------------------------------------------------------------------------------------------


@pytest.fixture
def clean() -> pd.DataFrame:
    rng = np.random.default_rng(12)
    n = 1000
    return pd.DataFrame(
        {
            "age": rng.integers(18, 91, size=n),
            "income": rng.lognormal(10, 1, size=n),
            "planet": rng.choice(["Earth", "Moon"], size=n),
            "children": rng.integers(0, 4, size=n),
        }
    )


def test_missing_values_check_reports_doctored_columns(clean: pd.DataFrame) -> None:
    doctored = clean.copy()
    doctored["income"] = doctored["income"].mask(np.arange(len(doctored)) % 20 == 0)  # 50 NaN
    doctored.loc[:2, "planet"] = None  # rows 0, 1, 2: 3 missing
    result = missing_values_check(doctored)
    assert not result.passed
    assert [f.column for f in result.findings[:2]] == ["income", "planet"]
    assert result.findings[0].statistic == pytest.approx(0.05)
    assert result.findings[1].detail == "3 of 1000 rows (0.3%) missing"
    assert result.summary == ("2 of 4 columns have missing values above 0%: income 5%, planet 0.3%")
    tolerant = missing_values_check(doctored, max_fraction=0.01)
    assert [f.column for f in tolerant.findings if f.flagged] == ["income"]
    assert missing_values_check(clean).passed


def test_unseen_categories_check_reports_new_values(clean: pd.DataFrame) -> None:
    doctored = clean.copy()
    doctored.loc[:9, "planet"] = "Mars"
    doctored.loc[10:11, "planet"] = "Venus"
    doctored.loc[12:14, "planet"] = None  # missing is not unseen
    result = unseen_categories_check(clean, doctored)
    # Default columns: the reference's categorical ones (planet, and children: 4 integer levels).
    assert {f.column for f in result.findings} == {"planet", "children"}
    planet = result.findings[0]
    assert planet.column == "planet" and planet.flagged
    assert planet.statistic == pytest.approx(12 / 1000)
    assert planet.detail == "12 of 1000 rows (1.2%) unseen: 'Mars' ×10, 'Venus' ×2"
    assert result.summary == "1 of 2 columns have unseen categories above 0%: planet 1.2%"
    assert unseen_categories_check(clean, doctored, max_fraction=0.02).passed


def test_range_check_reports_out_of_range_values(clean: pd.DataFrame) -> None:
    doctored = clean.copy()
    doctored.loc[0, "age"] = -3
    doctored.loc[1, "age"] = 150
    doctored.loc[2, "age"] = 120
    result = range_check(clean, doctored)
    assert {f.column for f in result.findings} == {"age", "income", "children"}
    age = result.findings[0]
    assert age.column == "age" and age.flagged
    assert age.statistic == pytest.approx(3 / 1000)
    low, high = clean["age"].min(), clean["age"].max()
    assert age.detail == (
        f"reference range [{low}, {high}]; 3 of 1000 rows (0.3%) outside: "
        "lowest -3; highest 150, 120"
    )
    assert result.summary == "1 of 3 columns have values out of range above 0%: age 0.3%"
    assert range_check(clean, clean).passed


def test_schema_check_reports_dropped_and_changed_columns(clean: pd.DataFrame) -> None:
    doctored = clean.drop(columns=["children"])
    doctored["age"] = doctored["age"].astype(str)  # int → string: a change
    doctored["income"] = doctored["income"].astype("float32")  # float → float: not a change
    doctored["extra"] = 1.0
    result = schema_check(clean, doctored)
    assert not result.passed
    flagged = {f.column: f.detail for f in result.findings if f.flagged}
    assert set(flagged) == {"age", "children"}
    assert flagged["children"] == "missing from test (expected int64)"
    assert flagged["age"].startswith("dtype changed: int64 (numeric) → ")
    assert result.summary == (
        "schema mismatch in 2 of 4 columns; missing: children; "
        f"dtype changed: age int64→{doctored['age'].dtype}; extra (allowed): extra"
    )
    extra = next(f for f in result.findings if f.column == "extra")
    assert not extra.flagged and "allowed" in extra.detail


def test_schema_check_compares_kinds_and_accepts_a_mapping() -> None:
    test = pd.DataFrame(
        {
            "n": pd.array([1, None], dtype="Int64"),
            "f": [1.0, np.nan],
            "s": pd.Series(["a", "b"], dtype="category"),
            "t": pd.to_datetime(["2026-01-01", "2026-01-02"]).tz_localize("UTC"),
        }
    )
    expected = {"n": "float64", "f": "int64", "s": "object", "t": "datetime64[ns]"}
    assert schema_check(expected, test).passed
    assert schema_check({"n": "string"}, test, columns=["n"]).summary.startswith("schema mismatch")
    with pytest.raises(KeyError, match="'zz'"):
        schema_check(expected, test, columns=["zz"])
    assert dtype_kind("bool") == "bool" and dtype_kind(np.dtype("int8")) == "numeric"
    assert dtype_kind(pd.StringDtype()) == "string"
    assert dtype_kind(pd.Series([True, None], dtype="boolean").dtype) == "bool"


def test_findings_are_frozen() -> None:
    finding = ColumnFinding("x", 0.1, 0.2, False, "", "numeric")
    with pytest.raises(AttributeError):
        finding.flagged = True  # type: ignore[misc]
