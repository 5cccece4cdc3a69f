"""``check:`` gates: data checks, training–serving skew, latency, model size, behaviour.

Each ``run_*`` takes the gate and the session (data, reference data, model, predictions) and
returns one :class:`~pytest_modelgate.results.CheckResult`. The statistics live in
:mod:`pytest_modelgate.datachecks` (pure functions); this module turns them into verdicts and
messages that say what was measured, the rule, and what to do next.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd

from pytest_modelgate.errors import DataError, ModelError, did_you_mean
from pytest_modelgate.results import CheckResult, GroupValue, Threshold, Verdict

__all__ = ["run_check"]


def _base(gate: Any) -> dict[str, Any]:
    return {
        "id": gate.id,
        "name": gate.id,
        "kind": "check",
        "severity": gate.severity,
        "line": gate.line,
        "spec_file": gate.file,
        "metric": gate.config.check,
        "evidence": "point",  # a statistic against a threshold: no interval
    }


def _table(rows: list[tuple[str, str]]) -> str:
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"  {k.ljust(width)}  {v}" for k, v in rows)


def _from_data_result(gate: Any, res: Any, rule: str, advice: str) -> CheckResult:
    findings = list(res.findings)
    flagged = [f for f in findings if f.flagged]
    worst = findings[0] if findings else None
    rows = [("check", gate.config.check), ("rule", rule)]
    if res.n_reference is not None:
        rows.append(("rows", f"test {res.n_test}, reference {res.n_reference}"))
    elif res.n_test is not None:
        rows.append(("rows", str(res.n_test)))
    for f in findings[:8]:
        mark = "FLAGGED " if f.flagged else ""
        rows.append((f.column, f"{mark}{f.detail}"))
    if len(findings) > 8:
        rows.append(("...", f"{len(findings) - 8} more columns (all in the JSON report)"))
    if flagged:
        rows.append(("next", advice))
    verdict = Verdict.PASS if res.passed else Verdict.FAIL
    threshold = None
    if worst is not None and worst.threshold is not None:
        # tests (ks, chi2) flag a column when its adjusted p-value falls *below* alpha
        is_test = getattr(gate.config, "method", None) in ("ks", "chi2")
        threshold = Threshold(min=worst.threshold) if is_test else Threshold(max=worst.threshold)
    return CheckResult(
        verdict=verdict,
        message=f"{verdict.value}: {res.summary}",
        details=_table(rows),
        estimate=float(worst.statistic) if worst is not None else None,
        threshold=threshold,
        rule=rule,
        n=res.n_test,
        p_value=worst.p_value if worst is not None else None,
        p_adjusted=worst.p_adjusted if worst is not None else None,
        groups=tuple(
            GroupValue(
                f.column,
                res.n_test or 0,
                {"statistic": float(f.statistic)},
                flagged=f.flagged,
                detail=f.detail,
            )
            for f in findings
        ),
        **_base(gate),
    )


def _reference(session: Any, gate: Any) -> pd.DataFrame:
    spec = session.spec
    if spec.data.reference is None:
        raise DataError(
            f"{spec.where('gates', gate.index, 'check')}: `check: "
            f"{gate.config.check}` compares with reference data: set data.reference "
            "in the spec (e.g. the training data)"
        )
    return session.reference_frame


def _feature_columns(session: Any, columns: list[str] | None) -> list[str]:
    if columns:
        return list(columns)
    spec = session.spec
    frame = session.data[0].frame
    skip = {spec.data.target, *spec.data.exclude}
    return [c for c in frame.columns if c not in skip]


def run_check(gate: Any, session: Any) -> CheckResult:
    """Evaluate one ``check:`` gate; a column the statistics cannot handle is a clear ERROR."""
    try:
        return _run_check(gate, session)
    except (KeyError, TypeError, ValueError) as exc:
        text = exc.args[0] if exc.args else str(exc)
        raise DataError(f"{session.spec.where('gates', gate.index, 'check')}: {text}") from None


def _numeric(frame: pd.DataFrame, columns: list[str]) -> list[str]:
    return [
        c
        for c in columns
        if c in frame.columns
        and pd.api.types.is_numeric_dtype(frame[c])
        and not pd.api.types.is_bool_dtype(frame[c])
    ]


def _categorical(frame: pd.DataFrame, columns: list[str]) -> list[str]:
    numeric = set(_numeric(frame, columns))
    return [c for c in columns if c in frame.columns and c not in numeric]


def _run_check(gate: Any, session: Any) -> CheckResult:
    from pytest_modelgate import datachecks as dc

    cfg = gate.config
    kind = cfg.check
    test = session.data[0].frame  # data checks do not need the model's predictions
    if kind == "schema":
        reference = _reference(session, gate)
        cols = (
            list(cfg.columns)
            if cfg.columns
            else [c for c in reference.columns if c != session.spec.data.target]
        )
        res = dc.schema_check(
            reference[[c for c in cols if c in reference.columns]], test, columns=cols
        )
        return _from_data_result(
            gate,
            res,
            "the test data has the reference's columns and "
            "dtype kinds (extra columns are reported, not failed)",
            "fix the data pipeline (a renamed, dropped or retyped column), "
            "or update the reference if the change is intended",
        )
    if kind == "missing_values":
        res = dc.missing_values_check(
            test, columns=_feature_columns(session, cfg.columns), max_fraction=cfg.max_fraction
        )
        return _from_data_result(
            gate,
            res,
            f"missing fraction <= {cfg.max_fraction:g} per column",
            "find where the values are lost upstream; impute only if the model was trained for it",
        )
    if kind == "unseen_categories":
        cols = cfg.columns or _categorical(test, _feature_columns(session, None))
        res = dc.unseen_categories_check(
            _reference(session, gate), test, columns=cols, max_fraction=cfg.max_fraction
        )
        return _from_data_result(
            gate,
            res,
            f"share of rows with categories never seen in the reference <= {cfg.max_fraction:g}",
            "map the new values to known ones, or retrain with data that contains them",
        )
    if kind == "range":
        cols = cfg.columns or _numeric(test, _feature_columns(session, None))
        res = dc.range_check(
            _reference(session, gate), test, columns=cols, max_fraction=cfg.max_fraction
        )
        return _from_data_result(
            gate,
            res,
            f"share of rows outside the reference range <= {cfg.max_fraction:g}",
            "check units and data errors; the "
            "model extrapolates outside the range it was trained on",
        )
    if kind in ("drift", "prediction_drift", "label_drift"):
        return _drift(gate, session, dc)
    if kind == "serving_skew":
        return _serving_skew(gate, session)
    if kind == "latency":
        return _latency(gate, session)
    if kind == "model_size":
        return _model_size(gate, session)
    return _behaviour(gate, session)


def _drift(gate: Any, session: Any, dc: Any) -> CheckResult:
    cfg = gate.config
    reference = _reference(session, gate)
    test = session.data[0].frame
    target = session.spec.data.target
    if cfg.check == "label_drift":
        ref, tst = reference[[target]], test[[target]]
        columns = [target]
    elif cfg.check == "prediction_drift":
        cand = session.loaded.candidate
        cand.require_rows("prediction_drift", "a drift statistic compares per-row predictions")
        ref_scores = session.reference_predictions
        test_scores = (
            cand.scores if cand.scores is not None and cand.scores.ndim == 1 else cand.y_pred
        )
        ref = pd.DataFrame({"prediction": ref_scores})
        tst = pd.DataFrame({"prediction": test_scores})
        columns = ["prediction"]
    else:
        columns = _feature_columns(session, cfg.columns)
        missing = [c for c in columns if c not in reference.columns or c not in test.columns]
        if missing:
            raise DataError(
                f"{session.spec.where('gates', gate.index, 'columns')}: column(s) "
                f"{', '.join(map(repr, missing))} not in both the test and the reference data"
                f"{did_you_mean(missing, list(reference.columns))} (reference columns: "
                f"{', '.join(map(str, list(reference.columns)[:20]))})"
            )
        ref, tst = reference[columns], test[columns]
    res = dc.drift_check(ref, tst, columns=columns, method=cfg.method, max=cfg.max, kinds=cfg.kinds)
    what = {
        "psi": "PSI",
        "jensen_shannon": "Jensen–Shannon distance",
        "wasserstein": "Wasserstein distance / reference IQR",
    }.get(cfg.method)
    rule = (
        f"{what} per column <= threshold"
        if what
        else f"{cfg.method} test per column, Holm-adjusted across {len(columns)} columns"
    )
    return _from_data_result(
        gate,
        res,
        rule,
        "look at how these columns changed between the "
        "reference and the test data (a pipeline change? a new population?)"
        "; retrain or recalibrate if the shift is real",
    )


def _serving_skew(gate: Any, session: Any) -> CheckResult:
    cfg = gate.config
    frame = session.loaded.data.frame
    if cfg.column not in frame.columns:
        raise DataError(
            f"{session.spec.where('gates', gate.index, 'column')}: column "
            f"{cfg.column!r} (the logged predictions) is not in the test data"
        )
    cand = session.loaded.candidate
    cand.require_rows("serving_skew", "it compares each row's prediction with its serving log")
    logged = frame[cfg.column]
    if (
        pd.api.types.is_numeric_dtype(logged)
        and cand.scores is not None
        and cand.scores.ndim == 1
        and cfg.tolerance > 0
    ):
        offline = cand.scores
        diff = np.abs(offline - logged.to_numpy(dtype=float))
        differs = ~(diff <= cfg.tolerance)
        shown = "score"
    else:
        if cand.task == "regression":
            offline = cand.y_pred
            diff = np.abs(offline - logged.to_numpy(dtype=float))
            differs = ~(diff <= cfg.tolerance)
        else:
            labels = np.asarray(cand.classes, dtype=object)[cand.y_pred]
            offline = labels
            differs = pd.Series(labels).astype(str).to_numpy() != logged.astype(str).to_numpy()
            diff = differs.astype(float)
        shown = "prediction"
    share = float(differs.mean())
    ok = share <= cfg.max_mismatch
    rows = np.flatnonzero(differs)
    order = rows[np.argsort(-diff[rows], kind="stable")][:5]
    examples = [
        (f"row {int(i)}", f"logged {logged.iloc[i]!r}, offline {offline[i]!r}") for i in order
    ]
    rule = (
        f"share of rows whose offline {shown} differs from the logged one by more than "
        f"{cfg.tolerance:g} <= {cfg.max_mismatch:g}"
    )
    summary = f"{len(rows)} of {len(frame)} rows ({share:.2%}) differ from the serving log"
    details = _table(
        [("check", "serving_skew"), ("rule", rule), ("differing", summary), *examples]
        + (
            []
            if ok
            else [("next", "compare the serving and offline feature pipelines on these rows")]
        )
    )
    verdict = Verdict.PASS if ok else Verdict.FAIL
    return CheckResult(
        verdict=verdict,
        message=f"{verdict.value}: {summary}; {rule}",
        details=details,
        estimate=share,
        threshold=Threshold(max=cfg.max_mismatch),
        rule=rule,
        n=len(frame),
        **_base(gate),
    )


def _latency(gate: Any, session: Any) -> CheckResult:
    cfg = gate.config
    model, X = session.model_and_features("candidate")
    batch = X.iloc[: cfg.batch_size] if len(X) >= cfg.batch_size else X
    predict = model.predict_proba if hasattr(model, "predict_proba") else model.predict
    try:
        for _ in range(3):  # warm-up: caches, lazy initialisation
            predict(batch)
        times = []
        deadline = time.perf_counter() + 30.0
        for _ in range(cfg.repeats):
            t0 = time.perf_counter()
            predict(batch)
            times.append((time.perf_counter() - t0) * 1000)
            if time.perf_counter() > deadline:
                break
    except Exception as exc:
        raise ModelError(
            f"latency check: predict() failed on a batch of {len(batch)} rows "
            f"({type(exc).__name__}: {exc})"
        ) from None
    p50, p95, p99 = (float(np.percentile(times, q)) for q in (50, 95, 99))
    bounds = {k: v for k, v in (("p50_ms", cfg.p50_ms), ("p95_ms", cfg.p95_ms)) if v}
    measured = {"p50_ms": p50, "p95_ms": p95}
    failed = [k for k, v in bounds.items() if measured[k] > v]
    rule = " and ".join(f"{k[:3]} <= {v:g} ms" for k, v in bounds.items())
    summary = (
        f"predict() on {len(batch)} row(s): p50 {p50:.2f} ms, p95 {p95:.2f} ms, "
        f"p99 {p99:.2f} ms over {len(times)} calls"
    )
    rows = [
        ("check", "latency"),
        ("rule", rule),
        ("measured", summary),
        ("note", "machine-dependent: a latency gate is usually severity: warn"),
    ]
    if failed:
        rows.append(
            (
                "next",
                "profile the model's predict (feature pipeline, model size), or run "
                "the gate on the serving hardware",
            )
        )
    verdict = Verdict.FAIL if failed else Verdict.PASS
    return CheckResult(
        verdict=verdict,
        message=f"{verdict.value}: {summary}; {rule}",
        details=_table(rows),
        estimate=p95 if cfg.p95_ms else p50,
        threshold=Threshold(max=cfg.p95_ms or cfg.p50_ms),
        rule=rule,
        n=len(times),
        **_base(gate),
    )


def _model_size(gate: Any, session: Any) -> CheckResult:
    cfg = gate.config
    path = session.model_path("candidate")
    size_mb = path.stat().st_size / 1e6
    ok = size_mb <= cfg.max_mb
    rule = f"model file <= {cfg.max_mb:g} MB"
    summary = f"{path.name} is {size_mb:.2f} MB"
    verdict = Verdict.PASS if ok else Verdict.FAIL
    return CheckResult(
        verdict=verdict,
        message=f"{verdict.value}: {summary}; {rule}",
        details=_table([("check", "model_size"), ("rule", rule), ("measured", summary)]),
        estimate=size_mb,
        threshold=Threshold(max=cfg.max_mb),
        rule=rule,
        **_base(gate),
    )


def _perturbed(X: pd.DataFrame, p: Any, where: str) -> tuple[pd.DataFrame, np.ndarray]:
    """A copy of X with the perturbation applied, and the mask of rows it changed."""
    if p.column not in X.columns:
        raise DataError(
            f"{where}: perturb.column {p.column!r} is not in the test data "
            f"(columns: {', '.join(map(str, X.columns[:20]))})"
        )
    col = X[p.column]
    if p.swap is not None:
        a, b = (str(v) for v in p.swap)
        text = col.astype(str)
        new = col.where(~text.eq(a), p.swap[1]).where(~text.eq(b), p.swap[0])
        changed = (text.eq(a) | text.eq(b)).to_numpy()
    elif p.set is not None:
        new = pd.Series(p.set, index=col.index)
        changed = (col.astype(str) != str(p.set)).to_numpy()
    else:
        values = pd.to_numeric(col, errors="coerce")
        new = values + p.add if p.add is not None else values * p.multiply
        changed = values.notna().to_numpy()
    out = X.copy()
    out[p.column] = new
    return out, changed


def _behaviour(gate: Any, session: Any) -> CheckResult:
    cfg = gate.config
    _model, X = session.model_and_features("candidate")
    where = session.spec.where("gates", gate.index, "perturb")
    frame = session.loaded.data.frame
    # perturb the data, then hand the model its own columns: a column that is not model input
    # (a sensitive attribute kept out of the model) leaves it invariant by construction
    full, touched = _perturbed(frame, cfg.perturb, where)
    note = (
        ""
        if cfg.perturb.column in X.columns
        else (f"{cfg.perturb.column} is not a model input: invariant by construction")
    )
    # "before" is the candidate's evidence on the test rows, computed once by the session;
    # "after" is encoded the same way (positive class, threshold, score column)
    before_ev = session.loaded.candidate
    after_ev = session.evidence_on(full, session.loaded.data.path, f"{where} (perturbed rows)")
    if cfg.check == "invariance":
        if before_ev.y_pred is None or after_ev.y_pred is None:
            raise ModelError(f"{where}: invariance needs predicted labels")
        before, after = before_ev.y_pred, after_ev.y_pred
        if before_ev.classes:
            before = np.asarray(before_ev.classes, dtype=object)[before]
            after = np.asarray(after_ev.classes, dtype=object)[after]
        bad = (before != after) & touched
        limit, what = cfg.max_changed, "predictions changed"
    else:
        use_scores = before_ev.scores is not None and before_ev.scores.ndim == 1
        before = before_ev.scores if use_scores else before_ev.y_pred
        after = after_ev.scores if use_scores else after_ev.y_pred
        assert before is not None and after is not None
        move = np.asarray(after, dtype=float) - np.asarray(before, dtype=float)
        bad = (move < -1e-12 if cfg.direction == "increase" else move > 1e-12) & touched
        limit, what = cfg.max_violations, f"scores moved against the expected {cfg.direction}"
    n = int(touched.sum())
    share = float(bad.sum() / n) if n else 0.0
    ok = share <= limit
    p = cfg.perturb
    how = (
        f"swap {p.swap[0]!r}↔{p.swap[1]!r}"
        if p.swap is not None
        else f"add {p.add:g}"
        if p.add is not None
        else f"multiply by {p.multiply:g}"
        if p.multiply is not None
        else f"set to {p.set!r}"
    )
    rule = (
        f"share of perturbed rows whose {what.split(' ')[0]} {what.split(' ', 1)[1]} <= {limit:g}"
    )
    summary = f"{int(bad.sum())} of {n} perturbed rows ({share:.2%}): {what} ({p.column}: {how})"
    if note:
        summary += f" — {note}"
    examples = [(f"row {int(i)}", f"{before[i]!r} → {after[i]!r}") for i in np.flatnonzero(bad)[:5]]
    details = _table(
        [
            ("check", cfg.check),
            ("perturb", f"{p.column}: {how}"),
            ("rule", rule),
            ("measured", summary),
            *([("note", note)] if note else []),
            *examples,
        ]
        + (
            []
            if ok
            else [
                (
                    "next",
                    f"the model depends on {p.column} in a way the "
                    "rule forbids: inspect these rows",
                )
            ]
        )
    )
    verdict = Verdict.PASS if ok else Verdict.FAIL
    return CheckResult(
        verdict=verdict,
        message=f"{verdict.value}: {summary}",
        details=details,
        estimate=share,
        threshold=Threshold(max=limit),
        rule=rule,
        n=n,
        **_base(gate),
    )
