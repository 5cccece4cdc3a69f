"""``--modelgate-scan`` and ``--modelgate-mutate`` on a loaded spec: the session's data, evidence,
slicings and baseline handed to :mod:`pytest_modelgate.audit` (from Python too:
:func:`pytest_modelgate.scan_gates`, :func:`pytest_modelgate.mutate_gates`)."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd

from pytest_modelgate.errors import DataError

__all__ = ["mutate_gates", "mutate_session", "scan_gates", "scan_session"]


def default_scan_metric(task: str) -> str:
    return "mae" if task == "regression" else "accuracy"


def _scan_columns(session: Any, frame: pd.DataFrame) -> list[str]:
    """``scan.columns``, else ``data.sensitive`` and every model input column."""
    spec = session.spec
    if spec.doc.scan.columns is not None:
        return list(spec.doc.scan.columns)
    columns = list(spec.data.sensitive)
    if isinstance(spec.models.candidate, str):
        try:
            _model, features = session.model_and_features("candidate")
            columns.extend(features.columns)
        except Exception:
            pass
    elif spec.data.features:
        columns.extend(spec.data.features)
    return [str(c) for c in dict.fromkeys(columns)]


def scan_session(session: Any) -> Any:
    """The scan of a session's candidate (``scan:`` options of the spec)."""
    from pytest_modelgate.audit.scan import scan_slices
    from pytest_modelgate.estimates.metrics import get_metric

    spec = session.spec
    opts = spec.doc.scan
    if session.grouped:
        raise DataError(
            f"--modelgate-scan needs the individual rows; data.engine is {session.engine} "
            "(run the scan from a spec with data.engine: memory, on a sample if needed)"
        )
    loaded = session.loaded
    frame = loaded.data.frame
    evidence = loaded.candidate
    columns = _scan_columns(session, frame)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(
            f"{spec.where('scan', 'columns')}: column(s) {', '.join(map(repr, missing))} not in "
            "the test data"
        )
    discovery = None
    if spec.data.scan is not None:
        frame, evidence, discovery = _with_scan_rows(session, frame, evidence)
    name = opts.metric or default_scan_metric(loaded.task)
    try:
        metric = get_metric(name, loaded.task)
    except KeyError:
        raise DataError(
            f"{spec.where('scan', 'metric')}: unknown metric for task {loaded.task} (got {name!r})"
        ) from None
    return scan_slices(
        evidence,
        frame,
        metric,
        columns=columns,
        seed=session.seed,
        max_depth=opts.max_depth,
        bins=opts.bins,
        min_support=opts.min_support,
        alpha=opts.alpha,
        correction=opts.correction,
        max_candidates=opts.max_candidates,
        level=spec.stats.confidence,
        discovery_rows=discovery,
    )


def _with_scan_rows(session: Any, frame: pd.DataFrame, evidence: Any) -> tuple[Any, Any, Any]:
    """``data.scan`` rows (predicted by the candidate) followed by the test rows: the first
    discover, the others confirm."""
    from dataclasses import replace

    from pytest_modelgate.inputs.loading import read_table, text_columns_of

    spec = session.spec
    path = spec.resolve(spec.data.scan)
    scan_frame = read_table(
        path,
        na_values=spec.data.na_values,
        text_columns=text_columns_of(spec),
        where=spec.where("data", "scan"),
    )
    scan_ev = session.evidence_on(scan_frame, path, os.fspath(spec.data.scan))
    if scan_ev.classes != evidence.classes:
        raise DataError(
            f"{spec.where('data', 'scan')}: its labels {list(scan_ev.classes)} differ from the "
            f"test data's {list(evidence.classes)}"
        )

    def cat(a: Any, b: Any) -> Any:
        return None if a is None or b is None else np.concatenate([a, b])

    both = replace(
        evidence,
        y_true=np.concatenate([scan_ev.y_true, evidence.y_true]),
        y_pred=cat(scan_ev.y_pred, evidence.y_pred),
        scores=cat(scan_ev.scores, evidence.scores),
    )
    joined = pd.concat([scan_frame, frame], ignore_index=True)
    discovery = np.arange(len(joined)) < len(scan_frame)
    return joined, both, discovery


def mutation_context(session: Any) -> Any:
    """What the operators read: the candidate, the sensitive columns, the model if any."""
    from pytest_modelgate.audit.mutants import MutationContext

    spec = session.spec
    loaded = session.loaded
    features = predict = None
    if isinstance(spec.models.candidate, str) and not session.grouped:
        _model, features = session.model_and_features("candidate")
        full = loaded.data.frame

        def predict(changed: pd.DataFrame) -> Any:
            frame = full.copy()
            frame[list(changed.columns)] = changed
            ev = session.evidence_on(frame, loaded.data.path, "mutant")
            return session._with_design(ev, frame)

    threshold = spec.models.threshold
    if threshold is None:
        threshold = 0.0 if loaded.candidate.score_kind == "decision_function" else 0.5
    return MutationContext(
        evidence=loaded.candidate,
        frame=loaded.data.frame,
        sensitive=list(spec.data.sensitive),
        seed=session.seed,
        features=features,
        predict=predict,
        threshold=threshold,
    )


def mutate_session(session: Any) -> Any:
    from pytest_modelgate.audit.mutate import run_mutation

    spec = session.spec
    return run_mutation(
        spec.gates,
        session.inputs,
        mutation_context(session),
        task=session.loaded.task,
        operators=spec.doc.mutate.operators,
    )


def _session(spec: Any, seed: int | None) -> Any:
    from pytest_modelgate.runner.session import GateSession
    from pytest_modelgate.spec import Spec, load_spec

    loaded = spec if isinstance(spec, Spec) else load_spec(spec)
    return GateSession(loaded, seed)


def scan_gates(spec: Any, *, seed: int | None = None) -> Any:
    """``--modelgate-scan`` without pytest: the :class:`~pytest_modelgate.audit.scan.ScanResult`
    of a spec (a path to ``gates.yaml`` or a loaded spec)."""
    return scan_session(_session(spec, seed))


def mutate_gates(spec: Any, *, seed: int | None = None) -> Any:
    """``--modelgate-mutate`` without pytest: the
    :class:`~pytest_modelgate.audit.mutate.MutationReport` of a spec."""
    return mutate_session(_session(spec, seed))
