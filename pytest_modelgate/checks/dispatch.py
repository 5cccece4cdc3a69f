"""Route one ``check:`` gate to its module: data, operational (latency, size), behaviour,
canary or shadow."""

from __future__ import annotations

from typing import Any

from pytest_modelgate.checks.inputs import CheckInputs
from pytest_modelgate.results import CheckResult

__all__ = ["run_check"]


def run_check(gate: Any, inputs: CheckInputs) -> CheckResult:
    """Evaluate one ``check:`` gate on ``inputs`` (never the session)."""
    from pytest_modelgate.checks.data import DATA_CHECKS, run_data_check

    kind = gate.config.check
    if kind in DATA_CHECKS:
        return run_data_check(gate, inputs)
    if kind in ("latency", "model_size"):
        from pytest_modelgate.checks.operational import latency, model_size

        return (latency if kind == "latency" else model_size)(gate, inputs)
    if kind in ("invariance", "directional"):
        from pytest_modelgate.checks.behaviour import behaviour

        return behaviour(gate, inputs)
    if kind == "canary":
        from pytest_modelgate.checks.canary import canary_check

        return canary_check(gate, inputs)
    if kind == "shadow":
        from pytest_modelgate.checks.shadow import shadow_check

        return shadow_check(gate, inputs)
    raise AssertionError(f"unknown check {kind!r}")  # the spec admits only the kinds above
