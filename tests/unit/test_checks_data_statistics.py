"""Drift statistics of one column against independent references: SciPy and hand computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.spatial.distance import jensenshannon

from pytest_modelgate.checks.data.statistics import (
    MISSING_LABEL,
    chi2_test,
    jensen_shannon,
    ks_test,
    psi,
    psi_bins,
    wasserstein_normalised,
)

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
