"""The stored baseline: what ``--modelgate-update-baseline`` writes and compare gates read.

``<baseline.store>/`` holds two small, reviewable files meant to be committed:

- ``baseline.json``: when and from what it was made (sha256 of the test data, the model file and
  the spec; row count; task; classes; seed; versions) and the candidate's metrics with their
  intervals (the numbers an unpaired comparison falls back to);
- ``predictions.csv.gz``: the candidate's per-row predicted labels and scores on the test rows,
  in row order (the baseline of later paired comparisons), gzip with a fixed timestamp so the
  same predictions give the same bytes.

Reading checks the fingerprint: a baseline made on other test data is never paired with these
rows; the compare gates ERROR and say what changed. The checksums detect accidental edits and
files from two different runs; they are not a signature (whoever can edit the file can recompute
them): integrity against a deliberate editor comes from reviewing the committed baseline.

Two ``--modelgate-update-baseline`` runs on one store take turns (an exclusive ``flock`` on the
store folder, POSIX): the files left are both from the run that wrote last.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import json
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pytest_modelgate._paths import atomic_write, display_path
from pytest_modelgate.errors import DataError
from pytest_modelgate.evidence.core import Evidence
from pytest_modelgate.inputs.loading import Predictions

__all__ = ["StoredBaseline", "read_stored_baseline", "write_stored_baseline"]

META = "baseline.json"
PREDICTIONS = "predictions.csv.gz"
FORMAT_VERSION = 2  # 2 adds checksum and predictions_sha256; 1 is still read


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


@contextlib.contextmanager
def _store_lock(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on the store folder while its two files are replaced, so two
    concurrent runs cannot leave one run's predictions next to the other's baseline.json. The
    folder itself is locked (no lock file to commit by mistake); without ``fcntl`` (Windows)
    nothing is locked and the checksums still catch a mixed pair on reading."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _finite(x: Any) -> Any:
    """NaN and infinities as ``None``: baseline.json is read by other tools (``jq``,
    ``JSON.parse``), which refuse the ``NaN`` token Python would write."""
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_finite(v) for v in x]
    return x


def write_stored_baseline(
    folder: Path, *, evidence: Evidence, metrics: dict[str, Any], fingerprints: dict[str, Any]
) -> list[Path]:
    """Write ``baseline.json`` and ``predictions.csv.gz`` atomically, holding the store's lock;
    return the paths."""
    evidence.require_rows("a stored baseline", "it keeps one prediction per test row")
    folder.mkdir(parents=True, exist_ok=True)
    with _store_lock(folder):
        return _write_locked(folder, evidence, metrics, fingerprints)


def _write_locked(
    folder: Path, evidence: Evidence, metrics: dict[str, Any], fingerprints: dict[str, Any]
) -> list[Path]:
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
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0, filename="") as fh:
        fh.write(text.encode())
    gz = buffer.getvalue()
    atomic_write(pred_path, gz)
    meta = {
        "format_version": FORMAT_VERSION,
        "predictions_sha256": hashlib.sha256(gz).hexdigest(),
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        **fingerprints,
        "task": evidence.task,
        "classes": [
            c if isinstance(c, (str, int, float, bool)) else str(c) for c in evidence.classes
        ],
        "score_kind": evidence.score_kind,
        "metrics": metrics,
    }
    meta = _finite(json.loads(json.dumps(meta, default=_json_default)))  # plain JSON types only
    meta["checksum"] = _checksum(meta)
    meta_path = folder / META
    atomic_write(meta_path, json.dumps(meta, indent=2) + "\n")
    return [meta_path, pred_path]


def _checksum(meta: dict[str, Any]) -> str:
    """sha256 of the canonical JSON of everything but the checksum itself: a hand edit of
    ``baseline.json`` (a number nudged, a fingerprint pasted) is detected on reading."""
    body = {k: v for k, v in meta.items() if k != "checksum"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


_REFRESH = (
    "restore the committed file (git checkout -- {path}) or re-create the baseline from the "
    "production model with --modelgate-update-baseline"
)


def _shape_problem(meta: Any) -> str | None:
    """What is structurally wrong with a parsed ``baseline.json`` (None if nothing)."""
    if not isinstance(meta, dict):
        return f"the top level is a {type(meta).__name__}, not an object"
    if meta.get("format_version") not in (1, FORMAT_VERSION):
        return (
            f"format_version {meta.get('format_version')!r} is not one this version reads "
            f"(1 and {FORMAT_VERSION})"
        )
    for key in ("data", "metrics"):
        if key in meta and not isinstance(meta[key], dict):
            return f"{key!r} is a {type(meta[key]).__name__}, not an object"
    for name, entry in (meta.get("metrics") or {}).items():
        ok = isinstance(entry, dict) and isinstance(entry.get("estimate"), (int, float, type(None)))
        interval = entry.get("interval") if isinstance(entry, dict) else None
        if ok and interval is not None:
            ok = isinstance(interval, dict) and all(
                isinstance(interval.get(k), (int, float, type(None))) for k in ("low", "high")
            )
        if not ok:
            return (
                f"metrics.{name} must be an object with a numeric 'estimate' and an "
                "'interval' {low, high, level, method}"
            )
    return None


def _json_default(x: Any) -> Any:
    if hasattr(x, "item"):
        return x.item()
    return str(x)


def _stored_labels(frame: pd.DataFrame, meta: dict[str, Any]) -> np.ndarray | None:
    """The stored predicted labels with their own types back: each text is mapped to the class
    it was written from (``"1"`` → 1, ``"01"`` stays ``"01"``); regression values are numbers;
    an empty cell is missing (NaN)."""
    if "prediction" not in frame:
        return None
    text = frame["prediction"].to_numpy(dtype=object)
    empty = text == ""
    classes = meta.get("classes")
    if meta.get("task") == "regression" or not classes:
        values = pd.to_numeric(pd.Series(text).where(~empty), errors="coerce").to_numpy()
        return values
    lookup = {str(c): c for c in classes}
    out = np.array([lookup.get(t, t) for t in text], dtype=object)
    out[empty] = np.nan
    return out


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
    shown = display_path(meta_path)
    refresh = _REFRESH.format(path=shown)
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"{shown}: cannot read the stored baseline ({exc}); {refresh}") from None
    problem = _shape_problem(meta)
    if problem:
        raise DataError(
            f"{shown}: not a stored baseline this version can read: {problem}; {refresh}"
        )
    checked = meta.get("format_version") == FORMAT_VERSION  # format 1 had no checksums
    missing = [k for k in ("checksum", "predictions_sha256") if checked and k not in meta]
    if missing or ("checksum" in meta and meta["checksum"] != _checksum(meta)):
        what = (
            f"its {' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} missing"
            if missing
            else "its checksum does not match its content"
        )
        raise DataError(
            f"{shown}: the stored baseline was changed after it was written ({what}), so its "
            "numbers and fingerprints cannot be trusted. If the change was not meant: "
            f"{refresh}. A baseline is never edited by hand: to change it, store a model's "
            "predictions again with --modelgate-update-baseline and commit both files"
        )
    pred_path = folder / PREDICTIONS
    if not pred_path.is_file():  # numbers only: compare gates fall back to unpaired tests
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
        raw = pred_path.read_bytes()
        expected = meta.get("predictions_sha256")
        if expected and hashlib.sha256(raw).hexdigest() != expected:
            raise DataError(
                f"{display_path(pred_path)}: the stored predictions were changed after "
                f"{shown} was written (sha256 differs); "
                + _REFRESH.format(path=display_path(pred_path))
            )
        text = gzip.decompress(raw)
        # labels are read as the text they were written as, never type- or NA-guessed ("01",
        # "None" and "NA" are class names); they are mapped back to the classes' own types below
        frame = pd.read_csv(io.BytesIO(text), dtype={"prediction": str}, keep_default_na=False)
    except DataError:
        raise
    except Exception as exc:
        raise DataError(
            f"{display_path(pred_path)}: cannot read the stored predictions "
            f"({type(exc).__name__}: {exc}); " + _REFRESH.format(path=display_path(pred_path))
        ) from None
    if len(frame) != n_rows:
        raise DataError(
            f"{display_path(pred_path)}: {len(frame)} stored predictions for "
            f"{n_rows} test rows; refresh with --modelgate-update-baseline"
        )
    labels = _stored_labels(frame, meta)
    score_cols = [c for c in frame.columns if c == "score" or c.startswith("score[")]
    scores = None
    try:
        if score_cols == ["score"]:
            scores = pd.to_numeric(frame["score"].replace("", np.nan)).to_numpy(dtype=float)
        elif score_cols:
            scores = (
                frame[score_cols].replace("", np.nan).apply(pd.to_numeric).to_numpy(dtype=float)
            )
    except (TypeError, ValueError):
        raise DataError(
            f"{display_path(pred_path)}: the stored scores are not all numbers; {refresh}"
        ) from None
    if scores is not None and not np.all(np.isfinite(scores)):
        bad = (
            int((~np.isfinite(scores)).any(axis=-1).sum())
            if scores.ndim > 1
            else int((~np.isfinite(scores)).sum())
        )
        raise DataError(
            f"{display_path(pred_path)}: {bad} stored score row(s) are empty or not finite; "
            + refresh
        )
    if labels is not None and (empty := int(pd.isna(labels).sum())):
        raise DataError(
            f"{display_path(pred_path)}: {empty} stored prediction(s) are empty; {refresh}"
        )
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


def store_candidate(
    folder: Path,
    inputs: Any,
    gates: Any,
    results: Any,
    *,
    lineage: dict[str, Any],
    data_sha256: str,
) -> list[Path]:
    """Store the candidate's predictions and numbers as the baseline: the estimate of every
    gated metric (the numbers an unpaired comparison needs, also for compare gates), taken from
    the results where a gate already estimated it."""
    from pytest_modelgate.results import interval_to_dict

    candidate = inputs.candidate
    candidate.require_rows(
        "storing the baseline (--modelgate-update-baseline)",
        "the stored baseline keeps per-row predictions to pair later runs with",
    )
    metrics: dict[str, Any] = {}
    for r in results:
        if r.kind == "metric" and r.slice is None and r.metric and r.interval is not None:
            metrics.setdefault(
                r.metric,
                {"estimate": r.estimate, "interval": interval_to_dict(r.interval), "n": r.n},
            )
    for gate in gates:
        name = gate.metric
        if name is None:
            continue
        metric = inputs.metric(name)
        if metric.name in metrics:
            continue
        est = inputs.estimate(name, opts=inputs.defaults.options(gate))
        metrics[metric.name] = {
            "estimate": est.estimate,
            "interval": interval_to_dict(est.interval),
            "n": est.n,
        }
    fingerprints = {
        "data": {
            "path": lineage["data"]["test"]["path"],
            "sha256": data_sha256,
            "rows": candidate.n,
        },
        "model": lineage["models"].get("candidate"),
        "spec": lineage["spec"],
        "seed": lineage["seed"],
        "versions": lineage["versions"],
    }
    return write_stored_baseline(
        folder, evidence=candidate, metrics=metrics, fingerprints=fingerprints
    )
