"""The gate engine: ``run_gate(gate, inputs)`` evaluates one metric, compare or fairness gate.

This is the one home of every gate rule. The YAML runner (:mod:`pytest_modelgate.runner.session`)
and the Python API (:mod:`pytest_modelgate.api`) both build a :class:`GateInputs` — the
candidate's evidence, the frame that slices and groups come from, the baseline, the defaults —
and hand it :class:`~pytest_modelgate.spec.Gate` objects validated by the same spec models. So
the same data, gate and seed give the same verdict, interval, message and method whichever
shell asked.

Randomness is keyed by *what is estimated* (the metric, the comparison, the gap, and the
slice), not by which gate or call asked: two gates on recall share one interval, and
``Evaluation.metric("recall")`` returns that same interval.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from pytest_modelgate._format import one_line, slice_label
from pytest_modelgate.errors import DataError
from pytest_modelgate.results import (
    CheckResult,
    ComparisonResult,
    FairnessResult,
    MetricResult,
    Threshold,
    Verdict,
)

__all__ = [
    "BaselineSource",
    "GateDefaults",
    "GateInputs",
    "estimate_rng",
    "run_gate",
]


def estimate_rng(seed: int, key: str) -> np.random.Generator:
    """The random generator of one estimate: derived from the seed and what is estimated, so
    its numbers do not depend on which other gates run, their order, or the xdist worker."""
    return np.random.default_rng(np.random.SeedSequence([seed, zlib.crc32(key.encode())]))


@dataclass(frozen=True)
class GateDefaults:
    """The ``stats:`` settings a gate falls back to — the spec's section, or ``evaluate()``'s
    validated arguments (a :class:`~pytest_modelgate.spec.StatsSpec` either way, so the
    defaults live in one place) — and the seed in force."""

    stats: Any = None  # StatsSpec; None: its defaults
    seed_override: int | None = None

    def __post_init__(self) -> None:
        if self.stats is None:
            from pytest_modelgate.spec import StatsSpec

            object.__setattr__(self, "stats", StatsSpec())

    @classmethod
    def from_stats(cls, stats: Any, seed: int | None = None) -> GateDefaults:
        """From a spec's :class:`~pytest_modelgate.spec.StatsSpec` (``seed`` overrides)."""
        return cls(stats, seed)

    @property
    def seed(self) -> int:
        return int(self.stats.seed if self.seed_override is None else self.seed_override)

    @property
    def evidence(self) -> str:
        return str(self.stats.evidence)

    @property
    def min_support(self) -> int:
        return int(self.stats.min_support)

    @property
    def max_slices(self) -> int:
        return int(self.stats.max_slices)

    def options(self, gate: Any = None) -> Any:
        """The estimation options of a gate (its own ``confidence`` if it sets one)."""
        from pytest_modelgate.estimates.metric import StatsOptions

        confidence = getattr(getattr(gate, "config", None), "confidence", None)
        return StatsOptions(
            confidence=confidence or self.stats.confidence,
            interval=self.stats.interval,
            bootstrap=self.stats.bootstrap,
            resamples=self.stats.resamples,
        )

    def evidence_of(self, gate: Any) -> str:
        return gate.config.evidence or self.evidence

    def min_support_of(self, gate: Any) -> int:
        return int(gate.config.min_support or self.min_support)


@dataclass(frozen=True)
class BaselineSource:
    """The baseline of compare gates: per-row evidence (paired) and/or stored numbers."""

    evidence: Any  # Evidence | None
    stored: Any  # StoredBaseline | None
    source: str


_NO_BASELINE = BaselineSource(None, None, "none")


def _api_where(gate: Any, key: str) -> str:
    return f"{gate.file}: {key}"


def _no_history() -> Any:
    raise DataError(
        "compare: previous and trend gates read the release history, which only a gate spec "
        "run records and reads (pytest --modelgate, run_gates); the Python API has none"
    )


@dataclass
class GateInputs:
    """What gates are evaluated on, with the caches that let many gates share the work.

    Parameters
    ----------
    task : the task of the evidence (binary, multiclass, regression).
    candidate : the candidate's :class:`~pytest_modelgate.evidence.core.Evidence`.
    frame : the columns slices and fairness groups are taken from, one row per evidence row
        (per cell on grouped evidence).
    defaults : the ``stats:`` settings.
    baseline : returns where the baseline comes from (called only by compare gates, once).
    baseline_label : how an API baseline is named in messages.
    where : ``where(gate, key)`` locates a gate's key in messages (``gates.yaml:12: …``).
    """

    task: str
    candidate: Any
    frame: Any
    defaults: GateDefaults
    baseline: Callable[[], BaselineSource] = field(default=lambda: _NO_BASELINE)
    where: Callable[[Any, str], str] = field(default=_api_where)
    history: Callable[[], Any] = field(default=_no_history)  # a ReleaseHistory (#17)
    _cache: dict[Any, Any] = field(default_factory=dict, repr=False)
    evidence_builds: int = 0
    id_column: str | None = None  # #19: data.id, how reports name rows

    # --- shared work -------------------------------------------------------------------------

    def rng(self, what: str, label: dict[str, str] | None) -> np.random.Generator:
        key = what if not label else f"{what}[{slice_label(label)}]"
        return estimate_rng(self.defaults.seed, key)

    def baseline_source(self) -> BaselineSource:
        if "baseline" not in self._cache:
            self._cache["baseline"] = self.baseline()
        return self._cache["baseline"]

    def slices(self, gate: Any) -> list[Any]:
        """The slices of a gate's ``slices:`` (gates that slice alike share them)."""
        from pytest_modelgate.evidence.slicing import slice_rows

        cfg = gate.config
        key = ("slices", repr(cfg.slices))
        if key not in self._cache:
            self._cache[key] = slice_rows(
                self.frame,
                cfg.slices,
                max_slices=self.defaults.max_slices,
                where=self.where(gate, "slices"),
                weights=self.candidate.weight,
            )
        return self._cache[key]

    @staticmethod
    def _rows_key(rows: np.ndarray | None) -> Any:
        if rows is None:
            return None
        import hashlib

        data = np.ascontiguousarray(rows, dtype=np.intp)
        return (len(rows), hashlib.blake2b(data.tobytes(), digest_size=16).hexdigest())

    def _key_of(self, rows: np.ndarray | None) -> Any:
        """:meth:`_rows_key`, hashed once per row array: a slice's rows (cached with the
        slicing) are looked up by every gate and metric that reads the slice."""
        if rows is None:
            return None
        seen = self._cache.setdefault("row-keys", {})
        hit = seen.get(id(rows))
        if hit is None or hit[0] is not rows:  # the array is kept, so its id is not reused
            hit = seen[id(rows)] = (rows, self._rows_key(rows))
        return hit[1]

    def subset(self, which: str, evidence: Any, rows: np.ndarray | None) -> Any:
        """``evidence`` on some rows, built once per row set."""
        if rows is None:
            return evidence
        key = ("subset", which, self._key_of(rows))
        if key not in self._cache:
            self.evidence_builds += 1
            self._cache[key] = evidence.subset(rows)
        return self._cache[key]

    def _cells(self, evidence: Any, rows: np.ndarray) -> Any:
        """A slice's confusion cells (for count metrics), built once per row set."""
        from pytest_modelgate.evidence.grouped import confusion_cells

        key = ("cells", self._key_of(rows))
        if key not in self._cache:
            self.evidence_builds += 1
            self._cache[key] = confusion_cells(evidence, rows)
        return self._cache[key]

    def metric(self, name: str) -> Any:
        from pytest_modelgate.estimates.metrics import get_metric

        return get_metric(name, self.task)

    def estimate(
        self,
        name: str,
        rows: np.ndarray | None = None,
        label: dict[str, str] | None = None,
        opts: Any = None,
    ) -> MetricResult:
        """A metric with its interval on all rows or on ``rows`` (cached)."""
        from pytest_modelgate.estimates.metric import estimate_metric
        from pytest_modelgate.estimates.per_class import bind_class

        metric = self.metric(name)
        opts = opts or self.defaults.options()
        key = ("metric", metric.name, self._key_of(rows), opts, slice_label(label or {}))
        if key not in self._cache:
            if metric.kind == "churn":  # #19: against the baseline's per-row predictions
                churn = self.churn(metric.name, rows, label, opts)
                if churn is None:
                    raise DataError(
                        f"{metric.name} compares with the baseline's per-row predictions, and "
                        "there are none (models.baseline; baseline_pred= in evaluate())"
                    )
                self._cache[key] = churn.result
                return replace(churn.result, slice=label)
            cand = self.candidate
            if (
                rows is not None
                and metric.kind == "counts"
                and getattr(metric, "class_value", None) is None  # per-class: one-vs-rest rows
                and _cells_suffice(cand)
            ):
                ev = self._cells(cand, rows)
                bound = metric
            else:
                ev = self.subset("candidate", cand, rows)
                bound, ev = bind_class(metric, ev)  # #19: recall[fraud] on one-vs-rest evidence
            est = estimate_metric(bound, ev, opts, self.rng(f"metric:{metric.name}", label))
            self._cache[key] = replace(est, metric=metric.name)
        return replace(self._cache[key], slice=label)

    def compare(
        self,
        name: str,
        against: str,
        baseline: Any = None,
        rows: np.ndarray | None = None,
        label: dict[str, str] | None = None,
        opts: Any = None,
    ) -> ComparisonResult:
        """Δ between the candidate and ``baseline`` evidence (or the best constant predictor
        when ``against == "constant"``) on all rows or on ``rows``, paired (cached)."""
        from pytest_modelgate.estimates.compare import compare_metric, constant_evidence
        from pytest_modelgate.estimates.per_class import bind_class

        metric = self.metric(name)
        opts = opts or self.defaults.options()
        key = (
            "compare",
            metric.name,
            against,
            self._key_of(rows),
            opts,
            slice_label(label or {}),
        )
        if key not in self._cache:
            cand = self.subset("candidate", self.candidate, rows)
            bound, cand = bind_class(metric, cand)  # #19: per-class metrics
            if against == "constant":
                base, what = constant_evidence(bound, cand)
                source = f"best constant predictor: {what}"
            else:
                base = bind_class(metric, self.subset(f"baseline:{against}", baseline, rows))[1]
                source = ""
            cmp = compare_metric(
                bound, cand, base, opts, self.rng(f"compare:{metric.name}:{against}", label)
            )
            self._cache[key] = replace(cmp, metric=metric.name, against=against, source=source)
        return self._cache[key]

    def fairness(
        self,
        gap: str,
        columns: list[str],
        metric: str | None,
        *,
        min_support: int,
        opts: Any = None,
        where: str = "fairness",
    ) -> FairnessResult:
        """A fairness gap across the groups of ``columns`` (cached)."""
        from pytest_modelgate.estimates.fairness import fairness_estimate
        from pytest_modelgate.evidence.slicing import group_codes

        opts = opts or self.defaults.options()
        key = ("fairness", gap, tuple(columns), metric, min_support, opts)
        if key not in self._cache:
            codes, labels = group_codes(
                self.frame, columns, max_groups=self.defaults.max_slices, where=where
            )
            m = self.metric(metric) if metric else None
            ev = self.candidate
            if m is not None:  # #19: multiclass fairness on a per-class rate (recall[c])
                from pytest_modelgate.estimates.per_class import bind_class

                m, ev = bind_class(m, ev)
            self._cache[key] = fairness_estimate(
                gap,
                ev,
                codes,
                labels,
                metric=m,
                opts=opts,
                rng=self.rng(f"fairness:{gap}:{'+'.join(columns)}:{metric or ''}", None),
                min_support=min_support,
            )
        return self._cache[key]

    # --- #19: prediction churn against the baseline -----------------------------------------

    def churn(
        self,
        name: str,
        rows: np.ndarray | None = None,
        label: dict[str, str] | None = None,
        opts: Any = None,
    ) -> Any:
        """``negative_flip_rate`` / ``flip_rate`` of the candidate against the baseline's
        per-row predictions (a :class:`~pytest_modelgate.estimates.churn.ChurnEstimate`), or
        ``None`` without per-row baseline predictions (cached)."""
        from pytest_modelgate.estimates.churn import churn_estimate

        metric = self.metric(name)
        opts = opts or self.defaults.options()
        key = ("churn", metric.name, self._rows_key(rows), opts.confidence)
        if key not in self._cache:
            src = self.baseline_source()
            if src.evidence is None:
                return None
            cand = self.subset("candidate", self.candidate, rows)
            base = self.subset("baseline", src.evidence, rows)
            self._cache[key] = churn_estimate(metric.name, cand, base, opts.confidence)
        est = self._cache[key]
        return replace(est, result=replace(est.result, slice=label))

    def row_ids(self, positions: np.ndarray) -> list[str]:
        """How the report names test rows: the ``data.id`` column's values, else the rows'
        0-based positions in the test data."""
        if self.id_column is not None and self.frame is not None:
            if self.id_column not in self.frame.columns:
                raise DataError(
                    f"data.id: {self.id_column!r} is not a column of the test data "
                    f"(columns: {', '.join(map(str, list(self.frame.columns)[:20]))})"
                )
            values = self.frame[self.id_column].to_numpy()[positions]
            return [str(v.item() if isinstance(v, np.generic) else v) for v in values]
        return [str(int(p)) for p in positions]

    # --- end churn ---------------------------------------------------------------------------


def _cells_suffice(evidence: Any) -> bool:
    """Count metrics on a slice read its confusion cells only (no design: a clustered or
    sampling-weighted interval needs the rows)."""
    return evidence.y_pred is not None and not evidence.has_design


# --- the gate kinds ------------------------------------------------------------------------------


def run_gate(gate: Any, inputs: GateInputs) -> list[CheckResult]:
    """Evaluate one metric, compare or fairness gate: one result, or one per slice."""
    from pytest_modelgate.checks.slices import (
        LENIENT_SLICE_INTERVAL,
        combine_slices,
        detectable_effect,
    )

    cfg = gate.config
    if gate.kind == "fairness":
        return [fairness_gate(gate, inputs)]
    if gate.kind not in ("metric", "compare"):
        raise ValueError(f"run_gate evaluates metric, compare and fairness gates, not {gate.kind}")
    if getattr(cfg, "classes", None):  # #19: one result per class
        return class_gates(gate, inputs)
    if not cfg.slices:
        result, _ = (compare_gate if gate.kind == "compare" else metric_gate)(gate, inputs)
        return [result]
    evidence = inputs.defaults.evidence_of(gate)
    opts = inputs.defaults.options(gate)
    if (
        gate.kind == "metric"
        and evidence == "lenient"
        and opts.interval == "auto"
        and inputs.metric(cfg.metric).proportion is not None
    ):
        # Holm judges each slice far in its tail, where only the exact binomial test keeps its
        # level: show the interval that test inverts (checks/slices.py)
        opts = replace(opts, interval=LENIENT_SLICE_INTERVAL)
    results, estimates = [], []
    for sl in inputs.slices(gate):
        if gate.kind == "compare":
            result, est = compare_gate(gate, inputs, sl.rows, sl.label)
        else:
            result, est = metric_gate(gate, inputs, sl.rows, sl.label, opts)
        if est is not None:
            result = replace(result, detectable=detectable_effect(est))
        results.append(result)
        estimates.append(est)
    defined = [e for e in estimates if e is not None]
    if len(defined) != len(estimates):
        return results  # nothing to combine (e.g. no baseline yet)
    threshold = results[0].threshold or Threshold()
    return combine_slices(
        results,
        defined,
        evidence=evidence,
        lo=threshold.min,
        hi=threshold.max,
        level=inputs.defaults.options(gate).confidence,
    )


def _common(gate: Any, inputs: GateInputs, label: dict[str, str] | None) -> dict[str, Any]:
    return {
        "gate_id": gate.id,
        "name": gate.id,
        "severity": gate.severity,
        "line": gate.line or None,
        "spec_file": gate.file,
        "slice_": label,
        "evidence": inputs.defaults.evidence_of(gate),
        "min_support": inputs.defaults.min_support_of(gate),
    }


def metric_gate(
    gate: Any,
    inputs: GateInputs,
    rows: np.ndarray | None = None,
    label: dict[str, str] | None = None,
    opts: Any = None,
) -> tuple[CheckResult, MetricResult | None]:
    """A threshold gate (``min``/``max``) on all rows or one slice (``opts``: the estimation
    options when not the gate's own)."""
    from pytest_modelgate.checks.threshold import check_threshold

    cfg = gate.config
    if inputs.metric(cfg.metric).kind == "churn":  # #19
        return churn_gate(gate, inputs, rows, label)
    est = inputs.estimate(cfg.metric, rows, label, opts or inputs.defaults.options(gate))
    result = check_threshold(estimate=est, lo=cfg.min, hi=cfg.max, **_common(gate, inputs, label))
    if inputs.metric(cfg.metric).kind == "calibration" and np.isfinite(est.estimate):
        # #19: the reliability diagram's bins (JSON report `groups`, HTML plot)
        result = replace(result, groups=reliability_groups(inputs, cfg.metric, rows, est))
    return result, est


# --- #19: churn and per-class gates ------------------------------------------------------------

#: how many flipped rows a churn gate lists in the report
CHURN_EXAMPLES = 20


def churn_gate(
    gate: Any,
    inputs: GateInputs,
    rows: np.ndarray | None = None,
    label: dict[str, str] | None = None,
) -> tuple[CheckResult, MetricResult | None]:
    """A threshold gate on ``negative_flip_rate``/``flip_rate`` against the baseline's per-row
    predictions, listing the first flipped rows (:data:`CHURN_EXAMPLES`) in the result."""
    from pytest_modelgate.checks.threshold import check_threshold
    from pytest_modelgate.results import RowExample

    cfg = gate.config
    churn = inputs.churn(cfg.metric, rows, label, inputs.defaults.options(gate))
    if churn is None:
        src = inputs.baseline_source()
        if src.stored is not None:
            raise DataError(
                f"{inputs.where(gate, 'metric')}: {cfg.metric} needs the baseline's per-row "
                f"predictions, but {src.source} holds numbers only; store them with "
                "--modelgate-update-baseline or set models.baseline"
            )
        return _no_baseline(gate, cfg.metric, label), None
    est = churn.result
    result = check_threshold(estimate=est, lo=cfg.min, hi=cfg.max, **_common(gate, inputs, label))
    shown = churn.flipped[:CHURN_EXAMPLES]
    positions = shown if rows is None else np.asarray(rows)[shown]
    cand, base = inputs.candidate, inputs.baseline_source().evidence
    classes = cand.classes

    def text(codes: np.ndarray | None, i: int) -> str:
        return "-" if codes is None else one_line(str(classes[int(codes[i])]))

    examples = tuple(
        RowExample(
            one_line(row_id),
            {
                "label": text(cand.y_true, p),
                "baseline": text(base.y_pred, p),
                "candidate": text(cand.y_pred, p),
            },
        )
        for row_id, p in zip(inputs.row_ids(positions), positions.tolist(), strict=True)
    )
    notes = result.notes
    if churn.flipped.size > CHURN_EXAMPLES:
        shown_of = f"the first {CHURN_EXAMPLES} of {churn.flipped.size} rows"
        notes = (*notes, f"the report lists {shown_of}")
    return replace(result, examples=examples, notes=notes), est


def class_gates(gate: Any, inputs: GateInputs) -> list[CheckResult]:
    """A gate with ``classes: [a, b]``: the per-class metric of each class (``recall[a]``,
    ``recall[b]``) judged as slices of one gate — strict needs every class to pass, lenient
    Holm-adjusts across the classes (checks/slices.py)."""
    from pytest_modelgate.checks.slices import combine_slices

    cfg = gate.config
    results, estimates = [], []
    for c in cfg.classes:
        name = f"{cfg.metric}[{c}]"
        one = replace(gate, config=cfg.model_copy(update={"metric": name, "classes": None}))
        label = {"class": str(c)}
        if gate.kind == "compare":
            result, est = compare_gate(one, inputs, None, label)
        else:
            result, est = metric_gate(one, inputs, None, label)
        results.append(replace(result, metric=name))
        estimates.append(est)
    defined = [e for e in estimates if e is not None]
    if len(defined) != len(estimates):
        return results
    threshold = results[0].threshold or Threshold()
    return combine_slices(
        results,
        defined,
        evidence=inputs.defaults.evidence_of(gate),
        lo=threshold.min,
        hi=threshold.max,
        level=inputs.defaults.options(gate).confidence,
    )


# --- end #19 -----------------------------------------------------------------------------------


def reliability_groups(
    inputs: GateInputs, name: str, rows: np.ndarray | None, est: MetricResult
) -> tuple[Any, ...]:
    """The equal-mass bins of a calibration gate: rows, mean predicted probability, observed
    rate and its Wilson interval per bin."""
    from pytest_modelgate.estimates.calibration import DEFAULT_BINS, reliability_bins
    from pytest_modelgate.results import GroupValue

    metric = inputs.metric(name)
    ev = inputs.subset("candidate", inputs.candidate, rows)
    bins = DEFAULT_BINS
    if metric.name.startswith("calibration_error("):
        bins = int(metric.name[len("calibration_error(") : -1])
    p = np.asarray(ev.require_probabilities(metric.name), dtype=float)
    y = np.asarray(ev.positives, dtype=float)
    out = []
    for i, b in enumerate(reliability_bins(p, y, ev.weight, bins, est.interval.level)):
        out.append(
            GroupValue(
                f"bin {i + 1}",
                round(b.n),
                {"predicted": b.predicted, "observed": b.observed, "low": b.low, "high": b.high},
            )
        )
    return tuple(out)


def compare_gate(
    gate: Any,
    inputs: GateInputs,
    rows: np.ndarray | None = None,
    label: dict[str, str] | None = None,
) -> tuple[CheckResult, MetricResult | None]:
    """A compare gate (``compare: baseline|constant`` with margins) on all rows or one slice."""
    from pytest_modelgate.checks.compare import check_comparison
    from pytest_modelgate.estimates.compare import compare_unpaired

    cfg = gate.config
    metric = inputs.metric(cfg.metric)
    opts = inputs.defaults.options(gate)
    if cfg.compare in ("previous", "trend"):
        from pytest_modelgate.checks.history import history_gate

        return history_gate(gate, inputs, rows, label, _common(gate, inputs, label))
    if cfg.compare == "constant":
        cmp = inputs.compare(cfg.metric, "constant", None, rows, label, opts)
    else:
        src = inputs.baseline_source()
        if src.evidence is not None:
            cmp = inputs.compare(cfg.metric, "baseline", src.evidence, rows, label, opts)
            cmp = replace(cmp, source=src.source)
        elif src.stored is not None:
            number = src.stored.number(metric.name)
            if number is None:
                raise DataError(
                    f"{src.stored.describe} has no number for {metric.name} and no per-row "
                    "predictions; refresh it with --modelgate-update-baseline"
                )
            if cfg.pairing == "required":
                raise DataError(
                    f"{gate.id}: pairing: required, but {src.source} has no per-row "
                    "predictions (only numbers); store them with "
                    "--modelgate-update-baseline or set models.baseline"
                )
            if rows is not None:
                raise DataError(
                    f"{gate.id}: {src.source} holds overall numbers only; a sliced "
                    "comparison needs per-row baseline predictions (models.baseline, or "
                    "store them with --modelgate-update-baseline)"
                )
            cmp = compare_unpaired(
                metric, inputs.candidate, number, opts, inputs.rng(f"metric:{metric.name}", None)
            )
            cmp = replace(cmp, against="baseline", source=src.source)
        else:
            return _no_baseline(gate, metric.name, label), None
    return check_comparison(metric, cmp, cfg, **_common(gate, inputs, label))


def _no_baseline(gate: Any, metric: str, label: dict[str, str] | None) -> CheckResult:
    return CheckResult(
        **{**gate.result_fields(), "metric": metric},
        verdict=Verdict.INCONCLUSIVE,
        slice=label,
        message="INCONCLUSIVE: no baseline yet — run with "
        "--modelgate-update-baseline to store this candidate as the baseline (or set "
        "models.baseline to the production model)",
    )


def fairness_gate(gate: Any, inputs: GateInputs) -> CheckResult:
    """A fairness gap across the groups of ``sensitive``, judged on its interval."""
    from pytest_modelgate.checks.threshold import check_threshold
    from pytest_modelgate.estimates.fairness_groups import GapNotApplicable

    cfg = gate.config
    common = _common(gate, inputs, None)
    min_support = common["min_support"]
    try:
        fe = inputs.fairness(
            cfg.gap,
            cfg.columns,
            cfg.metric,
            min_support=min_support,
            opts=inputs.defaults.options(gate),
            where=inputs.where(gate, "sensitive"),
        )
    except GapNotApplicable as exc:  # e.g. a named gap on a multiclass task
        raise DataError(f"{inputs.where(gate, 'fairness')}: {exc}") from None
    lo, hi = cfg.bounds
    excluded = [g.group for g in fe.groups if g.excluded]
    extra = [
        (
            one_line(g.group),
            f"n = {g.n}; "
            + ", ".join(f"{k} {v:.4f}" for k, v in g.values.items())
            + ("  (excluded: below min_support)" if g.excluded else ""),
        )
        for g in fe.groups
    ]
    if fe.worst:
        extra.append(("gap between", f"{one_line(fe.worst[0])} and {one_line(fe.worst[1])}"))
    what = cfg.gap + (f"({cfg.metric})" if cfg.metric else "")
    # min_support applies per group and rate (a TPR rests on the group's positives): the
    # smallest denominator is the estimate's support, judged by check_threshold's one rule
    support, where = None, ""
    if fe.thinnest is not None:
        group, rate, counts, support = fe.thinnest
        where = f"the {rate} denominator of {one_line(group)}" + (f" ({counts})" if counts else "")
    est = MetricResult(
        what,
        fe.estimate,
        fe.interval,
        fe.n,
        note=fe.note,
        support=support,
        support_label=f"rows in {where}" if where else "in the denominator",
    )
    advice = (
        f"the model treats the groups of {' × '.join(cfg.columns)} differently on "
        f"{what}: look at the groups named above (their error rates and base rates) before "
        "releasing; a fairness fix (reweighting, thresholds per group) may be needed"
    )
    result = check_threshold(
        estimate=est,
        lo=lo,
        hi=hi,
        kind="fairness",
        metric_name=what,
        extra_rows=extra,
        fail_advice=advice,
        **common,
    )
    notes = result.notes + (
        (f"excluded (below min_support = {min_support} rows): {', '.join(excluded)}",)
        if excluded
        else ()
    )
    # name the group and the rate in the support message ("only 12 rows in the TPR
    # denominator of sex=F (positives)"), not the gap's own name
    message = result.message.replace(f"rows in {what}'s denominator", f"rows in {where}")
    return replace(result, notes=notes, groups=fe.groups, message=message)
