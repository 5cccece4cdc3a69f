"""Metric → point estimate and confidence interval, from the sufficient statistics.

``interval: auto`` picks, per metric, a method chosen by simulation (docs/validity.md, issue #13):

=====================================  ========================================================
metric                                 auto method
=====================================  ========================================================
one binomial proportion (accuracy,     Clopper–Pearson (exact: each one-sided error ≤ (1 −
recall, precision, fpr, ...)           confidence)/2 at every n and rate; Wilson's exceeded it,
                                       e.g. 8.9% false FAIL of a lenient gate at n = 50, bar 0.99)
other confusion metrics (f1, mcc, ...) BCa bootstrap on the multinomial confusion counts
roc_auc                                ``delong-newcombe-hull``: the hull of DeLong (logit and
                                       Wald) and Newcombe's Hanley–McNeil score interval
                                       (``stats/auc_interval.py``)
average_precision                      BCa bootstrap on per-class score histograms
log_loss, brier_score, mae, mse, mape  ``hall-t``: Hall's skewness-corrected t interval of the
                                       mean per-row loss; undefined (INCONCLUSIVE) below
                                       Cochran's n ≥ 25·skewness² (``stats/skewed_mean.py``)
rmse                                   the mse interval, square-rooted (monotone transform)
r2                                     delta method (influence function of 1 − SSE/SST)
=====================================  ========================================================

Requested methods: ``wilson`` (proportions), ``delong`` (roc_auc: ``delong-logit``), ``normal``
(proportions: Wald; roc_auc: ``delong-logit``; mean losses: the plain CLT interval) and
``bootstrap``. A requested method that does not apply to a metric falls back to auto for it;
the result always records the method actually used.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from pytest_modelgate.errors import ModelError
from pytest_modelgate.estimates.metrics import (
    Metric,
    auc_from_histogram,
    average_precision_from_histogram,
)
from pytest_modelgate.evidence.core import Evidence
from pytest_modelgate.evidence.ranks import MAX_SCORE_BINS, ScoreCodes, score_codes
from pytest_modelgate.results import MetricResult
from pytest_modelgate.stats import (
    Interval,
    auc_hull_interval,
    clopper_pearson_interval,
    count_bootstrap,
    delong_auc_variance,
    delong_from_codes,
    delong_logit_interval,
    normal_interval,
    skewed_mean_interval,
    weighted_row_bootstrap,
    wilson_interval,
)

__all__ = [
    "MAX_SCORE_BINS",
    "ScoreCodes",
    "StatsOptions",
    "estimate_metric",
    "per_row_loss",
    "score_codes",
    "score_histogram",
    "weighted_mean",
    "weighted_sd",
]


@dataclass(frozen=True)
class StatsOptions:
    """The ``stats:`` settings that shape an estimate."""

    confidence: float = 0.95
    interval: str = "auto"
    bootstrap: str = "bca"
    resamples: int = 2000


def _nan_interval(level: float, method: str) -> Interval:
    return Interval(float("nan"), float("nan"), level, method)


def one_class_result(name: str, n: int, n_pos: int, level: float) -> MetricResult:
    """A ranking metric on rows of one class only: undefined, saying which class."""
    only = "positive" if n_pos else "negative"
    return MetricResult(
        name,
        float("nan"),
        _nan_interval(level, "none"),
        n,
        note=f"only {only} labels: {name} is undefined",
        support=0,
    )


def weighted_mean(values: np.ndarray, weight: np.ndarray | None) -> float:
    """Mean of ``values`` with row frequencies (``None``: each row once)."""
    if weight is None:
        return float(values.mean())
    return float(weight @ values / weight.sum())


def weighted_sd(values: np.ndarray, weight: np.ndarray | None) -> float:
    """Standard deviation (``ddof=1``) of the rows ``values`` stands for, frequencies included."""
    if weight is None:
        return float(values.std(ddof=1))
    total = float(weight.sum())
    dev = values - weighted_mean(values, weight)
    return float(np.sqrt(weight @ (dev * dev) / (total - 1.0)))


def score_histogram(
    y_pos: np.ndarray,
    scores: np.ndarray,
    max_bins: int = MAX_SCORE_BINS,
    weight: np.ndarray | None = None,
) -> tuple[np.ndarray, bool]:
    """Per-class score histogram ``(2, bins)`` sorted by ascending score.

    Exact (one bin per distinct score) when there are at most ``max_bins`` distinct scores,
    otherwise quantile bins; the flag says whether it is exact. With row frequencies
    (``weight``), counts and quantile edges are those of the expanded rows.
    """
    codes = score_codes(scores, max_bins, weight)
    return codes.histogram(y_pos, weight), codes.exact


def _counts_estimate(
    metric: Metric, ev: Evidence, opts: StatsOptions, rng: np.random.Generator
) -> MetricResult:
    counts = ev.counts
    assert metric.from_counts is not None
    value = float(metric.from_counts(counts[None])[0])
    level = opts.confidence
    support = None
    if metric.proportion is not None:
        successes, trials = (float(x) for x in metric.proportion(counts))
        support = int(trials)
        if opts.interval == "wilson":
            return MetricResult(
                metric.name, value, wilson_interval(successes, trials, level), ev.n, support=support
            )
        if opts.interval in ("auto", "clopper-pearson"):
            return MetricResult(
                metric.name,
                value,
                clopper_pearson_interval(successes, trials, level),
                ev.n,
                support=support,
            )
        if opts.interval == "normal":
            se = np.sqrt(value * (1 - value) / trials) if trials > 0 else float("nan")
            return MetricResult(
                metric.name,
                value,
                normal_interval(value, se, level, bounds=(0.0, 1.0)),
                ev.n,
                support=support,
            )
    if np.isnan(value):
        return MetricResult(metric.name, value, _nan_interval(level, "none"), ev.n, support=support)
    boot = count_bootstrap(
        counts,
        metric.from_counts,
        n_resamples=opts.resamples,
        confidence=level,
        method=opts.bootstrap,  # type: ignore[arg-type]
        rng=rng,
    )
    note = (
        f"{boot.n_undefined} of {opts.resamples} bootstrap replicates undefined and left out"
        if boot.n_undefined
        else ""
    )
    return MetricResult(metric.name, value, boot.interval, ev.n, note=note, support=support)


def _ranking_estimate(
    metric: Metric, ev: Evidence, opts: StatsOptions, rng: np.random.Generator
) -> MetricResult:
    scores = ev.require_scores(metric.name)
    y_pos = ev.positives
    level = opts.confidence
    n_pos = ev.total(y_pos)
    if n_pos == 0 or n_pos == ev.n:
        return one_class_result(metric.name, ev.n, n_pos, level)
    support = min(n_pos, ev.n - n_pos)
    binned = _binned_scores_note(ev, metric.name, require_fine_enough_bins(ev, metric.name))
    if metric.name == "roc_auc":
        if ev.weight is None:  # from the cached rank codes: no sort of its own
            aucs, cov = delong_from_codes(y_pos, [ev.score_codes.distinct])
            value, variance = float(aucs[0]), float(cov[0, 0])
        else:
            value, variance = delong_auc_variance(y_pos, scores, ev.weight)
        if opts.interval in ("auto", "delong", "normal"):
            if opts.interval == "auto":
                interval = auc_hull_interval(value, variance, n_pos, ev.n - n_pos, level)
            else:
                interval = delong_logit_interval(value, variance, level)
            return MetricResult(
                metric.name,
                float(value),
                interval,
                ev.n,
                note=binned,
                support=support,
                support_label=f"positives: {n_pos}, negatives: {ev.n - n_pos}",
            )
        statistic = auc_from_histogram
    codes = ev.score_codes
    if metric.name != "roc_auc":
        exact_hist = codes.histogram(y_pos, ev.weight, exact=True)
        value = float(average_precision_from_histogram(exact_hist[None])[0])
        statistic = average_precision_from_histogram
    hist, exact = codes.histogram(y_pos, ev.weight), codes.exact
    boot = count_bootstrap(
        hist,
        statistic,
        n_resamples=opts.resamples,
        confidence=level,
        method=opts.bootstrap,  # type: ignore[arg-type]
        rng=rng,
    )
    note = ""
    if not exact:
        approx = float(statistic(hist[None])[0])
        note = (
            f"bootstrap on {hist.shape[1]} score bins (histogram value {approx:.6f} vs exact "
            f"{value:.6f})"
        )
    # centre the bootstrap interval on the exact value when bins approximate the scores
    shift = value - float(statistic(hist[None])[0]) if not exact else 0.0
    interval = Interval(
        boot.interval.low + shift, boot.interval.high + shift, level, boot.interval.method
    )
    return MetricResult(
        metric.name,
        value,
        interval,
        ev.n,
        note="; ".join(x for x in (binned, note) if x),
        support=support,
        support_label=f"positives: {n_pos}, negatives: {ev.n - n_pos}",
    )


# above this share of positive–negative pairs in one score bin, binned ranking metrics are refused
MAX_TIED_PAIR_SHARE = 0.05


def tied_pair_share(ev: Evidence) -> float:
    """The share of positive–negative pairs whose scores are tied (on binned scores: share a
    bin). Binning moves the AUC by at most half of it."""
    if ev.scores is None:
        return 0.0
    hist = ev.score_codes.histogram(ev.positives, ev.weight, exact=True)
    neg, pos = hist[0].astype(float), hist[1].astype(float)
    total = pos.sum() * neg.sum()
    return float(pos @ neg) / total if total else 0.0


def require_fine_enough_bins(ev: Evidence, name: str) -> float | None:
    """Refuse ranking metrics on binned scores that lost the ranking: equal-width bins over
    [min, max] collapse when an outlier stretches the range (one score of 1e5 puts every other
    row in bin 0), and a confident interval around the collapsed AUC would be wrong."""
    if ev.score_bins is None or ev.scores is None:
        return None
    shared = tied_pair_share(ev)
    if shared > MAX_TIED_PAIR_SHARE:
        lo, hi = float(np.min(ev.scores)), float(np.max(ev.scores))
        raise ModelError(
            f"{ev.source}: {name} is not reliable on these binned scores: {shared:.1%} of "
            f"positive–negative pairs share one of the {ev.score_bins} equal-width score bins "
            f"(scores range over [{lo:.4g}, {hi:.4g}]; an outlier stretches the bins), so the "
            f"AUC could be off by up to {0.5 * shared:.2g}. Rescale the scores (e.g. to "
            "probabilities), raise data.score_bins, set it to null (exact scores), or use "
            "data.engine: memory"
        )
    return shared


def _binned_scores_note(ev: Evidence, name: str, shared: float | None) -> str:
    """What binning the scores did: for ROC AUC the exact bound on the error (binning turns
    positive–negative pairs that share a bin into ties, each moving the AUC by at most 1/2)."""
    if ev.score_bins is None or ev.scores is None:
        return ""
    text = f"{name} of scores grouped into {ev.score_bins} equal-width bins (data.score_bins)"
    if name != "roc_auc":
        return f"{text}: pairs within one bin count as ties"
    assert shared is not None  # require_fine_enough_bins measured it for binned scores
    return (
        f"{text}: within ±{0.5 * shared:.2g} of the AUC of the unbinned scores "
        f"({shared:.2%} of positive–negative pairs share a bin and count as ties)"
    )


def _require_exact_probabilities(ev: Evidence, name: str) -> None:
    if ev.score_bins is not None:
        raise ModelError(
            f"{ev.source}: {name} is not available on grouped data with binned scores "
            f"(data.score_bins: {ev.score_bins}) because binning moves every probability by up "
            "to half a bin width, which changes each row's loss (log loss without bound near 0 "
            "and 1); set data.score_bins: null to group on the exact scores, or use "
            "data.engine: memory"
        )


def per_row_loss(metric: Metric, ev: Evidence) -> np.ndarray:
    """The per-row loss whose mean is the metric (log loss, Brier, absolute/squared/percentage
    error; rmse and r2 use the squared error). The one definition shared by the estimates, the
    paired comparisons and the fairness gaps. One value per *stored* row: with grouped evidence
    the means weight them by ``ev.weight``."""
    eps = np.finfo(np.float64).eps
    if metric.name in ("brier_score", "log_loss"):
        _require_exact_probabilities(ev, metric.name)
    if metric.name == "brier_score":
        p = ev.require_probabilities(metric.name)
        return (p - ev.y_true) ** 2
    if metric.name == "log_loss":
        p = ev.require_probabilities(metric.name)
        if ev.task == "binary":
            p_true = np.where(ev.y_true == 1, p, 1.0 - p)
        else:
            if p.ndim != 2:
                raise ModelError(f"{ev.source}: log_loss needs class probabilities")
            p_true = p[np.arange(ev.n_stored), ev.y_true]
        return -np.log(np.clip(p_true, eps, 1 - eps))
    assert ev.y_pred is not None
    err = ev.y_pred - ev.y_true
    if metric.name == "mae":
        return np.abs(err)
    if metric.name in ("mse", "rmse", "r2"):
        return err * err
    if metric.name == "mape":
        return np.abs(err) / np.maximum(np.abs(ev.y_true), eps)
    raise KeyError(metric.name)  # pragma: no cover


def _mean_estimate(
    name: str,
    values: np.ndarray,
    opts: StatsOptions,
    n: int,
    bounds: tuple[float | None, float | None],
    weight: np.ndarray | None = None,
) -> MetricResult:
    """A mean per-row loss: Hall's skewness-corrected t under Cochran's rule (auto), or the
    plain normal interval when ``interval: normal`` asks for it."""
    value = weighted_mean(values, weight)
    if opts.interval == "normal":
        se = weighted_sd(values, weight) / np.sqrt(n) if n > 1 else float("nan")
        return MetricResult(
            name, value, normal_interval(value, se, opts.confidence, bounds=bounds), n
        )
    skewed = skewed_mean_interval(values, weight, opts.confidence, bounds=bounds)
    return MetricResult(name, value, skewed.interval, n, note=skewed.note)


def _weighted_mean_statistic(weights: np.ndarray, columns: np.ndarray) -> np.ndarray:
    return (weights @ columns[:, 0]) / weights.sum(axis=1)


def _row_bootstrap(
    name: str,
    value: float,
    columns: np.ndarray,
    statistic,
    opts: StatsOptions,
    rng: np.random.Generator,
    n: int,
    weight: np.ndarray | None = None,
) -> MetricResult:
    boot = weighted_row_bootstrap(
        columns,
        statistic,
        n_resamples=opts.resamples,
        confidence=opts.confidence,
        method=opts.bootstrap,  # type: ignore[arg-type]
        rng=rng,
        frequencies=weight,
    )
    return MetricResult(name, value, boot.interval, n)


def _r2_weighted(weights: np.ndarray, columns: np.ndarray) -> np.ndarray:
    w = weights.sum(axis=1)
    sse = weights @ columns[:, 0]
    sy = weights @ columns[:, 1]
    syy = weights @ columns[:, 2]
    sst = syy - sy * sy / w
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(sst > 0, 1.0 - sse / np.where(sst > 0, sst, 1.0), np.nan)


def _regression_estimate(
    metric: Metric, ev: Evidence, opts: StatsOptions, rng: np.random.Generator
) -> MetricResult:
    y, yhat = ev.y_true, ev.y_pred
    assert yhat is not None
    n = ev.n
    w = ev.weight
    level = opts.confidence
    err = yhat - y
    boot = opts.interval == "bootstrap"
    name = metric.name
    if name in ("mae", "mse", "mape", "rmse"):
        per_row = per_row_loss(metric, ev)
        if boot:
            est = _row_bootstrap(
                name,
                weighted_mean(per_row, w),
                per_row[:, None],
                _weighted_mean_statistic,
                opts,
                rng,
                n,
                w,
            )
        else:
            est = _mean_estimate(name, per_row, opts, n, (0.0, None), w)
        if name != "rmse":
            return est
        iv = est.interval
        return MetricResult(
            name,
            float(np.sqrt(est.value)),
            Interval(
                float(np.sqrt(max(iv.low, 0.0))), float(np.sqrt(iv.high)), iv.level, iv.method
            ),
            n,
            note=est.note,
        )
    # r2 = 1 - SSE/SST
    sse_i = err * err
    dev = y - weighted_mean(y, w)
    a, b = weighted_mean(sse_i, w), weighted_mean(dev * dev, w)
    if b <= 0:
        return MetricResult(
            name,
            float("nan"),
            _nan_interval(level, "none"),
            n,
            note="the target is constant: r2 is undefined",
        )
    value = float(1.0 - a / b)
    if boot:
        cols = np.column_stack([sse_i, y, y * y])
        return _row_bootstrap(name, value, cols, _r2_weighted, opts, rng, n, w)
    # influence function of -a/b (the centring of y contributes nothing to first order)
    influence = -(sse_i - a) / b + a * (dev * dev - b) / (b * b)
    se = weighted_sd(influence, w) / np.sqrt(n)
    return MetricResult(
        name, value, normal_interval(value, se, level, method="delta", bounds=(None, 1.0)), n
    )


def estimate_metric(
    metric: Metric, ev: Evidence, opts: StatsOptions, rng: np.random.Generator
) -> MetricResult:
    """Point estimate and ``opts.confidence`` interval of ``metric`` on ``ev``.

    An interval of zero width (a bootstrap whose every replicate is equal, DeLong requested on
    perfectly separated scores, a mean loss of exactly 0) measures no uncertainty at all: it is
    returned as undefined, with a note, so that the gate is INCONCLUSIVE rather than a pass on
    no evidence. (Wilson, Clopper–Pearson and the DeLong–Newcombe hull never collapse.)
    """
    est = _estimate(metric, ev, opts, rng)
    iv = est.interval
    if iv.is_defined and iv.width == 0 and not np.isnan(est.value):
        note = (
            f"the {iv.method} interval collapsed to the single value {est.value:.6g}: these "
            f"{ev.n} rows show no variation to measure uncertainty from (e.g. no errors at "
            "all); add rows, or gate a proportion metric whose Wilson interval stays valid"
        )
        return replace(est, interval=_nan_interval(iv.level, iv.method), note=note)
    return est


def _estimate(
    metric: Metric, ev: Evidence, opts: StatsOptions, rng: np.random.Generator
) -> MetricResult:
    if ev.n == 0:
        return MetricResult(
            metric.name, float("nan"), _nan_interval(opts.confidence, "none"), 0, note="no rows"
        )
    if metric.kind == "churn":  # #19: a pair of models, never one model's evidence
        from pytest_modelgate.errors import DataError

        raise DataError(
            f"{metric.name} compares the candidate's per-row predictions with the baseline's; "
            "it has no value on one model's evidence (the gate engine computes it from both)"
        )
    if metric.name == "roc_auc_ovr":  # #19: macro one-vs-rest AUC (estimates/per_class.py)
        from pytest_modelgate.estimates.per_class import macro_auc_estimate

        if ev.has_design:
            from pytest_modelgate.errors import DataError
            from pytest_modelgate.estimates.clustered import design_not_supported

            raise DataError(design_not_supported(ev, metric.name))
        return macro_auc_estimate(ev, opts.confidence)
    if metric.estimator is not None:  # #19: operating points, calibration, costs
        return metric.estimator(metric, ev, opts, rng)  # type: ignore[return-value]
    if ev.has_design:  # clustered or sampling-weighted rows: estimates/clustered.py
        from pytest_modelgate.estimates.clustered import design_estimate

        return design_estimate(metric, ev, opts, rng)
    if metric.kind == "counts":
        return _counts_estimate(metric, ev, opts, rng)
    if metric.kind == "ranking":
        return _ranking_estimate(metric, ev, opts, rng)
    if metric.kind == "row_mean":
        losses = per_row_loss(metric, ev)
        if opts.interval == "bootstrap":
            return _row_bootstrap(
                metric.name,
                weighted_mean(losses, ev.weight),
                losses[:, None],
                _weighted_mean_statistic,
                opts,
                rng,
                ev.n,
                ev.weight,
            )
        return _mean_estimate(metric.name, losses, opts, ev.n, metric.bounds, ev.weight)
    return _regression_estimate(metric, ev, opts, rng)
