"""End-to-end runs of ``pytest --modelgate`` through pytester: exit codes, output, reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import SPEC_HEAD

PASSING = (
    SPEC_HEAD
    + """\
  - metric: roc_auc
    min: 0.75
  - metric: accuracy
    min: 0.7
  - metric: f1
    min: 0.6
"""
)


def test_passing_spec_exits_0_and_promotes(project):
    project.makefile(".yaml", gates=PASSING)
    result = project.runpytest("--modelgate")
    result.assert_outcomes(passed=3)
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        [
            "*modelgate release decision*",
            "gate*estimate*interval*required*rule*n*verdict",
            "roc_auc>=0.75 *0.8* delong-newcombe-hull *>=0.75*strict*1500*PASS",
            "accuracy>=0.7 *clopper-pearson*PASS",
            "f1>=0.6 *bootstrap-bca*PASS",
            "DECISION: PROMOTE*",
        ]
    )


def test_failing_gate_exits_1_and_explains(project):
    project.makefile(
        ".yaml",
        gates=SPEC_HEAD
        + """\
  - metric: roc_auc
    min: 0.75
  - metric: recall
    min: 0.95
""",
    )
    result = project.runpytest("--modelgate")
    assert result.ret == 1
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*FAIL: recall = 0.*, 95% CI [[]0.*, 0.*[]] (clopper-pearson), n = 1500; required >= 0.95*",
            "*gates.yaml:15: gate recall>=0.95 (severity block)*",
            "*next*improve the model on recall*",
            "DECISION: BLOCK — 1 blocking gate failed: recall>=0.95",
        ]
    )
    assert "Traceback" not in result.stdout.str()


def test_thin_evidence_says_how_many_rows_would_do(project):
    # the estimate (~0.80) clears 0.79 but a 95% interval on 1500 rows does not
    project.makefile(".yaml", gates=SPEC_HEAD + "  - metric: accuracy\n    min: 0.79\n")
    result = project.runpytest("--modelgate")
    out = result.stdout.str()
    if result.ret == 0:  # pragma: no cover - guard against a change in the generated data
        pytest.fail(f"expected a strict failure with the estimate above the bar:\n{out}")
    assert "meets >= 0.79, but its 95% CI" in out
    assert "rows would show it with 80% power (now 1,500)" in out


def test_lenient_and_point_rules(project):
    gates = (
        SPEC_HEAD
        + """\
  - metric: accuracy
    min: 0.79
    evidence: lenient
    name: lenient_acc
  - metric: accuracy
    min: 0.79
    evidence: point
    name: point_acc
"""
    )
    project.makefile(".yaml", gates=gates)
    result = project.runpytest("--modelgate")
    assert result.ret == 0
    result.assert_outcomes(passed=2)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            SPEC_HEAD + "  - metric: roc_uac\n    min: 0.7\n",
            "gates.yaml:13: gates[0].metric: unknown metric (got 'roc_uac'; did you mean `roc_auc`?",
        ),
        (
            SPEC_HEAD + "  - metric: accuracy\n    mni: 0.7\n",
            "gates.yaml:14: gates[0].mni: unknown key (did you mean `min`?",
        ),
        (
            SPEC_HEAD + "  - metric: accuracy\n    min: high\n",
            "gates.yaml:14: gates[0].min: must be a number (got 'high'",
        ),
        (
            SPEC_HEAD.replace("stats:\n  resamples: 500", "stats:\n  evidence: strct")
            + "  - metric: accuracy\n    min: 0.7\n",
            "gates.yaml:11: stats.evidence: is not an allowed value (got 'strct'; allowed: 'strict', "
            "'lenient' or 'point')",
        ),
        (
            "version: 1\ndata: [unclosed\n",
            "gates.yaml:2: invalid YAML: while parsing a flow sequence;",
        ),
        (
            SPEC_HEAD + "  - check: missing_valeus\n    max_fraction: 0.1\n",
            "gates.yaml:13: gates[0].check: unknown check (got 'missing_valeus'; did you mean "
            "`missing_values`?",
        ),
    ],
)
def test_broken_spec_exits_4_with_file_and_line(project, body, expected):
    project.makefile(".yaml", gates=body)
    result = project.runpytest("--modelgate")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    err = result.stderr.str()
    assert "ERROR: invalid gate spec" in err
    assert any(line.startswith(expected) for line in err.splitlines()), err
    assert "Traceback" not in result.stderr.str() + result.stdout.str()


def test_missing_spec_is_a_usage_error(project):
    result = project.runpytest("--modelgate")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*gates.yaml: the gate spec does not exist*--modelgate-spec*"])


def test_without_the_flag_nothing_is_collected(project):
    project.makefile(".yaml", gates=PASSING)
    result = project.runpytest()
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    assert "modelgate release decision" not in result.stdout.str()
    assert not (project.path / ".modelgate").exists()


def test_dash_k_selects_gates_and_the_decision_is_partial(project):
    project.makefile(".yaml", gates=PASSING)
    result = project.runpytest("--modelgate", "-k", "roc_auc")
    result.assert_outcomes(passed=1, deselected=2)
    result.stdout.fnmatch_lines(["DECISION: REVIEW (partial)*"])
    assert result.ret == 0


def test_gate_ids_and_locations(project):
    project.makefile(".yaml", gates=PASSING)
    result = project.runpytest("--modelgate", "--collect-only", "-q")
    result.stdout.fnmatch_lines(
        ["gates.yaml::roc_auc>=0.75", "gates.yaml::accuracy>=0.7", "gates.yaml::f1>=0.6"]
    )


def test_json_report_has_the_contract_fields(project):
    project.makefile(".yaml", gates=PASSING)
    project.runpytest("--modelgate", "--modelgate-report", "out/report.json")
    report = json.loads((project.path / "out" / "report.json").read_text())
    assert report["schema_version"] == 1
    assert report["decision"] == "promote"
    assert report["summary"] == {"PASS": 3, "FAIL": 0, "INCONCLUSIVE": 0, "ERROR": 0}
    gate = report["gates"][0]
    for key in (
        "id",
        "name",
        "kind",
        "metric",
        "slice",
        "severity",
        "verdict",
        "estimate",
        "interval",
        "threshold",
        "rule",
        "n",
        "p_value",
        "message",
        "line",
    ):
        assert key in gate, key
    assert set(gate["interval"]) == {"low", "high", "level", "method"}
    assert gate["line"] == 13 and gate["threshold"] == {"min": 0.75}
    lineage = report["lineage"]
    assert set(lineage) >= {"spec", "data", "models", "seed", "versions", "git"}
    assert len(lineage["spec"]["sha256"]) == 64
    assert len(lineage["data"]["test"]["sha256"]) == 64
    assert len(lineage["models"]["candidate"]["sha256"]) == 64
    assert lineage["seed"] == 0 and "numpy" in lineage["versions"]


def test_same_seed_gives_identical_reports(project):
    project.makefile(".yaml", gates=PASSING)
    reports = []
    for name in ("a", "b"):
        project.runpytest("--modelgate", "--modelgate-report", f"{name}.json")
        data = json.loads((project.path / f"{name}.json").read_text())
        data.pop("created_at")
        reports.append(data)
    assert reports[0] == reports[1]
    project.runpytest("--modelgate", "--modelgate-report", "c.json", "--modelgate-seed", "5")
    other = json.loads((project.path / "c.json").read_text())
    f1 = [g for g in other["gates"] if g["metric"] == "f1"][0]
    assert f1["interval"] != [g for g in reports[0]["gates"] if g["metric"] == "f1"][0]["interval"]
    assert other["lineage"]["seed"] == 5


def test_spec_location_option_and_ini(project):
    (project.path / "conf").mkdir()
    (project.path / "conf" / "release.yaml").write_text(
        PASSING.replace("data/", "../data/").replace("models/", "../models/")
    )
    result = project.runpytest("--modelgate", "--modelgate-spec", "conf/release.yaml")
    assert result.ret == 0
    result.assert_outcomes(passed=3)
    project.makeini("[pytest]\nmodelgate_spec = conf/release.yaml\n")
    result = project.runpytest("--modelgate")
    assert result.ret == 0
    result.assert_outcomes(passed=3)


def test_data_errors_are_gate_errors_without_traceback(project):
    project.makefile(".yaml", gates=PASSING.replace("target: label", "target: income"))
    result = project.runpytest("--modelgate")
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            "*ERROR: gates.yaml:4: data.target: column(s) 'income' not in data*test.csv.gz (columns: f1*",
            "DECISION: BLOCK*",
        ]
    )
    assert "Traceback" not in result.stdout.str()


def test_missing_model_file_is_reported(project):
    project.makefile(".yaml", gates=PASSING.replace("models/model.joblib", "models/nope.joblib"))
    result = project.runpytest("--modelgate")
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            "*gates.yaml:9: models.candidate: model file models*nope.joblib does not exist; did "
            "you mean 'model.joblib'?*"
        ]
    )


def test_prediction_columns_instead_of_a_model(project):
    spec = PASSING.replace(
        "  candidate: models/model.joblib",
        "  candidate: {predictions: logged_pred, scores: logged_score}",
    )
    project.makefile(".yaml", gates=spec)
    result = project.runpytest("--modelgate")
    assert result.ret == 0, result.stdout.str()
    result.assert_outcomes(passed=3)


def test_inconclusive_is_never_a_pass(project):
    spec = PASSING.replace("resamples: 500", "resamples: 500\n  min_support: 100000")
    project.makefile(".yaml", gates=spec)
    result = project.runpytest("--modelgate", "-rs")
    result.assert_outcomes(skipped=3)
    result.stdout.fnmatch_lines(
        [
            "*INCONCLUSIVE: only 1500 rows (min_support = 100000)*",
            "DECISION: REVIEW — no gate passed: nothing was shown (3 inconclusive*",
        ]
    )
    assert result.ret == 0
    project.makefile(
        ".yaml", gates=spec.replace("resamples: 500", "resamples: 500\n  inconclusive: fail")
    )
    result = project.runpytest("--modelgate")
    assert result.ret == 1
    result.stdout.fnmatch_lines(["DECISION: BLOCK*"])


def test_ordinary_test_failures_still_fail_the_run(project):
    project.makefile(".yaml", gates=PASSING)
    project.makepyfile(test_other="def test_broken():\n    assert False\n")
    result = project.runpytest("--modelgate")
    assert result.ret == 1
    result.assert_outcomes(passed=3, failed=1)


def test_junitxml_carries_the_gate_results(project):
    import xml.etree.ElementTree as ET

    project.makefile(".yaml", gates=PASSING)
    # per-testcase properties are xunit1's (pytest's default family, xunit2, has none:
    # test_ci.py::test_junit_gets_the_decision_as_a_global_property)
    result = project.runpytest(
        "--modelgate", "--junitxml", "junit.xml", "-o", "junit_family=xunit1"
    )
    assert result.ret == 0
    tree = ET.parse(project.path / "junit.xml")
    case = tree.find(".//testcase[@name='roc_auc>=0.75']")
    props = {p.get("name"): p.get("value") for p in case.iter("property")}
    assert props["modelgate_verdict"] == "PASS"
    assert 0.75 < float(props["modelgate_estimate"]) <= 1
    assert json.loads(props["modelgate"])[0]["interval"]["method"] == "delong-newcombe-hull"


def test_a_yaml_argument_is_the_spec(project):
    (project.path / "conf").mkdir()
    (project.path / "conf" / "release.yaml").write_text(
        PASSING.replace("data/", "../data/").replace("models/", "../models/")
    )
    result = project.runpytest("--modelgate", "conf/release.yaml")
    assert result.ret == 0
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["*spec conf/release.yaml*", "DECISION: PROMOTE*"])
    project.makefile(".yaml", gates=PASSING)
    result = project.runpytest("--modelgate", "--modelgate-spec", "gates.yaml", "conf/release.yaml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*conf/release.yaml is not the gate spec of this run*"])


def test_out_of_range_threshold_is_a_spec_error(project):
    project.makefile(".yaml", gates=PASSING.replace("min: 0.7", "min: 70"))
    result = project.runpytest("--modelgate")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "gates.yaml:16: gates[[]1[]].min: accuracy lies in [[]0, 1[]], so "
            "this bound can never be met (got 70; did you mean 0.7?*"
        ]
    )


def test_identical_errors_are_listed_once(project):
    project.makefile(".yaml", gates=PASSING.replace("data/test.csv.gz", "data/test.csv"))
    result = project.runpytest("--modelgate")
    assert result.ret == 1
    out = result.stdout.str()
    assert (
        "3 gates (roc_auc>=0.75, accuracy>=0.7, f1>=0.6): ERROR: gates.yaml:3: data.test: "
        "data file data/test.csv does not exist; did you mean 'test.csv.gz'?" in out
    )
    result.stdout.fnmatch_lines(["DECISION: BLOCK — 3 blocking gates could not be evaluated*"])


def test_a_partial_run_keeps_pytests_failure_status(project):
    # -x stops at the failing review gate: the blocking gate after it never runs, so the run
    # must not report success
    project.makefile(
        ".yaml",
        gates=SPEC_HEAD
        + "  - metric: recall\n    min: 0.99\n    severity: review\n"
        + "  - metric: accuracy\n    min: 0.99\n",
    )
    assert project.runpytest("--modelgate").ret == 1
    result = project.runpytest("--modelgate", "-x")
    result.stdout.fnmatch_lines(["DECISION: REVIEW (partial)*"])
    assert result.ret == 1


def test_a_failing_review_gate_alone_exits_0(project):
    project.makefile(
        ".yaml",
        gates=SPEC_HEAD + "  - metric: roc_auc\n    min: 0.7\n"
        "  - metric: recall\n    min: 0.99\n    severity: review\n",
    )
    result = project.runpytest("--modelgate")
    result.stdout.fnmatch_lines(["DECISION: REVIEW — 1 review gate failed: recall>=0.99*"])
    assert result.ret == 0


def test_collect_only_writes_no_report(project):
    project.makefile(".yaml", gates=PASSING)
    result = project.runpytest("--modelgate", "--collect-only")
    assert result.ret == 0
    assert "modelgate release decision" not in result.stdout.str()
    assert not (project.path / ".modelgate").exists()


def test_a_failing_warn_gate_is_a_pytest_warning(project):
    project.makefile(
        ".yaml",
        gates=SPEC_HEAD + "  - metric: roc_auc\n    min: 0.7\n"
        "  - metric: recall\n    min: 0.99\n    severity: warn\n",
    )
    result = project.runpytest("--modelgate")
    assert result.ret == 0
    result.assert_outcomes(passed=2, warnings=1)
    result.stdout.fnmatch_lines(["*ModelgateWarning: FAIL: recall = *"])
    result.stdout.fnmatch_lines(
        ["*- warnings (severity warn): recall>=0.99*", "DECISION: PROMOTE*"]
    )


@pytest.mark.parametrize(
    ("where", "says"),
    [
        ("a_folder", "is a folder; give a file name"),
        ("a_file/report.json", "a_file is a file, not a folder"),
        ("/proc/modelgate/report.json", "cannot write there"),
    ],
)
def test_unwritable_report_paths_stop_the_run_before_any_gate(project, where, says):
    if where.startswith("/proc") and not Path("/proc/self").is_dir():
        pytest.skip("needs Linux /proc: a folder the permission bits call writable, but is not")
    project.makefile(".yaml", gates=PASSING)
    (project.path / "a_folder").mkdir()
    (project.path / "a_file").write_text("")
    result = project.runpytest("--modelgate", "--modelgate-report", where)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*--modelgate-report *{says}*; nothing was run*"])
    assert "Traceback" not in result.stderr.str()


def test_an_inconclusive_gate_is_skipped_at_its_line_in_the_spec(project):
    spec = PASSING.replace(
        "stats:\n  resamples: 500\n", "stats:\n  resamples: 500\n  min_support: 100000\n"
    )
    assert spec != PASSING
    project.makefile(".yaml", gates=spec)
    result = project.runpytest("--modelgate", "-rs")
    result.stdout.fnmatch_lines(["SKIPPED [[]*] gates.yaml:*: *INCONCLUSIVE*min_support = 100000*"])
    assert "pytest_modelgate/plugin" not in result.stdout.str()
