"""Sliced gates end to end: one JSON entry per gate × slice, grouping, edge cases."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from .conftest import SPEC_HEAD


def test_sliced_gate_reports_every_slice(project):
    project.makefile(
        ".yaml",
        gates=SPEC_HEAD
        + """\
  - metric: accuracy
    min: 0.7
    slices: [group, {column: f1, bins: [-10, 0, 10]}]
""",
    )
    result = project.runpytest("--modelgate")
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "accuracy>=0.7 (4 slices) *>=0.7 *strict: all slices*PASS",
            "  group=a *clopper-pearson*PASS*",
            "  group=b *clopper-pearson*PASS*",
            "  f1=[[]-10, 0) *PASS*",
            "  f1=[[]0, 10) *PASS*",
        ]
    )
    report = json.loads((project.path / ".modelgate" / "report.json").read_text())
    slices = [g["slice"] for g in report["gates"]]
    assert slices == [{"group": "a"}, {"group": "b"}, {"f1": "[-10, 0)"}, {"f1": "[0, 10)"}]
    assert sum(g["n"] for g in report["gates"][:2]) == 1500
    assert all(g["detectable"] > 0 for g in report["gates"])


def test_failing_slice_is_named_in_the_decision(project):
    project.makefile(
        ".yaml",
        gates=SPEC_HEAD
        + """\
  - metric: recall
    min: 0.75
    slices: [group]
""",
    )
    result = project.runpytest("--modelgate")
    out = result.stdout.str()
    assert result.ret == 1, out
    assert "FAIL: gate recall>=0.75 on" in out
    result.stdout.fnmatch_lines(
        [
            "DECISION: BLOCK — 1 blocking gate (2 slices) failed: recall>=0.75[[]group=a[]], "
            "recall>=0.75[[]group=b[]]"
        ]
    )


def test_missing_values_form_their_own_slice_and_single_class_slices(project):
    data = project.path / "data" / "test.csv.gz"
    frame = pd.read_csv(data)
    frame.loc[:49, "group"] = np.nan  # 50 rows without a group
    frame.loc[frame["group"] == "b", "label"] = "no"  # one slice with a single class
    frame.to_csv(data, index=False)
    project.makefile(
        ".yaml",
        gates=SPEC_HEAD
        + """\
  - metric: roc_auc
    min: 0.6
    slices: [group]
""",
    )
    result = project.runpytest("--modelgate", "-rs")
    result.stdout.fnmatch_lines(
        [
            "  group=a *PASS*",
            "  group=b *INCONCLUSIVE*",
            "  group=<missing> * 50 *",
        ]
    )
    report = json.loads((project.path / ".modelgate" / "report.json").read_text())
    b = next(g for g in report["gates"] if g["slice"] == {"group": "b"})
    assert b["verdict"] == "INCONCLUSIVE" and "only negative labels" in b["message"]


def test_id_like_column_is_refused_with_advice(project):
    project.makefile(
        ".yaml",
        gates=SPEC_HEAD
        + """\
  - metric: accuracy
    min: 0.7
    slices: [f2]
""",
    )
    result = project.runpytest("--modelgate")
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            "*ERROR: gates.yaml:15: gates[[]0[]].slices: slicing by f2 makes "
            "1500 slices (cap: stats.max_slices = 50); bin a numeric column*"
        ]
    )


def test_lenient_sliced_gate_reports_holm(project):
    project.makefile(
        ".yaml",
        gates=SPEC_HEAD
        + """\
  - metric: accuracy
    min: 0.75
    evidence: lenient
    slices: [group]
""",
    )
    result = project.runpytest("--modelgate")
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(
        ["accuracy>=0.75 (2 slices) *lenient: Holm*", "  group=a *PASS (Holm p=*"]
    )
    report = json.loads((project.path / ".modelgate" / "report.json").read_text())
    assert all(g["p_adjusted"] is not None and g["p_value"] is not None for g in report["gates"])
    assert report["gates"][0]["rule"].startswith("lenient, Holm over 2 slices")
