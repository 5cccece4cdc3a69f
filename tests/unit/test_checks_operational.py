"""Latency and model-size gates on stand-in models; run through the check dispatcher."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from pytest_modelgate.checks.dispatch import run_check
from pytest_modelgate.checks.inputs import CheckInputs
from pytest_modelgate.errors import ModelError
from pytest_modelgate.results import Threshold, Verdict
from pytest_modelgate.spec import CHECK_MODELS, Gate
from pytest_modelgate.spec.yamlsource import format_path


def _gate(check: str, **options: Any) -> Gate:
    config = CHECK_MODELS[check].model_validate({"check": check, **options})
    return Gate(0, check, "check", config, 4, "gates.yaml")


def _inputs(model: Any = None, path: Path | None = None) -> CheckInputs:
    X = pd.DataFrame({"a": np.arange(20.0)})
    return CheckInputs(
        where=lambda *p: f"gates.yaml:4: {format_path(tuple(p))}",
        test=lambda: X,
        model_and_features=lambda: (model, X),
        model_path=lambda: path,
    )


@pytest.fixture(autouse=True)
def idle_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    """The verdicts below must not depend on what else runs on the test machine: the
    calibration loop never waits and the load average is 0 unless a test says otherwise."""
    from pytest_modelgate.checks import operational

    monkeypatch.setattr(operational, "_calibration", lambda: (1e-4, 1e-4))
    monkeypatch.setattr(operational.os, "getloadavg", lambda: (0.0, 0.0, 0.0))


class Sleepy:
    """predict() takes ``ms`` milliseconds and records the batch sizes it saw."""

    def __init__(self, ms: float) -> None:
        self.ms = ms
        self.batches: list[int] = []

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        self.batches.append(len(X))
        time.sleep(self.ms / 1000)
        return np.zeros(len(X))


class Instant:
    """predict() returns at once and records the batch sizes it saw."""

    def __init__(self) -> None:
        self.batches: list[int] = []

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        self.batches.append(len(X))
        return np.zeros(len(X))


def test_latency_measures_predict_on_the_batch() -> None:
    model = Instant()
    gate = _gate("latency", batch_size=5, p95_ms=10_000, repeats=5, batch_rows=10)
    result = run_check(gate, _inputs(model))
    assert result.verdict is Verdict.PASS
    # three warm-up calls, then 72 timed ones (the fewest that bound a p95 at 95%), then
    # the throughput measurement on 10 rows (one untimed call and three timed)
    assert model.batches == [5] * (3 + 72) + [10] * 4
    assert result.n == 72 and result.threshold == Threshold(max=10_000)
    assert result.interval is not None and result.interval.method == "order-statistic"
    assert result.estimate is not None and 0 <= result.estimate < 10_000  # p95 in ms
    assert result.message.startswith("PASS: predict() on 5 row(s): p50 ")
    assert "p99" in result.message
    assert result.rule == "p95 <= 10000 ms (strict: upper 95% bound)"
    assert "10 rows in" in result.details and "µs/row" in result.details
    assert "waited for a CPU 0%" in result.details and result.notes[0].startswith("runner: ")


def test_latency_fails_above_the_bound_and_uses_predict_proba() -> None:
    class Proba(Sleepy):
        def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
            self.batches.append(-len(X))
            time.sleep(self.ms / 1000)
            return np.zeros((len(X), 2))

    model = Proba(2.0)
    result = run_check(_gate("latency", p50_ms=0.5, repeats=6, batch_rows=1), _inputs(model))
    assert result.verdict is Verdict.FAIL
    assert result.rule == "p50 <= 0.5 ms (strict: upper 95% bound)"
    assert result.threshold == Threshold(max=0.5)
    assert set(model.batches) == {-1}  # batch_size 1, through predict_proba
    assert result.estimate is not None and result.estimate >= 2.0  # p50
    assert "next" in result.details


def test_a_failure_on_a_busy_runner_is_inconclusive(monkeypatch: pytest.MonkeyPatch) -> None:
    from pytest_modelgate.checks import operational

    # the calibration loop took twice its CPU time: half the time waiting for a CPU
    monkeypatch.setattr(operational, "_calibration", lambda: (2e-4, 1e-4))
    result = run_check(_gate("latency", p50_ms=0.5, repeats=6, batch_rows=1), _inputs(Sleepy(2.0)))
    assert result.verdict is Verdict.INCONCLUSIVE
    assert "the runner was busy (waited for a CPU 50% of a calibration loop's time" in (
        result.message
    )
    # a load average at the number of CPUs is busy too (threaded models wait for each other)
    monkeypatch.setattr(operational, "_calibration", lambda: (1e-4, 1e-4))
    monkeypatch.setattr(operational.os, "getloadavg", lambda: (2.0, 1.0, 1.0))
    monkeypatch.setattr(operational.os, "cpu_count", lambda: 2)
    loaded = run_check(_gate("latency", p50_ms=0.5, repeats=6, batch_rows=1), _inputs(Sleepy(2.0)))
    assert loaded.verdict is Verdict.INCONCLUSIVE and "load 2.00 on 2 CPU(s)" in loaded.message
    # a PASS stays a PASS: a busy runner only makes the model look slower
    ok = run_check(_gate("latency", p50_ms=1e4, repeats=6, batch_rows=1), _inputs(Instant()))
    assert ok.verdict is Verdict.PASS


def test_too_few_calls_for_the_bound_is_inconclusive() -> None:
    gate = _gate("latency", p99_ms=1e4, repeats=5, max_seconds=0.02, batch_rows=1)
    result = run_check(gate, _inputs(Sleepy(2.0)))
    assert result.verdict is Verdict.INCONCLUSIVE
    assert "cannot bound p99 at 95% (it needs 368; limited by the time cap" in result.message


def test_evidence_rules_of_a_latency_gate() -> None:
    # every call takes ≥ 2 ms: a 2.5 ms bar on the p50 is clearly broken for lenient too
    lenient = run_check(
        _gate("latency", p50_ms=1.0, repeats=10, evidence="lenient", batch_rows=1),
        _inputs(Sleepy(2.0)),
    )
    assert lenient.verdict is Verdict.FAIL and "(lenient: lower 95% bound)" in lenient.rule
    point = run_check(
        _gate("latency", p50_ms=1e4, repeats=5, evidence="point", batch_rows=1),
        _inputs(Instant()),
    )
    assert point.verdict is Verdict.PASS and point.n == 5  # no interval needed


def test_a_failing_predict_is_a_model_error() -> None:
    class Broken:
        def predict(self, X: pd.DataFrame) -> np.ndarray:
            raise ValueError("feature names mismatch")

    with pytest.raises(ModelError, match=r"predict\(\) failed on a batch of 1 rows \(ValueError"):
        run_check(_gate("latency", p95_ms=10, repeats=5), _inputs(Broken()))


def test_model_size_in_megabytes(tmp_path: Path) -> None:
    path = tmp_path / "model.joblib"
    path.write_bytes(b"\0" * 2_500_000)
    small = run_check(_gate("model_size", max_mb=3), _inputs(path=path))
    assert small.verdict is Verdict.PASS and small.estimate == pytest.approx(2.5)
    assert small.message == "PASS: model.joblib is 2.50 MB; model file <= 3 MB"
    big = run_check(_gate("model_size", max_mb=2), _inputs(path=path))
    assert big.verdict is Verdict.FAIL and big.threshold == Threshold(max=2)


def test_operational_checks_need_the_model() -> None:
    inputs = CheckInputs(where=lambda *p: "", test=pd.DataFrame)
    with pytest.raises(RuntimeError, match=r"CheckInputs\.model_path is not set"):
        run_check(_gate("model_size", max_mb=1), inputs)
