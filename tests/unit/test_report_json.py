"""The JSON report (``report/json_report.py``): its schema, nan → null, and gates[] as a lossless
serialisation of the result family (``CheckResult.from_dict`` inverts it)."""

from __future__ import annotations

import json
import math
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from pytest_modelgate.decision import decide
from pytest_modelgate.report.json_report import SCHEMA_VERSION, build_report, write_report
from pytest_modelgate.results import (
    CheckResult,
    ComparisonResult,
    GroupValue,
    Threshold,
    Verdict,
)
from pytest_modelgate.stats.intervals import Interval
from tests.reports import check_result

NAN = float("nan")


result = check_result


def strict_loads(text: str) -> Any:
    """json.loads that refuses NaN/Infinity (which are not JSON)."""

    def refuse(token: str) -> Any:
        raise ValueError(f"not JSON: {token}")

    return json.loads(text, parse_constant=refuse)


def metric_result() -> CheckResult:
    return result(
        id="recall>=0.8",
        name="recall at least 0.8",
        metric="recall",
        slice={"sex": "F", "age": np.int64(3)},
        estimate=0.8125,
        interval=Interval(0.75, 0.86, 0.95, "wilson"),
        threshold=Threshold(min=0.8),
        rule="strict: lower 95% bound >= 0.8",
        evidence="strict",
        n=np.int64(160),
        line=4,
        spec_file="gates.yaml",
        verdict=Verdict.INCONCLUSIVE,
        message="INCONCLUSIVE: recall = 0.8125",
        details="  metric  recall\n  n       160",
        notes=("intersection–union",),
        p_adjusted=0.031,
        detectable=0.07,
    )


def compare_result() -> CheckResult:
    cmp_iv = Interval(-0.004, 0.021, 0.9, "delong-paired")
    return result(
        id="auc-vs-prod",
        kind="compare",
        metric="roc_auc",
        estimate=0.0085,
        interval=cmp_iv,
        threshold=Threshold(min=-0.01, max=0.5),
        evidence="lenient",
        n=400,
        p_value=0.21,
        comparison=ComparisonResult(
            metric="roc_auc",
            delta=0.0085,
            interval=cmp_iv,
            candidate=0.861,
            baseline=0.8525,
            n=400,
            paired=True,
            test="delong-paired",
            p_value=0.21,
            note="tied scores",
            against="baseline",
            source="stored baseline .modelgate/baseline",
            orientation="higher is better",
        ),
    )


def fairness_result() -> CheckResult:
    return result(
        id="dp<=0.1",
        kind="fairness",
        metric="demographic_parity_difference",
        estimate=0.04,
        interval=Interval(0.01, 0.12, 0.95, "bootstrap-percentile-stratified"),
        threshold=Threshold(max=0.1),
        evidence="strict",
        n=400,
        verdict=Verdict.FAIL,
        severity="review",
        groups=(
            GroupValue("sex=F", 199, {"selection_rate": 0.57}),
            GroupValue("sex=M", 201, {"selection_rate": 0.53}),
            GroupValue("sex=X", 3, {"selection_rate": 1.0}, excluded=True),
        ),
    )


def datacheck_result() -> CheckResult:
    return result(
        id="drift",
        kind="data",
        verdict=Verdict.ERROR,
        message="ERROR: reference data missing",
        groups=(
            GroupValue("age", 100, {"psi": 0.31}, flagged=True, detail="shifted right"),
            GroupValue("income", 100, {"psi": 0.02}, flagged=False, detail=""),
        ),
    )


def all_results() -> list[CheckResult]:
    return [metric_result(), compare_result(), fairness_result(), datacheck_result()]


# ---------------------------------------------------------------------------- schema


def test_top_level_schema() -> None:
    results = all_results()
    decision = decide(results, expected=["recall>=0.8", "auc-vs-prod", "dp<=0.1", "drift", "x"])
    lineage = {"seed": 7, "data": {"test": {"sha256": "ab" * 32}}}
    report = build_report(results, decision, lineage, spec_path="gates.yaml", task="binary")
    assert list(report) == [
        "schema_version",
        "created_at",
        "spec",
        "task",
        "decision",
        "decision_detail",
        "summary",
        "gates",
        "lineage",
    ]
    assert report["schema_version"] == SCHEMA_VERSION == 1
    assert report["spec"] == "gates.yaml"
    assert report["task"] == "binary"
    assert report["decision"] == decision.outcome == "block"
    assert report["decision_detail"] == {
        "outcome": "block",
        "reasons": list(decision.reasons),
        "partial": True,
        "not_run": ["x"],
        "exit_status": 1,
    }
    assert report["summary"] == {"PASS": 1, "FAIL": 1, "INCONCLUSIVE": 1, "ERROR": 1}
    assert [g["id"] for g in report["gates"]] == ["recall>=0.8", "auc-vs-prod", "dp<=0.1", "drift"]
    assert report["lineage"] == lineage
    created = datetime.fromisoformat(report["created_at"])
    assert created.utcoffset() is not None and created.utcoffset().total_seconds() == 0
    assert created.microsecond == 0


def test_defaults_without_lineage_spec_or_task() -> None:
    report = build_report([], decide([]), None)
    assert report["lineage"] == {}
    assert report["spec"] is None and report["task"] is None
    assert report["gates"] == []
    assert report["decision"] == "review"


def test_gate_entry_shape() -> None:
    [gate] = build_report([metric_result()], decide([metric_result()]), {})["gates"]
    assert gate == {
        "id": "recall>=0.8",
        "name": "recall at least 0.8",
        "kind": "metric",
        "severity": "block",
        "verdict": "INCONCLUSIVE",
        "message": "INCONCLUSIVE: recall = 0.8125",
        "line": 4,
        "spec_file": "gates.yaml",
        "metric": "recall",
        "slice": {"sex": "F", "age": 3},
        "estimate": 0.8125,
        "interval": {"low": 0.75, "high": 0.86, "level": 0.95, "method": "wilson"},
        "threshold": {"min": 0.8},
        "rule": "strict: lower 95% bound >= 0.8",
        "evidence": "strict",
        "n": 160,
        "p_value": None,
        "details": "  metric  recall\n  n       160",
        "notes": ["intersection–union"],
        "comparison": None,
        "p_adjusted": 0.031,
        "detectable": 0.07,
        "groups": None,
        "examples": None,  # #19: rows behind a finding (churn, leakage)
    }
    assert type(gate["n"]) is int and type(gate["slice"]["age"]) is int


def test_comparison_and_groups_entries() -> None:
    results = [compare_result(), fairness_result(), datacheck_result()]
    gates = build_report(results, decide(results), {})["gates"]
    assert gates[0]["threshold"] == {"min": -0.01, "max": 0.5}
    assert gates[0]["comparison"] == {
        "metric": "roc_auc",
        "against": "baseline",
        "source": "stored baseline .modelgate/baseline",
        "candidate": 0.861,
        "baseline": 0.8525,
        "paired": True,
        "test": "delong-paired",
        "orientation": "higher is better",
        "delta": 0.0085,
        "p_value": 0.21,
        "n": 400,
        "note": "tied scores",
    }
    assert gates[1]["groups"][2] == {
        "group": "sex=X",
        "n": 3,
        "values": {"selection_rate": 1.0},
        "excluded": True,
    }
    assert gates[2]["groups"][0] == {
        "group": "age",
        "n": 100,
        "values": {"psi": 0.31},
        "excluded": False,
        "flagged": True,
        "detail": "shifted right",
    }
    assert gates[2]["interval"] is None and gates[2]["threshold"] is None


# ---------------------------------------------------------------------------- nan → null


def test_nan_and_inf_become_null_everywhere(tmp_path: Path) -> None:
    r = result(
        estimate=NAN,
        interval=Interval(NAN, NAN, 0.95, "wilson"),
        p_value=math.inf,
        p_adjusted=-math.inf,
        detectable=np.float64("nan"),
        slice={"bin": NAN},
        groups=(GroupValue("a", 0, {"tpr": NAN, "fpr": np.float64(0.25)}),),
        comparison=ComparisonResult(
            metric="f1",
            delta=NAN,
            interval=Interval(NAN, NAN, 0.95, "z"),
            candidate=NAN,
            baseline=0.5,
            n=0,
            paired=False,
            test="z",
            p_value=NAN,
        ),
    )
    lineage = {"score": NAN, "nested": [1.0, math.inf, {"x": -math.inf}], "np": np.float32(2.5)}
    report = build_report([r], decide([r]), lineage)
    path = write_report(report, tmp_path / "r.json")
    loaded = strict_loads(path.read_text(encoding="utf-8"))  # no NaN / Infinity tokens
    [gate] = loaded["gates"]
    assert gate["estimate"] is None
    assert gate["interval"] == {"low": None, "high": None, "level": 0.95, "method": "wilson"}
    assert gate["p_value"] is None and gate["p_adjusted"] is None and gate["detectable"] is None
    assert gate["slice"] == {"bin": None}
    assert gate["groups"][0]["values"] == {"tpr": None, "fpr": 0.25}
    assert gate["comparison"]["delta"] is None
    assert gate["comparison"]["candidate"] is None
    assert gate["comparison"]["p_value"] is None
    assert loaded["lineage"] == {"score": None, "nested": [1.0, None, {"x": None}], "np": 2.5}


def test_a_gate_entry_is_json_ready_on_its_own() -> None:
    """``CheckResult.to_dict`` (how results travel from xdist workers) is JSON without help."""
    r = result(
        estimate=NAN,
        interval=Interval(NAN, math.inf, 0.95, "normal"),
        p_value=NAN,
        groups=(GroupValue("a", 1, {"tpr": NAN}),),
    )
    entry = strict_loads(json.dumps(r.to_dict()))
    assert entry["interval"] == {"low": None, "high": None, "level": 0.95, "method": "normal"}
    assert entry["estimate"] is None and entry["p_value"] is None
    assert entry["groups"][0]["values"] == {"tpr": None}


def test_numpy_scalars_are_plain_python() -> None:
    r = result(estimate=np.float64(0.5), n=np.int64(12), p_value=np.float32(0.25))
    report = build_report([r], decide([r]), {"rows": np.int64(12), "flag": np.bool_(True)})
    text = json.dumps(report)  # would raise TypeError on a numpy scalar
    assert strict_loads(text)["lineage"] == {"rows": 12, "flag": True}
    assert type(report["gates"][0]["n"]) is int
    assert type(report["gates"][0]["estimate"]) is float


# ---------------------------------------------------------------------------- round trip


@pytest.mark.parametrize(
    "make",
    [metric_result, compare_result, fairness_result, datacheck_result],
    ids=lambda f: f.__name__,
)
def test_gates_round_trip_through_from_dict(make: Any, tmp_path: Path) -> None:
    original = make()
    report = build_report([original], decide([original]), {})
    path = write_report(report, tmp_path / "report.json")
    [entry] = strict_loads(path.read_text(encoding="utf-8"))["gates"]
    back = CheckResult.from_dict(entry)
    assert back == original
    assert back.to_dict() == entry
    assert isinstance(back.verdict, Verdict)
    assert back.interval is None or isinstance(back.interval, Interval)
    assert back.threshold is None or isinstance(back.threshold, Threshold)
    assert back.comparison is None or isinstance(back.comparison, ComparisonResult)
    assert back.groups is None or all(isinstance(g, GroupValue) for g in back.groups)


def test_round_trip_of_undefined_numbers_gives_nan() -> None:
    original = result(estimate=NAN, interval=Interval(NAN, 0.4, 0.9, "normal"))
    entry = json.loads(json.dumps(build_report([original], decide([original]), {})["gates"][0]))
    back = CheckResult.from_dict(entry)
    assert back.estimate is None  # an undefined estimate reads back as "no estimate"
    assert back.interval is not None
    assert math.isnan(back.interval.low) and back.interval.high == 0.4
    assert (back.interval.level, back.interval.method) == (0.9, "normal")
    assert not back.has_interval


# ---------------------------------------------------------------------------- writing


def test_write_report_writes_pretty_json_atomically(tmp_path: Path) -> None:
    r = metric_result()
    report = build_report([r], decide([r]), {"seed": 1})
    target = tmp_path / "out" / "nested" / "report.json"
    path = write_report(report, str(target))
    assert path == target and isinstance(path, Path)
    text = target.read_text(encoding="utf-8")
    assert text.endswith("}\n")
    assert text.startswith('{\n  "schema_version": 1,\n  "created_at": ')
    assert json.loads(text) == report
    assert sorted(p.name for p in target.parent.iterdir()) == ["report.json"]


def test_write_report_replaces_an_old_report(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old, much longer content " * 100, encoding="utf-8")
    write_report({"schema_version": 1}, target)
    assert target.read_text(encoding="utf-8") == '{\n  "schema_version": 1\n}\n'
