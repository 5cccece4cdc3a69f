"""The drift check: per-column distribution change, estimated with an interval and judged by a rule.

Each column gets a **distance with a confidence interval** (:mod:`.distances`: a statistic of two
count vectors, bias-corrected, its standard error from a multinomial bootstrap of the counts)
and the gate judges the intervals against a **tolerance**, like every other gate:

* ``shift`` (default) — numeric columns: the mean distance between the two samples' quantile
  functions over their central 98 %, in robust standard deviations of the reference (IQR /
  1.349): a mean shift of δ sd of a normal is δ; one outlier cannot move it. Categorical
  columns: the total variation distance after pooling rare levels (the least share of rows
  that would have to change category). Defaults: 0.25 sd and 0.1 — a normal shifted by
  0.25 sd is at total variation 0.099 from itself.
* ``psi``, ``jensen_shannon`` (10 reference-quantile bins, or pooled categories) and
  ``wasserstein`` (the untrimmed quantile distance ÷ the reference IQR) — the same interval
  and rules, in their own units.
* ``ks``, ``chi2`` — two-sample tests, Holm-adjusted across the columns: they ask whether there
  is *any* difference, which at production sizes there always is.

The default rule is three-way: a column **drifted** when its one-sided lower bound exceeds the
tolerance at Holm-adjusted level (1 − confidence)/2 across the measured columns (so a gate whose
columns all sit exactly at the tolerance fails at most 2.5 % of the time), **within** when its
upper bound is at most the tolerance, **undecided** otherwise. The gate FAILs when a column
drifted, PASSes when every column is within, and is INCONCLUSIVE otherwise — small samples are
not evidence of drift. ``evidence: strict`` (PASS only when every column is shown within; an
intersection–union test needs no correction), ``lenient`` (FAIL only when a column is shown to
drift, PASS otherwise) and ``point`` (the estimate against the tolerance) mean what they mean
for metric gates. A column without enough values (``min_support``) is not measurable:
INCONCLUSIVE, never a pass.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pytest_modelgate.checks.data.columns import (
    ColumnKind,
    numeric_values,
    require_columns,
    resolve_kinds,
)
from pytest_modelgate.checks.data.distances import (
    SHIFT_TRIM,
    DriftEstimate,
    Statistic,
    bootstrap_drift,
    js_counts,
    psi_counts,
    quantile_distance,
    tv_counts,
)
from pytest_modelgate.checks.data.drift_tests import drift_tests, missing_note
from pytest_modelgate.checks.data.errors import BadParameter
from pytest_modelgate.checks.data.histograms import (
    NORMAL_IQR,
    category_histogram,
    numeric_histogram,
)
from pytest_modelgate.checks.data.result import (
    ColumnFinding,
    DataCheckResult,
    fmt_num,
    fmt_stat,
    listing,
    pct,
)
from pytest_modelgate.checks.data.statistics import BinnedCounts, psi_bins
from pytest_modelgate.stats import holm_adjust

__all__ = [
    "DEFAULT_DRIFT_MAX",
    "DEFAULT_METHOD",
    "DEFAULT_SHIFT_MAX_CATEGORICAL",
    "DRIFT_METHODS",
    "THREE_WAY",
    "drift_check",
    "drift_rule_text",
]

DRIFT_METHODS: tuple[str, ...] = ("shift", "psi", "jensen_shannon", "wasserstein", "ks", "chi2")
DEFAULT_METHOD = "shift"
#: Default tolerances of the distances (numeric columns for ``shift``: robust sd units).
DEFAULT_DRIFT_MAX: Mapping[str, float] = {
    "shift": 0.25,
    "psi": 0.2,
    "jensen_shannon": 0.1,
    "wasserstein": 0.1,
}
#: ``shift``'s tolerance on categorical columns: a total variation distance.
DEFAULT_SHIFT_MAX_CATEGORICAL = 0.1
#: The ``evidence`` recorded for the default rule (PASS within, FAIL beyond, else INCONCLUSIVE).
THREE_WAY = "three-way"
_TEST_METHODS = frozenset({"ks", "chi2"})
_INTERVAL_METHOD = "bootstrap-normal (multinomial counts, bias-corrected)"
# Worst first: drifted, not measurable, undecided, within.
_ORDER = {"drifted": 0, "not measurable": 1, "undecided": 2, "within": 3}


@dataclass(frozen=True)
class _Measured:
    """One column's statistic before the rule: what was measured, how, and against what."""

    column: str
    kind: ColumnKind
    label: str  # "shift", "total variation", "psi", …
    unit: str  # " sd" or ""
    tolerance: float
    estimate: DriftEstimate | None  # None: not measurable
    body: str  # how it was measured (binning, scale) or why it could not be
    prefix: str = ""  # a fallback, named first


def _largest_shift(counts: BinnedCounts) -> str:
    p_ref, p_test = counts.proportions()
    if p_ref.size == 0 or np.isnan(p_ref).any() or np.isnan(p_test).any():
        return ""
    b = int(np.argmax(np.abs(p_test - p_ref)))
    return f"; largest change {counts.labels[b]}: {pct(p_ref[b])} → {pct(p_test[b])}"


def _category_statistic(method: str, floor: float) -> tuple[Statistic, str]:
    if method == "shift":
        return tv_counts, "total variation"
    if method == "psi":
        return psi_counts(floor), "psi"
    return js_counts, "jensen-shannon distance"  # jensen_shannon; wasserstein falls back to it


def _constant_counts(ref: np.ndarray, test: np.ndarray) -> BinnedCounts:
    """A (near-)constant numeric reference as two categories: its value and anything else."""
    values, counts = np.unique(ref, return_counts=True)
    c = values[int(np.argmax(counts))]
    ref_at, test_at = int(np.sum(ref == c)), int(np.sum(test == c))
    return BinnedCounts(
        (f"= {fmt_num(c)}", f"≠ {fmt_num(c)}"),
        np.array([ref_at, ref.size - ref_at], dtype=np.int64),
        np.array([test_at, test.size - test_at], dtype=np.int64),
        "categorical",
    )


def _measure(
    column: str,
    ref: pd.Series,
    test: pd.Series,
    kind: ColumnKind,
    method: str,
    tolerance: float,
    tolerance_categorical: float,
    bins: int,
    floor: float,
    min_support: int,
    rng: np.random.Generator,
) -> _Measured:
    def unmeasurable(why: str) -> _Measured:
        return _Measured(column, kind, method, "", tolerance, None, why)

    if not ref.notna().any():
        return unmeasurable(
            f"not measurable: the reference has no values in this column (all {len(ref)} "
            "missing); the missing_values check reports missing data"
        )
    if kind == "numeric":
        ref_values, test_values = numeric_values(ref), numeric_values(test)
        if test_values.size == 0:
            return unmeasurable(
                f"not measurable: the test data has no values in this column (all {len(test)} "
                "missing)"
            )
        n_ref, n_test = ref_values.size, test_values.size
    else:
        n_ref, n_test = len(ref), len(test)
    if min(n_ref, n_test) < min_support:
        return unmeasurable(
            f"not measurable: {n_ref} reference and {n_test} test values "
            f"(min_support = {min_support})"
        )
    if kind == "categorical":
        counts, pooled = category_histogram(ref, test)
        statistic, label = _category_statistic(method, floor)
        fallback = (
            "categorical column: jensen_shannon instead of wasserstein; "
            if method == "wasserstein"
            else ""
        )
        pooled_note = f", {pooled} rare levels pooled" if pooled else ""
        what = "category" if len(counts.labels) == 1 else "categories"
        body = f"{len(counts.labels)} {what}{pooled_note}{_largest_shift(counts)}"
        tol = tolerance_categorical if method == "shift" else tolerance
        estimate = bootstrap_drift(statistic, counts.reference, counts.test, rng)
        return _Measured(column, kind, label, "", tol, estimate, body, fallback)

    if method in ("psi", "jensen_shannon"):
        counts = psi_bins(ref_values, test_values, bins=bins, kind="numeric")
        if len(counts.labels) > 1:
            statistic, label = _category_statistic(method, floor)
            merged = "" if len(counts.labels) == bins else f", {bins} requested, ties merged"
            body = f"{len(counts.labels)} reference-quantile bins{merged}{_largest_shift(counts)}"
            estimate = bootstrap_drift(statistic, counts.reference, counts.test, rng)
            return _Measured(column, kind, label, "", tolerance, estimate, body)
        histogram = None
    else:
        histogram = numeric_histogram(ref_values, test_values)
    if histogram is None:
        # At least 98% of the reference is one value: a spread of 0 makes "sd units"
        # meaningless, so the column is compared as that value vs anything else — a constant
        # column that starts to vary has drifted.
        counts = _constant_counts(ref_values, test_values)
        statistic, label = _category_statistic(
            "jensen_shannon" if method == "wasserstein" else method, floor
        )
        tol = tolerance_categorical if method == "shift" else tolerance
        body = (
            f"reference (near-)constant: compared as {counts.labels[0]} vs anything else"
            f"{_largest_shift(counts)}"
        )
        estimate = bootstrap_drift(statistic, counts.reference, counts.test, rng)
        return _Measured(column, "categorical", label, "", tol, estimate, body)
    if method == "shift":
        statistic = quantile_distance(
            histogram.positions, SHIFT_TRIM, histogram.scale_probs, histogram.scale_divisor
        )
        label, unit = "shift", " sd"
        body = (
            "mean |Δ quantile| over the central 98%, ÷ robust sd "
            f"{fmt_num(histogram.scale)} ({histogram.scale_note})"
        )
    else:  # wasserstein: untrimmed, in interquartile ranges
        statistic = quantile_distance(
            histogram.positions, 0.0, histogram.scale_probs, histogram.scale_divisor / NORMAL_IQR
        )
        label, unit = "normalised wasserstein", ""
        body = f"distance ÷ reference IQR {fmt_num(histogram.scale * NORMAL_IQR)}"
        if histogram.scale_probs != (0.25, 0.75):
            body += " (IQR-equivalent: the IQR is 0)"
    estimate = bootstrap_drift(statistic, histogram.reference, histogram.test, rng)
    return _Measured(column, kind, label, unit, tolerance, estimate, body)


def _rows_to_decide(m: _Measured, level: float, m_tests: int) -> tuple[float, float]:
    """Rows per sample with which a column whose true distance is its estimate would be
    decided with 80% power (normal approximation; the standard error shrinks as 1/√n)."""
    from scipy import special

    est = m.estimate
    assert est is not None
    gap = abs(est.corrected - m.tolerance)
    if gap == 0 or est.se == 0:
        return math.inf, math.inf
    alpha = (1.0 - level) / 2.0
    z = (
        special.ndtri(1 - alpha / max(m_tests, 1))
        if est.corrected > m.tolerance
        else (special.ndtri(1 - alpha))
    )
    factor = float(((z + special.ndtri(0.8)) * est.se / gap) ** 2)
    return factor * est.n_reference, factor * est.n_test


def drift_rule_text(
    method: str,
    evidence: str,
    level: float,
    tolerance: float,
    tolerance_categorical: float | None = None,
    m: int | None = None,
) -> str:
    """The rule in words, e.g. ``shift <= 0.25 sd (categorical: total variation <= 0.1); three-way
    …``."""
    if method in _TEST_METHODS:
        where = f" across {m} columns" if m is not None else ""
        return f"{method} test per column, Holm-adjusted{where}: drifted when p < {tolerance:g}"
    tol = {
        "shift": f"shift <= {tolerance:g} sd (categorical: total variation <= "
        f"{tolerance_categorical:g})",
        "psi": f"psi <= {tolerance:g}",
        "jensen_shannon": f"jensen-shannon distance <= {tolerance:g}",
        "wasserstein": f"wasserstein / IQR <= {tolerance:g} (categorical: jensen-shannon)",
    }[method]
    pct_ = f"{level * 100:g}%"
    one_sided = f"{(1 - level) / 2 * 100:g}%"
    rule = {
        THREE_WAY: f"PASS when every {pct_} upper bound is within, FAIL when a lower bound is "
        f"beyond (one-sided {one_sided}, Holm across columns), else INCONCLUSIVE",
        "strict": f"strict: PASS only when every {pct_} upper bound is within",
        "lenient": f"lenient: FAIL only when a lower bound is beyond (one-sided {one_sided}, "
        "Holm across columns)",
        "point": "point: the estimate per column",
    }[evidence]
    return f"{tol}; {rule}"


def drift_check(
    reference: pd.DataFrame,
    test: pd.DataFrame,
    *,
    columns: Sequence[str] | None = None,
    method: str = DEFAULT_METHOD,
    max: float | None = None,
    max_categorical: float | None = None,
    kinds: Mapping[str, str] | None = None,
    evidence: str | None = None,
    confidence: float = 0.95,
    min_support: int = 30,
    seed: int = 0,
    rng_key: str = "drift",
    alpha: float | None = None,
    bins: int = 10,
    floor: float = 1e-4,
) -> DataCheckResult:
    """Per-column distribution drift between a reference and a test frame, with intervals.

    Parameters
    ----------
    reference, test : pandas.DataFrame
        The data the model was validated on, and the data to gate.
    columns : sequence of str, optional
        Columns to check; defaults to every column of ``reference`` that ``test`` has too.
    method : {"shift", "psi", "jensen_shannon", "wasserstein", "ks", "chi2"}, default "shift"
        See the module docstring. ``wasserstein`` and ``ks`` need an order: a categorical
        column falls back to ``jensen_shannon`` or ``chi2``; ``chi2`` falls back to ``ks`` on a
        numeric column. Fallbacks are named in the finding's ``detail``.
    max : float, optional
        The tolerance (``shift``: on numeric columns, in robust sd; default 0.25; ``psi`` 0.2,
        ``jensen_shannon`` 0.1, ``wasserstein`` 0.1). For ``ks``/``chi2`` the significance level
        (replacing ``alpha``).
    max_categorical : float, optional
        ``shift`` only: the total variation tolerance of categorical columns (default 0.1).
    kinds : mapping of str to {"numeric", "categorical"}, optional
        Per-column overrides of ``column_kind`` (which is applied to the reference).
    evidence : {None, "strict", "lenient", "point"}
        ``None``: the three-way rule. See the module docstring.
    confidence : float, default 0.95
        Two-sided level of the intervals; the one-sided error rate at the tolerance is
        (1 − confidence)/2.
    min_support : int, default 30
        Fewer values than this in either sample make a column not measurable (INCONCLUSIVE).
    seed, rng_key : int, str
        The bootstrap's randomness: each column's generator is derived from the seed and
        ``f"{rng_key}:{method}:{column}"``, so a number does not depend on the other columns.
    alpha : float, optional
        ``ks``/``chi2``: the family-wise level (default ``1 − confidence``).
    bins : int, default 10
        Reference-quantile bins of numeric columns for ``psi``/``jensen_shannon``.
    floor : float, default 1e-4
        Proportion floor of ``psi``.

    Returns
    -------
    DataCheckResult
        ``check="drift"``, with ``verdict`` PASS, FAIL or INCONCLUSIVE. Each finding's
        ``statistic`` is the bias-corrected distance with its interval in ``low``/``high``
        and the Holm-adjusted one-sided p-value of "within tolerance" in ``p_adjusted``; for
        the tests, the Holm-adjusted p-value of "no difference".
    """
    if method not in DRIFT_METHODS:
        raise BadParameter(
            f"unknown drift method {method!r}; allowed: {', '.join(DRIFT_METHODS)}", "method"
        )
    if evidence not in (None, "strict", "lenient", "point"):
        raise BadParameter(f"unknown evidence {evidence!r}", "evidence")
    wanted = require_columns(
        [c for c in reference.columns if c in test.columns] if columns is None else columns,
        [("reference", reference), ("test", test)],
    )
    kind_of = resolve_kinds(reference, wanted, kinds)
    if method in _TEST_METHODS:
        level = (1.0 - confidence if alpha is None else alpha) if max is None else max
        if not 0.0 < level < 1.0:
            raise BadParameter(
                f"alpha (or max) must lie in (0, 1) for {method}, got {level!r}", "max"
            )
        return drift_tests(reference, test, wanted, kind_of, method, level, min_support)
    tolerance = DEFAULT_DRIFT_MAX[method] if max is None else float(max)
    if not tolerance >= 0.0:
        raise BadParameter(f"max must be non-negative, got {max!r}", "max")
    if max_categorical is not None and method != "shift":
        raise BadParameter(
            "max_categorical is the total variation tolerance of method shift; "
            f"{method} uses max on every column",
            "max_categorical",
        )
    tol_cat = DEFAULT_SHIFT_MAX_CATEGORICAL if max_categorical is None else float(max_categorical)
    from pytest_modelgate.checks.engine import estimate_rng

    measured = [
        _measure(
            column,
            reference[column],
            test[column],
            kind_of[column],
            method,
            tolerance,
            tol_cat,
            bins,
            floor,
            min_support,
            estimate_rng(seed, f"{rng_key}:{method}:{column}"),
        )
        for column in wanted
    ]
    notes = {
        m.column: missing_note(reference[m.column], test[m.column]) if m.kind == "numeric" else ""
        for m in measured
    }
    rule_name = evidence or THREE_WAY
    findings, verdict = _judge(measured, rule_name, confidence, notes)
    rule = drift_rule_text(method, rule_name, confidence, tolerance, tol_cat)
    return DataCheckResult(
        "drift",
        verdict == "PASS",
        findings,
        _summary(findings, verdict, rule_name, confidence, measured),
        n_reference=len(reference),
        n_test=len(test),
        verdict=verdict,
        evidence=rule_name,
        level=confidence,
        rule=rule,
        interval_method=_INTERVAL_METHOD,
    )


def _judge(
    measured: Sequence[_Measured], evidence: str, level: float, notes: Mapping[str, str]
) -> tuple[tuple[ColumnFinding, ...], str]:
    alpha = (1.0 - level) / 2.0
    raw = np.array(
        [m.estimate.p_above(m.tolerance) if m.estimate else np.nan for m in measured], dtype=float
    )
    adjusted = holm_adjust(raw) if raw.size else raw
    m_tests = int(np.sum(~np.isnan(raw)))
    findings = []
    for m, p_raw, p_adj in zip(measured, raw, adjusted, strict=True):
        est = m.estimate
        if est is None:
            findings.append(
                ColumnFinding(
                    m.column,
                    float("nan"),
                    m.tolerance,
                    False,
                    m.body,
                    m.kind,
                    state="not measurable",
                )
            )
            continue
        low, high = est.interval(level)
        within = high <= m.tolerance
        beyond = bool(p_adj < alpha)
        if evidence == THREE_WAY:
            state = "drifted" if beyond else "within" if within else "undecided"
        elif evidence == "strict":
            state = "within" if within else "drifted"
        elif evidence == "lenient":
            state = "drifted" if beyond else "within"
        else:
            state = "drifted" if est.value > m.tolerance else "within"
        text = m.prefix + (
            f"{m.label} {fmt_stat(est.value)}{m.unit}, {level * 100:g}% CI "
            f"[{fmt_stat(low)}, {fmt_stat(high)}] ({m.body})"
        )
        if state == "undecided":
            rows_ref, rows_test = _rows_to_decide(m, level, m_tests)
            if math.isfinite(rows_test):
                text += (
                    f"; undecided: about {math.ceil(rows_test):,} test and "
                    f"{math.ceil(rows_ref):,} reference rows would decide it"
                )
            else:
                text += "; undecided: the estimate sits on the tolerance"
        findings.append(
            ColumnFinding(
                m.column,
                est.value,
                m.tolerance,
                state == "drifted",
                text + notes[m.column],
                m.kind,
                p_value=float(p_raw),
                p_adjusted=float(p_adj),
                low=low,
                high=high,
                state=state,
            )
        )

    def key(f: ColumnFinding) -> tuple[int, float, str]:
        size = 0.0 if math.isnan(f.statistic) else f.statistic / (f.threshold or 1e-300)
        return (_ORDER[f.state or "within"], -size, f.column)

    ordered = tuple(sorted(findings, key=key))
    states = {f.state for f in ordered}
    if "drifted" in states:
        verdict = "FAIL"
    elif states & {"undecided", "not measurable"}:
        verdict = "INCONCLUSIVE"
    else:
        verdict = "PASS"
    return ordered, verdict


def _value(f: ColumnFinding, unit_of: Mapping[str, str]) -> str:
    if f.low is None or f.high is None:
        return f"{f.column} n/a"
    return (
        f"{f.column} {fmt_stat(f.statistic)}{unit_of[f.column]} "
        f"[{fmt_stat(f.low)}, {fmt_stat(f.high)}]"
    )


def _summary(
    findings: Sequence[ColumnFinding],
    verdict: str,
    evidence: str,
    level: float,
    measured: Sequence[_Measured],
) -> str:
    n = len(findings)
    if n == 0:
        return "no columns to check for drift"
    unit_of = {m.column: m.unit for m in measured}
    drifted = [f for f in findings if f.state == "drifted"]
    undecided = [f for f in findings if f.state == "undecided"]
    unmeasurable = [f for f in findings if f.state == "not measurable"]
    iv = f"{level * 100:g}% CI"
    if verdict == "FAIL":
        what = "not shown within tolerance" if evidence == "strict" else "drifted beyond tolerance"
        return f"{len(drifted)} of {n} columns {what} ({iv}): " + listing(
            [_value(f, unit_of) for f in drifted]
        )
    if verdict == "INCONCLUSIVE":
        parts = []
        if undecided:
            parts.append(
                f"{len(undecided)} undecided (the interval straddles the tolerance): "
                + listing([_value(f, unit_of) for f in undecided])
            )
        if unmeasurable:
            parts.append(
                f"{len(unmeasurable)} not measurable: " + listing([f.column for f in unmeasurable])
            )
        return f"0 of {n} columns shown to drift; " + "; ".join(parts)
    worst = findings[0]
    return f"0 of {n} columns drifted ({iv} within tolerance); largest: {_value(worst, unit_of)}"
