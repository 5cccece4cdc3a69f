"""Result objects shared by checks, the decision and the reports (plain, frozen, serialisable)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any

__all__ = ["CheckResult", "Verdict"]


class Verdict(str, Enum):
    """Outcome of one gate (or one slice of a gate)."""

    PASS = "PASS"
    FAIL = "FAIL"
    INCONCLUSIVE = "INCONCLUSIVE"
    ERROR = "ERROR"

    def __str__(self) -> str:
        return self.value


def _clean(x: Any) -> Any:
    if isinstance(x, float) and (math.isnan(x) or math.isinf(x)):
        return None
    return x


@dataclass(frozen=True)
class CheckResult:
    """The evidence and verdict of one gate: what was measured, the interval, the rule.

    ``message`` is one line for tables and annotations; ``details`` is the multi-line failure
    text (an aligned table and what to do next).
    """

    id: str
    name: str
    kind: str
    severity: str
    verdict: Verdict
    message: str
    line: int | None = None
    spec_file: str | None = None
    metric: str | None = None
    slice: dict[str, Any] | None = None
    estimate: float | None = None
    interval: dict[str, Any] | None = None  # {low, high, level, method}
    threshold: dict[str, float] | None = None  # {"min": .., "max": ..}
    rule: str | None = None
    evidence: str | None = None
    n: int | None = None
    p_value: float | None = None
    details: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)
    comparison: dict[str, Any] | None = None  # compare gates: against, values, paired, test
    p_adjusted: float | None = None  # lenient slices: Holm-adjusted p across the gate's slices
    detectable: float | None = None  # smallest distance from the bar shown with 80% power
    groups: tuple[dict[str, Any], ...] | None = None  # fairness gates: per-group values

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready mapping (nan → null); the shape of a ``gates[]`` entry in the report."""
        d = asdict(self)
        d["verdict"] = self.verdict.value
        d["estimate"] = _clean(self.estimate)
        d["p_value"] = _clean(self.p_value)
        d["p_adjusted"] = _clean(self.p_adjusted)
        d["detectable"] = _clean(self.detectable)
        if self.interval is not None:
            d["interval"] = {k: _clean(v) for k, v in self.interval.items()}
        if self.comparison is not None:
            d["comparison"] = {k: _clean(v) for k, v in self.comparison.items()}
        d["notes"] = list(self.notes)
        if self.groups is not None:
            d["groups"] = [
                {**g, "values": {k: _clean(v) for k, v in g["values"].items()}} for g in self.groups
            ]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CheckResult:
        """Inverse of :meth:`to_dict` (used when results travel from xdist workers)."""
        kwargs = dict(d)
        kwargs["verdict"] = Verdict(kwargs["verdict"])
        kwargs["notes"] = tuple(kwargs.get("notes") or ())
        if kwargs.get("groups") is not None:
            kwargs["groups"] = tuple(kwargs["groups"])
        for key in ("estimate", "p_value"):
            if kwargs.get(key) is None:
                kwargs[key] = None
        return cls(**kwargs)
