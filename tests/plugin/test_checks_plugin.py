"""check: gates end to end on doctored data: each failure names what changed."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from .conftest import SPEC_HEAD

WITH_REF = SPEC_HEAD.replace(
    "  test: data/test.csv.gz\n", "  test: data/test.csv.gz\n  reference: data/ref.csv.gz\n"
)


def write_reference(project, change=None):
    frame = pd.read_csv(project.path / "data" / "test.csv.gz")
    ref = frame.sample(frac=1.0, random_state=1).reset_index(drop=True)
    if change:
        ref = change(ref)
    ref.to_csv(project.path / "data" / "ref.csv.gz", index=False)
    return frame


def doctor_test(project, change):
    path = project.path / "data" / "test.csv.gz"
    frame = change(pd.read_csv(path))
    frame.to_csv(path, index=False)


def run(project, gates):
    project.makefile(".yaml", gates=WITH_REF + gates)
    result = project.runpytest("--modelgate")
    report = json.loads((project.path / ".modelgate" / "report.json").read_text())
    return result, {g["id"]: g for g in report["gates"]}


def test_clean_data_passes_every_data_check(project):
    write_reference(project)
    _result, gates = run(
        project,
        """\
  - check: schema
  - check: missing_values
  - check: unseen_categories
  - check: range
  - check: drift
  - check: prediction_drift
  - check: label_drift
""",
    )
    assert _result.ret == 0, _result.stdout.str()
    assert {g["verdict"] for g in gates.values()} == {"PASS"}


def test_doctored_data_fails_with_the_columns_named(project):
    write_reference(project)

    def doctor(frame):
        frame.loc[:99, "f2"] = np.nan  # missing values
        frame.loc[:29, "group"] = "c"  # a category never seen
        frame.loc[:9, "f2"] = 50.0  # out of the reference range
        frame["f1"] = frame["f1"] + 1.5  # a real shift
        return frame.drop(columns=["f3"])  # a dropped (model input) column

    doctor_test(project, doctor)
    _result, gates = run(
        project,
        """\
  - check: schema
  - check: missing_values
    max_fraction: 0.01
  - check: unseen_categories
  - check: range
  - check: drift
""",
    )
    assert _result.ret == 1
    out = _result.stdout.str()
    assert gates["schema"]["verdict"] == "FAIL" and "f3" in gates["schema"]["message"]
    assert (
        gates["missing_values"]["verdict"] == "FAIL" and "f2" in gates["missing_values"]["message"]
    )
    unseen = gates["unseen_categories"]
    assert unseen["verdict"] == "FAIL" and "group" in unseen["message"]
    assert "'c'" in unseen["details"]
    assert gates["range"]["verdict"] == "FAIL" and "f2" in gates["range"]["message"]
    drift = gates["drift"]
    assert drift["verdict"] == "FAIL" and "f1" in drift["message"]
    flagged = [g["group"] for g in drift["groups"] if g["flagged"]]
    assert "f1" in flagged and "group" not in flagged
    assert (
        "gates.yaml:19: drift: FAIL: 1 of 3 columns drifted beyond tolerance (95% CI): f1 " in out
    )


def test_changed_dtype_is_a_schema_failure(project):
    write_reference(project)
    doctor_test(project, lambda f: f.assign(f3=f["f3"].map(lambda v: f"v{v:.2f}")))
    _result, gates = run(project, "  - check: schema\n    columns: [f1, f2, f3]\n")
    assert gates["schema"]["verdict"] == "FAIL"
    assert "f3" in gates["schema"]["message"]


def test_reference_is_required(project):
    project.makefile(".yaml", gates=SPEC_HEAD + "  - check: drift\n")
    result = project.runpytest("--modelgate")
    assert result.ret == 4  # known from the spec alone: a usage error, before any data is read
    result.stderr.fnmatch_lines(
        [
            "gates.yaml:13: gates[[]0[]].check: `check: drift` compares with reference data, but "
            "data.reference is not set*"
        ]
    )


def test_invariance_and_directional_on_known_dependence(project):
    write_reference(project)
    # the model uses f1, f2, f3 (positively for f1); it never sees `group`
    _result, gates = run(
        project,
        """\
  - check: invariance
    perturb: {column: group, swap: [a, b]}
    name: inv_group
  - check: invariance
    perturb: {column: f1, add: 3}
    max_changed: 0.05
    name: inv_f1
  - check: directional
    perturb: {column: f1, add: 1}
    direction: increase
    name: dir_up
  - check: directional
    perturb: {column: f1, add: 1}
    direction: decrease
    name: dir_down
""",
    )
    assert gates["inv_group"]["verdict"] == "PASS" and gates["inv_group"]["estimate"] == 0
    assert "not a model input" in gates["inv_group"]["details"]
    assert gates["inv_f1"]["verdict"] == "FAIL" and gates["inv_f1"]["estimate"] > 0.05
    assert gates["dir_up"]["verdict"] == "PASS" and gates["dir_up"]["estimate"] == 0
    assert gates["dir_down"]["verdict"] == "FAIL" and gates["dir_down"]["estimate"] == 1.0
    assert "row 0" in gates["dir_down"]["details"]


def test_serving_skew_latency_and_size(project):
    def skew(frame):
        frame.loc[:4, "logged_pred"] = np.where(frame.loc[:4, "logged_pred"] == "yes", "no", "yes")
        return frame

    doctor_test(project, skew)
    _result, gates = run(
        project,
        """\
  - check: serving_skew
    column: logged_pred
    max_mismatch: 0.001
  - check: serving_skew
    column: logged_score
    tolerance: 0.000000001
    name: skew_scores
  - check: latency
    batch_size: 10
    p95_ms: 10000
  - check: model_size
    max_mb: 0.000001
""",
    )
    skewed = gates["serving_skew"]
    assert skewed["verdict"] == "FAIL" and skewed["estimate"] == 5 / 1500
    assert "5 of 1500 rows (0.33%, clopper-pearson" in skewed["message"]
    assert gates["skew_scores"]["verdict"] == "PASS"
    latency = gates["latency"]
    assert (
        latency["verdict"] == "PASS" and "p50" in latency["message"] and "p99" in latency["message"]
    )
    assert gates["model_size"]["verdict"] == "FAIL" and "MB" in gates["model_size"]["message"]


def test_named_fairness_gap_needs_a_binary_task(project):
    project.makefile(
        ".yaml",
        gates=SPEC_HEAD.replace("version: 1\n", "version: 1\ntask: regression\n")
        + "  - fairness: equalized_odds_difference\n    sensitive: group\n    max: 0.1\n",
    )
    result = project.runpytest("--modelgate")
    assert result.ret == 4
    result.stderr.fnmatch_lines(
        [
            "*gates[[]0[]].fairness: equalized_odds_difference needs a binary "
            "task (got task regression*"
        ]
    )


def test_directional_follows_the_positive_class(project):
    # with positive_label "no" the positive class is the model's classes_[0]: raising f1 makes
    # "yes" likelier, so the positive ("no") score must go down, never up
    write_reference(project)
    project.makefile(
        ".yaml",
        gates=WITH_REF.replace('positive_label: "yes"', 'positive_label: "no"')
        + """\
  - check: directional
    perturb: {column: f1, add: 1}
    direction: decrease
""",
    )
    result = project.runpytest("--modelgate")
    assert result.ret == 0, result.stdout.str()
