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


class Sleepy:
    """predict() takes ``ms`` milliseconds and records the batch sizes it saw."""

    def __init__(self, ms: float) -> None:
        self.ms = ms
        self.batches: list[int] = []

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        self.batches.append(len(X))
        time.sleep(self.ms / 1000)
        return np.zeros(len(X))


def test_latency_measures_predict_on_the_batch() -> None:
    model = Sleepy(2.0)
    result = run_check(_gate("latency", batch_size=5, p95_ms=10_000, repeats=5), _inputs(model))
    assert result.verdict is Verdict.PASS
    assert model.batches == [5] * (3 + 5)  # three warm-up calls, then the timed ones
    assert result.n == 5 and result.threshold == Threshold(max=10_000)
    assert result.estimate is not None and 2.0 <= result.estimate < 10_000  # p95 in ms
    assert result.message.startswith("PASS: predict() on 5 row(s): p50 ")
    assert "p99" in result.message and result.rule == "p95 <= 10000 ms"
    assert "severity: warn" in result.details


def test_latency_fails_above_the_bound_and_uses_predict_proba() -> None:
    class Proba(Sleepy):
        def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
            self.batches.append(-len(X))
            time.sleep(self.ms / 1000)
            return np.zeros((len(X), 2))

    model = Proba(2.0)
    result = run_check(_gate("latency", p50_ms=0.5, repeats=5), _inputs(model))
    assert result.verdict is Verdict.FAIL
    assert result.rule == "p50 <= 0.5 ms" and result.threshold == Threshold(max=0.5)
    assert set(model.batches) == {-1}  # batch_size 1, through predict_proba
    assert result.estimate is not None and result.estimate >= 2.0  # p50
    assert "next" in result.details


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
