"""Reports: the terminal section, the JSON report, the HTML report and the Markdown summary.

:func:`write_reports` writes any of the files the plugin writes; the Python API
(``Evaluation.write_reports``, ``run_gates(...).write_reports``) calls it too.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pytest_modelgate.report.json_report import build_report, write_report
from pytest_modelgate.report.terminal import format_decision_section, format_table

__all__ = [
    "build_report",
    "format_decision_section",
    "format_table",
    "write_report",
    "write_reports",
]


def write_reports(
    results: Sequence[Any],
    decision: Any,
    *,
    lineage: dict[str, Any] | None = None,
    spec: Any = None,
    task: str | None = None,
    json: str | Path | None = None,
    html: str | Path | None = None,
    markdown: str | Path | None = None,
    sections: Sequence[tuple[str, Sequence[str]]] = (),
) -> list[Path]:
    """Write the JSON report, the HTML report and/or the Markdown summary (each atomically);
    returns the paths written, in that order.

    Parameters
    ----------
    results : the gate results (:class:`~pytest_modelgate.CheckResult`).
    decision : their :class:`~pytest_modelgate.Decision` (see :func:`~pytest_modelgate.decide`).
    lineage : hashes, seed and versions recorded in the reports.
    spec : the :class:`~pytest_modelgate.Spec` the results came from, if any.
    task : the task, recorded in the JSON report.
    json, html, markdown : where to write each report (None: not written).
    sections : titled text blocks for the HTML report (the scan and mutation reports).

    Raises
    ------
    OSError
        before anything is written, when a path is an input of ``spec`` (the spec, its data,
        model files, the baseline store), another of these reports, a device, FIFO, socket,
        folder or symbolic link, or cannot be written; or when a write fails.
    """
    from pytest_modelgate._paths import atomic_write, check_report_path, display_path

    protected: list[tuple[Path, str]] = []
    if spec is not None:
        from pytest_modelgate.runner.lineage import input_paths

        protected = input_paths(spec)
    for what, target in (("json", json), ("html", html), ("markdown", markdown)):
        if target is not None:
            problem = check_report_path(
                Path(target).absolute(), f"write_reports({what}=)", protected
            )
            if problem:
                raise OSError(problem)
            protected.append((Path(target), f"the {what} report"))

    written: list[Path] = []
    spec_name = display_path(spec.path) if spec is not None else "python api"
    json_path = None
    if json is not None:
        report = build_report(results, decision, lineage, spec_path=spec_name, task=task)
        json_path = write_report(report, json)
        written.append(json_path)
    if html is not None:
        from pytest_modelgate.report.html import write_html

        written.append(
            write_html(Path(html), spec_name, results, decision, lineage or {}, sections)
        )
    if markdown is not None:
        from pytest_modelgate.report.github import markdown_summary

        path = Path(markdown)
        written.append(atomic_write(path, markdown_summary(results, decision, json_path)))
    return written
