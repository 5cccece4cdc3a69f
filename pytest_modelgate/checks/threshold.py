"""Threshold gates: ``metric`` with ``min`` and/or ``max`` under a strict/lenient/point rule.

The rules (docs/architecture.md, "The statistical contract"), for ``min`` (``max`` mirrors them):

- ``strict``: PASS iff the interval's lower end is ≥ min: the model has *shown* it meets the bar
  (a one-sided test at level (1 − confidence)/2).
- ``lenient``: FAIL iff the interval's upper end is < min: fail only on evidence of a violation.
- ``point``: compare the point estimate; the interval is still reported.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from pytest_modelgate._format import aligned_table, bar_text, fmt_num
from pytest_modelgate.results import CheckResult, ComparisonResult, MetricResult, Threshold, Verdict

__all__ = [
    "ADVICE_POWER",
    "check_threshold",
    "rows_needed",
    "rows_needed_wilson",
    "rule_text",
    "wilson_power",
]


def rule_text(evidence: str, lo: float | None, hi: float | None, level: float) -> str:
    """Human words for the rule, e.g. ``strict: lower 95% bound >= 0.88``."""
    pct = f"{level * 100:g}%"
    parts = []
    if evidence == "strict":
        if lo is not None:
            parts.append(f"lower {pct} bound >= {lo:g}")
        if hi is not None:
            parts.append(f"upper {pct} bound <= {hi:g}")
    elif evidence == "lenient":
        if lo is not None:
            parts.append(f"upper {pct} bound >= {lo:g}")
        if hi is not None:
            parts.append(f"lower {pct} bound <= {hi:g}")
    else:
        if lo is not None:
            parts.append(f"estimate >= {lo:g}")
        if hi is not None:
            parts.append(f"estimate <= {hi:g}")
    return f"{evidence}: " + " and ".join(parts)


#: The power at which sample-size advice is given ("about N rows would show it with 80% power").
ADVICE_POWER = 0.8


def rows_needed(
    estimate: float,
    bound: float,
    threshold: float,
    n: int,
    level: float = 0.95,
    power: float = ADVICE_POWER,
) -> float:
    """Rows with which a metric whose true value equals ``estimate`` would clear ``threshold``
    with probability ``power`` (normal approximation).

    The interval's bound sits z = z_{(1+level)/2} standard errors from the estimate, so the
    standard error is se = |estimate − bound| / z; it shrinks as 1/√n, and the bound clears the
    threshold with probability ``power`` once (z + z_power) · se' ≤ |estimate − threshold|:
    n' = n · ((z + z_power) · se / |estimate − threshold|)² — the report's ``detectable``
    distance, solved for n. Infinite when the estimate sits on the threshold.
    """
    from scipy import special

    gap = abs(estimate - threshold)
    if gap == 0:
        return math.inf
    z = float(special.ndtri(0.5 + level / 2))
    se = abs(estimate - bound) / z
    return n * ((z + float(special.ndtri(power))) * se / gap) ** 2


def wilson_power(
    p: float, threshold: float, m: int, level: float, lower: bool, method: str = "wilson"
) -> float:
    """Exact probability that the Wilson (or, with ``method="clopper-pearson"``, the
    Clopper–Pearson) interval of X ~ Binomial(m, p) clears ``threshold`` (its lower end ≥
    threshold when ``lower``, else its upper end ≤ threshold)."""
    from scipy import special

    from pytest_modelgate.stats import clopper_pearson_interval, wilson_interval

    interval = clopper_pearson_interval if method == "clopper-pearson" else wilson_interval

    def clears(k: int) -> bool:
        iv = interval(k, m, level)
        return iv.low >= threshold if lower else iv.high <= threshold

    # both intervals' bounds increase with k: find the first (lower) / last (upper) clearing count
    lo, hi = 0, m
    if lower:
        if not clears(m):
            return 0.0
        while lo < hi:
            mid = (lo + hi) // 2
            if clears(mid):
                hi = mid
            else:
                lo = mid + 1
        return float(special.bdtrc(lo - 1, m, p)) if lo > 0 else 1.0
    if not clears(0):
        return 0.0
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if clears(mid):
            lo = mid
        else:
            hi = mid - 1
    return float(special.bdtr(lo, m, p))


def rows_needed_wilson(
    p: float,
    threshold: float,
    trials: int,
    n: int,
    level: float,
    lower: bool,
    power: float = ADVICE_POWER,
    method: str = "wilson",
) -> float:
    """Rows with which a proportion whose true value is ``p`` would clear ``threshold`` with
    probability ``power``, from the exact binomial distribution of the counts and the interval
    itself (``method``: ``wilson`` or ``clopper-pearson``; near 0 or 1 the normal rule is off
    by up to threefold). ``trials`` is the denominator now, among ``n`` rows; the answer is
    scaled to rows."""
    if (lower and p <= threshold) or (not lower and p >= threshold) or trials <= 0:
        return math.inf

    def enough(m: int) -> bool:
        return wilson_power(p, threshold, m, level, lower, method) >= power

    hi = max(trials, 2)
    while not enough(hi):
        hi *= 2
        if hi > 10**9:
            return math.inf
    lo = 1  # invariant: hi has the power
    while hi - lo > max(1, hi // 1000):
        mid = (lo + hi) // 2
        if enough(mid):
            hi = mid
        else:
            lo = mid
    return n * hi / trials


def _rows_needed(estimate: MetricResult, bound: float, threshold: float) -> float:
    iv = estimate.interval
    if iv.method in ("wilson", "clopper-pearson") and estimate.support:
        return rows_needed_wilson(
            estimate.value,
            threshold,
            estimate.support,
            estimate.n,
            iv.level,
            lower=bound < estimate.value,
            method=iv.method,
        )
    return rows_needed(estimate.value, bound, threshold, estimate.n, iv.level)


def _verdict(
    evidence: str, est: float, low: float, high: float, lo: float | None, hi: float | None
) -> bool:
    """True when the rule passes."""
    ok = True
    if evidence == "strict":
        if lo is not None:
            ok &= low >= lo
        if hi is not None:
            ok &= high <= hi
    elif evidence == "lenient":
        if lo is not None:
            ok &= high >= lo
        if hi is not None:
            ok &= low <= hi
    else:
        if lo is not None:
            ok &= est >= lo
        if hi is not None:
            ok &= est <= hi
    return bool(ok)


def check_threshold(
    *,
    gate_id: str,
    name: str,
    estimate: MetricResult,
    lo: float | None,
    hi: float | None,
    evidence: str,
    min_support: int,
    severity: str,
    line: int | None = None,
    spec_file: str | None = None,
    slice_: dict[str, Any] | None = None,
    kind: str = "metric",
    metric_name: str | None = None,
    extra_rows: Sequence[tuple[str, str]] = (),
    p_value: float | None = None,
    comparison: ComparisonResult | None = None,
    fail_advice: str | None = None,
) -> CheckResult:
    """Verdict of a threshold rule on one estimate (pure; no I/O).

    Baseline comparisons use the same rules on Δ (``kind="compare"``): ``estimate`` is then the
    oriented difference, ``metric_name`` the underlying metric, ``extra_rows`` the candidate and
    baseline values and the pairing, ``p_value`` the paired test's.
    """
    iv = estimate.interval
    level = iv.level
    rule = rule_text(evidence, lo, hi, level)
    threshold = Threshold(lo, hi)
    base: dict[str, Any] = {
        "id": gate_id,
        "name": name,
        "kind": kind,
        "severity": severity,
        "line": line,
        "spec_file": spec_file,
        "metric": metric_name or estimate.metric,
        "p_value": p_value,
        "comparison": comparison,
        "slice": slice_,
        "estimate": estimate.value,
        "interval": iv,
        "threshold": threshold,
        "rule": rule,
        "evidence": evidence,
        "n": estimate.n,
        "notes": (estimate.note,) if estimate.note else (),
    }
    bar = bar_text(lo, hi)
    measured = (
        f"{estimate.metric} = {fmt_num(estimate.value)}, {level * 100:g}% CI "
        f"[{fmt_num(iv.low)}, {fmt_num(iv.high)}] ({iv.method}), n = {estimate.n}"
    )
    table_rows = [
        ("metric", estimate.metric),
        ("estimate", fmt_num(estimate.value)),
        ("interval", f"[{fmt_num(iv.low)}, {fmt_num(iv.high)}]  {level * 100:g}% {iv.method}"),
        (
            "n",
            f"{estimate.n}"
            + (
                f" ({estimate.support_label})"
                if estimate.support_label.startswith("positives")
                else f" ({estimate.support} {estimate.support_label})"
                if estimate.support is not None and estimate.support != estimate.n
                else ""
            ),
        ),
        *extra_rows,
        ("required", bar),
        ("rule", rule),
    ]

    def table(extra: list[tuple[str, str]]) -> str:
        return aligned_table(table_rows + extra)

    if estimate.n < min_support:
        msg = f"INCONCLUSIVE: only {estimate.n} rows (min_support = {min_support}); {measured}"
        details = table(
            [
                (
                    "next",
                    f"evaluate on at least {min_support} rows, or lower "
                    "min_support if that is really enough",
                )
            ]
        )
        return CheckResult(verdict=Verdict.INCONCLUSIVE, message=msg, details=details, **base)
    if (
        estimate.support is not None
        and estimate.support < min_support
        and not math.isnan(estimate.value)
    ):
        # the rows that carry the information: a rate's denominator (positives for recall), or
        # the smaller class of a ranking metric (ROC AUC with 5 positives among 1000 rows)
        ranking = estimate.support_label.startswith("positives")
        where = (
            f"the smaller class of {estimate.metric} ({estimate.support_label})"
            if ranking
            else f"{estimate.metric}'s denominator"
        )
        msg = (
            f"INCONCLUSIVE: only {estimate.support} rows in {where} "
            f"(min_support = {min_support}); {measured}"
        )
        details = table(
            [
                (
                    "next",
                    "more rows of the smaller class are needed to judge a ranking metric"
                    if ranking
                    else "more rows of this kind (e.g. positives for recall) are needed to "
                    "judge this rate",
                )
            ]
        )
        return CheckResult(verdict=Verdict.INCONCLUSIVE, message=msg, details=details, **base)
    # the point rule needs only the estimate; the others need the interval too
    if math.isnan(estimate.value) or (evidence != "point" and not iv.is_defined):
        why = estimate.note or f"{estimate.metric} is undefined on these rows"
        msg = f"INCONCLUSIVE: {why}; n = {estimate.n}"
        details = table(
            [
                (
                    "next",
                    "check the labels and predictions of the test data "
                    "(e.g. both classes present, at least one predicted positive)",
                )
            ]
        )
        return CheckResult(verdict=Verdict.INCONCLUSIVE, message=msg, details=details, **base)

    passed = _verdict(evidence, estimate.value, iv.low, iv.high, lo, hi)
    if passed:
        return CheckResult(
            verdict=Verdict.PASS, message=f"PASS: {measured}; {rule}", details=table([]), **base
        )

    # what to do next
    point_ok = _verdict("point", estimate.value, iv.low, iv.high, lo, hi)
    advice: list[tuple[str, str]] = []
    if evidence == "strict" and point_ok:
        # the estimate meets the bar but the interval does not clear it: more rows would help
        needs = []
        if lo is not None and iv.low < lo:
            needs.append(_rows_needed(estimate, iv.low, lo))
        if hi is not None and iv.high > hi:
            needs.append(_rows_needed(estimate, iv.high, hi))
        need = max(needs) if needs else math.inf
        if math.isfinite(need):
            advice.append(
                (
                    "why",
                    f"the estimate meets the bar, but the {level * 100:g}% "
                    "interval does not clear it: the evidence is too thin",
                )
            )
            advice.append(
                (
                    "next",
                    f"about {math.ceil(need - 1e-6):,} rows would show it with "
                    f"{ADVICE_POWER:.0%} power (now {estimate.n:,}); or use evidence: lenient "
                    "to fail only on evidence of a violation",
                )
            )
        else:
            advice.append(
                (
                    "next",
                    "the estimate sits on the threshold; no sample size will "
                    "show it clears the bar",
                )
            )
        summary = (
            f"{estimate.metric} = {fmt_num(estimate.value)} meets {bar}, but its "
            f"{level * 100:g}% CI [{fmt_num(iv.low)}, {fmt_num(iv.high)}] does not clear it "
            f"(n = {estimate.n}); {rule}"
        )
    else:
        advice.append(
            (
                "next",
                fail_advice
                or f"improve the model on {estimate.metric} (or find the rows it "
                "gets wrong); change the threshold only if the requirement changed",
            )
        )
        summary = f"{measured}; required {bar} ({rule})"
    return CheckResult(
        verdict=Verdict.FAIL, message=f"FAIL: {summary}", details=table(advice), **base
    )
