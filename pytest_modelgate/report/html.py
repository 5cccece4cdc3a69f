"""A self-contained HTML report: decision, gate table, forest plots, comparisons, lineage.

One file, no scripts, no network: inline CSS and inline SVG, so it can be attached to a CI run,
mailed, or opened years later.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pytest_modelgate._format import fmt_num, one_line
from pytest_modelgate.decision import Decision
from pytest_modelgate.report.reliability import is_calibration_result
from pytest_modelgate.report.terminal import label_of, slice_text, worst_slice
from pytest_modelgate.results import CheckResult, Verdict

__all__ = ["forest_plot", "render_html", "write_html"]

_COLOURS = {"PASS": "#1a7f37", "FAIL": "#cf222e", "INCONCLUSIVE": "#9a6700", "ERROR": "#8250df"}
_SEVERITY_ORDER = {
    Verdict.PASS: 0,
    Verdict.INCONCLUSIVE: 1,
    Verdict.FAIL: 2,
    Verdict.ERROR: 3,
}
_OUTCOME = {"promote": "#1a7f37", "canary": "#bf8700", "review": "#9a6700", "block": "#cf222e"}

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#1f2328}
h1{font-size:1.4rem} h2{font-size:1.1rem;margin-top:2rem}
.decision{font-size:1.3rem;font-weight:700;padding:.6rem 1rem;border-radius:6px;color:#fff;
display:inline-block}
table{border-collapse:collapse;margin:.5rem 0;font-size:.85rem}
th,td{border:1px solid #d0d7de;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa} td.num{text-align:right;font-variant-numeric:tabular-nums}
.slice td:first-child{padding-left:1.5rem;color:#57606a}
.v{font-weight:600} code{font-size:.85rem}
.forest{margin:.5rem 0 1.5rem 0;max-width:100%;height:auto} .muted{color:#57606a;font-size:.85rem}
pre{white-space:pre-wrap;overflow-wrap:anywhere;max-width:100%;background:#f6f8fa;padding:.5rem}
td{overflow-wrap:anywhere} tr.gate td{background:#f6f8fa}
.legend span{margin-right:1rem} .legend .sw{display:inline-block;width:.8rem;height:.8rem;
border-radius:2px;margin-right:.3rem;vertical-align:-1px}
"""

# width of one character of the SVG's 12 px labels: generous for system-ui, so that a label is
# never drawn left of the plot's edge (the plot scales down to the page when it is wide)
_CHAR_PX = 7.5


def _legend() -> str:
    """What the colours and marks mean (the verdict colours of tables and plots)."""
    swatches = "".join(
        f"<span><span class='sw' style='background:{colour}'></span>{verdict}</span>"
        for verdict, colour in _COLOURS.items()
    )
    return (
        f"<p class='legend muted'>{swatches}<span>forest plots: dot = estimate, bar = "
        "interval, dashed line = the gate's threshold</span></p>"
    )


def _e(x: Any) -> str:
    """HTML-escaped text whose control characters, bidi overrides and lone surrogates are
    shown escaped line by line (a surrogate cannot even be written as UTF-8)."""
    return html.escape("\n".join(one_line(line) for line in str(x).split("\n")))


def _num(x: float | None) -> str:
    return fmt_num(x, missing="–")


def _verdict(r: CheckResult) -> str:
    colour = _COLOURS.get(r.verdict.value, "#000")
    extra = "" if r.severity == "block" else f" ({_e(r.severity)})"
    return f"<span class='v' style='color:{colour}'>{r.verdict.value}</span>{extra}"


def forest_plot(results: Sequence[CheckResult], width: int = 640) -> str:
    """Inline SVG: one row per slice, the estimate with its interval, the threshold dashed."""
    rows = [(r, r.interval) for r in results if r.interval is not None and r.interval.is_defined]
    first = results[0].threshold if results else None
    thresholds = first.values() if first is not None else []
    if not rows:
        return "<p class='muted'>no interval to plot</p>"
    lows = [iv.low for _, iv in rows] + thresholds
    highs = [iv.high for _, iv in rows] + thresholds
    lo, hi = min(lows), max(highs)
    pad = (hi - lo) * 0.08 or 0.05
    lo, hi = lo - pad, hi + pad
    labels = [slice_text(r) or r.id for r, _ in rows]
    # the label column fits the longest label, whole; the plot keeps at least 60% of ``width``
    label_w = max(190, int(max(len(t) for t in labels) * _CHAR_PX) + 16)
    row_h, top = 22, 10
    plot_w = max(width - 190 - 20, int(width * 0.6))
    width = label_w + plot_w + 20
    height = top + row_h * len(rows) + 30

    def x(v: float) -> float:
        return label_w + (v - lo) / (hi - lo) * plot_w

    parts = [
        f"<svg class='forest' xmlns='http://www.w3.org/2000/svg' width='{width}' "
        f"height='{height}' viewBox='0 0 {width} {height}' role='img' "
        "aria-label='forest plot'>"
    ]
    for t in thresholds:
        parts.append(
            f"<line x1='{x(t):.1f}' x2='{x(t):.1f}' y1='{top - 5}' "
            f"y2='{top + row_h * len(rows)}' stroke='#57606a' stroke-dasharray='4 3'/>"
        )
        parts.append(
            f"<text x='{x(t):.1f}' y='{top + row_h * len(rows) + 14}' font-size='11' "
            f"text-anchor='middle' fill='#57606a'>{t:g}</text>"
        )
    for i, (r, iv) in enumerate(rows):
        y = top + row_h * i + row_h / 2
        colour = _COLOURS.get(r.verdict.value, "#000")
        parts.append(
            f"<text x='{label_w - 8}' y='{y + 4:.1f}' font-size='12' "
            f"text-anchor='end'>{_e(labels[i])}</text>"
        )
        parts.append(
            f"<line x1='{x(iv.low):.1f}' x2='{x(iv.high):.1f}' y1='{y:.1f}' "
            f"y2='{y:.1f}' stroke='{colour}' stroke-width='2'/>"
        )
        if r.estimate is not None and not math.isnan(r.estimate):
            parts.append(f"<circle cx='{x(r.estimate):.1f}' cy='{y:.1f}' r='4' fill='{colour}'/>")
    for v in (lo + pad, hi - pad):
        if any(abs(v - t) < 0.06 * (hi - lo) for t in thresholds):
            continue  # the threshold's own label is there already
        parts.append(
            f"<text x='{x(v):.1f}' y='{height - 4}' font-size='10' "
            f"text-anchor='middle' fill='#57606a'>{v:.3g}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def render_html(
    spec_name: str,
    results: Sequence[CheckResult],
    decision: Decision,
    lineage: dict[str, Any],
    sections: Sequence[tuple[str, Sequence[str]]] = (),
) -> str:
    """The whole report as one HTML string (``sections``: titled text blocks, e.g. the scan
    and mutation reports, shown before the lineage)."""
    out = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>modelgate: {_e(decision.outcome.upper())}</title><style>{_CSS}</style>",
        "</head><body>",
        f"<h1>Model release decision — <code>{_e(spec_name)}</code></h1>",
        f"<div class='decision' style='background:{_OUTCOME[decision.outcome]}'>"
        f"{_e(decision.headline())}</div><ul>",
    ]
    out += [f"<li>{_e(r)}</li>" for r in decision.reasons[1:]]
    out.append(
        "</ul><h2>Gates</h2>" + _legend() + "<table><tr><th>gate</th><th>estimate</th>"
        "<th>interval</th>"
        "<th>required</th><th>rule</th><th>n</th><th>verdict</th></tr>"
    )
    by_gate: dict[str, list[CheckResult]] = {}
    for r in results:
        by_gate.setdefault(r.id, []).append(r)
    for gate_id, group in by_gate.items():
        sliced = len(group) > 1 or bool(group[0].slice)
        if sliced:  # the gate's own row: its verdict is its worst slice's
            header = max(group, key=lambda r: _SEVERITY_ORDER[r.verdict])
            out.append(
                f"<tr class='gate'><td colspan='6'><b>{_e(gate_id)}</b> ({len(group)} "
                f"slices)</td><td>{_verdict(header)}</td></tr>"
            )
        for r in group:
            interval = _e(r.interval_cell(missing="–"))
            required = r.required_cell(ge="≥", le="≤", sep=" ") or "–"
            name = slice_text(r) if sliced else gate_id
            cls = " class='slice'" if sliced else ""
            out.append(
                f"<tr{cls} title='{_e(r.message)}'><td>{_e(name)}</td>"
                f"<td class='num'>{_num(r.estimate)}</td><td>{interval}</td>"
                f"<td>{_e(required)}</td><td>{_e(r.evidence or '–')}</td>"
                f"<td class='num'>{r.n if r.n is not None else '–'}</td>"
                f"<td>{_verdict(r)}</td></tr>"
            )
    out.append("</table>")
    problems = [r for r in results if r.verdict is not Verdict.PASS]
    if problems:
        out.append("<h2>What did not pass</h2>")
        for r in problems:
            out.append(
                f"<p><b>{_e(label_of(r))}</b>"
                + (f" (line {_e(r.line)})" if r.line else "")
                + "</p><pre>"
                f"{_e(r.message)}\n{_e(r.details)}</pre>"
            )
    plots = {gid: g for gid, g in by_gate.items() if len(g) > 1}
    if plots:
        out.append("<h2>Slices: estimates and intervals against the threshold</h2>")
        for gid, group in plots.items():
            worst = worst_slice(group)
            note = f" — worst: {_e(label_of(worst))}" if worst is not None else ""
            out.append(f"<h3>{_e(gid)}{note}</h3>{forest_plot(group)}")
        out.append(_legend())
    calibrated = [r for r in results if is_calibration_result(r)]
    if calibrated:  # #19: reliability diagrams of calibration gates
        from pytest_modelgate.report.reliability import reliability_plot

        out.append(
            "<h2>Calibration: reliability diagrams</h2><p class='muted'>dot = observed rate of "
            "positives in an equal-mass bin of the predicted probability, bar = its Wilson "
            "interval, dashed line = perfect calibration</p>"
        )
        for r in calibrated:
            colour = _COLOURS.get(r.verdict.value, "#000")
            out.append(f"<h3>{_e(label_of(r))}</h3>{reliability_plot(r, colour, _e)}")
    compared = [r for r in results if r.comparison is not None]
    if compared:
        out.append(
            "<h2>Comparisons (Δ oriented so that higher is better)</h2><table><tr>"
            "<th>gate</th><th>candidate</th><th>against</th><th>Δ</th><th>interval</th>"
            "<th>pairing / test</th></tr>"
        )
        for r in compared:
            c = r.comparison
            assert c is not None
            p = f", p = {r.p_value:.3g}" if r.p_value is not None else ""
            out.append(
                f"<tr><td>{_e(label_of(r))}</td><td class='num'>"
                f"{_num(c.candidate)}</td><td>{_e(c.against)} "
                f"{_num(c.baseline)}<br><span class='muted'>{_e(c.source)}"
                f"</span></td><td class='num'>{_num(r.estimate)}</td><td>"
                f"[{_num(c.interval.low)}, {_num(c.interval.high)}]</td><td>"
                f"{'paired' if c.paired else 'UNPAIRED'}, {_e(c.test)}{p}"
                "</td></tr>"
            )
        out.append("</table>")
    for title, lines in sections:
        out.append(f"<h2>{_e(title)}</h2><pre>{_e(chr(10).join(lines))}</pre>")
    out.append(
        "<h2>Lineage</h2><pre>"
        + _e(json.dumps(lineage, indent=2, default=str))
        + "</pre><p class='muted'>pytest-modelgate</p></body></html>"
    )
    return "".join(out)


def write_html(
    path: Path,
    spec_name: str,
    results: Sequence[CheckResult],
    decision: Decision,
    lineage: dict[str, Any],
    sections: Sequence[tuple[str, Sequence[str]]] = (),
) -> Path:
    """Write the report atomically and return its path."""
    from pytest_modelgate._paths import atomic_write

    return atomic_write(path, render_html(spec_name, results, decision, lineage, sections))
