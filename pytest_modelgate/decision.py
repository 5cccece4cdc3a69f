"""CheckResults → one release decision (pure).

``block``: a blocking gate failed (or errored) → exit status 1, the merge is blocked.
``review``: a review gate failed → a person must approve (shadow deployment with a human).
``canary``: everything passed, but the candidate is not shown better than the baseline on the
primary metric (the Δ interval reaches 0 or below).
``promote``: everything passed (and, with a baseline comparison, the candidate is shown better).
INCONCLUSIVE results follow ``stats.inconclusive``: ``fail`` counts them as failures of their
gate's severity, ``warn`` (default) keeps the release from being promoted automatically (at most
``review``), ``pass`` ignores them. A gate that could not be evaluated (ERROR) blocks when its
severity is ``block`` and asks for review otherwise. Promotion needs at least one passing gate.
A decision over a subset of the gates (``-k``/``-m``) is *partial* and never reads ``promote``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from pytest_modelgate.results import CheckResult, Verdict

__all__ = ["Decision", "decide"]

OUTCOMES = ("promote", "canary", "review", "block")


@dataclass(frozen=True)
class Decision:
    """The release decision and why."""

    outcome: str
    reasons: tuple[str, ...]
    summary: dict[str, int]
    partial: bool = False
    missing: tuple[str, ...] = field(default_factory=tuple)

    warnings: bool = False
    canary_plan: dict[str, object] | None = None  # decision.canary_plan's result, when canary

    @property
    def exit_code(self) -> int:
        return 1 if self.outcome == "block" else 0

    def exit_code_for(self, fail_on: str = "block") -> int:
        """Exit status under ``--modelgate-fail-on``: ``block`` (default), ``review`` (also
        review), ``warn`` (also any warning: a failed warn gate or an inconclusive one)."""
        if fail_on == "warn":
            return 1 if self.outcome in ("block", "review") or self.warnings else 0
        if fail_on == "review":
            return 1 if self.outcome in ("block", "review") else 0
        return self.exit_code

    def headline(self) -> str:
        """The one unmistakable line, e.g. ``DECISION: BLOCK — 2 blocking gates failed: ...``."""
        text = f"DECISION: {self.outcome.upper()}"
        if self.partial:
            text += " (partial)"
        return f"{text} — {self.reasons[0]}" if self.reasons else text

    def to_dict(self) -> dict[str, object]:
        return {
            "outcome": self.outcome,
            "reasons": list(self.reasons),
            "partial": self.partial,
            "not_run": list(self.missing),
            "exit_status": self.exit_code,
            **({"canary_plan": self.canary_plan} if self.canary_plan is not None else {}),
        }


def _label(r: CheckResult) -> str:
    return r.label


def _count(results: Sequence[CheckResult], noun: str) -> str:
    """``2 blocking gates``; with slices ``1 blocking gate (3 slices)``, or ``4 blocking gates
    (3 slices of 1 sliced gate)`` when some gates are not sliced — only slices count as such."""
    gates = len({r.id for r in results})
    text = f"{gates} {noun}{'s' if gates != 1 else ''}"
    sliced = [r for r in results if r.slice]
    if sliced:
        by = len({r.id for r in sliced})
        text += f" ({len(sliced)} slice{'s' if len(sliced) != 1 else ''}"
        text += ")" if by == gates else f" of {by} sliced gate{'s' if by != 1 else ''})"
    return text


def _list(results: Sequence[CheckResult], limit: int = 4) -> str:
    names = [_label(r) for r in results]
    more = f", … (+{len(names) - limit})" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def decide(
    results: Sequence[CheckResult],
    *,
    inconclusive: str = "warn",
    expected: Sequence[str] = (),
    primary: str | None = None,
    canary_plan: dict[str, float] | None = None,
) -> Decision:
    """Combine gate results into a :class:`Decision`.

    Parameters
    ----------
    results : every evaluated gate result (one per gate × slice).
    inconclusive : ``fail`` | ``warn`` | ``pass`` — what INCONCLUSIVE counts as.
    expected : ids of every gate in the spec; those without a result make the decision partial.
    primary : the metric whose baseline comparison decides between ``promote`` (the candidate is
        shown better: the Δ interval lies above 0) and ``canary`` (merely not worse). Without a
        baseline comparison on it, passing every gate promotes.
    canary_plan : keyword arguments of :func:`~pytest_modelgate.plan_canary` (``share``,
        ``requests_per_day``, ``label_rate``, ``max_days``): when the outcome is ``canary``, the
        days the canary needs are added to the reasons and to ``Decision.canary_plan``.
    """
    summary = Counter(r.verdict.value for r in results)
    summary_dict = {v.value: summary.get(v.value, 0) for v in Verdict}
    # what each result means for the decision
    failing = [
        r
        for r in results
        if r.verdict is Verdict.FAIL
        or (r.verdict is Verdict.INCONCLUSIVE and inconclusive == "fail")
    ]
    errored = [r for r in results if r.verdict is Verdict.ERROR]
    unsure = [r for r in results if r.verdict is Verdict.INCONCLUSIVE and inconclusive == "warn"]
    passed = [
        r
        for r in results
        if r.verdict is Verdict.PASS
        or (r.verdict is Verdict.INCONCLUSIVE and inconclusive == "pass")
    ]
    seen = {r.id for r in results}
    missing = tuple(g for g in expected if g not in seen)
    partial = bool(missing)
    reasons: list[str] = []
    planned: dict[str, object] | None = None

    def severity(group: list[CheckResult], level: str) -> list[CheckResult]:
        return [r for r in group if r.severity == level]

    block_fail, block_error = severity(failing, "block"), severity(errored, "block")
    # a gate that could not be evaluated needs a person even when its failure would only warn
    review_fail = severity(failing, "review")
    review_error = [r for r in errored if r.severity != "block"]
    warn_fail = severity(failing, "warn")

    if block_fail or block_error:
        outcome = "block"
        parts = []
        if block_fail:
            parts.append(f"{_count(block_fail, 'blocking gate')} failed: {_list(block_fail)}")
        if block_error:
            parts.append(
                f"{_count(block_error, 'blocking gate')} could not be evaluated: "
                f"{_list(block_error)}"
            )
        reasons.append("; ".join(parts))
    elif review_fail or review_error:
        outcome = "review"
        if review_fail:
            reasons.append(
                f"{len(review_fail)} review gate{'s' if len(review_fail) > 1 else ''} failed: "
                f"{_list(review_fail)} — a person must approve (shadow deployment)"
            )
        if review_error:
            reasons.append(
                f"{len(review_error)} non-blocking gate{'s' if len(review_error) > 1 else ''} "
                f"could not be evaluated: {_list(review_error)} — a person must look"
            )
    elif not passed:
        outcome = "review"
        reasons.append(
            "no gate was run"
            if not results
            else f"no gate passed: nothing was shown ({len(unsure)} inconclusive, "
            f"{len(warn_fail)} failed with severity warn)"
        )
    elif unsure:
        outcome = "review"
        reasons.append(
            f"{_count(unsure, 'gate')} inconclusive: {_list(unsure)} "
            "— too little evidence to promote automatically (stats.inconclusive: warn)"
        )
    else:
        outcome = "promote"
        n = len(results)
        reasons.append(
            f"all {n} gate result{'s' if n != 1 else ''} passed"
            if not warn_fail
            else f"every blocking and review gate passed ({n} results)"
        )
        on_primary = [
            r
            for r in results
            if r.kind == "compare"
            and r.comparison is not None
            and r.comparison.against == "baseline"
            and r.metric == primary
            and not r.slice
            and r.interval is not None
            and r.interval.is_defined
        ]
        if not on_primary and primary is not None and partial:
            # decision.primary always names a configured `compare: baseline` gate (spec check)
            reasons[-1] += (
                f" (the baseline comparison on {primary} was not among the gates run: "
                f"{len(missing)} gate{'s' if len(missing) != 1 else ''} not selected)"
            )
        elif not on_primary:
            reasons[-1] += " (no baseline comparison configured)"
        else:
            best = max(on_primary, key=lambda r: r.interval.low if r.interval else -math.inf)
            iv = best.interval
            assert iv is not None
            shown = (
                f"Δ{primary} = {best.estimate:+.4f}, {iv.level * 100:g}% CI "
                f"[{iv.low:+.4f}, {iv.high:+.4f}]"
            )
            if iv.low > 0:
                reasons[-1] += f"; the candidate is shown better than the baseline ({shown})"
            else:
                outcome = "canary"
                reasons[-1] += (
                    f"; not shown better than the baseline on {primary} ({shown}):"
                    " roll out to a small share of traffic first"
                )
                if canary_plan is not None:
                    from pytest_modelgate.plan import plan_canary

                    try:
                        plan = plan_canary(best, **canary_plan)
                    except ValueError as exc:
                        reasons.append(f"canary plan: not available ({exc})")
                    else:
                        reasons.append(plan.message)
                        planned = plan.as_dict()
    if outcome == "block" and (review_fail or review_error):
        reasons.append(f"also failed (review): {_list(review_fail + review_error)}")
    if warn_fail:
        reasons.append(f"warnings (severity warn): {_list(warn_fail)}")
    if unsure and outcome != "review":
        reasons.append(f"inconclusive: {_list(unsure)}")
    if partial:
        reasons.append(
            f"partial: {len(missing)} gate(s) not run ({', '.join(missing[:4])}"
            f"{', …' if len(missing) > 4 else ''}); a partial run cannot promote"
        )
        if outcome == "promote":
            outcome = "review"
    return Decision(
        outcome,
        tuple(reasons),
        summary_dict,
        partial,
        missing,
        warnings=bool(warn_fail or unsure),
        canary_plan=planned if outcome == "canary" else None,
    )
