"""Load test data and models, and compute predictions once.

Everything a user can get wrong here (a missing file, a missing column, a model without a usable
``predict``, a length mismatch, missing labels) raises :class:`DataError` or :class:`ModelError`
with a message naming the file and the column. ``.joblib``/``.pkl`` files are unpickled: load only
files you trust (pickle runs code). ``.skops`` files are loaded with skops' safe loader.
"""

from __future__ import annotations

import difflib
import importlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pytest_modelgate._format import plain
from pytest_modelgate._paths import display_path
from pytest_modelgate.errors import (
    DataError,
    ModelError,
    did_you_mean,
    reraise_interrupt,
    user_error_text,
)
from pytest_modelgate.spec import PredictionColumns, Spec

__all__ = [
    "DEFAULT_NA_VALUES",
    "LoadedData",
    "Predictions",
    "check_slice_labels",
    "load_data",
    "load_model",
    "model_source",
    "needed_columns",
    "predict",
    "read_table",
    "slice_columns",
    "text_columns_of",
]

_TABLE_SUFFIXES = (".csv", ".csv.gz", ".parquet", ".pq")


def _shown(path: Path) -> str:
    return display_path(path)


def _need_pyarrow(path: Path) -> None:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise DataError(
            f"{_shown(path)}: reading Parquet needs pyarrow, which is not installed. "
            "Install it with: pip install 'pytest-modelgate[parquet]'"
        ) from None


def _no_duplicate_columns(path: Path, names: list[str]) -> None:
    repeated = sorted(name for name, count in Counter(names).items() if count > 1)
    if repeated:
        raise DataError(
            f"{_shown(path)}: column name(s) {', '.join(map(repr, repeated))} appear more than "
            "once in the header; which one is meant would be a guess — rename the duplicates"
        )


def _present(columns: Sequence[str] | None, names: list[str]) -> list[str] | None:
    """``columns`` in the file's order when the file has them all (and no blank header cell
    that pandas would name), else ``None``: read every column."""
    if columns is None or not set(columns) <= set(names):
        return None
    wanted = set(columns)
    return [c for c in names if c in wanted]


def _read_parquet(path: Path, columns: Sequence[str] | None = None) -> pd.DataFrame:
    import pyarrow.parquet as pq

    names = [str(c) for c in pq.read_schema(path).names]
    _no_duplicate_columns(path, names)
    return pd.read_parquet(path, columns=_present(columns, names))


# --- CSV reading policy (#15) -------------------------------------------------------------------
# pandas' defaults guess: "NA" (Namibia), "None", "null", "n/a", "#N/A" become missing, "007"
# becomes 7, and integers beyond 2**53 become equal floats; each silently rewrote slice values.
# The policy: only ``data.na_values`` cells are missing (DEFAULT_NA_VALUES unless the spec says
# otherwise), and slice/sensitive columns that are not model inputs are read as text.

DEFAULT_NA_VALUES: tuple[str, ...] = ("", "NaN", "nan")
"""CSV cells that mean "no value" unless ``data.na_values`` says otherwise."""


def require_readable_data(path: Path, where: str) -> None:
    """Refuse a data path that is neither a regular file nor a folder (a FIFO, ``/dev/zero``, a
    socket): reading one waits for a writer or never ends. ``where`` names the spec key."""
    from pytest_modelgate._paths import not_a_regular_file

    kind = not_a_regular_file(path, follow=True)
    if kind is not None and kind != "folder":
        raise DataError(
            f"{where}: {_shown(path)} is a {kind}, not a regular file; data is read from a "
            "file (.csv, .csv.gz, .parquet, …) or a folder of .parquet files — a pipe or device "
            "could be read forever"
        )


def read_table(
    path: Path,
    *,
    na_values: Sequence[str] = DEFAULT_NA_VALUES,
    text_columns: Sequence[str] = (),
    where: str | None = None,
    columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Read a ``.csv``, ``.csv.gz`` (…) or ``.parquet`` file, or a folder of ``.parquet`` files.

    CSV cells are missing only when they are one of ``na_values`` (pandas' list of NA spellings
    is not used), and ``text_columns`` are read as text (``"007"`` stays ``"007"``). A line break
    inside a quoted field (also a lone ``\\r``) is part of the value. ``columns``: read only
    these (in the file's order) when the file has every one of them; otherwise every column, so
    a message about a missing column can list what the file holds.
    """
    name = path.name.lower()
    if not path.exists():
        raise DataError(f"{_shown(path)}: data file does not exist (resolved to {path})")
    require_readable_data(path, where or _shown(path))
    try:
        if path.is_dir():
            parts = sorted(p for p in path.iterdir() if p.suffix.lower() in (".parquet", ".pq"))
            if not parts:
                raise DataError(f"{_shown(path)}: folder holds no .parquet files")
            _need_pyarrow(path)
            return pd.concat([_read_parquet(p, columns) for p in parts], ignore_index=True)
        if name.endswith((".csv", ".csv.gz", ".csv.bz2", ".csv.xz", ".csv.zst")):
            # pandas renames a repeated header ("y", "y" → "y", "y.1"): read the raw header first
            header = pd.read_csv(path, nrows=1, header=None, dtype=str, keep_default_na=False)
            names: list[str] = []
            if len(header):
                # blank header cells are pandas' "Unnamed: i" columns, not duplicates
                names = [str(c) for c in header.iloc[0].tolist() if isinstance(c, str) and c]
                _no_duplicate_columns(path, names)
            return pd.read_csv(
                path,
                keep_default_na=False,
                na_values=list(na_values),
                dtype={c: str for c in text_columns if c in names} or None,
                usecols=_present(columns, names),
            )
        if name.endswith((".parquet", ".pq")):
            _need_pyarrow(path)
            return _read_parquet(path, columns)
    except DataError:
        raise
    except Exception as exc:  # any parser error is a data problem, reported with the file
        raise DataError(
            f"{_shown(path)}: cannot read the file ({type(exc).__name__}: {exc})"
        ) from None
    raise DataError(
        f"{_shown(path)}: unsupported data format (allowed: {', '.join(_TABLE_SUFFIXES)},"
        " or a folder of .parquet files)"
    )


def slice_columns(spec: Spec) -> list[str]:
    """Columns whose values become slice or group labels: ``data.sensitive``, each gate's
    value slices (``slices: [col]``, ``[[a, b]]``; not binned ones) and fairness groups."""
    found: list[str] = list(spec.data.sensitive)
    for gate in spec.gates:
        for entry in getattr(gate.config, "slices", None) or []:
            if isinstance(entry, str):
                found.append(entry)
            elif isinstance(entry, list):
                found.extend(entry)
            elif hasattr(entry, "where"):  # {where: ...}: value conditions print as labels
                found.extend(c for c, v in entry.where.items() if not hasattr(v, "min"))
        sensitive = getattr(gate.config, "sensitive", None)
        if sensitive is not None:
            found.extend([sensitive] if isinstance(sensitive, str) else sensitive)
    return list(dict.fromkeys(found))


def text_columns_of(spec: Spec) -> list[str]:
    """The slice columns that are not model inputs, so reading them as text changes nothing a
    model sees (a model input keeps the type it was trained on)."""
    data = spec.data
    if data.features is not None:
        inputs = set(data.features)
        return [c for c in slice_columns(spec) if c not in inputs]
    not_inputs = {data.target, *data.sensitive, *data.exclude}
    return [c for c in slice_columns(spec) if c in not_inputs]


def check_slice_labels(frame: pd.DataFrame, columns: Sequence[str], source: str) -> None:
    """Refuse a slice column whose distinct values would print as the same label: ``1`` and
    ``"1"``, a literal ``<missing>`` next to missing cells, or two Unicode spellings of one text
    (``café`` composed and decomposed). Rows would be split between two slices with one name;
    which one is meant is for the data's owner to say."""
    import unicodedata

    from pytest_modelgate._format import MISSING_LABEL, one_line, plain

    for column in columns:
        if column not in frame.columns:
            continue  # reported with its gate's line where the slice is made
        values = frame[column]
        distinct = pd.unique(values.dropna())
        by_label: dict[str, list[Any]] = {}
        for value in distinct:
            text = unicodedata.normalize("NFC", str(plain(value)))
            by_label.setdefault(text, []).append(plain(value))
        clash = next((vs for vs in by_label.values() if len(vs) > 1), None)
        if clash is not None:
            a, b = clash[:2]
            # two spellings of one text look alike: show their code points
            spell = ascii if str(a) != str(b) else repr
            shown = f"{one_line(spell(a))} and {one_line(spell(b))}"
            raise DataError(
                f"{source}: column {column!r} holds {shown}, distinct values that would print as "
                f"the same slice label {one_line(str(clash[0]))!r}; rows would be split between "
                "two slices of one name — make the column one type and one spelling "
                "(e.g. Unicode NFC) before gating"
            )
        if MISSING_LABEL in by_label and bool(values.isna().any()):
            raise DataError(
                f"{source}: column {column!r} holds the text {MISSING_LABEL!r} and also missing "
                f"cells, which are labelled {MISSING_LABEL!r}; rename that value (or make those "
                "cells missing) so the two can be told apart"
            )


# --- end CSV reading policy ----------------------------------------------------------------------

# data checks that read only the test columns they name (``columns:``); label_drift reads the target
_NAMED_COLUMN_CHECKS = ("drift", "missing_values", "unseen_categories", "range")


def needed_columns(spec: Spec) -> list[str] | None:
    """The test columns the spec's gates read, or ``None`` when that is every column: a model
    predicts (it takes its features), or a check examines every column by default (schema, a
    data check without ``columns:``, behaviour and operational checks). Reading only these is
    what keeps memory near the size of the used columns (#16)."""
    from pytest_modelgate.spec import SliceBins

    data, models = spec.data, spec.models
    refs = [r for r in (models.candidate, models.baseline) if r is not None]
    found: list[str] = [data.target, *data.sensitive]
    for ref in refs:
        if not isinstance(ref, PredictionColumns):
            return None
        if ref.predictions:
            found.append(ref.predictions)
        if ref.scores:  # one column, or one per class (multiclass, #19)
            found.extend([ref.scores] if isinstance(ref.scores, str) else ref.scores)
    found.extend(c for c in (data.cluster, data.weight, data.id, data.time) if c)
    found.extend([*data.exclude, *(data.features or [])])  # checked to exist, as every role
    for gate in spec.gates:
        cfg: Any = gate.config
        if gate.kind == "check":
            if cfg.check == "label_drift":
                continue
            if cfg.check not in _NAMED_COLUMN_CHECKS or not getattr(cfg, "columns", None):
                return None
            found.extend(cfg.columns)
        if gate.kind == "fairness":
            found.extend(cfg.columns)
        for slicing in getattr(cfg, "slices", None) or []:
            if isinstance(slicing, str):
                found.append(slicing)
            elif isinstance(slicing, SliceBins):
                found.append(slicing.column)
            else:
                found.extend(slicing)
    return list(dict.fromkeys(found))


def load_model(ref: str, spec: Spec, role: str) -> tuple[Any, Path | None]:
    """Load a model from a file or a ``package.module:attr`` reference.

    Returns the model and its file (``None`` for an import reference or a registry model).
    """
    if isinstance(ref, str) and ref.startswith("models:/"):  # #18: an MLflow registry model
        from pytest_modelgate.registry.client import load_registry_model

        model, _version = load_registry_model(
            ref,
            spec.doc.mlflow.tracking_uri,
            where=spec.where("models", role),
            uri_where=spec.where("mlflow", "tracking_uri"),
        )
        return model, None
    if (
        ":" in ref
        and not ref.lower().endswith((".joblib", ".pkl", ".pickle", ".skops"))
        and not Path(ref).exists()
        and not (len(ref) > 1 and ref[1] == ":")
    ):
        module_name, _, attr = ref.partition(":")
        try:
            obj: Any = importlib.import_module(module_name)
            for part in attr.split("."):
                obj = getattr(obj, part)
        except BaseException as exc:  # importing runs the module's code: anything can happen
            reraise_interrupt(exc)
            raise ModelError(
                f"models.{role}: cannot import {ref!r} ({user_error_text(exc)}); the form is "
                "'package.module:attribute'"
            ) from None
        if callable(obj) and not hasattr(obj, "predict"):
            try:
                obj = obj()
            except BaseException as exc:
                reraise_interrupt(exc)
                raise ModelError(
                    f"models.{role}: calling {ref!r} to build the model failed "
                    f"({user_error_text(exc)})"
                ) from None
        return obj, None
    path = spec.resolve(ref)
    if path.is_dir():
        raise ModelError(
            f"{spec.where('models', role)}: {_shown(path)} is a folder, not a model file "
            "(allowed: a .joblib, .pkl, .pickle or .skops file, 'package.module:attr', or "
            "prediction columns)"
        )
    if not path.is_file():
        raise ModelError(
            f"{spec.where('models', role)}: model file {_shown(path)} does not exist"
            f"{_missing_file_hint(path)} (if a training script writes it, run that first)"
        )
    suffix = path.suffix.lower()
    try:
        if suffix in (".joblib", ".pkl", ".pickle"):
            import joblib

            return joblib.load(path), path
        if suffix == ".skops":
            try:
                import skops.io as sio
            except ImportError:
                raise ModelError(
                    f"models.{role}: {_shown(path)} needs skops, which is not "
                    "installed. Install it with: pip install 'skops>=0.9' (or, in a checkout "
                    "of pytest-modelgate: pip install -e '.[skops]')"
                ) from None
            # skops builds only the types it knows to be safe; anything else must be listed by
            # the user (models.trusted_types) after inspecting it — never trusted by pattern
            untrusted = sio.get_untrusted_types(file=path)
            allowed = set(spec.models.trusted_types)
            refused = [t for t in untrusted if t not in allowed]
            if refused:
                listed = "".join(f"\n    - {t}" for t in refused)
                raise ModelError(
                    f"{spec.where('models', role)}: {_shown(path)} contains "
                    f"{len(refused)} type(s) that skops does not trust by default: "
                    f"{', '.join(refused)}. Loading builds these objects, so inspect them "
                    "(skops.io.get_untrusted_types) and, if you trust the file's origin, list "
                    f"them in the spec:\n  models:\n    trusted_types:{listed}"
                )
            return sio.load(path, trusted=list(untrusted)), path
    except ModelError:
        raise
    except BaseException as exc:  # unpickling runs code: anything can happen
        reraise_interrupt(exc)
        raise ModelError(
            f"models.{role}: cannot load {_shown(path)} ({user_error_text(exc)})"
        ) from None
    raise ModelError(
        f"models.{role}: unsupported model file {_shown(path)} (allowed: .joblib, "
        ".pkl, .skops, 'package.module:attr', or {predictions: col, scores: col})"
    )


@dataclass(frozen=True)
class LoadedData:
    """The test table and the roles of its columns."""

    frame: pd.DataFrame
    path: Path
    target: str
    features: tuple[str, ...] | None


def _missing_file_hint(path: Path) -> str:
    """ "did you mean" from the folder's files, or which folder is missing."""
    folder = path.parent
    if not folder.is_dir():
        return f"; the folder {_shown(folder)} does not exist either"
    names = [p.name for p in folder.iterdir()]
    close = difflib.get_close_matches(path.name, names, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def load_data(spec: Spec) -> LoadedData:
    """Read the test data and check that the target and the named columns exist."""
    path = spec.resolve(spec.data.test)
    if not path.exists():
        raise DataError(
            f"{spec.where('data', 'test')}: data file {_shown(path)} does not exist"
            f"{_missing_file_hint(path)} (if a script generates it, run that first"
            + (
                "; for the example: `python example_project/train.py`)"
                if "example_project" in str(path)
                else ")"
            )
        )
    frame = read_table(
        path,
        na_values=spec.data.na_values,
        text_columns=text_columns_of(spec),
        where=spec.where("data", "test"),
        columns=needed_columns(spec),
    )
    check_slice_labels(frame, slice_columns(spec), _shown(path))
    if frame.empty:
        raise DataError(f"{_shown(path)}: the test data has no rows")
    columns = set(frame.columns)
    named = {
        "target": [spec.data.target],
        "sensitive": spec.data.sensitive,
        "exclude": spec.data.exclude,
        "features": spec.data.features or [],
        "cluster": [spec.data.cluster] if spec.data.cluster else [],
        "weight": [spec.data.weight] if spec.data.weight else [],
    }
    for key, cols in named.items():
        missing = [c for c in cols if c not in columns]
        if missing:
            hint = did_you_mean(missing, list(frame.columns))
            raise DataError(
                f"{spec.where('data', key)}: column(s) {', '.join(map(repr, missing))} not in "
                f"{_shown(path)}{hint} (columns: {_column_list(frame)})"
            )
    y = frame[spec.data.target]
    n_missing = int(y.isna().sum())
    if n_missing:
        rows = np.flatnonzero(y.isna().to_numpy())[:5].tolist()
        raise DataError(
            f"{_shown(path)}: target column {spec.data.target!r} has {n_missing} "
            f"missing value(s) (first rows: {rows}); labels cannot be guessed — "
            "drop or fill those rows before gating"
        )
    features = tuple(spec.data.features) if spec.data.features is not None else None
    return LoadedData(frame, path, spec.data.target, features)


def _column_list(frame: pd.DataFrame, limit: int = 20) -> str:
    from pytest_modelgate._format import column_list

    return column_list(list(frame.columns), limit)


@dataclass(frozen=True)
class Predictions:
    """What one model says about the test rows.

    ``labels`` are raw predicted labels (class values or regression values); ``scores`` are, for
    binary tasks, the positive-class score (probability or decision value) and, for multiclass,
    the ``(n, K)`` probability matrix whose columns follow ``classes``.
    """

    labels: np.ndarray | None
    scores: np.ndarray | None
    classes: tuple[Any, ...] | None
    score_kind: str | None  # "probability" | "decision_function" | "column"
    source: str


def _class_score_columns(ref: PredictionColumns, data: LoadedData, role: str) -> Predictions:
    """#19: ``scores: [p0, p1, p2]`` — one probability column per class, the columns following
    the sorted values of the target (scikit-learn's ``classes_`` order)."""
    frame = data.frame
    columns = list(ref.scores or [])
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(
            f"{_shown(data.path)}: models.{role}.scores names column(s) "
            f"{', '.join(map(repr, missing))}, not in the data (columns: {_column_list(frame)})"
        )
    classes = sorted(pd.unique(frame[data.target].dropna()).tolist(), key=_class_order)
    if len(classes) != len(columns):
        raise DataError(
            f"{_shown(data.path)}: models.{role}.scores lists {len(columns)} column(s) "
            f"({', '.join(columns)}) but the target {data.target!r} has {len(classes)} "
            f"classes ({', '.join(map(repr, classes[:20]))}); give one probability column per "
            "class, in this (sorted) order"
        )
    block = frame[columns]
    if block.isna().any().any():
        raise DataError(
            f"{_shown(data.path)}: score columns of models.{role} have "
            f"{int(block.isna().sum().sum())} missing value(s)"
        )
    try:
        scores = block.to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise DataError(
            f"{_shown(data.path)}: models.{role}.scores columns must be numeric "
            f"(dtypes: {', '.join(str(t) for t in block.dtypes)})"
        ) from None
    labels = None
    if ref.predictions is not None:
        labels = _prediction_columns(ref.model_copy(update={"scores": None}), data, role).labels
    source = f"columns {', '.join(columns)} of {_shown(data.path)}"
    return Predictions(labels, scores, tuple(classes), "column", source)


def _class_order(value: Any) -> tuple[int, Any]:
    """Sorted like ``numpy.unique``: numbers by value, then text."""
    if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
        return (0, float(value))
    return (1, str(value))


def _prediction_columns(ref: PredictionColumns, data: LoadedData, role: str) -> Predictions:
    if isinstance(ref.scores, list):
        return _class_score_columns(ref, data, role)
    frame = data.frame
    out: dict[str, np.ndarray | None] = {"labels": None, "scores": None}
    for key, col in (("labels", ref.predictions), ("scores", ref.scores)):
        if col is None:
            continue
        if col not in frame.columns:
            raise DataError(
                f"{_shown(data.path)}: models.{role} names prediction column "
                f"{col!r}, which is not in the data (columns: {_column_list(frame)})"
            )
        values = frame[col]
        if values.isna().any():
            raise DataError(
                f"{_shown(data.path)}: prediction column {col!r} has "
                f"{int(values.isna().sum())} missing value(s)"
            )
        if key == "scores":
            try:
                out[key] = values.to_numpy(dtype=float)
            except (TypeError, ValueError):
                raise DataError(
                    f"{_shown(data.path)}: score column {col!r} must be numeric "
                    f"(got dtype {values.dtype})"
                ) from None
        else:
            out[key] = values.to_numpy()
    return Predictions(
        out["labels"],
        out["scores"],
        None,
        "column" if out["scores"] is not None else None,
        f"columns of {_shown(data.path)}",
    )


def model_features(model: Any, spec: Spec, data: LoadedData) -> list[str]:
    """The columns handed to the model: ``data.features``, else what the model was fitted on,
    else every column but the target, sensitive, excluded and prediction columns."""
    frame = data.frame
    if data.features is not None:
        return list(data.features)
    fitted = getattr(model, "feature_names_in_", None)
    if fitted is not None:
        names = [str(c) for c in fitted]
        missing = [c for c in names if c not in frame.columns]
        if missing:
            raise DataError(
                f"{_shown(data.path)}: the model was fitted on column(s) that are "
                f"not in the test data: {', '.join(map(repr, missing))}"
            )
        return names
    skip = {spec.data.target, *spec.data.sensitive, *spec.data.exclude}
    skip.update(c for c in (spec.data.cluster, spec.data.weight) if c)  # design, not features
    if spec.data.id:  # #19: row ids name rows in reports; they are never model input
        skip.add(spec.data.id)
    for ref in (spec.models.candidate, spec.models.baseline):
        if isinstance(ref, PredictionColumns):
            skip.update(c for c in (ref.predictions, ref.scores) if isinstance(c, str))
            if isinstance(ref.scores, list):  # #19: class probability columns
                skip.update(ref.scores)
    return [c for c in frame.columns if c not in skip]


def predict(
    model: Any, spec: Spec, data: LoadedData, task: str, role: str, source: str
) -> Predictions:
    """Run ``model`` on the test rows: labels from ``predict``, scores from ``predict_proba``
    (else ``decision_function``)."""
    if not hasattr(model, "predict") and not hasattr(model, "predict_proba"):
        raise ModelError(
            f"models.{role}: {source} is a {type(model).__name__}, which has no "
            "predict() or predict_proba(); give a fitted scikit-learn-style model"
        )
    features = model_features(model, spec, data)
    X = data.frame[features]
    n = len(X)

    from pytest_modelgate.inputs.calls import PredictTimeout, call_with_timeout

    timeout = spec.models.timeout_s

    def call(method: str) -> np.ndarray:
        try:
            result = np.asarray(call_with_timeout(getattr(model, method), X, timeout))
        except PredictTimeout:
            raise ModelError(
                f"models.{role}: {source}.{method}() did not return within {timeout:g} s "
                f"(models.timeout_s) on {n} rows of {_shown(data.path)}; the call goes on in a "
                "background thread (a thread cannot be stopped) until it returns or pytest "
                "exits — make the model faster, or raise models.timeout_s "
                "(--modelgate-timeout)"
            ) from None
        except BaseException as exc:
            reraise_interrupt(exc)
            nan_cols = [c for c in features if X[c].isna().any()]
            hint = (
                f" Columns with missing values: {', '.join(map(repr, nan_cols[:10]))}."
                if nan_cols and "nan" in str(exc).lower()
                else ""
            )
            raise ModelError(
                f"models.{role}: {source}.{method}() failed on {n} rows of "
                f"{_shown(data.path)} ({user_error_text(exc)}).{hint}"
            ) from None
        shape = result.shape
        if result.ndim == 0 or shape[0] != n:
            got = "a single value" if result.ndim == 0 else f"{shape[0]} values"
            raise ModelError(f"models.{role}: {source}.{method}() returned {got} for {n} rows")
        if method == "predict" and result.ndim == 2 and shape[1] == 1:
            result = result.reshape(n)  # a column vector of labels
        expected_ndim = (1,) if method == "predict" else (1, 2)
        if result.ndim not in expected_ndim:
            wanted = f"({n},)" if method == "predict" else f"({n},) or ({n}, n_classes)"
            raise ModelError(
                f"models.{role}: {source}.{method}() returned an array of shape {shape}; "
                f"expected {wanted} (one {'label' if method == 'predict' else 'score'} per row)"
            )
        if method != "predict" and not np.iscomplexobj(result):  # complex: refused as evidence
            try:
                result = result.astype(float)
            except (TypeError, ValueError):
                raise ModelError(
                    f"models.{role}: {source}.{method}() returned non-numeric scores "
                    f"(dtype {result.dtype}, e.g. {plain(result.flat[0])!r})"
                ) from None
        return result

    labels = call("predict") if hasattr(model, "predict") else None
    scores = None
    kind = None
    classes = tuple(getattr(model, "classes_", ())) or None
    if task != "regression":
        if hasattr(model, "predict_proba"):
            scores, kind = call("predict_proba"), "probability"
        elif hasattr(model, "decision_function"):
            scores, kind = call("decision_function"), "decision_function"
    return Predictions(labels, scores, classes, kind, source)


def get_predictions(
    ref: Any, spec: Spec, data: LoadedData, task: str, role: str
) -> tuple[Predictions, Path | None]:
    """Predictions for the candidate or baseline reference in the spec."""
    if isinstance(ref, PredictionColumns):
        return _prediction_columns(ref, data, role), None
    model, path = load_model(ref, spec, role)
    return predict(model, spec, data, task, role, model_source(ref, path)), path


def model_source(ref: str, path: Path | None) -> str:
    """How messages name a loaded model: its file, its import reference, or its registry
    version (``models:/fraud@champion (version 3)``, and what a pyfunc model cannot do)."""
    if path is not None:
        return _shown(path)
    if ref.startswith("models:/"):
        from pytest_modelgate.registry.client import resolved

        version = resolved(ref)
        if version is not None:
            pyfunc = " (pyfunc: predictions only)" if version.flavour == "python_function" else ""
            return version.describe() + pyfunc
    return ref
