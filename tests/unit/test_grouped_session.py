"""``data.engine`` other than memory: the session groups the rows with
``pytest_modelgate.inputs.engines.group_counts`` (monkeypatched here with the pandas stand-in of
``tests/grouping.py``) and every metric, slice, fairness and compare gate gives the results of
``data.engine: memory`` on the same file; gates that need rows are clear ERRORs."""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from pytest_modelgate.results import Verdict
from pytest_modelgate.runner.session import run_gates
from pytest_modelgate.spec import parse_spec
from tests.grouping import group_counts

SPEC = """\
version: 1
task: binary
data:
  test: test.csv
  target: y
  positive_label: "yes"
  sensitive: [sex]
  engine: {engine}
  score_bins: {bins}
models:
  candidate: {{predictions: pred_c, scores: score_c}}
  baseline: {{predictions: pred_b, scores: score_b}}
  threshold: {threshold}
stats:
  resamples: 300
gates:
  - metric: accuracy
    min: 0.6
  - metric: f1
    min: 0.5
    slices: [sex, [sex, band]]
  - metric: roc_auc
    min: 0.7
    slices: [{{column: age, quantiles: 4}}, {{column: age, bins: [18, 40, 65, 90]}}]
  - metric: recall
    min: 0.5
    evidence: lenient
    slices: [band]
  - metric: average_precision
    min: 0.5
  - metric: accuracy
    compare: baseline
    max_drop: 0.02
  - metric: roc_auc
    compare: baseline
    max_drop: 0.02
    slices: [sex]
  - metric: f1
    compare: constant
    min_gain: 0.0
  - fairness: equalized_odds_difference
    sensitive: sex
    max: 0.2
  - fairness: metric_difference
    metric: roc_auc
    sensitive: [sex, band]
    max: 0.2
  - metric: brier_score
    max: 0.25
  - check: missing_values
    max_fraction: 0.1
"""


def _write_data(folder: Path, n: int = 3000, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    y = rng.random(n) < 0.4
    score_c = np.clip(np.round((0.3 + 0.35 * y + rng.normal(0, 0.22, n)) * 64) / 64, 0, 1)
    score_b = np.clip(np.round((0.33 + 0.3 * y + rng.normal(0, 0.24, n)) * 64) / 64, 0, 1)
    sex = rng.choice(["F", "M"], size=n).astype(object)
    sex[rng.random(n) < 0.02] = None
    frame = pd.DataFrame(
        {
            "y": np.where(y, "yes", "no"),
            "pred_c": np.where(score_c >= 0.5, "yes", "no"),
            "score_c": score_c,
            "pred_b": np.where(score_b >= 0.5, "yes", "no"),
            "score_b": score_b,
            "sex": sex,
            "band": rng.choice(["a", "b", "c"], size=n),
            "age": rng.integers(18, 90, size=n),
        }
    )
    frame.to_csv(folder / "test.csv", index=False)


class _FakeEngines:
    """Records each call and answers with the pandas stand-in."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def group_counts(
        self, source, keys, scores, *, engine, thresholds=None, batch_rows=1_000_000, progress=None
    ):
        self.calls.append(
            {
                "source": source,
                "keys": list(keys),
                "scores": dict(scores),
                "engine": engine,
                "thresholds": dict(thresholds or {}),
            }
        )
        return group_counts(source, keys, scores, engine=engine, thresholds=thresholds)


@pytest.fixture
def fake_engines(monkeypatch):
    fake = _FakeEngines()
    module = types.ModuleType("pytest_modelgate.inputs.engines")
    module.group_counts = fake.group_counts  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pytest_modelgate.inputs.engines", module)
    import pytest_modelgate.inputs

    monkeypatch.setattr(pytest_modelgate.inputs, "engines", module, raising=False)
    return fake


def _run(folder: Path, engine: str, bins: str = "1024", threshold: str = "null"):
    text = SPEC.format(engine=engine, bins=bins, threshold=threshold)
    return run_gates(parse_spec(text, root=folder))


def _key(r):
    return (r.id, tuple(sorted((r.slice or {}).items())))


def _same_results(memory, grouped, skip: set[str]) -> None:
    by_id = {_key(r): r for r in grouped}
    assert [_key(r) for r in memory] == [_key(r) for r in grouped]
    for a in memory:
        if a.id.startswith(tuple(skip)):
            continue
        b = by_id[_key(a)]
        assert (a.verdict, a.n, a.interval.method if a.interval else None) == (
            b.verdict,
            b.n,
            b.interval.method if b.interval else None,
        ), a.id
        for x, y in (
            (a.estimate, b.estimate),
            (a.p_value, b.p_value),
            (a.p_adjusted, b.p_adjusted),
        ):
            assert (x is None and y is None) or x == pytest.approx(y, abs=1e-12, nan_ok=True), a.id
        if a.interval:
            for end in ("low", "high"):
                assert getattr(a.interval, end) == pytest.approx(
                    getattr(b.interval, end), abs=1e-12, nan_ok=True
                )


@pytest.mark.parametrize("threshold", ["null", "0.45"])
def test_grouped_session_equals_memory_session(tmp_path, fake_engines, threshold):
    _write_data(tmp_path)
    memory = _run(tmp_path, "memory", threshold=threshold)
    grouped = _run(tmp_path, "stream", threshold=threshold)
    # the one GROUP BY: target, predictions, sensitive and slice columns; scores binned
    (call,) = fake_engines.calls
    assert call["engine"] == "stream"
    assert call["source"] == str(tmp_path / "test.csv")
    assert call["keys"] == ["y", "pred_c", "pred_b", "sex", "band", "age"]
    assert call["scores"] == {"score_c": 1024, "score_b": 1024}
    if threshold == "null":
        assert call["thresholds"] == {}
    else:
        assert call["thresholds"] == {
            "__predicted_candidate__": ("score_c", 0.45),
            "__predicted_baseline__": ("score_b", 0.45),
        }
    # the 1/64 score grid falls in distinct bins of 1024: every gate but brier equals memory
    _same_results(memory, grouped, skip={"brier_score", "missing_values"})
    assert any(r.verdict is Verdict.PASS for r in grouped)
    assert len([r for r in grouped if r.slice]) >= 10
    brier = next(r for r in grouped if r.id.startswith("brier_score"))
    assert brier.verdict is Verdict.ERROR
    assert "brier_score is not available on grouped data with binned scores" in brier.message
    assert "data.score_bins: 1024" in brier.message
    check = next(r for r in grouped if r.id.startswith("missing_values"))
    assert check.verdict is Verdict.ERROR
    assert (
        "gates.yaml:50: gates[11].check: check: missing_values is not available on grouped data "
        "(data.engine: stream) because it needs the individual rows" in check.message
    )


def test_exact_scores_make_probability_losses_available(tmp_path, fake_engines):
    _write_data(tmp_path)
    memory = _run(tmp_path, "memory", bins="null")
    grouped = _run(tmp_path, "duckdb", bins="null")
    assert fake_engines.calls[0]["scores"] == {"score_c": None, "score_b": None}
    _same_results(memory, grouped, skip={"missing_values"})
    brier = next(r for r in grouped if r.id.startswith("brier_score"))
    assert brier.verdict is not Verdict.ERROR


def test_coarse_bins_approximate_auc_and_say_so(tmp_path, fake_engines):
    _write_data(tmp_path)
    memory = {_key(r): r for r in _run(tmp_path, "memory")}
    grouped = _run(tmp_path, "spark", bins="16")
    auc = next(
        r for r in grouped if r.id.startswith("roc_auc>=") and r.verdict is not Verdict.ERROR
    )
    exact = memory[_key(auc)]
    assert auc.estimate != exact.estimate  # 16 bins merge distinct scores into ties
    assert abs(auc.estimate - exact.estimate) < 0.05
    assert any("16 equal-width bins" in note for note in (*auc.notes, auc.details or ""))


def test_stored_baseline_and_row_masks_are_refused_on_grouped_data(tmp_path, fake_engines):
    from pytest_modelgate.api import evaluation_from_evidence
    from pytest_modelgate.checks.engine import GateDefaults
    from pytest_modelgate.errors import ModelError, ModelgateError
    from pytest_modelgate.runner.session import GateSession

    _write_data(tmp_path)
    session = GateSession(
        parse_spec(SPEC.format(engine="stream", bins=64, threshold=0.5), root=tmp_path)
    )
    with pytest.raises(ModelError, match=r"storing the baseline .* not available on grouped data"):
        session.store_baseline([])
    ev = session.loaded.candidate
    assert ev.is_weighted and ev.n == 3000
    evaluation = evaluation_from_evidence(
        ev, None, session.loaded.data.frame, defaults=GateDefaults()
    )
    assert evaluation.metric("accuracy", slice={"sex": "F"}).n < 3000
    with pytest.raises(ModelgateError, match="boolean row mask needs the individual rows"):
        evaluation.metric("accuracy", slice=np.ones(ev.n_stored, dtype=bool))


@pytest.mark.parametrize("engine", ["stream", "duckdb"])
def test_real_engines_equal_the_memory_session(tmp_path, engine):
    """End to end with the real ``pytest_modelgate.inputs.engines`` on a folder of Parquet files."""
    pytest.importorskip("pyarrow")
    if engine == "duckdb":
        pytest.importorskip("duckdb")
    _write_data(tmp_path)
    frame = pd.read_csv(tmp_path / "test.csv")
    (tmp_path / "scored").mkdir()
    for i, part in enumerate(np.array_split(np.arange(len(frame)), 3)):
        frame.iloc[part].to_parquet(tmp_path / "scored" / f"part-{i}.parquet", index=False)
    text = SPEC.format(engine="ENGINE", bins="1024", threshold="null").replace(
        "test: test.csv", "test: scored"
    )
    memory = run_gates(parse_spec(text.replace("ENGINE", "memory"), root=tmp_path))
    grouped = run_gates(parse_spec(text.replace("ENGINE", engine), root=tmp_path))
    _same_results(memory, grouped, skip={"brier_score", "missing_values"})
    assert sum(r.verdict is Verdict.PASS for r in grouped) >= 10


def test_spark_reads_a_table_name_as_is(tmp_path, fake_engines):
    """``data.test`` that is not a local path goes to Spark untouched (a catalog table or a
    URI); the lineage records the table, which has no file to hash."""
    from pytest_modelgate.runner.session import GateSession

    _write_data(tmp_path)
    text = SPEC.format(engine="spark", bins="1024", threshold="null").replace(
        "test: test.csv", "test: scored.predictions_2026_11"
    )
    calls: list[str] = []

    def recording(source, *args, **kwargs):
        calls.append(source)
        return group_counts(pd.read_csv(tmp_path / "test.csv"), *args, **kwargs)

    sys.modules["pytest_modelgate.inputs.engines"].group_counts = recording  # type: ignore[attr-defined]
    session = GateSession(parse_spec(text, root=tmp_path))
    results = [r for g in session.spec.gates for r in session.run(g)]
    assert calls == ["scored.predictions_2026_11"]
    assert results[0].verdict is Verdict.PASS
    assert session.lineage()["data"]["test"] == {
        "table": "scored.predictions_2026_11",
        "sha256": None,
    }


def test_default_bins_are_coarser_when_two_models_scores_are_grouped(tmp_path, fake_engines):
    """Paired scores need their joint histogram (cells grow as bins²): 256 bins each by
    default; one model's scores keep 1024; an explicit data.score_bins always wins."""
    _write_data(tmp_path)
    paired = SPEC.format(engine="stream", bins="1024", threshold="null").replace(
        "  score_bins: 1024\n", ""
    )
    run_gates(parse_spec(paired, root=tmp_path))
    assert fake_engines.calls[-1]["scores"] == {"score_c": 256, "score_b": 256}
    single = paired.replace("  baseline: {predictions: pred_b, scores: score_b}\n", "")
    single = single[: single.index("  - metric: accuracy\n    compare")]
    run_gates(parse_spec(single, root=tmp_path))
    assert fake_engines.calls[-1]["scores"] == {"score_c": 1024}
    run_gates(parse_spec(SPEC.format(engine="stream", bins="512", threshold="null"), root=tmp_path))
    assert fake_engines.calls[-1]["scores"] == {"score_c": 512, "score_b": 512}


def test_an_outlier_that_collapses_the_score_bins_is_an_error_not_a_verdict(tmp_path, fake_engines):
    """Equal-width bins over [min, max]: one score of 1e5 puts every other row in bin 0, where
    every pair is a tie. The ranking gates ERROR with what happened instead of a confident
    AUC of 0.5; exact scores (score_bins: null) gate normally."""
    rng = np.random.default_rng(4)
    n = 4000
    y = rng.random(n) < 0.4
    score = rng.normal(size=n) + 1.5 * y
    score[0] = 1e5
    pd.DataFrame({"y": y.astype(int), "s": score, "p": (score > 0.7).astype(int)}).to_csv(
        tmp_path / "test.csv", index=False
    )
    text = (
        "version: 1\ndata: {test: test.csv, target: y, engine: stream}\n"
        "models:\n  candidate: {predictions: p, scores: s}\n"
        "gates:\n  - {metric: roc_auc, min: 0.75}\n  - {metric: accuracy, min: 0.6}\n"
    )
    auc, acc = run_gates(parse_spec(text, root=tmp_path))
    assert auc.verdict is Verdict.ERROR
    assert "roc_auc is not reliable on these binned scores: 100.0% of positive–negative" in (
        auc.message
    )
    assert "an outlier stretches the bins" in auc.message
    assert acc.verdict is Verdict.PASS  # count metrics do not depend on the bins
    exact = text.replace("engine: stream}", "engine: stream, score_bins: null}")
    auc, _ = run_gates(parse_spec(exact, root=tmp_path))
    assert auc.verdict is Verdict.PASS


def test_a_metric_for_another_task_errors_its_own_gate_and_the_pass_runs_once(
    tmp_path, fake_engines
):
    rng = np.random.default_rng(5)
    n = 600
    y = rng.integers(0, 3, n)
    pred = np.where(rng.random(n) < 0.6, y, rng.integers(0, 3, n))
    pd.DataFrame({"y": y, "p": pred}).to_csv(tmp_path / "test.csv", index=False)
    text = (
        "version: 1\ndata: {test: test.csv, target: y, engine: stream}\n"
        "models:\n  candidate: {predictions: p}\n"
        "gates:\n  - {metric: recall, min: 0.3}\n  - {metric: accuracy, min: 0.3}\n"
    )
    recall, accuracy = run_gates(parse_spec(text, root=tmp_path))
    assert recall.verdict is Verdict.ERROR
    assert "gates.yaml:6: gates[0].metric: metric 'recall' does not apply to a multiclass" in (
        recall.message
    )
    assert accuracy.verdict is Verdict.PASS
    assert len(fake_engines.calls) == 1


@pytest.mark.parametrize("engine", ["memory", "duckdb"])
def test_a_pair_of_id_columns_is_refused_by_the_cap_on_every_engine(tmp_path, engine):
    """Issue #15: ``slices: [[id1, id2]]`` of 20k values each exhausted memory (the product of
    labels was built before the cap) — on the memory engine and on DuckDB's grouped cells."""
    pytest.importorskip("pyarrow")
    if engine == "duckdb":
        pytest.importorskip("duckdb")
    n = 20_000
    ids = np.arange(n)
    pd.DataFrame(
        {
            "y": np.where(ids % 3 == 0, "yes", "no"),
            "pred_c": np.where(ids % 2 == 0, "yes", "no"),
            "id1": ids.astype(str),
            "id2": (ids * 7).astype(str),
        }
    ).to_parquet(tmp_path / "test.parquet", index=False)
    text = (
        "version: 1\ntask: binary\ndata:\n  test: test.parquet\n  target: y\n"
        f'  positive_label: "yes"\n  engine: {engine}\n'
        "models:\n  candidate: {predictions: pred_c}\n"
        "gates:\n  - metric: accuracy\n    min: 0.1\n    slices: [[id1, id2]]\n"
    )
    (result,) = run_gates(parse_spec(text, root=tmp_path))
    assert result.verdict is Verdict.ERROR
    assert "slicing by id1 × id2 makes 20000 slices (cap: stats.max_slices = 50)" in result.message
