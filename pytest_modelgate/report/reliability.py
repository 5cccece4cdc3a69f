"""The reliability diagram of a calibration gate (#19): inline SVG for the HTML report.

One point per equal-mass bin of the predicted probability — mean predicted probability (x)
against the observed rate of positives (y) — with the bin's Wilson interval as a vertical bar
and the diagonal (perfect calibration) dashed. The bins are the ones ``calibration_error`` uses
(``CheckResult.groups`` of a calibration gate: ``predicted``, ``observed``, ``low``, ``high``).
Every text is escaped by the caller's ``_e``; numbers are formatted here.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from pytest_modelgate.results import CheckResult

__all__ = ["is_calibration_result", "reliability_plot"]

_KEYS = ("predicted", "observed", "low", "high")


def is_calibration_result(r: CheckResult) -> bool:
    """A calibration gate's result that carries its reliability bins."""
    return (
        bool(r.metric)
        and str(r.metric).startswith("calibration_")
        and bool(r.groups)
        and all(all(k in g.values for k in _KEYS) for g in r.groups or ())
    )


def reliability_plot(r: CheckResult, colour: str, escape: Callable[[object], str]) -> str:
    """Inline SVG of ``r``'s reliability bins (``escape``: the report's text escaping)."""
    bins = [
        g
        for g in r.groups or ()
        if all(math.isfinite(float(g.values[k])) for k in ("predicted", "observed"))
    ]
    if not bins:
        return "<p class='muted'>no bins to plot</p>"
    size, left, top, bottom = 280, 46, 10, 36
    width, height = left + size + 20, top + size + bottom
    values = [float(g.values[k]) for g in bins for k in _KEYS if math.isfinite(g.values[k])]
    hi = min(1.0, max(0.1, math.ceil(max(values) * 10) / 10))
    lo = 0.0

    def x(v: float) -> float:
        return left + (v - lo) / (hi - lo) * size

    def y(v: float) -> float:
        return top + size - (v - lo) / (hi - lo) * size

    parts = [
        f"<svg class='forest' xmlns='http://www.w3.org/2000/svg' width='{width}' "
        f"height='{height}' viewBox='0 0 {width} {height}' role='img' "
        f"aria-label='reliability diagram of {escape(r.id)}'>",
        f"<rect x='{left}' y='{top}' width='{size}' height='{size}' fill='none' stroke='#d0d7de'/>",
        f"<line x1='{x(lo):.1f}' y1='{y(lo):.1f}' x2='{x(hi):.1f}' y2='{y(hi):.1f}' "
        "stroke='#57606a' stroke-dasharray='4 3'/>",
    ]
    for t in (lo, hi / 2, hi):
        parts.append(
            f"<text x='{x(t):.1f}' y='{top + size + 14}' font-size='10' text-anchor='middle' "
            f"fill='#57606a'>{t:.2g}</text>"
        )
        parts.append(
            f"<text x='{left - 4}' y='{y(t) + 3:.1f}' font-size='10' text-anchor='end' "
            f"fill='#57606a'>{t:.2g}</text>"
        )
    parts.append(
        f"<text x='{left + size / 2:.1f}' y='{height - 4}' font-size='11' text-anchor='middle' "
        "fill='#57606a'>mean predicted probability</text>"
    )
    parts.append(
        f"<text x='12' y='{top + size / 2:.1f}' font-size='11' text-anchor='middle' "
        f"fill='#57606a' transform='rotate(-90 12 {top + size / 2:.1f})'>observed rate</text>"
    )
    for g in bins:
        px, py = x(float(g.values["predicted"])), y(float(g.values["observed"]))
        low, high = float(g.values["low"]), float(g.values["high"])
        title = (
            f"{g.group}: n = {g.n}, predicted {float(g.values['predicted']):.3f}, observed "
            f"{float(g.values['observed']):.3f} [{low:.3f}, {high:.3f}]"
        )
        if math.isfinite(low) and math.isfinite(high):
            parts.append(
                f"<line x1='{px:.1f}' x2='{px:.1f}' y1='{y(low):.1f}' y2='{y(high):.1f}' "
                f"stroke='{colour}' stroke-width='2'/>"
            )
        parts.append(
            f"<circle cx='{px:.1f}' cy='{py:.1f}' r='3.5' fill='{colour}'>"
            f"<title>{escape(title)}</title></circle>"
        )
    parts.append("</svg>")
    return "".join(parts)
