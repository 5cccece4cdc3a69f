"""The release history through pytest (#17): a pull request's run appends a record (with its
number, never promoted), --modelgate-markdown shows the diff against main's last run, a -k run
is not recorded, and a store path that is an input is refused."""

from __future__ import annotations

import json

from pytest_modelgate.history import build_record, open_store

from .conftest import SPEC_HEAD

SPEC = SPEC_HEAD + "  - metric: roc_auc\n    min: 0.7\n  - metric: accuracy\n    min: 0.6\n"


def actions(monkeypatch, project, **env: str) -> None:
    for key in ("GITHUB_HEAD_REF", "GITHUB_BASE_REF", "GITHUB_EVENT_PATH"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(project.path / "summary.md"))
    monkeypatch.setenv("GITHUB_OUTPUT", str(project.path / "output.txt"))
    monkeypatch.setenv("GITHUB_REF_TYPE", "branch")
    for key, value in env.items():
        monkeypatch.setenv(key, value)


def main_run() -> dict:
    """A push to main as the history holds it (what a promoted run on main recorded)."""
    gates = []
    for gate, metric, estimate in (
        ("roc_auc>=0.7", "roc_auc", 0.88),
        ("accuracy>=0.6", "accuracy", 0.79),
    ):
        gates.append(
            {
                "id": gate,
                "name": gate,
                "kind": "metric",
                "severity": "block",
                "verdict": "PASS",
                "message": f"PASS: {gate}",
                "metric": metric,
                "estimate": estimate,
                "n": 1500,
                "interval": {
                    "low": estimate - 0.02,
                    "high": estimate + 0.02,
                    "level": 0.95,
                    "method": "wilson",
                },
                "slice": None,
            }
        )
    report = {"schema_version": 1, "decision": "promote", "gates": gates, "lineage": {}}
    context = {"branch": "main", "commit": "9a8b7c6d5e4f", "pull_request": None, "release": None}
    return build_record(report, context=context, partial=False)


def test_a_pull_request_run_records_its_number_and_diffs_against_main(project, monkeypatch):
    with open_store(project.path / ".modelgate" / "history.sqlite") as store:
        store.append(main_run())
    payload = project.path / "event.json"
    payload.write_text(json.dumps({"action": "opened", "pull_request": {"number": 42}}))
    actions(
        monkeypatch,
        project,
        GITHUB_EVENT_NAME="pull_request",
        GITHUB_EVENT_PATH=str(payload),
        GITHUB_HEAD_REF="retrain|<b>",
        GITHUB_BASE_REF="main",
        GITHUB_REF_NAME="42/merge",
    )
    spec = SPEC.replace("    min: 0.6\n", "    min: 0.55\n")  # a new gate id; both pass
    project.makefile(".yaml", gates=spec)
    pr = project.runpytest("--modelgate", "--modelgate-markdown", "out/pr.md")
    assert pr.ret == 0
    pr.stdout.fnmatch_lines(
        ["history: run 2 recorded in .modelgate/history.sqlite", "markdown: out/pr.md"]
    )
    text = (project.path / "out" / "pr.md").read_text()
    assert text.startswith("## ✅ Model release decision: **PROMOTE**")
    assert "### Compared with <code>main</code>'s last run (<code>9a8b7c6d5e4f</code>" in text
    assert "| <code>roc_auc>=0.7</code> | 0.8800 [0.8600, 0.9000] 95% wilson | 0." in text
    assert "🆕 **PASS** (new gate)" in text and "🗑️ ~~PASS~~ (removed)" in text

    partial = project.runpytest("--modelgate", "-k", "roc_auc")
    partial.stdout.fnmatch_lines(["history: not recorded (a partial run; *"])
    with open_store(project.path / ".modelgate" / "history.sqlite") as store:
        runs = store.records()
    assert [r["history"]["branch"] for r in runs] == ["main", "retrain|<b>"]
    assert [r["history"]["pull_request"] for r in runs] == [None, 42]
    # a pull request's run is a candidate, never a release, even when its decision is promote
    assert runs[1]["decision"] == "promote"
    assert [r["history"]["promoted"] for r in runs] == [True, False]
    assert set(runs[1]["history"]["metrics"]) == {"roc_auc", "accuracy"}
    # the record is the JSON report plus history (report.json is the partial run's by now)
    report = json.loads((project.path / ".modelgate" / "report.json").read_text())
    assert set(runs[1]) == set(report) | {"history"}


def test_a_store_on_an_input_is_refused_before_anything_runs(project):
    project.makefile(".yaml", gates=SPEC + "history:\n  store: data/test.csv.gz\n")
    before = (project.path / "data" / "test.csv.gz").read_bytes()
    result = project.runpytest("--modelgate")
    assert result.ret == 4
    result.stderr.fnmatch_lines(
        ["*gates.yaml:*: history.store data/test.csv.gz is the test data (data.test)*"]
    )
    assert (project.path / "data" / "test.csv.gz").read_bytes() == before
    assert not (project.path / ".modelgate").exists()
