"""A small generated project (data + fitted model) that pytester runs copy in."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest


def make_project(root: Path, n: int = 1500, seed: int = 3) -> None:
    import joblib
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    y = (x[:, 0] + 0.8 * x[:, 1] + rng.normal(size=n) > 0.3).astype(int)
    frame = pd.DataFrame(x, columns=["f1", "f2", "f3"])
    frame["label"] = np.where(y == 1, "yes", "no")
    frame["group"] = rng.choice(["a", "b"], size=n)
    model = LogisticRegression().fit(frame[["f1", "f2", "f3"]], frame["label"])
    frame["logged_score"] = model.predict_proba(frame[["f1", "f2", "f3"]])[:, 1]
    frame["logged_pred"] = model.predict(frame[["f1", "f2", "f3"]])
    (root / "data").mkdir(parents=True, exist_ok=True)
    (root / "models").mkdir(exist_ok=True)
    frame.to_csv(root / "data" / "test.csv.gz", index=False)
    joblib.dump(model, root / "models" / "model.joblib")
    # a weaker "production" model that sees only one feature (it ignores the others)
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import make_pipeline

    weak = make_pipeline(
        ColumnTransformer([("f1", "passthrough", ["f1"])]), LogisticRegression()
    ).fit(frame[["f1", "f2", "f3"]], frame["label"])
    joblib.dump(weak, root / "models" / "weak.joblib")


@pytest.fixture(scope="session")
def project_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("project")
    make_project(root)
    return root


@pytest.fixture
def project(pytester: pytest.Pytester, project_template: Path) -> pytest.Pytester:
    for sub in ("data", "models"):
        shutil.copytree(project_template / sub, pytester.path / sub)
    return pytester


SPEC_HEAD = """\
version: 1
data:
  test: data/test.csv.gz
  target: label
  positive_label: "yes"
  sensitive: [group]
  exclude: [logged_score, logged_pred]
models:
  candidate: models/model.joblib
stats:
  resamples: 500
gates:
"""
