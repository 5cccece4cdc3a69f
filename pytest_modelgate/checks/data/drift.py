"""The drift check: per-column distribution change between a reference and a test frame.

Drift is measured by default with **effect sizes**, not hypothesis tests:

* ``psi`` — Population Stability Index on reference-quantile bins (default threshold 0.2, the
  conventional "significant shift" level);
* ``jensen_shannon`` — Jensen–Shannon *distance* (base 2, in [0, 1]) on the same bins
  (default 0.1);
* ``wasserstein`` — the 1-Wasserstein distance divided by the reference's IQR, so that one
  threshold (default 0.1, a tenth of an interquartile range) means the same on every column.

The tests ``ks`` (two-sample Kolmogorov–Smirnov) and ``chi2`` (contingency-table chi-square)
are available, with Holm-adjusted p-values across the columns, but they are not the default:
a test answers "is there *any* difference?", and with the row counts of production data the
answer is almost always yes. At 10⁶ rows per sample a shift of a hundredth of a standard
deviation — irrelevant to any model — gives ``p`` far below 0.05 while its PSI is ~1e-4.
A release gate should fail on drift large enough to matter, which is what a threshold on an
effect size expresses.

Column kinds (:func:`~pytest_modelgate.checks.data.columns.column_kind`, applied to the
reference) decide how a column is binned: numeric columns on reference quantiles, categorical
columns on the union of observed categories. The statistics themselves live in
:mod:`~pytest_modelgate.checks.data.statistics`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from pytest_modelgate.checks.data.columns import (
    ColumnKind,
    numeric_values,
    require_columns,
    resolve_kinds,
)
from pytest_modelgate.checks.data.errors import BadParameter
from pytest_modelgate.checks.data.result import (
    ColumnFinding,
    DataCheckResult,
    fmt_stat,
    listing,
    pct,
    worst_first,
)
from pytest_modelgate.checks.data.statistics import (
    BinnedCounts,
    category_bins,
    chi2_from_counts,
    js_from_proportions,
    ks_test,
    psi_bins,
    psi_from_counts,
    wasserstein_parts,
)
from pytest_modelgate.stats import holm_adjust

__all__ = ["DEFAULT_DRIFT_MAX", "DRIFT_METHODS", "drift_check"]

DRIFT_METHODS: tuple[str, ...] = ("psi", "jensen_shannon", "wasserstein", "ks", "chi2")
#: Default drift thresholds (``statistic > max`` flags a column) for the effect-size methods.
DEFAULT_DRIFT_MAX: Mapping[str, float] = {"psi": 0.2, "jensen_shannon": 0.1, "wasserstein": 0.1}
_TEST_METHODS = frozenset({"ks", "chi2"})


def _missing_note(ref: pd.Series, test: pd.Series) -> str:
    ref_frac = float(ref.isna().mean()) if len(ref) else 0.0
    test_frac = float(test.isna().mean()) if len(test) else 0.0
    if ref_frac == 0.0 and test_frac == 0.0:
        return ""
    return (
        f"; missing {pct(ref_frac)} in reference → {pct(test_frac)} in test "
        "(not part of the drift statistic)"
    )


def _largest_shift(counts: BinnedCounts) -> str:
    p_ref, p_test = counts.proportions()
    if p_ref.size == 0 or np.isnan(p_ref).any() or np.isnan(p_test).any():
        return ""
    b = int(np.argmax(np.abs(p_test - p_ref)))
    return f"; largest change {counts.labels[b]}: {pct(p_ref[b])} → {pct(p_test[b])}"


def _binning_note(counts: BinnedCounts, bins: int) -> str:
    if counts.kind == "numeric":
        n = len(counts.labels)
        merged = "" if n == bins else f", {bins} requested, tied quantiles merged"
        return f"{n} reference-quantile bins{merged}"
    return f"{len(counts.labels)} categories"


def _distance_finding(
    column: str,
    ref: pd.Series,
    test: pd.Series,
    kind: ColumnKind,
    method: str,
    threshold: float,
    bins: int,
    floor: float,
    prefix: str,
) -> ColumnFinding:
    missing_note = _missing_note(ref, test) if kind == "numeric" else ""
    if method == "wasserstein":
        value, distance, scale_note = wasserstein_parts(numeric_values(ref), numeric_values(test))
        body = (
            f"normalised wasserstein {fmt_stat(value)} "
            f"(distance {fmt_stat(distance)} / {scale_note})"
        )
    else:
        counts = psi_bins(ref, test, bins=bins, kind=kind)
        if method == "psi":
            value = psi_from_counts(counts, floor)
        else:
            value = js_from_proportions(*counts.proportions())
        label = "psi" if method == "psi" else "jensen-shannon distance"
        body = f"{label} {fmt_stat(value)} ({_binning_note(counts, bins)}{_largest_shift(counts)})"
    if np.isnan(value):
        body += "; not computable: a sample has no non-missing values"
    # A statistic that cannot be computed fails the gate: passing on no evidence is unsafe.
    flagged = bool(np.isnan(value) or value > threshold)
    return ColumnFinding(column, value, threshold, flagged, prefix + body + missing_note, kind)


def _test_parts(ref: pd.Series, test: pd.Series, method: str) -> tuple[float, float, str]:
    if method == "ks":
        statistic, p_value = ks_test(ref, test)
        return statistic, p_value, f"ks D={fmt_stat(statistic)}"
    statistic, p_value, dof = chi2_from_counts(category_bins(ref, test))
    return statistic, p_value, f"chi2 {fmt_stat(statistic)} (dof {dof})"


def drift_check(
    reference: pd.DataFrame,
    test: pd.DataFrame,
    *,
    columns: Sequence[str] | None = None,
    method: str = "psi",
    max: float | None = None,
    kinds: Mapping[str, str] | None = None,
    alpha: float = 0.05,
    bins: int = 10,
    floor: float = 1e-4,
) -> DataCheckResult:
    """Per-column distribution drift between a reference and a test frame.

    Parameters
    ----------
    reference, test : pandas.DataFrame
        The data the model was validated on, and the data to gate.
    columns : sequence of str, optional
        Columns to check; defaults to every column of ``reference``.
    method : {"psi", "jensen_shannon", "wasserstein", "ks", "chi2"}, default "psi"
        ``psi`` and ``jensen_shannon`` work on both kinds. ``wasserstein`` and ``ks`` need an
        order: a categorical column falls back to ``jensen_shannon`` (same threshold; both
        defaults are 0.1) or ``chi2`` respectively. ``chi2`` needs categories: a numeric
        column falls back to ``ks``. Fallbacks are named in the finding's ``detail``.
    max : float, optional
        Threshold: a column is flagged when its statistic exceeds it. Defaults to 0.2 (psi),
        0.1 (jensen_shannon) and 0.1 (normalised wasserstein). For ``ks``/``chi2`` it is the
        significance level and replaces ``alpha`` when given.
    kinds : mapping of str to {"numeric", "categorical"}, optional
        Per-column overrides of ``column_kind`` (which is applied to the reference).
    alpha : float, default 0.05
        Family-wise significance level for ``ks``/``chi2``: p-values are Holm-adjusted across
        the checked columns and a column is flagged when its adjusted p-value is ``< alpha``.
    bins : int, default 10
        Reference-quantile bins for numeric columns (psi, jensen_shannon).
    floor : float, default 1e-4
        Proportion floor of :func:`~pytest_modelgate.checks.data.statistics.psi`.

    Returns
    -------
    DataCheckResult
        ``check="drift"``. Each finding's ``statistic`` is the distance, or for the tests the
        Holm-adjusted p-value (raw and adjusted are also in ``p_value``/``p_adjusted``).

    Raises
    ------
    ColumnsAbsent (a KeyError)
        If a column is absent from either frame (listing all of them).
    BadParameter (a ValueError)
        For an unknown method or kind, or a threshold out of range.

    Notes
    -----
    Numeric drift is computed on the non-missing values; a change in the missing fraction is
    reported in ``detail`` but does not enter the statistic (that is the missing-values
    check's business). Categorical columns count missing values as a category of their own.
    A column whose statistic cannot be computed (no non-missing values in a sample) is
    flagged. The effect-size methods are the default because the tests flag trivial shifts
    at large ``n`` (see the module docstring).
    """
    if method not in DRIFT_METHODS:
        raise BadParameter(
            f"unknown drift method {method!r}; allowed: {', '.join(DRIFT_METHODS)}", "method"
        )
    wanted = require_columns(
        reference.columns if columns is None else columns,
        [("reference", reference), ("test", test)],
    )
    kind_of = resolve_kinds(reference, wanted, kinds)
    if method in _TEST_METHODS:
        level = alpha if max is None else max
        if not 0.0 < level < 1.0:
            raise BadParameter(
                f"alpha (or max) must lie in (0, 1) for {method}, got {level!r}", "max"
            )
        findings = _drift_tests(reference, test, wanted, kind_of, method, level)
        rule = f"{method}, Holm-adjusted p < {level:g}"
    else:
        threshold = DEFAULT_DRIFT_MAX[method] if max is None else float(max)
        if not threshold >= 0.0:
            raise BadParameter(f"max must be non-negative, got {max!r}", "max")
        findings = []
        for column in wanted:
            kind = kind_of[column]
            use, prefix = method, ""
            if method == "wasserstein" and kind == "categorical":
                use, prefix = "jensen_shannon", "categorical column: jensen_shannon instead "
                prefix += "of wasserstein; "
            findings.append(
                _distance_finding(
                    column,
                    reference[column],
                    test[column],
                    kind,
                    use,
                    threshold,
                    bins,
                    floor,
                    prefix,
                )
            )
        rule = f"{method} > {threshold:g}"
    ordered = worst_first(findings, higher_is_worse=method not in _TEST_METHODS)
    return DataCheckResult(
        "drift",
        not any(f.flagged for f in ordered),
        ordered,
        _drift_summary(ordered, rule, method in _TEST_METHODS),
        n_reference=len(reference),
        n_test=len(test),
    )


def _drift_tests(
    reference: pd.DataFrame,
    test: pd.DataFrame,
    columns: Sequence[str],
    kind_of: Mapping[str, ColumnKind],
    method: str,
    level: float,
) -> list[ColumnFinding]:
    parts = []
    for column in columns:
        kind = kind_of[column]
        use = "ks" if kind == "numeric" else "chi2"
        prefix = "" if use == method else f"{kind} column: {use} instead of {method}; "
        _, p_value, body = _test_parts(reference[column], test[column], use)
        note = _missing_note(reference[column], test[column]) if kind == "numeric" else ""
        parts.append((column, kind, p_value, prefix + body, note))
    # One family across all checked columns: the gate fails if *any* column is flagged, so
    # that is the error rate to control. Untestable columns (nan) do not count towards m.
    adjusted = holm_adjust(np.array([p for _, _, p, _, _ in parts], dtype=np.float64))
    m = int(np.sum(~np.isnan(adjusted)))
    findings = []
    for (column, kind, p_value, body, note), p_adj in zip(parts, adjusted, strict=True):
        p_adj = float(p_adj)
        if np.isnan(p_adj):
            text = f"{body}; not computable: a sample has no non-missing values"
        else:
            text = (
                f"{body}, p={p_value:.3g}, Holm-adjusted p={p_adj:.3g} "
                f"({m} test{'s' if m != 1 else ''})"
            )
        findings.append(
            ColumnFinding(
                column,
                p_adj,
                level,
                bool(np.isnan(p_adj) or p_adj < level),
                text + note,
                kind,
                p_value=None if np.isnan(p_value) else p_value,
                p_adjusted=None if np.isnan(p_adj) else p_adj,
            )
        )
    return findings


def _drift_summary(findings: Sequence[ColumnFinding], rule: str, is_test: bool) -> str:
    n = len(findings)
    if n == 0:
        return f"no columns to check for drift ({rule})"
    value = (
        (lambda f: f"p={fmt_stat(f.statistic)}") if is_test else (lambda f: fmt_stat(f.statistic))
    )
    flagged = [f for f in findings if f.flagged]
    if flagged:
        return f"{len(flagged)} of {n} columns drifted ({rule}): " + listing(
            [f"{f.column} {value(f)}" for f in flagged]
        )
    worst = findings[0]
    return f"0 of {n} columns drifted ({rule}); largest: {worst.column} {value(worst)}"
