"""The JSON report (``schema_version: 1``): decision, summary, gates[] and lineage."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pytest_modelgate.decision import Decision
from pytest_modelgate.results import CheckResult

__all__ = ["SCHEMA_VERSION", "build_report", "write_report"]

SCHEMA_VERSION = 1


def _jsonable(x: Any) -> Any:
    if isinstance(x, float) and (math.isnan(x) or math.isinf(x)):
        return None
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if hasattr(x, "item") and callable(x.item):  # numpy scalars
        return _jsonable(x.item())
    return x


def build_report(
    results: Sequence[CheckResult],
    decision: Decision,
    lineage: dict[str, Any] | None,
    *,
    spec_path: str | None = None,
    task: str | None = None,
) -> dict[str, Any]:
    """The report as a plain mapping (the JSON contract: docs/ci.md, "The JSON report")."""
    return _jsonable(
        {
            "schema_version": SCHEMA_VERSION,
            "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "spec": spec_path,
            "task": task,
            "decision": decision.outcome,
            "decision_detail": decision.to_dict(),
            "summary": decision.summary,
            "gates": [r.to_dict() for r in results],
            "lineage": lineage or {},
        }
    )


def write_report(report: dict[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write the report atomically (a reader never sees half a file)."""
    from pytest_modelgate._paths import atomic_write

    return atomic_write(path, json.dumps(report, indent=2, sort_keys=False) + "\n")
