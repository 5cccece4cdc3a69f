"""CI integration: GitHub Actions outputs and annotations, JUnit, HTML, fail-on, marked tests,
the decision levels."""

from __future__ import annotations

import html
import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest

from .conftest import SPEC_HEAD

MIXED = (
    SPEC_HEAD
    + """\
  - metric: roc_auc
    min: 0.7
  - metric: recall
    min: 0.99
    severity: review
  - metric: accuracy
    min: 0.7
    slices: [group]
"""
)


def github_env(project, monkeypatch):
    summary = project.path / "summary.md"
    output = project.path / "output.txt"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    monkeypatch.setenv("GITHUB_WORKSPACE", str(project.path))
    return summary, output


def test_github_summary_outputs_and_annotations(project, monkeypatch):
    summary, output = github_env(project, monkeypatch)
    project.makefile(".yaml", gates=MIXED.replace("min: 0.7\n", "min: 0.95\n", 1))
    result = project.runpytest("--modelgate")
    assert result.ret == 1
    out = result.stdout.str()
    # exact file and line of the failing gates; block → error, review → warning; escaping
    assert re.search(
        r"^::error file=gates\.yaml,line=13,title=modelgate roc_auc>=0\.95::FAIL: "
        r"roc_auc = 0\.\d+, 95%25 CI \[",
        out,
        re.M,
    ), out
    assert re.search(
        r"^::warning file=gates\.yaml,line=15,title=modelgate recall>=0\.99::FAIL", out, re.M
    ), out
    assert output.read_text() == "decision=block\npartial=false\nreport=.modelgate/report.json\n"
    md = summary.read_text()
    assert md.startswith("## ⛔ Model release decision: **BLOCK**")
    assert "| <code>roc_auc>=0.95</code> | 0." in md and "| **FAIL** |" in md
    assert "**Worst slices**" in md
    assert "- <code>accuracy>=0.7</code>: <code>accuracy>=0.7&#91;group=" in md


def test_no_github_output_outside_actions(project, monkeypatch):
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    project.makefile(".yaml", gates=MIXED)
    result = project.runpytest("--modelgate")
    assert "::warning" not in result.stdout.str() and "::error" not in result.stdout.str()


@pytest.mark.parametrize(
    ("spec", "outcome", "status"),
    [
        (SPEC_HEAD + "  - metric: roc_auc\n    min: 0.7\n", "PROMOTE", 0),
        (
            SPEC_HEAD.replace(
                "  candidate: models/model.joblib\n",
                "  candidate: models/model.joblib\n  baseline: models/model.joblib\n",
            )
            + "  - metric: roc_auc\n    compare: baseline\n    max_drop: 0.01\n",
            "CANARY",
            0,
        ),
        (MIXED, "REVIEW", 0),
        (MIXED.replace("min: 0.7\n", "min: 0.95\n", 1), "BLOCK", 1),
    ],
)
def test_each_decision_level(project, spec, outcome, status):
    project.makefile(".yaml", gates=spec)
    result = project.runpytest("--modelgate")
    result.stdout.fnmatch_lines([f"DECISION: {outcome} — *"])
    assert result.ret == status


def test_fail_on_review_and_warn(project):
    project.makefile(".yaml", gates=MIXED)
    assert project.runpytest("--modelgate").ret == 0
    assert project.runpytest("--modelgate", "--modelgate-fail-on", "review").ret == 1
    project.makefile(
        ".yaml",
        gates=SPEC_HEAD + "  - metric: roc_auc\n    min: 0.7\n"
        "  - metric: recall\n    min: 0.99\n    severity: warn\n",
    )
    assert project.runpytest("--modelgate", "--modelgate-fail-on", "review").ret == 0
    assert project.runpytest("--modelgate", "--modelgate-fail-on", "warn").ret == 1


def test_marked_tests_count_in_the_decision(project):
    project.makefile(".yaml", gates=SPEC_HEAD + "  - metric: roc_auc\n    min: 0.7\n")
    project.makepyfile(
        test_rules="""
        import pytest

        @pytest.mark.modelgate(severity="review")
        def test_business_rule():
            assert 1 + 1 == 3, "the business rule does not hold"

        @pytest.mark.modelgate
        def test_golden():
            pass
    """
    )
    result = project.runpytest("--modelgate")
    result.stdout.fnmatch_lines(
        ["DECISION: REVIEW — 1 review gate failed: test_rules.py::test_business_rule*"]
    )
    assert result.ret == 0  # a failed review test asks for a person, it does not block
    report = json.loads((project.path / ".modelgate" / "report.json").read_text())
    kinds = {g["id"]: (g["kind"], g["verdict"], g["severity"]) for g in report["gates"]}
    assert kinds["test_rules.py::test_business_rule"] == ("test", "FAIL", "review")
    assert kinds["test_rules.py::test_golden"] == ("test", "PASS", "block")


def test_junit_gets_the_decision_as_a_global_property(project):
    project.makefile(".yaml", gates=MIXED)
    for family in ("xunit1", "xunit2"):
        project.runpytest(
            "--modelgate", "--junitxml", f"{family}.xml", "-o", f"junit_family={family}"
        )
        tree = ET.parse(project.path / f"{family}.xml")
        suite_props = {
            p.get("name"): p.get("value")
            for p in tree.getroot().iter("testsuite").__next__().find("properties")
        }
        assert suite_props["modelgate_decision"] == "review"
        assert suite_props["modelgate_partial"] == "false"
        cases = list(tree.getroot().iter("testcase"))
        assert len(cases) == 3
        if family == "xunit2":  # pytest's xunit2 schema allows no per-testcase <properties>
            assert all(case.find("properties") is None for case in cases)
            assert suite_props["modelgate_verdict[recall>=0.99]"].startswith("FAIL 0.")
            assert suite_props["modelgate_verdict[accuracy>=0.7[group=a]]"].startswith("PASS")
        else:
            assert all(case.find("properties") is not None for case in cases)


def test_data_is_loaded_before_the_first_gate(project):
    """Loading and predicting happen before the first gate runs (so its JUnit time is its own),
    once: the model sees no current test while it predicts."""
    project.syspathinsert()
    project.makepyfile(
        probe="""
        import os
        import joblib

        class Probe:
            def __init__(self):
                self.model = joblib.load("models/model.joblib")
                self.classes_ = self.model.classes_

            def predict_proba(self, X):
                with open("calls.txt", "a") as fh:
                    fh.write(os.environ.get("PYTEST_CURRENT_TEST", "-") + "\\n")
                return self.model.predict_proba(X)

            def predict(self, X):
                return self.model.predict(X)


        def make():
            return Probe()
        """
    )
    project.makefile(
        ".yaml", gates=MIXED.replace("candidate: models/model.joblib", "candidate: probe:make")
    )
    assert project.runpytest("--modelgate").ret == 0
    [during] = (project.path / "calls.txt").read_text().splitlines()  # one prediction
    assert not during.startswith("gates.yaml::")  # in no gate (in-process: the outer test's)


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            assert not (name in ("src", "href") and value and value.startswith("http")), value

    def handle_data(self, data):
        self.text.append(data)


def test_html_report_is_self_contained_and_has_the_gates(project):
    project.makefile(".yaml", gates=MIXED)
    result = project.runpytest("--modelgate", "--modelgate-html", "out/report.html")
    result.stdout.fnmatch_lines(["html: out/report.html"])
    page = (project.path / "out" / "report.html").read_text()
    parser = _Collect()
    parser.feed(page)
    text = " ".join(parser.text)
    assert "script" not in parser.tags and "svg" in parser.tags and "circle" in parser.tags
    assert "DECISION: REVIEW" in text and "roc_auc>=0.7" in text and "group=a" in text
    assert "Lineage" in text and '"sha256"' in text


def test_an_unwritable_step_summary_keeps_the_decision(project, monkeypatch):
    """An unwritable $GITHUB_STEP_SUMMARY used to end the run 'could not finish', exit 3, throwing
    away a valid decision; it is a ::warning now, and $GITHUB_OUTPUT still gets the decision."""
    _summary, output = github_env(project, monkeypatch)
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(project.path / "missing" / "summary.md"))
    project.makefile(".yaml", gates=MIXED.replace("    severity: review\n", "    severity: warn\n"))
    result = project.runpytest_subprocess("--modelgate")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["::warning title=modelgate::could not write the step summary*"])
    assert "decision=promote" in output.read_text() or "decision=canary" in output.read_text()


LONG_GROUP = "a slice value far longer than thirty characters, kept whole"

# appended to a copy of the report: the browser's own layout numbers, written into the DOM
MEASURE = """<script>
const svgText = [...document.querySelectorAll('svg.forest text')];
const outside = svgText.filter(t => {
  const b = t.getBBox(), svg = t.ownerSVGElement, vb = svg.viewBox.baseVal;
  const w = vb && vb.width ? vb.width : svg.width.baseVal.value;
  return b.x < 0 || b.x + b.width > w;
}).map(t => t.textContent);
document.body.setAttribute('data-measured', JSON.stringify({
  scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth,
  outside: outside, labels: svgText.map(t => t.textContent)}));
</script>"""


def test_html_report_renders_in_headless_chromium(project, tmp_path):
    """The report opened by a real browser (Debian's ``chromium``, which ``.ci/run`` installs):
    the DOM it builds holds the decision and every gate, and a screenshot is drawn; the page is
    no wider than the window (the lineage's ``<pre>`` made it 1,900 px), a slice label longer
    than 30 characters is drawn whole and inside the plot, sliced gates' header rows carry their
    verdict and a colour legend is shown (#15). Skipped without chromium, except in CI
    (``CI=true``), where a missing browser is a failure."""
    import os
    import shutil
    import subprocess

    import pandas as pd

    chromium = shutil.which("chromium")
    if chromium is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but chromium is not installed: .ci/run installs it with apt-get")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    frame = pd.read_csv(project.path / "data" / "test.csv.gz")
    first = frame["group"].iloc[0]
    frame["group"] = frame["group"].where(frame["group"] != first, LONG_GROUP)
    # a long file name: the lineage's <pre> holds a 200-character line
    long_name = "test_" + "x" * 200 + ".csv"
    frame.to_csv(project.path / "data" / long_name, index=False)
    project.makefile(".yaml", gates=MIXED.replace("data/test.csv.gz", f"data/{long_name}"))
    project.runpytest("--modelgate", "--modelgate-html", "report.html")
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--window-size=1200,900",
    ]
    report = (project.path / "report.html").read_text(encoding="utf-8")
    measured_page = project.path / "measured.html"
    measured_page.write_text(report.replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    dom = subprocess.run(
        [chromium, *flags, "--dump-dom", measured_page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    ).stdout
    assert "REVIEW" in dom and "roc_auc&gt;=0.7" in dom and "accuracy&gt;=0.7" in dom, dom[:2000]
    assert "<svg" in dom  # the forest plot of the sliced gate is drawn inline
    found = re.search(r"data-measured=\"([^\"]*)\"", dom)
    assert found, dom[-2000:]
    measured = json.loads(html.unescape(found.group(1)))
    assert measured["scrollWidth"] <= measured["innerWidth"], measured
    assert f"group={LONG_GROUP}" in measured["labels"], measured
    assert measured["outside"] == [], measured
    assert "class='legend" in report
    header = re.search(r"<tr class='gate'>.*?</tr>", report)
    assert header and "accuracy&gt;=0.7" in header.group(0) and "class='v'" in header.group(0)
    png = tmp_path / "shot.png"
    subprocess.run(
        [chromium, *flags, f"--screenshot={png}", (project.path / "report.html").as_uri()],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert png.exists() and png.stat().st_size > 10_000
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_fail_on_says_why_and_force_needs_update(project):
    project.makefile(".yaml", gates=MIXED)
    result = project.runpytest("--modelgate", "--modelgate-fail-on", "review")
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        ["exit status 1: --modelgate-fail-on=review and the decision is REVIEW"]
    )
    result = project.runpytest("--modelgate", "--modelgate-force")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*--modelgate-force only applies with --modelgate-update-baseline*"]
    )


def test_hostile_slice_values_are_escaped_in_every_sink(project, monkeypatch):
    """End to end through the data (the unit corpus: tests/unit/test_sink_escaping.py): slice
    values that try to start workflow commands, break the summary table or inject HTML reach
    stdout, the step summary, the annotations, JUnit XML and the HTML report escaped."""
    import pandas as pd

    summary, output = github_env(project, monkeypatch)
    frame = pd.read_csv(project.path / "data" / "test.csv.gz")
    hostile = {
        "a": "x\n::stop-commands::pwn\r\n##[error]y",
        "b": "a|b `c` <script>alert(1)</script> [l](javascript:x) @all \u202eevil\x1b[31m",
    }
    frame["group"] = frame["group"].map(hostile)
    frame.to_csv(project.path / "data" / "hostile.csv", index=False)
    spec = MIXED.replace("data/test.csv.gz", "data/hostile.csv").replace(
        "min: 0.7\n    slices", "min: 0.99\n    slices"
    )
    project.makefile(".yaml", gates=spec)
    result = project.runpytest(
        "--modelgate", "--junitxml", "junit.xml", "--modelgate-html", "r.html", "-rA"
    )
    assert result.ret == 1
    for line in result.stdout.lines + result.stderr.lines:
        assert not re.match(r"\s*(::|##\[)", line) or line.startswith(("::error ", "::warning ")), (
            line
        )
    assert "x\\n::stop-commands::pwn\\r\\n##[error]y" in result.stdout.str()  # shown, escaped
    md = summary.read_text()
    rows = [ln for ln in md.splitlines() if ln.startswith("|")]
    assert len(rows) == 2 + 4 and all(len(re.split(r"(?<!\\)\|", r)) == 9 for r in rows)
    assert "<script" not in md and "](" not in md and "`" not in md
    assert output.read_text().startswith("decision=block\n")
    ET.parse(project.path / "junit.xml")  # well-formed
    page = (project.path / "r.html").read_text(encoding="utf-8")
    assert "<script" not in page and "&lt;script&gt;" in page and "\u202e" not in page


def test_a_broken_spec_on_github_still_annotates_summarises_and_outputs(project, monkeypatch):
    summary, output = github_env(project, monkeypatch)
    project.makefile(".yaml", gates=MIXED.replace("min: 0.7\n", "min: seventy\n", 1))
    result = project.runpytest("--modelgate")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert any(
        re.match(
            r"::error file=gates\.yaml,line=14,title=modelgate%3A invalid gate spec::"
            r"gates\.yaml:14: gates\[0\]\.min: ",
            line,
        )
        for line in result.stderr.lines
    ), result.stderr.str()
    assert output.read_text() == "decision=error\npartial=false\n"
    md = summary.read_text()
    assert md.startswith("## ⛔ Model release decision: **ERROR** (nothing was run)")
    assert "- gates.yaml:14: gates&#91;0&#93;.min: " in md
    # a refused option is reported the same way, without a line
    project.makefile(".yaml", gates=MIXED)
    result = project.runpytest("--modelgate", "--modelgate-report", "gates.yaml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["::error file=gates.yaml,title=modelgate::--modelgate-report *"])
    assert output.read_text().endswith("decision=error\npartial=false\n" * 2)
