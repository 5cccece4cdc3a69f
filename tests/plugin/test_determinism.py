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
  - metric: accuracy
    min: 0.99
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


def _run(project, name: str, *args: str) -> tuple[str, bytes, str]:
    result = project.runpytest_subprocess(
        "--modelgate",
        "--modelgate-report",
        f"{name}.json",
        "--modelgate-html",
        f"{name}.html",
        *args,
    )
    assert result.ret == 1, result.stdout.str()  # accuracy >= 0.99 fails
    html = (project.path / f"{name}.html").read_bytes()
    return _without_clock(project.path / f"{name}.json"), html, result.stdout.str()


def test_reports_are_byte_identical_across_processes_and_under_xdist(project):
    """Three processes: serial, ``-n 2`` and serial with another seed. The xdist run's report
    equals the serial one byte for byte, so every worker's results reached the controller, which
    printed the decision; another seed moves the bootstrap (the comparison can fail)."""
    pytest.importorskip("xdist")
    project.makefile(".yaml", gates=GATES)
    first, first_html, _ = _run(project, "first")
    parallel, parallel_html, parallel_out = _run(project, "parallel", "-n", "2")
    # the runs did real random work: bootstrap intervals are in the report
    assert '"method": "bootstrap-bca"' in first and "bootstrap-percentile-stratified" in first
    assert first == parallel
    # a gate failing on a worker blocks the run from the controller, with its exit status
    report = json.loads(parallel)
    assert len(report["gates"]) == 10
    assert report["decision"] == "block" and "accuracy>=0.99" in parallel_out
    assert "DECISION: BLOCK" in parallel_out
    clock = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+\-]\d\d:\d\d")
    assert clock.sub(b"T", first_html) == clock.sub(b"T", parallel_html)
    # another seed moves the bootstrap (in this process: the seed, not the process, decides)
    other = project.runpytest(
        "--modelgate", "--modelgate-report", "other.json", "--modelgate-seed", "7"
    )
    assert other.ret == 1, other.stdout.str()
    other = _without_clock(project.path / "other.json")
    assert first != other
    assert json.loads(other)["lineage"]["seed"] == 7
