"""The weak-slice scan: its statistics against scipy/statsmodels and brute force, the merging rule,
and the proposed gates parsed back by the spec loader (hostile column names and values)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import pytest_modelgate as mg
from pytest_modelgate.audit.scan import Condition, Finding, ScanResult, merge_findings, scan_slices
from pytest_modelgate.audit.snippets import scan_snippet
from pytest_modelgate.errors import ModelgateError
from pytest_modelgate.estimates.metrics import get_metric
from pytest_modelgate.evidence.slicing import slice_rows
from pytest_modelgate.spec import parse_spec

HEAD = """\
version: 1
data: {test: t.csv, target: y}
models: {candidate: m.joblib}
gates:
"""


def _planted(n: int = 8_000, seed: int = 4, drop: float = 0.15) -> tuple[Any, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "c": rng.choice(list("abcd"), n),
            "d": rng.choice(list("pqrs"), n),
            "x": rng.normal(size=n),
        }
    )
    weak = ((frame["c"] == "a") & (frame["d"] == "q")).to_numpy()
    y = rng.integers(0, 2, n)
    right = rng.random(n) < np.where(weak, 0.85 - drop, 0.85)
    return mg.evaluate(y, np.where(right, y, 1 - y), sensitive=frame, seed=1), frame


def test_confirmation_numbers_match_scipy_on_the_confirmation_rows():
    ev, frame = _planted()
    discovery = np.random.default_rng(9).random(len(frame)) < 0.5
    result = scan_slices(
        ev.candidate,
        frame,
        get_metric("accuracy", "binary"),
        columns=["c", "d", "x"],
        seed=0,
        discovery_rows=discovery,
    )
    assert result.split == "data.scan" and result.findings
    right = ev.candidate.y_true == ev.candidate.y_pred
    confirm = ~discovery
    top = result.findings[0]
    assert top.key == "c=a, d=q"
    rows = confirm & (frame["c"] == "a").to_numpy() & (frame["d"] == "q").to_numpy()
    rest = confirm & ~rows
    x, n = int(right[rows].sum()), int(rows.sum())
    assert top.n == n and top.estimate == pytest.approx(x / n)
    assert top.rest == pytest.approx(right[rest].mean())
    # Fisher's exact one-sided test of "fewer right in the slice"
    table = [[x, n - x], [int(right[rest].sum()), int((~right[rest]).sum())]]
    assert top.p_value == pytest.approx(stats.fisher_exact(table, alternative="less")[1], rel=1e-6)
    ci = stats.binomtest(x, n).proportion_ci(confidence_level=0.95, method="exact")
    assert (top.low, top.high) == pytest.approx((ci.low, ci.high), rel=1e-9)
    assert top.shortfall_low < top.shortfall < top.shortfall_high
    assert top.adjusted_p <= 0.05 and top.adjusted_p >= top.p_value
    # the discovery numbers are the discovery rows' own
    drows = discovery & (frame["c"] == "a").to_numpy() & (frame["d"] == "q").to_numpy()
    assert top.discovery_n == int(drows.sum())
    assert top.discovery_estimate == pytest.approx(right[drows].mean())


def test_holm_and_bh_adjust_the_carried_p_values_as_statsmodels_does():
    from statsmodels.stats.multitest import multipletests

    from pytest_modelgate.audit.scan import _adjust

    p = np.array([0.001, 0.04, 0.03, 0.2, 0.0004])
    assert _adjust(p, "holm") == pytest.approx(multipletests(p, method="holm")[1])
    assert _adjust(p, "bh") == pytest.approx(multipletests(p, method="fdr_bh")[1])


def test_a_planted_weak_slice_is_found_and_nothing_without_one():
    ev, _ = _planted()
    found = ev.scan()
    assert [f.key for f in found.findings][:1] == ["c=a, d=q"]
    clean, _ = _planted(drop=0.0)
    assert clean.scan().findings == ()


def test_a_loss_metric_uses_welch_on_the_confirmation_rows():
    rng = np.random.default_rng(2)
    n = 6000
    g = rng.choice(["u", "v"], n)
    p = np.clip(rng.beta(2, 2, n), 0.01, 0.99)
    y = (rng.random(n) < np.where(g == "u", p, 1 - p)).astype(int)  # scores wrong-way on v
    ev = mg.evaluate(y, None, p, sensitive={"g": g}, seed=0)
    result = ev.scan("log_loss", max_depth=1)
    assert [f.key for f in result.findings] == ["g=v"]
    assert result.findings[0].shortfall > 0 and not result.higher_is_better


def test_scan_arguments_are_validated_like_the_spec():
    ev, _ = _planted(n=2000)
    with pytest.raises(ModelgateError, match=r"scan\(\).*correction"):
        ev.scan(correction="bonferroni")
    with pytest.raises(ModelgateError, match="did you mean `accuracy`"):
        ev.scan("acuracy")
    with pytest.raises(ModelgateError, match="proportion metric"):
        ev.scan("f1")


def _finding(conds: tuple[Condition, ...], est: float, low: float, high: float) -> Finding:
    return Finding(conds, 100, est, low, high, 0.9, 0.9 - est, 0.0, 0.2, 1e-4, 1e-3, est, 100)


def test_a_sub_slice_merges_unless_worse_beyond_its_interval():
    a = Condition("sex", text="F")
    b = Condition("race", text="B")
    c = Condition("race", text="C")
    parent = _finding((a,), 0.80, 0.78, 0.82)
    inside = _finding((a, b), 0.77, 0.70, 0.84)  # its interval reaches the parent: one finding
    beyond = _finding((a, c), 0.60, 0.55, 0.65)  # worse beyond its interval: its own finding
    merged = merge_findings([inside, beyond, parent], higher=True)
    keys = [f.key for f in merged]
    assert keys == ["sex=F, race=C", "sex=F"]
    assert merged[1].merged == ("sex=F, race=B",)


HOSTILE = [
    "a: b",
    "- x",
    "#c",
    "yes",
    "null",
    "1",
    "",
    " lead",
    'quote"s',
    "it's",
    "line\nbreak",
    "tab\there",
    "\x1b[31mred",
    "sep\u2028x",
    "ünï",
    "&anchor",
    "*alias",
    "!tag",
    "{x}",
    "[y]",
    "%p",
    "|",
    "<missing>",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_proposed_gates_parse_back_to_exactly_the_slice(value):
    column = f"col {value}" if value else "c"
    values = np.array([value, "other", value, "x", None], dtype=object)
    frame = pd.DataFrame({column: values, "num": [0.5, 1.5, 2.5, 3.5, 4.5]})
    cond = (Condition(column, text=value), Condition("num", low=0.1 + 0.2, high=2.5))
    result = ScanResult(
        "accuracy",
        True,
        0.9,
        10,
        10,
        "half",
        (column,),
        (),
        5,
        1,
        "holm",
        0.05,
        0.95,
        0,
        (_finding(cond, 0.7, 0.6512345, 0.8),),
    )
    text = HEAD + scan_snippet(result)
    spec = parse_spec(text)
    (gate,) = spec.gates
    assert gate.config.min == 0.651 and gate.config.evidence == "lenient"
    (sl,) = slice_rows(frame, gate.config.slices, max_slices=50, where="test")
    expected = np.flatnonzero(
        (frame[column].map(lambda v: "<missing>" if v is None else v) == value).to_numpy()
        & (frame["num"] >= 0.1 + 0.2).to_numpy()
        & (frame["num"] < 2.5).to_numpy()
    )
    assert sl.rows.tolist() == expected.tolist() and len(expected) >= 1
    # the terminal/HTML section: one printable line per line, whatever the value
    from pytest_modelgate.audit.render import scan_lines
    from pytest_modelgate.report.html import render_html

    lines = scan_lines(result)
    assert not any(ch in line for line in lines for ch in "\n\r\x1b\u2028")
    assert (
        "<missing"
        not in render_html("s", [], mg.decide([]), {}, [("scan", lines)]).split("<h2>scan</h2>")[1]
    )
    assert "\n  # " in text and all(
        line.startswith("  ") for line in text[len(HEAD) :].split("\n") if line
    )


def test_where_slices_select_values_ranges_and_missing_from_yaml():
    frame = pd.DataFrame({"s": ["a", "b", None, "a"], "v": [1.0, np.nan, 3.0, 7.0]})
    spec = parse_spec(
        HEAD
        + """\
  - metric: accuracy
    min: 0.5
    slices:
      - where: {s: a, v: {min: 2}}
      - where: {s: "<missing>"}
      - where: {v: {max: 2}}
"""
    )
    got = [
        sl.rows.tolist()
        for sl in slice_rows(frame, spec.gates[0].config.slices, max_slices=50, where="t")
    ]
    assert got == [[3], [2], [0]]
    labels = [
        sl.label for sl in slice_rows(frame, spec.gates[0].config.slices, max_slices=50, where="t")
    ]
    assert labels == [{"s": "a", "v": ">= 2"}, {"s": "<missing>"}, {"v": "< 2"}]


def test_a_bad_where_range_is_a_located_spec_error():
    with pytest.raises(mg.SpecError, match=r"gates\[0\].*min.*must be below"):
        parse_spec(
            HEAD
            + "  - metric: accuracy\n    min: 0.5\n    slices: [{where: {v: {min: 3, max: 1}}}]\n"
        )
