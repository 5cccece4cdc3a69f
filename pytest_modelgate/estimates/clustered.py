"""A metric with its interval on clustered and/or sampling-weighted rows.

:func:`design_estimate` is what :func:`~pytest_modelgate.estimates.metric.estimate_metric` calls
when the evidence carries a design (``Evidence.cluster`` or ``Evidence.sample_weight``). Point
estimates weight every row by its sampling weight (scikit-learn's ``sample_weight``) times its
frequency; intervals treat the *units* — clusters, or rows when only weights are given — as the
independent draws (:mod:`pytest_modelgate.stats.cluster`):

=====================================  ========================================================
metric                                 design-based interval (``K`` units, ``t`` with K − 1 df)
=====================================  ========================================================
one binomial proportion (accuracy,     Korn–Graubard: Clopper–Pearson (``wilson``: Wilson) at
recall, precision, fpr, ...)           the effective n from the ratio-estimator variance
other confusion metrics (f1, mcc, ...) cluster bootstrap (BCa) on the units' count vectors;
                                       the linearised (delta) interval when the units have too
                                       many distinct count vectors to resample cheaply
roc_auc                                clustered DeLong (Obuchowski 1997), logit scale
average_precision                      delta method on the score histogram
mean losses, mae, mse, mape, rmse      Hall's skewness-corrected t on the units' CR1
                                       contributions, t(K−1), undefined when K < 25·skew²
r2                                     delta method (influence function), CR1
=====================================  ========================================================

Every statistic is a function of per-unit sums obtained in one ``bincount`` pass over the rows;
no Python loop runs over rows or clusters. Fewer than :data:`MIN_CLUSTERS` clusters measure the
between-cluster variance too poorly for any of these intervals: the result is undefined (the
gate INCONCLUSIVE) with a note saying so.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from pytest_modelgate.estimates.influence import ap_influence, auc_influence, count_influence
from pytest_modelgate.estimates.metrics import Metric, average_precision_from_histogram
from pytest_modelgate.evidence.core import Evidence
from pytest_modelgate.results import MetricResult
from pytest_modelgate.stats import Interval, count_bootstrap
from pytest_modelgate.stats.cluster import (
    DesignUnits,
    collapse_units,
    design_units,
    effective_proportion_interval,
    linearised_variance,
    numerical_gradient,
    t_interval,
)
from pytest_modelgate.stats.intervals import clipped_interval
from pytest_modelgate.stats.skewed_mean import (
    COCHRAN_FACTOR,
    adjusted_skewness,
    hall_t_bounds,
)

__all__ = ["MIN_CLUSTERS", "design_estimate", "design_not_supported"]

#: Fewest clusters for a cluster-robust interval (chosen by simulation: docs/validity.md).
MIN_CLUSTERS = 20

#: Largest number of distinct unit count vectors resampled by the cluster bootstrap; beyond it
#: the linearised interval (accurate with that many units) is used.
MAX_BOOTSTRAP_UNIT_TYPES = 4000
#: Below this many clusters the cluster bootstrap of count metrics (f1, mcc) is too narrow (4.0%
#: false PASS with 20 clusters of 10 rows, ICC 0.3) and the linearised interval with t(K − 1)
#: worse (6.0%; 4.6% with 40 clusters): the interval is undefined (INCONCLUSIVE by design).
BOOTSTRAP_MIN_CLUSTERS = 30
#: Fewest clusters for a paired ΔAP: with 20 clusters × 20 rows (ICC 0.3) its linearised
#: interval passed falsely 4.0 ± 0.6% (validity matrix, compare-design-ranking), 3.7–3.9% with
#: 40–60 clusters; AP's finite-sample bias differs between the two models and shifts Δ up.
AP_COMPARE_MIN_CLUSTERS = 30


def design_not_supported(ev: Evidence, what: str) -> str:
    """The message of a gate that has no design-based interval yet (never an i.i.d. one)."""
    design = " and ".join(
        x
        for x, given in (
            ("clustered (data.cluster / cluster=)", ev.cluster is not None),
            ("sampling-weighted (data.weight / sample_weight=)", ev.sample_weight is not None),
        )
        if given
    )
    return (
        f"{what} has no cluster-robust or weighted interval yet, and the rows are {design}: an "
        "i.i.d. interval would be too narrow (docs/validity.md), so none is given. Gate each "
        "model's metric on its own (metric gates and slices are design-based), or drop "
        "data.cluster / data.weight to compare on i.i.d. intervals knowingly"
    )


def _nan(level: float, method: str) -> Interval:
    return Interval(float("nan"), float("nan"), level, method)


def _suffix(ev: Evidence) -> str:
    return "cluster" if ev.cluster is not None else "weighted"


def _design_note(ev: Evidence, units: DesignUnits) -> str:
    if ev.cluster is not None:
        return f"cluster-robust over {units.k} clusters (data.cluster)"
    return "sampling weights (data.weight): design-based interval"


def _row_weight(ev: Evidence) -> np.ndarray:
    if ev.sample_weight is None:
        return np.ones(ev.n_stored)
    return ev.sample_weight


def design_estimate(metric: Metric, ev: Evidence, opts: Any, rng: np.random.Generator) -> Any:
    """Point estimate (weighted) and design-based interval of ``metric`` on ``ev``."""
    units = design_units(ev.cluster, ev.weight, ev.n_stored)
    if ev.cluster is not None and units.k < MIN_CLUSTERS:
        return MetricResult(
            metric.name,
            _point_only(metric, ev),
            _nan(opts.confidence, f"none-{_suffix(ev)}"),
            ev.n,
            note=(
                f"only {units.k} clusters (data.cluster): at least {MIN_CLUSTERS} are needed "
                "to estimate the between-cluster variance, so no interval is given; add "
                "clusters (rows from more customers), or gate on a coarser question"
            ),
        )
    if metric.kind == "counts":
        return _counts(metric, ev, opts, rng, units)
    if metric.kind == "ranking":
        return _ranking(metric, ev, opts, units)
    return _means(metric, ev, opts, units)


def _point_only(metric: Metric, ev: Evidence) -> float:
    """The point estimate without an interval (too few clusters to have one)."""
    units = DesignUnits(None, None, 0)
    if metric.kind == "counts":
        assert metric.from_counts is not None
        return float(metric.from_counts(np.asarray(ev.counts, float)[None])[0])
    if metric.kind == "ranking":
        return _ranking_value(metric, ev)
    from pytest_modelgate.estimates.metric import StatsOptions

    return _means(metric, ev, StatsOptions(), units).estimate


# --- confusion-count metrics ---------------------------------------------------------------------


def _counts(
    metric: Metric, ev: Evidence, opts: Any, rng: np.random.Generator, units: DesignUnits
) -> MetricResult:
    assert metric.from_counts is not None and ev.y_pred is not None
    counts = ev.counts  # raises the usual error when there are no predicted labels
    k = len(ev.classes)
    cells = ev.y_true * k + ev.y_pred
    totals = np.asarray(counts, dtype=np.float64)
    value = float(metric.from_counts(totals[None])[0])
    level = opts.confidence
    note = _design_note(ev, units)
    w = _row_weight(ev)
    support = None
    if metric.proportion is not None:
        basis = np.eye(k * k).reshape(k * k, k, k)
        num, den = (np.asarray(x, dtype=np.float64) for x in metric.proportion(basis))
        support = int(ev.total(den[cells] > 0))
        if opts.interval in ("auto", "wilson", "clopper-pearson", "normal"):
            total = float(w @ (den[cells] * ev.frequencies))
            if total <= 0:
                return MetricResult(
                    metric.name, value, _nan(level, "none"), ev.n, note=note, support=support
                )
            z, mult = units.sums(w * (num[cells] - value * den[cells]) / total)
            variance = linearised_variance(z, mult)
            if opts.interval == "normal":
                iv = t_interval(value, variance, level, units.k - 1, f"t-{_suffix(ev)}", (0, 1))
                return MetricResult(metric.name, value, iv, ev.n, note=note, support=support)
            # auto: Clopper–Pearson at the effective n (Korn & Graubard's choice); in simulation
            # Wilson at the effective n passed falsely 3.5% with 20 clusters, CP 2.8–3.0%
            method = "wilson" if opts.interval == "wilson" else "clopper-pearson"
            iv, n_eff = effective_proportion_interval(
                value, variance, support, units.k, level, method=method
            )
            iv = Interval(iv.low, iv.high, level, f"{iv.method}-{_suffix(ev)}")
            note = f"{note}; effective n {n_eff:.0f} of {support} rows"
            return MetricResult(metric.name, value, iv, ev.n, note=note, support=support)
    if math.isnan(value):
        return MetricResult(metric.name, value, _nan(level, "none"), ev.n, note=note)
    vectors, mult = _unit_count_vectors(cells, k * k, w, ev, units)
    if units.codes is not None and units.k < BOOTSTRAP_MIN_CLUSTERS:
        why = (
            f"{units.k} clusters are too few for an interval of {metric.name} (the cluster "
            f"bootstrap needs at least {BOOTSTRAP_MIN_CLUSTERS}; add clusters)"
        )
        return MetricResult(
            metric.name,
            value,
            _nan(level, f"bootstrap-{opts.bootstrap}-{_suffix(ev)}"),
            ev.n,
            note=f"{note}; {why}" if note else why,
            support=support,
        )
    if vectors.shape[0] <= MAX_BOOTSTRAP_UNIT_TYPES:
        shape = (k, k)

        def statistic(freq: np.ndarray) -> np.ndarray:
            return metric.from_counts((freq @ vectors).reshape(-1, *shape))  # type: ignore[misc]

        boot = count_bootstrap(
            mult,
            statistic,
            n_resamples=opts.resamples,
            confidence=level,
            method=opts.bootstrap,
            rng=rng,
        )
        iv = boot.interval
        iv = Interval(iv.low, iv.high, level, f"{iv.method}-{_suffix(ev)}")
        if boot.n_undefined:
            note += f"; {boot.n_undefined} of {opts.resamples} replicates undefined, left out"
        return MetricResult(metric.name, value, iv, ev.n, note=note, support=support)
    grad = numerical_gradient(metric.from_counts, totals).reshape(-1)
    z, zmult = units.sums(w * grad[cells])
    iv = t_interval(
        value, linearised_variance(z, zmult), level, units.k - 1, f"delta-{_suffix(ev)}",
        metric.bounds,
    )  # fmt: skip
    return MetricResult(metric.name, value, iv, ev.n, note=note, support=support)


def _unit_count_vectors(
    cells: np.ndarray, n_cells: int, w: np.ndarray, ev: Evidence, units: DesignUnits
) -> tuple[np.ndarray, np.ndarray]:
    """Each unit's weighted count vector, collapsed to the distinct ones with multiplicities."""
    if units.codes is not None:
        f = w if ev.weight is None else w * ev.weight
        flat = np.bincount(units.codes * n_cells + cells, weights=f, minlength=units.k * n_cells)
        return collapse_units(np.asarray(flat, dtype=np.float64).reshape(units.k, n_cells))
    # every row is a unit: its vector is w · onehot(cell), so distinct (cell, w) pairs suffice
    pairs, inverse = np.unique(np.column_stack([cells, w]), axis=0, return_inverse=True)
    mult = np.bincount(inverse.reshape(-1), weights=ev.frequencies, minlength=pairs.shape[0])
    vectors = np.zeros((pairs.shape[0], n_cells))
    vectors[np.arange(pairs.shape[0]), pairs[:, 0].astype(np.int64)] = pairs[:, 1]
    return vectors, np.rint(mult).astype(np.int64)


# --- ranking metrics ------------------------------------------------------------------------------


def _placements(
    y_pos: np.ndarray, scores: np.ndarray, pw: np.ndarray
) -> tuple[np.ndarray, np.ndarray, float, float, np.ndarray, int]:
    """Each row's weighted placement against the other class (ties half), the class weights,
    and the distinct-score codes."""
    _, code = np.unique(scores, return_inverse=True)
    code = code.reshape(-1)
    bins = int(code.max()) + 1 if code.size else 0
    neg = np.bincount(code, weights=np.where(y_pos, 0.0, pw), minlength=bins)
    pos = np.bincount(code, weights=np.where(y_pos, pw, 0.0), minlength=bins)
    m, n = float(pos.sum()), float(neg.sum())
    v10 = (np.cumsum(neg) - neg + 0.5 * neg)[code] / n if n > 0 else np.zeros(code.size)
    v01 = (m - np.cumsum(pos) + 0.5 * pos)[code] / m if m > 0 else np.zeros(code.size)
    return v10, v01, m, n, code, bins


def _ranking_value(metric: Metric, ev: Evidence) -> float:
    scores = ev.require_scores(metric.name)
    pw = np.asarray(ev.point_weight if ev.point_weight is not None else np.ones(ev.n_stored))
    y_pos = ev.positives
    v10, _v01, m, n, code, bins = _placements(y_pos, scores, pw.astype(np.float64))
    if m == 0 or n == 0:
        return float("nan")
    if metric.name == "roc_auc":
        return float((pw * v10)[y_pos].sum() / m)
    hist = np.bincount(code + bins * y_pos, weights=pw, minlength=2 * bins).reshape(2, bins)
    return float(average_precision_from_histogram(hist[None])[0])


def _ranking(metric: Metric, ev: Evidence, opts: Any, units: DesignUnits) -> MetricResult:
    scores = ev.require_scores(metric.name)
    if ev.score_bins is not None:
        from pytest_modelgate.estimates.metric import require_fine_enough_bins

        require_fine_enough_bins(ev, metric.name)
    level = opts.confidence
    y_pos = ev.positives
    n_pos = ev.total(y_pos)
    note = _design_note(ev, units)
    label = f"positives: {n_pos}, negatives: {ev.n - n_pos}"
    if n_pos == 0 or n_pos == ev.n:
        from pytest_modelgate.estimates.metric import one_class_result

        return one_class_result(metric.name, ev.n, n_pos, level)
    support = min(n_pos, ev.n - n_pos)
    w = _row_weight(ev)
    pw = w if ev.weight is None else w * ev.weight
    v10, v01, m, n, code, bins = _placements(y_pos, scores, pw)
    if metric.name == "roc_auc":
        auc = float((pw * v10)[y_pos].sum() / m)
        # Obuchowski (1997): unit sums of positives' and negatives' placements, jointly
        row = np.where(y_pos, w * (v10 - auc) / m, w * (v01 - auc) / n)
        z, mult = units.sums(row)
        iv = _logit_t_interval(auc, linearised_variance(z, mult), level, units.k - 1)
        iv = Interval(iv.low, iv.high, level, f"delong-logit-{_suffix(ev)}")
        return MetricResult(
            metric.name, auc, iv, ev.n, note=note, support=support, support_label=label
        )
    cells = code + bins * y_pos.astype(np.int64)
    hist = np.asarray(np.bincount(cells, weights=pw, minlength=2 * bins), dtype=np.float64)
    hist = hist.reshape(2, bins)
    value = float(average_precision_from_histogram(hist[None])[0])
    grad = numerical_gradient(average_precision_from_histogram, hist).reshape(-1)
    z, mult = units.sums(w * grad[cells])
    iv = t_interval(
        value, linearised_variance(z, mult), level, units.k - 1, f"delta-{_suffix(ev)}", (0, 1)
    )
    return MetricResult(
        metric.name, value, iv, ev.n, note=note, support=support, support_label=label
    )


def _logit_t_interval(auc: float, variance: float, level: float, df: float) -> Interval:
    """DeLong's interval on the logit scale (as ``delong-logit``), with a ``t`` quantile."""
    from scipy import special

    from pytest_modelgate.stats.cluster import t_quantile

    if not 0.0 < auc < 1.0 or not math.isfinite(variance) or variance < 0:
        return _nan(level, "delong-logit")
    half = t_quantile(level, df) * math.sqrt(variance) / (auc * (1.0 - auc))
    centre = math.log(auc / (1.0 - auc))
    return Interval(
        float(special.expit(centre - half)), float(special.expit(centre + half)), level, ""
    )


# --- means of per-row losses, and r2 --------------------------------------------------------------


def _skew_corrected(
    mean: float,
    z: np.ndarray,
    mult: np.ndarray | None,
    units: DesignUnits,
    level: float,
    method: str,
    bounds: tuple[float | None, float | None],
) -> tuple[Interval, str]:
    """Hall's skewness-corrected t on the units' (clusters' or weighted rows') contributions
    ``z``, with K − 1 degrees of freedom, under Cochran's rule on the units: a mean loss over
    few clusters is as skewed as the clusters' totals, and the plain t interval passed falsely
    5.6–5.8% (Brier, 20–40 clusters) — the same defect as the i.i.d. normal interval. Undefined,
    with the reason, when K < 25·skewness²."""
    k = float(units.k)
    m = np.ones(z.shape[0]) if mult is None else np.asarray(mult, np.float64)
    variance = linearised_variance(z, mult)
    if not (math.isfinite(variance) and k >= 3):
        return _nan(level, method), ""
    if variance <= 0:
        return Interval(mean, mean, level, method), ""
    centred = z - (m @ z) / k
    skewness = adjusted_skewness(centred, m, k, float(m @ (centred * centred)) / k)
    needed = COCHRAN_FACTOR * skewness * skewness
    what = "clusters" if units.codes is not None else "weighted rows"
    if k < needed:
        return _nan(level, method), (
            f"the {what}' contributions are too skewed for {k:,.0f} {what} (skewness "
            f"{skewness:.2g}): an interval needs about {math.ceil(needed):,} (Cochran's rule "
            "K ≥ 25·skewness²)"
        )
    low, high = hall_t_bounds(mean, math.sqrt(variance * k), k, skewness, level)
    return clipped_interval(low, high, level, method, bounds), ""


def _means(metric: Metric, ev: Evidence, opts: Any, units: DesignUnits) -> MetricResult:
    from pytest_modelgate.estimates.metric import per_row_loss

    level = opts.confidence
    note = _design_note(ev, units)
    w = _row_weight(ev)
    pw = w if ev.weight is None else w * ev.weight
    total = float(pw.sum())
    name = metric.name
    if name == "r2":
        assert ev.y_pred is not None
        y = ev.y_true
        sse = (ev.y_pred - y) ** 2
        a = float(pw @ sse / total)
        dev = y - float(pw @ y / total)
        b = float(pw @ (dev * dev) / total)
        if b <= 0:
            return MetricResult(
                name, float("nan"), _nan(level, "none"), ev.n, note="the target is constant"
            )
        value = 1.0 - a / b
        influence = -(sse - a) / b + a * (dev * dev - b) / (b * b)
        z, mult = units.sums(w * influence / total)
        iv = t_interval(
            value, linearised_variance(z, mult), level, units.k - 1, f"delta-{_suffix(ev)}",
            (None, 1.0),
        )  # fmt: skip
        return MetricResult(name, value, iv, ev.n, note=note)
    losses = per_row_loss(metric, ev)
    mean = float(pw @ losses / total)
    z, mult = units.sums(w * (losses - mean) / total)
    bounds = (0.0, None) if metric.kind == "regression" else metric.bounds
    iv, why = _skew_corrected(mean, z, mult, units, level, f"hall-t-{_suffix(ev)}", bounds)
    if why:
        note = f"{note}; {why}" if note else why
    if name != "rmse":
        return MetricResult(name, mean, iv, ev.n, note=note)
    return MetricResult(
        name,
        math.sqrt(mean),
        Interval(math.sqrt(max(iv.low, 0.0)), math.sqrt(iv.high), level, iv.method),
        ev.n,
        note=note,
    )


# --- paired comparisons (compare: baseline / constant) ----------------------------------------


def design_compare(metric: Metric, cand: Evidence, base: Evidence, opts: Any) -> Any:
    """Δ (oriented so that higher is better) between two models on the same clustered or
    weighted rows, with a design-based interval; ``None`` where none exists yet (the caller
    refuses the gate with a message — never an i.i.d. interval).

    Supported: rates whose denominator the labels fix (accuracy, recall, specificity, fpr, fnr,
    selection rate: the paired difference is a ratio of per-row sums over one denominator), every
    other confusion-count metric (precision with each model's own denominator, f1, mcc, ...:
    the difference of the two models' per-row influence values, :mod:`~pytest_modelgate.
    estimates.influence`), ROC AUC (Obuchowski's structural components of both models on the
    same clusters), average precision (its exact derivative per distinct score) and the mean
    losses (log loss, Brier, MAE, MSE, MAPE); not rmse and r2. Each unit's (cluster's, or
    weighted row's) contribution to Δ is summed in one ``bincount``; the interval is Hall's
    skewness-corrected ``t(K − 1)`` on their CR1 variance, joined with the plain ``t`` interval
    (the union, as for i.i.d. loss differences: Hall alone errs on heavy-tailed symmetric
    differences), and undefined under Cochran's rule K < 25·skewness². Validated in the
    validity matrix's compare-clustered and compare-design cells.
    """
    from pytest_modelgate.estimates.metric import per_row_loss
    from pytest_modelgate.results import ComparisonResult

    units = design_units(cand.cluster, cand.weight, cand.n_stored)
    level = opts.confidence
    suffix = _suffix(cand)
    w = _row_weight(cand)
    f = w if cand.weight is None else w * cand.weight
    note = _design_note(cand, units)
    support: int | None = None
    sign = 1.0 if metric.higher_is_better else -1.0
    if metric.kind == "counts":
        if cand.y_pred is None or base.y_pred is None:
            return None
        k = len(cand.classes)
        basis = np.eye(k * k).reshape(k * k, k, k)
        cells_c = cand.y_true * k + cand.y_pred
        cells_b = base.y_true * k + base.y_pred
        d: np.ndarray | None = None
        if metric.proportion is not None:
            num, den = (np.asarray(x, dtype=np.float64) for x in metric.proportion(basis))
            d_c, d_b = den[cells_c], den[cells_b]
            support = min(int(cand.total(d_c > 0)), int(base.total(d_b > 0)))
            if np.array_equal(d_c, den[cells_b]):
                d = d_c
        if d is not None:  # one denominator the labels fix (accuracy, recall, ...)
            total = float(f @ d)
            if total <= 0:
                return None
            c_value = float(f @ num[cells_c]) / total
            b_value = float(f @ num[cells_b]) / total
            row = w * sign * (num[cells_c] - num[cells_b] - (c_value - b_value) * d) / total
        else:
            # each model its own denominator (precision) or a nonlinear metric (f1, mcc):
            # the difference of the two models' linearisations, row by row
            c_value, row_c = count_influence(metric, cand)
            b_value, row_b = count_influence(metric, base)
            row = sign * (row_c - row_b)
        delta = sign * (c_value - b_value)
        bounds: tuple[float | None, float | None] = (-1.0, 1.0)
        if metric.bounds[0] is not None and metric.bounds[1] is not None:
            span = float(metric.bounds[1]) - float(metric.bounds[0])
            bounds = (-span, span)
    elif metric.kind == "ranking":
        if metric.name not in ("roc_auc", "average_precision"):
            return None
        from pytest_modelgate.estimates.metric import require_fine_enough_bins

        for ev in (cand, base):
            require_fine_enough_bins(ev, metric.name)
        n_pos = cand.total(cand.positives)
        support = min(n_pos, cand.n - n_pos)
        influence = auc_influence if metric.name == "roc_auc" else ap_influence
        c_value, row_c = influence(cand, cand.require_scores(metric.name))
        b_value, row_b = influence(base, base.require_scores(metric.name))
        delta = c_value - b_value
        row = row_c - row_b
        bounds = (-1.0, 1.0)
    elif metric.name not in ("rmse", "r2"):
        lc, lb = per_row_loss(metric, cand), per_row_loss(metric, base)
        total = float(f.sum())
        c_value, b_value = float(f @ lc) / total, float(f @ lb) / total
        delta = b_value - c_value  # a loss: lower is better
        row = w * ((lb - lc) - delta) / total
        bounds = (None, None)
    else:
        return None
    if not math.isfinite(delta):
        return ComparisonResult(
            metric.name,
            float(delta),
            _nan(level, "none"),
            c_value,
            b_value,
            cand.n,
            True,
            "none",
            None,
            f"{metric.name} is undefined for one of the models on these rows",
            support=support,
        )
    method = f"paired-hall-t-{suffix}"
    fewest = AP_COMPARE_MIN_CLUSTERS if metric.name == "average_precision" else MIN_CLUSTERS
    if cand.cluster is not None and units.k < fewest:
        why = f"only {units.k} clusters (data.cluster): at least {fewest} are needed"
        iv, p = _nan(level, method), None
    else:
        z, mult = units.sums(row)
        hall, why = _skew_corrected(delta, z, mult, units, level, method, bounds)
        variance = linearised_variance(z, mult)
        plain = t_interval(delta, variance, level, units.k - 1, method, bounds)
        if hall.is_defined and plain.is_defined:
            iv = Interval(min(hall.low, plain.low), max(hall.high, plain.high), level, method)
        else:
            iv = hall
        p = None
        if math.isfinite(variance) and variance > 0:
            from scipy import stats as _stats

            t = delta / math.sqrt(variance)
            p = float(2 * _stats.t.sf(abs(t), units.k - 1))
    return ComparisonResult(
        metric.name,
        float(delta),
        iv,
        c_value,
        b_value,
        cand.n,
        True,
        method,
        p,
        "; ".join(x for x in (note, why) if x),
        support=support,
    )
