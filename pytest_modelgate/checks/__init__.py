"""Checks: one pure function per gate kind, ``(gate, evidence, options, rng) -> CheckResult``."""

from pytest_modelgate.checks.threshold import check_threshold

__all__ = ["check_threshold"]
