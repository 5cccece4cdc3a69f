"""Size a canary from the offline comparison: how many days at a traffic share until the
canary's anytime-valid interval (``check: canary``) would settle what the offline gate left open.

When the offline decision is ``canary`` the candidate passed its non-inferiority gate but was not
shown better than the baseline. :func:`plan_canary` takes that comparison and asks: if the live
difference equals the offline estimate Δ̂, after how many days at ``share`` of
``requests_per_day``, with ``label_rate`` of them labelled, would the canary's interval

* clear the gate's bar (``Δ > −max_drop``: the canary gate would **promote**), and
* exclude 0 (the candidate shown **better**), when Δ̂ > 0?

The widths are those the canary check's confidence sequences would have
(:func:`pytest_modelgate.stats.cs_width.expected_half_width`, the same union bound: each arm at
``(1 − confidence) / 4``), with the arms' variances ``p(1 − p)`` at the offline rates; the days
are found by bisection. It is a plan at the point estimate, not a promise: a live Δ nearer the
bar takes longer, and a Δ̂ at the bar never settles.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from pytest_modelgate.stats.cs_width import expected_half_width

__all__ = ["CanaryPlan", "plan_canary"]

RATES = ("accuracy", "recall", "specificity", "precision")


@dataclass(frozen=True)
class CanaryPlan:
    """The days (and labelled rows per arm) a canary needs; ``None`` days = not within
    ``max_days`` (or never, at this estimate)."""

    metric: str
    delta: float
    bar: float
    share: float
    requests_per_day: float
    label_rate: float
    confidence: float
    canary_rows_per_day: float
    control_rows_per_day: float
    days_to_promote: float | None
    days_to_show_better: float | None
    max_days: float

    def rows(self, days: float | None) -> tuple[int, int] | None:
        if days is None:
            return None
        return (
            math.ceil(days * self.canary_rows_per_day),
            math.ceil(days * self.control_rows_per_day),
        )

    @property
    def message(self) -> str:
        """One line for the terminal summary."""

        def when(days: float | None) -> str:
            if days is None:
                return f"not within {self.max_days:g} days"
            c, _ = self.rows(days) or (0, 0)
            return f"~{math.ceil(days)} days ({c:,} labelled canary rows)"

        head = (
            f"canary plan: at {self.share:.0%} of {self.requests_per_day:,.0f} requests/day with "
            f"{self.label_rate:.0%} labelled, if Δ{self.metric} stays at the offline "
            f"{self.delta:+.4f}, the canary's anytime-valid interval clears {self.bar:+g} "
            f"after {when(self.days_to_promote)}"
        )
        if self.delta > 0:
            head += f" and shows the candidate better after {when(self.days_to_show_better)}"
        return head

    def as_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "delta": self.delta,
            "bar": self.bar,
            "share": self.share,
            "requests_per_day": self.requests_per_day,
            "label_rate": self.label_rate,
            "confidence": self.confidence,
            "days_to_promote": self.days_to_promote,
            "days_to_show_better": self.days_to_show_better,
            "max_days": self.max_days,
        }


def _days(
    gap: float,
    var_c: float,
    var_k: float,
    per_day_c: float,
    per_day_k: float,
    a: float,
    max_days: float,
) -> float | None:
    """The fewest days after which both arms' margins together fit in ``gap`` (bisection)."""
    if not gap > 0:
        return None

    def width(days: float) -> float:
        return expected_half_width(days * per_day_c, var_c, a) + expected_half_width(
            days * per_day_k, var_k, a
        )

    if width(max_days) > gap:
        return None
    low, high = 0.0, max_days
    for _ in range(60):
        mid = (low + high) / 2
        if width(mid) <= gap:
            high = mid
        else:
            low = mid
        if high - low < 1e-3:
            break
    return high


def plan_canary(
    comparison: Any,
    *,
    share: float,
    requests_per_day: float,
    label_rate: float,
    confidence: float = 0.95,
    max_days: float = 365.0,
) -> CanaryPlan:
    """Days at ``share`` of traffic until a canary would settle the offline comparison.

    Parameters
    ----------
    comparison : CheckResult
        A ``compare: baseline`` result on a per-request rate (accuracy, recall, specificity,
        precision): its Δ̂, its bar (``−max_drop``) and the two rates.
    share : float
        The canary's share of traffic, in (0, 1); the control gets the rest.
    requests_per_day : float
        Requests per day (both arms).
    label_rate : float
        The share of requests whose outcome arrives AND counts for the rate (for recall: the
        labelled positives), in (0, 1].
    confidence : float
        The canary gate's confidence (default 0.95).
    max_days : float
        Search horizon (default 365).
    """
    cmp = getattr(comparison, "comparison", None)
    if cmp is None or getattr(comparison, "kind", None) != "compare":
        raise ValueError("plan_canary() needs a compare gate's result (compare: baseline)")
    metric = str(cmp.metric)
    if metric not in RATES:
        raise ValueError(
            f"plan_canary(): {metric!r} is not a per-request rate a canary can judge "
            f"(allowed: {', '.join(RATES)})"
        )
    for name, value, lo, hi in (
        ("share", share, 0.0, 1.0),
        ("label_rate", label_rate, 0.0, 1.0 + 1e-12),
        ("confidence", confidence, 0.5, 1.0),
    ):
        if not lo < value < hi:
            raise ValueError(
                f"plan_canary(): {name} must lie in ({lo:g}, {min(hi, 1):g}] (got {value!r})"
            )
    if not requests_per_day > 0 or not max_days > 0:
        raise ValueError("plan_canary(): requests_per_day and max_days must be positive")
    threshold = getattr(comparison, "threshold", None)
    bar = float(threshold.min) if threshold is not None and threshold.min is not None else 0.0
    delta = float(cmp.delta)
    p_c = min(max(float(cmp.candidate), 0.0), 1.0)
    p_k = min(max(float(cmp.baseline), 0.0), 1.0)
    a = (1 - confidence) / 4
    per_c = requests_per_day * share * label_rate
    per_k = requests_per_day * (1 - share) * label_rate
    args = (p_c * (1 - p_c), p_k * (1 - p_k), per_c, per_k, a, max_days)
    return CanaryPlan(
        metric=metric,
        delta=delta,
        bar=bar,
        share=share,
        requests_per_day=requests_per_day,
        label_rate=label_rate,
        confidence=confidence,
        canary_rows_per_day=per_c,
        control_rows_per_day=per_k,
        days_to_promote=_days(delta - bar, *args),
        days_to_show_better=_days(delta, *args) if delta > 0 else None,
        max_days=max_days,
    )
