"""Report paths never destroy inputs (#15): a report path that is the spec, the data, a model
file, the baseline store or the other report, a device, FIFO, socket, folder or symbolic link is a
usage error (exit 4) before anything runs, and leaves that path exactly as it was."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .test_plugin import PASSING


def _snapshot(path: Path) -> tuple[int, bytes]:
    return os.lstat(path).st_ino, path.read_bytes()


@pytest.mark.parametrize(
    ("option", "where", "says"),
    [
        ("--modelgate-report", "data/test.csv.gz", "is the test data (data.test)"),
        ("--modelgate-report", "gates.yaml", "is the gate spec"),
        ("--modelgate-html", "data/test.csv.gz", "is the test data (data.test)"),
        (
            "--modelgate-html",
            "models/model.joblib",
            "is the candidate model file (models.candidate)",
        ),
        ("--modelgate-report", "data/../gates.yaml", "is the gate spec"),
        ("--modelgate-report", "hardlink.csv.gz", "is the test data (data.test)"),
    ],
)
def test_a_report_path_that_is_an_input_is_refused(project, option, where, says):
    project.makefile(".yaml", gates=PASSING)
    os.link(project.path / "data" / "test.csv.gz", project.path / "hardlink.csv.gz")
    before = {p: _snapshot(project.path / p) for p in ("gates.yaml", "data/test.csv.gz")}
    result = project.runpytest("--modelgate", option, where)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*{option} * {says}; writing the report there would destroy it*"])
    assert {p: _snapshot(project.path / p) for p in before} == before
    assert not (project.path / ".modelgate").exists()


def test_a_report_inside_the_baseline_store_or_on_the_other_report_is_refused(project):
    project.makefile(".yaml", gates=PASSING)
    result = project.runpytest("--modelgate", "--modelgate-report", ".modelgate/baseline/r.json")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*lies inside the baseline store (baseline.store)*"])
    result = project.runpytest("--modelgate", "--modelgate-html", ".modelgate/report.json")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--modelgate-html .modelgate/report.json is the JSON report*"])


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs POSIX FIFOs and symbolic links")
@pytest.mark.parametrize("kind", ["fifo", "symlink", "dev/null"])
def test_devices_fifos_and_links_are_refused_and_left_alone(project, kind):
    project.makefile(".yaml", gates=PASSING)
    (project.path / "kept.json").write_text("kept\n")
    if kind == "fifo":
        os.mkfifo(project.path / "out.json")
        where, says = "out.json", "is a named pipe (FIFO), not a regular file"
    elif kind == "symlink":
        os.symlink("kept.json", project.path / "out.json")
        where, says = "out.json", "is a symbolic link (to kept.json)"
    else:
        where, says = "/dev/null", "is a character device, not a regular file"
    before = os.lstat(where if kind == "dev/null" else project.path / where)
    # the = form: pytest would take an existing path argument (/dev/null) as a rootdir hint
    result = project.runpytest("--modelgate", f"--modelgate-report={where}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*--modelgate-report *{says}*; nothing was run*"])
    after = os.lstat(where if kind == "dev/null" else project.path / where)
    assert (after.st_ino, after.st_mode) == (before.st_ino, before.st_mode)
    assert (project.path / "kept.json").read_text() == "kept\n"


def test_collect_only_and_a_broken_spec_keep_an_earlier_report(project):
    project.makefile(".yaml", gates=PASSING)
    assert project.runpytest("--modelgate").ret == 0
    report = project.path / ".modelgate" / "report.json"
    written = report.read_bytes()
    assert project.runpytest("--modelgate", "--co").ret == 0
    assert report.read_bytes() == written
    project.makefile(".yaml", gates=PASSING.replace("min: 0.7", "min: seventy"))
    assert project.runpytest("--modelgate").ret == pytest.ExitCode.USAGE_ERROR
    assert report.read_bytes() == written  # exit 4 is the result; nothing was decided or written


def test_reports_respect_the_umask(project):
    project.makefile(".yaml", gates=PASSING)
    old = os.umask(0o027)
    try:
        assert project.runpytest("--modelgate", "--modelgate-html", "r.html").ret == 0
    finally:
        os.umask(old)
    for path in (project.path / ".modelgate" / "report.json", project.path / "r.html"):
        assert path.stat().st_mode & 0o777 == 0o640
