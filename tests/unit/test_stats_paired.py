"""Paired comparisons: McNemar, Newcombe's paired interval and the paired mean difference.

Every check is against a reference computed independently of the code under test: a
published worked example, SciPy, exact rational arithmetic, a brute-force row bootstrap,
or a Monte Carlo simulation of the sampling process itself.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from scipy import special, stats

from pytest_modelgate.stats import (
    Interval,
    McNemarResult,
    mcnemar,
    paired_mean_difference_interval,
    paired_proportion_difference_interval,
    paired_score_interval,
    paired_score_statistic,
    wilson_interval,
)

# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------


def _paired_rows(
    cells: tuple[float, float, float, float], n: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Draw n rows of (candidate correct, baseline correct) from paired-cell probabilities."""
    kind = rng.choice(4, size=n, p=np.asarray(cells))
    # cell order: both, only_a (candidate only), only_b (baseline only), neither
    a = np.isin(kind, (0, 1)).astype(np.float64)
    b = np.isin(kind, (0, 2)).astype(np.float64)
    return a, b


def _table(a: np.ndarray, b: np.ndarray) -> tuple[int, int, int, int]:
    a_, b_ = a.astype(bool), b.astype(bool)
    return (
        int(np.sum(a_ & b_)),
        int(np.sum(a_ & ~b_)),
        int(np.sum(~a_ & b_)),
        int(np.sum(~a_ & ~b_)),
    )


def _row_bootstrap_means(
    d: np.ndarray, n_boot: int, rng: np.random.Generator, chunk: int = 250
) -> np.ndarray:
    """Brute-force bootstrap of mean(d): resample rows with replacement."""
    out = []
    for start in range(0, n_boot, chunk):
        size = min(chunk, n_boot - start)
        idx = rng.integers(0, d.size, size=(size, d.size))
        out.append(d[idx].mean(axis=1))
    return np.concatenate(out)


def _simulate_intervals(
    cells: tuple[float, float, float, float],
    n: int,
    n_sim: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    tables = rng.multinomial(n, cells, size=n_sim)
    lows = np.empty(n_sim)
    highs = np.empty(n_sim)
    for i, t in enumerate(tables):
        iv = paired_proportion_difference_interval(*(int(x) for x in t))
        lows[i], highs[i] = iv.low, iv.high
    return tables, lows, highs


# --------------------------------------------------------------------------------------
# McNemar
# --------------------------------------------------------------------------------------


def test_mcnemar_armitage_berry_worked_example() -> None:
    # Armitage & Berry, Statistical Methods in Medical Research, 3rd ed. (1994), p. 127:
    # discordant pairs 12 and 2.
    res = mcnemar(12, 2)
    assert isinstance(res, McNemarResult)
    assert (res.b, res.c) == (12, 2)
    assert round(res.p_value, 4) == 0.0129
    assert round(res.statistic, 3) == 5.786
    assert round(res.p_value_chi2, 4) == 0.0162
    assert res.method == "exact"
    # Exact rational check of the same example: 2·(C(14,0)+C(14,1)+C(14,2)) / 2^14.
    assert res.p_value == pytest.approx(212 / 16384, rel=1e-12)


def test_mcnemar_exact_matches_scipy_binomtest() -> None:
    for n in (1, 2, 3, 5, 10, 14, 31, 100, 257, 1000):
        for b in sorted({0, 1, 2, n // 4, n // 3, n // 2, n - 1, n} & set(range(n + 1))):
            c = n - b
            ref = stats.binomtest(b, n, 0.5).pvalue
            got = mcnemar(b, c)
            assert got.p_value == pytest.approx(ref, rel=1e-9, abs=1e-14), (b, c)
            # Yates chi-square p-value against SciPy's chi2 distribution.
            chi2_ref = stats.chi2.sf((abs(b - c) - 1) ** 2 / n, df=1)
            assert got.p_value_chi2 == pytest.approx(chi2_ref, rel=1e-9, abs=1e-14)


def test_mcnemar_mid_p_matches_exact_rational_pmf_sum() -> None:
    for b, c in [(12, 2), (0, 5), (1, 1), (3, 7), (10, 10), (20, 41), (0, 1), (50, 30)]:
        n, m = b + c, min(b, c)
        pmf = [Fraction(math.comb(n, k), 2**n) for k in range(n + 1)]
        tail = sum(pmf[: m + 1], Fraction(0))
        mid = min(Fraction(1), 2 * (tail - pmf[m] / 2))
        exact = min(Fraction(1), 2 * tail)
        got = mcnemar(b, c)
        assert got.p_value_mid == pytest.approx(float(mid), rel=1e-10, abs=1e-15), (b, c)
        assert got.p_value == pytest.approx(float(exact), rel=1e-10, abs=1e-15), (b, c)
        assert got.p_value_mid <= got.p_value


def test_mcnemar_symmetric_in_b_and_c() -> None:
    for b, c in [(12, 2), (0, 9), (5, 6), (40, 17)]:
        r1, r2 = mcnemar(b, c), mcnemar(c, b)
        assert r1.statistic == r2.statistic
        assert r1.p_value == r2.p_value
        assert r1.p_value_mid == r2.p_value_mid
        assert r1.p_value_chi2 == r2.p_value_chi2


def test_mcnemar_no_discordant_pairs() -> None:
    res = mcnemar(0, 0)
    assert res.statistic == 0.0
    assert res.p_value == 1.0
    assert res.p_value_mid == 1.0
    assert res.p_value_chi2 == 1.0


def test_mcnemar_rejects_bad_counts() -> None:
    with pytest.raises(ValueError):
        mcnemar(-1, 3)
    with pytest.raises(ValueError):
        mcnemar(2.5, 3)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------
# Newcombe paired interval
# --------------------------------------------------------------------------------------


def test_newcombe_paired_matches_hybrid_formula_from_independent_parts() -> None:
    # Rebuild method 10 from SciPy's Wilson intervals and φ as the Pearson correlation of the
    # expanded 0/1 rows: both ingredients are computed without any of the code under test,
    # so this catches swapped cells or a wrong sign on the correlation term.
    for cells in [(36, 12, 2, 0), (10, 3, 1, 2), (80, 6, 4, 10), (5, 0, 3, 12), (1, 2, 3, 4)]:
        a_cnt, b_cnt, c_cnt, d_cnt = cells
        a = np.repeat([1, 1, 0, 0], cells)
        b = np.repeat([1, 0, 1, 0], cells)
        n = a.size
        pa, pb = a.mean(), b.mean()
        wa = stats.binomtest(int(a.sum()), n).proportion_ci(0.95, method="wilson")
        wb = stats.binomtest(int(b.sum()), n).proportion_ci(0.95, method="wilson")
        phi = np.corrcoef(a, b)[0, 1]
        low = (pa - pb) - math.sqrt(
            (pa - wa.low) ** 2 - 2 * phi * (pa - wa.low) * (wb.high - pb) + (wb.high - pb) ** 2
        )
        high = (pa - pb) + math.sqrt(
            (wa.high - pa) ** 2 - 2 * phi * (wa.high - pa) * (pb - wb.low) + (pb - wb.low) ** 2
        )
        got = paired_proportion_difference_interval(a_cnt, b_cnt, c_cnt, d_cnt)
        assert got.low == pytest.approx(max(low, -1.0), abs=1e-10), cells
        assert got.high == pytest.approx(min(high, 1.0), abs=1e-10), cells
        assert got.method == "newcombe-paired"
        assert got.level == 0.95


def test_newcombe_paired_edge_cases() -> None:
    empty = paired_proportion_difference_interval(0, 0, 0, 0)
    assert isinstance(empty, Interval)
    assert not empty.is_defined
    # A margin of zero makes φ undefined; it is taken as 0 and the interval stays finite.
    iv = paired_proportion_difference_interval(0, 0, 0, 50)
    assert iv.is_defined and iv.low < 0 < iv.high
    # Complete disagreement: the interval must stay inside [-1, 1].
    iv = paired_proportion_difference_interval(0, 30, 0, 0)
    assert -1.0 <= iv.low <= iv.high <= 1.0
    assert iv.high == pytest.approx(1.0)
    # Swapping the models negates the interval.
    fwd = paired_proportion_difference_interval(40, 9, 3, 8)
    rev = paired_proportion_difference_interval(40, 3, 9, 8)
    assert fwd.low == pytest.approx(-rev.high, abs=1e-12)
    assert fwd.high == pytest.approx(-rev.low, abs=1e-12)
    with pytest.raises(ValueError):
        paired_proportion_difference_interval(1, 2, 3, 4, confidence=1.5)
    with pytest.raises(ValueError):
        paired_proportion_difference_interval(1, -2, 3, 4)


@pytest.mark.parametrize(
    "cells",
    [
        (0.60, 0.20, 0.15, 0.05),  # independent models: p_a = 0.8, p_b = 0.75
        (0.82, 0.02, 0.03, 0.13),  # strongly agreeing models
    ],
)
def test_newcombe_paired_agrees_with_row_bootstrap_at_large_n(
    cells: tuple[float, float, float, float],
) -> None:
    rng = np.random.default_rng(20240611)
    n = 5000
    a, b = _paired_rows(cells, n, rng)
    boot = _row_bootstrap_means(a - b, 2000, rng)
    ref_low, ref_high = np.percentile(boot, [2.5, 97.5])
    got = paired_proportion_difference_interval(*_table(a, b))
    assert got.low == pytest.approx(ref_low, abs=0.005)
    assert got.high == pytest.approx(ref_high, abs=0.005)


@pytest.mark.parametrize("n", [200, 1000])
def test_newcombe_paired_coverage_simulation(n: int) -> None:
    rng = np.random.default_rng(1000 + n)
    cells = (0.80, 0.06, 0.04, 0.10)
    true_delta = cells[1] - cells[2]  # 0.02
    _, lows, highs = _simulate_intervals(cells, n, 2000, rng)
    coverage = float(np.mean((lows <= true_delta) & (true_delta <= highs)))
    # Monte Carlo SD of a 0.95 rate over 2000 runs is ~0.005, so ±0.02 is ~4 SD.
    assert 0.93 <= coverage <= 0.97, coverage


def test_newcombe_paired_coverage_with_no_discordant_pairs_likely() -> None:
    rng = np.random.default_rng(77)
    cells = (0.9, 0.002, 0.002, 0.096)
    tables, lows, highs = _simulate_intervals(cells, 100, 2000, rng)
    # Sanity: this scenario really does exercise the b = c = 0 case most of the time.
    assert np.mean((tables[:, 1] + tables[:, 2]) == 0) > 0.5
    coverage = float(np.mean((lows <= 0.0) & (highs >= 0.0)))
    assert coverage >= 0.93, coverage
    assert np.all(highs - lows > 0.0)


def test_newcombe_paired_not_wider_than_unpaired_when_positively_correlated() -> None:
    # Unpaired Newcombe method 10 (the square-and-add of two Wilson intervals) built from
    # SciPy's Wilson intervals. The paired interval subtracts 2φ·(...) inside each root, so
    # it can only be narrower when φ >= 0, equal when φ = 0 and wider when φ < 0.
    rng = np.random.default_rng(5)
    checked = {"pos": 0, "zero": 0, "neg": 0}
    tables = [tuple(int(x) for x in rng.integers(0, 40, size=4)) for _ in range(300)]
    tables += [(6, 2, 3, 1), (20, 10, 10, 5)]  # exactly φ = 0
    for t in tables:
        a_cnt, b_cnt, c_cnt, d_cnt = t
        n = sum(t)
        k1, k2 = a_cnt + b_cnt, a_cnt + c_cnt
        w1 = stats.binomtest(k1, n).proportion_ci(0.95, method="wilson")
        w2 = stats.binomtest(k2, n).proportion_ci(0.95, method="wilson")
        p1, p2 = k1 / n, k2 / n
        un_low = (p1 - p2) - math.hypot(p1 - w1.low, w2.high - p2)
        un_high = (p1 - p2) + math.hypot(w1.high - p1, p2 - w2.low)
        paired = paired_proportion_difference_interval(*t)
        cross = a_cnt * d_cnt - b_cnt * c_cnt
        if cross > 0:
            checked["pos"] += 1
            assert paired.low >= un_low - 1e-12 and paired.high <= un_high + 1e-12, t
        elif cross == 0:
            checked["zero"] += 1
            assert paired.low == pytest.approx(un_low, abs=1e-12), t
            assert paired.high == pytest.approx(un_high, abs=1e-12), t
        else:
            checked["neg"] += 1
            assert paired.width >= (un_high - un_low) - 1e-12, t
    assert min(checked.values()) >= 2, checked


# --------------------------------------------------------------------------------------
# Power: paired analysis versus two separate Wilson intervals
# --------------------------------------------------------------------------------------


def _power_rates(n_sim: int, seed: int) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    n = 5000
    # baseline accuracy 0.85, candidate 0.84, agreeing on 95% of rows
    cells = (0.82, 0.02, 0.03, 0.13)
    tables = rng.multinomial(n, cells, size=n_sim)
    paired_hits = 0
    separate_hits = 0
    for both, only_a, only_b, neither in tables.tolist():
        if paired_proportion_difference_interval(both, only_a, only_b, neither).high < 0.0:
            paired_hits += 1
        cand = wilson_interval(both + only_a, n)
        base = wilson_interval(both + only_b, n)
        if cand.high < base.low:
            separate_hits += 1
    return paired_hits / n_sim, separate_hits / n_sim


def test_paired_interval_detects_one_point_drop_that_separate_intervals_miss() -> None:
    paired_rate, separate_rate = _power_rates(600, seed=31)
    # Expected ≈ 0.88 (Δ/se ≈ 0.01/0.0032 ≈ 3.2) versus ≈ 0.001 for non-overlapping
    # Wilson intervals, which need a gap of ~2·1.96·0.0052 ≈ 0.02.
    assert paired_rate >= 0.8, paired_rate
    assert separate_rate <= 0.2, separate_rate


def test_paired_false_alarm_rate_with_equal_models() -> None:
    rng = np.random.default_rng(4321)
    n, n_sim = 5000, 1000
    cells = (0.825, 0.025, 0.025, 0.125)
    tables = rng.multinomial(n, cells, size=n_sim)
    mcnemar_rejects = 0
    newcombe_excludes = 0
    for both, only_a, only_b, neither in tables.tolist():
        if mcnemar(only_a, only_b).p_value < 0.05:
            mcnemar_rejects += 1
        if not paired_proportion_difference_interval(both, only_a, only_b, neither).contains(0.0):
            newcombe_excludes += 1
    assert mcnemar_rejects / n_sim <= 0.06, mcnemar_rejects / n_sim
    assert newcombe_excludes / n_sim <= 0.06, newcombe_excludes / n_sim


# --------------------------------------------------------------------------------------
# Paired mean difference
# --------------------------------------------------------------------------------------


def _loss_differences(n: int, shift: float, rng: np.random.Generator) -> np.ndarray:
    # Skewed per-row losses shared by both models plus model-specific noise: the shared part
    # cancels in the difference, which is the point of pairing.
    shared = rng.gamma(2.0, 0.25, size=n)
    baseline = shared + rng.normal(0.0, 0.1, size=n)
    candidate = shared - shift + rng.exponential(0.1, size=n) - 0.1
    return baseline - candidate


def test_paired_mean_difference_matches_row_bootstrap() -> None:
    rng = np.random.default_rng(99)
    d = _loss_differences(8000, 0.004, rng)
    interval, se, _ = paired_mean_difference_interval(d)
    boot = _row_bootstrap_means(d, 2000, rng)
    ref_low, ref_high = np.percentile(boot, [2.5, 97.5])
    assert interval.method == "paired-t-hall"
    assert se == pytest.approx(boot.std(ddof=1), rel=0.06)
    # Monte Carlo error of a 2.5% bootstrap quantile with 2000 resamples is ~0.06·se.
    assert interval.low == pytest.approx(ref_low, abs=0.25 * se)
    assert interval.high == pytest.approx(ref_high, abs=0.25 * se)
    assert interval.low < d.mean() < interval.high


@pytest.mark.parametrize("shift", [0.0, 0.002, 0.004])
def test_paired_mean_difference_p_value_matches_t_test(shift: float) -> None:
    rng = np.random.default_rng(int(shift * 1e4) + 7)
    d = _loss_differences(5000, shift, rng)
    _, se, p = paired_mean_difference_interval(d)
    ref = stats.ttest_1samp(d, 0.0)
    assert p == pytest.approx(ref.pvalue, abs=0.01)
    assert se == pytest.approx(stats.sem(d), rel=1e-12)


def test_paired_mean_difference_degenerate_and_invalid() -> None:
    iv, se, p = paired_mean_difference_interval(np.full(10, 0.1))
    assert (iv.low, iv.high, se, p) == (0.1, 0.1, 0.0, 0.0)
    iv, se, p = paired_mean_difference_interval(np.zeros(10))
    assert (iv.low, iv.high, se, p) == (0.0, 0.0, 0.0, 1.0)
    with pytest.raises(ValueError):
        paired_mean_difference_interval(np.array([1.0]))
    with pytest.raises(ValueError):
        paired_mean_difference_interval(np.array([1.0, np.nan, 2.0]))
    with pytest.raises(ValueError):
        paired_mean_difference_interval(np.ones((3, 2)))


def test_newcombe_paired_published_example():
    # Newcombe (1998), Statistics in Medicine 17:2635, Table II, example (a): 36 pairs where
    # both succeed, 12 + 2 discordant, 0 where both fail; method 10 gives 0.0569 to 0.3404
    iv = paired_proportion_difference_interval(36, 12, 2, 0, 0.95)
    assert (round(iv.low, 4), round(iv.high, 4)) == (0.0569, 0.3404)


# --------------------------------------------------------------------------------------
# Tango's paired score interval (skewness- and continuity-corrected)
# --------------------------------------------------------------------------------------

CAVO_2012 = (59, 6, 16, 80)  # Fagerland, Lydersen & Laake (2017), ch. 8: n11, n12, n21, n22


def test_tango_score_published_example() -> None:
    # Tango's asymptotic score interval as published for the Cavo et al. (2012) table:
    # estimate -0.0621, 95% CI -0.1240 to -0.0054 (contingencytables::
    # Tango_asymptotic_score_CI_paired_2x2). Rows: first test (a) in n12, second (b) in n21.
    iv = paired_score_interval(*CAVO_2012, skewness_correction=False, continuity=0.0)
    assert iv.method == "tango-score"
    assert (round(iv.low, 4), round(iv.high, 4)) == (-0.1240, -0.0054)
    corrected = paired_score_interval(*CAVO_2012)
    assert corrected.method == "tango-skew-cc"
    assert corrected.low < iv.low and corrected.high > iv.high  # the corrections widen it


@pytest.mark.parametrize(
    "table", [(15, 1, 2, 2), (0, 0, 3, 17), (40, 0, 0, 0), (3, 5, 0, 12), (900, 4, 11, 85)]
)
def test_paired_score_interval_is_the_set_where_the_statistic_is_within_z(table) -> None:
    # brute force: evaluate the statistic on a fine grid of Δ and keep |Z| <= z
    _, b, c, _ = table
    n = sum(table)
    grid = np.linspace(-1.0, 1.0, 400_001)
    z = stats.norm.ppf(0.975)
    inside = grid[np.abs(paired_score_statistic(b, c, n, grid)) <= z]
    iv = paired_score_interval(*table)
    assert iv.low == pytest.approx(inside.min(), abs=1e-5)
    assert iv.high == pytest.approx(inside.max(), abs=1e-5)
    assert iv.low <= (b - c) / n <= iv.high
    # the interval's scalar statistic is the vectorised one
    from pytest_modelgate.stats.paired import _score_z

    some = grid[::4001]
    scalar = [_score_z(b, c, n, float(d), True, 0.5) for d in some]
    np.testing.assert_allclose(scalar, paired_score_statistic(b, c, n, some), rtol=1e-12)
    swapped = paired_score_interval(table[0], c, b, table[3])  # mirror image
    assert (swapped.low, swapped.high) == pytest.approx((-iv.high, -iv.low), abs=1e-12)


def _exact_one_sided_errors(n: int, p_a: float, p_b: float) -> tuple[float, float]:
    """Exact P(strict PASS) and P(lenient FAIL) of a gate whose bar is the true Δ = p_a − p_b:
    every (only_a, only_b) count of the trinomial is enumerated. The interval's low end clears
    the bar iff Z(bar) ≥ z and its high end falls below it iff Z(bar) < −z (Z decreases in Δ;
    ``test_paired_score_interval_is_the_set_where_the_statistic_is_within_z``)."""
    b, c = np.meshgrid(np.arange(n + 1), np.arange(n + 1), indexing="ij")
    keep = b + c <= n
    b, c = b[keep], c[keep]
    pmf = np.exp(
        special.gammaln(n + 1)
        - special.gammaln(b + 1)
        - special.gammaln(c + 1)
        - special.gammaln(n - b - c + 1)
        + b * np.log(p_a)
        + c * np.log(p_b)
        + (n - b - c) * np.log1p(-p_a - p_b)
    )
    stat = paired_score_statistic(b, c, n, p_a - p_b)
    z = stats.norm.ppf(0.975)
    return float(pmf[stat >= z].sum()), float(pmf[stat < -z].sum())


@pytest.mark.parametrize(
    ("n", "p_a", "p_b"),
    [
        (20, 0.05, 0.10),  # the validity matrix's Δrecall with 20 positives
        (60, 0.05, 0.10),
        (50, 0.005, 0.015),  # 2% discordant, margin 0.01: Newcombe's method 10 errs 25%
        (200, 0.005, 0.025),  # plain Tango's worst lenient cell in the search grid (5.1%)
        (60, 0.025, 0.125),  # Bonett–Price's worst strict cell (3.7%)
        (1000, 0.095, 0.105),
    ],
)
def test_paired_score_interval_exact_one_sided_errors(n: int, p_a: float, p_b: float) -> None:
    false_pass, false_fail = _exact_one_sided_errors(n, p_a, p_b)
    assert false_pass <= 0.025 and false_fail <= 0.025, (false_pass, false_fail)


def test_newcombe_paired_errs_where_the_score_interval_does_not() -> None:
    # the reason for the change: 50 rows, 2% discordant, truly worse by exactly 0.01, the
    # concordant rows split evenly (φ near 1 squeezes Newcombe's interval to a point)
    cells = np.array([0.49, 0.005, 0.015, 0.49])
    tables = [
        (a, b, c, 50 - a - b - c)
        for a in range(51)
        for b in range(51 - a)
        for c in range(51 - a - b)
        if b <= 6 and c <= 8  # the rest has probability < 1e-5
    ]
    t = np.array(tables)
    pmf = stats.multinomial.pmf(t, 50, cells)
    newcombe = sum(
        p
        for tab, p in zip(tables, pmf, strict=True)
        if paired_proportion_difference_interval(*tab).low >= -0.01
    )
    assert newcombe > 0.2
    score_pass, _ = _exact_one_sided_errors(50, 0.005, 0.015)
    assert score_pass < 0.025


def test_paired_score_interval_edge_cases() -> None:
    empty = paired_score_interval(0, 0, 0, 0)
    assert math.isnan(empty.low) and math.isnan(empty.high)
    agree = paired_score_interval(30, 0, 0, 0)  # no discordant row: an interval around 0
    assert agree.low == pytest.approx(-agree.high) and 0 < agree.high < 0.2
    worst = paired_score_interval(0, 0, 10, 0)  # the baseline alone right on every row
    assert worst.low == -1.0 and -0.5 < worst.high < -0.4
    with pytest.raises(ValueError):
        paired_score_interval(1, -1, 0, 0)


# --------------------------------------------------------------------------------------
# paired mean difference: the union of the t interval and Hall's interval
# --------------------------------------------------------------------------------------


def _hall_interval_by_root_finding(d: np.ndarray, confidence: float) -> tuple[float, float]:
    """Hall (1992) from its definition: the μ where g(T) = ±t for T = √n(mean − μ)/sd and
    g(T) = T + aT² + a²T³/3 + b, a = γ/(3√n), b = γ/(6√n) (γ the adjusted sample skewness,
    t Student's quantile), found by root finding."""
    from scipy import optimize

    n, mean, sd = d.size, d.mean(), d.std(ddof=1)
    gamma = stats.skew(d, bias=False)
    t = stats.t.ppf(0.5 + confidence / 2, n - 1)
    a, b = gamma / (3 * math.sqrt(n)), gamma / (6 * math.sqrt(n))

    def g(mu: float) -> float:
        tt = math.sqrt(n) * (mean - mu) / sd
        return tt + a * tt**2 + a**2 * tt**3 / 3 + b

    span = 50 * sd
    low = optimize.brentq(lambda mu: g(mu) - t, mean - span, mean + span, xtol=1e-14)
    high = optimize.brentq(lambda mu: g(mu) + t, mean - span, mean + span, xtol=1e-14)
    return low, high


@pytest.mark.parametrize("skew", [-1.0, 1.0])
def test_paired_mean_difference_is_the_union_of_t_and_hall(skew: float) -> None:
    rng = np.random.default_rng(5)
    d = skew * (rng.exponential(1.0, 60) - 1.0)
    iv, se, _ = paired_mean_difference_interval(d, 0.9)
    t_low, t_high = stats.t.interval(0.9, d.size - 1, loc=d.mean(), scale=stats.sem(d))
    h_low, h_high = _hall_interval_by_root_finding(d, 0.9)
    assert iv.method == "paired-t-hall"
    assert iv.low == pytest.approx(min(t_low, h_low), abs=1e-10)
    assert iv.high == pytest.approx(max(t_high, h_high), abs=1e-10)
    # Hall stretches the side of the long tail: for a right skew, the upper side
    assert (h_high - d.mean() > d.mean() - h_low) == (skew > 0)
    assert se == pytest.approx(stats.sem(d), rel=1e-12)


def test_paired_mean_difference_weights_equal_expanded_rows() -> None:
    rng = np.random.default_rng(8)
    d = rng.gamma(0.5, 1.0, 40) - 0.5
    w = rng.integers(0, 4, 40)
    weighted, se_w, p_w = paired_mean_difference_interval(d, 0.95, w)
    expanded, se_e, p_e = paired_mean_difference_interval(np.repeat(d, w), 0.95)
    assert (weighted.low, weighted.high, se_w, p_w) == pytest.approx(
        (expanded.low, expanded.high, se_e, p_e), rel=1e-10
    )
