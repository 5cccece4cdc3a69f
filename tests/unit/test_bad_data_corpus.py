"""A corpus of degenerate data, broken files and misbehaving models (issue #9).

Each case builds a small project in a temporary folder, runs every gate of a spec over it, and
states what each user must see: the verdict, and the part of the message that names what was
wrong (with the count of affected rows where rows are affected). Whatever the case, no message
may contain a traceback or an "internal error", and none may pass silently: a row that cannot be
used is reported, never dropped.
"""

from __future__ import annotations

import gzip
import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from pytest_modelgate.results import CheckResult, Verdict
from pytest_modelgate.runner.session import run_gates

MODELS_MODULE = '''
import numpy as np


class _Base:
    classes_ = np.array([0, 1])

    def predict_proba(self, X):
        p = 1 / (1 + np.exp(-X["a"].to_numpy(float)))
        return np.c_[1 - p, p]

    def predict(self, X):
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)


class OneShort(_Base):
    def predict(self, X):
        return super().predict(X)[:-1]


class Raises(_Base):
    def predict(self, X):
        raise ValueError("Input X contains NaN.")

    predict_proba = predict


class TwoColumnLabels(_Base):
    def predict(self, X):
        return np.c_[super().predict(X), super().predict(X)]


class TextScores(_Base):
    def predict(self, X):
        return np.zeros(len(X), dtype=int)

    def predict_proba(self, X):
        return np.full((len(X), 2), "high", dtype=object)


class InfScores(_Base):
    def predict_proba(self, X):
        p = super().predict_proba(X)
        p[:3] = np.inf
        return p


class ScalarOutput(_Base):
    def predict(self, X):
        return 1


class StringLabels(_Base):
    """Predicts the text "0"/"1" for an integer target: the same classes, spelled differently."""

    classes_ = np.array(["0", "1"])

    def predict(self, X):
        return np.where(X["a"].to_numpy(float) > 0, "1", "0")


class _Three(_Base):
    """A three-class model (target 0/1/2) whose probabilities are broken in each subclass."""

    classes_ = np.array([0, 1, 2])

    def predict(self, X):
        return np.zeros(len(X), dtype=int)


class NinetyEverywhere(_Three):
    """Issue #15: 0.9 for every class passed log_loss <= 0.3 (0.106) at accuracy 0.35."""

    def predict_proba(self, X):
        return np.full((len(X), 3), 0.9)


class NegativeProba(_Three):
    def predict_proba(self, X):
        p = np.full((len(X), 3), 1 / 3)
        p[4] = [1.2, -0.2, 0.0]
        return p


class ComplexProba(_Base):
    def predict_proba(self, X):
        return super().predict_proba(X) + 0.5j


one_short = OneShort()
ninety_everywhere = NinetyEverywhere()
negative_proba = NegativeProba()
complex_proba = ComplexProba()
raises = Raises()
two_column_labels = TwoColumnLabels()
text_scores = TextScores()
inf_scores = InfScores()
scalar_output = ScalarOutput()
string_labels = StringLabels()
'''

SPEC = """\
version: 1
data:
  test: {data}
  target: y
{data_extra}models:
  candidate: {model}
{models_extra}stats:
  resamples: 200
gates:
{gates}"""

ACC = "  - {metric: accuracy, min: 0.5}\n"
AUC = "  - {metric: roc_auc, min: 0.5}\n"


@pytest.fixture(scope="module")
def models_module(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("models_module")
    (folder / "degenerate_models.py").write_text(MODELS_MODULE)
    sys.path.insert(0, str(folder))
    yield "degenerate_models"
    sys.path.remove(str(folder))
    sys.modules.pop("degenerate_models", None)


def frame(n: int = 300, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    a = rng.normal(size=n)
    out = pd.DataFrame({"a": a, "b": rng.normal(size=n)})
    out["y"] = (a + rng.normal(size=n) > 0).astype(int)
    out["g"] = rng.choice(["u", "v"], size=n)
    out["pred"] = (a > 0).astype(int)
    out["score"] = 1 / (1 + np.exp(-a))
    return out


@dataclass
class Project:
    root: Path
    data: str = "test.csv"
    model: str = "{predictions: pred, scores: score}"
    gates: str = ACC + AUC
    data_extra: str = ""
    models_extra: str = ""

    def write(self, table: pd.DataFrame | None = None) -> Project:
        if table is not None:
            table.to_csv(self.root / self.data, index=False)
        return self

    def run(self) -> list[CheckResult]:
        spec = self.root / "gates.yaml"
        spec.write_text(
            SPEC.format(
                data=self.data,
                model=self.model,
                gates=self.gates,
                data_extra=self.data_extra,
                models_extra=self.models_extra,
            )
        )
        return run_gates(spec)


@dataclass(frozen=True)
class Case:
    """``build`` prepares the project; every result must have ``verdict`` (or the listed
    verdicts in order) and every message listed in ``says`` must appear in some result."""

    id: str
    build: Callable[[Project], Project]
    verdict: Verdict | tuple[Verdict, ...]
    says: tuple[str, ...]


def _set(table: pd.DataFrame, rows: slice, column: str, value: object) -> pd.DataFrame:
    table = table.copy()
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        table[column] = table[column].astype(object)
    table.loc[table.index[rows], column] = value
    return table


def _raw(text: str) -> Callable[[Project], Project]:
    def build(p: Project) -> Project:
        (p.root / p.data).write_text(text)
        return p

    return build


def _model(attr: str) -> Callable[[Project], Project]:
    def build(p: Project) -> Project:
        p.model = f'"degenerate_models:{attr}"'
        p.data_extra = "  features: [a, b]\n"
        return p.write(frame())

    return build


def _three_class_model(attr: str) -> Callable[[Project], Project]:
    def build(p: Project) -> Project:
        table = frame()
        table["y"] = np.arange(len(table)) % 3
        p.model = f'"degenerate_models:{attr}"'
        p.data_extra = "  features: [a, b]\n"
        p.gates = "  - {metric: log_loss, max: 0.3}\n  - {metric: accuracy, min: 0.3}\n"
        return p.write(table)

    return build


def _truncated_gzip(p: Project) -> Project:
    p.data = "test.csv.gz"
    data = gzip.compress(frame(2000).to_csv(index=False).encode())
    (p.root / p.data).write_bytes(data[: len(data) // 2])
    return p


def _corrupt_pickle(p: Project) -> Project:
    model = LogisticRegression().fit(frame()[["a", "b"]], frame()["y"])
    joblib.dump(model, p.root / "m.joblib")
    whole = (p.root / "m.joblib").read_bytes()
    (p.root / "m.joblib").write_bytes(whole[: len(whole) // 3])
    p.model = "m.joblib"
    p.data_extra = "  features: [a, b]\n"
    return p.write(frame())


def _duplicate_parquet_columns(p: Project) -> Project:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    t = frame()
    table = pa.table([t["y"], t["pred"], t["score"], t["a"]], names=["y", "pred", "score", "y"])
    p.data = "test.parquet"
    pq.write_table(table, p.root / p.data)
    return p


def _label_text_vs_int(p: Project) -> Project:
    """A target of integers 0/1 and a prediction column of the text "0"/"1" (as a logging system
    that writes strings would): matched as the same classes, nothing dropped."""
    pq = pytest.importorskip("pyarrow.parquet")
    import pyarrow as pa

    t = frame()
    t["pred"] = t["pred"].astype(str)
    p.data = "test.parquet"
    pq.write_table(pa.Table.from_pandas(t, preserve_index=False), p.root / p.data)
    return p


CASES: list[Case] = [
    Case(
        "empty-test-set",
        _raw("y,pred,score\n"),
        Verdict.ERROR,
        ("test.csv: the test data has no rows",),
    ),
    Case("zero-byte-file", _raw(""), Verdict.ERROR, ("test.csv: cannot read the file",)),
    Case(
        "binary-garbage",
        lambda p: (p.root / p.data).write_bytes(bytes(range(256)) * 8) and p,
        Verdict.ERROR,
        ("test.csv: cannot read the file",),
    ),
    Case(
        "truncated-gzip",
        _truncated_gzip,
        Verdict.ERROR,
        ("test.csv.gz: cannot read the file (EOFError",),
    ),
    Case(
        "data-file-is-a-folder",
        lambda p: (p.root / p.data).mkdir() or p,
        Verdict.ERROR,
        ("test.csv: folder holds no .parquet files",),
    ),
    Case(
        "missing-data-file",
        lambda p: (p.write(frame()) and setattr(p, "data", "tset.csv")) or p,
        Verdict.ERROR,
        ("gates.yaml:3: data.test: data file tset.csv does not exist; did you mean 'test.csv'?",),
    ),
    Case(
        "single-class",
        lambda p: p.write(frame().assign(y=1)),
        (Verdict.FAIL, Verdict.INCONCLUSIVE),
        ("only positive labels: roc_auc is undefined; n = 300",),
    ),
    Case(
        "all-equal-scores",
        lambda p: p.write(frame().assign(score=0.5)),
        # a constant scorer ranks nothing: AUC 0.5 does not clear a bar of 0.5 (the
        # DeLong–Newcombe hull keeps Newcombe's width where DeLong's variance is 0)
        (Verdict.PASS, Verdict.FAIL),
        ("roc_auc = 0.5000 meets >= 0.5, but its 95% CI",),
    ),
    Case(
        "nan-scores",
        lambda p: p.write(_set(frame(), slice(0, 7), "score", np.nan)),
        Verdict.ERROR,
        ("prediction column 'score' has 7 missing value(s)",),
    ),
    Case(
        "inf-scores",
        lambda p: p.write(_set(frame(), slice(0, 4), "score", np.inf)),
        Verdict.ERROR,
        ("produced 4 row(s) of non-finite scores (inf; first rows: [0, 1, 2, 3])",),
    ),
    Case(
        "nan-target",
        lambda p: p.write(_set(frame(), slice(0, 5), "y", np.nan)),
        Verdict.ERROR,
        ("target column 'y' has 5 missing value(s)",),
    ),
    Case(
        "label-outside-the-classes",
        lambda p: (
            setattr(p, "data_extra", "  positive_label: 1\n")
            or setattr(p, "gates", ACC)
            or p.write(_set(frame(), slice(0, 6), "pred", 7))
        ),
        Verdict.ERROR,
        ("predicted 6 label(s) that are neither 0 nor 1 (e.g. 7)",),
    ),
    Case(
        "target-with-a-third-value-makes-the-task-multiclass",
        lambda p: (
            setattr(p, "data_extra", "  positive_label: 1\n")
            or p.write(_set(frame(), slice(0, 3), "y", 2))
        ),
        Verdict.ERROR,
        (
            "gives one score per row, but the target has 3 classes (0, 1, 2)",
            "gates.yaml:12: gates[1].metric: metric 'roc_auc' does not apply to a multiclass task",
        ),
    ),
    Case(
        "blank-header-cells-are-not-duplicates",
        _raw(frame().to_csv(index=False).replace("a,b,y,g", ",,y,g", 1)),
        Verdict.PASS,
        ("accuracy = ",),
    ),
    Case("text-vs-integer-labels", _label_text_vs_int, Verdict.PASS, ("accuracy = 0.7",)),
    Case(
        "duplicated-csv-columns",
        _raw(frame().to_csv(index=False).replace("a,b,y,g", "a,y,y,g", 1)),
        Verdict.ERROR,
        ("column name(s) 'y' appear more than once in the header",),
    ),
    Case(
        "duplicated-parquet-columns",
        _duplicate_parquet_columns,
        Verdict.ERROR,
        ("column name(s) 'y' appear more than once",),
    ),
    Case(
        "slice-with-100000-values",
        lambda p: (
            setattr(p, "gates", "  - {metric: recall, min: 0.3, slices: [g]}\n")
            or p.write(frame(100_000).assign(g=lambda t: np.arange(len(t)).astype(str)))
        ),
        Verdict.ERROR,
        ("gates.yaml:10: gates[0].slices: slicing by g makes 100000 slices (cap: ",),
    ),
    Case(
        "one-row-slice",
        lambda p: (
            setattr(p, "gates", "  - {metric: accuracy, min: 0.5, slices: [g]}\n")
            or p.write(_set(frame(), slice(0, 1), "g", "w"))
        ),
        (Verdict.PASS, Verdict.PASS, Verdict.INCONCLUSIVE),
        ("only 1 rows (min_support = 30)",),
    ),
    Case(
        "missing-slice-values-are-a-slice",
        lambda p: (
            setattr(p, "gates", "  - {metric: accuracy, min: 0.5, slices: [g]}\n")
            or p.write(_set(frame(), slice(0, 9), "g", None))
        ),
        (Verdict.PASS, Verdict.PASS, Verdict.INCONCLUSIVE),
        ("only 9 rows (min_support = 30)",),
    ),
    Case(
        "slice-on-a-missing-column",
        lambda p: (
            setattr(p, "gates", "  - {metric: accuracy, min: 0.5, slices: [gg]}\n")
            or p.write(frame())
        ),
        Verdict.ERROR,
        ("gates.yaml:10: gates[0].slices: column(s) 'gg' not in the test data", "did you mean"),
    ),
    Case(
        "fairness-on-a-missing-column",
        lambda p: (
            setattr(
                p,
                "gates",
                "  - {fairness: demographic_parity_difference, sensitive: sx, max: 0.2}\n",
            )
            or p.write(frame())
        ),
        Verdict.ERROR,
        ("gates.yaml:10: gates[0]", "'sx'"),
    ),
    Case(
        "compare-without-any-baseline",
        lambda p: (
            setattr(p, "gates", "  - {metric: accuracy, compare: baseline, max_drop: 0.01}\n")
            or p.write(frame())
        ),
        Verdict.INCONCLUSIVE,
        ("no baseline",),
    ),
    Case(
        "model-predicts-one-row-short",
        _model("one_short"),
        Verdict.ERROR,
        ("degenerate_models:one_short.predict() returned 299 values for 300 rows",),
    ),
    Case(
        "model-predict-raises",
        _model("raises"),
        Verdict.ERROR,
        ("degenerate_models:raises.predict() failed on 300 rows", "ValueError: Input X"),
    ),
    Case(
        "model-returns-two-label-columns",
        _model("two_column_labels"),
        Verdict.ERROR,
        ("returned an array of shape (300, 2); expected (300,)",),
    ),
    Case(
        "model-returns-a-scalar",
        _model("scalar_output"),
        Verdict.ERROR,
        ("scalar_output.predict() returned a single value for 300 rows",),
    ),
    Case(
        "model-returns-text-scores",
        _model("text_scores"),
        Verdict.ERROR,
        ("predict_proba() returned non-numeric scores",),
    ),
    Case(
        "model-returns-inf-scores",
        _model("inf_scores"),
        Verdict.ERROR,
        ("produced 3 row(s) of non-finite scores",),
    ),
    Case(
        "model-predicts-text-labels-for-integer-target",
        lambda p: (_model("string_labels")(p) and setattr(p, "gates", ACC)) or p,
        Verdict.PASS,
        ("accuracy = ",),
    ),
    Case(
        "multiclass-probabilities-that-do-not-sum-to-one",
        _three_class_model("ninety_everywhere"),
        Verdict.ERROR,
        (
            "test.csv: degenerate_models:ninety_everywhere's class probabilities do not sum "
            "to 1 in 300 row(s) (tolerance 0.001; first rows: 0 (sum 2.7), 1 (sum 2.7), 2 (sum",
            "use predict_proba(), or normalise each row",
        ),
    ),
    Case(
        "negative-probabilities",
        _three_class_model("negative_proba"),
        Verdict.ERROR,
        ("gave negative probabilities in 1 row(s) (first rows: 4; smallest -0.2)",),
    ),
    Case(
        "complex-scores-are-not-truncated",
        _model("complex_proba"),
        Verdict.ERROR,
        ("degenerate_models:complex_proba returned complex-valued scores (e.g. 0.468609+0.5j)",),
    ),
    Case(
        "corrupt-pickle",
        _corrupt_pickle,
        Verdict.ERROR,
        ("models.candidate: cannot load m.joblib",),
    ),
    Case(
        "model-file-missing",
        lambda p: setattr(p, "model", "model.joblib") or p.write(frame()),
        Verdict.ERROR,
        ("gates.yaml:6: models.candidate: model file model.joblib does not exist",),
    ),
    Case(
        "model-path-is-a-folder",
        lambda p: (
            ((p.root / "model.joblib").mkdir() or setattr(p, "model", "model.joblib"))
            or p.write(frame())
        ),
        Verdict.ERROR,
        ("gates.yaml:6: models.candidate: model.joblib is a folder, not a model file",),
    ),
]


def test_corpus_is_large_and_ids_unique():
    assert len(CASES) >= 25
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_data_gives_a_clear_verdict(
    case: Case, tmp_path: Path, models_module: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # messages show paths relative to the working folder
    results = case.build(Project(tmp_path)).run()
    verdicts = tuple(r.verdict for r in results)
    expected = case.verdict if isinstance(case.verdict, tuple) else (case.verdict,) * len(results)
    messages = "\n".join(r.message for r in results)
    assert verdicts == expected, messages
    for text in case.says:
        assert text in messages, messages
    for r in results:
        assert "Traceback" not in r.message and "internal error" not in r.message, r.message
        if r.verdict is Verdict.ERROR:
            # an error names where: a file of the project or the spec's line
            assert re.search(
                r"(gates\.yaml:\d+|\.csv|\.parquet|\.joblib|models\.candidate)", r.message
            )


def _stored_baseline(tmp_path: Path) -> Project:
    p = Project(tmp_path, gates="  - {metric: accuracy, compare: baseline, max_drop: 0.05}\n")
    p.write(frame())
    from pytest_modelgate.runner.session import GateSession
    from pytest_modelgate.spec import load_spec

    p.run()
    session = GateSession(load_spec(tmp_path / "gates.yaml"))
    session.store_baseline(run_gates(tmp_path / "gates.yaml"))
    return p


def _edit_json(path: Path, edit: Callable[[dict], object]) -> None:
    meta = json.loads(path.read_text())
    edit(meta)
    path.write_text(json.dumps(meta, indent=2))


def _truncate_old_format_predictions(folder: Path) -> None:
    """A format-1 baseline (no checksums) whose predictions file was cut short."""
    _edit_json(
        folder / "baseline.json",
        lambda m: (m.pop("checksum"), m.pop("predictions_sha256"), m.update(format_version=1)),
    )
    whole = (folder / "predictions.csv.gz").read_bytes()
    (folder / "predictions.csv.gz").write_bytes(whole[:40])


BASELINE_EDITS: list[tuple[str, Callable[[Path], None], str]] = [
    (
        "number-nudged",
        lambda d: _edit_json(
            d / "baseline.json", lambda m: m["metrics"]["accuracy"].update(estimate=0.99)
        ),
        "baseline.json: the stored baseline was changed after it was written",
    ),
    (
        "checksums-deleted",
        lambda d: _edit_json(
            d / "baseline.json",
            lambda m: (
                m.pop("checksum"),
                m.pop("predictions_sha256"),
                m["metrics"]["accuracy"].update(estimate=0.99),
            ),
        ),
        "(its checksum and predictions_sha256 are missing)",
    ),
    (
        "not-json",
        lambda d: (d / "baseline.json").write_text("{ not json"),
        "baseline.json: cannot read the stored baseline",
    ),
    (
        "a-list",
        lambda d: (d / "baseline.json").write_text("[1, 2]"),
        "not a stored baseline this version can read: the top level is a list",
    ),
    (
        "metrics-not-numbers",
        lambda d: _edit_json(
            d / "baseline.json",
            lambda m: (m.pop("checksum"), m["metrics"]["accuracy"].update(estimate="high")),
        ),
        "metrics.accuracy must be an object with a numeric 'estimate'",
    ),
    (
        "predictions-replaced",
        lambda d: (d / "predictions.csv.gz").write_bytes(
            gzip.compress(b"prediction\n" + b"1\n" * 300)
        ),
        "predictions.csv.gz: the stored predictions were changed after",
    ),
    (
        "predictions-truncated-in-an-old-format-baseline",
        _truncate_old_format_predictions,
        "predictions.csv.gz: cannot read the stored predictions",
    ),
]


@pytest.mark.parametrize(
    ("edit", "says"), [b[1:] for b in BASELINE_EDITS], ids=[b[0] for b in BASELINE_EDITS]
)
def test_hand_edited_stored_baseline_is_an_error(
    edit: Callable[[Path], None], says: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    project = _stored_baseline(tmp_path)
    folder = tmp_path / ".modelgate" / "baseline"
    assert project.run()[0].verdict is Verdict.PASS  # untouched: paired and fine
    edit(folder)
    result = project.run()[0]
    assert result.verdict is Verdict.ERROR, result.message
    assert says in result.message, result.message
    assert "--modelgate-update-baseline" in result.message or "git checkout" in result.message


def test_an_internal_bug_is_an_error_verdict_not_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Outside our test suite an unexpected exception blocks the release with an ERROR that says
    it is a bug and keeps the traceback in the report's details."""
    from pytest_modelgate.checks import engine as engine_module

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MODELGATE_RAISE_INTERNAL_ERRORS", raising=False)

    def boom(gate, inputs):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(engine_module, "run_gate", boom)
    result = Project(tmp_path).write(frame()).run()[0]
    assert result.verdict is Verdict.ERROR
    assert result.message.startswith(
        "ERROR: internal error in pytest-modelgate while evaluating this gate "
        "(ZeroDivisionError: division by zero). This is a bug"
    )
    assert "Traceback" not in result.message and "Traceback" in result.details


# the Python API meets the same bad input without a spec or files
API_CASES: list[tuple[str, dict, str]] = [
    ("empty", {"y_true": [], "y_pred": []}, "y_true is empty: there are no rows to evaluate"),
    ("length", {"y_true": [0, 1, 1, 0], "y_pred": [0, 1, 1]}, "y_pred has 3 rows, y_true has 4"),
    (
        "nan-scores",
        {"y_true": [0, 1, 1, 0], "y_score": [0.1, np.nan, 0.8, 0.2]},
        "1 row(s) of non-finite scores (NaN; first rows: [1])",
    ),
    (
        "inf-scores",
        {"y_true": [0, 1, 1, 0], "y_score": [0.1, np.inf, 0.8, -np.inf]},
        "2 row(s) of non-finite scores (inf; first rows: [1, 3])",
    ),
    (
        "2d-labels",
        {"y_true": [0, 1, 1, 0], "y_pred": [[0, 1], [1, 0], [1, 1], [0, 0]]},
        "y_pred has shape (4, 2); give one label per row",
    ),
    (
        "nan-target",
        {"y_true": [0, np.nan, 1, 0], "y_pred": [0, 1, 1, 0]},
        "y_true has 1 missing value(s)",
    ),
    (
        "multiclass-probabilities-not-summing-to-one",
        {"y_true": [0, 1, 2, 2], "y_score": np.full((4, 3), 0.9), "classes": [0, 1, 2]},
        "class probabilities do not sum to 1 in 4 row(s) (tolerance 0.001; first rows: 0 (sum",
    ),
    (
        "complex-scores",
        {"y_true": [0, 1, 1, 0], "y_score": np.array([0.1, 0.9, 0.8, 0.2]) + 0.1j},
        "evaluate(): candidate returned complex-valued scores (e.g. 0.1+0.1j)",
    ),
    (
        "text-scores",
        {"y_true": [0, 1], "y_score": ["a", "b"]},
        "y_score must be numeric scores or probabilities (got values like 'a')",
    ),
]


@pytest.mark.parametrize(
    ("kwargs", "says"), [c[1:] for c in API_CASES], ids=[c[0] for c in API_CASES]
)
def test_api_bad_input_is_a_modelgate_error(kwargs: dict, says: str) -> None:
    from pytest_modelgate import evaluate
    from pytest_modelgate.errors import ModelgateError

    with pytest.raises(ModelgateError) as info:
        evaluate(**kwargs).metric("roc_auc" if "y_score" in kwargs else "accuracy")
    assert says in str(info.value)


def test_api_text_labels_match_integer_labels() -> None:
    from pytest_modelgate import evaluate

    as_text = evaluate(y_true=[0, 1, 1, 0, 1], y_pred=["0", "1", "0", "0", "1"])
    as_int = evaluate(y_true=[0, 1, 1, 0, 1], y_pred=[0, 1, 0, 0, 1])
    assert as_text.metric("accuracy").estimate == as_int.metric("accuracy").estimate == 0.8


def test_api_probabilities_that_are_not_a_distribution_raise_model_error() -> None:
    """The Python API refuses what the YAML runner turns into an ERROR verdict, as ModelError;
    rows within the documented tolerance (float32 softmax) are accepted."""
    from pytest_modelgate import evaluate
    from pytest_modelgate.errors import ModelError

    y = [0, 1, 2, 2, 1, 0]
    good = np.array([[0.7, 0.2, 0.1]] * 6, dtype=np.float32)
    good[:, 0] += 5e-4  # sums 1.0005: within the tolerance
    evaluate(y, y_score=good, classes=[0, 1, 2])
    for bad in (np.full((6, 3), 0.9), np.array([[1.2, -0.2, 0.0]] * 6)):
        with pytest.raises(ModelError):
            evaluate(y, y_score=bad, classes=[0, 1, 2])
    with pytest.raises(ModelError, match="complex-valued"):
        evaluate(y, y_score=good.astype(complex), classes=[0, 1, 2])


def test_messages_show_plain_values_not_numpy_reprs() -> None:
    """#15: messages leaked ``np.int64(0)``; numpy scalars are shown as the values they hold."""
    from pytest_modelgate.errors import ModelError
    from pytest_modelgate.evidence.core import build_evidence
    from pytest_modelgate.inputs.loading import Predictions

    y = pd.Series([0, 1, 1, 0])
    preds = Predictions(None, np.full((4, 2), 0.5), (np.int64(0), np.int64(2)), "probability", "m")
    with pytest.raises(ModelError) as info:
        build_evidence(y, preds, "binary", 1, None, "w")
    assert "np.int64" not in str(info.value) and "classes_ [0, 2]" in str(info.value)
    labels = Predictions(np.array([0, 1, 7, 0]), None, None, None, "m")
    with pytest.raises(ModelError) as info:
        build_evidence(y, labels, "binary", 1, None, "w")
    assert "np.int64" not in str(info.value) and "(e.g. 7)" in str(info.value)
