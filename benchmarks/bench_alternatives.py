"""pytest-modelgate against the usual alternatives: the same estimates and intervals, timed.

Run: ``make bench`` (writes docs/performance.md), or
``python benchmarks/bench_alternatives.py [--rows 10000 100000 1000000] [--output PATH]``.
``--quick`` runs tiny data with few resamples: it checks that every path runs and that the point
estimates agree with scikit-learn / fairlearn, and makes no timing claims.

What is timed, per row count n and B bootstrap resamples (default 1000):

- modelgate: the path a gate takes, from the encoded test rows to the interval, model prediction
  excluded: ``build_evidence`` (labels and scores → codes), the one pass into sufficient
  statistics, slices / groups, and the interval (``estimate_metric``, ``fairness_estimate``);
- a loop of scikit-learn metric calls over row-resampled bootstrap indices (percentile interval);
- ``scipy.stats.bootstrap`` with a vectorised numpy statistic (percentile; BCa only where its
  O(n²) jackknife is affordable);
- fairlearn ``MetricFrame`` / gap functions, and a single scikit-learn call: point estimates only.

Every cell is the median of repeated runs in the same process, so ratios compare like with like.
Slow baselines run fewer resamples and are scaled linearly to B (their cost is B × one
resample); such cells are marked ``†B=k``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
NOTES = Path(__file__).resolve().parent / "performance_notes.md"
N_GROUPS = 10
SCIPY_BCA_MAX_ROWS = 10_000  # scipy's BCa jackknife evaluates the statistic on n × (n-1) rows

# the registry's distinct confusion-count metrics for a binary task (aliases left out)
COUNT_METRICS = (
    "accuracy",
    "balanced_accuracy",
    "f0_5",
    "f1",
    "f2",
    "false_negative_rate",
    "false_positive_rate",
    "matthews_corrcoef",
    "precision",
    "recall",
    "selection_rate",
    "specificity",
)
# 20 gates: the 12 count metrics, and a second (review-level) threshold on 8 of them
FULL_GATE_COUNTS = (*COUNT_METRICS, *COUNT_METRICS[:8])
# the same with three of the repeats replaced by the other kinds a gate file usually has
FULL_GATE_MIXED = (
    *COUNT_METRICS,
    *COUNT_METRICS[:4],
    "roc_auc",
    "average_precision",
    "log_loss",
    "brier_score",
)


# --- timing ---------------------------------------------------------------------------------------


@dataclass
class Cell:
    """One timed cell: seconds for B resamples (extrapolated when ``ran_resamples`` < B)."""

    seconds: float | None
    runs: int = 0
    ran_resamples: int | None = None
    resamples: int | None = None
    note: str = ""

    @property
    def extrapolated(self) -> bool:
        return self.ran_resamples is not None and self.ran_resamples != self.resamples

    def text(self) -> str:
        if self.seconds is None:
            return self.note or "—"
        mark = f" †B={self.ran_resamples}" if self.extrapolated else ""
        return _fmt_seconds(self.seconds) + mark


def _fmt_seconds(s: float) -> str:
    if s < 1e-3:
        return f"{s * 1e6:.0f} µs"
    if s < 1:
        return f"{s * 1e3:.1f} ms" if s < 0.1 else f"{s * 1e3:.0f} ms"
    if s < 100:
        return f"{s:.2f} s" if s < 10 else f"{s:.1f} s"
    return f"{s:.0f} s"


def measure(fn: Callable[[], Any], repeats: int, max_seconds: float) -> tuple[float, int, Any]:
    """Median wall time of ``fn`` over up to ``repeats`` runs (fewer once ``max_seconds`` is
    spent), and the last result."""
    times, out = [], None
    spent = 0.0
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        elapsed = time.perf_counter() - t0
        times.append(elapsed)
        spent += elapsed
        if spent > max_seconds:
            break
    return float(np.median(times)), len(times), out


def measure_resampling(
    run: Callable[[int], Any], resamples: int, budget: float, repeats: int
) -> Cell:
    """Time ``run(k)`` (k resamples), with k ≤ ``resamples`` chosen so one run fits ``budget``
    seconds; the median is scaled linearly to ``resamples``."""
    t0 = time.perf_counter()
    run(2)
    per_resample = max((time.perf_counter() - t0) / 2, 1e-9)
    k = int(min(resamples, max(2, budget / per_resample)))
    if k < resamples:  # a readable count: 2 significant digits
        k = max(2, int(float(f"{k:.2g}")))
    seconds, runs, _ = measure(lambda: run(k), repeats, max_seconds=3 * budget)
    return Cell(seconds * resamples / k, runs, k, resamples)


# --- data -----------------------------------------------------------------------------------------


@dataclass
class Data:
    y: np.ndarray  # 0/1 labels
    pred: np.ndarray  # candidate's 0/1 predictions
    score: np.ndarray  # candidate's positive-class probability
    base_pred: np.ndarray
    base_score: np.ndarray
    group: np.ndarray  # group label per row (text, as loaded data has it)
    group_code: np.ndarray  # 0..9

    @property
    def n(self) -> int:
        return self.y.size


def make_data(n: int, seed: int = 0) -> Data:
    """Binary labels with a base rate and a score shift that differ by group (nonzero gaps)."""
    rng = np.random.default_rng(seed)
    weights = np.linspace(0.5, 1.5, N_GROUPS)
    code = rng.choice(N_GROUPS, size=n, p=weights / weights.sum())
    y = (rng.random(n) < 0.2 + 0.02 * code).astype(np.int64)
    signal = rng.normal(size=n)
    score = 1 / (1 + np.exp(-(signal + 1.6 * y - 1.0 + 0.03 * code)))
    base_score = 1 / (1 + np.exp(-(0.8 * signal + 0.6 * rng.normal(size=n) + 1.3 * y - 1.0)))
    labels = np.array([f"g{i}" for i in range(N_GROUPS)])
    return Data(
        y,
        (score >= 0.5).astype(np.int64),
        score,
        (base_score >= 0.5).astype(np.int64),
        base_score,
        labels[code],
        code.astype(np.int64),
    )


# --- modelgate ------------------------------------------------------------------------------------


def _evidence(d: Data, y: pd.Series, baseline: bool = False) -> Any:
    from pytest_modelgate.evidence.core import build_evidence
    from pytest_modelgate.inputs.loading import Predictions

    preds = (
        Predictions(d.base_pred, d.base_score, None, "probability", "baseline")
        if baseline
        else Predictions(d.pred, d.score, None, "probability", "candidate")
    )
    return build_evidence(y, preds, "binary", None, None, "bench")


def _opts(variant: str, resamples: int) -> Any:
    from pytest_modelgate.estimates.metric import StatsOptions

    if variant == "default":
        return StatsOptions(resamples=resamples)
    return StatsOptions(resamples=resamples, interval="bootstrap", bootstrap=variant)


def mg_overall(
    d: Data, metric: str, variant: str, resamples: int, encoded: bool = False
) -> Callable[[], Any]:
    """``encoded``: start from the evidence ``build_evidence`` returns (0/1 codes), i.e. time
    the one pass and the interval without the label encoding."""
    from pytest_modelgate.estimates.metric import estimate_metric
    from pytest_modelgate.estimates.metrics import get_metric
    from pytest_modelgate.evidence.core import Evidence

    y, m, opts = pd.Series(d.y), get_metric(metric, "binary"), _opts(variant, resamples)

    def run() -> Any:
        if encoded:
            ev = Evidence("binary", (0, 1), d.y, d.pred, d.score, "probability", "candidate")
        else:
            ev = _evidence(d, y)
        return estimate_metric(m, ev, opts, np.random.default_rng(1))

    return run


def mg_sliced(d: Data, variant: str, resamples: int) -> Callable[[], Any]:
    """recall on each of the 10 slices, as GateSession does: slice rows, subset, estimate."""
    from pytest_modelgate.estimates.metric import estimate_metric
    from pytest_modelgate.estimates.metrics import get_metric
    from pytest_modelgate.evidence.slicing import slice_rows

    y, m, opts = pd.Series(d.y), get_metric("recall", "binary"), _opts(variant, resamples)
    frame = pd.DataFrame({"group": d.group})

    def run() -> Any:
        ev = _evidence(d, y)
        slices = slice_rows(frame, ["group"], max_slices=50, where="bench")
        rng = np.random.default_rng(1)
        return [
            (s.label["group"], estimate_metric(m, ev.subset(s.rows), opts, rng)) for s in slices
        ]

    return run


def mg_fairness(d: Data, name: str, bootstrap: str, resamples: int) -> Callable[[], Any]:
    from pytest_modelgate.estimates.fairness import fairness_estimate
    from pytest_modelgate.evidence.slicing import group_codes

    y, opts = pd.Series(d.y), _opts("default", resamples)
    frame = pd.DataFrame({"group": d.group})

    def run() -> Any:
        ev = _evidence(d, y)
        codes, labels = group_codes(frame, ["group"], max_groups=50, where="bench")
        return fairness_estimate(
            name,
            ev,
            codes,
            labels,
            metric=None,
            opts=opts,
            rng=np.random.default_rng(1),
            min_support=30,
            bootstrap=bootstrap,
        )

    return run


# --- the alternatives -----------------------------------------------------------------------------


def _percentile_interval(values: list[float]) -> tuple[float, float]:
    low, high = np.percentile(values, [2.5, 97.5])
    return float(low), float(high)


def _confusion_rates(y: np.ndarray, p: np.ndarray) -> tuple[float, float, float]:
    from sklearn.metrics import confusion_matrix

    (tn, fp), (fn, tp) = confusion_matrix(y, p, labels=[0, 1])
    sel = (fp + tp) / max(tn + fp + fn + tp, 1)
    tpr = tp / (tp + fn) if tp + fn else 0.0
    fpr = fp / (fp + tn) if fp + tn else 0.0
    return sel, tpr, fpr


def _gap_from_rates(rates: list[tuple[float, float, float]], name: str) -> float:
    r = np.asarray(rates)
    if name.startswith("demographic_parity"):
        return float(r[:, 0].max() - r[:, 0].min())
    return float(max(r[:, 1].max() - r[:, 1].min(), r[:, 2].max() - r[:, 2].min()))


def _group_rows(d: Data) -> list[np.ndarray]:
    return [np.flatnonzero(d.group_code == g) for g in range(N_GROUPS)]


def sklearn_loop(d: Data, metric: str) -> Callable[[int], Any]:
    """``run(k)``: k bootstrap resamples of rows, one scikit-learn call each."""
    from sklearn.metrics import accuracy_score, f1_score, recall_score, roc_auc_score

    n = d.n
    if metric in ("accuracy", "f1", "roc_auc"):
        fn: Callable[..., float] = {
            "accuracy": accuracy_score,
            "f1": f1_score,
            "roc_auc": roc_auc_score,
        }[metric]
        second = d.score if metric == "roc_auc" else d.pred

        def run(k: int) -> Any:
            rng = np.random.default_rng(2)
            values = []
            for _ in range(k):
                idx = rng.integers(0, n, n)
                values.append(fn(d.y[idx], second[idx]))
            return _percentile_interval(values)

        return run
    rows = _group_rows(d)
    if metric == "recall@10 slices":

        def run(k: int) -> Any:
            rng = np.random.default_rng(2)
            out = []
            for r in rows:  # each slice resampled on its own (its size is fixed)
                values = []
                for _ in range(k):
                    idx = r[rng.integers(0, r.size, r.size)]
                    values.append(recall_score(d.y[idx], d.pred[idx]))
                out.append(_percentile_interval(values))
            return out

        return run

    def run_gap(k: int) -> Any:
        rng = np.random.default_rng(2)
        values = []
        for _ in range(k):  # stratified by group, as modelgate's gap bootstrap
            rates = []
            for r in rows:
                idx = r[rng.integers(0, r.size, r.size)]
                rates.append(_confusion_rates(d.y[idx], d.pred[idx]))
            values.append(_gap_from_rates(rates, metric))
        return _percentile_interval(values)

    return run_gap


def _last_axis(fn: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    def stat(*arrays: np.ndarray, axis: int = -1) -> np.ndarray:
        return fn(*(np.moveaxis(a, axis, -1) for a in arrays))

    return stat


def _f1_vec(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    tp = np.sum(y * p, axis=-1)
    fp = np.sum((1 - y) * p, axis=-1)
    fn = np.sum(y * (1 - p), axis=-1)
    return 2 * tp / (2 * tp + fp + fn)


def _recall_vec(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    return np.sum(y * p, axis=-1) / np.sum(y, axis=-1)


def _gap_vec(name: str) -> Callable[..., np.ndarray]:
    """Vectorised gap of a batch (..., n) of resamples: one bincount per batch."""

    def gap(y: np.ndarray, p: np.ndarray, g: np.ndarray) -> np.ndarray:
        lead = y.shape[:-1]
        k = int(np.prod(lead)) if lead else 1
        offset = (np.arange(k) * N_GROUPS * 4)[:, None]
        cells = offset + g.reshape(k, -1) * 4 + y.reshape(k, -1) * 2 + p.reshape(k, -1)
        c = np.bincount(cells.ravel(), minlength=k * N_GROUPS * 4).reshape(k, N_GROUPS, 2, 2)
        c = c.astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            sel = (c[..., 0, 1] + c[..., 1, 1]) / c.sum((-2, -1))
            tpr = np.nan_to_num(c[..., 1, 1] / c[..., 1, :].sum(-1))
            fpr = np.nan_to_num(c[..., 0, 1] / c[..., 0, :].sum(-1))
        if name.startswith("demographic_parity"):
            out = sel.max(-1) - sel.min(-1)
        else:
            out = np.maximum(tpr.max(-1) - tpr.min(-1), fpr.max(-1) - fpr.min(-1))
        return out.reshape(lead)

    return gap


def scipy_bootstrap(d: Data, metric: str, method: str) -> Callable[[int], Any]:
    """``run(k)``: ``scipy.stats.bootstrap`` with k resamples (batched to bound memory)."""
    from scipy import stats
    from sklearn.metrics import roc_auc_score

    batch = max(1, 5_000_000 // d.n)

    def boot(data: tuple[np.ndarray, ...], statistic: Any, k: int, vectorized: bool) -> Any:
        res = stats.bootstrap(
            data,
            statistic,
            n_resamples=k,
            paired=True,
            vectorized=vectorized,
            batch=batch,
            method=method,
            rng=np.random.default_rng(2),
        )
        return tuple(res.confidence_interval)

    if metric == "accuracy":
        acc = _last_axis(lambda y, p: np.mean(y == p, axis=-1))
        return lambda k: boot((d.y, d.pred), acc, k, True)
    if metric == "f1":
        return lambda k: boot((d.y, d.pred), _last_axis(_f1_vec), k, True)
    if metric == "roc_auc":  # no vectorised AUC in numpy: scipy calls scikit-learn per resample
        return lambda k: boot((d.y, d.score), roc_auc_score, k, False)
    if metric == "recall@10 slices":
        rows = _group_rows(d)
        rec = _last_axis(_recall_vec)
        return lambda k: [boot((d.y[r], d.pred[r]), rec, k, True) for r in rows]
    gap = _last_axis(_gap_vec(metric))
    return lambda k: boot((d.y, d.pred, d.group_code), gap, k, True)


def reference_point(d: Data, metric: str) -> Callable[[], Any]:
    """The point estimate by scikit-learn (overall) or fairlearn (slices, gaps): no interval."""
    import fairlearn.metrics as flm
    from sklearn.metrics import accuracy_score, f1_score, recall_score, roc_auc_score

    if metric == "accuracy":
        return lambda: accuracy_score(d.y, d.pred)
    if metric == "f1":
        return lambda: f1_score(d.y, d.pred)
    if metric == "roc_auc":
        return lambda: roc_auc_score(d.y, d.score)
    if metric == "recall@10 slices":
        return lambda: (
            flm.MetricFrame(
                metrics=recall_score, y_true=d.y, y_pred=d.pred, sensitive_features=d.group
            ).by_group
        )
    fn = getattr(flm, metric)
    return lambda: fn(d.y, d.pred, sensitive_features=d.group)


# --- the comparison table -------------------------------------------------------------------------

ROWS_METRICS = (
    "accuracy",
    "f1",
    "roc_auc",
    "recall@10 slices",
    "demographic_parity_difference",
    "equalized_odds_difference",
)
REFERENCE_NAME = {
    "accuracy": "sklearn",
    "f1": "sklearn",
    "roc_auc": "sklearn",
    "recall@10 slices": "MetricFrame",
    "demographic_parity_difference": "fairlearn",
    "equalized_odds_difference": "fairlearn",
}


@dataclass
class Row:
    metric: str
    n: int
    cells: dict[str, Cell] = field(default_factory=dict)
    methods: dict[str, str] = field(default_factory=dict)
    agreement: float = math.nan  # max |modelgate − reference| of the point estimates

    def ratio(self, baseline: str) -> float | None:
        base, ours = self.cells.get(baseline), self.cells.get(self.denominator)
        if base is None or ours is None or base.seconds is None or not ours.seconds:
            return None
        return base.seconds / ours.seconds

    @property
    def denominator(self) -> str:
        """The modelgate cell ratios divide by: the like-for-like percentile bootstrap, except
        ROC AUC, whose gate interval is DeLong's (not a bootstrap)."""
        return "mg_default" if self.metric == "roc_auc" else "mg_percentile"


def _agreement(metric: str, ours: Any, ref: Any) -> float:
    if metric == "recall@10 slices":
        return max(abs(est.value - float(ref[label])) for label, est in ours)
    value = ours.value
    return abs(float(value) - float(ref))


def _method_of(metric: str, result: Any) -> str:
    if metric == "recall@10 slices":
        return result[0][1].interval.method
    return result.interval.method


def bench_row(d: Data, metric: str, args: argparse.Namespace) -> Row:
    row = Row(metric, d.n)
    b, reps = args.resamples, args.repeats
    budget = args.budget
    for variant in ("default", "percentile", "bca"):
        if metric == "recall@10 slices":
            fn = mg_sliced(d, variant, b)
        elif metric in ROWS_METRICS[4:]:
            boot = "percentile" if variant == "default" else variant
            fn = mg_fairness(d, metric, boot, b)
        else:
            fn = mg_overall(d, metric, variant, b)
            if variant == "percentile":
                encoded = mg_overall(d, metric, variant, b, encoded=True)
                row.cells["mg_encoded"] = Cell(*measure(encoded, reps, budget)[:2], b, b)
        seconds, runs, result = measure(fn, reps, max_seconds=budget)
        row.cells[f"mg_{variant}"] = Cell(seconds, runs, b, b)
        row.methods[variant] = _method_of(metric, result)
        if variant == "default":
            seconds_ref, runs_ref, ref = measure(reference_point(d, metric), reps, budget)
            row.cells["reference"] = Cell(seconds_ref, runs_ref)
            row.agreement = _agreement(metric, result, ref)
    row.cells["sklearn"] = measure_resampling(sklearn_loop(d, metric), b, budget, reps)
    row.cells["scipy_percentile"] = measure_resampling(
        scipy_bootstrap(d, metric, "percentile"), b, budget, reps
    )
    if d.n <= args.scipy_bca_max_rows and not (args.quick and metric == "roc_auc"):
        run = scipy_bootstrap(d, metric, "BCa")
        seconds, runs, _ = measure(lambda: run(b), reps, max_seconds=budget)
        row.cells["scipy_bca"] = Cell(seconds, runs, b, b)
    else:
        row.cells["scipy_bca"] = Cell(
            None, note=f"not run: O(n²) jackknife, {_exp(d.n)} × {_exp(d.n)} rows"
        )
    return row


# --- the full gate --------------------------------------------------------------------------------


def _gate_yaml(index: int, metric: str, sliced: bool, compare: bool) -> str:
    from pytest_modelgate.estimates.metrics import get_metric

    m = get_metric(metric, "binary")
    low, high = m.bounds
    if compare:
        rule = "compare: baseline, max_drop: 0.5"
    elif m.higher_is_better:
        rule = f"min: {0.0 if low is None else low}"
    else:
        rule = f"max: {10.0 if high is None else high}"
    slices = ", slices: [group]" if sliced else ""
    name = f"{metric}-{index}{'-compare' if compare else ''}{'-sliced' if sliced else ''}"
    return f"  - {{name: {name}, metric: {metric}, {rule}{slices}}}\n"


def _write_gate_files(d: Data, folder: Path, metrics: tuple[str, ...], resamples: int) -> Path:
    frame = pd.DataFrame(
        {
            "target": d.y,
            "cand_pred": d.pred,
            "cand_score": d.score,
            "base_pred": d.base_pred,
            "base_score": d.base_score,
            "group": d.group,
        }
    )
    frame.to_parquet(folder / "test.parquet", index=False)
    gates = "".join(
        _gate_yaml(i, m, sliced, compare)
        for i, m in enumerate(metrics)
        for compare in (False, True)
        for sliced in (False, True)
    )
    text = f"""version: 1
task: binary
data: {{test: test.parquet, target: target, sensitive: [group]}}
models:
  candidate: {{predictions: cand_pred, scores: cand_score}}
  baseline: {{predictions: base_pred, scores: base_score}}
stats: {{resamples: {resamples}, seed: 0}}
gates:
{gates}"""
    path = folder / f"gates-{len(metrics)}-{abs(hash(metrics)) % 10**6}.yaml"
    path.write_text(text)
    return path


@dataclass
class GateRun:
    label: str
    gates: int
    results: int
    load: float
    evidence: float
    checks: float
    runs: int

    @property
    def total(self) -> float:
        return self.evidence + self.checks


def run_session(path: Path, label: str, repeats: int) -> GateRun:
    """The real gate run (``GateSession.run`` per gate, as the plugin does); the data file is
    read first and timed apart (I/O, not gate work)."""
    from pytest_modelgate.runner.session import GateSession
    from pytest_modelgate.spec import load_spec

    spec = load_spec(path)
    timings = []
    n_results = 0
    for _ in range(repeats):
        session = GateSession(spec)
        t0 = time.perf_counter()
        _ = session.data
        t1 = time.perf_counter()
        _ = session.loaded
        _ = session.baseline
        t2 = time.perf_counter()
        results = [r for g in spec.gates for r in session.run(g)]
        t3 = time.perf_counter()
        errors = [r.message for r in results if r.verdict.value == "ERROR"]
        if errors:
            raise RuntimeError(f"gate errors in the benchmark spec: {errors[:3]}")
        n_results = len(results)
        timings.append((t1 - t0, t2 - t1, t3 - t2))
    load, evidence, checks = (float(np.median(x)) for x in zip(*timings, strict=True))
    return GateRun(label, len(spec.gates), n_results, load, evidence, checks, repeats)


def run_internal(d: Data, metrics: tuple[str, ...], resamples: int, repeats: int) -> GateRun:
    """Candidate, baseline and Δ, each with its interval, on overall + 10 slices, through the
    internal functions (the evidence of each slice built once and shared by the metrics, as
    ``evaluate()`` caches it)."""
    from pytest_modelgate.estimates.compare import compare_metric
    from pytest_modelgate.estimates.metric import StatsOptions, estimate_metric
    from pytest_modelgate.estimates.metrics import get_metric
    from pytest_modelgate.evidence.slicing import slice_rows

    opts = StatsOptions(resamples=resamples)
    frame = pd.DataFrame({"group": d.group})
    y = pd.Series(d.y)
    timings = []
    count = 0
    for _ in range(repeats):
        t0 = time.perf_counter()
        cand, base = _evidence(d, y), _evidence(d, y, baseline=True)
        parts = [(cand, base)] + [
            (cand.subset(s.rows), base.subset(s.rows))
            for s in slice_rows(frame, ["group"], max_slices=50, where="bench")
        ]
        t1 = time.perf_counter()
        count = 0
        for name in metrics:
            m = get_metric(name, "binary")
            for c, b in parts:
                rng = np.random.default_rng(count)
                estimate_metric(m, c, opts, rng)
                estimate_metric(m, b, opts, rng)
                compare_metric(m, c, b, opts, rng)
                count += 3
        timings.append((t1 - t0, time.perf_counter() - t1))
    evidence, checks = (float(np.median(x)) for x in zip(*timings, strict=True))
    label = "internal functions: candidate, baseline, Δ each with an interval"
    return GateRun(label, len(metrics), count, 0.0, evidence, checks, repeats)


# --- components, BCa cost, binning error ---------------------------------------------------------


def one_pass_components(d: Data, repeats: int) -> dict[str, float]:
    from pytest_modelgate.evidence.core import Evidence
    from pytest_modelgate.evidence.slicing import group_codes

    y = pd.Series(d.y)
    frame_str = pd.DataFrame({"group": d.group})
    frame_cat = frame_str.astype("category")
    ev = Evidence("binary", (0, 1), d.y, d.pred, d.score, "probability")
    codes = d.group_code

    def group_table(frame: pd.DataFrame) -> np.ndarray:
        c, _ = group_codes(frame, ["group"], max_groups=50, where="bench")
        return table(c)

    def table(c: np.ndarray) -> np.ndarray:
        flat = np.bincount((c * 2 + d.y) * 2 + d.pred, minlength=N_GROUPS * 4)
        return flat.reshape(N_GROUPS, 2, 2)

    def counts() -> np.ndarray:
        ev.__dict__.pop("counts", None)
        return ev.counts

    parts = {
        "build_evidence (labels + scores → codes)": lambda: _evidence(d, y),
        "confusion counts (one bincount)": counts,
        "10-group table from group codes": lambda: table(codes),
        "10-group table from a categorical column": lambda: group_table(frame_cat),
        "10-group table from a text column": lambda: group_table(frame_str),
    }
    return {name: measure(fn, repeats, 5.0)[0] for name, fn in parts.items()}


def bca_overhead(d: Data, resamples: int, repeats: int) -> list[dict[str, Any]]:
    """BCa vs percentile on the same statistics and sufficient statistics (draws included)."""
    from pytest_modelgate.estimates.compare import _joint_counts
    from pytest_modelgate.estimates.metric import score_histogram
    from pytest_modelgate.estimates.metrics import average_precision_from_histogram, get_metric
    from pytest_modelgate.evidence.core import Evidence
    from pytest_modelgate.stats import count_bootstrap

    ev = Evidence("binary", (0, 1), d.y, d.pred, d.score, "probability")
    base = Evidence("binary", (0, 1), d.y, d.base_pred, d.base_score, "probability")
    f1 = get_metric("f1", "binary").from_counts
    assert f1 is not None
    hist, _ = score_histogram(ev.positives, d.score)
    joint = _joint_counts(ev, base)

    def delta_f1(j: np.ndarray) -> np.ndarray:
        return f1(j.sum(axis=-1)) - f1(j.sum(axis=-2))

    cases: list[tuple[str, Callable[[str], Any]]] = [
        (
            "f1 on a 2×2 table",
            lambda m: count_bootstrap(
                ev.counts, f1, n_resamples=resamples, method=m, rng=np.random.default_rng(0)
            ),
        ),
        (
            "Δf1 on the 2×2×2 joint table",
            lambda m: count_bootstrap(
                joint, delta_f1, n_resamples=resamples, method=m, rng=np.random.default_rng(0)
            ),
        ),
        (
            f"average precision on 2×{hist.shape[1]} score bins",
            lambda m: count_bootstrap(
                hist,
                average_precision_from_histogram,
                n_resamples=resamples,
                method=m,
                rng=np.random.default_rng(0),
            ),
        ),
    ]
    for gap in ("demographic_parity_difference", "equalized_odds_difference"):
        cases.append(
            (
                f"{gap}, 10 groups (stratified)",
                lambda m, gap=gap: mg_fairness(d, gap, m, resamples)(),
            )
        )
    out = []
    for label, fn in cases:
        # interleave the two methods so load changes on the machine hit both alike
        pct, bca = [], []
        for _ in range(repeats):
            pct.append(measure(lambda fn=fn: fn("percentile"), 1, 1e9)[0])
            bca.append(measure(lambda fn=fn: fn("bca"), 1, 1e9)[0])
        p, b = float(np.median(pct)), float(np.median(bca))
        out.append({"case": label, "percentile": p, "bca": b, "overhead": b / p - 1})
    return out


def binning_error(n: int, seed: int = 0) -> list[dict[str, Any]]:
    """|histogram value − exact value| of ROC AUC and average precision at 256 and 1024 bins."""
    from pytest_modelgate.estimates.metric import score_histogram
    from pytest_modelgate.estimates.metrics import (
        auc_from_histogram,
        average_precision_from_histogram,
    )
    from pytest_modelgate.stats import delong_auc_variance

    rng = np.random.default_rng(seed)
    out = []
    for label, shift in (("moderate separation", 1.6), ("strong separation", 4.7)):
        y = rng.random(n) < 0.3
        score = 1 / (1 + np.exp(-(rng.normal(size=n) + shift * y - 1.0)))
        auc_exact = delong_auc_variance(y, score)[0]
        exact_hist, _ = score_histogram(y, score, max_bins=n + 1)
        ap_exact = float(average_precision_from_histogram(exact_hist[None])[0])
        for bins in (256, 1024):
            hist, _ = score_histogram(y, score, max_bins=bins)
            out.append(
                {
                    "scores": label,
                    "bins": bins,
                    "auc_exact": auc_exact,
                    "auc_error": abs(float(auc_from_histogram(hist[None])[0]) - auc_exact),
                    "ap_exact": ap_exact,
                    "ap_error": abs(
                        float(average_precision_from_histogram(hist[None])[0]) - ap_exact
                    ),
                }
            )
    return out


def scaling(rows: list[int], resamples: int, repeats: int, budget: float) -> list[dict[str, Any]]:
    """Paths whose cost grows with n × B (a row bootstrap), next to a default path."""
    from pytest_modelgate.estimates.compare import compare_metric
    from pytest_modelgate.estimates.metric import estimate_metric
    from pytest_modelgate.estimates.metrics import get_metric
    from pytest_modelgate.evidence.core import Evidence

    out = []
    for n in rows:
        d = make_data(n)
        ev = Evidence("binary", (0, 1), d.y, d.pred, d.score, "probability")
        base = Evidence("binary", (0, 1), d.y, d.base_pred, d.base_score, "probability")
        log_loss = get_metric("log_loss", "binary")
        ap = get_metric("average_precision", "binary")

        def default(ev: Any = ev, log_loss: Any = log_loss) -> Any:
            return estimate_metric(
                log_loss, ev, _opts("default", resamples), np.random.default_rng()
            )

        def row_boot(k: int, ev: Any = ev, log_loss: Any = log_loss) -> Any:
            opts = _opts("percentile", k)
            return estimate_metric(log_loss, ev, opts, np.random.default_rng())

        def paired_ap(ev: Any = ev, base: Any = base, ap: Any = ap) -> Any:
            opts = _opts("default", resamples)
            return compare_metric(ap, ev, base, opts, np.random.default_rng())

        out.append(
            {
                "n": n,
                "log_loss, normal interval (default)": Cell(
                    measure(default, repeats, 5.0)[0], repeats, resamples, resamples
                ),
                "log_loss, interval: bootstrap (row weights)": measure_resampling(
                    row_boot, resamples, budget, 1
                ),
                "Δaverage_precision (paired group jackknife, default)": Cell(
                    measure(paired_ap, repeats, 5.0)[0], repeats, resamples, resamples
                ),
            }
        )
    return out


# --- report ---------------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    import fairlearn
    import scipy
    import sklearn

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "date": dt.date.today().isoformat(),
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "scipy": scipy.__version__,
        "scikit-learn": sklearn.__version__,
        "fairlearn": fairlearn.__version__,
    }


def _exp(n: int) -> str:
    e = round(math.log10(n))
    return (
        f"10{str(e).translate(str.maketrans('0123456789', '⁰¹²³⁴⁵⁶⁷⁸⁹'))}"
        if 10**e == n
        else f"{n:,}"
    )


def _ratio_text(r: float | None) -> str:
    return "—" if r is None else f"{r:,.0f}×" if r >= 10 else f"{r:.1f}×"


@dataclass
class Target:
    target: str
    measured: str
    met: bool | None  # None: not measured in this run
    value: float | None = None
    bound: float | None = None


def targets(
    rows: list[Row],
    gate_runs: list[GateRun],
    components: dict[str, float],
    bca: list[dict[str, Any]],
    n_max: int,
    resamples: int,
) -> list[Target]:
    out = []
    at = {(r.metric, r.n): r for r in rows}
    for metric, bound_sk, bound_sp in (
        ("accuracy", 1000, 500),
        ("f1", 1000, 500),
        ("roc_auc", 300, 300),
    ):
        row = at.get((metric, n_max))
        if row is None:
            continue
        for base, bound, what in (
            ("sklearn", bound_sk, "scikit-learn loop"),
            ("scipy_percentile", bound_sp, "scipy percentile"),
        ):
            r = row.ratio(base)
            mark = " (†)" if row.cells[base].extrapolated else ""
            enc = row.cells.get("mg_encoded")
            if metric != "roc_auc" and enc is not None and enc.seconds and r is not None:
                seconds = row.cells[base].seconds
                assert seconds is not None
                mark += f"; {_ratio_text(seconds / enc.seconds)} from encoded evidence"
            out.append(
                Target(
                    f"{metric}: ≥ {bound}× faster than the {what} (n = {_exp(n_max)}, "
                    f"B = {resamples})",
                    _ratio_text(r) + mark,
                    None if r is None else r >= bound,
                    r,
                    bound,
                )
            )
    for run in gate_runs:
        out.append(
            Target(
                f"full gate ≤ 2 s: {run.label}",
                _fmt_seconds(run.total),
                run.total <= 2.0,
                run.total,
                2.0,
            )
        )
    for key in (
        "10-group table from group codes",
        "10-group table from a categorical column",
        "10-group table from a text column",
    ):
        if key in components:
            s = components[key]
            out.append(Target(f"{key} ≤ 20 ms", _fmt_seconds(s), s <= 0.020, s, 0.020))
    if bca:
        worst = max(bca, key=lambda c: c["overhead"])
        out.append(
            Target(
                "BCa ≤ 10 % more than percentile (worst case below)",
                f"{worst['overhead'] * 100:+.0f} % ({worst['case']})",
                worst["overhead"] <= 0.10,
                worst["overhead"],
                0.10,
            )
        )
    return out


def render(results: dict[str, Any], quick: bool) -> str:
    m = results["machine"]
    b = results["resamples"]
    lines = [
        "# Performance",
        "",
        "<!-- Generated by `make bench` (benchmarks/bench_alternatives.py); the sections after",
        "the generated tables come from benchmarks/performance_notes.md: edit that file. -->",
        "",
    ]
    if quick:
        lines += ["**Quick mode: tiny data, few resamples. These numbers are not timings.**", ""]
    lines += [
        f"Measured {m['date']} on {m['cores']} cores ({m['cpu']}), Python {m['python']}, "
        f"numpy {m['numpy']}, pandas {m['pandas']}, scipy {m['scipy']}, scikit-learn "
        f"{m['scikit-learn']}, fairlearn {m['fairlearn']}. B = {b} resamples; every cell is "
        f"the median of up to {results['repeats']} runs in one process (fewer for cells over "
        f"{results['budget']:g} s). †B=k: ran k resamples, scaled linearly to B = {b}.",
        "",
        "## Targets",
        "",
        "| target | measured | met? |",
        "|---|---:|:---:|",
    ]
    for t in results["targets"]:
        met = "—" if t["met"] is None else ("yes" if t["met"] else "**no**")
        lines.append(f"| {t['target']} | {t['measured']} | {met} |")
    lines += [
        "",
        "## modelgate against the alternatives",
        "",
        "modelgate columns: the whole path from labels, predictions and scores to the interval "
        "(evidence build, one pass, slices/groups, interval); *from codes* starts from the "
        "evidence `build_evidence` returns (labels already 0/1 codes), to show what the label "
        "encoding costs; *gate default* is the interval a "
        "gate uses with `interval: auto`; *percentile* / *BCa* force `interval: bootstrap`. "
        "Ratios divide an alternative's time by modelgate *percentile* (the like-for-like "
        "bootstrap), and for ROC AUC by the gate default (DeLong). *point only* is one "
        "scikit-learn call, fairlearn's `MetricFrame` or gap function: no interval at all. "
        "|Δ| is the largest difference between modelgate's point estimates and that reference.",
        "",
        "| metric | n | modelgate gate default | modelgate percentile "
        "| modelgate percentile from codes | modelgate BCa "
        "| sklearn loop | scipy percentile | scipy BCa | point only | sklearn loop ÷ mg "
        "| scipy ÷ mg | \\|Δ\\| vs point |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results["rows"]:
        c = r["cells"]
        lines.append(
            f"| {r['metric']} | {_exp(r['n'])} | {c['mg_default']} ({r['methods']['default']}) "
            f"| {c['mg_percentile']} | {c.get('mg_encoded', '—')} | {c['mg_bca']} "
            f"| {c['sklearn']} | {c['scipy_percentile']} "
            f"| {c['scipy_bca']} | {c['reference']} ({r['reference_name']}) "
            f"| {_ratio_text(r['ratio_sklearn'])} | {_ratio_text(r['ratio_scipy'])} "
            f"| {r['agreement']:.1e} |"
        )
    lines += ["", "## The full gate", ""]
    for g in results["gate_runs"]:
        unit = "gates" if g["load"] else "metrics"  # the internal run has no gate file
        lines.append(
            f"- **{g['label']}** ({g['gates']} {unit}, {g['results']} results, "
            f"n = {_exp(results['gate_rows'])}, B = {results['gate_resamples']}): "
            f"{_fmt_seconds(g['evidence'] + g['checks'])} = evidence "
            f"{_fmt_seconds(g['evidence'])} + checks {_fmt_seconds(g['checks'])}"
            + (
                f" (reading the parquet file, not counted: {_fmt_seconds(g['load'])})"
                if g["load"]
                else ""
            )
        )
    lines += [
        "",
        "Counts: 20 gates over the 12 distinct confusion-count metrics of the registry (and a "
        "second threshold on 8 of them), each as a threshold gate and a paired compare gate, "
        "overall and on 10 slices. Mixed: four of the repeats replaced by roc_auc, "
        "average_precision, log_loss and brier_score.",
        "",
        "## The one pass",
        "",
        "| step | " + " | ".join(_exp(n) for n in results["component_rows"]) + " |",
        "|---|" + "---:|" * len(results["component_rows"]),
    ]
    names = list(results["components"][0]) if results["components"] else []
    for name in names:
        lines.append(
            f"| {name} | " + " | ".join(_fmt_seconds(c[name]) for c in results["components"]) + " |"
        )
    lines += [
        "",
        f"## BCa against percentile (n = {_exp(results['bca_rows'])}, B = "
        f"{results['gate_resamples']})",
        "",
        "| sufficient statistics | percentile | BCa | BCa extra |",
        "|---|---:|---:|---:|",
    ]
    for c in results["bca"]:
        lines.append(
            f"| {c['case']} | {_fmt_seconds(c['percentile'])} | {_fmt_seconds(c['bca'])} "
            f"| {c['overhead'] * 100:+.0f} % |"
        )
    lines += [
        "",
        f"## Histogram binning error (n = {_exp(results['binning_rows'])}, continuous scores)",
        "",
        "| scores | bins | exact AUC | \\|AUC_hist − AUC_exact\\| | exact AP "
        "| \\|AP_hist − AP_exact\\| |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for e in results["binning"]:
        lines.append(
            f"| {e['scores']} | {e['bins']} | {e['auc_exact']:.4f} | {e['auc_error']:.1e} "
            f"| {e['ap_exact']:.4f} | {e['ap_error']:.1e} |"
        )
    lines += [
        "",
        f"## Scaling: what grows with n × B (B = {b})",
        "",
        "| n | " + " | ".join(k for k in results["scaling"][0] if k != "n") + " |"
        if results["scaling"]
        else "",
        "|---:|" + "---:|" * (len(results["scaling"][0]) - 1) if results["scaling"] else "",
    ]
    for s in results["scaling"]:
        lines.append(
            f"| {_exp(s['n'])} | " + " | ".join(v for k, v in s.items() if k != "n") + " |"
        )
    lines.append("")
    notes = NOTES.read_text() if NOTES.exists() else ""
    return "\n".join(lines) + "\n" + notes


# --- main -----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny n and B: a smoke test")
    parser.add_argument("--rows", type=int, nargs="+", help="row counts (default 1e4 1e5 1e6)")
    parser.add_argument("--resamples", type=int, help="bootstrap resamples B (default 1000)")
    parser.add_argument("--repeats", type=int, help="runs per cell, median taken (default 3)")
    parser.add_argument("--budget", type=float, help="seconds per run of a slow baseline")
    parser.add_argument("--gate-rows", type=int, help="rows of the full gate (default 1e6)")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "performance.md")
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    args = parser.parse_args(argv)
    quick = args.quick
    args.rows = args.rows or ([1000] if quick else [10_000, 100_000, 1_000_000])
    args.resamples = args.resamples or (20 if quick else 1000)
    args.repeats = args.repeats or (1 if quick else 3)
    args.budget = args.budget if args.budget is not None else (0.1 if quick else 2.5)
    args.scipy_bca_max_rows = SCIPY_BCA_MAX_ROWS
    gate_rows = args.gate_rows or (1000 if quick else 1_000_000)
    gate_resamples = 100 if quick else 2000  # the spec's minimum in quick mode

    def say(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    rows: list[Row] = []
    for n in args.rows:
        d = make_data(n)
        for metric in ROWS_METRICS:
            t0 = time.perf_counter()
            row = bench_row(d, metric, args)
            rows.append(row)
            say(
                f"{metric:<32} n={n:>9}  mg {row.cells['mg_percentile'].text():>10}  "
                f"sklearn {row.cells['sklearn'].text():>16}  "
                f"scipy {row.cells['scipy_percentile'].text():>16}  "
                f"|Δ| {row.agreement:.1e}  ({time.perf_counter() - t0:.0f} s)"
            )

    d = make_data(gate_rows)
    gate_runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, metrics in (("counts", FULL_GATE_COUNTS), ("mixed", FULL_GATE_MIXED)):
            metrics = metrics[-4:] if quick else metrics  # quick: a few gates of each kind
            path = _write_gate_files(d, Path(tmp), metrics, gate_resamples)
            what = f"{len(metrics)} metrics ({label})"
            run = run_session(path, f"GateSession.run, {what}", args.repeats)
            gate_runs.append(run)
            say(f"{run.label}: {run.total:.2f} s ({run.results} results)")
    run = run_internal(
        d, FULL_GATE_COUNTS[-4:] if quick else FULL_GATE_COUNTS, gate_resamples, args.repeats
    )
    run.label += " (counts)"
    gate_runs.append(run)
    say(f"{run.label}: {run.total:.2f} s ({run.results} results)")

    components = [one_pass_components(make_data(n), max(args.repeats, 5)) for n in args.rows]
    bca = bca_overhead(d, gate_resamples, 5 if quick else 15)
    say("BCa overhead: " + ", ".join(f"{c['overhead'] * 100:+.0f} %" for c in bca))
    binning = binning_error(gate_rows)
    scaling_rows = args.rows if quick else [10_000, 100_000]
    scale = scaling(scaling_rows, args.resamples, args.repeats, args.budget)

    n_max = max(args.rows)
    target_list = targets(rows, gate_runs, components[-1], bca, n_max, args.resamples)
    results: dict[str, Any] = {
        "machine": machine(),
        "quick": quick,
        "resamples": args.resamples,
        "repeats": args.repeats,
        "budget": args.budget,
        "gate_rows": gate_rows,
        "gate_resamples": gate_resamples,
        "targets": [asdict(t) for t in target_list],
        "rows": [
            {
                "metric": r.metric,
                "n": r.n,
                "cells": {k: c.text() for k, c in r.cells.items()},
                "seconds": {k: c.seconds for k, c in r.cells.items()},
                "methods": r.methods,
                "reference_name": REFERENCE_NAME[r.metric],
                "ratio_sklearn": r.ratio("sklearn"),
                "ratio_scipy": r.ratio("scipy_percentile"),
                "agreement": r.agreement,
            }
            for r in rows
        ],
        "gate_runs": [asdict(g) for g in gate_runs],
        "component_rows": args.rows,
        "components": components,
        "bca_rows": gate_rows,
        "bca": bca,
        "binning_rows": gate_rows,
        "binning": binning,
        "scaling": [{k: (v if k == "n" else v.text()) for k, v in s.items()} for s in scale],
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(render(results, quick))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=float))
    width = max(len(t.target) for t in target_list) if target_list else 10
    print(f"{'target':<{width}}  {'measured':>24}  met?")
    for t in target_list:
        met = "—" if t.met is None else ("yes" if t.met else "NO")
        print(f"{t.target:<{width}}  {t.measured:>24}  {met}")
    print(f"wrote {args.output}")
    worst = max(r.agreement for r in rows)
    if not worst <= 1e-12:
        print(f"point estimates differ from scikit-learn/fairlearn by {worst:.3g}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
