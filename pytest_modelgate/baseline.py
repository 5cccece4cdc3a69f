"""The stored baseline: what ``--modelgate-update-baseline`` writes and compare gates read.

``<baseline.store>/`` holds two small, reviewable files meant to be committed:

- ``baseline.json``: when and from what it was made (sha256 of the test data, the model file and
  the spec; row count; task; classes; seed; versions) and the candidate's metrics with their
  intervals (the numbers an unpaired comparison falls back to);
- ``predictions.csv.gz``: the candidate's per-row predicted labels and scores on the test rows,
  in row order (the baseline of later paired comparisons), gzip with a fixed timestamp so the
  same predictions give the same bytes.

Reading checks the fingerprint: a baseline made on other test data is never paired with these
rows; the compare gates ERROR and say what changed.
"""

from __future__ import annotations

import gzip
import io
import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._paths import display_path
from .errors import DataError
from .evidence import Evidence
from .loading import Predictions

__all__ = ["StoredBaseline", "read_stored_baseline", "write_stored_baseline"]

META = "baseline.json"
PREDICTIONS = "predictions.csv.gz"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class StoredBaseline:
    """A stored baseline as read back: its metadata and, if present, per-row predictions."""

    folder: Path
    meta: dict[str, Any]
    predictions: Predictions | None

    def number(self, metric: str) -> dict[str, Any] | None:
        """The stored estimate and interval of ``metric`` (for unpaired comparisons)."""
        return (self.meta.get("metrics") or {}).get(metric)

    @property
    def describe(self) -> str:
        made = self.meta.get("created_at", "?")
        model = (self.meta.get("model") or {}).get("sha256") or "?"
        return (
            f"stored baseline {display_path(self.folder)} (made {made}, model sha256 {model[:12]})"
        )


def write_stored_baseline(
    folder: Path, *, evidence: Evidence, metrics: dict[str, Any], fingerprints: dict[str, Any]
) -> list[Path]:
    """Write ``baseline.json`` and ``predictions.csv.gz`` atomically; return the paths."""
    evidence.require_rows("a stored baseline", "it keeps one prediction per test row")
    folder.mkdir(parents=True, exist_ok=True)
    columns: dict[str, Any] = {}
    if evidence.y_pred is not None:
        if evidence.task == "regression":
            columns["prediction"] = evidence.y_pred
        else:
            columns["prediction"] = np.asarray(evidence.classes, dtype=object)[evidence.y_pred]
    if evidence.scores is not None:
        if evidence.scores.ndim == 1:
            columns["score"] = evidence.scores
        else:
            for i, cls in enumerate(evidence.classes):
                columns[f"score[{cls}]"] = evidence.scores[:, i]
    text = pd.DataFrame(columns).to_csv(index=False, float_format="%.17g")
    pred_path = folder / PREDICTIONS
    tmp = pred_path.with_suffix(".tmp")
    with gzip.GzipFile(tmp, mode="wb", mtime=0) as fh:
        fh.write(text.encode())
    os.replace(tmp, pred_path)
    meta = {
        "format_version": FORMAT_VERSION,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        **fingerprints,
        "task": evidence.task,
        "classes": [
            c if isinstance(c, (str, int, float, bool)) else str(c) for c in evidence.classes
        ],
        "score_kind": evidence.score_kind,
        "metrics": metrics,
    }
    meta_path = folder / META
    tmp = meta_path.with_suffix(".tmp")
    tmp.write_text(json.dumps(meta, indent=2, default=_json_default) + "\n", encoding="utf-8")
    os.replace(tmp, meta_path)
    return [meta_path, pred_path]


def _json_default(x: Any) -> Any:
    if hasattr(x, "item"):
        return x.item()
    return str(x)


def read_stored_baseline(folder: Path, *, data_sha256: str, n_rows: int) -> StoredBaseline | None:
    """The stored baseline under ``folder`` (None if there is none).

    Raises
    ------
    DataError
        When the files cannot be read, or the per-row predictions were made on other test data
        (sha256 or row count differ): pairing them with these rows would be meaningless.
    """
    meta_path = folder / META
    if not meta_path.is_file():
        return None
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise DataError(
            f"{display_path(meta_path)}: cannot read the stored baseline ({exc}); "
            "refresh it with --modelgate-update-baseline"
        ) from None
    pred_path = folder / PREDICTIONS
    if not pred_path.is_file():
        return StoredBaseline(folder, meta, None)
    stored_data = meta.get("data") or {}
    changes = []
    if stored_data.get("sha256") != data_sha256:
        changes.append(
            f"test data sha256 {str(stored_data.get('sha256'))[:12]} → {data_sha256[:12]}"
        )
    if stored_data.get("rows") != n_rows:
        changes.append(f"rows {stored_data.get('rows')} → {n_rows}")
    if changes:
        raise DataError(
            f"{display_path(folder)}: the stored baseline was made on other test data "
            f"({'; '.join(changes)}); its per-row predictions cannot be paired with these rows. "
            "If the new test data is intended, re-store the production model's predictions: run "
            "the gates with the production model as candidate and --modelgate-update-baseline "
            "(or point models.baseline at the production model)"
        )
    try:
        with gzip.open(pred_path, "rb") as fh:
            frame = pd.read_csv(io.BytesIO(fh.read()))
    except Exception as exc:
        raise DataError(
            f"{display_path(pred_path)}: cannot read the stored predictions "
            f"({type(exc).__name__}: {exc})"
        ) from None
    if len(frame) != n_rows:
        raise DataError(
            f"{display_path(pred_path)}: {len(frame)} stored predictions for "
            f"{n_rows} test rows; refresh with --modelgate-update-baseline"
        )
    labels = frame["prediction"].to_numpy() if "prediction" in frame else None
    score_cols = [c for c in frame.columns if c == "score" or c.startswith("score[")]
    scores = None
    if score_cols == ["score"]:
        scores = frame["score"].to_numpy(dtype=float)
    elif score_cols:
        scores = frame[score_cols].to_numpy(dtype=float)
    classes = tuple(meta.get("classes") or ()) or None
    kind = meta.get("score_kind") if scores is not None else None
    preds = Predictions(
        labels,
        scores,
        classes if scores is not None and scores.ndim == 2 else None,
        kind,
        f"stored baseline {display_path(folder)}",
    )
    return StoredBaseline(folder, meta, preds)
