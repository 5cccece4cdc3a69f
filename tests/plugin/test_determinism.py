"""Same inputs and seed ⇒ byte-identical reports (DESIGN.md §3), across processes and under xdist.

Only ``created_at`` (the wall-clock time of the run) may differ; timing measurements such as the
latency check are, by nature, not reproducible and are left out of this spec.
"""

from __future__ import annotations

import json
import re

import pytest

from .conftest import SPEC_HEAD

GATES = (
    SPEC_HEAD.replace(
        "  candidate: models/model.joblib\n",
        "  candidate: models/model.joblib\n  baseline: models/weak.joblib\n",
    )
    + """\
  - metric: accuracy
    min: 0.6
  - metric: f1
    min: 0.6
  - metric: average_precision
    min: 0.6
  - metric: recall
    min: 0.6
    slices: [group]
    evidence: lenient
  - fairness: equalized_odds_difference
    sensitive: group
    max: 0.3
  - fairness: equalized_odds_ratio
    sensitive: group
    min: 0.5
  - metric: roc_auc
    compare: baseline
    max_drop: 0.01
  - metric: f1
    compare: baseline
    max_drop: 0.02
"""
)


def _without_clock(path) -> str:
    report = json.loads(path.read_text())
    assert report.pop("created_at")
    return json.dumps(report, indent=2)


def _run(project, name: str, *args: str) -> tuple[str, bytes]:
    result = project.runpytest_subprocess(
        "--modelgate",
        "--modelgate-report",
        f"{name}.json",
        "--modelgate-html",
        f"{name}.html",
        *args,
    )
    assert result.ret in (0, 1), result.stdout.str()
    html = (project.path / f"{name}.html").read_bytes()
    return _without_clock(project.path / f"{name}.json"), html


def test_reports_are_byte_identical_across_processes_and_under_xdist(project):
    pytest.importorskip("xdist")
    project.makefile(".yaml", gates=GATES)
    first, first_html = _run(project, "first")
    second, second_html = _run(project, "second")
    parallel, parallel_html = _run(project, "parallel", "-n", "2")
    # the runs did real random work: bootstrap intervals are in the report
    assert '"method": "bootstrap-bca"' in first and "bootstrap-percentile-stratified" in first
    assert first == second
    assert first == parallel
    clock = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+\-]\d\d:\d\d")
    assert clock.sub(b"T", first_html) == clock.sub(b"T", second_html)
    assert clock.sub(b"T", first_html) == clock.sub(b"T", parallel_html)


def test_another_seed_changes_the_bootstrap_and_is_recorded(project):
    """The comparison above can fail: a different seed moves the bootstrap interval."""
    project.makefile(".yaml", gates=GATES)
    first, _ = _run(project, "first")
    other, _ = _run(project, "other", "--modelgate-seed", "7")
    assert first != other
    assert json.loads(other)["lineage"]["seed"] == 7
