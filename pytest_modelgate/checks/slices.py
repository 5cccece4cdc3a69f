"""Several slices of one gate: one verdict, with the multiplicity done right (docs/architecture.md).

- ``strict``: the gate passes only if **every** slice passes — an intersection–union test, valid
  at each slice's own level without any correction (to pass, every slice must show it).
- ``lenient``: the gate fails if **any** slice shows a violation — a union of tests, so the
  slices' one-sided p-values are Holm-adjusted to keep the chance of a false block at
  (1 − confidence)/2. Each p-value inverts the interval the slice shows, so a slice's FAIL is
  always backed by its own interval lying wholly beyond the bar (and with one slice the rule is
  the interval rule):

  * binomial metrics (accuracy, recall, ...) under ``interval: auto`` are judged with the
    **exact binomial tail** and shown with the Clopper–Pearson interval that tail inverts
    (:data:`LENIENT_SLICE_INTERVAL`). The score test behind Wilson's interval is not valid in
    Holm's far tail: 10 slices × 50 rows at accuracy 0.95 falsely failed 11.2% of models at
    the bar, 0.75% with the exact tail (the exact family-wise rate, computed by enumeration);
    mid-p tails reach 3–4% in many cells (e.g. 4.2% for 2 slices × 20 rows at 0.97);
  * every other interval is inverted on its own scale with its half-width on the bar's side
    (logit scale for DeLong-logit), so p < (1 − confidence)/2 exactly when the interval lies
    beyond the bar — never from counting resamples, whose p-value cannot go below 1/B.
- ``point``: every slice's point estimate must meet the bar; no test, no correction.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
from scipy import special

from pytest_modelgate.results import CheckResult, MetricResult, Verdict
from pytest_modelgate.stats import holm_adjust

__all__ = [
    "LENIENT_SLICE_INTERVAL",
    "combine_slices",
    "detectable_effect",
    "one_sided_p",
    "test_name",
    "worst_verdict",
]

#: The interval (and test) of binomial metrics in lenient slices under ``interval: auto``: the
#: exact binomial tail is valid at Holm's small per-slice levels, where Wilson's score test is not.
LENIENT_SLICE_INTERVAL = "clopper-pearson"

_ORDER = {Verdict.PASS: 0, Verdict.INCONCLUSIVE: 1, Verdict.FAIL: 2, Verdict.ERROR: 3}


def worst_verdict(results: list[CheckResult]) -> Verdict:
    return max((r.verdict for r in results), key=_ORDER.__getitem__, default=Verdict.PASS)


def _z(level: float) -> float:
    return float(special.ndtri(0.5 + level / 2))


def _logit(x: float) -> float:
    x = min(max(x, 1e-12), 1 - 1e-12)
    return math.log(x / (1 - x))


def _binomial_p(est: MetricResult, bound: float, below: bool) -> float | None:
    """Exact binomial tail of the slice's successes at ``bound``: P(X ≤ x) for a ``min`` bar
    (``below``), P(X ≥ x) for a ``max`` bar — the test the Clopper–Pearson interval inverts."""
    trials = est.support
    if not trials:
        return None
    successes = est.value * trials
    x = round(successes)
    if abs(successes - x) > 1e-6 * trials:  # not a count: no binomial tail to take
        return None
    p0 = min(max(bound, 0.0), 1.0)
    if below:
        return float(special.bdtr(x, trials, p0))
    return 1.0 if x == 0 else float(special.bdtrc(x - 1, trials, p0))


def _z_stat(est: MetricResult, bound: float, below: bool) -> float:
    """Standardised distance of the estimate from ``bound`` on the interval's own scale, with
    the interval's half-width on the bar's side (``below``: a ``min`` bar, the upper end);
    negative when the estimate lies on the violating side."""
    iv = est.interval
    sign = 1.0 if below else -1.0
    if iv.method == "wilson" and est.support:
        p0 = min(max(bound, 1e-12), 1 - 1e-12)  # the score test that Wilson's interval inverts
        return sign * (est.value - p0) / math.sqrt(p0 * (1 - p0) / est.support)
    z = _z(iv.level)
    if iv.method == "delong-logit" and 0 < bound < 1 and iv.low > 0 and iv.high < 1:
        centre, end, at = _logit(est.value), _logit(iv.high if below else iv.low), _logit(bound)
    else:
        centre, end, at = est.value, iv.high if below else iv.low, bound
    half = abs(end - centre)
    if half == 0:  # the interval ends at the estimate on this side
        return -math.inf if sign * (centre - at) < 0 else math.inf
    return sign * (centre - at) / (half / z)


def test_name(est: MetricResult) -> str:
    """The test behind :func:`one_sided_p` for this slice's interval, in words."""
    method = est.interval.method
    if method == "clopper-pearson":
        return "exact binomial"
    if method == "wilson":
        return "score test"
    if method == "delong-logit":
        return "DeLong, logit scale"
    return f"normal, from the {method} interval"


def one_sided_p(est: MetricResult, lo: float | None, hi: float | None) -> float | None:
    """p-value of the evidence that the metric violates the bar (small = clear violation).

    For ``min``: H0 "metric ≥ min" against "metric < min"; for ``max`` the mirror; with both
    bounds, the smaller p doubled (Bonferroni within the slice). The test inverts the slice's
    interval: the exact binomial tail for Clopper–Pearson, the score test for Wilson, otherwise
    a normal test on the interval's scale with its half-width on the bar's side — so that
    ``p < (1 − level)/2`` exactly when the interval lies wholly beyond the bar.
    """
    iv = est.interval
    if math.isnan(est.value) or not iv.is_defined:
        return None
    ps = []
    for bound, below in ((lo, True), (hi, False)):
        if bound is None:
            continue
        if iv.method == "clopper-pearson":
            p = _binomial_p(est, bound, below)
        else:
            p = float(special.ndtr(_z_stat(est, bound, below)))
        if p is not None:
            ps.append(p)
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
    for r, e, p, padj in zip(results, estimates, raw, adjusted, strict=True):
        if p is None:
            out.append(r)
            continue
        fails = bool(padj < alpha)
        rule = f"lenient, Holm over {k} slices: fail iff the adjusted one-sided p < {alpha:g}"
        text = (
            f"p = {p:.3g} (raw, {test_name(e)}), {padj:.3g} (Holm-adjusted over {k} slices; "
            f"fails below {alpha:g})"
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
