"""The ``modelgate release decision`` terminal section: an aligned table and the decision."""

from __future__ import annotations

import math
from collections.abc import Sequence

from pytest_modelgate._format import fmt_num, safe_lines, slice_label
from pytest_modelgate.decision import Decision
from pytest_modelgate.results import CheckResult, Threshold

__all__ = ["format_decision_section", "format_table"]


def _num(x: float | None) -> str:
    return fmt_num(x)


def _required(r: CheckResult) -> str:
    return r.required_cell() or "-"


def slice_text(r: CheckResult) -> str:
    return slice_label(r.slice)


def label_of(r: CheckResult) -> str:
    """``gate`` or ``gate[slice]``: how a result is named in lists and annotations."""
    return r.label


def worst_slice(results: Sequence[CheckResult]) -> CheckResult | None:
    """The slice farthest on the wrong side of (or closest to) the bar — among the failing
    slices when some fail: a small INCONCLUSIVE slice with a lower estimate is not the one to
    look at first when another slice shows a violation."""
    failing = [r for r in results if r.verdict.value in ("FAIL", "ERROR")]
    scored = []
    for r in failing or results:
        t = r.threshold or Threshold()
        if r.estimate is None or (isinstance(r.estimate, float) and math.isnan(r.estimate)):
            continue
        margins = []
        if t.min is not None:
            margins.append(r.estimate - t.min)
        if t.max is not None:
            margins.append(t.max - r.estimate)
        if margins:
            scored.append((min(margins), r))
    return min(scored, key=lambda x: x[0])[1] if scored else None


def _row(r: CheckResult, label: str) -> tuple[str, ...]:
    interval = r.interval_cell()
    extras = [] if r.severity == "block" else [r.severity]
    if r.p_adjusted is not None:
        extras.append(f"Holm p={r.p_adjusted:.3g}")
    verdict = r.verdict.value + (f" ({'; '.join(extras)})" if extras else "")
    return (
        label,
        _num(r.estimate) if r.estimate is not None else "-",
        interval,
        _required(r),
        r.evidence or "-",
        str(r.n) if r.n is not None else "-",
        verdict,
    )


def format_table(results: Sequence[CheckResult]) -> list[str]:
    """One aligned row per result: gate, estimate, interval, required, rule, n, verdict.

    A sliced gate gets a header row (its verdict over all slices, the rule across slices) and
    its slices indented under it, the worst one marked.
    """
    from pytest_modelgate.checks.slices import worst_verdict

    header: tuple[str, ...] = ("gate", "estimate", "interval", "required", "rule", "n", "verdict")
    rows: list[tuple[str, ...]] = [header]
    by_gate: dict[str, list[CheckResult]] = {}
    for r in results:
        by_gate.setdefault(r.id, []).append(r)
    for gate_id, group in by_gate.items():
        if len(group) == 1 and not group[0].slice:
            rows.append(_row(group[0], gate_id))
            continue
        worst = worst_slice(group)
        first = group[0]
        rule = {"strict": "all slices", "lenient": "Holm", "point": "all slices"}.get(
            first.evidence or "", "-"
        )
        verdict = worst_verdict(group).value + (
            "" if first.severity == "block" else f" ({first.severity})"
        )
        rows.append(
            (
                f"{gate_id} ({len(group)} slices)",
                "",
                "",
                _required(first),
                f"{first.evidence or '-'}: {rule}",
                "",
                verdict,
            )
        )
        for r in group:
            mark = "  ◀ worst" if r is worst and len(group) > 1 else ""
            row = _row(r, f"  {slice_text(r)}")
            rows.append((*row[:-1], row[-1] + mark))
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
    compared = [r for r in results if r.comparison is not None]
    if compared:
        lines.append("")
        lines.append("comparisons (Δ oriented so that higher is better):")
        width = max(len(label_of(r)) for r in compared)
        by_source: dict[tuple[str, str], list[CheckResult]] = {}
        for r in compared:
            c = r.comparison
            assert c is not None
            by_source.setdefault((c.against, c.source), []).append(r)
        for (against, source), group in by_source.items():
            lines.append(f"  vs {against}: {source}")
            for r in group:
                c = r.comparison
                assert c is not None
                pairing = "paired" if c.paired else "UNPAIRED"
                p = (
                    ""
                    if r.p_value is None
                    else (f", p = {r.p_value:.3g}" if r.p_value > 0 else ", p < 1e-300")
                )
                lines.append(
                    f"    {label_of(r).ljust(width)}  candidate {_num(c.candidate)} vs "
                    f"{_num(c.baseline)}; {pairing}, {c.test}{p}"
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
                lines.append(f"{where}{label_of(r)}: {message}")
            else:
                ids = ", ".join(label_of(g) for g in group)
                lines.append(f"{len(group)} gates ({ids}): {message}")
    lines.append("")
    for reason in decision.reasons[1:]:
        lines.append(f"  - {reason}")
    lines.append(decision.headline())
    # messages can carry a model's exception text: no line may become a workflow command
    return [safe for line in lines for safe in safe_lines(line).split("\n")]
