"""Operational ``check:`` gates: the candidate model's predict latency and its file size."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from pytest_modelgate.checks.common import details_table, gate_fields
from pytest_modelgate.checks.inputs import CheckInputs
from pytest_modelgate.errors import ModelError, reraise_interrupt, user_error_text
from pytest_modelgate.results import CheckResult, Threshold, Verdict

__all__ = ["latency", "model_size"]


def latency(gate: Any, inputs: CheckInputs) -> CheckResult:
    """p50/p95/p99 of ``predict`` (``predict_proba`` when there is one) on a batch of rows."""
    cfg = gate.config
    model, X = inputs.model_input("model_and_features")()
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
    except BaseException as exc:  # the user's model failing is a model error, not our bug
        reraise_interrupt(exc)
        raise ModelError(
            f"latency check: predict() failed on a batch of {len(batch)} rows "
            f"({user_error_text(exc)})"
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
        details=details_table(rows),
        estimate=p95 if cfg.p95_ms else p50,
        threshold=Threshold(max=cfg.p95_ms or cfg.p50_ms),
        rule=rule,
        n=len(times),
        **gate_fields(gate),
    )


def model_size(gate: Any, inputs: CheckInputs) -> CheckResult:
    """The candidate model file's size in MB (10⁶ bytes) against ``max_mb``."""
    cfg = gate.config
    path = inputs.model_input("model_path")()
    size_mb = path.stat().st_size / 1e6
    ok = size_mb <= cfg.max_mb
    rule = f"model file <= {cfg.max_mb:g} MB"
    summary = f"{path.name} is {size_mb:.2f} MB"
    verdict = Verdict.PASS if ok else Verdict.FAIL
    return CheckResult(
        verdict=verdict,
        message=f"{verdict.value}: {summary}; {rule}",
        details=details_table([("check", "model_size"), ("rule", rule), ("measured", summary)]),
        estimate=size_mb,
        threshold=Threshold(max=cfg.max_mb),
        rule=rule,
        **gate_fields(gate),
    )
