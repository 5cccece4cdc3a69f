"""What every ``check:`` gate's result shares: the gate's identity fields and the details table."""

from __future__ import annotations

from typing import Any

from pytest_modelgate._format import aligned_table

__all__ = ["details_table", "gate_fields"]


def gate_fields(gate: Any) -> dict[str, Any]:
    """The :class:`~pytest_modelgate.results.CheckResult` fields that come from the gate."""
    return {
        **gate.result_fields(),
        "metric": gate.config.check,
        "evidence": "point",  # a statistic against a threshold: no interval
    }


def details_table(rows: list[tuple[str, str]]) -> str:
    """``rows`` as an aligned two-column table, two spaces indented (the failure details)."""
    return aligned_table(rows)
