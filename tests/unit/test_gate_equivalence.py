"""One rule, two shells: a gates.yaml gate and the same gate from the Python API give the same
verdict, estimate, interval, method, message and failure table on the same data and seed.

Every gate kind is covered: thresholds (each interval family), slices strict and lenient,
compare against a baseline and against a constant, and fairness gaps.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from pytest_modelgate import (
    ModelgateError,
    assert_fair,
    assert_metric,
    assert_no_regression,
    assert_slices,
    evaluate,
    run_gates,
)
from pytest_modelgate.results import MetricResult
from pytest_modelgate.spec import parse_spec


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 600
    sex = rng.choice(["F", "M"], n, p=[0.3, 0.7])
    race = rng.choice(["a", "b", "c"], n, p=[0.6, 0.3, 0.1])
    y = rng.binomial(1, 0.35 + 0.1 * (sex == "F"))
    score = np.clip(0.5 * y + rng.normal(0.25, 0.22, n), 0.001, 0.999)
    bscore = np.clip(0.45 * y + rng.normal(0.27, 0.24, n), 0.001, 0.999)
    return pd.DataFrame(
        {
            "y": y,
            "sex": sex,
            "race": race,
            "pred": (score >= 0.5).astype(int),
            "score": score,
            "bpred": (bscore >= 0.5).astype(int),
            "bscore": bscore,
        }
    )


GATES: list[dict] = [
    {"metric": "accuracy", "min": 0.7},  # clopper-pearson
    {"metric": "roc_auc", "min": 0.85},  # delong-newcombe-hull
    {"metric": "f1", "min": 0.6},  # count bootstrap (BCa): the seed matters
    {"metric": "log_loss", "max": 0.5},  # hall-t on per-row losses
    {"metric": "precision", "min": 0.99, "evidence": "lenient"},
    {"metric": "recall", "min": 0.6, "slices": ["sex"]},
    {"metric": "recall", "min": 0.7, "slices": [["sex", "race"]], "evidence": "lenient"},
    {"metric": "f1", "min": 0.5, "slices": ["race"]},
    {"metric": "accuracy", "compare": "baseline", "max_drop": 0.02},
    {"metric": "roc_auc", "compare": "baseline", "max_drop": 0.01, "slices": ["sex"]},
    {"metric": "f1", "compare": "baseline", "min_gain": 0.0},
    {"metric": "log_loss", "compare": "constant", "min_gain": 0.05},
    {"fairness": "equalized_odds_difference", "sensitive": "sex", "max": 0.1},
    {"fairness": "demographic_parity_ratio", "sensitive": ["sex", "race"], "min": 0.5},
    {"fairness": "four_fifths_rule", "sensitive": "race"},
    {"fairness": "metric_difference", "metric": "recall", "sensitive": "race", "max": 1.0},
]


def _ids(gate: dict) -> str:
    return ",".join(f"{k}={v}" for k, v in gate.items())


@pytest.fixture(scope="module")
def yaml_results(frame: pd.DataFrame, tmp_path_factory) -> dict[str, list]:
    folder: Path = tmp_path_factory.mktemp("equivalence")
    frame.to_csv(folder / "test.csv", index=False)
    spec = {
        "version": 1,
        "data": {"test": "test.csv", "target": "y", "sensitive": ["sex", "race"]},
        "models": {
            "candidate": {"predictions": "pred", "scores": "score"},
            "baseline": {"predictions": "bpred", "scores": "bscore"},
        },
        "gates": [{**g, "name": f"g{i}"} for i, g in enumerate(GATES)],
    }
    run = run_gates(parse_spec(yaml.safe_dump(spec), root=folder))
    out: dict[str, list] = {}
    for r in run:
        out.setdefault(r.id, []).append(r)
    return out


def _evaluation(frame: pd.DataFrame):
    return evaluate(
        frame["y"],
        frame["pred"],
        frame["score"],
        baseline_pred=frame["bpred"],
        baseline_score=frame["bscore"],
        sensitive=frame[["sex", "race"]],
    )


def _same(a, b) -> None:
    """Everything a user reads, equal; the id, the spec location and the name of the
    baseline's source (a spec's columns, evaluate()'s arguments) differ by design."""
    assert a.verdict is b.verdict, (a.message, b.message)
    assert a.message == b.message
    details_a, details_b = a.details, b.details
    if a.comparison is not None and b.comparison is not None:
        details_a = details_a.replace(a.comparison.source, "<source>")
        details_b = details_b.replace(b.comparison.source, "<source>")
    assert details_a == details_b
    assert a.slice == b.slice
    assert a.rule == b.rule and a.evidence == b.evidence and a.n == b.n
    assert a.threshold == b.threshold
    assert a.p_value == b.p_value and a.p_adjusted == b.p_adjusted
    assert a.detectable == b.detectable
    assert a.notes == b.notes
    assert a.groups == b.groups
    if a.estimate is None or np.isnan(a.estimate):
        assert b.estimate is None or np.isnan(b.estimate)
    else:
        assert a.estimate == b.estimate
    assert (a.interval is None) == (b.interval is None)
    if a.interval is not None:
        assert a.interval.method == b.interval.method
        np.testing.assert_array_equal(
            [a.interval.low, a.interval.high], [b.interval.low, b.interval.high]
        )
    if a.comparison is not None:
        assert b.comparison is not None
        assert (a.comparison.candidate, a.comparison.baseline, a.comparison.test) == (
            b.comparison.candidate,
            b.comparison.baseline,
            b.comparison.test,
        )


@pytest.mark.parametrize("i", range(len(GATES)), ids=[_ids(g) for g in GATES])
def test_yaml_gate_and_api_gate_agree(frame, yaml_results, i):
    gate = GATES[i]
    from_yaml = yaml_results[f"g{i}"]
    from_api = _evaluation(frame).check(**gate, name=f"g{i}")
    assert len(from_yaml) == len(from_api)
    for a, b in zip(from_yaml, from_api, strict=True):
        _same(a, b)
    # the run covers all verdicts that matter, so agreement is not agreement on PASS only
    assert from_yaml[0].verdict.value in ("PASS", "FAIL", "INCONCLUSIVE")


def test_the_gates_reach_every_verdict(yaml_results):
    """The equivalence above is not vacuous: the spec's gates pass, fail and are inconclusive."""
    verdicts = {r.verdict.value for rs in yaml_results.values() for r in rs}
    assert {"PASS", "FAIL"} <= verdicts


def test_assertion_helpers_are_the_gates(frame, yaml_results):
    """The assert_* helpers run the same gates: a helper raises exactly when its gate does not
    pass, with the gate's message in the failure."""
    ev = _evaluation(frame)
    calls = {
        0: lambda: assert_metric(ev, "accuracy", min=0.7),
        2: lambda: assert_metric(ev, "f1", min=0.6),
        5: lambda: assert_slices(ev, "recall", "sex", min=0.6),
        8: lambda: assert_no_regression(ev, "accuracy", max_drop=0.02),
        12: lambda: assert_fair(ev, "equalized_odds_difference", sensitive="sex", max=0.1),
        14: lambda: assert_fair(ev, "four_fifths_rule", sensitive="race"),
    }
    for i, call in calls.items():
        results = yaml_results[f"g{i}"]
        passed = all(r.verdict.value == "PASS" for r in results)
        if passed:
            call()
        else:
            with pytest.raises(AssertionError) as err:
                call()
            bad = next(r for r in results if r.verdict.value != "PASS")
            assert bad.message in str(err.value)


def test_queries_share_the_gates_numbers(frame, yaml_results):
    """Evaluation.metric / compare / fairness return the interval the gates judged."""
    ev = _evaluation(frame)
    f1 = yaml_results["g2"][0]
    got = ev.metric("f1")
    assert (got.interval.low, got.interval.high) == (f1.interval.low, f1.interval.high)
    gap = yaml_results["g12"][0]
    fair = ev.fairness("equalized_odds_difference", "sex")
    assert (fair.interval.low, fair.interval.high) == (gap.interval.low, gap.interval.high)
    delta = yaml_results["g10"][0]
    cmp = ev.compare("f1")
    assert (cmp.interval.low, cmp.interval.high) == (delta.interval.low, delta.interval.high)


def test_a_collapsed_fairness_interval_is_inconclusive_both_ways():
    """A gap whose bootstrap shows no variation (everyone selected) cannot pass on no evidence:
    the gate and assert_fair are both INCONCLUSIVE (assert_fair used to PASS here). The
    difference's pairwise interval (exact limits) does measure it: [0, 0.036], both ways."""
    n = 200
    y = np.tile([0, 1], n // 2)
    sex = np.repeat(["F", "M"], n // 2)
    ev = evaluate(y, np.ones(n, dtype=int), sensitive={"sex": sex})
    (result,) = ev.check(fairness="demographic_parity_ratio", sensitive="sex", min=0.5)
    assert result.verdict.value == "INCONCLUSIVE"
    assert "collapsed" in result.message
    with pytest.raises(AssertionError, match="INCONCLUSIVE"):
        assert_fair(ev, "demographic_parity_ratio", sensitive="sex", min=0.5)
    (result,) = ev.check(fairness="demographic_parity_difference", sensitive="sex", max=0.1)
    assert result.verdict.value == "PASS" and result.interval.high < 0.04
    assert_fair(ev, "demographic_parity_difference", sensitive="sex", max=0.1)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda ev: assert_metric(ev, "accuracy", min=0.5, evidence="strcit"),
            "assert_metric(): evidence: is not an allowed value (got 'strcit'; allowed: "
            "'strict', 'lenient' or 'point')",
        ),
        (
            lambda ev: assert_slices(ev, "accuracy", "sex", min=0.5, evidence="lenent"),
            "assert_slices(): evidence: is not an allowed value (got 'lenent'; allowed: "
            "'strict', 'lenient' or 'point')",
        ),
        (
            lambda ev: assert_no_regression(ev, "accuracy"),
            "assert_no_regression(): a compare gate needs one of max_drop, max_relative_drop, "
            "min_gain, max_gain",
        ),
        (
            lambda ev: assert_fair(ev, "equalized_odds_diference", sensitive="sex", max=0.1),
            "assert_fair(): fairness: is not an allowed value (got 'equalized_odds_diference'; "
            "allowed: ",
        ),
        (
            lambda ev: assert_metric(ev, "accuracy", min=0.5, inconclusive="passs"),
            "assert_metric(): inconclusive: is not an allowed value (got 'passs'; did you mean "
            "`pass`? allowed: 'fail', 'pass')",
        ),
    ],
)
def test_assertion_arguments_are_validated_like_the_spec(frame, call, message):
    with pytest.raises(ModelgateError) as err:
        call(_evaluation(frame))
    assert str(err.value).startswith(message), str(err.value)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"interval": "wilsn"},
            "evaluate(): interval: is not an allowed value (got 'wilsn'; allowed: 'auto', "
            "'bootstrap', 'wilson', 'clopper-pearson', 'delong' or 'normal')",
        ),
        (
            {"confidence": 1.5},
            "evaluate(): confidence: must be less than 1 (got 1.5; allowed: level of the "
            "two-sided intervals, e.g. 0.95)",
        ),
        (
            {"evidence": "strcit"},
            "evaluate(): evidence: is not an allowed value (got 'strcit'; allowed: 'strict', "
            "'lenient' or 'point')",
        ),
        ({"resamples": 10}, "evaluate(): resamples: must be greater than or equal to 100"),
        ({"bootstrap": "bcaa"}, "evaluate(): bootstrap: is not an allowed value (got 'bcaa'"),
        ({"seed": -1}, "evaluate(): seed: must be greater than or equal to 0 (got -1"),
        ({"task": "binry"}, "evaluate(): task: is not an allowed value (got 'binry'"),
    ],
)
def test_evaluate_options_are_validated_like_stats(frame, options, message):
    with pytest.raises(ModelgateError) as err:
        evaluate(frame["y"], frame["pred"], **options)
    assert str(err.value).startswith(message), str(err.value)


def test_a_ranking_metric_needs_support_in_its_smaller_class():
    """ROC AUC on 5 positives among 1000 rows errs far above its promise (the validity matrix:
    ~20% false PASS); min_support applies to the smaller class, so the gate is INCONCLUSIVE."""
    rng = np.random.default_rng(1)
    y = np.r_[np.ones(5, dtype=int), np.zeros(995, dtype=int)]
    score = np.clip(rng.normal(0.3 + 0.4 * y, 0.15), 0, 1)
    ev = evaluate(y, None, score)
    (result,) = ev.check(metric="roc_auc", min=0.6)
    assert result.verdict.value == "INCONCLUSIVE"
    assert result.message.startswith(
        "INCONCLUSIVE: only 5 rows in the smaller class of roc_auc (positives: 5, negatives: 995)"
        " (min_support = 30)"
    )
    (enough,) = evaluate(y, None, score, min_support=5).check(metric="roc_auc", min=0.6)
    assert enough.verdict.value != "INCONCLUSIVE"


def test_row_sets_never_share_a_cache_entry_by_checksum():
    """Two different row sets whose crc32 collide must not share cached evidence or estimates
    (a silent wrong verdict; found by review): the cache key is a 128-bit digest."""
    import zlib

    from pytest_modelgate.checks.engine import GateInputs

    rng = np.random.default_rng(0)
    seen: dict[int, np.ndarray] = {}
    while True:
        rows = np.sort(rng.choice(1 << 20, size=3, replace=False)).astype(np.intp)
        crc = zlib.crc32(rows.tobytes())
        if crc in seen and not np.array_equal(seen[crc], rows):
            other = seen[crc]
            break
        seen[crc] = rows
    assert zlib.crc32(rows.tobytes()) == zlib.crc32(other.tobytes())
    assert GateInputs._rows_key(rows) != GateInputs._rows_key(other)


def test_an_interval_does_not_depend_on_which_query_came_first(frame):
    """Two labels over the same rows (a mask and a column value) each get their own, fixed
    interval, whatever was asked before (found by review: the first one asked won)."""
    mask = (frame["sex"] == "F").to_numpy()
    first = _evaluation(frame)
    by_mask_first = first.metric("f1", slice=mask).interval
    second = _evaluation(frame)
    second.metric("f1", slice={"sex": "F"})
    assert second.metric("f1", slice=mask).interval == by_mask_first


def test_lenient_slices_judge_each_slice_against_its_own_bound():
    """With max_relative_drop every slice has its own bound on Δ; a slice whose whole interval
    lies below its own bound fails, even if it clears the first slice's bound."""
    from pytest_modelgate.checks.slices import combine_slices
    from pytest_modelgate.checks.threshold import check_threshold
    from pytest_modelgate.stats import Interval

    estimates = [
        MetricResult("Δrecall", -0.05, Interval(-0.10, 0.00, 0.95, "normal"), 400),
        MetricResult("Δrecall", -0.20, Interval(-0.224, -0.176, 0.95, "normal"), 400),
    ]
    bounds = [-0.3, -0.1]  # e.g. 30% and 10% of two slices' baseline values
    results = [
        check_threshold(
            gate_id="g",
            name="g",
            estimate=e,
            lo=b,
            hi=None,
            evidence="lenient",
            min_support=30,
            severity="block",
            slice_={"s": str(i)},
        )
        for i, (e, b) in enumerate(zip(estimates, bounds, strict=True))
    ]
    combined = combine_slices(
        results, estimates, evidence="lenient", lo=bounds[0], hi=None, level=0.95
    )
    assert [r.verdict.value for r in combined] == ["PASS", "FAIL"]


def test_run_gates_validates_its_seed(tmp_path):
    with pytest.raises(ModelgateError, match=r"run_gates\(\): seed: must be greater than or"):
        run_gates(tmp_path / "gates.yaml", seed=-1)


def test_threshold_must_be_a_number(frame):
    with pytest.raises(ModelgateError, match=r"evaluate\(\): threshold: must be a finite number"):
        evaluate(frame["y"], None, frame["score"], threshold="0.5")
    with pytest.raises(ModelgateError, match=r"evaluate\(\): threshold: must be a finite number"):
        evaluate(frame["y"], None, frame["score"], threshold=float("nan"))


def test_inconclusive_pass_is_offered_by_every_gate_helper():
    """The collapsed gap above: INCONCLUSIVE fails by default, passes when asked to."""
    n = 200
    y = np.tile([0, 1], n // 2)
    sex = np.repeat(["F", "M"], n // 2)
    ev = evaluate(y, np.ones(n, dtype=int), sensitive={"sex": sex}, baseline_pred=np.ones(n, int))
    assert_fair(ev, "demographic_parity_difference", sensitive="sex", max=1.0, inconclusive="pass")
    with pytest.raises(ModelgateError, match="inconclusive: is not an allowed value"):
        assert_no_regression(ev, "accuracy", max_drop=0.1, inconclusive="maybe")
