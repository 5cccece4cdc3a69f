"""The canary rule: the candidate's live traffic against the control arm's, judged with
anytime-valid bounds so that it may be re-checked after every batch.

One pure function does the judging (:func:`judge_canary`); :func:`canary_outcomes` turns logged
traffic (one row per served request: the arm, the outcome, the model's prediction, optionally a
time) into the per-row observations in [0, 1] the rule reads. The Python API
(:func:`pytest_modelgate.api.canary.check_canary`) calls both.

Decisions, with ``Δ = metric(canary) − metric(control)`` and a tolerated ``max_drop``:

* **promote** (PASS): the anytime-valid lower bound of Δ is above ``−max_drop``;
* **rollback** (FAIL): the upper bound is below ``−max_drop`` — the canary is shown worse than
  the tolerated margin;
* **continue** (INCONCLUSIVE): neither yet; the result says roughly how many more rows (and days,
  when a time column gives the traffic rate) would settle it at the current estimate.

The bounds are running intersections, so once reached a decision does not flip at later looks,
and a truly-at-the-margin canary is promoted at ANY look with probability at most
``(1 − confidence) / 2`` (``validity/sequential.py`` measures it; see
:mod:`pytest_modelgate.stats.sequential` for the bound).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from pytest_modelgate._format import fmt_num, interval_text
from pytest_modelgate.errors import DataError
from pytest_modelgate.stats.intervals import Interval
from pytest_modelgate.stats.sequential import (
    DifferenceBounds,
    difference_sequence,
    eb_confidence_sequence,
)

__all__ = [
    "CANARY_METRICS",
    "CanaryJudgement",
    "Look",
    "canary_outcomes",
    "judge_canary",
]

# metric → (which rows count, what a row scores); every one is "higher is better" in [0, 1]
CANARY_METRICS: dict[str, str] = {
    "accuracy": "share of requests whose prediction equals the outcome",
    "recall": "share of positive outcomes predicted positive",
    "specificity": "share of negative outcomes predicted negative",
    "precision": "share of positive predictions whose outcome is positive",
    "outcome_mean": "mean of the outcome itself, in [0, 1] (e.g. conversion; higher is better)",
}
METHOD = "anytime-eb-union"
Decision = Literal["promote", "continue", "rollback"]
_VERDICT = {"promote": "PASS", "continue": "INCONCLUSIVE", "rollback": "FAIL"}


@dataclass(frozen=True)
class Look:
    """The anytime-valid interval of Δ after one batch (a day, or the whole log)."""

    label: str
    bounds: DifferenceBounds


@dataclass(frozen=True)
class CanaryJudgement:
    """The canary decision and the evidence behind it."""

    decision: Decision
    metric: str
    max_drop: float
    estimate: float
    interval: Interval
    n_canary: int
    n_control: int
    looks: tuple[Look, ...] = ()
    more_rows: int | None = None  # continue: further rows (both arms) needed, roughly
    more_days: float | None = None  # … and in days at the observed traffic rate
    decided_at: str | None = None  # the first look at which the decision was reached
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def verdict(self) -> str:
        """PASS (promote), FAIL (rollback) or INCONCLUSIVE (continue)."""
        return _VERDICT[self.decision]

    @property
    def message(self) -> str:
        """One line for a CI log."""
        iv = self.interval
        head = (
            f"canary {self.metric} − control = {fmt_num(self.estimate)}, anytime-valid "
            f"{interval_text(iv.low, iv.high, iv.level, METHOD)}, "
            f"n = {self.n_canary} canary / {self.n_control} control"
        )
        bar = f"−{fmt_num(self.max_drop)}"
        if self.decision == "promote":
            return f"{head}; promote: the lower bound clears {bar}" + (
                f" (since {self.decided_at})" if self.decided_at else ""
            )
        if self.decision == "rollback":
            return f"{head}; rollback: the upper bound is below {bar}" + (
                f" (since {self.decided_at})" if self.decided_at else ""
            )
        more = ""
        if self.more_rows is not None:
            more = f"; roughly {self.more_rows:,} more rows"
            if self.more_days is not None:
                more += f" (~{self.more_days:.1f} days at the current traffic)"
        return f"{head}; continue: the interval still straddles {bar}{more}"


def canary_outcomes(
    traffic: pd.DataFrame,
    *,
    arm: str,
    outcome: str,
    prediction: str | None,
    metric: str,
    canary: Any = "canary",
    control: Any = "control",
    positive_label: Any = 1,
    time: str | None = None,
    source: str = "traffic",
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Per-row observations in [0, 1] of each arm, in arrival order, and their times.

    Returns ``(x_canary, x_control, t_canary, t_control)``; the times are ``None`` without a
    ``time`` column. Rows that do not count for the metric (e.g. negatives for ``recall``) are
    left out. Every problem is a :class:`DataError` naming the column and the bad value."""
    if metric not in CANARY_METRICS:
        allowed = ", ".join(CANARY_METRICS)
        raise DataError(f"{source}: metric {metric!r} is not a canary metric (allowed: {allowed})")
    needed = (
        [arm, outcome]
        + ([prediction] if metric != "outcome_mean" else [])
        + ([time] if time else [])
    )
    missing = [c for c in needed if c is None or c not in traffic.columns]
    if missing:
        raise DataError(
            f"{source}: no column {missing[0]!r} "
            f"(columns: {', '.join(map(str, traffic.columns[:20]))})"
        )
    frame = traffic
    if time:
        if pd.api.types.is_numeric_dtype(frame[time]) or pd.api.types.is_bool_dtype(frame[time]):
            raise DataError(
                f"{source}: column {time!r} holds numbers, not times; give ISO 8601 text "
                "(2026-11-29T08:00:00Z) or a datetime column"
            )
        stamps = pd.to_datetime(frame[time], errors="coerce", utc=True, format="mixed")
        if stamps.isna().any():
            bad = frame[time][stamps.isna()].iloc[0]
            raise DataError(f"{source}: column {time!r} has a value that is not a time: {bad!r}")
        order = np.argsort(stamps.to_numpy(), kind="stable")
        frame = frame.iloc[order]
        stamps = stamps.iloc[order]
    arms = frame[arm]
    known = arms.isin([canary, control])
    if not known.all():
        bad = arms[~known].iloc[0]
        raise DataError(
            f"{source}: column {arm!r} holds {bad!r}; every row must be {canary!r} (canary) "
            f"or {control!r} (control)"
        )
    if frame[outcome].isna().any():
        raise DataError(f"{source}: column {outcome!r} has missing outcomes")
    if metric == "outcome_mean":
        values = pd.to_numeric(frame[outcome], errors="coerce").to_numpy(dtype=float)
        if np.isnan(values).any() or (values < 0).any() or (values > 1).any():
            raise DataError(
                f"{source}: outcome_mean needs outcomes in [0, 1] in column {outcome!r}"
            )
        keep = np.ones(len(frame), dtype=bool)
    else:
        assert prediction is not None
        if frame[prediction].isna().any():
            raise DataError(f"{source}: column {prediction!r} has missing predictions")
        y = (frame[outcome] == positive_label).to_numpy()
        p = (frame[prediction] == positive_label).to_numpy()
        if metric == "accuracy":
            keep = np.ones(len(frame), dtype=bool)
            values = (frame[outcome].to_numpy() == frame[prediction].to_numpy()).astype(float)
        elif metric == "recall":
            keep, values = y, p.astype(float)
        elif metric == "specificity":
            keep, values = ~y, (~p).astype(float)
        else:  # precision
            keep, values = p, y.astype(float)
    is_canary = (arms == canary).to_numpy()
    # UTC as naive datetime64[ns]: sortable, searchable
    times = stamps.dt.tz_localize(None).to_numpy(dtype="datetime64[ns]") if time else None

    def pick(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        rows = mask & keep
        return values[rows], (times[rows] if times is not None else None)

    xc, tc = pick(is_canary)
    xk, tk = pick(~is_canary)
    return xc, xk, tc, tk


def _looks(
    tc: np.ndarray | None, tk: np.ndarray | None, nc: int, nk: int, look_every: str | None
) -> list[tuple[str, int, int]]:
    """(label, rows of the canary arm, rows of the control arm) at each look."""
    if tc is None or tk is None or look_every is None:
        return [("all rows", nc, nk)]
    step = int(pd.Timedelta(pd.tseries.frequencies.to_offset(look_every)).value)  # ns
    ns = np.concatenate([tc, tk]).astype("datetime64[ns]").astype(np.int64)
    starts = np.unique(ns // step * step).astype("datetime64[ns]")  # periods since the epoch
    ends = starts + np.timedelta64(step, "ns")
    at_c = np.searchsorted(tc, ends, side="left")
    at_k = np.searchsorted(tk, ends, side="left")
    return [
        (str(pd.Timestamp(start).isoformat()), int(a), int(b))
        for start, a, b in zip(starts, at_c, at_k, strict=True)
    ]


def judge_canary(
    x_canary: np.ndarray,
    x_control: np.ndarray,
    *,
    metric: str,
    max_drop: float,
    confidence: float = 0.95,
    t_canary: np.ndarray | None = None,
    t_control: np.ndarray | None = None,
    look_every: str | None = "1D",
) -> CanaryJudgement:
    """The canary decision on per-row observations (see the module docstring).

    ``x_canary``/``x_control`` are in arrival order; with times, the looks are the ends of each
    ``look_every`` period (a pandas offset, daily by default) and the result lists them."""
    if not 0 <= max_drop < 1:
        raise ValueError(f"max_drop must lie in [0, 1), got {max_drop!r}")
    if not 0.5 <= confidence < 1:
        raise ValueError(f"confidence must lie in [0.5, 1), got {confidence!r}")
    alpha_arm = (1 - confidence) / 4  # one side, split between the two arms
    arm_c = eb_confidence_sequence(x_canary, alpha_arm)
    arm_k = eb_confidence_sequence(x_control, alpha_arm)
    nc, nk = int(x_canary.size), int(x_control.size)
    looks = [
        Look(label, difference_sequence(arm_c, arm_k, a, b, confidence))
        for label, a, b in _looks(t_canary, t_control, nc, nk, look_every)
    ]
    final = difference_sequence(arm_c, arm_k, nc, nk, confidence)
    bar = -max_drop
    decision: Decision
    if final.lower > bar:
        decision = "promote"
    elif final.upper < bar:
        decision = "rollback"
    else:
        decision = "continue"
    decided_at = None
    if decision != "continue":
        for look in looks:
            hit = look.bounds.lower > bar if decision == "promote" else look.bounds.upper < bar
            if hit:
                decided_at = look.label
                break
    more_rows = more_days = None
    notes: list[str] = []
    if decision == "continue":
        more_rows, more_days = _more_traffic(
            final, bar, x_canary, x_control, alpha_arm, t_canary, t_control
        )
        if nc == 0 or nk == 0:
            notes.append("one arm has no rows that count for this metric yet")
    interval = Interval(final.lower, final.upper, confidence, METHOD)
    return CanaryJudgement(
        decision=decision,
        metric=metric,
        max_drop=max_drop,
        estimate=final.estimate,
        interval=interval,
        n_canary=nc,
        n_control=nk,
        looks=tuple(looks),
        more_rows=more_rows,
        more_days=more_days,
        decided_at=decided_at,
        notes=tuple(notes),
    )


def _more_traffic(
    final: DifferenceBounds,
    bar: float,
    x_canary: np.ndarray,
    x_control: np.ndarray,
    alpha_arm: float,
    t_canary: np.ndarray | None,
    t_control: np.ndarray | None,
) -> tuple[int | None, float | None]:
    """Rows (and days) until the interval would exclude the bar if the estimate stayed put.

    The same sizing as the canary plan (:mod:`pytest_modelgate.plan`): the expected margin of
    each arm's confidence sequence (:func:`~pytest_modelgate.stats.cs_width.expected_half_width`,
    log factor included) at the arms' observed variances and split, bisected on the total rows
    until the two margins fit between the estimate and the bar. A guide, not a promise."""
    from pytest_modelgate.stats.cs_width import expected_half_width

    nc, nk = final.n_canary, final.n_control
    n = nc + nk
    if nc == 0 or nk == 0 or math.isnan(final.estimate):
        return None, None
    gap = abs(final.estimate - bar)
    if gap < 1e-12:
        return None, None
    share = nc / n
    var_c = min(float(np.var(x_canary)), 0.25)
    var_k = min(float(np.var(x_control)), 0.25)

    def width(total: float) -> float:
        return expected_half_width(total * share, var_c, alpha_arm) + expected_half_width(
            total * (1 - share), var_k, alpha_arm
        )

    low, high = float(n), float(n) * 1e4
    if width(high) > gap:
        return None, None  # not within 10,000 times the traffic so far
    while high - low > max(1.0, 1e-4 * low):
        mid = (low + high) / 2
        low, high = (low, mid) if width(mid) <= gap else (mid, high)
    more = max(math.ceil(high - n), 1)
    days = None
    if t_canary is not None and t_control is not None:
        stamps = np.concatenate([t_canary, t_control])
        span = (stamps.max() - stamps.min()) / np.timedelta64(1, "D") if stamps.size > 1 else 0
        if span > 0:
            days = more / (n / float(span))
    return more, days


def canary_check(gate: Any, inputs: Any) -> Any:
    """The ``check: canary`` gate: read the traffic, judge it, and report it as a
    :class:`~pytest_modelgate.results.CheckResult` (PASS = promote, INCONCLUSIVE = continue,
    FAIL = rollback). The YAML runner and :func:`pytest_modelgate.check_canary` both call it."""
    from pytest_modelgate._format import aligned_table
    from pytest_modelgate.checks.common import gate_fields
    from pytest_modelgate.results import CheckResult, Threshold, Verdict

    cfg = gate.config
    where = inputs.where("gates", gate.index, "traffic")
    if inputs.read_table is None:  # pragma: no cover - both shells provide it
        raise DataError(f"{where}: no way to read the traffic here")
    traffic = inputs.read_table(cfg.traffic, where)
    xc, xk, tc, tk = canary_outcomes(
        traffic,
        arm=cfg.arm,
        outcome=cfg.outcome,
        prediction=cfg.prediction,
        metric=cfg.rate,
        canary=cfg.canary_arm,
        control=cfg.control_arm,
        positive_label=cfg.positive_label,
        time=cfg.time,
        source=where,
    )
    confidence = cfg.confidence or inputs.stats.confidence
    judged = judge_canary(
        xc,
        xk,
        metric=cfg.rate,
        max_drop=cfg.max_drop,
        confidence=confidence,
        t_canary=tc,
        t_control=tk,
        look_every=cfg.look_every if cfg.time else None,
    )
    rows = [
        (
            look.label,
            f"Δ = {fmt_num(look.bounds.estimate)}  "
            f"[{fmt_num(look.bounds.lower)}, {fmt_num(look.bounds.upper)}]  "
            f"n = {look.bounds.n_canary} / {look.bounds.n_control}",
        )
        for look in judged.looks[-10:]
    ]
    details = ""
    if judged.decision != "promote":
        shown = "" if len(judged.looks) <= 10 else f" (last 10 of {len(judged.looks)})"
        details = f"  looks{shown}: anytime-valid Δ interval, canary / control rows\n" + (
            aligned_table(rows, indent="    ")
        )
    return CheckResult(
        **gate_fields(gate, evidence="anytime"),
        verdict=Verdict(judged.verdict),
        message=judged.message,
        estimate=judged.estimate,
        interval=judged.interval,
        threshold=Threshold(min=-cfg.max_drop),
        rule=f"canary {cfg.rate} − control >= −{cfg.max_drop:g} (anytime-valid, {METHOD})",
        n=judged.n_canary + judged.n_control,
        details=details,
        notes=(f"decision: {judged.decision}", *judged.notes),
    )
