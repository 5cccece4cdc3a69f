"""A promoted release's per-row predictions, compactly, and the fingerprint of the rows.

``compare: previous`` pairs the candidate with the last promoted release only when that
release's predictions were made on the *same test rows*: the fingerprint is the sha256 of the
column names and of pandas' per-row hash of every cell (``hash_pandas_object``, vectorised), so
the same rows give the same fingerprint whatever file format or compression they were read
from, and any changed, added, removed or reordered row gives another one.

The payload is a compressed ``.npz`` (no pickles): the predicted class codes (or values), the
scores as float64 (exact: ties in a ranking metric stay what they were) and a JSON header with
the task, the classes and the score kind.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import replace
from typing import Any

import numpy as np

__all__ = ["pack_predictions", "rows_fingerprint", "unpack_predictions"]


def rows_fingerprint(frame: Any) -> str:
    """sha256 of the test rows (column names, row order and every cell)."""
    import pandas as pd

    digest = hashlib.sha256()
    digest.update(json.dumps([str(c) for c in frame.columns]).encode())
    digest.update(str(len(frame)).encode())
    hashed = pd.util.hash_pandas_object(frame, index=False).to_numpy(dtype=np.uint64)
    digest.update(np.ascontiguousarray(hashed).tobytes())
    return "rows-sha256:" + digest.hexdigest()


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def pack_predictions(evidence: Any) -> bytes:
    """The candidate evidence's predictions and scores as a compressed payload."""
    header = {
        "task": evidence.task,
        "classes": [_plain(c) for c in evidence.classes],
        "score_kind": evidence.score_kind,
        "n": int(evidence.n_stored),
    }
    arrays: dict[str, np.ndarray] = {"header": np.array(json.dumps(header, default=str))}
    if evidence.y_pred is not None:
        arrays["y_pred"] = np.asarray(evidence.y_pred)
    if evidence.scores is not None:
        arrays["scores"] = np.asarray(evidence.scores, dtype=np.float64)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)  # type: ignore[arg-type]
    return buffer.getvalue()


def unpack_predictions(payload: bytes, candidate: Any) -> tuple[Any | None, str]:
    """The stored release as evidence on the candidate's rows (same labels, its predictions),
    or ``(None, why not)`` when it cannot be paired (other task, classes or row count, or
    predictions the candidate's gates need are missing)."""
    with np.load(io.BytesIO(payload), allow_pickle=False) as npz:
        header = json.loads(str(npz["header"]))
        y_pred = npz["y_pred"] if "y_pred" in npz.files else None
        scores = npz["scores"] if "scores" in npz.files else None
    if header["task"] != candidate.task:
        return None, f"the release was a {header['task']} task, this run is {candidate.task}"
    classes = [_plain(c) for c in candidate.classes]
    if [str(c) for c in header["classes"]] != [str(c) for c in classes]:
        return None, (f"the release's classes {header['classes']} differ from this run's {classes}")
    if int(header["n"]) != candidate.n_stored:
        return None, f"the release has {header['n']} rows, this run {candidate.n_stored}"
    if (candidate.y_pred is not None) != (y_pred is not None) or (candidate.scores is not None) != (
        scores is not None
    ):
        return None, "the release stored other predictions (labels/scores) than this run has"
    release = replace(
        candidate,
        y_pred=y_pred,
        scores=scores,
        score_kind=header.get("score_kind"),
        source="the last promoted release",
    )
    return release, ""
