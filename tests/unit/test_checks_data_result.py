"""Data-check findings and their CheckResult: the worst column drives the verdict, all are listed."""

from __future__ import annotations

import pytest

from pytest_modelgate.checks.data.result import ColumnFinding


def test_findings_are_frozen() -> None:
    finding = ColumnFinding("x", 0.1, 0.2, False, "", "numeric")
    with pytest.raises(AttributeError):
        finding.flagged = True  # type: ignore[misc]
