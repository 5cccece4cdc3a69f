"""--modelgate-scan and --modelgate-mutate end to end: sections in the terminal and the JSON
report, and the exit status of the run unchanged."""

from __future__ import annotations

import json

from .conftest import SPEC_HEAD

GATES = """\
  - metric: accuracy
    min: 0.7
  - metric: roc_auc
    min: 0.8
scan:
  min_support: 50
mutate:
  operators: [flip_slice, shuffle_feature]
"""


def test_scan_and_mutate_are_reports_that_leave_the_decision_alone(project):
    project.makefile(".yaml", gates=SPEC_HEAD + GATES)
    audited = project.runpytest(
        "--modelgate", "--modelgate-scan", "--modelgate-mutate", "--modelgate-html", "r.html"
    )
    # mutants that block do not block the run: the decision is the gates' own
    assert audited.ret == 0, audited.stdout.str()
    report = json.loads((project.path / ".modelgate" / "report.json").read_text())
    assert report["decision"] == "promote"
    assert any(m["decision"] == "block" for m in report["mutation"]["mutants"])
    assert report["scan"]["metric"] == "accuracy"
    assert report["scan"]["split"] == "half"
    assert set(report["scan"]["columns"]) == {"group", "f1", "f2", "f3"}
    mutation = report["mutation"]
    assert 0 <= mutation["coverage"] <= 1
    operators = {m["operator"] for m in mutation["mutants"]}
    assert operators == {"flip_slice", "shuffle_feature"}  # the model re-predicts
    html = (project.path / "r.html").read_text()
    assert "<h2>Weak-slice scan</h2>" in html and "<h2>Mutation testing</h2>" in html
    audited.stdout.fnmatch_lines(
        [
            "*modelgate: what the gates miss (no effect on the decision)*",
            "scan: accuracy over 4 column(s)*",
            "mutation: * mutants, * killed: gate coverage *",
            "*shuffle_feature*feature f1*",
        ]
    )


def test_a_bad_scan_option_is_a_located_spec_error(project):
    spec = SPEC_HEAD + "  - metric: accuracy\n    min: 0.7\nscan:\n  correction: bonferroni\n"
    project.makefile(".yaml", gates=spec)
    result = project.runpytest("--modelgate", "--modelgate-scan")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*gates.yaml:*scan.correction*"])


def test_a_scan_that_cannot_run_says_why_and_keeps_the_exit_status(project):
    spec = SPEC_HEAD + "  - metric: accuracy\n    min: 0.99\nscan:\n  metric: f1\n"
    project.makefile(".yaml", gates=spec)
    result = project.runpytest("--modelgate", "--modelgate-scan")
    assert result.ret == 1  # the accuracy gate blocks; the scan changes nothing
    result.stdout.fnmatch_lines(["--modelgate-scan: not run: *f1 is neither*"])
    report = json.loads((project.path / ".modelgate" / "report.json").read_text())
    assert report["decision"] == "block" and "not run" in report["scan"]["error"]


def test_data_scan_rows_discover_and_the_test_rows_confirm(project):
    import shutil

    import pytest_modelgate as mg

    shutil.copy(project.path / "data" / "test.csv.gz", project.path / "data" / "scan.csv.gz")
    spec = SPEC_HEAD.replace(
        "  test: data/test.csv.gz\n", "  test: data/test.csv.gz\n  scan: data/scan.csv.gz\n"
    )
    path = project.makefile(".yaml", gates=spec + "  - metric: accuracy\n    min: 0.7\n")
    result = mg.scan_gates(path)
    assert result.split == "data.scan"
    assert result.n_discovery == result.n_confirmation == 1500  # scan rows, then the test rows
