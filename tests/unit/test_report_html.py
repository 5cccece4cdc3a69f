"""The HTML report (``report/html.py``): one self-contained page that escapes every name and
value it did not write itself, and the forest plot of a sliced gate."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from pytest_modelgate.decision import decide
from pytest_modelgate.report.html import forest_plot, render_html, write_html
from pytest_modelgate.results import CheckResult, ComparisonResult, Threshold, Verdict
from pytest_modelgate.stats.intervals import Interval
from tests.reports import check_result

NAN = float("nan")


result = check_result


def iv(low: float, high: float, level: float = 0.95, method: str = "wilson") -> Interval:
    return Interval(low, high, level, method)


class Page(HTMLParser):
    """Every start tag (with its attributes) and every piece of text, as a browser parses them."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    @property
    def names(self) -> set[str]:
        return {tag for tag, _ in self.tags}

    @property
    def attributes(self) -> set[str]:
        return {name for _, attrs in self.tags for name in attrs}

    def attr_values(self, name: str) -> list[str | None]:
        return [attrs[name] for _, attrs in self.tags if name in attrs]


SAFE_TAGS = {
    "html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "code", "div", "ul",
    "li", "table", "tr", "th", "td", "span", "b", "p", "pre", "br", "svg", "line", "text",
    "circle",
}  # fmt: skip
SAFE_ATTRIBUTES = {
    "lang", "charset", "class", "style", "colspan", "title", "xmlns", "width", "height", "role",
    "aria-label", "x", "y", "x1", "x2", "y1", "y2", "cx", "cy", "r", "fill", "stroke",
    "stroke-width", "stroke-dasharray", "font-size", "text-anchor", "viewbox",
}  # fmt: skip


# ---------------------------------------------------------------------------- escaping

SCRIPT = "<script>alert('x')</script>"
BREAKOUT = "' onmouseover='alert(1)"
ATTR = '"><img src=x onerror=alert(2)>'
AMP = "O'Brien & Sons <Ltd>"


def hostile_results() -> list[CheckResult]:
    sliced = [
        result(
            id=f"recall{SCRIPT}",
            metric="recall",
            slice={"employer": value},
            estimate=est,
            interval=iv(est - 0.05, est + 0.05, method=f"wilson{SCRIPT}"),
            threshold=Threshold(min=0.8),
            evidence=f"strict{SCRIPT}",
            verdict=verdict,
            message=f"{verdict.value}: {BREAKOUT} {value}",
            details=f"  slice  {value}\n  why    {SCRIPT}",
            line=3,
        )
        for value, est, verdict in [
            (SCRIPT, 0.9, Verdict.PASS),
            (ATTR, 0.7, Verdict.FAIL),
            (AMP, 0.85, Verdict.PASS),
        ]
    ]
    comparison = ComparisonResult(
        metric="roc_auc",
        delta=0.01,
        interval=iv(-0.01, 0.03),
        candidate=0.86,
        baseline=0.85,
        n=100,
        paired=False,
        test=f"delong{SCRIPT}",
        against=f"base{ATTR}",
        source=f"file {AMP}",
    )
    compare = result(
        id=f"cmp{BREAKOUT}",
        kind="compare",
        metric="roc_auc",
        estimate=0.01,
        interval=comparison.interval,
        comparison=comparison,
        severity="warn",
        verdict=Verdict.INCONCLUSIVE,
        message=SCRIPT,
    )
    return [*sliced, compare]


def hostile_page() -> tuple[str, list[CheckResult]]:
    results = hostile_results()
    lineage = {"data": f"</pre>{SCRIPT}", AMP: [ATTR]}
    return render_html(f"spec{SCRIPT}.yaml", results, decide(results), lineage), results


def test_hostile_names_and_values_are_text_never_markup() -> None:
    text, _ = hostile_page()
    page = Page(text)
    assert page.names <= SAFE_TAGS, page.names - SAFE_TAGS
    assert "script" not in page.names and "img" not in page.names
    assert page.attributes <= SAFE_ATTRIBUTES, page.attributes - SAFE_ATTRIBUTES
    assert not any(a.startswith("on") for a in page.attributes)
    # the raw markup never appears; its escaped form does
    for raw in (SCRIPT, ATTR, "<Ltd>", "& Sons"):
        assert raw not in text
    assert "&lt;script&gt;" in text
    assert "O&#x27;Brien &amp; Sons &lt;Ltd&gt;" in text


def test_hostile_values_survive_as_readable_text() -> None:
    text, results = hostile_page()
    page = Page(text)
    body = "".join(page.text)
    for shown in (
        f"spec{SCRIPT}.yaml",  # spec name
        f"recall{SCRIPT}",  # gate id (sliced header, forest plot heading)
        f"employer={AMP}",  # slice label (table and forest plot)
        f"employer={ATTR}",
        f"wilson{SCRIPT}",  # interval method
        f"strict{SCRIPT}",  # rule
        f"delong{SCRIPT}",  # comparison test
        f"base{ATTR}",  # compared against
        f"file {AMP}",  # comparison source
        f"cmp{BREAKOUT}",  # gate id in the comparison table
        "</pre>",  # inside the lineage <pre>, as text
    ):
        assert shown in body, shown
    # messages survive whole in the title attribute (quotes cannot end it early)
    assert set(page.attr_values("title")) == {r.message for r in results}


def test_forest_plot_labels_are_escaped_whole() -> None:
    group = [
        result(slice={"s": "&" * 40}, estimate=0.5, interval=iv(0.4, 0.6)),
        result(slice={"s": "<b>"}, estimate=0.5, interval=iv(0.4, 0.6)),
    ]
    svg = forest_plot(group)
    labels = [t for t in Page(svg).text if t.startswith("s=")]
    assert labels == ["s=" + "&" * 40, "s=<b>"]  # whole: no longer cut at 30 characters
    assert "s=&lt;b&gt;" in svg and "<b>" not in svg


# ---------------------------------------------------------------------------- page content


def test_self_contained_document() -> None:
    results = [result(id="acc", estimate=0.9, interval=iv(0.85, 0.95))]
    text = render_html("gates.yaml", results, decide(results), {"seed": 3})
    assert text.startswith("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>")
    assert text.endswith("</body></html>")
    assert "<title>modelgate: PROMOTE</title>" in text
    assert "<h1>Model release decision — <code>gates.yaml</code></h1>" in text
    page = Page(text)
    assert not page.names & {"script", "link", "img", "iframe", "object"}
    assert "src" not in page.attributes and "href" not in page.attributes
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", text)


def test_gate_rows_exactly() -> None:
    results = [
        result(
            id="acc",
            estimate=0.91234,
            interval=iv(0.9, 0.92),
            threshold=Threshold(min=0.8),
            evidence="strict",
            n=1000,
        ),
        result(
            id="mae",
            estimate=2.5,
            interval=iv(2, 3, 0.9, "bootstrap-bca"),
            threshold=Threshold(min=1, max=3),
            evidence="point",
            n=7,
            severity="warn",
            verdict=Verdict.FAIL,
            message="FAIL: mae",
        ),
        result(id="none", estimate=NAN, interval=iv(NAN, NAN), verdict=Verdict.ERROR),
    ]
    text = render_html("s", results, decide(results), {})
    assert (
        "<tr title='ok'><td>acc</td><td class='num'>0.9123</td>"
        "<td>[0.9000, 0.9200] 95% wilson</td><td>≥ 0.8</td><td>strict</td>"
        "<td class='num'>1000</td><td><span class='v' style='color:#1a7f37'>PASS</span></td></tr>"
    ) in text
    assert (
        "<tr title='FAIL: mae'><td>mae</td><td class='num'>2.5000</td>"
        "<td>[2.0000, 3.0000] 90% bootstrap-bca</td><td>≥ 1 ≤ 3</td><td>point</td>"
        "<td class='num'>7</td><td><span class='v' style='color:#cf222e'>FAIL</span> (warn)</td>"
        "</tr>"
    ) in text
    assert (
        "<tr title='ok'><td>none</td><td class='num'>–</td><td>–</td><td>–</td><td>–</td>"
        "<td class='num'>–</td><td><span class='v' style='color:#8250df'>ERROR</span></td></tr>"
    ) in text


def _slices() -> list[CheckResult]:
    return [
        result(
            id="rec",
            slice={"sex": s},
            estimate=e,
            interval=iv(e - 0.1, e + 0.1),
            threshold=Threshold(min=0.5),
            verdict=Verdict.PASS if e - 0.1 >= 0.5 else Verdict.INCONCLUSIVE,
            message=f"slice {s}",
        )
        for s, e in [("F", 0.7), ("M", 0.55), ("X", 0.65)]
    ]


def test_sliced_gate_header_rows_and_forest_plot() -> None:
    results = [*_slices(), result(id="acc", estimate=0.9)]
    text = render_html("s", results, decide(results), {})
    assert (
        "<tr class='gate'><td colspan='6'><b>rec</b> (3 slices)</td><td><span class='v' "
        "style='color:#9a6700'>INCONCLUSIVE</span></td></tr>"
    ) in text  # the gate's row carries its worst slice's verdict
    assert text.count("<tr class='slice'") == 3
    assert "<tr class='slice' title='slice M'><td>sex=M</td>" in text
    assert "<tr title='ok'><td>acc</td>" in text  # a plain gate: no header, no indent
    assert "<h2>Slices: estimates and intervals against the threshold</h2>" in text
    assert f"<h3>rec — worst: rec[sex=M]</h3>{forest_plot(results[:3])}" in text
    assert text.count("<svg") == 1  # no plot for the unsliced gate


def test_single_slice_gets_a_header_but_no_plot() -> None:
    results = _slices()[:1]
    text = render_html("s", results, decide(results), {})
    assert "<b>rec</b> (1 slices)" in text
    assert "<svg" not in text and "Slices: estimates" not in text


def test_problems_section_lists_only_what_did_not_pass() -> None:
    results = [
        result(id="a"),
        result(id="b", verdict=Verdict.FAIL, message="FAIL: b", details="  why  low", line=9),
    ]
    text = render_html("s", results, decide(results), {})
    assert (
        "<h2>What did not pass</h2><p><b>b</b> (line 9)</p><pre>FAIL: b\n  why  low</pre>" in text
    )
    assert "<b>a</b>" not in text
    passing = [result(id="a")]
    assert "What did not pass" not in render_html("s", passing, decide(passing), {})


def test_problem_without_a_spec_line_does_not_say_line_none() -> None:
    results = [result(id="b", verdict=Verdict.FAIL, message="FAIL: b", line=None)]
    text = render_html("python api", results, decide(results), {})
    assert "None" not in text


def test_comparison_table() -> None:
    cmp = ComparisonResult(
        metric="roc_auc",
        delta=0.0123,
        interval=iv(-0.004, 0.0286),
        candidate=0.861,
        baseline=0.8487,
        n=400,
        paired=True,
        test="delong-paired",
        against="baseline",
        source="stored baseline b/",
    )
    results = [
        result(
            id="auc",
            kind="compare",
            estimate=0.0123,
            interval=cmp.interval,
            comparison=cmp,
            p_value=0.00012345,
        )
    ]
    text = render_html("s", results, decide(results), {})
    assert (
        "<h2>Comparisons (Δ oriented so that higher is better)</h2><table><tr><th>gate</th>"
        "<th>candidate</th><th>against</th><th>Δ</th><th>interval</th><th>pairing / test</th></tr>"
        "<tr><td>auc</td><td class='num'>0.8610</td><td>baseline 0.8487<br>"
        "<span class='muted'>stored baseline b/</span></td><td class='num'>0.0123</td>"
        "<td>[-0.0040, 0.0286]</td><td>paired, delong-paired, p = 0.000123</td></tr></table>"
    ) in text
    unpaired = [
        result(
            id="auc",
            kind="compare",
            comparison=ComparisonResult(**{**cmp.__dict__, "paired": False}),
        )
    ]
    assert "<td>UNPAIRED, delong-paired</td>" in render_html("s", unpaired, decide(unpaired), {})
    assert "Comparisons" not in render_html("s", [result()], decide([result()]), {})


@pytest.mark.parametrize(
    ("verdicts", "colour", "outcome"),
    [
        ([Verdict.PASS], "#1a7f37", "PROMOTE"),
        ([Verdict.INCONCLUSIVE, Verdict.PASS], "#9a6700", "REVIEW"),
        ([Verdict.FAIL], "#cf222e", "BLOCK"),
    ],
)
def test_decision_banner(verdicts: list[Verdict], colour: str, outcome: str) -> None:
    results = [result(id=f"g{i}", verdict=v, message=f"m{i}") for i, v in enumerate(verdicts)]
    decision = decide(results)
    text = render_html("s", results, decision, {})
    assert f"<div class='decision' style='background:{colour}'>DECISION: {outcome} — " in text
    assert f"<title>modelgate: {outcome}</title>" in text
    extra = "".join(f"<li>{r}</li>" for r in decision.reasons[1:])
    assert f"</div><ul>{extra}</ul>" in text


def test_lineage_is_pretty_json() -> None:
    text = render_html("s", [result()], decide([result()]), {"seed": 1, "path": Path("a/b")})
    assert "<pre>{\n  &quot;seed&quot;: 1,\n  &quot;path&quot;: &quot;a/b&quot;\n}</pre>" in text


# ---------------------------------------------------------------------------- forest plot


def test_forest_plot_geometry() -> None:
    group = [
        result(slice={"s": "a"}, estimate=0.5, interval=iv(0.2, 0.6), threshold=Threshold(0.5)),
        result(
            slice={"s": "b"},
            estimate=0.6,
            interval=iv(0.4, 0.8),
            threshold=Threshold(0.5),
            verdict=Verdict.FAIL,
        ),
    ]
    svg = forest_plot(group)
    # range [0.2, 0.8] padded by 8% on each side → x(v) = 190 + (v - 0.152) / 0.696 * 430
    assert svg.startswith(
        "<svg class='forest' xmlns='http://www.w3.org/2000/svg' width='640' height='84' "
        "viewBox='0 0 640 84' role='img' aria-label='forest plot'>"
    )
    assert svg.endswith("</svg>")
    assert (
        "<line x1='405.0' x2='405.0' y1='5' y2='54' stroke='#57606a' stroke-dasharray='4 3'/>"
    ) in svg  # the threshold, dashed, in the middle
    assert ">0.5</text>" in svg
    assert "<line x1='219.7' x2='466.8' y1='21.0' y2='21.0' stroke='#1a7f37'" in svg
    assert "<circle cx='405.0' cy='21.0' r='4' fill='#1a7f37'/>" in svg
    assert "<line x1='343.2' x2='590.3' y1='43.0' y2='43.0' stroke='#cf222e'" in svg
    assert "<circle cx='466.8' cy='43.0' r='4' fill='#cf222e'/>" in svg
    # axis ends at the data range
    assert "<text x='219.7' y='80' font-size='10'" in svg and ">0.2</text>" in svg
    assert "<text x='590.3' y='80' font-size='10'" in svg and ">0.8</text>" in svg


def test_forest_plot_rows_without_interval_are_left_out() -> None:
    group = [
        result(slice={"s": "a"}, estimate=0.5, interval=iv(0.4, 0.6)),
        result(slice={"s": "b"}, estimate=0.5, interval=iv(NAN, NAN)),
        result(slice={"s": "c"}, estimate=0.5, interval=None),
        result(slice={"s": "d"}, estimate=NAN, interval=iv(0.3, 0.7)),
    ]
    svg = forest_plot(group)
    page = Page(svg)
    assert [t for t in page.text if t.startswith("s=")] == ["s=a", "s=d"]
    assert svg.count("<circle") == 1  # d has an interval but no estimate
    assert svg.count("stroke-width='2'") == 2
    assert "height='84'" in svg  # two rows
    assert "stroke-dasharray" not in svg  # no threshold


def test_forest_plot_without_intervals() -> None:
    assert forest_plot([]) == "<p class='muted'>no interval to plot</p>"
    none = [result(slice={"s": "a"}, estimate=0.5), result(slice={"s": "b"}, estimate=0.4)]
    assert forest_plot(none) == "<p class='muted'>no interval to plot</p>"


def test_forest_plot_of_identical_points_has_finite_coordinates() -> None:
    group = [result(slice={"s": x}, estimate=0.5, interval=iv(0.5, 0.5)) for x in "ab"]
    svg = forest_plot(group)
    assert "nan" not in svg and "inf" not in svg
    assert svg.count("x1='405.0' x2='405.0'") == 2  # the middle of the plot


def test_forest_plot_threshold_label_replaces_a_coinciding_axis_label() -> None:
    group = [
        result(slice={"s": "a"}, estimate=0.5, interval=iv(0.2, 0.6), threshold=Threshold(0.8)),
        result(slice={"s": "b"}, estimate=0.6, interval=iv(0.4, 0.7), threshold=Threshold(0.8)),
    ]
    svg = forest_plot(group)
    assert svg.count(">0.8</text>") == 1  # the threshold's label, not a second axis label
    assert ">0.2</text>" in svg


def test_forest_plot_label_falls_back_to_the_gate_id() -> None:
    group = [result(id="gate-a", estimate=0.5, interval=iv(0.4, 0.6))] * 2
    assert Page(forest_plot(group)).text == ["gate-a", "gate-a", "0.4", "0.6"]


# ---------------------------------------------------------------------------- writing


def test_write_html_is_atomic_and_returns_the_path(tmp_path: Path) -> None:
    results = hostile_results()
    decision = decide(results)
    target = tmp_path / "sub" / "report.html"
    target.parent.mkdir()
    target.write_text("old", encoding="utf-8")
    path = write_html(target, "s", results, decision, {"a": 1})
    assert path == target
    assert target.read_text(encoding="utf-8") == render_html("s", results, decision, {"a": 1})
    assert [p.name for p in target.parent.iterdir()] == ["report.html"]


def test_forest_plot_draws_a_long_label_whole_inside_the_plot() -> None:
    """#15: labels were cut at 30 characters and could start left of the SVG's edge."""
    label = "a slice value far longer than thirty characters, kept whole"
    group = [
        result(slice={"s": label}, estimate=0.5, interval=iv(0.4, 0.6)),
        result(slice={"s": "b"}, estimate=0.5, interval=iv(0.4, 0.6)),
    ]
    svg = forest_plot(group)
    assert f">s={label}</text>" in svg
    width = int(re.search(r"width='(\d+)'", svg).group(1))
    label_x = int(re.search(r"<text x='(\d+)' y='[\d.]+' font-size='12'", svg).group(1))
    assert label_x - 7.5 * len(f"s={label}") >= 0  # starts inside, at a generous char width
    assert width - label_x >= 0.6 * 640 - 1  # the plot keeps its width; the page scales it
