"""Results of the data checks (per-column findings) and their CheckResult, with the formatting.

Every data check returns a :class:`DataCheckResult` whose findings list every column examined,
worst first; :func:`to_check_result` turns it into the gate's
:class:`~pytest_modelgate.results.CheckResult` (message, details table, JSON ``groups``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from pytest_modelgate.checks.common import details_table, gate_fields
from pytest_modelgate.results import CheckResult, GroupValue, Interval, Threshold, Verdict

__all__ = [
    "ColumnFinding",
    "DataCheckResult",
    "fmt_num",
    "fmt_stat",
    "fmt_value",
    "listing",
    "pct",
    "to_check_result",
    "worst_first",
]

# How many column names a one-line summary lists before it says "and N more".
_SUMMARY_COLUMNS = 10
# How many findings the details table shows (all of them are in the JSON report).
_DETAIL_ROWS = 8


@dataclass(frozen=True)
class ColumnFinding:
    """One column's result in a data check.

    Attributes
    ----------
    column : str
        Column name.
    statistic : float
        The number driving the verdict: a distance (drift), a fraction of rows (missing,
        unseen, range), a Holm-adjusted p-value (drift tests) or 0/1 (schema). ``nan`` when it
        could not be computed (the finding is then flagged and ``detail`` says why).
    threshold : float or None
        The limit ``statistic`` is compared with (``alpha`` for tests); ``None`` for schema.
    flagged : bool
        Whether this column fails the check.
    detail : str
        Human-readable explanation, e.g. ``"3 of 1000 rows (0.3%) missing"``.
    kind : {"numeric", "categorical"}
        The column kind used.
    p_value, p_adjusted : float or None
        Raw and Holm-adjusted p-values (drift: of the tests, or of "within tolerance" for the
        distances, one-sided).
    low, high : float or None
        The statistic's confidence interval (drift distances).
    state : str or None
        Drift: ``"drifted"``, ``"within"``, ``"undecided"`` or ``"not measurable"``.
    """

    column: str
    statistic: float
    threshold: float | None
    flagged: bool
    detail: str
    kind: str
    p_value: float | None = None
    p_adjusted: float | None = None
    low: float | None = None
    high: float | None = None
    state: str | None = None


@dataclass(frozen=True)
class DataCheckResult:
    """The outcome of one data check over a set of columns.

    Attributes
    ----------
    check : str
        ``"drift"``, ``"missing_values"``, ``"unseen_categories"``, ``"range"`` or ``"schema"``.
    passed : bool
        ``True`` iff no finding is flagged.
    findings : tuple of ColumnFinding
        Every column examined, worst first (flagged columns before the others).
    summary : str
        One line, e.g. ``"2 of 14 columns drifted (psi > 0.2): age 0.31, hours_per_week 0.25"``.
    n_reference, n_test : int or None
        Row counts of the frames compared (``None`` where there is no such frame).
    verdict : {"PASS", "FAIL", "INCONCLUSIVE"} or None
        Set by checks with a three-way outcome (drift); else ``passed`` decides.
    evidence, level, rule, interval_method : str, float, str, str or None
        Drift: the rule applied (``"three-way"``, ``"strict"``, ``"lenient"``, ``"point"``), the
        intervals' level, the rule in words and how the intervals were computed.
    """

    check: str
    passed: bool
    findings: tuple[ColumnFinding, ...]
    summary: str
    n_reference: int | None = None
    n_test: int | None = None
    verdict: str | None = None
    evidence: str | None = None
    level: float | None = None
    rule: str | None = None
    interval_method: str | None = None


# --------------------------------------------------------------------------------------------
# Formatting
# --------------------------------------------------------------------------------------------


def pct(fraction: float) -> str:
    return f"{100.0 * fraction:.3g}%"


def fmt_num(x: float) -> str:
    return f"{x:.4g}"


def fmt_value(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def fmt_stat(x: float) -> str:
    return "n/a" if np.isnan(x) else f"{x:.3g}"


def listing(parts: Sequence[str]) -> str:
    shown = ", ".join(parts[:_SUMMARY_COLUMNS])
    more = len(parts) - _SUMMARY_COLUMNS
    return f"{shown}, and {more} more" if more > 0 else shown


def worst_first(
    findings: Iterable[ColumnFinding], *, higher_is_worse: bool = True
) -> tuple[ColumnFinding, ...]:
    def key(f: ColumnFinding) -> tuple[bool, bool, float, str]:
        missing = bool(np.isnan(f.statistic))
        severity = -f.statistic if higher_is_worse else f.statistic
        # Flagged first; among them, not-computable ones first (they need attention);
        # then by severity, then by name for a stable order.
        return (not f.flagged, not missing, 0.0 if missing else severity, f.column)

    return tuple(sorted(findings, key=key))


# --------------------------------------------------------------------------------------------
# The gate's CheckResult
# --------------------------------------------------------------------------------------------


def to_check_result(
    gate: Any,
    res: DataCheckResult,
    rule: str,
    advice: str,
    inconclusive_advice: str | None = None,
) -> CheckResult:
    """The gate's verdict on a data check: the worst column drives estimate and threshold.

    ``rule`` is the one-line rule shown in the details; ``advice`` the "next" line shown when
    a column is flagged, ``inconclusive_advice`` the one shown when the check is INCONCLUSIVE.
    """
    findings = list(res.findings)
    flagged = [f for f in findings if f.flagged]
    worst = findings[0] if findings else None
    rows = [("check", gate.config.check), ("rule", rule)]
    if res.n_reference is not None:
        rows.append(("rows", f"test {res.n_test}, reference {res.n_reference}"))
    elif res.n_test is not None:
        rows.append(("rows", str(res.n_test)))
    for f in findings[:_DETAIL_ROWS]:
        mark = "FLAGGED " if f.flagged else ""
        rows.append((f.column, f"{mark}{f.detail}"))
    if len(findings) > _DETAIL_ROWS:
        rows.append(
            ("...", f"{len(findings) - _DETAIL_ROWS} more columns (all in the JSON report)")
        )
    if flagged:
        rows.append(("next", advice))
    elif res.verdict == "INCONCLUSIVE" and inconclusive_advice:
        rows.append(("next", inconclusive_advice))
    if res.verdict is not None:
        verdict = Verdict(res.verdict)
    else:
        verdict = Verdict.PASS if res.passed else Verdict.FAIL
    interval = None
    if worst is not None and worst.low is not None and worst.high is not None:
        interval = Interval(
            worst.low, worst.high, res.level or 0.95, res.interval_method or "bootstrap"
        )
    threshold = None
    if worst is not None and worst.threshold is not None:
        # tests (ks, chi2) flag a column when its adjusted p-value falls *below* alpha
        is_test = getattr(gate.config, "method", None) in ("ks", "chi2")
        threshold = Threshold(min=worst.threshold) if is_test else Threshold(max=worst.threshold)
    fields = gate_fields(gate)
    if res.evidence is not None:
        fields["evidence"] = res.evidence
    return CheckResult(
        verdict=verdict,
        message=f"{verdict.value}: {res.summary}",
        details=details_table(rows),
        estimate=float(worst.statistic) if worst is not None else None,
        interval=interval,
        threshold=threshold,
        rule=rule,
        n=res.n_test,
        p_value=worst.p_value if worst is not None else None,
        p_adjusted=worst.p_adjusted if worst is not None else None,
        groups=tuple(
            GroupValue(
                f.column,
                res.n_test or 0,
                {"statistic": float(f.statistic)}
                | (
                    {"low": f.low, "high": f.high}
                    if f.low is not None and f.high is not None
                    else {}
                ),
                flagged=f.flagged,
                detail=f.detail,
            )
            for f in findings
        ),
        **fields,
    )
