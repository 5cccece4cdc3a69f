"""The drift check's tests: two-sample KS (numeric) and χ² (categorical), Holm across columns.

A test asks whether there is *any* difference; it has no tolerance, so it is judged like a
lenient gate with a tolerance of 0: a column drifted when its Holm-adjusted p-value is below the
level, and the gate fails on that evidence only. At production sizes almost every column
"drifts" this way (a shift of 0.01 sd at 10⁶ rows gives p ≈ 1e-10): the distances of
:mod:`.drift` are the default.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from pytest_modelgate.checks.data.columns import ColumnKind, numeric_values
from pytest_modelgate.checks.data.histograms import category_histogram
from pytest_modelgate.checks.data.result import (
    ColumnFinding,
    DataCheckResult,
    fmt_stat,
    listing,
    pct,
)
from pytest_modelgate.checks.data.statistics import chi2_from_counts, ks_test
from pytest_modelgate.stats import holm_adjust

__all__ = ["drift_tests", "missing_note"]


def missing_note(ref: pd.Series, test: pd.Series) -> str:
    """A numeric column's change in missing share, for its finding (the drift statistics work on
    the non-missing values; the distances and the tests both say so the same way)."""
    ref_frac = float(ref.isna().mean()) if len(ref) else 0.0
    test_frac = float(test.isna().mean()) if len(test) else 0.0
    if ref_frac == 0.0 and test_frac == 0.0:
        return ""
    return (
        f"; missing {pct(ref_frac)} in reference → {pct(test_frac)} in test "
        "(not part of the drift statistic)"
    )


def _test_parts(
    ref: pd.Series, test: pd.Series, method: str, min_support: int
) -> tuple[float, float, str]:
    if method == "ks":
        n_ref, n_test = numeric_values(ref).size, numeric_values(test).size
    else:
        n_ref, n_test = len(ref), len(test)
    if min(n_ref, n_test) < min_support or not ref.notna().any():
        why = (
            f"the reference has no values in this column (all {len(ref)} missing)"
            if not ref.notna().any()
            else f"{n_ref} reference and {n_test} test values (min_support = {min_support})"
        )
        return float("nan"), float("nan"), f"not measurable: {why}"
    if method == "ks":
        statistic, p_value = ks_test(ref, test)
        return statistic, p_value, f"ks D={fmt_stat(statistic)}"
    counts, pooled = category_histogram(ref, test)
    statistic, p_value, dof = chi2_from_counts(counts)
    note = f", {pooled} rare levels pooled" if pooled else ""
    return statistic, p_value, f"chi2 {fmt_stat(statistic)} (dof {dof}{note})"


def drift_tests(
    reference: pd.DataFrame,
    test: pd.DataFrame,
    columns: Sequence[str],
    kind_of: Mapping[str, ColumnKind],
    method: str,
    level: float,
    min_support: int,
) -> DataCheckResult:
    """KS/χ² per column with Holm-adjusted p-values; FAIL when one is below ``level``."""
    parts = []
    for column in columns:
        kind = kind_of[column]
        use = "ks" if kind == "numeric" else "chi2"
        prefix = "" if use == method else f"{kind} column: {use} instead of {method}; "
        _, p_value, body = _test_parts(reference[column], test[column], use, min_support)
        note = missing_note(reference[column], test[column]) if kind == "numeric" else ""
        parts.append((column, kind, p_value, prefix + body, note))
    # One family across all checked columns: the gate fails if *any* column is flagged, so
    # that is the error rate to control. Untestable columns (nan) do not count towards m.
    adjusted = holm_adjust(np.array([p for _, _, p, _, _ in parts], dtype=np.float64))
    m = int(np.sum(~np.isnan(adjusted)))
    findings = []
    for (column, kind, p_value, body, note), p_adj in zip(parts, adjusted, strict=True):
        p_adj = float(p_adj)
        if np.isnan(p_adj):
            state, text = "not measurable", body
        else:
            state = "drifted" if p_adj < level else "within"
            text = (
                f"{body}, p={p_value:.3g}, Holm-adjusted p={p_adj:.3g} "
                f"({m} test{'s' if m != 1 else ''})"
            )
        findings.append(
            ColumnFinding(
                column,
                p_adj,
                level,
                state == "drifted",
                text + note,
                kind,
                p_value=None if np.isnan(p_value) else p_value,
                p_adjusted=None if np.isnan(p_adj) else p_adj,
                state=state,
            )
        )
    order = {"drifted": 0, "not measurable": 1, "within": 2}
    ordered = tuple(
        sorted(
            findings,
            key=lambda f: (
                order[f.state or "within"],
                0.0 if np.isnan(f.statistic) else f.statistic,
                f.column,
            ),
        )
    )
    rule = f"{method} test per column, Holm-adjusted across {m} columns: drifted when p < {level:g}"
    flagged = [f for f in ordered if f.flagged]
    unmeasurable = [f for f in ordered if f.state == "not measurable"]
    n = len(ordered)
    if flagged:
        verdict = "FAIL"
        summary = (
            f"{len(flagged)} of {n} columns drifted ({method}, Holm-adjusted p < {level:g}): "
            + listing([f"{f.column} p={fmt_stat(f.statistic)}" for f in flagged])
        )
    elif unmeasurable:
        verdict = "INCONCLUSIVE"
        summary = (
            f"0 of {n} columns shown to drift; {len(unmeasurable)} not measurable: "
            + listing([f.column for f in unmeasurable])
        )
    elif n == 0:
        verdict, summary = "PASS", f"no columns to check for drift ({method})"
    else:
        verdict = "PASS"
        worst = ordered[0]
        summary = (
            f"0 of {n} columns drifted ({method}, Holm-adjusted p < {level:g}); "
            f"largest: {worst.column} p={fmt_stat(worst.statistic)}"
        )
    return DataCheckResult(
        "drift",
        verdict == "PASS",
        ordered,
        summary,
        n_reference=len(reference),
        n_test=len(test),
        verdict=verdict,
        evidence="lenient",
        level=level,
        rule=rule,
    )
