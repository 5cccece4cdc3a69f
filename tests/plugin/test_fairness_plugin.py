"""Fairness gates end to end, with fairlearn as the reference for the point estimates."""

from __future__ import annotations

import json

import joblib
import numpy as np
import pandas as pd
import pytest
from fairlearn import metrics as flm

from .conftest import SPEC_HEAD

GATES = (
    SPEC_HEAD
    + """\
  - fairness: demographic_parity_difference
    sensitive: group
    max: 0.2
  - fairness: equalized_odds_difference
    sensitive: group
    max: 0.2
  - fairness: four_fifths_rule
    sensitive: group
  - fairness: metric_ratio
    metric: recall
    sensitive: [group]
    min: 0.7
"""
)


def test_fairness_gates_equal_fairlearn(project):
    project.makefile(".yaml", gates=GATES)
    result = project.runpytest("--modelgate")
    assert result.ret in (0, 1), result.stdout.str()
    frame = pd.read_csv(project.path / "data" / "test.csv.gz")
    model = joblib.load(project.path / "models" / "model.joblib")
    y = (frame["label"] == "yes").astype(int)
    pred = (model.predict(frame[["f1", "f2", "f3"]]) == "yes").astype(int)
    sens = frame["group"]
    from sklearn.metrics import recall_score

    expected = {
        "demographic_parity_difference": flm.demographic_parity_difference(
            y, pred, sensitive_features=sens
        ),
        "equalized_odds_difference": flm.equalized_odds_difference(
            y, pred, sensitive_features=sens
        ),
        "demographic_parity_ratio": flm.demographic_parity_ratio(y, pred, sensitive_features=sens),
        "metric_ratio(recall)": flm.MetricFrame(
            metrics=recall_score, y_true=y, y_pred=pred, sensitive_features=sens
        ).ratio(),
    }
    report = json.loads((project.path / ".modelgate" / "report.json").read_text())
    got = {g["metric"]: g["estimate"] for g in report["gates"]}
    for name, value in expected.items():
        assert got[name] == pytest.approx(value, abs=1e-12), name
    for g in report["gates"]:
        assert g["kind"] == "fairness"
        assert [row["group"] for row in g["groups"]] == ["group=a", "group=b"]
        # differences of rates: pairwise group differences; ratios: the stratified bootstrap
        expected = "pairwise-mover-cp-holm" if g["metric"].endswith("difference") else "stratified"
        assert g["interval"]["method"].endswith(expected), g["metric"]


def test_a_large_gap_fails_with_the_groups_named(project):
    data = project.path / "data" / "test.csv.gz"
    frame = pd.read_csv(data)
    # the model's positive predictions concentrate in group b: make group b the high scorers
    frame["group"] = np.where(frame["f1"] > 0.3, "b", "a")
    frame.to_csv(data, index=False)
    project.makefile(
        ".yaml",
        gates=SPEC_HEAD
        + """\
  - fairness: demographic_parity_difference
    sensitive: group
    max: 0.1
""",
    )
    result = project.runpytest("--modelgate")
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            "FAIL: demographic_parity_difference = 0.*, 95% CI [[]0.*, 0.*[]] "
            "(pairwise-mover-cp-holm), n = 1500; required <= 0.1*",
            "*group=a *n = *; selection_rate 0.*",
            "*group=b *n = *; selection_rate 0.*",
            "*gap between *group=b and group=a",
            "*next *the model treats the groups of group differently*",
        ]
    )


def test_small_groups_are_excluded_and_named(project):
    data = project.path / "data" / "test.csv.gz"
    frame = pd.read_csv(data)
    frame.loc[:9, "group"] = "tiny"
    frame.to_csv(data, index=False)
    project.makefile(
        ".yaml",
        gates=SPEC_HEAD
        + """\
  - fairness: equal_opportunity_difference
    sensitive: group
    max: 0.5
""",
    )
    project.runpytest("--modelgate")
    report = json.loads((project.path / ".modelgate" / "report.json").read_text())
    gate = report["gates"][0]
    tiny = next(g for g in gate["groups"] if g["group"] == "group=tiny")
    assert tiny["excluded"] and tiny["n"] == 10
    assert any("excluded (below min_support = 30 rows): group=tiny" in n for n in gate["notes"])
    rest = frame[frame["group"] != "tiny"]
    model = joblib.load(project.path / "models" / "model.joblib")
    y = (rest["label"] == "yes").astype(int)
    pred = (model.predict(rest[["f1", "f2", "f3"]]) == "yes").astype(int)
    assert gate["estimate"] == pytest.approx(
        flm.equal_opportunity_difference(y, pred, sensitive_features=rest["group"]), abs=1e-12
    )


def test_fairness_spec_errors(project):
    project.makefile(
        ".yaml",
        gates=SPEC_HEAD
        + """\
  - fairness: demographic_parity_ratio
    sensitive: group
    min: 80
  - fairness: metric_difference
    sensitive: group
    max: 0.1
""",
    )
    result = project.runpytest("--modelgate")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    err = result.stderr.str()
    assert "gates.yaml:15: gates[0].min: a ratio (min / max over groups) lies in [0, 1]" in err
    assert "gates.yaml:16: gates[1]: `fairness: metric_difference` needs `metric:`" in err
