"""The shadow rule: the candidate runs beside the incumbent (a model or a person), its
predictions are logged but not served, and the question is whether to move it to a canary.

One pure function judges (:func:`judge_shadow`); :func:`shadow_rows` turns the log (one row per
request: the candidate's label, the incumbent's decision, the ground truth where it has arrived,
the slice columns) into what it reads. ``check: shadow`` and
:func:`pytest_modelgate.api.shadow.check_shadow` both call :func:`shadow_check`.

What it reports, each with a fixed-sample interval at the gate's confidence:

* the **agreement** rate of candidate and incumbent (Clopper–Pearson) and **Cohen's κ**
  (Fleiss–Cohen–Everitt large-sample interval; reported, not judged);
* the **disagreement by slice** (Clopper–Pearson per slice value; reported, not judged, so no
  multiplicity correction);
* on the rows with ground truth, ``Δ = rate(candidate) − rate(incumbent)``, both on the same rows:
  the paired score interval (``tango-skew-cc``, as ``compare: baseline`` uses).

The decision, with a tolerated ``max_drop`` and an optional ``min_agreement``:

* **PASS — move to canary**: Δ's lower bound is above ``−max_drop`` and the agreement's lower
  bound is at least ``min_agreement`` (each strict: a candidate at the bar passes with
  probability about ``(1 − confidence) / 2``, measured in ``validity/shadow.py``);
* **FAIL — stay in shadow**: Δ's upper bound is below ``−max_drop`` or the agreement's upper bound
  is below ``min_agreement``;
* **INCONCLUSIVE**: neither yet; the message says roughly how many more labelled rows would
  settle Δ (and agreement rows) if the estimates stayed put.

By default the intervals are fixed-sample: they hold at ONE look. Re-running the gate as the log
grows and acting on the first PASS inflates the error; plan the number of labelled rows (the
INCONCLUSIVE message gives it) and judge once. ``anytime: true`` swaps the agreement and Δ
intervals for empirical-Bernstein confidence sequences over the rows in log order (the canary's
bounds, :func:`anytime_bounds`), which may be re-checked after every batch; κ and the slices stay
fixed-sample (reported only).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pytest_modelgate._format import fmt_num, interval_text, one_line
from pytest_modelgate.errors import DataError
from pytest_modelgate.stats.agreement import (
    AgreementTable,
    Kappa,
    agreement_interval,
    agreement_table,
    cohen_kappa,
)
from pytest_modelgate.stats.intervals import Interval, clopper_pearson_interval
from pytest_modelgate.stats.paired import paired_score_interval

__all__ = ["ShadowJudgement", "ShadowRows", "SliceDisagreement", "judge_shadow", "shadow_rows"]

_MISSING_SLICE = "(missing)"


@dataclass(frozen=True)
class ShadowRows:
    """What the rule reads from a log: the labels of both raters, and on the rows that count
    for the rate (labelled, and for recall/specificity of the right class) who was right."""

    candidate: np.ndarray  # labels, every row
    incumbent: np.ndarray
    candidate_right: np.ndarray | None  # bool, the rows counted for the rate; None w/o outcome
    incumbent_right: np.ndarray | None
    labelled: int  # rows with ground truth
    slices: dict[str, np.ndarray] = field(default_factory=dict)  # column → values, every row


@dataclass(frozen=True)
class SliceDisagreement:
    column: str
    value: str
    n: int
    disagreeing: int
    interval: Interval

    @property
    def rate(self) -> float:
        return self.disagreeing / self.n if self.n else math.nan


@dataclass(frozen=True)
class ShadowJudgement:
    """The shadow decision and the evidence behind it."""

    verdict: str  # PASS (move to canary), FAIL (stay in shadow), INCONCLUSIVE
    n: int
    table: AgreementTable
    agreement: float
    agreement_interval: Interval
    kappa: Kappa
    rate: str | None
    max_drop: float | None
    min_agreement: float | None
    delta: float | None = None
    delta_interval: Interval | None = None
    n_rate: int = 0  # labelled rows that count for the rate
    labelled: int = 0
    paired: tuple[int, int, int, int] | None = None  # both, only candidate, only incumbent, neither
    slices: tuple[SliceDisagreement, ...] = ()
    more_labelled: int | None = None  # INCONCLUSIVE on Δ: further labelled rows, roughly
    more_rows: int | None = None  # … as logged rows at the observed label rate
    more_agreement_rows: int | None = None  # INCONCLUSIVE on agreement: further rows
    reasons: tuple[str, ...] = ()

    @property
    def message(self) -> str:
        iv, kp = self.agreement_interval, self.kappa
        kiv = kp.interval
        head = (
            f"shadow agreement = {fmt_num(self.agreement)} "
            f"{interval_text(iv.low, iv.high, iv.level, iv.method)}, Cohen's κ = "
            f"{fmt_num(kp.estimate)} {interval_text(kiv.low, kiv.high, kiv.level, kiv.method)}, "
            f"n = {self.n}"
        )
        if self.rate is not None and self.delta_interval is not None:
            d = self.delta_interval
            head += (
                f"; on {self.n_rate} labelled rows {self.rate}(candidate) − "
                f"{self.rate}(incumbent) = {fmt_num(self.delta)} "
                f"{interval_text(d.low, d.high, d.level, d.method)}"
            )
        verdict = {
            "PASS": "move to canary",
            "FAIL": "stay in shadow",
            "INCONCLUSIVE": "not yet",
        }[self.verdict]
        tail = "; ".join(self.reasons)
        more = []
        if self.more_labelled is not None:
            text = f"roughly {self.more_labelled:,} more labelled rows"
            if self.more_rows is not None:
                text += f" (~{self.more_rows:,} logged rows at the current label rate)"
            more.append(text)
        if self.more_agreement_rows is not None:
            more.append(f"roughly {self.more_agreement_rows:,} more rows for the agreement")
        if more:
            tail += "; " + ", ".join(more)
        return f"{head}; {verdict}: {tail}"


def shadow_rows(
    log: pd.DataFrame,
    *,
    prediction: str,
    incumbent: str,
    outcome: str | None = None,
    rate: str = "accuracy",
    positive_label: Any = 1,
    slices: list[str] | tuple[str, ...] = (),
    source: str = "log",
) -> ShadowRows:
    """The log's columns as :class:`ShadowRows`; every problem is a :class:`DataError` naming the
    column and the bad value. An empty ``outcome`` cell means "not arrived yet"."""
    needed = [prediction, incumbent, *([outcome] if outcome else []), *slices]
    missing = [c for c in needed if c not in log.columns]
    if missing:
        raise DataError(
            f"{source}: no column {missing[0]!r} (columns: {', '.join(map(str, log.columns[:20]))})"
        )
    if len(log) == 0:
        raise DataError(f"{source}: the log has no rows")
    for column, who in ((prediction, "candidate's predictions"), (incumbent, "decisions")):
        empty = log[column].isna()
        if empty.any():
            row = int(np.flatnonzero(empty.to_numpy())[0])
            raise DataError(
                f"{source}: column {column!r} ({who}) is empty in {int(empty.sum())} rows "
                f"(first: row {row + 1}); every logged request needs both labels"
            )
    cand = log[prediction].to_numpy()
    inc = log[incumbent].to_numpy()
    cand_right = inc_right = None
    labelled = 0
    if outcome:
        known = log[outcome].notna().to_numpy()
        labelled = int(known.sum())
        y = log[outcome].to_numpy()[known]
        c, k = cand[known], inc[known]
        if rate == "accuracy":
            cand_right, inc_right = c == y, k == y
        else:
            pos = y == positive_label
            keep = pos if rate == "recall" else ~pos
            if rate == "recall":
                cand_right, inc_right = c[keep] == positive_label, k[keep] == positive_label
            else:
                cand_right, inc_right = c[keep] != positive_label, k[keep] != positive_label
        cand_right = np.asarray(cand_right, dtype=bool)
        inc_right = np.asarray(inc_right, dtype=bool)
    cut: dict[str, np.ndarray] = {}
    for column in slices:
        values = log[column]
        if pd.api.types.is_float_dtype(values) and (values.dropna() % 1 == 0).all():
            values = values.astype("Int64")  # 2, not 2.0, when empty cells made it float
        text = values.astype(str).map(one_line).to_numpy(dtype=object)
        text[values.isna().to_numpy()] = _MISSING_SLICE
        cut[column] = text
    return ShadowRows(cand, inc, cand_right, inc_right, labelled, cut)


def _more(n: int, estimate: float, low: float, high: float, bar: float) -> int | None:
    """Further rows until the interval would clear ``bar`` if the estimate stayed put (a
    fixed-sample half-width shrinks as 1/√n); ``None`` when it never would."""
    gap = abs(estimate - bar)
    half = (estimate - low) if estimate > bar else (high - estimate)
    if n == 0 or gap < 1e-12 or not half > 0 or math.isnan(gap):
        return None
    return max(math.ceil(n * (half / gap) ** 2 - n), 1)


AGREEMENT_ANYTIME = "anytime-eb"
DELTA_ANYTIME = "anytime-eb-paired"


def anytime_bounds(x: np.ndarray, confidence: float, method: str) -> Interval:
    """The running-intersection empirical-Bernstein confidence sequence of the mean of ``x``
    (in [0, 1], in log order) after all its rows, each side at ``(1 − confidence) / 2``
    (:mod:`pytest_modelgate.stats.sequential`); ``(nan, nan)`` without rows."""
    from pytest_modelgate.stats.sequential import eb_confidence_sequence

    if x.size == 0:
        return Interval(math.nan, math.nan, confidence, method)
    seq = eb_confidence_sequence(x, (1 - confidence) / 2)
    return Interval(float(seq.lower[-1]), float(seq.upper[-1]), confidence, method)


def judge_shadow(
    rows: ShadowRows,
    *,
    max_drop: float | None,
    min_agreement: float | None = None,
    rate: str | None = "accuracy",
    confidence: float = 0.95,
    anytime: bool = False,
) -> ShadowJudgement:
    """The shadow decision on :class:`ShadowRows` (see the module docstring).

    With ``anytime``, the agreement and Δ intervals are empirical-Bernstein confidence sequences
    over the rows in log order (:func:`anytime_bounds`): valid at every look, wider."""
    if max_drop is not None and not 0 <= max_drop < 1:
        raise ValueError(f"max_drop must lie in [0, 1), got {max_drop!r}")
    if max_drop is None and min_agreement is None:
        raise ValueError("give max_drop (with outcomes), min_agreement, or both")
    table = agreement_table(rows.candidate, rows.incumbent)
    n = table.n
    agree = table.agreeing / n
    if anytime:
        ag_iv = anytime_bounds(
            (rows.candidate == rows.incumbent).astype(float), confidence, AGREEMENT_ANYTIME
        )
    else:
        ag_iv = agreement_interval(table, confidence)
    kappa = cohen_kappa(table.counts, confidence)
    slices = []
    disagree = rows.candidate != rows.incumbent
    for column, values in rows.slices.items():
        codes, uniques = pd.factorize(values, sort=True)
        sizes = np.bincount(codes, minlength=len(uniques))
        off = np.bincount(codes, weights=disagree, minlength=len(uniques)).astype(int)
        for value, size, bad in zip(uniques, sizes, off, strict=True):
            slices.append(
                SliceDisagreement(
                    column,
                    str(value),
                    int(size),
                    int(bad),
                    clopper_pearson_interval(int(bad), int(size), confidence),
                )
            )
    reasons: list[str] = []
    passing: list[bool] = []
    failing: list[bool] = []
    delta = delta_iv = None
    paired = None
    n_rate = 0
    more_labelled = more_rows = more_agree = None
    if max_drop is not None:
        if rows.candidate_right is None or rows.incumbent_right is None:
            raise ValueError("max_drop needs the outcome column")
        c, k = rows.candidate_right, rows.incumbent_right
        n_rate = int(c.size)
        paired = (
            int(np.sum(c & k)),
            int(np.sum(c & ~k)),
            int(np.sum(~c & k)),
            int(np.sum(~c & ~k)),
        )
        if anytime:
            # per-row difference in {−1, 0, 1} mapped to [0, 1]: mean (Δ + 1) / 2
            half = anytime_bounds((c.astype(float) - k + 1) / 2, confidence, DELTA_ANYTIME)
            delta_iv = Interval(2 * half.low - 1, 2 * half.high - 1, confidence, DELTA_ANYTIME)
        else:
            delta_iv = paired_score_interval(*paired, confidence=confidence)
        bar = -max_drop
        if n_rate == 0:
            passing.append(False)
            failing.append(False)
            reasons.append(f"no labelled row counts for {rate} yet")
        else:
            delta = (paired[1] - paired[2]) / n_rate
            if delta_iv.low > bar:
                passing.append(True)
                failing.append(False)
                reasons.append(f"the candidate is shown at most {max_drop:g} worse")
            elif delta_iv.high < bar:
                passing.append(False)
                failing.append(True)
                reasons.append(f"the candidate is shown more than {max_drop:g} worse")
            else:
                passing.append(False)
                failing.append(False)
                reasons.append(f"the {rate} difference still straddles −{max_drop:g}")
                more_labelled = _more(n_rate, delta, delta_iv.low, delta_iv.high, bar)
                if more_labelled is not None and n_rate:
                    # labelled rows counting for the rate per logged row, so far
                    more_rows = math.ceil(more_labelled * n / n_rate)
    if min_agreement is not None:
        if ag_iv.low >= min_agreement:
            passing.append(True)
            failing.append(False)
            reasons.append(f"agreement shown at least {min_agreement:g}")
        elif ag_iv.high < min_agreement:
            passing.append(False)
            failing.append(True)
            reasons.append(f"agreement shown below {min_agreement:g}")
        else:
            passing.append(False)
            failing.append(False)
            reasons.append(f"agreement not yet shown at least {min_agreement:g}")
            more_agree = _more(n, agree, ag_iv.low, ag_iv.high, min_agreement)
    if any(failing):
        verdict = "FAIL"
    elif all(passing):
        verdict = "PASS"
    else:
        verdict = "INCONCLUSIVE"
    if verdict != "INCONCLUSIVE":
        more_labelled = more_rows = more_agree = None
    return ShadowJudgement(
        verdict=verdict,
        n=n,
        table=table,
        agreement=agree,
        agreement_interval=ag_iv,
        kappa=kappa,
        rate=rate if max_drop is not None else None,
        max_drop=max_drop,
        min_agreement=min_agreement,
        delta=delta,
        delta_interval=delta_iv,
        n_rate=n_rate,
        labelled=rows.labelled,
        paired=paired,
        slices=tuple(slices),
        more_labelled=more_labelled,
        more_rows=more_rows,
        more_agreement_rows=more_agree,
        reasons=tuple(reasons),
    )


def shadow_check(gate: Any, inputs: Any) -> Any:
    """The ``check: shadow`` gate: read the log, judge it, and report it as a
    :class:`~pytest_modelgate.results.CheckResult`. The YAML runner and
    :func:`pytest_modelgate.check_shadow` both call it."""
    from pytest_modelgate._format import aligned_table
    from pytest_modelgate.checks.common import gate_fields
    from pytest_modelgate.results import CheckResult, Threshold, Verdict

    cfg = gate.config
    where = inputs.where("gates", gate.index, "log")
    if inputs.read_table is None:  # pragma: no cover - both shells provide it
        raise DataError(f"{where}: no way to read the log here")
    log = inputs.read_table(cfg.log, where)
    rows = shadow_rows(
        log,
        prediction=cfg.prediction,
        incumbent=cfg.incumbent,
        outcome=cfg.outcome,
        rate=cfg.rate,
        positive_label=cfg.positive_label,
        slices=cfg.slices or (),
        source=where,
    )
    confidence = cfg.confidence or inputs.stats.confidence
    judged = judge_shadow(
        rows,
        max_drop=cfg.max_drop,
        min_agreement=cfg.min_agreement,
        rate=cfg.rate,
        confidence=confidence,
        anytime=cfg.anytime,
    )
    lines: list[tuple[str, str]] = []
    if judged.paired is not None:
        both, only_c, only_i, neither = judged.paired
        lines.append(
            (
                f"labelled ({cfg.rate})",
                f"{judged.n_rate} rows of {judged.labelled} labelled: both right {both}, only "
                f"the candidate {only_c}, only the incumbent {only_i}, neither {neither}",
            )
        )
    for s in judged.slices:
        lines.append(
            (
                f"{one_line(s.column)} = {s.value}",
                f"disagreement {fmt_num(s.rate)} [{fmt_num(s.interval.low)}, "
                f"{fmt_num(s.interval.high)}]  n = {s.n}",
            )
        )
    details = aligned_table(lines) if lines else ""
    if judged.delta_interval is not None:
        estimate, interval = judged.delta, judged.delta_interval
        threshold = Threshold(min=-cfg.max_drop)
        n = judged.n_rate
    else:
        estimate, interval = judged.agreement, judged.agreement_interval
        threshold = Threshold(min=cfg.min_agreement)
        n = judged.n
    rule = []
    if cfg.max_drop is not None:
        rule.append(f"{cfg.rate}(candidate) − {cfg.rate}(incumbent) >= −{cfg.max_drop:g}")
    if cfg.min_agreement is not None:
        rule.append(f"agreement >= {cfg.min_agreement:g}")
    return CheckResult(
        **gate_fields(gate, evidence="anytime" if cfg.anytime else "strict"),
        verdict=Verdict(judged.verdict),
        message=judged.message,
        estimate=estimate,
        interval=interval,
        threshold=threshold,
        rule=" and ".join(rule)
        + (
            " (strict, anytime-valid; move to canary)"
            if cfg.anytime
            else " (strict; move to canary)"
        ),
        n=n,
        details=details,
        notes=(
            f"decision: {'move to canary' if judged.verdict == 'PASS' else 'stay in shadow'}",
            "anytime-valid intervals (log order): may be re-checked after every batch"
            if cfg.anytime
            else "fixed-sample intervals: judge once at a planned size, not after every batch",
        ),
    )
