"""The shadow check (agreement, Cohen's κ, disagreement by slice, the paired difference on the
labelled rows, the move-to-canary rule) against sklearn/statsmodels/brute force, one
implementation for gates.yaml and ``check_shadow``, bad input; and the canary plan's widths."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.metrics import accuracy_score, cohen_kappa_score, recall_score
from statsmodels.stats.inter_rater import cohens_kappa as sm_kappa
from statsmodels.stats.proportion import proportion_confint

from pytest_modelgate import (
    DataError,
    SpecError,
    check_shadow,
    decide,
    load_spec,
    plan_canary,
    run_gates,
)
from pytest_modelgate.checks.shadow import ShadowRows, judge_shadow
from pytest_modelgate.results import CheckResult, ComparisonResult, Threshold, Verdict
from pytest_modelgate.stats.agreement import agreement_table, cohen_kappa
from pytest_modelgate.stats.cs_width import expected_half_width
from pytest_modelgate.stats.intervals import Interval
from pytest_modelgate.stats.paired import paired_score_interval
from pytest_modelgate.stats.sequential import eb_confidence_sequence


def _log(
    rng: np.random.Generator, n: int, p_inc: float, p_cand: float, labelled: float = 0.4
) -> pd.DataFrame:
    y = rng.integers(0, 2, n)
    inc = np.where(rng.random(n) < p_inc, y, 1 - y)
    cand = np.where(rng.random(n) < p_cand, y, 1 - y)
    return pd.DataFrame(
        {
            "served": inc,
            "shadow": cand,
            "truth": np.where(rng.random(n) < labelled, y, np.nan),
            "region": rng.choice(["eu", "us", "apac"], n),
        }
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_kappa_and_its_standard_error_match_sklearn_and_statsmodels(seed: int) -> None:
    rng = np.random.default_rng(seed)
    k = 2 + seed  # 2, 3, 4 labels
    a = rng.choice([f"c{i}" for i in range(k)], 700)
    b = np.where(rng.random(700) < 0.6, a, rng.choice([f"c{i}" for i in range(k)], 700))
    table = agreement_table(a, b)
    got = cohen_kappa(table.counts)
    assert got.estimate == pytest.approx(cohen_kappa_score(a, b), abs=1e-12)
    ref = sm_kappa(table.counts)  # the Fleiss-Cohen-Everitt asymptotic SE ("ASE" of SAS)
    assert got.std_error == pytest.approx(ref.std_kappa, rel=1e-10)
    assert got.interval.low == pytest.approx(got.estimate - 1.959963984540054 * got.std_error)
    # not symmetric in the raters' roles unless the table is: the transposed table is checked too
    assert cohen_kappa(table.counts.T).std_error == pytest.approx(
        sm_kappa(table.counts.T).std_kappa, rel=1e-10
    )


def test_kappa_is_undefined_when_chance_agreement_is_one() -> None:
    assert math.isnan(cohen_kappa(np.array([[50, 0], [0, 0]])).estimate)
    assert math.isnan(cohen_kappa(np.zeros((2, 2))).estimate)


def test_kappa_interval_covers_in_a_small_simulation() -> None:
    # 300 tables of 1,000 rows from a known 3×3 table: each side misses ~2-3 % (validity/shadow.py
    # has the full table, including the small-n undercoverage); a wrong SE (halved) misses ~25 %.
    rng = np.random.default_rng(4)
    p = np.array([[0.3, 0.03, 0.02], [0.04, 0.3, 0.01], [0.02, 0.03, 0.25]])
    rows, cols = p.sum(1), p.sum(0)
    truth = (np.trace(p) - rows @ cols) / (1 - rows @ cols)
    tables = rng.multinomial(1000, p.ravel(), size=300).reshape(-1, 3, 3)
    low = high = 0
    for t in tables:
        iv = cohen_kappa(t).interval
        low += iv.low > truth
        high += iv.high < truth
    assert low / 300 <= 0.06 and high / 300 <= 0.06, (low, high)


def test_the_numbers_match_independent_references() -> None:
    frame = _log(np.random.default_rng(0), 3000, 0.85, 0.86)
    result = check_shadow(
        frame,
        prediction="shadow",
        incumbent="served",
        outcome="truth",
        max_drop=0.03,
        slices=["region"],
    )
    agree = (frame["shadow"] == frame["served"]).sum()
    low, high = proportion_confint(agree, len(frame), alpha=0.05, method="beta")
    kappa = cohen_kappa_score(frame["shadow"], frame["served"])
    assert f"shadow agreement = {agree / len(frame):.4f} [{low:.4f}, {high:.4f}]" in result.message
    assert f"Cohen's κ = {kappa:.4f}" in result.message
    lab = frame.dropna(subset=["truth"])
    delta = accuracy_score(lab["truth"], lab["shadow"]) - accuracy_score(
        lab["truth"], lab["served"]
    )
    assert result.estimate == pytest.approx(delta, abs=1e-12)
    c, k = (lab["shadow"] == lab["truth"]).to_numpy(), (lab["served"] == lab["truth"]).to_numpy()
    table = [int(np.sum(c & k)), int(np.sum(c & ~k)), int(np.sum(~c & k)), int(np.sum(~c & ~k))]
    assert result.interval == paired_score_interval(*table)
    assert result.n == len(lab) and result.interval.method == "tango-skew-cc"
    for region, rows in frame.groupby("region"):
        off = (rows["shadow"] != rows["served"]).sum()
        lo, hi = proportion_confint(off, len(rows), alpha=0.05, method="beta")
        line = f"region = {region}"
        assert f"disagreement {off / len(rows):.4f} [{lo:.4f}, {hi:.4f}]  n = {len(rows)}" in next(
            ln for ln in result.details.splitlines() if line in ln
        )


def test_recall_is_paired_on_the_labelled_positives() -> None:
    frame = _log(np.random.default_rng(1), 2000, 0.8, 0.8)
    result = check_shadow(
        frame,
        prediction="shadow",
        incumbent="served",
        outcome="truth",
        max_drop=0.05,
        rate="recall",
    )
    lab = frame.dropna(subset=["truth"])
    y = lab["truth"].astype(int)
    delta = recall_score(y, lab["shadow"]) - recall_score(y, lab["served"])
    assert result.estimate == pytest.approx(delta, abs=1e-12)
    assert result.n == int((y == 1).sum())


def test_move_to_canary_stay_or_not_yet() -> None:
    rng = np.random.default_rng(5)
    common = {"prediction": "shadow", "incumbent": "served", "outcome": "truth"}
    good = check_shadow(_log(rng, 20_000, 0.85, 0.87), max_drop=0.01, **common)
    assert good.verdict == "PASS" and "move to canary" in good.message
    assert good.interval.low > -0.01
    bad = check_shadow(_log(rng, 20_000, 0.88, 0.80), max_drop=0.01, **common)
    assert bad.verdict == "FAIL" and bad.interval.high < -0.01
    assert "stay in shadow: the candidate is shown more than 0.01 worse" in bad.message
    early = check_shadow(_log(rng, 400, 0.85, 0.85), max_drop=0.01, **common)
    assert early.verdict == "INCONCLUSIVE"
    assert "more labelled rows" in early.message and "logged rows" in early.message
    unlabelled = check_shadow(_log(rng, 300, 0.85, 0.85, labelled=0.0), max_drop=0.01, **common)
    assert unlabelled.verdict == "INCONCLUSIVE" and unlabelled.estimate is None
    assert "not yet: no labelled row counts for accuracy yet" in unlabelled.message
    # agreement alone, and agreement shown too low fails even when the labelled rows pass
    alone = check_shadow(
        _log(rng, 5000, 0.95, 0.95), prediction="shadow", incumbent="served", min_agreement=0.8
    )
    assert alone.verdict == "PASS" and alone.interval.method == "clopper-pearson"
    low = check_shadow(_log(rng, 20_000, 0.85, 0.87), max_drop=0.01, min_agreement=0.9, **common)
    assert low.verdict == "FAIL" and "agreement shown below 0.9" in low.message


def test_a_candidate_at_the_bar_moves_to_canary_rarely() -> None:
    # 200 logs where the candidate is exactly max_drop worse: strict rule, ≤ 2.5 % nominal
    # (measured 2.47 % with 3,000); the point rule (estimate above the bar) passes ~49 %
    rng = np.random.default_rng(8)
    passed = point = 0
    for _ in range(200):
        y = rng.integers(0, 2, 1500)
        inc = np.where(rng.random(1500) < 0.85, y, 1 - y)
        cand = np.where(rng.random(1500) < 0.80, y, 1 - y)
        rows = ShadowRows(cand, inc, cand == y, inc == y, 1500)
        judged = judge_shadow(rows, max_drop=0.05)
        passed += judged.verdict == "PASS"
        point += judged.delta is not None and judged.delta > -0.05
    assert passed / 200 <= 0.05, passed
    assert point / 200 >= 0.35, point


def test_anytime_bounds_hold_at_every_look_and_never_flip() -> None:
    # the Δ bound is the canary's confidence sequence on (c − k + 1) / 2, mapped back
    rng = np.random.default_rng(12)
    y = rng.integers(0, 2, 3000)
    c = np.where(rng.random(3000) < 0.9, y, 1 - y) == y
    k = np.where(rng.random(3000) < 0.85, y, 1 - y) == y
    rows = ShadowRows(c.astype(int), k.astype(int), c, k, 3000)
    got = judge_shadow(rows, max_drop=0.0, anytime=True).delta_interval
    ref = eb_confidence_sequence((c.astype(float) - k + 1) / 2, 0.025)
    assert got is not None and got.method == "anytime-eb-paired"
    assert (got.low, got.high) == pytest.approx((2 * ref.lower[-1] - 1, 2 * ref.upper[-1] - 1))
    fixed = judge_shadow(rows, max_drop=0.0).delta_interval
    assert fixed is not None and got.low < fixed.low and got.high > fixed.high  # the price
    seen = [
        judge_shadow(
            ShadowRows(c[:m].astype(int), k[:m].astype(int), c[:m], k[:m], m),
            max_drop=0.0,
            anytime=True,
        ).verdict
        for m in range(100, 3001, 100)
    ]
    first = seen.index("PASS")
    assert set(seen[first:]) == {"PASS"} and set(seen[:first]) == {"INCONCLUSIVE"}
    # at the bar, a PASS at ANY look (= at the last row: the lower bound only rises) is rare
    # (validity/shadow.py: the fixed-sample interval re-checked daily passes 12-15 %)
    anytime_pass = 0
    for _ in range(100):
        y = rng.integers(0, 2, 1500)
        c = np.where(rng.random(1500) < 0.80, y, 1 - y) == y
        k = np.where(rng.random(1500) < 0.85, y, 1 - y) == y
        judged = judge_shadow(ShadowRows(c, k, c, k, 1500), max_drop=0.05, anytime=True)
        anytime_pass += judged.verdict == "PASS"
    assert anytime_pass / 100 <= 0.04, anytime_pass


def test_the_yaml_gate_and_check_shadow_agree(tmp_path: Path) -> None:
    frame = _log(np.random.default_rng(3), 2000, 0.85, 0.85)
    frame.to_csv(tmp_path / "shadow.csv", index=False)  # unlabelled rows: empty cells
    gate = {
        "check": "shadow",
        "log": "shadow.csv",
        "prediction": "shadow",
        "incumbent": "served",
        "outcome": "truth",
        "max_drop": 0.02,
        "min_agreement": 0.6,
        "slices": ["region"],
    }
    spec = {
        "version": 1,
        "data": {"test": "shadow.csv", "target": "truth"},
        "models": {"candidate": "model.joblib"},  # a shadow gate never loads it
        "gates": [gate],
    }
    (tmp_path / "gates.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    [from_yaml] = run_gates(tmp_path / "gates.yaml")
    options = {k: v for k, v in gate.items() if k not in ("check", "log")}
    from_api = check_shadow(pd.read_csv(tmp_path / "shadow.csv"), **options)
    for key in ("verdict", "estimate", "interval", "message", "details", "rule", "n", "notes"):
        assert getattr(from_yaml, key) == getattr(from_api, key), key
    assert from_yaml.line == 8 and from_api.line is None


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ({"incumbent": "human"}, "no column 'human'"),
        ({"slices": ["country"]}, "no column 'country'"),
        ({"prediction": "gappy"}, "column 'gappy' (candidate's predictions) is empty in 1 rows"),
    ],
)
def test_log_problems_name_the_column(options: dict, says: str) -> None:
    frame = _log(np.random.default_rng(2), 100, 0.8, 0.8)
    frame["gappy"] = [np.nan] + [1] * 99
    kwargs = {"prediction": "shadow", "incumbent": "served", "outcome": "truth", "max_drop": 0.1}
    with pytest.raises(DataError, match="check_shadow\\(\\): log: ") as info:
        check_shadow(frame, **{**kwargs, **options})
    assert says in str(info.value)


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ({"max_drop": None}, "`outcome` needs `max_drop`"),
        ({"outcome": None}, "`max_drop` needs `outcome`"),
        ({"outcome": None, "max_drop": None}, "give `outcome` with `max_drop`"),
        ({"evidence": "lenient"}, "does not apply to a shadow check"),
        ({"incumbent": "shadow"}, "must be different columns"),
        ({"rate": "precision"}, "rate"),
        ({"min_agreement": 1.5}, "min_agreement"),
    ],
)
def test_bad_options_are_refused_with_the_key(options: dict, says: str) -> None:
    frame = _log(np.random.default_rng(2), 50, 0.8, 0.8)
    kwargs = {"prediction": "shadow", "incumbent": "served", "outcome": "truth", "max_drop": 0.1}
    with pytest.raises(SpecError, match="check_shadow\\(\\)") as info:
        check_shadow(frame, **{**kwargs, **options})
    assert says in str(info.value)


# --- the canary plan --------------------------------------------------------------------------


def test_expected_width_is_the_sum_it_approximates_and_what_runs_show() -> None:
    var, a = 0.8 * 0.2, 0.0125
    log_a = math.log(1 / a)
    n = 60_000
    i = np.arange(1, n + 1, dtype=float)
    var_prev = (0.25 + (i - 1) * var) / i
    lam = np.minimum(np.sqrt(2 * log_a / (var_prev * i * np.log1p(i))), 0.5)
    psi = (-np.log1p(-lam) - lam) / 4
    exact = (log_a + np.sum(4 * var * psi)) / lam.sum()
    assert expected_half_width(n, var, a) == pytest.approx(exact, rel=1e-6)
    # the confidence sequence on simulated Bernoulli(0.8) runs has about that half-width
    rng = np.random.default_rng(0)
    for size in (500, 5000):
        widths = []
        for _ in range(30):
            bounds = eb_confidence_sequence((rng.random(size) < 0.8).astype(float), a)
            widths.append((bounds.upper[-1] - bounds.lower[-1]) / 2)
        assert np.median(widths) == pytest.approx(expected_half_width(size, var, a), rel=0.05)


def _compare(delta: float, metric: str = "accuracy") -> CheckResult:
    cmp = ComparisonResult(
        metric,
        delta,
        Interval(delta - 0.02, delta + 0.02, 0.95, "x"),
        0.80 + delta,
        0.80,
        4000,
        True,
        "tango",
    )
    return CheckResult(
        "g",
        "g",
        "compare",
        "block",
        Verdict.PASS,
        "",
        metric=metric,
        threshold=Threshold(min=-0.01),
        comparison=cmp,
        estimate=delta,
        interval=cmp.interval,
    )


def test_plan_canary_days_are_the_first_day_the_widths_fit() -> None:
    plan = plan_canary(_compare(0.02), share=0.05, requests_per_day=20_000, label_rate=0.3)
    per_c, per_k = 20_000 * 0.05 * 0.3, 20_000 * 0.95 * 0.3
    a = 0.0125

    def width(days: float) -> float:
        return expected_half_width(days * per_c, 0.82 * 0.18, a) + expected_half_width(
            days * per_k, 0.8 * 0.2, a
        )

    days = plan.days_to_promote
    assert days is not None and width(days) <= 0.03 < width(days - 0.01)
    assert plan.days_to_show_better is not None and plan.days_to_show_better > days
    assert "canary plan: at 5% of 20,000 requests/day with 30% labelled" in plan.message
    # at the bar it never settles; a score that is not a per-request rate is refused
    assert (
        plan_canary(_compare(-0.01), share=0.05, requests_per_day=1e4, label_rate=1).days_to_promote
        is None
    )
    with pytest.raises(ValueError, match="'roc_auc' is not a per-request rate"):
        plan_canary(_compare(0.0, "roc_auc"), share=0.05, requests_per_day=1e4, label_rate=1)
    with pytest.raises(ValueError, match="share must lie in"):
        plan_canary(_compare(0.0), share=0, requests_per_day=1e4, label_rate=1)


def test_a_canary_decision_carries_the_plan() -> None:
    plan = {"share": 0.05, "requests_per_day": 20_000, "label_rate": 0.3}
    decision = decide([_compare(0.02)], primary="accuracy", canary_plan=plan)
    assert decision.outcome == "canary"
    expected = plan_canary(_compare(0.02), **plan)
    assert decision.reasons[-1] == expected.message
    assert decision.to_dict()["canary_plan"] == expected.as_dict()
    promoted = decide([_compare(0.05)], primary="accuracy", canary_plan=plan)  # shown better
    assert promoted.outcome == "promote" and "canary_plan" not in promoted.to_dict()


def test_a_canary_plan_on_a_score_is_refused_at_load(tmp_path: Path) -> None:
    spec = {
        "version": 1,
        "data": {"test": "test.csv", "target": "y"},
        "models": {"candidate": "model.joblib", "baseline": "base.joblib"},
        "decision": {"canary_plan": {"share": 0.05, "requests_per_day": 1000, "label_rate": 1}},
        "gates": [{"metric": "roc_auc", "compare": "baseline", "max_drop": 0.01}],
    }
    (tmp_path / "gates.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    with pytest.raises(SpecError, match="decision.canary_plan") as info:
        load_spec(tmp_path / "gates.yaml")
    assert "per-request rate (got roc_auc" in str(info.value)
    spec["decision"]["canary_plan"]["share"] = 5  # a percentage by mistake
    (tmp_path / "gates.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    with pytest.raises(SpecError, match="share"):
        load_spec(tmp_path / "gates.yaml")
