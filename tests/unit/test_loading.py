"""Loading data and models, and turning predictions into evidence; clear errors for bad input."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.svm import LinearSVC

from pytest_modelgate.errors import DataError, ModelError, SpecError
from pytest_modelgate.results import Verdict
from pytest_modelgate.runner.session import GateSession, run_gates
from pytest_modelgate.spec.load import load_spec


def write_spec(root: Path, body: str) -> Path:
    path = root / "gates.yaml"
    path.write_text(textwrap.dedent(body))
    return path


def binary_frame(n: int = 400, seed: int = 0, labels=(0, 1)) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2))
    y = (x[:, 0] + rng.normal(size=n) > 0).astype(int)
    frame = pd.DataFrame(x, columns=["a", "b"])
    frame["y"] = np.asarray(labels, dtype=object)[y] if not isinstance(labels[0], int) else y
    return frame


SPEC = """\
version: 1
data:
  test: {data}
  target: y
models:
  candidate: {model}
stats:
  resamples: 300
gates:
  - metric: accuracy
    min: 0.5
  - metric: roc_auc
    min: 0.5
"""


@pytest.mark.parametrize("fmt", ["csv", "csv.gz", "parquet", "folder"])
def test_data_formats(tmp_path: Path, fmt: str):
    pytest.importorskip("pyarrow")
    frame = binary_frame()
    model = LogisticRegression().fit(frame[["a", "b"]], frame["y"])
    joblib.dump(model, tmp_path / "m.joblib")
    if fmt == "folder":
        (tmp_path / "parts").mkdir()
        frame.iloc[:150].to_parquet(tmp_path / "parts" / "0.parquet")
        frame.iloc[150:].to_parquet(tmp_path / "parts" / "1.parquet")
        data = "parts"
    else:
        data = f"test.{fmt}"
        if fmt == "parquet":
            frame.to_parquet(tmp_path / data)
        else:
            frame.to_csv(tmp_path / data, index=False)
    results = run_gates(write_spec(tmp_path, SPEC.format(data=data, model="m.joblib")))
    assert [r.verdict for r in results] == [Verdict.PASS, Verdict.PASS]
    expected = skm.accuracy_score(frame["y"], model.predict(frame[["a", "b"]]))
    assert results[0].estimate == pytest.approx(expected, abs=1e-12)
    assert results[0].n == 400


def test_import_reference_and_factory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    frame = binary_frame()
    frame.to_csv(tmp_path / "test.csv", index=False)
    (tmp_path / "mymodels.py").write_text(
        textwrap.dedent("""
        import pandas as pd
        from sklearn.linear_model import LogisticRegression
        def build():
            f = pd.read_csv(__file__.replace("mymodels.py", "test.csv"))
            return LogisticRegression().fit(f[["a", "b"]], f["y"])
        MODEL = build()
    """)
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    for ref in ("mymodels:MODEL", "mymodels:build"):
        results = run_gates(write_spec(tmp_path, SPEC.format(data="test.csv", model=f'"{ref}"')))
        assert all(r.verdict is Verdict.PASS for r in results), results
    results = run_gates(write_spec(tmp_path, SPEC.format(data="test.csv", model='"nomod:X"')))
    assert results[0].verdict is Verdict.ERROR
    assert "cannot import 'nomod:X'" in results[0].message


def test_skops_model(tmp_path: Path):
    sio = pytest.importorskip("skops.io")
    frame = binary_frame()
    frame.to_csv(tmp_path / "test.csv", index=False)
    sio.dump(LogisticRegression().fit(frame[["a", "b"]], frame["y"]), tmp_path / "m.skops")
    results = run_gates(write_spec(tmp_path, SPEC.format(data="test.csv", model="m.skops")))
    assert all(r.verdict is Verdict.PASS for r in results)


def test_skops_refuses_unlisted_types_and_loads_listed_ones(tmp_path: Path):
    """Types outside skops' safe defaults are refused with the YAML to paste; once listed in
    models.trusted_types (after inspection), the model loads and is gated."""
    sio = pytest.importorskip("skops.io")
    from sklearn.ensemble import HistGradientBoostingClassifier

    frame = binary_frame()
    frame.to_csv(tmp_path / "test.csv", index=False)
    model = HistGradientBoostingClassifier(max_iter=20).fit(frame[["a", "b"]], frame["y"])
    sio.dump(model, tmp_path / "m.skops")
    untrusted = sio.get_untrusted_types(file=tmp_path / "m.skops")
    assert untrusted  # the tree predictor is not in skops' default list
    spec = SPEC.format(data="test.csv", model="m.skops")
    result = run_gates(write_spec(tmp_path, spec))[0]
    assert result.verdict is Verdict.ERROR
    assert "gates.yaml:" in result.message and "models.candidate" in result.message
    assert f"trusted_types:\n    - {untrusted[0]}" in result.message
    trusted = spec.replace(
        "  candidate: m.skops\n",
        "  candidate: m.skops\n  trusted_types:\n" + "".join(f"    - {t}\n" for t in untrusted),
    )
    assert trusted != spec
    results = run_gates(write_spec(tmp_path, trusted))
    assert all(r.verdict is Verdict.PASS for r in results), results
    # a pattern is not a type: "sklearn." does not trust every sklearn type
    loose = spec.replace(
        "  candidate: m.skops\n", "  candidate: m.skops\n  trusted_types: [sklearn.]\n"
    )
    assert run_gates(write_spec(tmp_path, loose))[0].verdict is Verdict.ERROR


def test_decision_function_model_and_probability_metrics(tmp_path: Path):
    frame = binary_frame(labels=("no", "yes"))
    frame.to_csv(tmp_path / "test.csv", index=False)
    model = LinearSVC().fit(frame[["a", "b"]], frame["y"])
    joblib.dump(model, tmp_path / "m.joblib")
    spec = (
        SPEC.format(data="test.csv", model="m.joblib").replace(
            "  target: y\n", '  target: y\n  positive_label: "yes"\n'
        )
        + "  - metric: log_loss\n    max: 1.0\n"
    )
    results = run_gates(write_spec(tmp_path, spec))
    assert results[1].verdict is Verdict.PASS
    assert results[1].estimate == pytest.approx(
        skm.roc_auc_score(frame["y"] == "yes", model.decision_function(frame[["a", "b"]])),
        abs=1e-12,
    )
    assert results[2].verdict is Verdict.ERROR
    assert "needs probabilities, but the model only has decision_function()" in results[2].message


def test_positive_label_must_be_known(tmp_path: Path):
    frame = binary_frame(labels=("low", "high"))
    frame.to_csv(tmp_path / "test.csv", index=False)
    joblib.dump(LogisticRegression().fit(frame[["a", "b"]], frame["y"]), tmp_path / "m.joblib")
    results = run_gates(write_spec(tmp_path, SPEC.format(data="test.csv", model="m.joblib")))
    assert results[0].verdict is Verdict.ERROR
    assert (
        "cannot tell which label is positive (observed: 'high', 'low'" in results[0].message
        or "cannot tell which label is positive (observed: 'low', 'high'" in results[0].message
    )
    spec = SPEC.format(data="test.csv", model="m.joblib").replace(
        "  target: y\n", "  target: y\n  positive_label: medium\n"
    )
    results = run_gates(write_spec(tmp_path, spec))
    assert "data.positive_label 'medium' is not a value of the target" in results[0].message


def test_threshold_turns_scores_into_labels(tmp_path: Path):
    frame = binary_frame()
    model = LogisticRegression().fit(frame[["a", "b"]], frame["y"])
    frame.to_csv(tmp_path / "test.csv", index=False)
    joblib.dump(model, tmp_path / "m.joblib")
    spec = (
        SPEC.format(data="test.csv", model="m.joblib").replace(
            "  candidate: m.joblib\n", "  candidate: m.joblib\n  threshold: 0.8\n"
        )
        + "  - metric: selection_rate\n    max: 1\n"
    )
    results = run_gates(write_spec(tmp_path, spec))
    p = model.predict_proba(frame[["a", "b"]])[:, 1]
    assert results[2].estimate == pytest.approx(np.mean(p >= 0.8), abs=1e-12)


def test_missing_values_in_input_name_the_columns(tmp_path: Path):
    frame = binary_frame()
    model = LogisticRegression().fit(frame[["a", "b"]], frame["y"])
    frame.loc[3, "b"] = np.nan
    frame.to_csv(tmp_path / "test.csv", index=False)
    joblib.dump(model, tmp_path / "m.joblib")
    results = run_gates(write_spec(tmp_path, SPEC.format(data="test.csv", model="m.joblib")))
    msg = results[0].message
    assert results[0].verdict is Verdict.ERROR
    assert "predict() failed on 400 rows of" in msg and "Columns with missing values: 'b'" in msg


def test_missing_labels_are_reported_not_dropped(tmp_path: Path):
    frame = binary_frame().astype({"y": float})
    frame.loc[[5, 9], "y"] = np.nan
    frame.to_csv(tmp_path / "test.csv", index=False)
    spec = load_spec(write_spec(tmp_path, SPEC.format(data="test.csv", model="m.joblib")))
    with pytest.raises(
        DataError,
        match=r"target column 'y' has 2 missing value\(s\) "
        r"\(first rows: \[5, 9\]\)",
    ):
        GateSession(spec).loaded


def test_missing_data_file_and_bad_format(tmp_path: Path):
    spec = load_spec(write_spec(tmp_path, SPEC.format(data="nope.csv", model="m.joblib")))
    with pytest.raises(
        DataError, match=r"gates.yaml:3: data.test: data file .*nope.csv does not exist"
    ):
        GateSession(spec).loaded
    (tmp_path / "t.xlsx").write_text("x")
    spec = load_spec(write_spec(tmp_path, SPEC.format(data="t.xlsx", model="m.joblib")))
    with pytest.raises(DataError, match="unsupported data format"):
        GateSession(spec).loaded


def test_object_without_predict(tmp_path: Path):
    binary_frame().to_csv(tmp_path / "test.csv", index=False)
    joblib.dump({"not": "a model"}, tmp_path / "m.joblib")
    spec = load_spec(write_spec(tmp_path, SPEC.format(data="test.csv", model="m.joblib")))
    with pytest.raises(ModelError, match="is a dict, which has no predict"):
        GateSession(spec).loaded


def test_prediction_column_missing(tmp_path: Path):
    binary_frame().to_csv(tmp_path / "test.csv", index=False)
    spec = load_spec(
        write_spec(tmp_path, SPEC.format(data="test.csv", model="{predictions: pred}"))
    )
    with pytest.raises(DataError, match="names prediction column 'pred', which is not in the data"):
        GateSession(spec).loaded


def test_metric_for_the_wrong_task_is_a_spec_error(tmp_path: Path):
    binary_frame().to_csv(tmp_path / "test.csv", index=False)
    spec = load_spec(
        write_spec(
            tmp_path,
            SPEC.format(data="test.csv", model="m.joblib") + "  - metric: rmse\n    max: 1\n",
        )
    )
    session = GateSession(spec)
    rmse = session.run(spec.gates[2])[0]  # that gate's ERROR; the others are unaffected
    assert rmse.verdict is Verdict.ERROR
    assert "gates.yaml:14: gates[2].metric: metric 'rmse' does not apply to a binary task" in (
        rmse.message
    )
    with pytest.raises(SpecError, match=r"gates.yaml:14: gates\[2\].metric: metric 'rmse'"):
        session._check_metric_applies(spec.gates[2])


def test_multiclass_end_to_end(tmp_path: Path):
    rng = np.random.default_rng(4)
    x = rng.normal(size=(600, 2))
    y = np.select([x[:, 0] > 0.5, x[:, 1] > 0], ["cat", "dog"], "bird")
    frame = pd.DataFrame(x, columns=["a", "b"]).assign(y=y)
    model = LogisticRegression().fit(frame[["a", "b"]], frame["y"])
    frame.to_csv(tmp_path / "test.csv", index=False)
    joblib.dump(model, tmp_path / "m.joblib")
    spec = SPEC.format(data="test.csv", model="m.joblib").replace(
        "  - metric: roc_auc\n    min: 0.5\n",
        "  - metric: f1_macro\n    min: 0.5\n  - metric: log_loss\n    max: 2\n",
    )
    results = run_gates(write_spec(tmp_path, spec))
    pred, proba = model.predict(frame[["a", "b"]]), model.predict_proba(frame[["a", "b"]])
    assert [r.verdict for r in results] == [Verdict.PASS] * 3
    assert results[1].estimate == pytest.approx(skm.f1_score(y, pred, average="macro"), abs=1e-12)
    assert results[2].estimate == pytest.approx(
        skm.log_loss(y, proba, labels=model.classes_), abs=1e-12
    )


def test_regression_end_to_end(tmp_path: Path):
    rng = np.random.default_rng(5)
    x = rng.normal(size=(500, 2))
    frame = pd.DataFrame(x, columns=["a", "b"]).assign(y=3 * x[:, 0] + rng.normal(size=500))
    model = LinearRegression().fit(frame[["a", "b"]], frame["y"])
    frame.to_csv(tmp_path / "test.csv", index=False)
    joblib.dump(model, tmp_path / "m.joblib")
    spec = SPEC.format(data="test.csv", model="m.joblib").replace(
        "  - metric: accuracy\n    min: 0.5\n  - metric: roc_auc\n    min: 0.5\n",
        "  - metric: rmse\n    max: 1.2\n  - metric: r2\n    min: 0.8\n",
    )
    results = run_gates(write_spec(tmp_path, spec))
    pred = model.predict(frame[["a", "b"]])
    assert [r.verdict for r in results] == [Verdict.PASS, Verdict.PASS], results
    assert results[0].estimate == pytest.approx(np.sqrt(skm.mean_squared_error(frame["y"], pred)))
    assert results[1].estimate == pytest.approx(skm.r2_score(frame["y"], pred), abs=1e-12)


def test_plugin_import_is_light():
    code = (
        "import sys, pytest_modelgate.plugin; "
        "heavy = [m for m in ('numpy', 'pandas', 'scipy', 'sklearn', 'pydantic') "
        "if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_without_skops_the_hint_is_installable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """#15: the hint said pip install 'pytest-modelgate[skops]', but the package is not on the
    index: it names skops itself and the extra of a checkout."""
    frame = binary_frame()
    frame.to_csv(tmp_path / "test.csv", index=False)
    (tmp_path / "m.skops").write_bytes(b"not read")
    monkeypatch.setitem(sys.modules, "skops", None)
    monkeypatch.setitem(sys.modules, "skops.io", None)
    result = run_gates(write_spec(tmp_path, SPEC.format(data="test.csv", model="m.skops")))[0]
    assert "pip install 'skops>=0.9' (or, in a checkout of pytest-modelgate: pip install -e " in (
        result.message
    )
    assert "'.[skops]')" in result.message
