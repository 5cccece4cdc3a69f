"""GitHub Actions output (``report/github.py``): workflow-command escaping, annotations on the
spec's lines, the step summary table and the step outputs."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from pytest_modelgate.decision import decide
from pytest_modelgate.report.github import (
    annotation,
    escape_data,
    escape_property,
    markdown_summary,
    write_github,
)
from pytest_modelgate.results import CheckResult, Threshold, Verdict
from pytest_modelgate.stats.intervals import Interval
from tests.reports import check_result

NAN = float("nan")


result = check_result


@pytest.fixture(autouse=True)
def _no_github_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("GITHUB_WORKSPACE", "GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


# ---------------------------------------------------------------------------- escaping


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("plain text: a, b", "plain text: a, b"),
        ("100%", "100%25"),
        ("line1\nline2", "line1%0Aline2"),
        ("crlf\r\n", "crlf%0D%0A"),
        ("%0A is not a newline", "%250A is not a newline"),  # % first: no double meaning
        ("%25", "%2525"),
    ],
)
def test_escape_data(text: str, escaped: str) -> None:
    assert escape_data(text) == escaped


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("gates.yaml", "gates.yaml"),
        ("a:b", "a%3Ab"),
        ("a,b", "a%2Cb"),
        ("x=1, y=2", "x=1%2C y=2"),
        ("50%:\r\n,", "50%25%3A%0D%0A%2C"),
        ("%3A", "%253A"),  # an escape sequence in the input is not taken for one
    ],
)
def test_escape_property(text: str, escaped: str) -> None:
    assert escape_property(text) == escaped


# ---------------------------------------------------------------------------- annotations


def test_failed_blocking_gate_is_an_error_on_its_line(tmp_path: Path) -> None:
    r = result(
        id="recall>=0.8",
        slice={"sex": "F", "age": "[25, 35)"},
        verdict=Verdict.FAIL,
        message="FAIL: recall = 0.71 (n = 80)\n  next: more rows; 100% sure",
        line=12,
    )
    assert annotation(r, tmp_path / "gates.yaml") == (
        "::error file=gates.yaml,line=12,"
        "title=modelgate recall>=0.8[sex=F%2C age=[25%2C 35)]"
        "::FAIL: recall = 0.71 (n = 80)%0A  next: more rows; 100%25 sure"
    )


@pytest.mark.parametrize(
    ("verdict", "severity", "level"),
    [
        (Verdict.FAIL, "block", "error"),
        (Verdict.ERROR, "block", "error"),
        (Verdict.INCONCLUSIVE, "block", "warning"),
        (Verdict.FAIL, "review", "warning"),
        (Verdict.ERROR, "review", "warning"),
        (Verdict.FAIL, "warn", "warning"),
        (Verdict.INCONCLUSIVE, "warn", "warning"),
    ],
)
def test_annotation_level(verdict: Verdict, severity: str, level: str, tmp_path: Path) -> None:
    r = result(verdict=verdict, severity=severity, line=3)
    text = annotation(r, tmp_path / "gates.yaml")
    assert text is not None and text.startswith(f"::{level} file=gates.yaml,line=3,title=")


def test_passing_gate_has_no_annotation(tmp_path: Path) -> None:
    assert annotation(result(severity="warn"), tmp_path / "gates.yaml") is None


@pytest.mark.parametrize("line", [None, 0])
def test_annotation_without_a_line(line: int | None, tmp_path: Path) -> None:
    r = result(verdict=Verdict.FAIL, line=line, message="m")
    assert annotation(r, tmp_path / "gates.yaml") == "::error file=gates.yaml,title=modelgate g::m"


def test_annotation_file_is_relative_to_the_workspace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = tmp_path / "ws"
    spec = workspace / "ml" / "gates.yaml"
    monkeypatch.setenv("GITHUB_WORKSPACE", str(workspace))
    monkeypatch.chdir(workspace.parent)  # the working folder is not the workspace
    r = result(verdict=Verdict.FAIL, line=5, message="m")
    assert annotation(r, spec) == "::error file=ml/gates.yaml,line=5,title=modelgate g::m"
    monkeypatch.delenv("GITHUB_WORKSPACE")
    assert annotation(r, spec) == "::error file=ws/ml/gates.yaml,line=5,title=modelgate g::m"


def test_annotation_escapes_the_file_property(tmp_path: Path) -> None:
    spec = tmp_path / "a,b:c" / "gates.yaml"
    r = result(verdict=Verdict.FAIL, message="m")
    assert annotation(r, spec) == "::error file=a%2Cb%3Ac/gates.yaml,title=modelgate g::m"


def test_annotation_is_always_one_line(tmp_path: Path) -> None:
    r = result(
        id="x\ny",
        slice={"s": "a\r\nb"},
        verdict=Verdict.ERROR,
        message="first\nsecond\rthird",
        line=1,
    )
    text = annotation(r, tmp_path / "gates.yaml")
    assert text is not None
    assert "\n" not in text and "\r" not in text
    # exactly two '::' separators: command and properties, then the message
    assert text.count("::") == 2


# ---------------------------------------------------------------------------- markdown summary


def summary_results() -> list[CheckResult]:
    return [
        result(
            id="acc",
            estimate=0.91234,
            interval=Interval(0.9, 0.92, 0.95, "wilson"),
            threshold=Threshold(min=0.8),
            evidence="strict",
            n=1000,
        ),
        result(
            id="rec",
            slice={"sex": "F"},
            estimate=0.7,
            interval=Interval(0.6, 0.8, 0.95, "wilson"),
            threshold=Threshold(min=0.75),
            evidence="lenient",
            n=50,
            verdict=Verdict.INCONCLUSIVE,
            severity="warn",
        ),
        result(
            id="rec",
            slice={"sex": "M"},
            estimate=0.9,
            interval=Interval(0.8, 0.95, 0.95, "wilson"),
            threshold=Threshold(min=0.75),
            evidence="lenient",
            n=60,
            severity="warn",
        ),
        result(id="mae", verdict=Verdict.ERROR, severity="review", message="no data"),
    ]


def test_markdown_summary_exactly(tmp_path: Path) -> None:
    results = summary_results()
    decision = decide(results, expected=["acc", "rec", "mae", "zz"])
    text = markdown_summary(results, decision, tmp_path / "out" / "report.json")
    assert text == (
        "## 👀 Model release decision: **REVIEW** (partial)\n"
        "\n"
        "- 1 non-blocking gate could not be evaluated: mae — a person must look\n"
        "- partial: 1 gate(s) not run (zz); a partial run cannot promote\n"
        "\n"
        "| gate | estimate | interval | required | rule | n | verdict |\n"
        "|---|---:|---|---|---|---:|---|\n"
        "| <code>acc</code> | 0.9123 | [0.9000, 0.9200] 95% wilson | ≥ 0.8 | strict | 1000 | PASS |\n"
        "| <code>rec&#91;sex=F&#93;</code> | 0.7000 | [0.6000, 0.8000] 95% wilson | ≥ 0.75 | lenient | 50 "
        "| **INCONCLUSIVE (warn)** |\n"
        "| <code>rec&#91;sex=M&#93;</code> | 0.9000 | [0.8000, 0.9500] 95% wilson | ≥ 0.75 | lenient | 60 "
        "| PASS (warn) |\n"
        "| <code>mae</code> | – | – | – | – | – | **ERROR (review)** |\n"
        "\n"
        "**Worst slices**\n"
        "\n"
        "- <code>rec</code>: <code>rec&#91;sex=F&#93;</code> = 0.7000 (INCONCLUSIVE)\n"
        "\n"
        "JSON report: <code>out/report.json</code>\n"
    )


@pytest.mark.parametrize(
    ("verdicts", "heading"),
    [
        ([Verdict.PASS], "## ✅ Model release decision: **PROMOTE**\n"),
        ([Verdict.FAIL], "## ⛔ Model release decision: **BLOCK**\n"),
        ([Verdict.INCONCLUSIVE, Verdict.PASS], "## 👀 Model release decision: **REVIEW**\n"),
    ],
)
def test_markdown_heading(verdicts: list[Verdict], heading: str) -> None:
    results = [result(id=f"g{i}", verdict=v) for i, v in enumerate(verdicts)]
    assert markdown_summary(results, decide(results), None).startswith(heading)


def test_markdown_canary_heading() -> None:
    from pytest_modelgate.results import ComparisonResult

    cmp_iv = Interval(-0.01, 0.03, 0.95, "delong-paired")
    cmp = ComparisonResult("roc_auc", 0.01, cmp_iv, 0.86, 0.85, 100, True, "delong-paired")
    r = result(
        kind="compare",
        metric="roc_auc",
        estimate=0.01,
        interval=cmp_iv,
        comparison=cmp,
        threshold=Threshold(min=-0.02),
    )
    decision = decide([r], primary="roc_auc")
    assert decision.outcome == "canary"
    assert markdown_summary([r], decision, None).startswith(
        "## 🐤 Model release decision: **CANARY**\n"
    )


def test_markdown_without_slices_or_report_path() -> None:
    results = [result(estimate=NAN, interval=Interval(NAN, NAN, 0.95, "wilson"), n=0)]
    text = markdown_summary(results, decide(results), None)
    assert "| <code>g</code> | – | – | – | – | 0 | PASS |\n" in text
    assert "Worst slices" not in text
    assert "JSON report" not in text
    assert text.endswith("|\n")


def test_markdown_rows_have_seven_cells() -> None:
    text = markdown_summary(summary_results(), decide(summary_results()), None)
    rows = [line for line in text.splitlines() if line.startswith("|")]
    assert len(rows) == 2 + 4
    for row in rows:
        assert len(re.split(r"(?<!\\)\|", row)) == 9, row


def test_markdown_pipe_in_a_slice_value_stays_in_its_cell() -> None:
    results = [
        result(
            id="rec",
            slice={"segment": "A|B"},
            estimate=0.5,
            threshold=Threshold(min=0.4),
            n=10,
        ),
        result(id="rec", slice={"segment": "C"}, estimate=0.6, threshold=Threshold(min=0.4)),
    ]
    text = markdown_summary(results, decide(results), None)
    rows = [line for line in text.splitlines() if line.startswith("| <code>rec")]
    for row in rows:
        assert len(re.split(r"(?<!\\)\|", row)) == 9, row


# ---------------------------------------------------------------------------- write_github


def test_write_github_appends_summary_and_outputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary, output = tmp_path / "summary.md", tmp_path / "output.txt"
    summary.write_text("# earlier step\n", encoding="utf-8")
    output.write_text("earlier=1\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path))
    spec = SimpleNamespace(path=tmp_path / "gates.yaml")
    results = summary_results()
    decision = decide(results, expected=["acc", "rec", "mae", "zz"])
    report = tmp_path / "reports" / "modelgate.json"

    lines = write_github(spec, results, decision, report)

    assert summary.read_text(encoding="utf-8") == "# earlier step\n" + markdown_summary(
        results, decision, report
    )
    assert output.read_text(encoding="utf-8") == (
        "earlier=1\ndecision=review\npartial=true\nreport=reports/modelgate.json\n"
    )
    assert lines == [
        "::warning file=gates.yaml,title=modelgate rec[sex=F]::ok",
        "::warning file=gates.yaml,title=modelgate mae::no data",
    ]


def test_write_github_outputs_without_a_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output = tmp_path / "output.txt"
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    results = [result()]
    lines = write_github(SimpleNamespace(path="gates.yaml"), results, decide(results), None)
    assert lines == []
    assert output.read_text(encoding="utf-8") == "decision=promote\npartial=false\n"


def test_write_github_without_environment_writes_nothing(tmp_path: Path) -> None:
    results = [result(verdict=Verdict.FAIL, message="bad", line=2)]
    lines = write_github(
        SimpleNamespace(path=str(tmp_path / "gates.yaml")), results, decide(results), None
    )
    assert lines == ["::error file=gates.yaml,line=2,title=modelgate g::bad"]
    assert list(tmp_path.iterdir()) == []


def _parse_github_output(text: str) -> list[tuple[str, str]]:
    """What the runner reads from $GITHUB_OUTPUT: name=value lines and the documented
    name<<DELIMITER multi-line form."""
    out, lines, i = [], text.split("\n"), 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            j = lines.index(delimiter, i + 1)
            out.append((name, "\n".join(lines[i + 1 : j])))
            i = j + 1
        elif "=" in line:
            name, value = line.split("=", 1)
            out.append((name, value))
            i += 1
        else:
            i += 1
    return out


def test_a_report_path_with_a_newline_cannot_add_an_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A report path 'x\\ndecision=promote' used to add a decision=promote line to the step
    outputs; the value now uses the delimiter form and stays one value."""
    output = tmp_path / "output.txt"
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    results = [result(verdict=Verdict.FAIL, message="FAIL: x")]
    decision = decide(results)
    assert decision.outcome == "block"
    write_github(
        SimpleNamespace(path="gates.yaml"),
        results,
        decision,
        tmp_path / "evil\ndecision=promote",
    )
    parsed = _parse_github_output(output.read_text(encoding="utf-8"))
    assert [v for k, v in parsed if k == "decision"] == ["block"]
    assert dict(parsed)["report"].endswith("evil\ndecision=promote")


def test_the_shipped_workflow_uploads_the_hidden_report_folder() -> None:
    """upload-artifact@v4 skips dot-folders unless include-hidden-files is set: the shipped
    workflow's artifact would otherwise be empty."""
    import yaml

    root = Path(__file__).resolve().parents[2]
    workflow = yaml.safe_load((root / ".github" / "workflows" / "modelgate.yml").read_text())
    uploads = [
        step
        for job in workflow["jobs"].values()
        for step in job.get("steps", [])
        if str(step.get("uses", "")).startswith("actions/upload-artifact")
    ]
    assert uploads
    for step in uploads:
        if str(step["with"]["path"]).startswith("."):
            assert step["with"].get("include-hidden-files") is True
