"""What every ``check:`` gate's result shares: the gate's identity fields and the details table."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from pytest_modelgate._format import aligned_table
from pytest_modelgate.results import Verdict
from pytest_modelgate.stats import Interval, clopper_pearson_interval

__all__ = ["CheckRule", "RateJudgement", "details_table", "gate_fields", "judge_rate"]


def gate_fields(gate: Any, evidence: str = "point") -> dict[str, Any]:
    """The :class:`~pytest_modelgate.results.CheckResult` fields that come from the gate
    (``evidence``: the rule that judged it; ``point`` for a statistic against a threshold)."""
    return {
        **gate.result_fields(),
        "metric": gate.config.check,
        "evidence": evidence,
    }


def details_table(rows: list[tuple[str, str]]) -> str:
    """``rows`` as an aligned two-column table, two spaces indented (the failure details)."""
    return aligned_table(rows)


@dataclass(frozen=True)
class CheckRule:
    """How a check gate turns its evidence into a verdict: the gate's own ``evidence``,
    ``confidence`` and ``min_support``, else the spec's ``stats:`` defaults."""

    evidence: str
    confidence: float
    min_support: int

    @classmethod
    def of(cls, gate: Any, stats: Any) -> CheckRule:
        cfg = gate.config
        return cls(
            evidence=cfg.evidence or stats.evidence,
            confidence=cfg.confidence or stats.confidence,
            min_support=cfg.min_support or stats.min_support,
        )


@dataclass(frozen=True)
class RateJudgement:
    """The verdict on a share of rows (``count`` of ``n``) against ``share <= limit``."""

    verdict: Verdict
    share: float
    interval: Interval
    rule: str
    reason: str  # why INCONCLUSIVE ("" otherwise)


def judge_rate(count: int, n: int, limit: float, rule: CheckRule, subject: str) -> RateJudgement:
    """``share of <subject> <= limit`` (``subject``: "perturbed rows whose prediction
    changed"), judged on the exact (Clopper–Pearson) interval.

    * ``limit == 0`` is zero tolerance: PASS iff no row does it, whatever the evidence rule
      (no interval can show a rate is exactly 0; one offending row already shows it is not).
    * otherwise ``strict`` passes iff the upper bound is ``<= limit``, ``lenient`` fails iff the
      lower bound is ``> limit``, ``point`` compares the observed share.
    * fewer than ``min_support`` rows (or none) is INCONCLUSIVE — unless the evidence already
      shows a failure (the lenient rule fails).

    Clopper–Pearson is exact: each one-sided error is at most ``(1 - confidence) / 2`` at any
    ``n`` (these rates sit near 0, where the Wilson bound errs).
    """
    iv = (
        clopper_pearson_interval(count, n, rule.confidence)
        if n
        else Interval(math.nan, math.nan, rule.confidence, "clopper-pearson")
    )
    share = count / n if n else math.nan
    level = f"{rule.confidence:.0%}"
    if limit == 0:
        text = f"share of {subject} = 0 (zero tolerance)"
        failed, shown = count > 0, count > 0
    elif rule.evidence == "strict":
        text = f"share of {subject} <= {limit:g} (strict: upper {level} bound)"
        failed, shown = not iv.high <= limit, iv.low > limit
    elif rule.evidence == "lenient":
        text = f"share of {subject} <= {limit:g} (lenient: lower {level} bound)"
        failed = shown = iv.low > limit
    else:
        text = f"share of {subject} <= {limit:g} (point estimate)"
        failed, shown = share > limit, iv.low > limit
    if n < rule.min_support and not shown:
        reason = (
            f"only {n} row{'s' if n != 1 else ''} to judge (min_support = {rule.min_support})"
            if n
            else "no rows to judge"
        )
        return RateJudgement(Verdict.INCONCLUSIVE, share, iv, text, reason)
    return RateJudgement(Verdict.FAIL if failed else Verdict.PASS, share, iv, text, "")
