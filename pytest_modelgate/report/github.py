"""GitHub Actions: step summary (Markdown), step outputs and workflow-command annotations.

Used only when ``GITHUB_ACTIONS=true``. Annotations point at the failing gate's line in the spec
(paths relative to ``GITHUB_WORKSPACE``) so the pull request shows them on ``gates.yaml``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pytest_modelgate._format import fmt_num, one_line
from pytest_modelgate._paths import display_path
from pytest_modelgate.decision import Decision
from pytest_modelgate.errors import SpecProblem
from pytest_modelgate.report.terminal import label_of, worst_slice
from pytest_modelgate.results import CheckResult, Verdict

__all__ = [
    "annotation",
    "escape_data",
    "escape_property",
    "github_output_line",
    "markdown_summary",
    "md_text",
    "write_github",
    "write_github_usage_error",
]


def github_output_line(name: str, value: str) -> str:
    """One ``$GITHUB_OUTPUT`` entry. A value with a line break uses GitHub's documented
    multi-line form with a random delimiter, so a path containing a newline cannot add a
    ``decision=promote`` line of its own."""
    if "\n" not in value and "\r" not in value:
        return f"{name}={value}\n"
    import secrets

    delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
    return f"{name}<<{delimiter}\n{value}\n{delimiter}\n"


def escape_data(text: str) -> str:
    """Workflow-command message escaping (``%``, CR, LF), after every other control character,
    surrogate and Unicode line break is shown escaped (line by line: an annotation's own line
    breaks stay line breaks, as ``%0A``)."""
    import re

    parts = re.split(r"(\r\n|\r|\n)", str(text))  # the separators are kept, at odd indices
    shown = "".join(part if i % 2 else one_line(part) for i, part in enumerate(parts))
    return shown.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Workflow-command property escaping (also ``:`` and ``,``)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


# Markdown (and inline HTML) syntax characters, written as numeric character references: they
# render as themselves and are never read as markup, also inside a table cell (a '|' would split
# it) and next to a backslash (which would otherwise escape the next character). '[' and ']'
# cover links and images, '<' tags and autolinks, '@' mentions, '$' math; '#', '-', '>' only
# matter at the start of a line, and every line here starts with our own '| ' or '- '; '_'
# emphasis needs a word boundary and cannot hide or link anything (metric names keep theirs).
_MARKDOWN_SYNTAX = frozenset("\\`*[]<|&#~@$")


def md_text(text: object) -> str:
    """``text`` as literal Markdown on one line: no table cell split, code span, emphasis, link,
    image, autolink, mention, HTML tag or heading can come out of a slice value, a gate name or
    a message."""
    return "".join(f"&#{ord(c)};" if c in _MARKDOWN_SYNTAX else c for c in one_line(text))


def _code(text: object) -> str:
    return f"<code>{md_text(text)}</code>"


def _spec_file(spec_path: Path) -> str:
    workspace = os.environ.get("GITHUB_WORKSPACE")
    return display_path(spec_path, workspace) if workspace else display_path(spec_path)


def annotation(result: CheckResult, spec_path: Path) -> str | None:
    """``::error file=gates.yaml,line=N,title=...::message`` for a result that did not pass."""
    if result.verdict is Verdict.PASS:
        return None
    blocking = result.severity == "block" and result.verdict in (Verdict.FAIL, Verdict.ERROR)
    level = "error" if blocking else "warning"
    props = [f"file={escape_property(_spec_file(spec_path))}"]
    if result.line:
        props.append(f"line={result.line}")
    props.append(f"title={escape_property(f'modelgate {label_of(result)}')}")
    return f"::{level} {','.join(props)}::{escape_data(result.message)}"


def _num(x: float | None) -> str:
    return fmt_num(x, missing="–")


def markdown_summary(
    results: Sequence[CheckResult],
    decision: Decision,
    report_path: Path | None,
    *,
    base: dict[str, Any] | None = None,
    base_name: str = "",
) -> str:
    """The step summary and the ``--modelgate-markdown`` report: decision, reasons, the gate
    table (slices grouped), worst slices; with ``base`` (a history record, e.g. the pull
    request's base branch's last run) also the diff against it (:mod:`.markdown_diff`)."""
    icon = {"promote": "✅", "canary": "🐤", "review": "👀", "block": "⛔"}[decision.outcome]
    lines = [
        f"## {icon} Model release decision: **{decision.outcome.upper()}**"
        + (" (partial)" if decision.partial else ""),
        "",
    ]
    lines += [f"- {md_text(r)}" for r in decision.reasons]
    lines += [
        "",
        "| gate | estimate | interval | required | rule | n | verdict |",
        "|---|---:|---|---|---|---:|---|",
    ]
    for r in results:
        interval = r.interval_cell(missing="–")
        required = r.required_cell(ge="≥", le="≤", sep=" ") or "–"
        verdict = r.verdict.value + ("" if r.severity == "block" else f" ({r.severity})")
        if r.verdict is not Verdict.PASS:
            verdict = f"**{verdict}**"
        lines.append(
            f"| {_code(label_of(r))} | {_num(r.estimate)} | {interval} | {required} | "
            f"{md_text(r.evidence or '–')} | {r.n if r.n is not None else '–'} | {verdict} |"
        )
    by_gate: dict[str, list[CheckResult]] = {}
    for r in results:
        if r.slice:
            by_gate.setdefault(r.id, []).append(r)
    if by_gate:
        lines += ["", "**Worst slices**", ""]
        for gate_id, group in by_gate.items():
            worst = worst_slice(group)
            if worst is not None:
                lines.append(
                    f"- {_code(gate_id)}: {_code(label_of(worst))} = {_num(worst.estimate)} "
                    f"({worst.verdict.value})"
                )
    if base is not None:
        from pytest_modelgate.report.markdown_diff import markdown_diff

        lines += markdown_diff(results, base, base_name)
    if report_path is not None:
        lines += ["", f"JSON report: {_code(display_path(report_path))}"]
    return "\n".join(lines) + "\n"


def write_github(
    spec: object, results: Sequence[CheckResult], decision: Decision, report_path: Path | None
) -> list[str]:
    """Append the summary and outputs; return the annotation lines to print on stdout.

    The step summary is for people: one that cannot be written (a missing folder, a full disk)
    becomes a ``::warning`` line and the run keeps its decision. ``$GITHUB_OUTPUT`` carries
    the decision the workflow acts on: failing to write it stays an error (exit 3)."""
    spec_path = Path(spec.path)  # type: ignore[attr-defined]
    notes: list[str] = []
    summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary_file:
        try:
            with open(summary_file, "a", encoding="utf-8") as fh:
                fh.write(markdown_summary(results, decision, report_path))
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            notes.append(
                "::warning title=modelgate::"
                + escape_data(
                    f"could not write the step summary to $GITHUB_STEP_SUMMARY ({summary_file}: "
                    f"{reason}); the decision and the reports are unaffected"
                )
            )
    output_file = os.environ.get("GITHUB_OUTPUT")
    if output_file:
        outputs = {"decision": decision.outcome, "partial": str(decision.partial).lower()}
        if report_path is not None:
            outputs["report"] = display_path(report_path)
        with open(output_file, "a", encoding="utf-8") as fh:
            fh.write("".join(github_output_line(k, v) for k, v in outputs.items()))
    return notes + [a for a in (annotation(r, spec_path) for r in results) if a]


def write_github_usage_error(
    message: str, *, spec_path: Path | None, problems: Sequence[SpecProblem] = ()
) -> list[str]:
    """A run that stops before any gate ran (exit 4: a broken spec, a refused option) on GitHub
    Actions: an ``::error`` annotation per spec problem at its line, the step summary and
    ``decision=error`` (no ``report=``: none was written). Returns the annotation lines.

    A summary or output file that cannot be written is skipped: the run fails anyway, and the
    annotations still reach the log."""
    title = escape_property("modelgate: invalid gate spec" if problems else "modelgate")
    where = [f"file={escape_property(_spec_file(spec_path))}"] if spec_path is not None else []
    annotations = [
        f"::error {','.join([*where, *([f'line={p.line}'] if p.line else []), f'title={title}'])}"
        f"::{escape_data(str(p))}"
        for p in problems
    ] or [f"::error {','.join([*where, f'title={title}'])}::{escape_data(message)}"]
    summary = "\n".join(
        [
            "## ⛔ Model release decision: **ERROR** (nothing was run)",
            "",
            *(f"- {md_text(line)}" for line in message.splitlines() if line.strip()),
            "",
            "Exit status 4: fix the spec or the option; no gate was evaluated and no report "
            "was written.",
        ]
    )
    for variable, text in (
        ("GITHUB_STEP_SUMMARY", summary + "\n"),
        ("GITHUB_OUTPUT", github_output_line("decision", "error") + "partial=false\n"),
    ):
        target = os.environ.get(variable)
        if target:
            try:
                with open(target, "a", encoding="utf-8") as fh:
                    fh.write(text)
            except OSError:
                pass
    return annotations
