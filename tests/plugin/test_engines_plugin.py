"""``data.engine: stream`` through pytest: the gates run on a folder of Parquet files, and an
interactive terminal sees the engine's progress line (past pytest's output capture)."""

from __future__ import annotations

import json

import numpy as np
import pytest

SPEC = """\
version: 1
data:
  test: scored
  target: y
  sensitive: [segment]
  engine: stream
models:
  candidate: {predictions: pred, scores: score}
stats:
  resamples: 300
gates:
  - {metric: roc_auc, min: 0.7}
  - {metric: recall, min: 0.5, slices: [segment]}
  - {fairness: demographic_parity_difference, sensitive: segment, max: 0.2}
"""


@pytest.fixture
def scored(pytester: pytest.Pytester) -> pytest.Pytester:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    rng = np.random.default_rng(5)
    (pytester.path / "scored").mkdir()
    for i in range(3):
        n = 4000
        y = rng.integers(0, 2, n)
        score = np.clip(0.3 * y + rng.uniform(0, 0.7, n), 0, 1)
        # pyarrow directly: pandas' Parquet path registers extension types that pytester's
        # module snapshot would make it register twice
        table = pa.table(
            {
                "y": y,
                "segment": rng.choice(["a", "b"], n),
                "score": score,
                "pred": (score >= 0.5).astype(int),
            }
        )
        pq.write_table(table, pytester.path / "scored" / f"part-{i}.parquet")
    pytester.makefile(".yaml", gates=SPEC)
    return pytester


def test_stream_engine_gates_a_parquet_folder(scored: pytest.Pytester) -> None:
    result = scored.runpytest_subprocess("--modelgate")
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(["*DECISION: PROMOTE*"])
    report = json.loads((scored.path / ".modelgate" / "report.json").read_text())
    assert {g["verdict"] for g in report["gates"]} == {"PASS"}
    assert report["gates"][0]["n"] == 12000
    assert "modelgate stream" not in result.stderr.str()  # not a terminal: no progress line


def test_an_interactive_terminal_sees_the_progress_of_the_pass(scored: pytest.Pytester) -> None:
    result = scored.runpytest_subprocess("--modelgate", "--color=yes")
    assert result.ret == 0
    assert "modelgate stream cells: scored: 12,000 / 12,000 rows (100%)" in result.stderr.str()


def test_a_missing_engine_dependency_stops_the_run_before_any_gate(
    scored: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "duckdb", None)  # as if DuckDB were not installed
    scored.makefile(".yaml", gates=SPEC.replace("engine: stream", "engine: duckdb"))
    result = scored.runpytest("--modelgate")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "*gates.yaml:6: data.engine: engine: duckdb needs DuckDB, which is not installed. "
            "Install it with: pip install 'pytest-modelgate[[]duckdb[]]'; nothing was run"
        ]
    )
