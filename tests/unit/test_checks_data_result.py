"""Data-check findings and their CheckResult: the worst column drives the verdict, all are listed."""

from __future__ import annotations

import math

import pytest

from pytest_modelgate.checks.data.result import (
    ColumnFinding,
    DataCheckResult,
    listing,
    to_check_result,
    worst_first,
)
from pytest_modelgate.results import GroupValue, Threshold, Verdict
from pytest_modelgate.spec import CHECK_MODELS, Gate


def _gate(check: str, **options: object) -> Gate:
    config = CHECK_MODELS[check].model_validate({"check": check, **options})
    return Gate(3, options.get("name", check), "check", config, 17, "gates.yaml")  # type: ignore[arg-type]


def test_findings_are_frozen() -> None:
    finding = ColumnFinding("x", 0.1, 0.2, False, "", "numeric")
    with pytest.raises(AttributeError):
        finding.flagged = True  # type: ignore[misc]


def _finding(column: str, statistic: float, flagged: bool, **kw: object) -> ColumnFinding:
    return ColumnFinding(column, statistic, 0.2, flagged, f"{column} detail", "numeric", **kw)  # type: ignore[arg-type]


def test_worst_first_orders_flagged_then_uncomputable_then_by_size() -> None:
    findings = [
        _finding("ok_small", 0.01, False),
        _finding("bad", 0.5, True),
        _finding("nan", float("nan"), True),
        _finding("worse", 0.9, True),
        _finding("ok_big", 0.15, False),
    ]
    assert [f.column for f in worst_first(findings)] == [
        "nan",
        "worse",
        "bad",
        "ok_big",
        "ok_small",
    ]
    # p-values: smaller is worse
    ordered = worst_first(findings, higher_is_worse=False)
    assert [f.column for f in ordered] == ["nan", "bad", "worse", "ok_small", "ok_big"]


def test_listing_names_ten_then_counts() -> None:
    assert listing(["a", "b"]) == "a, b"
    assert listing([f"c{i}" for i in range(13)]) == ", ".join(f"c{i}" for i in range(10)) + (
        ", and 3 more"
    )


def test_a_failing_check_names_the_columns_the_rule_and_what_next() -> None:
    findings = worst_first([_finding(f"x{i}", 0.1 * i, i > 7) for i in range(10)])
    res = DataCheckResult("drift", False, findings, "2 of 10 columns drifted", 300, 200)
    result = to_check_result(_gate("drift", name="d"), res, "PSI per column <= threshold", "look")
    assert result.verdict is Verdict.FAIL
    assert result.message == "FAIL: 2 of 10 columns drifted"
    assert (result.id, result.line, result.spec_file, result.severity) == (
        "d",
        17,
        "gates.yaml",
        "block",
    )
    assert (result.kind, result.metric, result.evidence) == ("check", "drift", "point")
    assert result.estimate == pytest.approx(0.9)  # the worst column
    assert result.threshold == Threshold(max=0.2)
    assert result.n == 200
    lines = result.details.splitlines()
    assert lines[:3] == [
        "  check  drift",
        "  rule   PSI per column <= threshold",
        "  rows   test 200, reference 300",
    ]
    assert lines[3] == "  x9     FLAGGED x9 detail"
    assert lines[5] == "  x7     x7 detail"
    # eight columns in the table, the rest counted; all of them in the JSON groups
    assert lines[-2] == "  ...    2 more columns (all in the JSON report)"
    assert lines[-1] == "  next   look"
    assert [g.group for g in result.groups] == [f"x{i}" for i in range(9, -1, -1)]
    assert result.groups[0] == GroupValue(
        "x9", 200, {"statistic": pytest.approx(0.9)}, flagged=True, detail="x9 detail"
    )
    assert result.to_dict()["groups"][0] == {
        "group": "x9",
        "n": 200,
        "values": {"statistic": pytest.approx(0.9)},
        "excluded": False,
        "flagged": True,
        "detail": "x9 detail",
    }


def test_a_passing_check_has_no_next_step_and_tests_use_a_minimum() -> None:
    res = DataCheckResult(
        "drift", True, (_finding("a", 0.3, False, p_value=0.1, p_adjusted=0.3),), "ok", None, 50
    )
    result = to_check_result(_gate("drift", method="ks"), res, "ks test", "look")
    assert result.verdict is Verdict.PASS and result.message == "PASS: ok"
    assert "next" not in result.details
    assert "  rows   50" in result.details.splitlines()
    # ks/chi2 flag a column whose adjusted p-value falls *below* alpha
    assert result.threshold == Threshold(min=0.2)
    assert (result.p_value, result.p_adjusted) == (0.1, 0.3)


def test_no_columns_gives_no_estimate() -> None:
    res = DataCheckResult("unseen_categories", True, (), "unseen_categories: no columns", 5, 5)
    result = to_check_result(_gate("unseen_categories"), res, "rule", "advice")
    assert result.verdict is Verdict.PASS
    assert result.estimate is None and result.threshold is None and result.groups == ()


def test_an_uncomputable_column_fails_with_nan() -> None:
    res = DataCheckResult("range", False, (_finding("x", float("nan"), True),), "x n/a", 5, 5)
    result = to_check_result(_gate("range"), res, "rule", "advice")
    assert result.verdict is Verdict.FAIL and math.isnan(result.estimate or 0.0)
    assert result.to_dict()["estimate"] is None
