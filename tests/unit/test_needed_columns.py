"""Read only what the spec needs (#16): with prediction columns and checks that name their
columns, the memory engine reads the target, prediction, slice, fairness and named columns only,
and every gate's result is the one of reading every column; anything that may look at every
column (a model, a schema check, a check without ``columns:``) reads them all."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import pytest_modelgate.inputs.loading as loading
from pytest_modelgate.runner.session import GateSession, run_gates
from pytest_modelgate.spec import load_spec as parse_spec

SPEC = """\
version: 1
task: binary
data:
  test: test.{suffix}
  reference: reference.{suffix}
  target: y
  sensitive: [sex]
  exclude: [row_id]
models:
  candidate: {{predictions: pred_c, scores: score_c}}
  baseline: {{predictions: pred_b, scores: score_b}}
stats: {{resamples: 100, seed: 3}}
gates:
  - {{metric: roc_auc, min: 0.6}}
  - {{metric: average_precision, min: 0.4}}
  - {{metric: recall, min: 0.4, slices: [group], name: recall_by_group}}
  - {{metric: accuracy, min: 0.5, slices: [{{column: age, bins: [18, 40, 90]}}], name: acc_age}}
  - {{metric: roc_auc, compare: baseline, max_drop: 0.05}}
  - {{fairness: demographic_parity_difference, sensitive: sex, max: 0.3}}
  - {{check: drift, columns: [f0], method: psi, max: 0.2}}
  - {{check: missing_values, columns: [f0, age], max_fraction: 0.1}}
  - {{check: label_drift, method: psi, max: 0.2}}
{extra}"""


def _frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.4).astype(int)
    sc = 1 / (1 + np.exp(-(y + rng.normal(size=n))))
    sb = 1 / (1 + np.exp(-(0.7 * y + rng.normal(size=n))))
    frame = pd.DataFrame(
        {
            "row_id": np.arange(n),
            "y": y,
            "score_c": sc,
            "pred_c": (sc >= 0.5).astype(int),
            "score_b": sb,
            "pred_b": (sb >= 0.5).astype(int),
            "sex": rng.choice(["F", "M"], n),
            "group": rng.choice(["a", "b", "c"], n),
            "age": rng.integers(18, 90, n),
        }
    )
    for j in range(4):
        frame[f"f{j}"] = rng.normal(size=n)
    return frame


def _project(tmp_path: Path, suffix: str, extra: str = "") -> Path:
    for name, seed in (("test", 0), ("reference", 1)):
        frame = _frame(400, seed)
        if suffix == "parquet":
            frame.to_parquet(tmp_path / f"{name}.parquet", index=False)
        else:
            frame.to_csv(tmp_path / f"{name}.csv", index=False)
    path = tmp_path / "gates.yaml"
    path.write_text(SPEC.format(suffix=suffix, extra=extra))
    return path


@pytest.mark.parametrize("suffix", ["parquet", "csv"])
def test_only_the_needed_columns_are_read_and_results_are_unchanged(tmp_path, monkeypatch, suffix):
    path = _project(tmp_path, suffix)
    spec = parse_spec(path)
    session = GateSession(spec)
    assert list(session.loaded.data.frame.columns) == [
        "row_id", "y", "score_c", "pred_c", "score_b", "pred_b", "sex", "group", "age", "f0"
    ]  # fmt: skip
    assert list(session.full_frame.columns) == list(_frame(3, 0).columns)  # the fixture's data
    if suffix == "csv":
        return  # the same frame as from Parquet: the gates' equality is shown once, below
    narrow = [r.to_dict() for r in run_gates(spec).results]
    monkeypatch.setattr(loading, "needed_columns", lambda spec: None)
    full = [r.to_dict() for r in run_gates(parse_spec(path)).results]
    assert narrow == full and len(narrow) >= 9


@pytest.mark.parametrize(
    "extra",
    [
        "  - {check: schema}\n",
        "  - {check: missing_values, max_fraction: 0.1, name: all_missing}\n",  # every column
        "  - {check: range, max_fraction: 0.1}\n",
    ],
)
def test_a_check_that_may_look_at_every_column_reads_them_all(tmp_path, extra):
    spec = parse_spec(_project(tmp_path, "parquet", extra))
    assert loading.needed_columns(spec) is None
    assert len(GateSession(spec).loaded.data.frame.columns) == 13


def test_a_model_reads_every_column(tmp_path):
    path = _project(tmp_path, "parquet")
    text = path.read_text().replace(
        "candidate: {predictions: pred_c, scores: score_c}", "candidate: model.joblib"
    )
    path.write_text(text)
    assert loading.needed_columns(parse_spec(path)) is None


def test_a_missing_named_column_reads_all_so_the_message_lists_them(tmp_path):
    path = _project(tmp_path, "parquet")
    path.write_text(path.read_text().replace("sensitive: [sex]", "sensitive: [sexx]"))
    spec = parse_spec(path)
    with pytest.raises(Exception, match="did you mean.*sex.*columns: row_id, y, score_c"):
        GateSession(spec).loaded
