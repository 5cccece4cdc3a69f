"""Hand-made gate results for the report tests (one factory instead of one per test module)."""

from __future__ import annotations

from typing import Any

from pytest_modelgate.results import CheckResult, Verdict


def check_result(**kw: Any) -> CheckResult:
    """A passing metric result named ``g``; keyword arguments override any field."""
    base: dict[str, Any] = {
        "id": "g",
        "name": "g",
        "kind": "metric",
        "severity": "block",
        "verdict": Verdict.PASS,
        "message": "ok",
    }
    base.update(kw)
    return CheckResult(**base)
