"""The canary check: anytime-valid bounds (against a row-by-row reference and by simulation),
the three-way decision, one implementation for gates.yaml and ``check_canary``, bad input."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from pytest_modelgate import DataError, SpecError, check_canary, run_gates
from pytest_modelgate.checks.canary import judge_canary
from pytest_modelgate.stats.sequential import eb_confidence_sequence


def _reference_bounds(x: list[float], a: float, c: float = 0.5) -> tuple[list[float], list[float]]:
    """Waudby-Smith & Ramdas (2023), Theorem 2 (PrPl-EB), one observation at a time."""
    lows, ups = [], []
    mu_prev, var_prev = 0.5, 0.25
    s_x = s_sq = s_lam = s_lam_x = s_vpsi = 0.0
    best_low, best_up = 0.0, 1.0
    for t, xt in enumerate(x, start=1):
        lam = min(math.sqrt(2 * math.log(1 / a) / (var_prev * t * math.log(1 + t))), c)
        psi = (-math.log(1 - lam) - lam) / 4
        s_vpsi += 4 * (xt - mu_prev) ** 2 * psi
        s_lam += lam
        s_lam_x += lam * xt
        centre = s_lam_x / s_lam
        margin = (math.log(1 / a) + s_vpsi) / s_lam
        best_low = max(best_low, min(max(centre - margin, 0), 1))
        best_up = min(best_up, min(max(centre + margin, 0), 1))
        lows.append(best_low)
        ups.append(best_up)
        s_x += xt
        mu_t = (0.5 + s_x) / (t + 1)
        s_sq += (xt - mu_t) ** 2
        mu_prev, var_prev = mu_t, (0.25 + s_sq) / (t + 1)
    return lows, ups


def test_bounds_equal_the_row_by_row_definition() -> None:
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.random(300), (rng.random(400) < 0.9).astype(float)])
    got = eb_confidence_sequence(x, 0.0125)
    lows, ups = _reference_bounds(x.tolist(), 0.0125)
    np.testing.assert_allclose(got.lower, lows, rtol=0, atol=1e-12)
    np.testing.assert_allclose(got.upper, ups, rtol=0, atol=1e-12)
    np.testing.assert_allclose(got.mean, np.cumsum(x) / np.arange(1, x.size + 1), atol=1e-12)


def test_bounds_hold_at_every_sample_size_at_once() -> None:
    # 300 sequences of 2,000 Bernoulli(0.8) draws: the running lower bound (2.5 %) may cross
    # the truth at ANY of the 2,000 looks at most 2.5 % of the time (measured 1.2 % with 2,000
    # sequences); a fixed-sample bound re-checked at every look crosses in ~30 % of them.
    rng = np.random.default_rng(11)
    p, crossed, wald_crossed = 0.8, 0, 0
    n = np.arange(1, 2001)
    for _ in range(300):
        x = (rng.random(2000) < p).astype(float)
        crossed += bool((eb_confidence_sequence(x, 0.025).lower > p).any())
        mean = np.cumsum(x) / n
        wald = mean - 1.96 * np.sqrt(np.maximum(mean * (1 - mean), 1e-12) / n)
        wald_crossed += bool((wald[29:] > p).any())
    assert crossed / 300 <= 0.05, crossed
    assert wald_crossed / 300 >= 0.15, wald_crossed  # why the anytime bound is needed


def _traffic(rng: np.random.Generator, n: int, p_control: float, p_canary: float) -> pd.DataFrame:
    day = np.sort(rng.uniform(0, 10, n))
    canary = rng.random(n) < 0.3
    y = rng.integers(0, 2, n)
    right = rng.random(n) < np.where(canary, p_canary, p_control)
    return pd.DataFrame(
        {
            "ts": (pd.Timestamp("2026-11-01") + pd.to_timedelta(day, unit="D")).astype(str),
            "arm": np.where(canary, "canary", "control"),
            "label": y,
            "pred": np.where(right, y, 1 - y),
        }
    )


def test_three_decisions_and_when_they_were_reached() -> None:
    rng = np.random.default_rng(5)
    good = _traffic(rng, 20_000, 0.80, 0.85)
    bad = _traffic(rng, 20_000, 0.85, 0.70)
    early = _traffic(rng, 600, 0.80, 0.80)
    common = {"outcome": "label", "prediction": "pred", "time": "ts", "max_drop": 0.02}
    promote = check_canary(good, **common)
    assert promote.verdict == "PASS" and "promote" in promote.message
    assert promote.interval.low > -0.02 and promote.interval.method == "anytime-eb-union"
    assert "since 2026-11-" in promote.message
    rollback = check_canary(bad, **common)
    assert rollback.verdict == "FAIL" and rollback.interval.high < -0.02
    assert "rollback" in rollback.message and "looks" in rollback.details
    cont = check_canary(early, **common)
    assert cont.verdict == "INCONCLUSIVE" and "more rows" in cont.message and "days" in cont.message
    # the estimate is the plain difference of the arms' accuracies
    arm = early["arm"] == "canary"
    right = early["label"] == early["pred"]
    assert cont.estimate == pytest.approx(right[arm].mean() - right[~arm].mean(), abs=1e-12)


def test_a_decision_never_flips_at_later_looks() -> None:
    rng = np.random.default_rng(9)
    x_c = (rng.random(3000) < 0.9).astype(float)
    x_k = (rng.random(3000) < 0.8).astype(float)
    seen = [
        judge_canary(x_c[:n], x_k[:n], metric="accuracy", max_drop=0.0, look_every=None).decision
        for n in range(100, 3001, 100)
    ]
    first = seen.index("promote")
    assert set(seen[first:]) == {"promote"} and set(seen[:first]) == {"continue"}


def test_the_yaml_gate_and_check_canary_agree(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    frame = _traffic(rng, 3000, 0.8, 0.8)
    frame.to_csv(tmp_path / "traffic.csv", index=False)
    gate = {
        "check": "canary",
        "traffic": "traffic.csv",
        "outcome": "label",
        "prediction": "pred",
        "time": "ts",
        "max_drop": 0.05,
        "rate": "recall",
    }
    spec = {
        "version": 1,
        "data": {"test": "traffic.csv", "target": "label"},
        "models": {"candidate": "model.joblib"},  # a canary gate never loads it
        "gates": [gate],
    }
    (tmp_path / "gates.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    [from_yaml] = run_gates(tmp_path / "gates.yaml")
    options = {k: v for k, v in gate.items() if k not in ("check", "traffic")}
    from_api = check_canary(pd.read_csv(tmp_path / "traffic.csv"), **options)
    for key in ("verdict", "estimate", "interval", "message", "details", "rule", "n", "notes"):
        assert getattr(from_yaml, key) == getattr(from_api, key), key
    assert from_yaml.line == 8 and from_api.line is None


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ({"arm": "variant"}, "no column 'variant'"),
        ({"canary_arm": "B"}, "holds 'canary'; every row must be 'B' (canary) or 'control'"),
        ({"time": "when"}, "column 'when' has a value that is not a time: 'yesterday'"),
        ({"time": "label"}, "column 'label' holds numbers, not times"),
    ],
)
def test_traffic_problems_name_the_column(options: dict, says: str) -> None:
    frame = _traffic(np.random.default_rng(2), 200, 0.8, 0.8)
    frame["when"] = ["yesterday"] + ["2026-11-01"] * 199
    with pytest.raises(DataError, match="check_canary\\(\\): traffic: ") as info:
        check_canary(frame, outcome="label", prediction="pred", max_drop=0.01, **options)
    assert says in str(info.value)


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ({"max_drop": 1.5}, "max_drop"),
        ({"evidence": "strict"}, "does not apply to a canary check"),
        ({"look_every": "tomorrow"}, "`look_every` must be a period"),
        ({"prediction": None}, "`rate: accuracy` needs `prediction`"),
        ({"rate": "auc"}, "rate"),
    ],
)
def test_bad_options_are_refused_with_the_key(options: dict, says: str) -> None:
    frame = _traffic(np.random.default_rng(2), 50, 0.8, 0.8)
    kwargs = {"outcome": "label", "prediction": "pred", "max_drop": 0.01, **options}
    with pytest.raises(SpecError, match="check_canary\\(\\)") as info:
        check_canary(frame, **kwargs)
    assert says in str(info.value)


def test_outcome_mean_needs_outcomes_in_the_unit_interval() -> None:
    frame = pd.DataFrame({"arm": ["canary", "control"] * 50, "revenue": [3.0, 0.0] * 50})
    with pytest.raises(DataError, match="outcome_mean needs outcomes in \\[0, 1\\]"):
        check_canary(frame, outcome="revenue", rate="outcome_mean", max_drop=0.01)


def test_continue_sizes_the_traffic_with_the_confidence_sequences_own_width() -> None:
    # the rows still needed come from the expected margin of each arm's confidence sequence
    # (the canary plan's sizing, log factor included), not from 1/sqrt(n) scaling
    from pytest_modelgate.stats.cs_width import expected_half_width

    rng = np.random.default_rng(4)
    x_c = (rng.random(400) < 0.86).astype(float)
    x_k = (rng.random(1600) < 0.85).astype(float)
    judged = judge_canary(x_c, x_k, metric="accuracy", max_drop=0.02, look_every=None)
    assert judged.decision == "continue" and judged.more_rows is not None
    gap = abs(judged.estimate + 0.02)  # to the bar −0.02, from either side
    total = 2000 + judged.more_rows
    a = 0.05 / 4

    def width(rows: float) -> float:
        return expected_half_width(rows * 0.2, float(np.var(x_c)), a) + expected_half_width(
            rows * 0.8, float(np.var(x_k)), a
        )

    assert width(total) <= gap < width(0.95 * total)
    # a 1/sqrt(n) extrapolation of today's margin asks for fewer rows than the sequence needs
    iv = judged.interval
    half = judged.estimate - iv.low if judged.estimate > -0.02 else iv.high - judged.estimate
    assert judged.more_rows > 2000 * (half / gap) ** 2 - 2000
