"""Simulate a model's lifetime for the example project: five releases and a drifting month.

Run from any working directory (after ``python example_project/train.py``)::

    python example_project/simulate_history.py            # retrain what is missing, rerun all
    python example_project/simulate_history.py --force    # retrain every candidate as well

Every number comes from a real gate run (``pytest_modelgate.run_gates``) of
``history/release.yaml`` (a candidate against the model in production) or
``history/monitor.yaml`` (the model in production on a week's labelled data); only the
``history`` part of each record — when it ran, on which branch, whether it was promoted — is
simulated. The story (dates are made up):

1. ``v1`` (June): the logistic regression of ``train.py`` replaces a first model that saw only
   the five numeric columns;
2. a pull request tries a shallow boosted model (a candidate, never promoted);
3. ``v2`` (July): gradient boosting, 150 trees;
4. (August) the same booster retrained on a 10 % subsample: worse than ``v2``, blocked;
5. ``v3`` (September): the example's 400-tree candidate;
6. October, weekly: ``v3`` in production on a month of data that drifts (older people, more
   missing occupations), until the missing values and the drift block it.

Outputs (generated, not committed), under ``history/build/``: the trained candidates,
``history.jsonl`` (one record a line: the JSON report plus ``history``, as
``modelgate history export`` writes), and ``history.sqlite`` when the history store
(``pytest_modelgate.history``) is installed. ``make dashboard`` then draws them::

    python -m pytest_modelgate.dashboard --jsonl example_project/history/build/history.jsonl -o site
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
HISTORY = HERE / "history"
BUILD = HISTORY / "build"
MODELS = BUILD / "models"
JSONL = BUILD / "history.jsonl"
STORE = BUILD / "history.sqlite"

sys.path.insert(0, str(HERE))
import train  # noqa: E402  (the example's data preparation and model recipes)


def numeric_only() -> Any:
    """The first model in production: a logistic regression on the five numeric columns."""
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    preprocess = ColumnTransformer([("num", StandardScaler(), train.NUMERIC_FEATURES)])
    return Pipeline([("preprocess", preprocess), ("classifier", LogisticRegression())])


def booster(**params: Any) -> Any:
    model = train.make_candidate()
    return model.set_params(**{f"classifier__{k}": v for k, v in params.items()})


# name, recipe (None: a model train.py already wrote), share of the training rows, seed
CANDIDATES: dict[str, tuple[Any, float, int]] = {
    "v0": (numeric_only, 1.0, 0),
    "v1": (None, 1.0, 0),  # train.py's baseline.joblib
    "pr-shallow": (lambda: booster(max_iter=40, max_depth=2, learning_rate=0.2), 1.0, 0),
    "v2": (lambda: booster(max_iter=150, learning_rate=0.1, random_state=1), 1.0, 1),
    "v2-subsample": (lambda: booster(max_iter=150, learning_rate=0.1, random_state=3), 0.1, 3),
    "v3": (None, 1.0, 0),  # train.py's candidate.joblib
}
EXISTING = {"v1": train.BASELINE_PATH, "v3": train.CANDIDATE_PATH}

# (when, spec, candidate, branch, pull request); a release replaces production when promoted
RELEASES = [
    ("2026-06-02T09:30:00", "release", "v1", "main", None),
    ("2026-06-19T15:10:00", "release", "pr-shallow", "feature/shallow-boosting", 12),
    ("2026-07-06T10:05:00", "release", "v2", "main", None),
    ("2026-08-03T11:20:00", "release", "v2-subsample", "main", None),
    ("2026-09-07T09:45:00", "release", "v3", "main", None),
]
WEEKS = ["2026-10-05T06:00:00", "2026-10-12T06:00:00", "2026-10-19T06:00:00", "2026-10-26T06:00:00"]


def model_path(name: str) -> Path:
    return EXISTING.get(name, MODELS / f"{name}.joblib")


def fit_candidates(force: bool) -> None:
    frame = pd.read_csv(train.TRAIN_CSV)
    MODELS.mkdir(parents=True, exist_ok=True)
    for name, (recipe, share, seed) in CANDIDATES.items():
        path = model_path(name)
        if recipe is None or (path.exists() and not force):
            continue
        rows = frame.sample(frac=share, random_state=seed) if share < 1 else frame
        t0 = time.perf_counter()
        model = recipe().fit(rows[train.FEATURES], rows[train.TARGET])
        joblib.dump(model, path)
        print(f"trained {name} on {len(rows):,} rows ({time.perf_counter() - t0:.1f}s)")


def drifting_week(test: pd.DataFrame, week: int, rng: np.random.Generator) -> pd.DataFrame:
    """A week of labelled data: rows of the test set drawn so that older people become more
    frequent and more occupations go missing as the month goes on (week 0 is the test set's
    own mix; by week 3 the age PSI is about 0.2 and 15 % of occupations are missing)."""
    weights = np.exp(0.12 * week * (test["age"].to_numpy() - 38) / 13)
    rows = rng.choice(len(test), size=6000, replace=True, p=weights / weights.sum())
    batch = test.iloc[rows].reset_index(drop=True)
    missing = rng.random(len(batch)) < 0.03 * week
    batch.loc[missing, "occupation"] = np.nan
    return batch


def run(spec: Path, when: str, branch: str, pull_request: int | None, release: bool) -> dict:
    from pytest_modelgate import run_gates
    from pytest_modelgate.report.json_report import build_report

    t0 = time.perf_counter()
    gate_run = run_gates(spec)
    report = build_report(
        gate_run.results,
        gate_run.decision,
        gate_run.lineage,
        spec_path=os.path.relpath(spec, HERE.parent),
        task=gate_run.task,
    )
    promoted = release and pull_request is None and report["decision"] in ("promote", "canary")
    history = {
        "run_id": None,  # the store numbers its runs; the dashboard falls back to the order
        "recorded_at": datetime.fromisoformat(when).replace(tzinfo=timezone.utc).isoformat(),
        "promoted": promoted,
        "branch": branch,
        "commit": None,  # simulated runs have no commit of their own
        "pull_request": pull_request,
        "partial": False,
    }
    print(
        f"{when[:10]}  {branch:<26} {report['decision'].upper():<8}"
        f"{' promoted' if promoted else '         '}  ({time.perf_counter() - t0:.1f}s)"
    )
    return {**report, "history": history}


def simulate(force: bool) -> list[dict]:
    train.prepare_data(False)
    fit_candidates(force)
    BUILD.mkdir(parents=True, exist_ok=True)
    production = BUILD / "production.joblib"
    shutil.copyfile(model_path("v0"), production)
    records = []
    for when, spec, name, branch, pr in RELEASES:
        shutil.copyfile(model_path(name), BUILD / "candidate.joblib")
        record = run(HISTORY / f"{spec}.yaml", when, branch, pr, release=True)
        records.append(record)
        if record["history"]["promoted"]:
            shutil.copyfile(model_path(name), production)
    test = pd.read_csv(train.TEST_CSV)
    rng = np.random.default_rng(2026)
    for week, when in enumerate(WEEKS):
        drifting_week(test, week, rng).to_csv(BUILD / "week.csv.gz", index=False)
        records.append(run(HISTORY / "monitor.yaml", when, "main", None, release=False))
    return records


def write(records: list[dict]) -> None:
    text = "".join(json.dumps(r, allow_nan=False) + "\n" for r in records)
    JSONL.write_text(text, encoding="utf-8")
    print(f"wrote {os.path.relpath(JSONL)}: {len(records)} records")
    try:
        from pytest_modelgate.history import open_store
    except ImportError:
        return  # the history store is not part of this installation: JSON Lines only
    STORE.unlink(missing_ok=True)
    store = open_store(STORE)
    try:
        for record in records:
            store.append(record)
    finally:
        store.close()
    print(f"wrote {os.path.relpath(STORE)}: {len(records)} runs")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--force", action="store_true", help="retrain every candidate")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    write(simulate(args.force))
    print(f"simulated history in {time.perf_counter() - t0:.0f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
