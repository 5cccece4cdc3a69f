"""Quality checks of test data: schema, missing values, unseen categories, out-of-range values.

Pure functions of frames; each returns a :class:`~.result.DataCheckResult` with one finding per
column, worst first. Which columns they examine by default is decided by
:func:`~pytest_modelgate.checks.data.columns.default_columns`, as for the gates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from pytest_modelgate.checks.data.columns import (
    default_columns,
    dtype_kind,
    numeric_values,
    require_columns,
    resolve_kinds,
)
from pytest_modelgate.checks.data.errors import BadParameter, ColumnsAbsent
from pytest_modelgate.checks.data.result import (
    ColumnFinding,
    DataCheckResult,
    fmt_num,
    fmt_value,
    listing,
    pct,
    worst_first,
)

__all__ = ["missing_values_check", "range_check", "schema_check", "unseen_categories_check"]

# How many unseen values / extreme values a finding's detail lists.
_DETAIL_VALUES = 5


def _check_fraction(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise BadParameter(f"{name} must lie in [0, 1], got {value!r}", name)


def _fraction_check(
    check: str,
    findings: list[ColumnFinding],
    what: str,
    max_fraction: float,
    n_reference: int | None,
    n_test: int,
) -> DataCheckResult:
    ordered = worst_first(findings)
    flagged = [f for f in ordered if f.flagged]
    limit = f"above {pct(max_fraction)}"
    if not ordered:
        summary = f"{check}: no columns to check"
    elif flagged:
        summary = f"{len(flagged)} of {len(ordered)} columns {what} {limit}: " + listing(
            [
                f"{f.column} {pct(f.statistic) if not np.isnan(f.statistic) else 'n/a'}"
                for f in flagged
            ]
        )
    else:
        worst = ordered[0]
        summary = (
            f"0 of {len(ordered)} columns {what} {limit}; "
            f"worst: {worst.column} {pct(worst.statistic)}"
        )
    return DataCheckResult(
        check, not flagged, ordered, summary, n_reference=n_reference, n_test=n_test
    )


# --------------------------------------------------------------------------------------------
# Missing values, unseen categories, ranges
# --------------------------------------------------------------------------------------------


def missing_values_check(
    test: pd.DataFrame,
    *,
    columns: Sequence[str] | None = None,
    max_fraction: float = 0.0,
    kinds: Mapping[str, str] | None = None,
) -> DataCheckResult:
    """Fraction of missing values per column of the test frame.

    Parameters
    ----------
    test : pandas.DataFrame
        The data to gate.
    columns : sequence of str, optional
        Columns to check; defaults to all.
    max_fraction : float, default 0.0
        A column is flagged when its missing fraction is ``> max_fraction`` (the default
        tolerates no missing value).
    kinds : mapping, optional
        Per-column kind overrides (reported in the findings only).

    Returns
    -------
    DataCheckResult
        ``check="missing_values"``; statistic = missing fraction (``nan``, flagged, for a
        frame without rows).

    Raises
    ------
    ColumnsAbsent (a KeyError)
        If a requested column is absent.
    """
    _check_fraction("max_fraction", max_fraction)
    wanted = require_columns(test.columns if columns is None else columns, [("test", test)])
    kind_of = resolve_kinds(test, wanted, kinds)
    n = len(test)
    # One vectorised pass over the selected block of the frame.
    counts = test[wanted].isna().sum(axis=0) if wanted else pd.Series(dtype=np.int64)
    findings = []
    for column in wanted:
        k = int(counts[column])
        fraction = k / n if n else float("nan")
        detail = f"{k} of {n} rows ({pct(fraction)}) missing" if n else "no rows to check"
        flagged = bool(np.isnan(fraction) or fraction > max_fraction)
        findings.append(
            ColumnFinding(column, fraction, max_fraction, flagged, detail, kind_of[column])
        )
    return _fraction_check("missing_values", findings, "have missing values", max_fraction, None, n)


def unseen_categories_check(
    reference: pd.DataFrame,
    test: pd.DataFrame,
    *,
    columns: Sequence[str] | None = None,
    max_fraction: float = 0.0,
    kinds: Mapping[str, str] | None = None,
) -> DataCheckResult:
    """Fraction of test rows whose category never occurs in the reference.

    Parameters
    ----------
    reference, test : pandas.DataFrame
    columns : sequence of str, optional
        Columns to check (all of them, whatever their kind). Defaults to the reference's
        categorical columns (per
        :func:`~pytest_modelgate.checks.data.columns.column_kind` and ``kinds``).
    max_fraction : float, default 0.0
        A column is flagged when its unseen fraction is ``> max_fraction``.
    kinds : mapping, optional
        Per-column kind overrides, used to choose the default columns.

    Returns
    -------
    DataCheckResult
        ``check="unseen_categories"``; statistic = unseen rows / all test rows. Missing values
        are not unseen (that is the missing-values check's business). Values are compared by
        equality, so ``1`` and ``1.0`` match but ``1`` and ``"1"`` do not. ``detail`` lists up
        to five unseen values, most frequent first, with their counts.

    Raises
    ------
    ColumnsAbsent (a KeyError)
        If a requested column is absent from either frame.
    """
    _check_fraction("max_fraction", max_fraction)
    if columns is None:
        candidates = default_columns("unseen_categories", reference, test, reference.columns, kinds)
        wanted = require_columns(candidates, [("test", test)])
    else:
        wanted = require_columns(columns, [("reference", reference), ("test", test)])
    kind_of = resolve_kinds(reference, wanted, kinds)
    n = len(test)
    findings = []
    for column in wanted:
        values = test[column]
        seen = pd.unique(reference[column].dropna())
        # isin hashes the reference's values once: vectorised membership for every test row.
        unseen = values.notna().to_numpy() & ~values.isin(seen).to_numpy()
        k = int(unseen.sum())
        fraction = k / n if n else float("nan")
        if not n:
            detail = "no rows to check"
        elif k == 0:
            detail = f"0 of {n} rows unseen ({len(seen)} reference categories)"
        else:
            top = values[unseen].value_counts().head(_DETAIL_VALUES)
            listed = ", ".join(f"{fmt_value(v)} ×{c}" for v, c in top.items())
            n_values = values[unseen].nunique()
            more = f" (and {n_values - len(top)} more values)" if n_values > len(top) else ""
            detail = f"{k} of {n} rows ({pct(fraction)}) unseen: {listed}{more}"
        flagged = bool(np.isnan(fraction) or fraction > max_fraction)
        findings.append(
            ColumnFinding(column, fraction, max_fraction, flagged, detail, kind_of[column])
        )
    return _fraction_check(
        "unseen_categories", findings, "have unseen categories", max_fraction, len(reference), n
    )


def range_check(
    reference: pd.DataFrame,
    test: pd.DataFrame,
    *,
    columns: Sequence[str] | None = None,
    max_fraction: float = 0.0,
) -> DataCheckResult:
    """Fraction of test rows outside the reference's ``[min, max]``.

    Parameters
    ----------
    reference, test : pandas.DataFrame
    columns : sequence of str, optional
        Columns to check. Defaults to the reference's numeric-dtype columns (excluding bool;
        low-cardinality integers are included, since a range is meaningful for them) that are
        numeric in the test data too (a column turned into text is a schema finding).
    max_fraction : float, default 0.0
        A column is flagged when its out-of-range fraction is ``> max_fraction``.

    Returns
    -------
    DataCheckResult
        ``check="range"``; statistic = out-of-range rows / all test rows (missing values are
        not out of range). ``detail`` gives the reference range and the (up to five) most extreme
        distinct test values below and above it. A reference without values gives ``nan`` (flagged).

    Raises
    ------
    ColumnsAbsent (a KeyError)
        If a requested column is absent from either frame.
    ColumnNotNumeric (a TypeError)
        If a requested column is not numeric.
    """
    _check_fraction("max_fraction", max_fraction)
    if columns is None:
        candidates = default_columns("range", reference, test, reference.columns)
    else:
        candidates = list(columns)
    wanted = require_columns(candidates, [("reference", reference), ("test", test)])
    n = len(test)
    findings = []
    for column in wanted:
        ref = numeric_values(reference[column])
        values = numeric_values(test[column])
        if ref.size == 0 or n == 0:
            why = "reference has no values" if ref.size == 0 else "no rows to check"
            findings.append(ColumnFinding(column, float("nan"), max_fraction, True, why, "numeric"))
            continue
        low, high = float(ref.min()), float(ref.max())
        below, above = values[values < low], values[values > high]
        k = below.size + above.size
        fraction = k / n
        detail = f"reference range [{fmt_num(low)}, {fmt_num(high)}]; {k} of {n} rows " + (
            f"({pct(fraction)}) outside" if k else "outside"
        )
        if k:
            extremes = []
            if below.size:
                lowest = np.unique(below)[:_DETAIL_VALUES]  # distinct values, sorted
                extremes.append(f"lowest {', '.join(map(fmt_num, lowest))}")
            if above.size:
                highest = np.unique(above)[::-1][:_DETAIL_VALUES]
                extremes.append(f"highest {', '.join(map(fmt_num, highest))}")
            detail += ": " + "; ".join(extremes)
        findings.append(
            ColumnFinding(
                column, fraction, max_fraction, fraction > max_fraction, detail, "numeric"
            )
        )
    return _fraction_check(
        "range", findings, "have values out of range", max_fraction, len(reference), n
    )


# --------------------------------------------------------------------------------------------
# Schema
# --------------------------------------------------------------------------------------------


def schema_check(
    reference_or_expected: pd.DataFrame | Mapping[str, Any],
    test: pd.DataFrame,
    *,
    columns: Sequence[str] | None = None,
) -> DataCheckResult:
    """Missing columns, extra columns and dtype-kind changes.

    Parameters
    ----------
    reference_or_expected : pandas.DataFrame or mapping of str to dtype
        The reference frame, or the expected schema ``{column: dtype or kind name}``
        (see :func:`~pytest_modelgate.checks.data.columns.dtype_kind` for the accepted names).
    test : pandas.DataFrame
        The data to gate.
    columns : sequence of str, optional
        Restrict the check to these columns (which must be in the reference/expected
        schema); extra test columns are then not reported. Defaults to every expected column
        plus every extra test column.

    Returns
    -------
    DataCheckResult
        ``check="schema"``; one finding per column with statistic 1.0 (problem) or 0.0.
        Dtypes are compared by *kind* (``dtype_kind``): ``int64 → float64`` is not a
        change (an integer column acquires missing values that way), ``int64 → object`` is.
        Passed iff no expected column is missing and none changed kind. Extra columns are
        reported but do not fail the check: a model selects the columns it uses, so an
        added column cannot change its predictions.

    Raises
    ------
    ColumnsAbsent (a KeyError)
        If ``columns`` names a column absent from the reference/expected schema.
    """
    if isinstance(reference_or_expected, pd.DataFrame):
        expected = dict(reference_or_expected.dtypes.items())
        n_reference: int | None = len(reference_or_expected)
    else:
        expected = dict(reference_or_expected)
        n_reference = None
    if columns is None:
        wanted = list(expected)
        extra = [c for c in test.columns if c not in expected]
    else:
        wanted = list(columns)
        unknown = [c for c in wanted if c not in expected]
        if unknown:
            raise ColumnsAbsent(
                "schema check columns absent from the reference (expected schema): "
                + ", ".join(map(repr, unknown)),
                "columns",
            )
        extra = []
    missing, changed, findings = [], [], []
    for column in wanted:
        want = expected[column]
        want_kind = dtype_kind(want)
        kind = "numeric" if want_kind in ("numeric", "datetime", "timedelta") else "categorical"
        if column not in test.columns:
            missing.append(column)
            findings.append(
                ColumnFinding(column, 1.0, None, True, f"missing from test (expected {want})", kind)
            )
            continue
        got = test[column].dtype
        got_kind = dtype_kind(got)
        if got_kind != want_kind:
            changed.append(f"{column} {want}→{got}")
            detail = f"dtype changed: {want} ({want_kind}) → {got} ({got_kind})"
            findings.append(ColumnFinding(column, 1.0, None, True, detail, kind))
        else:
            detail = f"ok: {want} → {got} (both {got_kind})"
            findings.append(ColumnFinding(column, 0.0, None, False, detail, kind))
    for column in extra:
        got = test[column].dtype
        kind = (
            "numeric"
            if dtype_kind(got) in ("numeric", "datetime", "datetime-tz", "timedelta")
            else ("categorical")
        )
        findings.append(
            ColumnFinding(
                column,
                0.0,
                None,
                False,
                f"extra column in test ({got}), not in reference (allowed)",
                kind,
            )
        )
    parts = []
    if missing:
        parts.append("missing: " + listing(missing))
    if changed:
        parts.append("dtype changed: " + listing(changed))
    if extra:
        parts.append("extra (allowed): " + listing(extra))
    passed = not missing and not changed
    if passed:
        head = f"schema ok: {len(wanted)} columns present with matching dtype kinds"
    else:
        head = f"schema mismatch in {len(missing) + len(changed)} of {len(wanted)} columns"
    summary = head + ("; " + "; ".join(parts) if parts else "")
    # Problems first (missing, then changed, by name), then the extra and matching columns.
    ordered = worst_first(findings)
    return DataCheckResult(
        "schema", passed, ordered, summary, n_reference=n_reference, n_test=len(test)
    )
