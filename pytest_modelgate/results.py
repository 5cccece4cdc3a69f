"""The result family: typed, frozen records of what was estimated and what was decided.

Estimators return :class:`MetricResult`, :class:`ComparisonResult` and :class:`FairnessResult`;
a gate's verdict is a :class:`CheckResult` that carries them as typed fields (an
:class:`~pytest_modelgate.stats.intervals.Interval`, a :class:`Threshold`, a
:class:`ComparisonResult`, :class:`GroupValue` rows) — never as dicts. The JSON report is
:meth:`CheckResult.to_dict`, and :meth:`CheckResult.from_dict` inverts it (results travel from
xdist workers that way).
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from enum import Enum
from typing import Any

from pytest_modelgate._format import fmt_num, interval_text, slice_label
from pytest_modelgate.stats.intervals import Interval

__all__ = [
    "CheckResult",
    "ComparisonResult",
    "FairnessResult",
    "GroupValue",
    "Interval",
    "MetricResult",
    "RowExample",
    "Threshold",
    "Verdict",
]


class Verdict(str, Enum):
    """Outcome of one gate (or one slice of a gate)."""

    PASS = "PASS"
    FAIL = "FAIL"
    INCONCLUSIVE = "INCONCLUSIVE"
    ERROR = "ERROR"

    def __str__(self) -> str:
        return self.value


def _clean(x: Any) -> Any:
    """JSON-ready: nan/inf → None, numpy scalars → Python scalars."""
    item = getattr(x, "item", None)
    if callable(item) and getattr(x, "shape", None) == ():
        x = item()
    if isinstance(x, float) and (math.isnan(x) or math.isinf(x)):
        return None
    return x


def _number(x: Any) -> float:
    return float("nan") if x is None else float(x)


def _iv_text(iv: Interval) -> str:
    return interval_text(iv.low, iv.high, iv.level, iv.method)


def interval_to_dict(iv: Interval) -> dict[str, Any]:
    """``{low, high, level, method}`` with undefined ends as None (the JSON shape)."""
    return {
        "low": _clean(iv.low),
        "high": _clean(iv.high),
        "level": _clean(iv.level),
        "method": iv.method,
    }


def interval_from_dict(d: Mapping[str, Any]) -> Interval:
    return Interval(
        _number(d.get("low")),
        _number(d.get("high")),
        float(d.get("level") or 0.95),
        str(d.get("method", "")),
    )


def _html_table(title: str, rows: Sequence[tuple[str, str]]) -> str:
    body = "".join(
        f"<tr><th style='text-align:left'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
        for k, v in rows
    )
    return f"<table><caption>{html.escape(title)}</caption>{body}</table>"


@dataclass(frozen=True)
class Threshold:
    """The bar of a rule: ``min`` and/or ``max`` (for compare gates, bounds on Δ)."""

    min: float | None = None
    max: float | None = None

    def text(self, *, ge: str = ">=", le: str = "<=", sep: str = " ") -> str:
        """``>= 0.8``, ``>=0.8 <=0.9`` (with ``sep=""`` between sign and number)…"""
        parts = []
        if self.min is not None:
            parts.append(f"{ge}{sep}{self.min:g}")
        if self.max is not None:
            parts.append(f"{le}{sep}{self.max:g}")
        return " ".join(parts)

    def values(self) -> list[float]:
        return [v for v in (self.min, self.max) if v is not None]

    def to_dict(self) -> dict[str, float]:
        return {k: v for k, v in (("min", self.min), ("max", self.max)) if v is not None}


@dataclass(frozen=True)
class MetricResult:
    """A metric with its confidence interval on (a slice of) the evaluation rows.

    ``support`` is the number of rows in the metric's denominator (positives for recall, the
    smaller class for ROC AUC), which ``min_support`` is checked against.
    """

    metric: str
    estimate: float
    interval: Interval
    n: int
    slice: dict[str, str] | None = None
    note: str = ""
    support: int | None = None
    support_label: str = "in the denominator"

    @property
    def value(self) -> float:
        """The point estimate (same as ``estimate``)."""
        return self.estimate

    def _rows(self) -> list[tuple[str, str]]:
        rows = [
            ("estimate", fmt_num(self.estimate)),
            ("interval", _iv_text(self.interval)),
            ("n", str(self.n)),
        ]
        if self.slice:
            rows.insert(0, ("slice", slice_label(self.slice)))
        if self.note:
            rows.append(("note", self.note))
        return rows

    def __repr__(self) -> str:
        where = f" [{slice_label(self.slice)}]" if self.slice else ""
        return (
            f"MetricResult({self.metric}{where} = {fmt_num(self.estimate)}, "
            f"{_iv_text(self.interval)}, n={self.n})"
        )

    def _repr_html_(self) -> str:
        return _html_table(self.metric, self._rows())


@dataclass(frozen=True)
class ComparisonResult:
    """Candidate vs baseline (or the best constant predictor): Δ oriented so that higher is
    better, its interval, the two values, and how they were compared.

    ``support`` is the number of rows in Δ's denominator (the positives for Δrecall, the
    smaller of the two models' predicted positives for Δprecision, the smaller class for
    ΔROC AUC), which ``min_support`` is checked against as for a threshold gate.
    """

    metric: str
    delta: float
    interval: Interval
    candidate: float
    baseline: float
    n: int
    paired: bool
    test: str
    p_value: float | None = None
    note: str = ""
    against: str = "baseline"
    source: str = ""
    orientation: str = ""
    support: int | None = None
    support_label: str = "in the denominator"

    @property
    def estimate(self) -> float:
        """Δ (same as ``delta``), so every result exposes ``estimate``."""
        return self.delta

    def to_dict(self) -> dict[str, Any]:
        """The ``comparison`` entry of a gate in the JSON report."""
        return {
            "metric": self.metric,
            "against": self.against,
            "source": self.source,
            "candidate": _clean(self.candidate),
            "baseline": _clean(self.baseline),
            "paired": self.paired,
            "test": self.test,
            "orientation": self.orientation,
            "delta": _clean(self.delta),
            "p_value": _clean(self.p_value),
            "n": _clean(self.n),
            "note": self.note,
        }

    @classmethod
    def from_gate_dict(cls, d: Mapping[str, Any], metric: str, iv: Interval) -> ComparisonResult:
        """Inverse of :meth:`to_dict`; the interval is the gate's own."""
        p = d.get("p_value")
        return cls(
            metric=str(d.get("metric") or metric),
            delta=_number(d.get("delta")),
            interval=iv,
            candidate=_number(d.get("candidate")),
            baseline=_number(d.get("baseline")),
            n=int(d.get("n") or 0),
            paired=bool(d.get("paired")),
            test=str(d.get("test") or ""),
            p_value=None if p is None else float(p),
            note=str(d.get("note") or ""),
            against=str(d.get("against") or "baseline"),
            source=str(d.get("source") or ""),
            orientation=str(d.get("orientation") or ""),
        )

    def __repr__(self) -> str:
        p = f", p={self.p_value:.3g}" if self.p_value is not None else ""
        return (
            f"ComparisonResult(Δ{self.metric} = {self.delta:+.4f}, "
            f"{_iv_text(self.interval)}, candidate {fmt_num(self.candidate)} vs "
            f"{self.against} {fmt_num(self.baseline)}, {'paired' if self.paired else 'unpaired'}"
            f", {self.test}{p}, n={self.n})"
        )

    def _repr_html_(self) -> str:
        return _html_table(
            f"Δ{self.metric} (higher is better)",
            [
                ("Δ", f"{self.delta:+.4f}"),
                ("interval", _iv_text(self.interval)),
                ("candidate", fmt_num(self.candidate)),
                (self.against, fmt_num(self.baseline)),
                (
                    "test",
                    self.test + (f", p = {self.p_value:.3g}" if self.p_value is not None else ""),
                ),
                ("n", str(self.n)),
            ],
        )


@dataclass(frozen=True)
class GroupValue:
    """One group's (or, for data checks, one column's) row behind a gate.

    ``values`` are the quantities compared, e.g. ``{"tpr": 0.8, "fpr": 0.1}`` (``nan`` where
    undefined); ``excluded`` groups are reported but left out of the gap (below
    ``min_support``); ``flagged``/``detail`` describe a data check's column finding.
    """

    group: str
    n: int
    values: dict[str, float]
    excluded: bool = False
    flagged: bool | None = None
    detail: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "group": self.group,
            "n": _clean(self.n),
            "values": {k: _clean(v) for k, v in self.values.items()},
            "excluded": self.excluded,
        }
        if self.flagged is not None:
            d["flagged"] = self.flagged
        if self.detail is not None:
            d["detail"] = self.detail
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> GroupValue:
        return cls(
            group=str(d["group"]),
            n=int(d.get("n") or 0),
            values={k: _number(v) for k, v in (d.get("values") or {}).items()},
            excluded=bool(d.get("excluded", False)),
            flagged=d.get("flagged"),
            detail=d.get("detail"),
        )


# --- rows behind a finding (#19: flipped predictions, leaked rows) ---------------------------


@dataclass(frozen=True)
class RowExample:
    """One row behind a gate's finding: its id (the ``data.id`` column's value, else the row's
    0-based position in the data) and the values that show the finding, as text."""

    id: str
    values: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "values": dict(self.values)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> RowExample:
        return cls(str(d.get("id")), {str(k): str(v) for k, v in (d.get("values") or {}).items()})


# --- end rows behind a finding ---------------------------------------------------------------


@dataclass(frozen=True)
class FairnessResult:
    """A fairness gap with its interval and the per-group values behind it.

    ``estimate`` is the gap on the included groups (equal to fairlearn's when no group is
    excluded); ``groups`` are every group with at least one row; ``worst`` names the groups
    holding the largest and smallest value of the component that defines the gap;
    ``higher_is_better`` is False for ``*_difference`` (gate with ``max``) and True for
    ``*_ratio`` (gate with ``min``). :attr:`by_group` is the per-group table. ``thinnest`` is
    the smallest denominator of a compared rate among the included groups — (group, rate, what
    it counts, count), e.g. ``("sex=F", "TPR", "positives", 12)`` — which ``min_support`` is
    checked against (None when the compared quantity is not a rate of counts).
    """

    name: str
    estimate: float
    interval: Interval
    n: int
    groups: tuple[GroupValue, ...]
    worst: tuple[str, str] | None = None
    note: str = ""
    higher_is_better: bool = False
    metric: str | None = None
    thinnest: tuple[str, str, str, int] | None = None

    @property
    def value(self) -> float:
        """The gap (same as ``estimate``)."""
        return self.estimate

    @property
    def by_group(self) -> Any:
        """A pandas DataFrame: group, n, each compared quantity, excluded."""
        import pandas as pd

        return pd.DataFrame(
            [{"group": g.group, "n": g.n, **g.values, "excluded": g.excluded} for g in self.groups]
        )

    def __repr__(self) -> str:
        return (
            f"FairnessResult({self.name} = {fmt_num(self.estimate)}, "
            f"{_iv_text(self.interval)}, {len(self.groups)} groups, n={self.n})"
        )

    def _repr_html_(self) -> str:
        head = _html_table(
            self.name,
            [
                ("estimate", fmt_num(self.estimate)),
                ("interval", _iv_text(self.interval)),
                ("n", str(self.n)),
            ],
        )
        return head + self.by_group.to_html(index=False)


@dataclass(frozen=True)
class CheckResult:
    """The evidence and verdict of one gate (or one slice of a gate).

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
    interval: Interval | None = None
    threshold: Threshold | None = None
    rule: str | None = None
    evidence: str | None = None
    n: int | None = None
    p_value: float | None = None
    details: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)
    comparison: ComparisonResult | None = None
    p_adjusted: float | None = None  # lenient slices: Holm-adjusted p across the gate's slices
    detectable: float | None = None  # smallest distance from the bar shown with 80% power
    groups: tuple[GroupValue, ...] | None = None  # fairness groups, data-check columns
    examples: tuple[RowExample, ...] | None = None  # #19: first rows behind the finding

    @property
    def label(self) -> str:
        """``gate-id`` or ``gate-id[sex=Female]``."""
        return f"{self.id}[{slice_label(self.slice)}]" if self.slice else self.id

    @property
    def has_interval(self) -> bool:
        """True when the result carries a defined interval (both ends are numbers)."""
        return self.interval is not None and self.interval.is_defined

    def interval_cell(self, missing: str = "-") -> str:
        """``[0.8012, 0.8345] 95% wilson`` for tables (every report renders it this way)."""
        iv = self.interval
        if iv is None or not iv.is_defined:
            return missing
        return interval_text(iv.low, iv.high, iv.level, iv.method)

    def required_cell(self, *, ge: str = ">=", le: str = "<=", sep: str = "") -> str:
        """The bar for tables, e.g. ``>=0.8`` (empty without one)."""
        return self.threshold.text(ge=ge, le=le, sep=sep) if self.threshold is not None else ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready mapping (nan → null); the shape of a ``gates[]`` entry in the report."""
        d: dict[str, Any] = {}
        for f in fields(self):
            d[f.name] = getattr(self, f.name)
        d["verdict"] = self.verdict.value
        for key in ("estimate", "p_value", "p_adjusted", "detectable", "n"):
            d[key] = _clean(d[key])
        d["slice"] = (
            {str(k): _clean(v) for k, v in self.slice.items()} if self.slice is not None else None
        )
        d["interval"] = interval_to_dict(self.interval) if self.interval is not None else None
        d["threshold"] = self.threshold.to_dict() if self.threshold is not None else None
        d["comparison"] = self.comparison.to_dict() if self.comparison is not None else None
        d["groups"] = [g.to_dict() for g in self.groups] if self.groups is not None else None
        d["notes"] = list(self.notes)
        d["examples"] = [e.to_dict() for e in self.examples] if self.examples is not None else None
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> CheckResult:
        """Inverse of :meth:`to_dict` (used when results travel from xdist workers)."""
        kwargs = dict(d)
        kwargs["verdict"] = Verdict(kwargs["verdict"])
        kwargs["notes"] = tuple(kwargs.get("notes") or ())
        iv = kwargs.get("interval")
        kwargs["interval"] = interval_from_dict(iv) if iv is not None else None
        th = kwargs.get("threshold")
        kwargs["threshold"] = Threshold(th.get("min"), th.get("max")) if th is not None else None
        cmp = kwargs.get("comparison")
        if cmp is not None:
            kwargs["comparison"] = ComparisonResult.from_gate_dict(
                cmp,
                str(kwargs.get("metric") or ""),
                kwargs["interval"] or Interval(float("nan"), float("nan"), 0.95, ""),
            )
        groups = kwargs.get("groups")
        if groups is not None:
            kwargs["groups"] = tuple(GroupValue.from_dict(g) for g in groups)
        examples = kwargs.get("examples")
        if examples is not None:
            kwargs["examples"] = tuple(RowExample.from_dict(e) for e in examples)
        return cls(**kwargs)
