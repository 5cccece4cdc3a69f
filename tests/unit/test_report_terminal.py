"""The terminal section: the aligned gate table, the worst-slice marker, the comparison block,
grouped error messages and the decision lines (``report/terminal.py``)."""

from __future__ import annotations

import math
from typing import Any

import pytest

from pytest_modelgate.decision import decide
from pytest_modelgate.report.terminal import (
    format_decision_section,
    format_table,
    worst_slice,
)
from pytest_modelgate.results import CheckResult, ComparisonResult, Threshold, Verdict
from pytest_modelgate.stats.intervals import Interval
from tests.reports import check_result

NAN = float("nan")


def result(**kw: Any) -> CheckResult:
    return check_result(**{"metric": "accuracy", **kw})


def iv(low: float, high: float, level: float = 0.95, method: str = "wilson") -> Interval:
    return Interval(low, high, level, method)


# ---------------------------------------------------------------------------- format_table


def test_table_is_aligned_exactly() -> None:
    rows = [
        result(
            id="accuracy>=0.8",
            estimate=0.91234,
            interval=iv(0.9, 0.92),
            threshold=Threshold(min=0.8),
            evidence="strict",
            n=1000,
        ),
        result(
            id="mae<=2",
            metric="mae",
            verdict=Verdict.FAIL,
            severity="warn",
            estimate=2.5,
            interval=iv(2.25, 2.75, 0.9, "bootstrap-bca"),
            threshold=Threshold(max=2),
            evidence="point",
            n=37,
        ),
    ]
    assert format_table(rows) == [
        "gate           estimate  interval                            required  rule    n     verdict",
        "accuracy>=0.8  0.9123    [0.9000, 0.9200] 95% wilson         >=0.8     strict  1000  PASS",
        "mae<=2         2.5000    [2.2500, 2.7500] 90% bootstrap-bca  <=2       point   37    FAIL (warn)",
    ]


def test_every_column_starts_at_the_same_offset() -> None:
    rows = [
        result(id="a", estimate=0.5, interval=iv(0.4, 0.6), threshold=Threshold(min=0.1), n=5),
        result(
            id="a-much-longer-gate-id",
            estimate=12345.5,
            interval=iv(-1000.25, 99999.125, 0.99, "normal"),
            threshold=Threshold(min=0.1, max=100000),
            evidence="lenient",
            n=1234567,
        ),
    ]
    lines = format_table(rows)
    header = lines[0]
    starts = [header.index(col) for col in ("estimate", "interval", "required", "rule", "n  ")]
    starts.append(header.index("verdict"))
    for line in lines[1:]:
        for start in starts:
            assert line[start - 2 : start] == "  ", (line, start)
            assert line[start] != " ", (line, start)
    assert lines[2].split("  ")[0] == "a-much-longer-gate-id"
    assert "[-1000.2500, 99999.1250] 99% normal" in lines[2]
    assert ">=0.1 <=100000" in lines[2]


def test_no_trailing_whitespace() -> None:
    lines = format_table([result(estimate=None, n=None)])
    assert all(line == line.rstrip() for line in lines)


@pytest.mark.parametrize("value", [-0.0, -0.00004, -1e-9])
def test_negative_zero_is_printed_as_zero(value: float) -> None:
    [_, row] = format_table(
        [result(estimate=value, interval=iv(value, value), threshold=Threshold(min=0.0))]
    )
    assert "-0.0000" not in row
    cells = ["g", "0.0000", "[0.0000,", "0.0000]", "95%", "wilson", ">=0", "-", "-", "PASS"]
    assert row.split() == cells


def test_small_negative_numbers_keep_their_sign() -> None:
    [_, row] = format_table([result(estimate=-0.00051, interval=iv(-0.0012, 0.0003))])
    assert row.split()[1:4] == ["-0.0005", "[-0.0012,", "0.0003]"]


def test_missing_numbers() -> None:
    lines = format_table(
        [
            result(id="none", estimate=None, interval=None, threshold=None, n=None),
            result(id="nan", estimate=NAN, interval=iv(NAN, NAN), threshold=Threshold(), n=0),
            result(id="half", estimate=0.5, interval=iv(0.1, NAN), n=3),
        ]
    )
    # estimate None: "-"; nan: "n/a"; undefined interval: "-"; no bar: "-"; n 0 is a number
    assert lines[1].split() == ["none", "-", "-", "-", "-", "-", "PASS"]
    assert lines[2].split() == ["nan", "n/a", "-", "-", "-", "0", "PASS"]
    assert lines[3].split() == ["half", "0.5000", "-", "-", "-", "3", "PASS"]


def test_verdict_column_severity_and_holm() -> None:
    lines = format_table(
        [
            result(id="a", verdict=Verdict.FAIL, severity="review"),
            result(id="b", verdict=Verdict.FAIL, severity="warn", p_adjusted=0.012345),
            result(id="c", verdict=Verdict.PASS, p_adjusted=0.5),
        ]
    )
    assert lines[1].endswith("FAIL (review)")
    assert lines[2].endswith("FAIL (warn; Holm p=0.0123)")
    assert lines[3].endswith("PASS (Holm p=0.5)")


def _slices(evidence: str = "lenient") -> list[CheckResult]:
    def one(value: str, est: float, verdict: Verdict, n: int) -> CheckResult:
        return result(
            id="recall>=0.8",
            metric="recall",
            slice={"sex": value},
            estimate=est,
            interval=iv(est - 0.05, est + 0.05),
            threshold=Threshold(min=0.8),
            evidence=evidence,
            n=n,
            verdict=verdict,
        )

    return [
        one("F", 0.86, Verdict.PASS, 120),
        one("M", 0.79, Verdict.INCONCLUSIVE, 80),
        one("X", 0.81, Verdict.INCONCLUSIVE, 9),
    ]


def test_sliced_gate_header_slices_and_worst_marker() -> None:
    rows = [*_slices(), result(id="acc", estimate=0.9, threshold=Threshold(min=0.5), n=209)]
    assert format_table(rows) == [
        "gate                    estimate  interval                     required  rule           n    verdict",
        "recall>=0.8 (3 slices)                                         >=0.8     lenient: Holm       INCONCLUSIVE",
        "  sex=F                 0.8600    [0.8100, 0.9100] 95% wilson  >=0.8     lenient        120  PASS",
        "  sex=M                 0.7900    [0.7400, 0.8400] 95% wilson  >=0.8     lenient        80   INCONCLUSIVE  ◀ worst",
        "  sex=X                 0.8100    [0.7600, 0.8600] 95% wilson  >=0.8     lenient        9    INCONCLUSIVE",
        "acc                     0.9000    -                            >=0.5     -              209  PASS",
    ]


@pytest.mark.parametrize(
    ("evidence", "rule"),
    [("strict", "strict: all slices"), ("point", "point: all slices"), (None, "-: -")],
)
def test_sliced_gate_rule_across_slices(evidence: str | None, rule: str) -> None:
    header = format_table(_slices(evidence))[1]  # type: ignore[arg-type]
    assert header.split("  ")[0] == "recall>=0.8 (3 slices)"
    assert rule in header


def test_sliced_gate_header_takes_the_worst_verdict_and_severity() -> None:
    group = _slices()
    group[0] = result(**{**group[0].__dict__, "verdict": Verdict.ERROR})
    group = [result(**{**r.__dict__, "severity": "warn"}) for r in group]
    header = format_table(group)[1]
    assert header.endswith("ERROR (warn)")


def test_a_single_slice_gets_a_header_but_no_worst_marker() -> None:
    lines = format_table(_slices()[:1])
    assert lines[1].startswith("recall>=0.8 (1 slices)")
    assert lines[2].startswith("  sex=F")
    assert "◀" not in "\n".join(lines)


def test_slices_of_one_gate_are_grouped_even_when_not_adjacent() -> None:
    a, b, c = _slices()
    lines = format_table([a, result(id="other"), b, c])
    labels = [line.split("  ")[0] if line[0] != " " else line.split()[0] for line in lines[1:]]
    assert labels == ["recall>=0.8 (3 slices)", "sex=F", "sex=M", "sex=X", "other"]


# ---------------------------------------------------------------------------- worst_slice


def test_worst_slice_below_a_minimum() -> None:
    group = _slices()
    assert worst_slice(group) is group[1]


def test_worst_slice_above_a_maximum() -> None:
    group = [
        result(slice={"s": str(i)}, estimate=e, threshold=Threshold(max=0.1))
        for i, e in enumerate([0.02, 0.12, 0.09])
    ]
    assert worst_slice(group) is group[1]


def test_worst_slice_with_both_bounds_uses_the_nearer_one() -> None:
    band = Threshold(min=0.0, max=1.0)
    group = [
        result(slice={"s": "a"}, estimate=0.2, threshold=band),  # margins 0.2 / 0.8
        result(slice={"s": "b"}, estimate=0.95, threshold=band),  # margins 0.95 / 0.05
        result(slice={"s": "c"}, estimate=0.5, threshold=band),
    ]
    assert worst_slice(group) is group[1]


def test_worst_slice_skips_undefined_estimates_and_missing_bars() -> None:
    group = [
        result(slice={"s": "a"}, estimate=NAN, threshold=Threshold(min=0.8)),
        result(slice={"s": "b"}, estimate=None, threshold=Threshold(min=0.8)),
        result(slice={"s": "c"}, estimate=0.1, threshold=None),
        result(slice={"s": "d"}, estimate=0.9, threshold=Threshold(min=0.8)),
    ]
    assert worst_slice(group) is group[3]
    assert worst_slice(group[:3]) is None
    assert worst_slice([]) is None


def test_worst_slice_tie_is_the_first() -> None:
    group = [
        result(slice={"s": "a"}, estimate=0.7, threshold=Threshold(min=0.8)),
        result(slice={"s": "b"}, estimate=0.7, threshold=Threshold(min=0.8)),
    ]
    assert worst_slice(group) is group[0]


def test_nan_slice_is_never_marked_worst() -> None:
    group = _slices()
    group[1] = result(**{**group[1].__dict__, "estimate": NAN})
    lines = format_table(group)
    [marked] = [line for line in lines if "◀ worst" in line]
    assert marked.split()[0] == "sex=X"
    assert math.isnan(group[1].estimate)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- decision section


def _comparison(**kw: Any) -> ComparisonResult:
    base: dict[str, Any] = {
        "metric": "roc_auc",
        "delta": 0.01,
        "interval": iv(-0.01, 0.03, method="delong-paired"),
        "candidate": 0.8612,
        "baseline": 0.8512,
        "n": 500,
        "paired": True,
        "test": "delong-paired",
        "against": "baseline",
        "source": "stored baseline .modelgate/baseline",
    }
    base.update(kw)
    return ComparisonResult(**base)


def _compare_result(id: str, comparison: ComparisonResult, **kw: Any) -> CheckResult:
    return result(
        id=id,
        kind="compare",
        metric=comparison.metric,
        estimate=comparison.delta,
        interval=comparison.interval,
        threshold=Threshold(min=-0.01),
        evidence="strict",
        n=comparison.n,
        comparison=comparison,
        **kw,
    )


def test_comparison_block() -> None:
    results = [
        _compare_result("auc-vs-prod", _comparison(), p_value=0.0123456),
        _compare_result(
            "f1-vs-prod",
            _comparison(metric="f1", candidate=0.7, baseline=0.7000001, paired=False, test="z"),
            p_value=0.0,
        ),
        _compare_result(
            "auc-vs-const",
            _comparison(
                against="constant",
                source="best constant predictor",
                candidate=0.8612,
                baseline=0.5,
                test="delong",
            ),
            p_value=None,
        ),
    ]
    lines = format_decision_section(results, decide(results))
    start = lines.index("comparisons (Δ oriented so that higher is better):")
    assert lines[start - 1] == ""
    assert lines[start + 1 : start + 6] == [
        "  vs baseline: stored baseline .modelgate/baseline",
        "    auc-vs-prod   candidate 0.8612 vs 0.8512; paired, delong-paired, p = 0.0123",
        "    f1-vs-prod    candidate 0.7000 vs 0.7000; UNPAIRED, z, p < 1e-300",
        "  vs constant: best constant predictor",
        "    auc-vs-const  candidate 0.8612 vs 0.5000; paired, delong",
    ]


def test_no_comparison_block_without_comparisons() -> None:
    results = [result()]
    assert not any(
        "comparisons" in line for line in format_decision_section(results, decide(results))
    )


def test_section_layout_and_problem_lines() -> None:
    results = [
        result(id="acc", estimate=0.9, n=10),
        result(
            id="rec",
            verdict=Verdict.FAIL,
            message="FAIL: recall = 0.5",
            spec_file="gates.yaml",
            line=12,
        ),
        result(id="prec", verdict=Verdict.INCONCLUSIVE, severity="warn", message="too few rows"),
    ]
    decision = decide(results)
    lines = format_decision_section(results, decision, header="modelgate: gates.yaml")
    table = format_table(results)
    assert lines[0] == "modelgate: gates.yaml"
    assert lines[1 : 1 + len(table)] == table
    rest = lines[1 + len(table) :]
    assert rest == [
        "",
        "gates.yaml:12: rec: FAIL: recall = 0.5",
        "prec: too few rows",
        "",
        *[f"  - {reason}" for reason in decision.reasons[1:]],
        decision.headline(),
    ]
    assert decision.headline().startswith("DECISION: BLOCK — 1 blocking gate failed: rec")
    assert len(decision.reasons) > 1  # the "inconclusive: prec" reason is listed


def test_repeated_messages_are_grouped_in_first_seen_order() -> None:
    boom = "data file tests/data.csv not found"
    results = [
        result(id="a", verdict=Verdict.ERROR, message=boom, spec_file="gates.yaml", line=3),
        result(id="b", verdict=Verdict.FAIL, message="FAIL: b"),
        result(id="c", verdict=Verdict.ERROR, message=boom, spec_file="gates.yaml", line=7),
        result(id="d", slice={"sex": "F"}, verdict=Verdict.ERROR, message=boom),
        result(id="e", verdict=Verdict.PASS, message=boom),  # passing: never listed
    ]
    lines = format_decision_section(results, decide(results))
    problems = lines[len(format_table(results)) :]
    assert problems[:3] == [
        "",
        f"3 gates (a, c, d[sex=F]): {boom}",
        "b: FAIL: b",
    ]


def test_empty_run() -> None:
    decision = decide([])
    assert format_decision_section([], decision) == ["", "DECISION: REVIEW — no gate was run"]


def test_worst_slice_is_a_failing_slice_when_one_fails() -> None:
    """An INCONCLUSIVE slice with a lower estimate must not take the marker from the slice that
    fails (issue #13: the marker pointed at the inconclusive one)."""
    bar = Threshold(min=0.8)
    group = [
        result(slice={"s": "small"}, estimate=0.5, threshold=bar, verdict=Verdict.INCONCLUSIVE),
        result(slice={"s": "big"}, estimate=0.7, threshold=bar, verdict=Verdict.FAIL),
        result(slice={"s": "ok"}, estimate=0.9, threshold=bar, verdict=Verdict.PASS),
    ]
    assert worst_slice(group) is group[1]
