"""Every output sink escapes what it prints (#15): hostile text in a gate name, a slice value and
a message goes through the terminal section, GitHub annotations, ``$GITHUB_OUTPUT``, the Markdown
step summary, the HTML report, the JSON report and the JUnit properties, and each sink keeps its
own invariant. (``tests/plugin/test_ci.py`` runs the same corpus end to end through the data.)"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pytest_modelgate import decide
from pytest_modelgate._format import safe_lines
from pytest_modelgate.report import build_report, format_decision_section
from pytest_modelgate.report.github import annotation, github_output_line, markdown_summary
from pytest_modelgate.report.html import render_html
from pytest_modelgate.results import CheckResult, Threshold, Verdict
from pytest_modelgate.stats.intervals import Interval
from tests.reports import check_result

HOSTILE = [
    "x\n::stop-commands::pwn",
    "\r::add-mask::secret",
    "  ::error::fake",
    "##[error]old form",
    "a|b|c",
    "`code` ``x``",
    "<script>alert(1)</script>",
    "[click](javascript:alert(1))",
    "![img](http://x/y.png)",
    "@everyone #1 $x^2$ ~~s~~ **b** _i_",
    "nul\x00bell\x07esc\x1b[31mred",
    "bidi\u202eevil\u2066",
    "line\u2028sep\u2029para\x85nel\x0bvt\x0cff\x1cfs",
    "lone\ud800surrogate\udfff",
    "&amp; &#124; \\| \\",
    "%0A%25",
    "é vs e\u0301",
    "x" * 5000,
]

hostile_text = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=60))

COMMAND = re.compile(r"^\s*(::|##\[)")
TABLE_CELL_SPLIT = re.compile(r"(?<!\\)\|")


def results_for(name: str, value: str, message: str) -> list[CheckResult]:
    common = {
        "id": name,
        "name": name,
        "metric": "recall",
        "threshold": Threshold(min=0.8),
        "evidence": "strict",
        "line": 7,
        "spec_file": "gates.yaml",
    }
    return [
        check_result(
            **common,
            slice={"seg": value},
            estimate=0.5,
            interval=Interval(0.4, 0.6, 0.95, "wilson"),
            n=50,
            verdict=Verdict.FAIL,
            message=f"FAIL: {message}",
            details=f"table\n{message}",
        ),
        check_result(**common, slice={"seg": "plain"}, estimate=0.9, n=60),
        check_result(id="other", name="other", verdict=Verdict.ERROR, message=message),
    ]


def output_keys(text: str) -> list[str]:
    keys, lines = [], iter(text.split("\n"))
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            key, delimiter = line.split("<<", 1)
            while next(lines) != delimiter:
                pass
            keys.append(key)
        elif line:
            keys.append(line.split("=", 1)[0])
    return keys


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)


def tags_of(page: str) -> set[str]:
    parser = _Tags()
    parser.feed(page)
    return parser.tags


BENIGN = results_for("recall>=0.8", "a", "ok")
BENIGN_MARKDOWN = markdown_summary(BENIGN, decide(BENIGN), Path("r.json"))
BENIGN_TAGS = tags_of(render_html("gates.yaml", BENIGN, decide(BENIGN), {}))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=hostile_text, value=hostile_text, message=hostile_text)
@example(name=HOSTILE[0], value=HOSTILE[4], message=HOSTILE[6])
@example(name=HOSTILE[13], value=HOSTILE[11], message=HOSTILE[1])
def test_every_sink_keeps_its_invariant(name: str, value: str, message: str) -> None:
    results = results_for(name, value, message)
    decision = decide(results)

    # terminal (and pytest's failure text): no line can be read as a workflow command
    terminal = "\n".join(format_decision_section(results, decision, f"spec {name}"))
    terminal += "\n" + safe_lines(f"{message}\n{results[0].details}")
    for line in terminal.splitlines():  # every Unicode line break counts here
        assert not COMMAND.match(line), line
    terminal.encode("utf-8")  # no lone surrogate reaches a UTF-8 stream

    # annotations: exactly one line each, the command its own
    for r in results:
        line = annotation(r, Path("gates.yaml"))
        if line is not None:
            assert len(line.splitlines()) == 1 and line.startswith(("::error ", "::warning "))
            assert line.count("::") >= 2 and "\r" not in line and "\n" not in line
            head = line.split("::", 2)[1]  # "error file=gates.yaml,line=7,title=..."
            keys = [p.split("=", 1)[0] for p in head.split(" ", 1)[1].split(",")]
            assert keys == ["file", "line", "title"] or keys == ["file", "title"]

    # $GITHUB_OUTPUT (read as the runner does, line by line): the value adds no key of its own
    assert output_keys(github_output_line("report", value)) == ["report"]

    # Markdown step summary: same lines, same cells, no markup from the text
    md = markdown_summary(results, decision, Path("r.json"))
    assert len(md.splitlines()) == len(BENIGN_MARKDOWN.splitlines())
    rows = [ln for ln in md.splitlines() if ln.startswith("|")]
    assert len(rows) == 2 + len(results)
    for row in rows:
        assert len(TABLE_CELL_SPLIT.split(row)) == 9, row
    assert "`" not in md and "](" not in md and "@" not in md.replace("&#64;", "")
    assert not re.search(r"<(?!/?code>)", md), md
    md.encode("utf-8")

    # HTML: no element but the report's own, and it can be written as UTF-8
    page = render_html(f"gates {name}.yaml", results, decision, {"seed": value})
    assert tags_of(page) <= BENIGN_TAGS
    page.encode("utf-8")

    # JSON: valid, ASCII-safe, and the text survives the round trip
    report = build_report(results, decision, {"note": message}, spec_path=name)
    text = json.dumps(report, indent=2)
    assert json.loads(text)["gates"][0]["slice"] == {"seg": value}

    # JUnit (pytest's junitxml writes user properties through bin_xml_escape): well-formed XML
    from _pytest.junitxml import bin_xml_escape

    suite = ET.Element("testsuite", name=bin_xml_escape(name))
    props = ET.SubElement(suite, "properties")
    for k, v in (("modelgate", json.dumps([r.to_dict() for r in results])), ("msg", message)):
        ET.SubElement(props, "property", name=k, value=bin_xml_escape(v))
    ET.fromstring(ET.tostring(suite, encoding="unicode").encode("utf-8"))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=hostile_text, value=hostile_text, message=hostile_text, other=hostile_text)
@example(name=HOSTILE[5], value=HOSTILE[4], message=HOSTILE[6], other=HOSTILE[7])
def test_the_markdown_diff_against_a_base_run_keeps_the_invariant(
    name: str, value: str, message: str, other: str
) -> None:
    """#17: the diff against the base branch's last run prints names, slices, a commit, a time
    and a branch that come from the history (a record anyone could have imported)."""
    results = results_for(name, value, message)
    base_results = results_for(other, value, message)  # other gate ids: new and removed rows
    base = {
        "decision": other,
        "gates": [r.to_dict() for r in base_results],
        "history": {"commit": other, "recorded_at": message},
    }
    md = markdown_summary(results, decide(results), None, base=base, base_name=value)
    diff = md.split("### Compared with", 1)[1]
    rows = [ln for ln in diff.splitlines() if ln.startswith("|")]
    labels = {r.label for r in results} | {r.label for r in base_results}
    assert len(rows) == 2 + len(labels)
    for row in rows:
        assert len(TABLE_CELL_SPLIT.split(row)) == 6, row
    assert "`" not in md and "](" not in md and "@" not in md.replace("&#64;", "")
    assert not re.search(r"<(?!/?code>)", md), md
    md.encode("utf-8")
