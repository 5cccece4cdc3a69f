"""The per-group statistics behind a fairness gap: each group's rates (or metric) and the count
tables or parametric summaries its bootstrap resamples."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from pytest_modelgate.errors import ModelError
from pytest_modelgate.estimates.metric import per_row_loss
from pytest_modelgate.estimates.metrics import (
    Metric,
    auc_from_histogram,
    average_precision_from_histogram,
)
from pytest_modelgate.evidence.core import Evidence, weighted_bincount

# what each named rate divides by (min_support applies to it, per group and rate)
_DENOMINATORS = {"selection_rate": "rows", "tpr": "positives", "fpr": "negatives"}

# named gap -> the per-group rates it compares (order matters for equalized odds: fairlearn's
# builtin max/min over (tpr, fpr) treats a nan in the first position differently)
_NAMED_RATES: dict[str, tuple[str, ...]] = {
    "demographic_parity": ("selection_rate",),
    "equalized_odds": ("tpr", "fpr"),
    "equal_opportunity": ("tpr",),
}

# bound on int64 elements of one chunk of bootstrap draws (~32 MB)
_MAX_DRAW_ELEMENTS = 4_000_000


class GapNotApplicable(ValueError):
    """The gap does not apply to this task (a named gap on a multiclass task, say): the user's
    spec asks for something the data cannot give, unlike our own ValueErrors."""


TableValues = Callable[[NDArray[np.int64]], NDArray[np.float64]]


@dataclass(frozen=True)
class _GroupStats:
    """Per-group values of the compared quantities and how to resample them.

    ``values`` are exact (they give the point estimate). Either ``tables`` + ``table_values``
    (stratified multinomial bootstrap on per-group cell counts; ``approx`` when the tables are
    binned and their values only approximate ``values``) or ``centre`` + ``se`` (parametric
    bootstrap, ``transform`` maps draws to values) is set. When every component is one binomial
    proportion (selection rate, TPR, FPR, recall, accuracy, ...), ``successes``/``trials`` hold
    its counts per group and ``denominators`` name what each component divides by.
    """

    components: tuple[str, ...]
    values: NDArray[np.float64]  # (G, m)
    tables: NDArray[np.int64] | None = None  # (G, *cells)
    table_values: TableValues | None = None  # (..., *cells) -> (..., m)
    approx: bool = False
    centre: NDArray[np.float64] | None = None  # (G, m)
    se: NDArray[np.float64] | None = None  # (G, m)
    transform: Callable[[NDArray[np.float64]], NDArray[np.float64]] | None = None
    notes: tuple[str, ...] = ()
    successes: NDArray[np.float64] | None = None  # (G, m)
    trials: NDArray[np.float64] | None = None  # (G, m)
    denominators: tuple[str, ...] = ()


# --- the gap --------------------------------------------------------------------------------------


def _zero_if_empty(num: NDArray[np.float64], den: NDArray[np.float64]) -> NDArray[np.float64]:
    # fairlearn's TPR/FPR come from confusion_matrix(normalize="true"), which maps 0/0 to 0
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)


def _rates_function(components: tuple[str, ...]) -> TableValues:
    """Vectorised per-table rates ``(..., 2, 2) → (..., m)`` with fairlearn's 0/0 → 0."""

    def rates(counts: NDArray[np.int64]) -> NDArray[np.float64]:
        c = np.asarray(counts, dtype=np.float64)
        tn, fp, fn, tp = c[..., 0, 0], c[..., 0, 1], c[..., 1, 0], c[..., 1, 1]
        out = []
        for comp in components:
            if comp == "selection_rate":
                out.append(_zero_if_empty(fp + tp, tn + fp + fn + tp))
            elif comp == "tpr":
                out.append(_zero_if_empty(tp, tp + fn))
            else:  # fpr
                out.append(_zero_if_empty(fp, fp + tn))
        return np.stack(out, axis=-1)

    return rates


def _group_counts(ev: Evidence, codes: NDArray[np.int64], n_groups: int) -> NDArray[np.int64]:
    """Confusion counts ``(G, K, K)`` ``[group, true, predicted]`` in one bincount pass."""
    k = len(ev.classes)
    assert ev.y_pred is not None
    flat = weighted_bincount((codes * k + ev.y_true) * k + ev.y_pred, ev.weight, n_groups * k * k)
    return flat.reshape(n_groups, k, k)


def _require_labels(ev: Evidence, what: str) -> None:
    if ev.y_pred is None:
        raise ModelError(
            f"{ev.source}: {what} needs predicted labels (the model gave only scores); "
            "set models.threshold to turn scores into labels"
        )


def _named_stats(
    base: str, ev: Evidence, codes: NDArray[np.int64], labels: Sequence[str]
) -> _GroupStats:
    if ev.task != "binary":
        raise GapNotApplicable(f"{base}_* needs a binary task, got {ev.task!r}")
    _require_labels(ev, f"{base}_*")
    components = _NAMED_RATES[base]
    tables = _group_counts(ev, codes, len(labels))
    rates = _rates_function(components)
    values = rates(tables)
    c = tables.astype(np.float64)
    tn, fp, fn, tp = c[:, 0, 0], c[:, 0, 1], c[:, 1, 0], c[:, 1, 1]
    counts = {
        "selection_rate": (fp + tp, tn + fp + fn + tp),
        "tpr": (tp, tp + fn),
        "fpr": (fp, fp + tn),
    }
    return _GroupStats(
        components,
        values,
        tables,
        rates,
        successes=np.stack([counts[comp][0] for comp in components], axis=-1),
        trials=np.stack([counts[comp][1] for comp in components], axis=-1),
        denominators=tuple(_DENOMINATORS[comp] for comp in components),
    )


def _empty_denominator_notes(
    stats: _GroupStats, included: NDArray[np.intp], labels: Sequence[str]
) -> list[str]:
    """Name the included groups whose TPR or FPR fairlearn's convention turned from 0/0 into 0."""
    assert stats.tables is not None
    notes = []
    for comp, true_row, what in (("tpr", 1, "positives"), ("fpr", 0, "negatives")):
        if comp in stats.components:
            empty = included[stats.tables[included, true_row, :].sum(-1) == 0]
            if empty.size:
                notes.append(
                    f"{comp.upper()} is 0/0 in {_names([labels[int(g)] for g in empty])} "
                    f"(no {what}) and counted as 0, as fairlearn does"
                )
    return notes


def _ranking_stats(
    metric: Metric, ev: Evidence, codes: NDArray[np.int64], labels: Sequence[str]
) -> _GroupStats:
    scores = np.asarray(ev.require_scores(metric.name), dtype=np.float64)
    if scores.ndim != 1:
        raise GapNotApplicable(f"{metric.name} per group needs one score per row (a binary task)")
    y_pos = ev.positives.astype(np.int64)
    n_groups = len(labels)
    statistic = auc_from_histogram if metric.name == "roc_auc" else average_precision_from_histogram
    shared = ev.score_codes  # the evidence's one sort of the scores (quantile bins as AP's)
    bin_codes, bins, exact = shared.binned, shared.bins, shared.exact
    hist = weighted_bincount(
        (codes * 2 + y_pos) * bins + bin_codes, ev.weight, n_groups * 2 * bins
    ).reshape(n_groups, 2, bins)

    def table_values(h: NDArray[np.int64]) -> NDArray[np.float64]:
        return statistic(h)[..., None]

    values = table_values(hist)
    notes: tuple[str, ...] = ()
    if not exact:
        # exact per-group values from each group's own distinct scores (a loop over groups)
        values = np.full((n_groups, 1), np.nan)
        for g in range(n_groups):
            rows = codes == g
            if rows.any():
                distinct, inverse = np.unique(scores[rows], return_inverse=True)
                own = weighted_bincount(
                    inverse + distinct.size * y_pos[rows],
                    None if ev.weight is None else ev.weight[rows],
                    2 * distinct.size,
                ).reshape(2, distinct.size)
                values[g, 0] = statistic(own[None])[0]
        notes = (f"bootstrap on {bins} common score bins, centred on the exact gap",)
    return _GroupStats((metric.name,), values, hist, table_values, approx=not exact, notes=notes)


def _group_mean_se(
    per_row: NDArray[np.float64],
    codes: NDArray[np.int64],
    sizes: NDArray[np.int64],
    weight: NDArray[np.int64] | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per-group mean and its standard error (``ddof=1``) by bincount, ``nan`` where undefined;
    ``weight`` are row frequencies (grouped evidence), ``sizes`` the weighted group sizes."""
    n_groups = sizes.size
    w = 1.0 if weight is None else weight
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.bincount(codes, weights=per_row * w, minlength=n_groups) / sizes
        # centred second pass: sum of squares about the group mean is stable for large means
        dev = per_row - mean[codes]
        ss = np.bincount(codes, weights=dev * dev * w, minlength=n_groups)
        se = np.where(sizes > 1, np.sqrt(ss / (sizes - 1) / sizes), np.nan)
    return mean, se


def _parametric_stats(
    metric: Metric, ev: Evidence, codes: NDArray[np.int64], labels: Sequence[str]
) -> _GroupStats:
    n_groups = len(labels)
    w = ev.weight
    sizes = weighted_bincount(codes, w, n_groups)
    transform: Callable[[NDArray[np.float64]], NDArray[np.float64]] | None = None
    if metric.kind != "row_mean" and ev.y_pred is None:
        raise ModelError(f"{ev.source}: {metric.name} needs predictions")
    losses = per_row_loss(metric, ev)  # squared errors for rmse and r2
    if metric.name == "r2":
        y = np.asarray(ev.y_true, dtype=np.float64)
        yw = y if w is None else y * w
        ybar = np.bincount(codes, weights=yw, minlength=n_groups) / np.maximum(sizes, 1)
        dev = y - ybar[codes]
        a, _ = _group_mean_se(losses, codes, sizes, w)
        b, _ = _group_mean_se(dev * dev, codes, sizes, w)
        with np.errstate(divide="ignore", invalid="ignore"):
            values = np.where(b > 0, 1.0 - a / np.where(b > 0, b, 1.0), np.nan)
            # influence function of 1 - a/b (as estimation's r2 delta method), per group
            influence = -(losses - a[codes]) / b[codes] + a[codes] * (dev * dev - b[codes]) / (
                b[codes] ** 2
            )
        influence = np.where(np.isfinite(influence), influence, 0.0)
        _, se = _group_mean_se(influence, codes, sizes, w)
        se = np.where(np.isnan(values), np.nan, se)
        centre = values
    else:
        centre, se = _group_mean_se(losses, codes, sizes, w)
        values = centre
        if metric.name == "rmse":
            # draw the MSE (a mean, where the normal approximation holds) and take the root
            values = np.sqrt(centre)

            def transform(draws: NDArray[np.float64]) -> NDArray[np.float64]:
                return np.sqrt(np.clip(draws, 0.0, None))

    note = (
        f"{metric.name} is a mean over rows: its interval is a parametric bootstrap, each "
        "group's value drawn from Normal(value, SE²)"
    )
    return _GroupStats(
        (metric.name,),
        values[:, None],
        centre=centre[:, None],
        se=se[:, None],
        transform=transform,
        notes=(note,),
    )


def _metric_stats(
    metric: Metric, ev: Evidence, codes: NDArray[np.int64], labels: Sequence[str]
) -> _GroupStats:
    if metric.kind in ("operating", "calibration"):
        raise ModelError(  # #19: no per-group interval for these yet
            f"{metric.name} is not available in a fairness gap yet (its interval re-chooses a "
            "threshold or fits a model per group); gate it per group with `slices:` instead"
        )
    if metric.kind == "counts":
        _require_labels(ev, metric.name)
        assert metric.from_counts is not None
        from_counts = metric.from_counts

        def table_values(c: NDArray[np.int64]) -> NDArray[np.float64]:
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.asarray(from_counts(c), dtype=np.float64)[..., None]

        tables = _group_counts(ev, codes, len(labels))
        if metric.proportion is None:
            return _GroupStats((metric.name,), table_values(tables), tables, table_values)
        successes, trials = (np.asarray(a, dtype=np.float64) for a in metric.proportion(tables))
        return _GroupStats(
            (metric.name,),
            table_values(tables),
            tables,
            table_values,
            successes=successes[:, None],
            trials=trials[:, None],
            denominators=("",),  # the metric's own denominator (positives for recall)
        )
    if metric.kind == "ranking":
        return _ranking_stats(metric, ev, codes, labels)
    return _parametric_stats(metric, ev, codes, labels)


# --- resampling ----------------------------------------------------------------------------------


def _names(labels: Sequence[str]) -> str:
    return ", ".join(repr(str(label)) for label in labels)
