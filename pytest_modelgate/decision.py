"""CheckResults → one release decision (pure).

``block``: a blocking gate failed (or errored) → exit status 1, the merge is blocked.
``review``: a review gate failed → a person must approve (shadow deployment with a human).
``canary``: everything passed, but the candidate is not shown better than a baseline.
``promote``: everything passed (and, with a baseline, the candidate is shown better).
INCONCLUSIVE results count as failures, warnings or passes according to ``stats.inconclusive``.
A decision over a subset of the gates (``-k``/``-m``) is *partial* and never reads ``promote``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from .results import CheckResult, Verdict

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

    @property
    def exit_code(self) -> int:
        return 1 if self.outcome == "block" else 0

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
        }


def _label(r: CheckResult) -> str:
    return r.id if not r.slice else f"{r.id}[{', '.join(f'{k}={v}' for k, v in r.slice.items())}]"


def _list(results: Sequence[CheckResult], limit: int = 4) -> str:
    names = [_label(r) for r in results]
    more = f", … (+{len(names) - limit})" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def decide(
    results: Sequence[CheckResult],
    *,
    inconclusive: str = "warn",
    expected: Sequence[str] = (),
    has_baseline: bool = False,
) -> Decision:
    """Combine gate results into a :class:`Decision`.

    Parameters
    ----------
    results : every evaluated gate result (one per gate × slice).
    inconclusive : ``fail`` | ``warn`` | ``pass`` — what INCONCLUSIVE counts as.
    expected : ids of every gate in the spec; those without a result make the decision partial.
    has_baseline : whether a baseline comparison was configured (without one, passing every
        absolute gate promotes).
    """
    summary = Counter(r.verdict.value for r in results)
    summary_dict = {v.value: summary.get(v.value, 0) for v in Verdict}
    failing = [
        r
        for r in results
        if r.verdict in (Verdict.FAIL, Verdict.ERROR)
        or (r.verdict is Verdict.INCONCLUSIVE and inconclusive == "fail")
    ]
    warnings = [r for r in results if r.verdict is Verdict.INCONCLUSIVE and inconclusive == "warn"]
    seen = {r.id for r in results}
    missing = tuple(g for g in expected if g not in seen)
    partial = bool(missing)
    reasons: list[str] = []

    by_severity = {s: [r for r in failing if r.severity == s] for s in ("block", "review", "warn")}
    if by_severity["block"]:
        blocked = by_severity["block"]
        outcome = "block"
        errored = [r for r in blocked if r.verdict is Verdict.ERROR]
        failed = [r for r in blocked if r.verdict is not Verdict.ERROR]
        parts = []
        if failed:
            noun = "gate" if len(failed) == 1 else "gates"
            parts.append(f"{len(failed)} blocking {noun} failed: {_list(failed)}")
        if errored:
            noun = "gate" if len(errored) == 1 else "gates"
            parts.append(f"{len(errored)} blocking {noun} could not be evaluated: {_list(errored)}")
        reasons.append("; ".join(parts))
    elif by_severity["review"]:
        outcome = "review"
        rv = by_severity["review"]
        reasons.append(
            f"{len(rv)} review gate{'s' if len(rv) > 1 else ''} failed: {_list(rv)}"
            " — a person must approve (shadow deployment)"
        )
    else:
        outcome = "promote"
        n = len(results)
        if n == 0:
            reasons.append("no gate was run")
        else:
            reasons.append(
                f"all {n} gate result{'s' if n != 1 else ''} passed"
                if not failing and not warnings
                else f"no blocking or review gate failed ({n} results)"
            )
            if not has_baseline:
                reasons[-1] += " (no baseline comparison configured)"
    if by_severity["review"] and outcome == "block":
        reasons.append(f"also failed (review): {_list(by_severity['review'])}")
    if by_severity["warn"]:
        reasons.append(f"warnings (severity warn): {_list(by_severity['warn'])}")
    if warnings:
        reasons.append(f"inconclusive (counted as warnings): {_list(warnings)}")
    if partial:
        reasons.append(
            f"partial: {len(missing)} gate(s) not run ({', '.join(missing[:4])}"
            f"{', …' if len(missing) > 4 else ''}); a partial run cannot promote"
        )
        if outcome == "promote":
            outcome = "review"
    return Decision(outcome, tuple(reasons), summary_dict, partial, missing)
