"""Decision rules and threshold verdicts (pure functions)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from pytest_modelgate.checks.threshold import (
    check_threshold,
    rows_needed,
    rows_needed_wilson,
    rule_text,
    wilson_power,
)
from pytest_modelgate.decision import decide
from pytest_modelgate.results import (
    CheckResult,
    ComparisonResult,
    GroupValue,
    MetricResult,
    Threshold,
    Verdict,
)
from pytest_modelgate.stats import Interval, wilson_interval


def result(gate_id: str, verdict: Verdict, severity: str = "block") -> CheckResult:
    return CheckResult(
        id=gate_id,
        name=gate_id,
        kind="metric",
        severity=severity,
        verdict=verdict,
        message=str(verdict),
    )


def test_block_review_promote():
    assert decide([result("a", Verdict.PASS)]).outcome == "promote"
    d = decide(
        [result("a", Verdict.PASS), result("b", Verdict.FAIL), result("c", Verdict.FAIL, "review")]
    )
    assert d.outcome == "block" and d.exit_code == 1
    assert d.headline() == "DECISION: BLOCK — 1 blocking gate failed: b"
    assert "also failed (review): c" in d.reasons
    d = decide([result("a", Verdict.PASS), result("c", Verdict.FAIL, "review")])
    assert d.outcome == "review" and d.exit_code == 0
    d = decide([result("a", Verdict.PASS), result("w", Verdict.FAIL, "warn")])
    assert d.outcome == "promote" and any("warn" in r for r in d.reasons)


def test_errors_block_or_ask_for_review():
    assert decide([result("a", Verdict.PASS), result("e", Verdict.ERROR)]).outcome == "block"
    d = decide([result("a", Verdict.PASS), result("e", Verdict.ERROR, "warn")])
    assert d.outcome == "review" and "could not be evaluated: e" in d.reasons[0]


def test_inconclusive_follows_the_policy_and_never_promotes_by_default():
    inc = [result("a", Verdict.PASS), result("i", Verdict.INCONCLUSIVE)]
    assert decide(inc, inconclusive="fail").outcome == "block"
    warned = decide(inc, inconclusive="warn")
    assert warned.outcome == "review" and "1 gate inconclusive: i" in warned.reasons[0]
    assert decide(inc, inconclusive="pass").outcome == "promote"


def test_nothing_shown_never_promotes():
    d = decide([result("i", Verdict.INCONCLUSIVE), result("w", Verdict.FAIL, "warn")])
    assert d.outcome == "review"
    assert (
        d.reasons[0] == "no gate passed: nothing was shown (1 inconclusive, 1 failed with "
        "severity warn)"
    )
    assert decide([]).outcome == "review"


def test_partial_run_never_promotes():
    d = decide([result("a", Verdict.PASS)], expected=["a", "b"])
    assert d.partial and d.outcome == "review" and d.missing == ("b",)
    assert d.headline().startswith("DECISION: REVIEW (partial)")


def test_result_round_trips_through_a_dict():
    r = CheckResult(
        id="x",
        name="x",
        kind="metric",
        severity="block",
        verdict=Verdict.FAIL,
        message="m",
        estimate=float("nan"),
        interval=Interval(0.1, 0.2, 0.95, "wilson"),
        threshold=Threshold(min=0.3),
        comparison=ComparisonResult(
            "recall",
            -0.05,
            Interval(0.1, 0.2, 0.95, "wilson"),
            0.6,
            0.65,
            100,
            True,
            "t",
            p_value=0.01,
            against="baseline",
            source="s",
            orientation="o",
        ),
        groups=(GroupValue("sex=F", 10, {"tpr": float("nan")}, excluded=True),),
        slice={"sex": "F"},
        notes=("n",),
    )
    d = r.to_dict()
    assert d["estimate"] is None and d["verdict"] == "FAIL"
    assert d["interval"] == {"low": 0.1, "high": 0.2, "level": 0.95, "method": "wilson"}
    assert d["threshold"] == {"min": 0.3}
    assert d["groups"][0]["values"] == {"tpr": None}
    import json

    back = CheckResult.from_dict(json.loads(json.dumps(d)))
    assert back.verdict is Verdict.FAIL and back.notes == ("n",)
    assert back.to_dict() == d  # lossless through JSON (results travel so from xdist workers)
    assert back.interval == r.interval and back.threshold == r.threshold
    assert back.comparison == r.comparison


def est(value: float, low: float, high: float, n: int = 1000) -> MetricResult:
    return MetricResult("recall", value, Interval(low, high, 0.95, "wilson"), n)


@pytest.mark.parametrize(
    ("evidence", "value", "low", "high", "verdict"),
    [
        ("strict", 0.85, 0.81, 0.89, Verdict.PASS),
        ("strict", 0.85, 0.79, 0.91, Verdict.FAIL),  # estimate ok, bound not: thin evidence
        ("lenient", 0.85, 0.79, 0.91, Verdict.PASS),
        ("lenient", 0.75, 0.70, 0.79, Verdict.FAIL),  # the whole interval below the bar
        ("lenient", 0.78, 0.70, 0.81, Verdict.PASS),  # not shown to violate
        ("point", 0.80, 0.70, 0.90, Verdict.PASS),  # on the bar counts as meeting it
        ("point", 0.79, 0.75, 0.83, Verdict.FAIL),
    ],
)
def test_threshold_rules_for_min(evidence, value, low, high, verdict):
    r = check_threshold(
        gate_id="g",
        name="g",
        estimate=est(value, low, high),
        lo=0.8,
        hi=None,
        evidence=evidence,
        min_support=30,
        severity="block",
    )
    assert r.verdict is verdict


@pytest.mark.parametrize(
    ("evidence", "low", "high", "verdict"),
    [
        ("strict", 0.2, 0.29, Verdict.PASS),
        ("strict", 0.2, 0.31, Verdict.FAIL),
        ("lenient", 0.29, 0.4, Verdict.PASS),
        ("lenient", 0.31, 0.4, Verdict.FAIL),
    ],
)
def test_threshold_rules_for_max(evidence, low, high, verdict):
    r = check_threshold(
        gate_id="g",
        name="g",
        estimate=est((low + high) / 2, low, high),
        lo=None,
        hi=0.3,
        evidence=evidence,
        min_support=30,
        severity="block",
    )
    assert r.verdict is verdict


def test_thin_evidence_message_and_rows_needed():
    r = check_threshold(
        gate_id="g",
        name="g",
        estimate=est(0.85, 0.79, 0.91),
        lo=0.8,
        hi=None,
        evidence="strict",
        min_support=30,
        severity="block",
    )
    assert "meets >= 0.8, but its 95% CI [0.7900, 0.9100] does not clear it" in r.message
    # se = 0.06 / 1.96; with 80% power the gap 0.05 must hold (1.96 + 0.8416) se':
    # n' = 1000 * ((1.96 + 0.8416) * 0.06 / 1.96 / 0.05)^2 = 2942.3
    z, zp = 1.959963984540054, 0.8416212335729143
    assert rows_needed(0.85, 0.79, 0.8, 1000) == pytest.approx(
        1000 * ((z + zp) * 0.06 / z / 0.05) ** 2
    )
    # (no denominator given, so the normal rule; Wilson estimates use exact binomial power)
    assert "about 2,943 rows would show it with 80% power (now 1,000)" in r.details
    assert math.isinf(rows_needed(0.8, 0.7, 0.8, 100))


def test_rows_needed_has_its_power_by_simulation():
    """At the advised size, a mean whose truth is the estimate clears the bar ~80% of the time
    (normal path) — the advice is not the 50%-power size the old message gave."""
    rng = np.random.default_rng(4)
    sd, n, mu, bar = 1.0, 400, 0.1, 0.0
    se = sd / math.sqrt(n)
    need = rows_needed(mu, mu - 1.959963984540054 * se, bar, n)
    m = math.ceil(need)
    means = rng.normal(mu, sd / math.sqrt(m), 20_000)
    cleared = np.mean(means - 1.959963984540054 * sd / math.sqrt(m) >= bar)
    assert cleared == pytest.approx(0.8, abs=0.01)


def test_small_and_undefined_are_inconclusive():
    small = check_threshold(
        gate_id="g",
        name="g",
        estimate=est(0.9, 0.85, 0.95, n=20),
        lo=0.8,
        hi=None,
        evidence="strict",
        min_support=30,
        severity="block",
    )
    assert small.verdict is Verdict.INCONCLUSIVE and "only 20 rows" in small.message
    nan = MetricResult(
        "roc_auc",
        float("nan"),
        Interval(float("nan"), float("nan"), 0.95, "none"),
        100,
        note="only negative labels: roc_auc is undefined",
    )
    r = check_threshold(
        gate_id="g",
        name="g",
        estimate=nan,
        lo=0.8,
        hi=None,
        evidence="point",
        min_support=30,
        severity="block",
    )
    assert r.verdict is Verdict.INCONCLUSIVE and "only negative labels" in r.message


def test_rule_text():
    assert rule_text("strict", 0.8, None, 0.95) == "strict: lower 95% bound >= 0.8"
    assert rule_text("lenient", None, 0.3, 0.9) == "lenient: lower 90% bound <= 0.3"
    assert rule_text("point", 0.1, 0.4, 0.95) == "point: estimate >= 0.1 and estimate <= 0.4"


@pytest.mark.parametrize(("p", "bar"), [(0.92, 0.90), (0.99, 0.98), (0.995, 0.99), (0.3, 0.25)])
def test_rows_needed_wilson_has_80_percent_power(p, bar):
    """Exact binomial power at the advised size is at least 80%, and clearly less at 85% of it;
    a simulation of the Wilson rule at that size agrees."""
    need = rows_needed_wilson(p, bar, 500, 500, 0.95, lower=True)
    m = round(need)
    assert wilson_power(p, bar, m, 0.95, lower=True) >= 0.8 - 1e-9
    assert wilson_power(p, bar, round(0.85 * m), 0.95, lower=True) < 0.8
    rng = np.random.default_rng(5)
    k = rng.binomial(m, p, 4000)
    lows = np.array([wilson_interval(int(x), m, 0.95).low for x in k])
    assert np.mean(lows >= bar) == pytest.approx(
        wilson_power(p, bar, m, 0.95, lower=True), abs=0.025
    )


def test_wilson_power_is_exact():
    """Against brute force over every count."""
    from scipy import stats

    m, p, bar = 60, 0.9, 0.75
    clears = [k for k in range(m + 1) if wilson_interval(k, m, 0.95).low >= bar]
    assert wilson_power(p, bar, m, 0.95, lower=True) == pytest.approx(
        stats.binom.pmf(clears, m, p).sum(), abs=1e-12
    )
    fails_upper = [k for k in range(m + 1) if wilson_interval(k, m, 0.95).high <= 0.3]
    assert wilson_power(0.1, 0.3, m, 0.95, lower=False) == pytest.approx(
        stats.binom.pmf(fails_upper, m, 0.1).sum(), abs=1e-12
    )


def test_the_block_count_counts_only_slices_as_slices():
    """#15: '4 blocking gates (6 slices)' counted the unsliced gates' results as slices."""
    plain = [result(f"g{i}", Verdict.FAIL) for i in range(3)]
    sliced = [
        dataclasses.replace(result("s", Verdict.FAIL), slice={"sex": v}) for v in ("F", "M", "X")
    ]
    reason = decide(plain + sliced).reasons[0]
    assert reason.startswith("4 blocking gates (3 slices of 1 sliced gate) failed: "), reason
    assert decide(plain).reasons[0].startswith("3 blocking gates failed: ")
    assert decide(sliced).reasons[0].startswith("1 blocking gate (3 slices) failed: ")


def test_a_baseline_comparison_left_out_by_the_selection_is_not_called_unconfigured():
    """#15: with ``-k drift`` the decision said 'no baseline comparison configured' although
    the spec has one; it was only not selected."""
    ran = [result("drift", Verdict.PASS)]
    partial = decide(ran, expected=["drift", "auc vs baseline"], primary="roc_auc")
    assert "no baseline comparison configured" not in partial.reasons[0]
    assert "the baseline comparison on roc_auc was not among the gates run" in partial.reasons[0]
    unconfigured = decide(ran, expected=["drift"], primary=None)
    assert "(no baseline comparison configured)" in unconfigured.reasons[0]
