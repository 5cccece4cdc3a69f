"""Operational ``check:`` gates: the candidate model's predict latency and its file size."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from pytest_modelgate.checks.common import CheckRule, details_table, gate_fields
from pytest_modelgate.checks.inputs import CheckInputs
from pytest_modelgate.errors import ModelError, reraise_interrupt, user_error_text
from pytest_modelgate.results import CheckResult, Threshold, Verdict
from pytest_modelgate.stats.quantiles import calls_needed, quantile_interval

__all__ = ["BUSY_WAIT_SHARE", "latency", "model_size"]


#: Share of a calibration loop's wall time spent waiting for the CPU above which the runner
#: counts as busy (so does a 1-minute load average at or above the number of CPUs): a latency
#: FAIL measured there is INCONCLUSIVE (the neighbours, not the model, may have made it slow).
#: An idle machine measures 0–3%.
BUSY_WAIT_SHARE = 0.2

_QUANTILES = (("p50_ms", 0.50), ("p95_ms", 0.95), ("p99_ms", 0.99))


def _calibration() -> tuple[float, float]:
    """Wall and CPU time of a fixed pure-Python loop (~0.1 ms): on an idle core they agree;
    their gap is time this process waited for a CPU."""
    w0, c0 = time.perf_counter(), time.thread_time()
    total = 0
    for i in range(2000):
        total += i * i
    return time.perf_counter() - w0, time.thread_time() - c0


@dataclass(frozen=True)
class _Timing:
    calls_ms: np.ndarray
    wait_share: float  # share of the calibration loops' wall time spent waiting for a CPU
    load: tuple[float, float, float] | None
    cpus: int
    stopped_early: bool
    batch: tuple[int, float] | None  # (rows, median ms) of the throughput measurement


def _time_calls(predict: Any, batch: Any, X: Any, cfg: Any, needed: int) -> _Timing:
    for _ in range(cfg.warmup):  # caches, lazy initialisation, JIT
        predict(batch)
    wanted = max(cfg.repeats, needed)
    times: list[float] = []
    wall = cpu = 0.0
    deadline = time.perf_counter() + cfg.max_seconds
    stopped = False
    for _ in range(wanted):
        t0 = time.perf_counter()
        predict(batch)
        times.append((time.perf_counter() - t0) * 1000.0)
        w, c = _calibration()
        wall, cpu = wall + w, cpu + c
        if time.perf_counter() > deadline:
            stopped = len(times) < wanted
            break
    throughput = None
    rows = min(len(X), cfg.batch_rows)
    if rows > len(batch) and time.perf_counter() < deadline:
        big = X.iloc[:rows]
        predict(big)
        runs = []
        for _ in range(3):
            t0 = time.perf_counter()
            predict(big)
            runs.append((time.perf_counter() - t0) * 1000.0)
        throughput = (rows, float(np.median(runs)))
    try:
        load: tuple[float, float, float] | None = os.getloadavg()
    except OSError:  # not every platform has a load average
        load = None
    return _Timing(
        np.asarray(times),
        max(0.0, 1.0 - cpu / wall) if wall > 0 else 0.0,
        load,
        os.cpu_count() or 1,
        stopped,
        throughput,
    )


def latency(gate: Any, inputs: CheckInputs) -> CheckResult:
    """Quantiles of ``predict`` latency (``predict_proba`` when there is one) on ``batch_size``
    rows, each judged on a distribution-free order-statistic interval.

    ``strict`` passes a bound when the interval's upper end is within it, ``lenient`` fails it
    when the lower end exceeds it, ``point`` compares the sample quantile. A FAIL measured on a
    busy runner (more than ``BUSY_WAIT_SHARE`` of a calibration loop's time spent waiting for a
    CPU) is INCONCLUSIVE; too few calls for an interval (the time cap) is INCONCLUSIVE.
    """
    cfg = gate.config
    rule_of = CheckRule.of(gate, inputs.stats)
    level = rule_of.confidence
    bounds = [(key, q, getattr(cfg, key)) for key, q in _QUANTILES if getattr(cfg, key)]
    side = "upper" if rule_of.evidence == "strict" else "lower"
    needed = max(calls_needed(q, level, side) for _, q, _ in bounds)
    model, X = inputs.model_input("model_and_features")()
    batch = X.iloc[: cfg.batch_size] if len(X) >= cfg.batch_size else X
    predict = model.predict_proba if hasattr(model, "predict_proba") else model.predict
    try:
        timing = _time_calls(predict, batch, X, cfg, needed if rule_of.evidence != "point" else 1)
    except BaseException as exc:  # the user's model failing is a model error, not our bug
        reraise_interrupt(exc)
        raise ModelError(
            f"latency check: predict() failed on a batch of {len(batch)} rows "
            f"({user_error_text(exc)})"
        ) from None
    calls = timing.calls_ms
    n = int(calls.size)
    judged = []
    for key, q, bar in bounds:
        est = float(np.percentile(calls, q * 100))
        iv = quantile_interval(calls, q, level)
        if rule_of.evidence == "strict":
            ok: bool | None = None if np.isnan(iv.high) else iv.high <= bar
        elif rule_of.evidence == "lenient":
            ok = True if np.isnan(iv.low) else not iv.low > bar
        else:
            ok = est <= bar
        judged.append((key, q, bar, est, iv, ok))
    rule = " and ".join(f"{key[:3]} <= {bar:g} ms" for key, _, bar, *_ in judged)
    rule += {
        "strict": f" (strict: upper {level:.0%} bound)",
        "lenient": f" (lenient: lower {level:.0%} bound)",
        "point": " (point estimate)",
    }[rule_of.evidence]
    p50, p95, p99 = (float(np.percentile(calls, q)) for q in (50, 95, 99))
    summary = (
        f"predict() on {len(batch)} row(s): p50 {p50:.2f} ms, p95 {p95:.2f} ms, "
        f"p99 {p99:.2f} ms over {n} calls"
    )
    runner = f"waited for a CPU {timing.wait_share:.0%} of a calibration loop's time"
    if timing.load is not None:
        runner += f"; load {timing.load[0]:.2f} on {timing.cpus} CPU(s)"
    # a runner is busy when this process waited for a CPU, or when the 1-minute load average
    # (this process included) reaches the number of CPUs: threaded models (OpenMP: histogram
    # gradient boosting, LightGBM, XGBoost) then wait for each other's threads — measured on the
    # example model, single-row predict went from 30 ms to 260 ms (median) and 4.7 s (max) at
    # load 3 on 2 CPUs while the calibration loop waited only 1% of its time
    overloaded = timing.load is not None and timing.load[0] >= timing.cpus
    busy = timing.wait_share > BUSY_WAIT_SHARE or overloaded
    failed = [j for j in judged if j[5] is False]
    undecided = [j for j in judged if j[5] is None]
    reason = ""
    if failed and busy:
        verdict = Verdict.INCONCLUSIVE
        reason = f"the runner was busy ({runner}): a slow measurement may be the neighbours'"
    elif failed:
        verdict = Verdict.FAIL
    elif undecided:
        verdict = Verdict.INCONCLUSIVE
        key, q = undecided[0][0], undecided[0][1]
        why = "the time cap (max_seconds)" if timing.stopped_early else "repeats"
        reason = (
            f"{n} calls cannot bound {key[:3]} at {level:.0%} (it needs "
            f"{calls_needed(q, level)}; limited by {why})"
        )
    else:
        verdict = Verdict.PASS
    rows = [("check", "latency"), ("rule", rule), ("measured", summary)]
    for key, _q, _bar, est, iv, _ok in judged:
        shown = (
            f"[{iv.low:.2f}, {iv.high:.2f}] ms" if iv.is_defined else f"[{iv.low:.2f}, undefined]"
        )
        rows.append((key[:3], f"{est:.2f} ms, {level:.0%} {iv.method} interval {shown}"))
    if timing.batch is not None:
        b_rows, b_ms = timing.batch
        per_row = b_ms * 1000 / b_rows
        rows.append(("batch", f"{b_rows} rows in {b_ms:.1f} ms ({per_row:.1f} µs/row)"))
    rows.append(("runner", runner))
    if verdict is Verdict.FAIL:
        rows.append(
            (
                "next",
                "profile the model's predict (feature pipeline, model size), or run "
                "the gate on the serving hardware",
            )
        )
    elif reason:
        rows.append(("next", reason))
    main = next(j for j in judged if j[0] == ("p95_ms" if cfg.p95_ms else judged[0][0]))
    head = f"{verdict.value}: " + (f"{reason}; " if reason else "")
    return CheckResult(
        verdict=verdict,
        message=f"{head}{summary}; {rule}",
        details=details_table(rows),
        estimate=main[3],
        interval=main[4] if main[4].is_defined else None,
        threshold=Threshold(max=main[2]),
        rule=rule,
        n=n,
        notes=(f"runner: {runner}",),
        **gate_fields(gate, rule_of.evidence),
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
