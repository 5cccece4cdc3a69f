"""Compare gates: the threshold rules applied to Δ, the oriented candidate − baseline difference.

``max_drop``/``max_relative_drop``/``min_gain`` become a lower bound on Δ, ``max_gain`` an upper
bound; the rule (strict/lenient/point) and the messages are those of threshold gates.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from pytest_modelgate._format import fmt_num
from pytest_modelgate.checks.threshold import check_threshold
from pytest_modelgate.estimates.metrics import Metric
from pytest_modelgate.results import CheckResult, ComparisonResult, MetricResult

__all__ = ["check_comparison", "delta_bounds"]


def delta_bounds(margins: Any, baseline_value: float) -> tuple[float | None, float | None]:
    """(lower, upper) bounds on Δ from a gate's margins (an object with max_drop,
    max_relative_drop, min_gain, max_gain attributes). A relative drop of an undefined
    baseline value has no bound and is left out (:func:`check_comparison` makes the gate
    INCONCLUSIVE, saying why)."""
    lows = []
    if margins.max_drop is not None:
        lows.append(-margins.max_drop)
    if margins.max_relative_drop is not None and math.isfinite(baseline_value):
        lows.append(-margins.max_relative_drop * abs(baseline_value))
    if margins.min_gain is not None:
        lows.append(margins.min_gain)
    return (max(lows) if lows else None), margins.max_gain


def check_comparison(
    metric: Metric,
    cmp: ComparisonResult,
    margins: Any,
    *,
    evidence: str,
    min_support: int,
    **common: Any,
) -> tuple[CheckResult, MetricResult]:
    """Verdict of a comparison under the gate's margins; also returns Δ as a MetricResult
    (what the slice rules and the detectable effect work on)."""
    against, source = cmp.against, cmp.source
    lo, hi = delta_bounds(margins, cmp.baseline)
    direction = (
        "higher is better"
        if metric.higher_is_better
        else f"{metric.name} is a loss: baseline − candidate, so higher is better"
    )
    # Δ's support (the positives for Δrecall, the smaller class for ΔROC AUC) goes through the
    # threshold rule's one min_support check, so its INCONCLUSIVE message names the count
    est = MetricResult(
        f"Δ{metric.name}",
        cmp.delta,
        cmp.interval,
        cmp.n,
        note=cmp.note,
        support=cmp.support,
        support_label=cmp.support_label,
    )
    if margins.max_relative_drop is not None and not math.isfinite(cmp.baseline):
        # "required >= nan" used to be printed (and NaN written into JUnit): say why instead
        est = replace(
            est,
            estimate=float("nan"),
            note=(
                f"the {against}'s {metric.name} is undefined on these rows, so "
                f"max_relative_drop {margins.max_relative_drop:g} has no bound; use max_drop "
                "(an absolute margin)"
            ),
        )
    pairing = "paired (same rows)" if cmp.paired else "UNPAIRED (stored numbers only)"
    extra = [
        ("candidate", fmt_num(cmp.candidate)),
        (against, f"{fmt_num(cmp.baseline)}  [{source}]"),
        ("Δ", f"candidate vs {against}, {direction}"),
        (
            "pairing",
            f"{pairing}; test {cmp.test}"
            + (f", p = {cmp.p_value:.4g}" if cmp.p_value is not None else ""),
        ),
    ]
    advice = (
        (
            f"the candidate is worse than the {against} on {metric.name}: compare the rows "
            "where the two disagree before releasing; widen the margin only if the business "
            "accepts that loss"
        )
        if hi is None or (lo is not None and cmp.delta < lo)
        else (
            f"the gain over the {against} is suspiciously large (label leakage? a changed "
            "test set?): check before releasing"
        )
    )
    comparison = replace(cmp, orientation=direction)
    result = check_threshold(
        estimate=est,
        lo=lo,
        hi=hi,
        evidence=evidence,
        min_support=min_support,
        kind="compare",
        metric_name=metric.name,
        extra_rows=extra,
        p_value=cmp.p_value,
        comparison=comparison,
        fail_advice=advice,
        **common,
    )
    return result, est
