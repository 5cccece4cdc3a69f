"""Baseline comparison end to end: sources, the stored baseline round trip, refusals, decisions."""

from __future__ import annotations

import json

import pytest

from .conftest import SPEC_HEAD

COMPARE = (
    SPEC_HEAD
    + """\
  - metric: roc_auc
    min: 0.7
  - metric: roc_auc
    compare: baseline
    max_drop: 0.01
  - metric: accuracy
    compare: baseline
    max_drop: 0.02
"""
)


def with_baseline(spec: str, ref: str = "models/weak.joblib") -> str:
    return spec.replace(
        "  candidate: models/model.joblib\n",
        f"  candidate: models/model.joblib\n  baseline: {ref}\n",
    )


def test_candidate_shown_better_than_a_baseline_model_promotes(project):
    project.makefile(".yaml", gates=with_baseline(COMPARE))
    result = project.runpytest("--modelgate")
    assert result.ret == 0
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(
        [
            "roc_auc_vs_baseline:drop<=0.01 *delong-paired*PASS",
            "accuracy_vs_baseline:drop<=0.02 *tango-skew-cc*PASS",
            "comparisons (Δ oriented so that higher is better):",
            "  vs baseline: models.baseline (models*weak.joblib)",
            "    roc_auc_vs_baseline:drop<=0.01 *candidate 0.8* vs 0.8*; paired, delong-paired, p = *",
            "DECISION: PROMOTE — all 3 gate results passed; the candidate is shown better than the "
            "baseline (Δroc_auc = +0.*",
        ]
    )


def test_not_shown_better_is_a_canary(project):
    # the candidate against itself: not worse, but not shown better either
    project.makefile(".yaml", gates=with_baseline(COMPARE, "models/model.joblib"))
    result = project.runpytest("--modelgate")
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        [
            "DECISION: CANARY — *not shown better than the baseline on "
            "roc_auc*roll out to a small share of traffic first"
        ]
    )


def test_a_regression_beyond_the_margin_blocks_and_says_so(project):
    # swap roles: the weak model is the candidate, so Δ is clearly negative
    spec = with_baseline(COMPARE, "models/model.joblib").replace(
        "  candidate: models/model.joblib", "  candidate: models/weak.joblib"
    )
    project.makefile(".yaml", gates=spec)
    result = project.runpytest("--modelgate")
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            "FAIL: Δroc_auc = -0.*, 95% CI [[]-0.*, -0.*[]] (delong-paired), n = 1500; required >= "
            "-0.01*",
            "*candidate  0.80*",
            "*baseline   0.87*  [[]models.baseline (models*model.joblib)[]]",
            "*Δ          candidate vs baseline, higher is better",
            "*pairing    paired (same rows); test delong-paired, p = *",
            "*next       the candidate is worse than the baseline on roc_auc*",
            "DECISION: BLOCK — 2 blocking gates failed: roc_auc_vs_baseline:drop<=0.01, "
            "accuracy_vs_baseline:drop<=0.02",
        ]
    )


def test_baseline_from_prediction_columns(project):
    spec = with_baseline(COMPARE, "{predictions: logged_pred, scores: logged_score}")
    project.makefile(".yaml", gates=spec)
    result = project.runpytest("--modelgate")
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(
        ["  vs baseline: models.baseline (columns of data*)", "*candidate 0.8* vs 0.8*; paired*"]
    )


def test_no_baseline_yet_is_inconclusive_then_the_stored_round_trip(project):
    project.makefile(".yaml", gates=COMPARE)
    result = project.runpytest("--modelgate", "-rs")
    result.assert_outcomes(passed=1, skipped=2)
    result.stdout.fnmatch_lines(
        [
            "*INCONCLUSIVE: no baseline yet — run with --modelgate-update-baseline*",
            "DECISION: REVIEW*",
        ]
    )
    result = project.runpytest("--modelgate", "--modelgate-update-baseline")
    result.stdout.fnmatch_lines(
        [
            "baseline updated: .modelgate/baseline/baseline.json, "
            ".modelgate/baseline/predictions.csv.gz — review and commit*"
        ]
    )
    meta = json.loads((project.path / ".modelgate" / "baseline" / "baseline.json").read_text())
    assert meta["data"]["rows"] == 1500 and len(meta["data"]["sha256"]) == 64
    assert len(meta["model"]["sha256"]) == 64 and set(meta["metrics"]) >= {"roc_auc", "accuracy"}
    result = project.runpytest("--modelgate")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(
        [
            "  vs baseline: stored baseline .modelgate/baseline (made *)",
            "*candidate 0.8* vs 0.8*; paired, delong-paired*",
            "DECISION: CANARY*",
        ]
    )


def test_refuses_to_store_a_failing_candidate_unless_forced(project):
    project.makefile(".yaml", gates=COMPARE.replace("min: 0.7", "min: 0.99"))
    result = project.runpytest("--modelgate", "--modelgate-update-baseline")
    result.stdout.fnmatch_lines(
        [
            "baseline NOT updated: 1 blocking gate(s) failed: "
            "roc_auc>=0.99. Fix the candidate, or pass --modelgate-force*"
        ]
    )
    assert not (project.path / ".modelgate" / "baseline").exists()
    result = project.runpytest("--modelgate", "--modelgate-update-baseline", "--modelgate-force")
    result.stdout.fnmatch_lines(["baseline updated:*"])
    assert (project.path / ".modelgate" / "baseline" / "predictions.csv.gz").exists()


def test_other_test_data_is_an_error_not_a_silent_pairing(project):
    import pandas as pd

    project.makefile(".yaml", gates=COMPARE)
    project.runpytest("--modelgate", "--modelgate-update-baseline")
    data = project.path / "data" / "test.csv.gz"
    pd.read_csv(data).iloc[:-10].to_csv(data, index=False)
    result = project.runpytest("--modelgate")
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            "*ERROR: .modelgate/baseline: the stored baseline was made on other test data (test data "
            "sha256 * → *; rows 1500 → 1490); its per-row predictions cannot be paired with these "
            "rows*"
        ]
    )


def test_numbers_only_baseline_is_unpaired_and_can_be_forbidden(project):
    project.makefile(".yaml", gates=COMPARE)
    project.runpytest("--modelgate", "--modelgate-update-baseline")
    (project.path / ".modelgate" / "baseline" / "predictions.csv.gz").unlink()
    result = project.runpytest("--modelgate")
    result.stdout.fnmatch_lines(
        ["*pairing    UNPAIRED (stored numbers only); test unpaired-normal*"]
        if "FAIL" in result.stdout.str()
        else ["*; UNPAIRED, unpaired-normal*"]
    )
    report = json.loads((project.path / ".modelgate" / "report.json").read_text())
    compared = [g for g in report["gates"] if g["kind"] == "compare"]
    assert all(g["comparison"]["paired"] is False for g in compared)
    project.makefile(
        ".yaml", gates=COMPARE.replace("max_drop: 0.01", "max_drop: 0.01\n    pairing: required")
    )
    result = project.runpytest("--modelgate")
    result.stdout.fnmatch_lines(["*pairing: required, but * has no per-row predictions*"])


def test_primary_must_have_a_compare_gate(project):
    spec = COMPARE.replace("gates:\n", "decision:\n  primary: f1\ngates:\n")
    project.makefile(".yaml", gates=spec)
    result = project.runpytest("--modelgate")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "*decision.primary: no `compare: baseline` gate on f1 (got "
            "'f1'; allowed: a metric of such a gate: roc_auc, accuracy)*"
        ]
    )


def test_compare_with_the_best_constant(project):
    project.makefile(
        ".yaml",
        gates=SPEC_HEAD
        + """\
  - metric: accuracy
    compare: constant
    min_gain: 0.1
  - metric: log_loss
    compare: constant
    min_gain: 0.05
""",
    )
    result = project.runpytest("--modelgate")
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "  vs constant: best constant predictor: always 'no'",
            "*accuracy_vs_constant:gain>=0.1 *candidate 0.7* vs 0.5*; paired, mcnemar-exact*",
            "  vs constant: best constant predictor: the prior (0.4*)",
            "*log_loss_vs_constant:gain>=0.05 *vs 0.6*; paired, paired-t-hall*",
        ]
    )
