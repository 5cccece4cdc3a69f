"""The Markdown report's diff against an earlier run (a pull request's base branch's last run
from the history): estimates and intervals side by side, verdict changes highlighted, new and
removed gates. Everything printed is escaped with :func:`~.github.md_text`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pytest_modelgate._format import fmt_num
from pytest_modelgate.results import CheckResult, Verdict

__all__ = ["markdown_diff"]

_RANK = {"PASS": 0, "INCONCLUSIVE": 1, "FAIL": 2, "ERROR": 3}


def _cell(r: CheckResult | None) -> str:
    if r is None:
        return "–"
    estimate = fmt_num(r.estimate, missing="–")
    interval = r.interval_cell(missing="")
    return estimate + (f" {interval}" if interval else "")


def _verdict(r: CheckResult | None) -> str:
    return "–" if r is None else r.verdict.value


def markdown_diff(
    results: Sequence[CheckResult], base: dict[str, Any], base_name: str
) -> list[str]:
    """Lines of the "compared with" section: one row per gate (and slice) present in either run,
    worse verdicts first marked, then better ones; unchanged gates are listed too (compact)."""
    from pytest_modelgate.report.github import md_text

    def code(text: object) -> str:
        return f"<code>{md_text(text)}</code>"

    before: dict[str, CheckResult] = {}
    for entry in base.get("gates") or []:
        try:
            r = CheckResult.from_dict(entry)
        except (KeyError, TypeError, ValueError):
            continue  # a record from another version: its rows that cannot be read are skipped
        before[r.label] = r
    now = {r.label: r for r in results}
    history = base.get("history") or {}
    commit = str(history.get("commit") or "")[:12]
    lines = [
        "",
        f"### Compared with {code(base_name)}'s last run"
        + (f" ({code(commit)}, {md_text(history.get('recorded_at', ''))})" if commit else ""),
        "",
        f"Decision there: **{md_text(str(base.get('decision', '?')).upper())}**; here: see "
        "above. Intervals are each run's own (different models, maybe different rows: compare "
        "gates judge a difference, this table only shows both).",
        "",
        "| gate | base | this run | verdict |",
        "|---|---|---|---|",
    ]
    changed = 0
    for label in [*now, *(k for k in before if k not in now)]:
        old, new = before.get(label), now.get(label)
        if old is None:
            verdict = f"🆕 **{_verdict(new)}** (new gate)"
            changed += 1
        elif new is None:
            verdict = f"🗑️ ~~{_verdict(old)}~~ (removed)"
            changed += 1
        elif old.verdict is not new.verdict:
            worse = _RANK[new.verdict.value] > _RANK[old.verdict.value]
            arrow = "🔻" if worse else "🔺"
            verdict = f"{arrow} **{_verdict(old)} → {_verdict(new)}**"
            changed += 1
        else:
            verdict = _verdict(new) if new.verdict is Verdict.PASS else f"**{_verdict(new)}**"
        lines.append(f"| {code(label)} | {_cell(old)} | {_cell(new)} | {verdict} |")
    lines += ["", f"{changed} gate(s) changed verdict, appeared or disappeared."]
    return lines
