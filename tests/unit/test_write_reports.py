"""``write_reports``: exactly the files asked for, each written atomically, their paths returned
in order; and the reports of a real evaluation agree with the results they were made from."""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest

from pytest_modelgate import decide, evaluate, write_reports
from pytest_modelgate.report.github import markdown_summary, md_text
from pytest_modelgate.report.html import render_html
from pytest_modelgate.report.terminal import format_table
from pytest_modelgate.results import CheckResult, Threshold, Verdict
from pytest_modelgate.stats.intervals import Interval
from tests.reports import check_result


def result(**kw: Any) -> CheckResult:
    defaults: dict[str, Any] = {
        "id": "acc",
        "name": "acc",
        "metric": "accuracy",
        "estimate": 0.9,
        "interval": Interval(0.85, 0.95, 0.95, "wilson"),
        "threshold": Threshold(min=0.8),
        "evidence": "strict",
        "n": 200,
    }
    return check_result(**{**defaults, **kw})


def files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


# ---------------------------------------------------------------------------- which files


def test_nothing_asked_nothing_written(workdir: Path) -> None:
    results = [result()]
    assert write_reports(results, decide(results)) == []
    assert files_under(workdir) == []


@pytest.mark.parametrize("which", ["json", "html", "markdown"])
def test_exactly_the_file_asked(which: str, workdir: Path) -> None:
    results = [result()]
    target = workdir / "out" / f"report.{which}"
    written = write_reports(results, decide(results), **{which: target})
    assert written == [target]
    assert files_under(workdir) == [f"out/report.{which}"]


def test_all_three_in_order_with_string_paths(workdir: Path) -> None:
    results = [result()]
    written = write_reports(
        results, decide(results), markdown="s/summary.md", html="h/r.html", json="j/r.json"
    )
    assert written == [Path("j/r.json"), Path("h/r.html"), Path("s/summary.md")]
    assert all(isinstance(p, Path) for p in written)
    assert files_under(workdir) == ["h/r.html", "j/r.json", "s/summary.md"]


def test_contents_are_the_renderers_output(workdir: Path) -> None:
    results = [result(), result(id="rec", verdict=Verdict.FAIL, message="FAIL: rec")]
    decision = decide(results)
    lineage = {"seed": 11, "versions": {"pytest-modelgate": "x"}}
    spec = SimpleNamespace(path=workdir / "ml" / "gates.yaml")
    j, h, m = write_reports(
        results,
        decision,
        lineage=lineage,
        spec=spec,
        task="binary",
        json="r.json",
        html="r.html",
        markdown="r.md",
    )
    report = json.loads(j.read_text(encoding="utf-8"))
    assert report["spec"] == "ml/gates.yaml"  # shown relative to the working folder
    assert report["task"] == "binary"
    assert report["lineage"] == lineage
    assert report["decision"] == "block"
    assert [CheckResult.from_dict(g) for g in report["gates"]] == results
    assert h.read_text(encoding="utf-8") == render_html("ml/gates.yaml", results, decision, lineage)
    # the summary points at the JSON report written in the same call
    assert m.read_text(encoding="utf-8") == markdown_summary(results, decision, Path("r.json"))
    assert m.read_text(encoding="utf-8").endswith("\nJSON report: <code>r.json</code>\n")


def test_without_spec_or_lineage(workdir: Path) -> None:
    results = [result()]
    j, h = write_reports(results, decide(results), json="r.json", html="r.html")
    report = json.loads(j.read_text(encoding="utf-8"))
    assert report["spec"] == "python api"
    assert report["task"] is None
    assert report["lineage"] == {}
    assert "<code>python api</code>" in h.read_text(encoding="utf-8")
    assert "<pre>{}</pre>" in h.read_text(encoding="utf-8")


def test_markdown_without_json_names_no_report(workdir: Path) -> None:
    results = [result()]
    [m] = write_reports(results, decide(results), markdown="r.md")
    assert "JSON report" not in m.read_text(encoding="utf-8")


# ---------------------------------------------------------------------------- atomically


def test_old_reports_are_replaced_whole(workdir: Path) -> None:
    for name in ("r.json", "r.html", "r.md"):
        (workdir / name).write_text("stale " * 10_000, encoding="utf-8")
    results = [result()]
    write_reports(results, decide(results), json="r.json", html="r.html", markdown="r.md")
    assert "stale" not in (workdir / "r.json").read_text(encoding="utf-8")
    assert (workdir / "r.html").read_text(encoding="utf-8").endswith("</html>")
    assert "stale" not in (workdir / "r.md").read_text(encoding="utf-8")
    assert files_under(workdir) == ["r.html", "r.json", "r.md"]


@pytest.mark.parametrize("which", ["json", "html", "markdown"])
def test_a_failed_write_leaves_the_old_file_and_no_temporary(
    which: str, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (workdir / "old").write_text("previous report", encoding="utf-8")

    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    results = [result()]
    with pytest.raises(OSError, match="No space left"):
        write_reports(results, decide(results), **{which: "old"})
    assert (workdir / "old").read_text(encoding="utf-8") == "previous report"
    assert files_under(workdir) == ["old"]


def test_a_folder_in_the_way_raises_and_leaves_no_temporary(workdir: Path) -> None:
    (workdir / "r.md").mkdir()
    results = [result()]
    with pytest.raises(OSError):
        write_reports(results, decide(results), markdown="r.md")
    assert files_under(workdir) == []
    assert list((workdir / "r.md").iterdir()) == []


# ---------------------------------------------------------------------------- a real evaluation


@pytest.fixture(scope="module")
def evaluated() -> tuple[list[CheckResult], Any]:
    rng = np.random.default_rng(7)
    n = 300
    y = rng.integers(0, 2, n)
    score = np.clip(0.35 * y + 0.65 * rng.random(n), 0, 1)
    sex = np.where(rng.random(n) < 0.5, "F", "M")
    ev = evaluate(y, (score >= 0.5).astype(int), score, sensitive=pd.DataFrame({"sex": sex}))
    results = [
        *ev.check(metric="recall", min=0.6, slices=["sex"]),
        *ev.check(metric="accuracy", min=0.99),
        *ev.check(metric="precision", min=0.5, evidence="point"),
    ]
    return results, decide(results)


def test_real_evaluation_round_trips_through_the_json_report(
    evaluated: tuple[list[CheckResult], Any], tmp_path: Path
) -> None:
    results, decision = evaluated
    assert len(results) == 4
    [path] = write_reports(results, decision, json=tmp_path / "r.json", task="binary")
    report = json.loads(path.read_text(encoding="utf-8"))
    assert report["decision"] == decision.outcome == "block"  # accuracy >= 0.99 fails
    assert report["summary"] == decision.summary
    assert [CheckResult.from_dict(g) for g in report["gates"]] == results


def test_real_evaluation_reports_name_every_gate(
    evaluated: tuple[list[CheckResult], Any], tmp_path: Path
) -> None:
    results, decision = evaluated
    _, h, m = write_reports(
        results,
        decision,
        json=tmp_path / "r.json",
        html=tmp_path / "r.html",
        markdown=tmp_path / "r.md",
    )
    page = h.read_text(encoding="utf-8")
    summary = m.read_text(encoding="utf-8")
    for r in results:
        assert f"<code>{md_text(r.label)}</code>" in summary
        assert f"{r.estimate:.4f}" in page and f"{r.estimate:.4f}" in summary
    assert "<b>recall&gt;=0.6</b> (2 slices)" in page
    assert page.count("<svg") == 1  # one sliced gate, one forest plot
    table = format_table(results)
    assert table[1].startswith("recall>=0.6 (2 slices)")
    assert sum("◀ worst" in line for line in table) == 1


def test_a_rounded_negative_zero_reads_the_same_in_every_report(workdir: Path) -> None:
    results = [result(estimate=-0.00004, interval=Interval(-0.00004, 0.00002, 0.95, "normal"))]
    assert format_table(results)[1].split()[1:4] == ["0.0000", "[0.0000,", "0.0000]"]
    h, m = write_reports(results, decide(results), html="r.html", markdown="r.md")
    assert "-0.0000" not in m.read_text(encoding="utf-8")
    assert "-0.0000" not in h.read_text(encoding="utf-8")


def test_a_report_path_on_an_input_or_another_report_is_refused(tmp_path: Path) -> None:
    spec_file = tmp_path / "gates.yaml"
    spec_file.write_text("version: 1\n", encoding="utf-8")
    decision = decide([result()])
    with pytest.raises(OSError, match=r"json=\) .*gates.yaml is the gate spec"):
        write_reports([result()], decision, spec=SimpleNamespace(path=spec_file), json=spec_file)
    assert spec_file.read_text(encoding="utf-8") == "version: 1\n"
    same = tmp_path / "r.out"
    with pytest.raises(OSError, match=r"html=\) .*r.out is the json report"):
        write_reports([result()], decision, json=same, html=same)
    assert not same.exists()  # refused before anything was written
