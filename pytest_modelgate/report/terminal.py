"""The ``modelgate release decision`` terminal section: an aligned table and the decision."""

from __future__ import annotations

import math
from collections.abc import Sequence

from ..decision import Decision
from ..results import CheckResult

__all__ = ["format_decision_section", "format_table"]


def _num(x: float | None) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return f"{x:.4f}"


def _required(r: CheckResult) -> str:
    if not r.threshold:
        return "-"
    return " ".join(f"{'>=' if k == 'min' else '<='}{v:g}" for k, v in r.threshold.items())


def format_table(results: Sequence[CheckResult]) -> list[str]:
    """One aligned row per result: gate, estimate, interval, required, rule, n, verdict."""
    header = ("gate", "estimate", "interval", "required", "rule", "n", "verdict")
    rows = [header]
    for r in results:
        iv = r.interval or {}
        if iv and iv.get("low") is not None:
            interval = (
                f"[{_num(iv['low'])}, {_num(iv['high'])}] {iv['level'] * 100:g}% {iv['method']}"
            )
        else:
            interval = "-"
        label = (
            r.id if not r.slice else f"{r.id}[{', '.join(f'{k}={v}' for k, v in r.slice.items())}]"
        )
        verdict = r.verdict.value + ("" if r.severity == "block" else f" ({r.severity})")
        rows.append(
            (
                label,
                _num(r.estimate) if r.estimate is not None else "-",
                interval,
                _required(r),
                r.evidence or "-",
                str(r.n) if r.n is not None else "-",
                verdict,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


def format_decision_section(
    results: Sequence[CheckResult], decision: Decision, header: str = ""
) -> list[str]:
    """Lines of the terminal summary section (without the ``===`` title)."""
    lines = [header] if header else []
    if results:
        lines += format_table(results)
    compared = [r for r in results if r.comparison and r.comparison.get("source") != "none"]
    if compared:
        lines.append("")
        lines.append("comparisons (Δ oriented so that higher is better):")
        width = max(len(r.id) for r in compared)
        for r in compared:
            c = r.comparison or {}
            pairing = "paired" if c.get("paired") else "UNPAIRED"
            p = (
                ""
                if r.p_value is None
                else (f", p = {r.p_value:.3g}" if r.p_value > 0 else ", p < 1e-300")
            )
            lines.append(
                f"  {r.id.ljust(width)}  candidate {_num(c.get('candidate'))} vs "
                f"{c.get('against')} {_num(c.get('baseline'))} ({c.get('source')}); "
                f"{pairing}, {c.get('test')}{p}"
            )
    problems = [r for r in results if r.verdict.value != "PASS"]
    if problems:
        lines.append("")
        # one line per distinct message: a missing data file errors every gate the same way
        groups: dict[str, list[CheckResult]] = {}
        for r in problems:
            groups.setdefault(r.message, []).append(r)
        for message, group in groups.items():
            r = group[0]
            if len(group) == 1:
                where = f"{r.spec_file}:{r.line}: " if r.spec_file and r.line else ""
                lines.append(f"{where}{r.id}: {message}")
            else:
                ids = ", ".join(g.id for g in group)
                lines.append(f"{len(group)} gates ({ids}): {message}")
    lines.append("")
    for reason in decision.reasons[1:]:
        lines.append(f"  - {reason}")
    lines.append(decision.headline())
    return lines
