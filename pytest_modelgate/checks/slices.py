"""Several slices of one gate: one verdict, with the multiplicity done right (docs/architecture.md).

- ``strict``: the gate passes only if **every** slice passes — an intersection–union test, valid
  at each slice's own level without any correction (to pass, every slice must show it).
- ``lenient``: the gate fails if **any** slice shows a violation — a union of tests, so the
  slices' one-sided p-values are Holm-adjusted to keep the chance of a false block at
  (1 − confidence)/2. p-values come from analytic tests (the score test behind Wilson's
  interval, DeLong on the logit scale, normal tests) or from a z on the bootstrap standard error
  — never from counting resamples, whose p-value cannot go below 1/B.
- ``point``: every slice's point estimate must meet the bar; no test, no correction.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
from scipy import special

from pytest_modelgate.results import CheckResult, MetricResult, Verdict
from pytest_modelgate.stats import holm_adjust

__all__ = ["combine_slices", "detectable_effect", "one_sided_p", "worst_verdict"]

_ORDER = {Verdict.PASS: 0, Verdict.INCONCLUSIVE: 1, Verdict.FAIL: 2, Verdict.ERROR: 3}


def worst_verdict(results: list[CheckResult]) -> Verdict:
    return max((r.verdict for r in results), key=_ORDER.__getitem__, default=Verdict.PASS)


def _z(level: float) -> float:
    return float(special.ndtri(0.5 + level / 2))


def _logit(x: float) -> float:
    x = min(max(x, 1e-12), 1 - 1e-12)
    return math.log(x / (1 - x))


def _z_stat(est: MetricResult, bound: float) -> float | None:
    """Standardised distance of the estimate from ``bound`` on the interval's own scale."""
    iv = est.interval
    if math.isnan(est.value) or not iv.is_defined:
        return None
    if iv.method in ("wilson", "clopper-pearson") and est.support:
        p0 = min(max(bound, 1e-12), 1 - 1e-12)  # the score test that Wilson's interval inverts
        return (est.value - p0) / math.sqrt(p0 * (1 - p0) / est.support)
    if iv.method == "delong-logit" and 0 < bound < 1 and iv.low > 0 and iv.high < 1:
        se = (_logit(iv.high) - _logit(iv.low)) / (2 * _z(iv.level))
        return (_logit(est.value) - _logit(bound)) / se if se > 0 else None
    se = iv.width / (2 * _z(iv.level))
    return (est.value - bound) / se if se > 0 else None


def one_sided_p(est: MetricResult, lo: float | None, hi: float | None) -> float | None:
    """p-value of the evidence that the metric violates the bar (small = clear violation).

    For ``min``: H0 "metric ≥ min" against "metric < min"; for ``max`` the mirror; with both
    bounds, the smaller p doubled (Bonferroni within the slice).
    """
    ps = []
    if lo is not None:
        z = _z_stat(est, lo)
        if z is not None:
            ps.append(float(special.ndtr(z)))
    if hi is not None:
        z = _z_stat(est, hi)
        if z is not None:
            ps.append(float(special.ndtr(-z)))
    if not ps:
        return None
    return min(1.0, len(ps) * min(ps))


def detectable_effect(est: MetricResult, power: float = 0.8) -> float | None:
    """Smallest distance from the bar that a slice of this size shows with ``power`` (80%):
    (z_{1−α/2} + z_power) × standard error."""
    iv = est.interval
    if not iv.is_defined or iv.width <= 0:
        return None
    z = _z(iv.level)
    return float((z + special.ndtri(power)) * iv.width / (2 * z))


def combine_slices(
    results: list[CheckResult],
    estimates: list[MetricResult],
    *,
    evidence: str,
    lo: float | None,
    hi: float | None,
    level: float,
) -> list[CheckResult]:
    """Apply the gate's multiplicity rule across its slices; returns the updated results."""
    if evidence != "lenient":
        note = (
            "intersection–union: every slice must pass at its own "
            f"{level * 100:g}% level; no correction needed"
            if evidence == "strict"
            else "point: every slice's estimate must meet the bar"
        )
        return [replace(r, notes=(*r.notes, note)) for r in results]
    alpha = (1 - level) / 2
    raw = [
        one_sided_p(
            e,
            r.threshold.min if r.threshold else lo,
            r.threshold.max if r.threshold else hi,
        )
        if r.verdict in (Verdict.PASS, Verdict.FAIL)
        else None
        for r, e in zip(results, estimates, strict=True)
    ]
    defined = np.array([np.nan if p is None else p for p in raw], dtype=float)
    adjusted = holm_adjust(defined)
    out = []
    k = int(np.sum(~np.isnan(defined)))
    for r, p, padj in zip(results, raw, adjusted, strict=True):
        if p is None:
            out.append(r)
            continue
        fails = bool(padj < alpha)
        rule = f"lenient, Holm over {k} slices: fail iff the adjusted one-sided p < {alpha:g}"
        text = (
            f"p = {p:.3g} (raw), {padj:.3g} (Holm-adjusted over {k} slices; fails below {alpha:g})"
        )
        verdict = Verdict.FAIL if fails else Verdict.PASS
        word = "FAIL" if fails else "PASS"
        body = r.message.split(": ", 1)[1] if ": " in r.message else r.message
        out.append(
            replace(
                r,
                verdict=verdict,
                p_value=p,
                p_adjusted=float(padj),
                rule=rule,
                message=f"{word}: {body}; {text}",
                notes=(
                    *r.notes,
                    f"raw level {alpha:g} per slice; Holm keeps the "
                    f"family-wise level at {alpha:g} over {k} slices",
                ),
            )
        )
    return out
