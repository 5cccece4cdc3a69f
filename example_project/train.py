"""Prepare the UCI Adult data and train the two models of the pytest-modelgate example.

Run from any working directory::

    python example_project/train.py            # build whatever is missing
    python example_project/train.py --force    # rebuild everything

Inputs (committed, unchanged copies of the UCI files)::

    data/raw/adult.data.gz   training split, 32,561 rows
    data/raw/adult.test.gz   test split, 16,281 rows

Outputs (generated, not committed)::

    data/train.csv.gz        cleaned training set
    data/test.csv.gz         cleaned test set
    models/baseline.joblib   logistic regression (the model "in production")
    models/candidate.joblib  histogram gradient boosting (the model to be released)

The cleaning only names the columns, strips whitespace, turns "?" into a missing
value and drops the trailing dot of the test labels. Both models are scikit-learn
pipelines that take a DataFrame with exactly the FEATURES columns and are fitted on
the string labels, so ``classes_ == ["<=50K", ">50K"]`` and ``predict_proba[:, 1]``
is the probability of ">50K". ``sex`` and ``race`` are kept out of the models (they
are the sensitive attributes of the fairness gates) and ``fnlwgt`` is a survey
weight, not a feature.

Only numpy, pandas, scikit-learn and joblib are used.
"""

from __future__ import annotations

import argparse
import gzip
import io
import os
import sys
import time
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    precision_score,
    recall_score,
    roc_auc_score,
)
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

HERE = Path(__file__).resolve().parent
RAW_DIR = HERE / "data" / "raw"
DATA_DIR = HERE / "data"
MODEL_DIR = HERE / "models"

RAW_TRAIN = RAW_DIR / "adult.data.gz"
RAW_TEST = RAW_DIR / "adult.test.gz"
TRAIN_CSV = DATA_DIR / "train.csv.gz"
TEST_CSV = DATA_DIR / "test.csv.gz"
BASELINE_PATH = MODEL_DIR / "baseline.joblib"
CANDIDATE_PATH = MODEL_DIR / "candidate.joblib"

COLUMNS = [
    "age",
    "workclass",
    "fnlwgt",
    "education",
    "education_num",
    "marital_status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "capital_gain",
    "capital_loss",
    "hours_per_week",
    "native_country",
    "income",
]
TARGET = "income"
POSITIVE = ">50K"
LABELS = ["<=50K", ">50K"]
SENSITIVE = ["sex", "race"]
EXCLUDED = ["fnlwgt"]
NUMERIC_FEATURES = [
    "age",
    "education_num",
    "capital_gain",
    "capital_loss",
    "hours_per_week",
]
CATEGORICAL_FEATURES = [
    "workclass",
    "education",
    "marital_status",
    "occupation",
    "relationship",
    "native_country",
]
INTEGER_COLUMNS = [*NUMERIC_FEATURES, "fnlwgt"]  # no missing values in the raw data
# Model input, in file order: every column except the target, the sensitive
# attributes and the survey weight.
FEATURES = [c for c in COLUMNS if c not in {TARGET, *SENSITIVE, *EXCLUDED}]
assert sorted(FEATURES) == sorted(NUMERIC_FEATURES + CATEGORICAL_FEATURES)


def log(message: str) -> None:
    print(message, flush=True)


def rel(path: Path) -> str:
    """Path relative to the example folder, for short progress lines."""
    try:
        return str(path.relative_to(HERE))
    except ValueError:
        return str(path)


def human_size(path: Path) -> str:
    size = path.stat().st_size
    if size < 1024:
        return f"{size} B"
    if size < 1024**2:
        return f"{size / 1024:.1f} KB"
    return f"{size / 1024**2:.1f} MB"


# --------------------------------------------------------------------------- data


def read_raw(path: Path, *, skip_first_line: bool = False) -> pd.DataFrame:
    """Read one raw UCI Adult file and apply the (only) cleaning steps."""
    df = pd.read_csv(
        path,
        header=None,
        names=COLUMNS,
        sep=",",
        skiprows=1 if skip_first_line else 0,  # adult.test starts with "|1x3 Cross validator"
        skipinitialspace=True,
        skip_blank_lines=True,  # adult.data ends with an empty line
        na_values=["?"],
        keep_default_na=False,  # only "?" means missing
        dtype={c: str for c in COLUMNS if c not in INTEGER_COLUMNS},
        compression="gzip",
    )
    for col in df.columns:
        if not pd.api.types.is_numeric_dtype(df[col]):
            df[col] = df[col].str.strip().replace("?", np.nan)
    df[TARGET] = df[TARGET].str.rstrip(".")  # adult.test labels are ">50K." / "<=50K."
    bad = sorted(set(df[TARGET].dropna().unique()) - set(LABELS))
    if bad or df[TARGET].isna().any():
        raise ValueError(f"{path}: unexpected income labels {bad!r}")
    return df


def write_csv_gz(df: pd.DataFrame, path: Path) -> None:
    """Write a gzip'ed CSV with reproducible bytes (mtime=0, fixed header name)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with (
        open(tmp, "wb") as raw,
        gzip.GzipFile(filename=path.name, mode="wb", fileobj=raw, mtime=0) as gz,
        io.TextIOWrapper(gz, encoding="utf-8", newline="") as text,
    ):
        df.to_csv(text, index=False, lineterminator="\n")
    os.replace(tmp, path)


def read_clean(path: Path) -> pd.DataFrame:
    """Read a cleaned CSV the way a consumer (e.g. the gates) would."""
    return pd.read_csv(path)


def prepare_data(force: bool) -> None:
    for raw_path, out_path, skip_first in (
        (RAW_TRAIN, TRAIN_CSV, False),
        (RAW_TEST, TEST_CSV, True),
    ):
        if out_path.exists() and not force:
            log(f"skip   {rel(out_path)} (exists; --force to rebuild)")
            continue
        t0 = time.perf_counter()
        df = read_raw(raw_path, skip_first_line=skip_first)
        write_csv_gz(df, out_path)
        log(
            f"wrote  {rel(out_path)}: {len(df):,} rows, "
            f"{(df[TARGET] == POSITIVE).sum():,} positive, "
            f"{human_size(out_path)} ({time.perf_counter() - t0:.1f}s)"
        )


# ------------------------------------------------------------------------- models


def make_baseline() -> Pipeline:
    """Logistic regression on scaled numerics + one-hot categoricals."""
    preprocess = ColumnTransformer(
        [
            (
                "num",
                Pipeline(
                    [
                        ("impute", SimpleImputer(strategy="median")),
                        ("scale", StandardScaler()),
                    ]
                ),
                NUMERIC_FEATURES,
            ),
            (
                "cat",
                Pipeline(
                    [
                        ("impute", SimpleImputer(strategy="most_frequent")),
                        ("onehot", OneHotEncoder(handle_unknown="ignore")),
                    ]
                ),
                CATEGORICAL_FEATURES,
            ),
        ],
        remainder="drop",
    )
    return Pipeline([("preprocess", preprocess), ("classifier", LogisticRegression(max_iter=1000))])


def make_candidate() -> Pipeline:
    """Histogram gradient boosting with native categorical splits.

    The categoricals are ordinal-encoded inside the pipeline, so the model works on
    any string dtype (object or pandas' ``str``) and needs no ``category`` dtype at
    prediction time. Missing and unseen categories become NaN, which the booster
    handles natively. Early stopping is off so the number of trees is fixed and the
    fit does not depend on a random validation split.
    """
    preprocess = ColumnTransformer(
        [
            (
                "cat",
                OrdinalEncoder(
                    handle_unknown="use_encoded_value",
                    unknown_value=np.nan,
                    encoded_missing_value=np.nan,
                ),
                CATEGORICAL_FEATURES,
            ),
            ("num", "passthrough", NUMERIC_FEATURES),
        ],
        remainder="drop",
        verbose_feature_names_out=False,
    ).set_output(transform="pandas")
    classifier = HistGradientBoostingClassifier(
        learning_rate=0.05,
        max_iter=400,
        max_leaf_nodes=31,
        min_samples_leaf=20,
        l2_regularization=1.0,
        categorical_features=CATEGORICAL_FEATURES,
        early_stopping=False,
        random_state=0,
    )
    return Pipeline([("preprocess", preprocess), ("classifier", classifier)])


def train_models(force: bool) -> None:
    todo = []
    for name, path, factory in (
        ("baseline", BASELINE_PATH, make_baseline),
        ("candidate", CANDIDATE_PATH, make_candidate),
    ):
        if path.exists() and not force:
            log(f"skip   {rel(path)} (exists; --force to retrain)")
        else:
            todo.append((name, path, factory))
    if not todo:
        return
    train = read_clean(TRAIN_CSV)
    X, y = train[FEATURES], train[TARGET]
    MODEL_DIR.mkdir(parents=True, exist_ok=True)
    for name, path, factory in todo:
        t0 = time.perf_counter()
        model = factory().fit(X, y)
        assert list(model.classes_) == LABELS, model.classes_
        tmp = path.with_name(path.name + ".tmp")
        joblib.dump(model, tmp)
        os.replace(tmp, path)
        log(
            f"wrote  {rel(path)}: {name}, trained on {len(X):,} rows, "
            f"{human_size(path)} ({time.perf_counter() - t0:.1f}s)"
        )


# ------------------------------------------------------------------------ report


def report() -> None:
    test = read_clean(TEST_CSV)
    X = test[FEATURES]
    y = (test[TARGET] == POSITIVE).to_numpy()
    rows = []
    for name, path in (("baseline", BASELINE_PATH), ("candidate", CANDIDATE_PATH)):
        model = joblib.load(path)
        proba = model.predict_proba(X)[:, list(model.classes_).index(POSITIVE)]
        pred = proba >= 0.5
        rows.append(
            (
                name,
                accuracy_score(y, pred),
                roc_auc_score(y, proba),
                recall_score(y, pred),
                precision_score(y, pred, zero_division=0),
                f1_score(y, pred),
            )
        )
    log(f"\ntest set: {len(test):,} rows, {y.sum():,} positive ({POSITIVE}), threshold 0.5")
    header = ("model", "accuracy", "roc_auc", "recall", "precision", "f1")
    log(f"{header[0]:<10}" + "".join(f"{h:>10}" for h in header[1:]))
    for name, *values in rows:
        log(f"{name:<10}" + "".join(f"{v:>10.4f}" for v in values))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Prepare the UCI Adult data and train the example models."
    )
    parser.add_argument(
        "--force", action="store_true", help="rebuild the data files and retrain both models"
    )
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    for path in (RAW_TRAIN, RAW_TEST):
        if not path.exists():
            log(f"error: missing raw data file {path}")
            return 1
    prepare_data(args.force)
    train_models(args.force)
    log(f"done in {time.perf_counter() - t0:.1f}s")
    report()
    return 0


if __name__ == "__main__":
    sys.exit(main())
