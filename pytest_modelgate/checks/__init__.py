"""Checks: one pure function per gate kind, ``(gate, evidence, options, rng) -> CheckResult``."""

from .threshold import check_threshold

__all__ = ["check_threshold"]
