"""The run's side of the history: which store a spec names, what the gates read from it, and
the record a finished run appends (see docs/history.md)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from pytest_modelgate.errors import DataError

__all__ = ["record_run", "release_history", "store_target"]

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def store_target(spec: Any) -> str | Path | None:
    """The spec's history store: a path (resolved against the spec's folder) or a URL with
    ``${NAME}`` replaced from the environment; None with ``history: false``.

    Raises
    ------
    DataError
        A ``${NAME}`` that is not set (the message names it, never its value).
    """
    history = spec.doc.history
    if history is False:
        return None
    text = history.store
    missing = [m for m in _ENV.findall(text) if m not in os.environ]
    if missing:
        raise DataError(
            f"{spec.where('history', 'store')}: the environment variable "
            f"{', '.join(missing)} is not set (the store URL names it as ${{{missing[0]}}})"
        )
    text = _ENV.sub(lambda m: os.environ[m.group(1)], text)
    if text.startswith(("postgresql://", "postgres://")):
        return text
    return spec.resolve(text)


def _open(spec: Any) -> Any:
    from pytest_modelgate.history import HistoryError, open_store

    target = store_target(spec)
    if target is None:
        raise DataError(
            f"{spec.where('history')}: history is false, so compare: previous and trend gates "
            "have no releases to read; remove `history: false` or these gates"
        )
    try:
        return open_store(target)
    except HistoryError as exc:
        raise DataError(f"{spec.where('history', 'store')}: {exc}") from None


def _rows_frame(session: Any) -> Any:
    """The test rows as the fingerprint sees them: without the models' prediction columns.

    A release whose candidate was one prediction column and a later run whose candidate is
    another column of the same file gate the same rows; and when both models are prediction
    columns a run reads only the columns its spec names (#16), so the model's own columns
    must not decide whether the rows match."""
    from pytest_modelgate.spec.models import PredictionColumns

    frame = session.loaded.data.frame
    models = session.spec.models
    drop: set[str] = set()
    for ref in (models.candidate, models.baseline):
        if isinstance(ref, PredictionColumns):
            drop.update(c for c in [ref.predictions] if c)
            if ref.scores:
                drop.update([ref.scores] if isinstance(ref.scores, str) else ref.scores)
    kept = [c for c in frame.columns if c not in drop]
    return frame[kept] if drop else frame


def release_history(session: Any) -> Any:
    """What ``compare: previous``/``trend`` gates read (opened on first use by such a gate)."""
    from pytest_modelgate.history.predictions import rows_fingerprint
    from pytest_modelgate.history.previous import ReleaseHistory

    spec = session.spec
    fingerprint = None if session.grouped else rows_fingerprint(_rows_frame(session))
    return ReleaseHistory(_open(spec), fingerprint, spec.display_name)


def _gated_metrics(session: Any, results: Any) -> dict[str, Any]:
    """The estimate and interval of every gated metric on all rows: from the metric gates'
    results where they have one, else estimated (cached when the gates already did)."""
    from pytest_modelgate.results import interval_to_dict

    numbers: dict[str, Any] = {}
    for r in results:
        if r.kind == "metric" and r.slice is None and r.metric and r.has_interval:
            numbers.setdefault(
                r.metric,
                {"estimate": r.estimate, "interval": interval_to_dict(r.interval), "n": r.n},
            )
    inputs = session.inputs
    for gate in session.spec.gates:
        if gate.metric is None or gate.kind not in ("metric", "compare"):
            continue
        name = inputs.metric(gate.metric).name
        if name in numbers:
            continue
        est = inputs.estimate(gate.metric, opts=inputs.defaults.options(gate))
        if est.interval.is_defined:
            numbers[name] = {
                "estimate": est.estimate,
                "interval": interval_to_dict(est.interval),
                "n": est.n,
            }
    return numbers


def record_run(
    session: Any,
    report: dict[str, Any],
    results: Any,
    *,
    partial: bool,
    context: dict[str, Any] | None = None,
) -> tuple[int, bool, str]:
    """Append this run's record (and, for a promoted release on a memory engine, its per-row
    predictions); returns (run id, promoted, where the store is).

    Raises
    ------
    DataError
        The store cannot be opened or written (the message names it).
    """
    from pytest_modelgate.errors import ModelgateError
    from pytest_modelgate.history import HistoryError, StoredPredictions, build_record, run_context
    from pytest_modelgate.history.predictions import pack_predictions, rows_fingerprint

    spec = session.spec
    context = context if context is not None else run_context(spec.root)
    try:
        metrics = _gated_metrics(session, results)
    except ModelgateError:  # the data or the model failed: the gates ERROR, the run is recorded
        metrics = {}
    record = build_record(report, context=context, partial=partial, metrics=metrics)
    predictions = None
    # every full run off a pull request keeps its predictions (about 9 bytes a row): it may be
    # promoted later by hand (modelgate history promote), and then compare: previous pairs
    keep = spec.doc.history is not False and spec.doc.history.predictions
    if keep and not partial and context.get("pull_request") is None and not session.grouped:
        try:
            candidate = session.loaded.candidate
            predictions = StoredPredictions(
                0, rows_fingerprint(_rows_frame(session)), pack_predictions(candidate)
            )
        except ModelgateError:
            predictions = None
    store = _open(spec)
    try:
        run_id = store.append(record, predictions)
    except HistoryError as exc:
        raise DataError(f"{spec.where('history', 'store')}: {exc}") from None
    finally:
        store.close()
    return run_id, bool(record["history"]["promoted"]), store.where
