"""The release history through pytest (#17): a push to main and a pull request each append a
record (the PR's with its number, never promoted), --modelgate-markdown shows the diff against
main's last run, a -k run is not recorded, and a store path that is an input is refused."""

from __future__ import annotations

import json

from pytest_modelgate.history import open_store

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


def test_push_then_pull_request_with_the_markdown_diff_and_a_partial_run(project, monkeypatch):
    project.makefile(".yaml", gates=SPEC)
    actions(monkeypatch, project, GITHUB_EVENT_NAME="push", GITHUB_REF_NAME="main")
    pushed = project.runpytest("--modelgate")
    assert pushed.ret == 0
    pushed.stdout.fnmatch_lines(
        ["history: run 1 recorded in .modelgate/history.sqlite as a promoted release"]
    )

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
    spec = SPEC.replace("    min: 0.6\n", "    min: 0.99\n    severity: review\n")
    project.makefile(".yaml", gates=spec)
    pr = project.runpytest("--modelgate", "--modelgate-markdown", "out/pr.md")
    assert pr.ret == 0
    pr.stdout.fnmatch_lines(
        ["history: run 2 recorded in .modelgate/history.sqlite", "markdown: out/pr.md"]
    )
    text = (project.path / "out" / "pr.md").read_text()
    assert text.startswith("## 👀 Model release decision: **REVIEW**")
    assert "### Compared with <code>main</code>'s last run" in text
    assert "| <code>roc_auc>=0.7</code> | 0." in text
    assert "🆕 **FAIL** (new gate)" in text and "🗑️ ~~PASS~~ (removed)" in text

    partial = project.runpytest("--modelgate", "-k", "roc_auc")
    partial.stdout.fnmatch_lines(["history: not recorded (a partial run; *"])
    with open_store(project.path / ".modelgate" / "history.sqlite") as store:
        runs = store.records()
    assert [r["history"]["branch"] for r in runs] == ["main", "retrain|<b>"]
    assert [r["history"]["pull_request"] for r in runs] == [None, 42]
    assert [r["history"]["promoted"] for r in runs] == [True, False]
    assert runs[0]["decision"] == "promote" and runs[1]["decision"] == "review"
    assert set(runs[0]["history"]["metrics"]) == {"roc_auc", "accuracy"}
    # the record is the JSON report plus history
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
    project.makefile(".yaml", gates=SPEC + "history: false\n")
    off = project.runpytest("--modelgate")
    assert off.ret == 0 and "history:" not in off.stdout.str()
    assert not (project.path / ".modelgate" / "history.sqlite").exists()
