"""Fairness gaps across groups, with stratified bootstrap intervals on per-group statistics.

A fairness gap compares one per-group quantity (selection rate, TPR/FPR, or any registered
metric) across the groups of a sensitive column and reduces it to one number: the difference
``max − min`` or the ratio ``min / max``. Point estimates reproduce fairlearn 0.15
(``demographic_parity_difference`` & co. with ``method="between_groups"`` and
``agg="worst_case"``, ``MetricFrame(...).difference()`` / ``.ratio()``) whenever no group is
excluded, including fairlearn's conventions in the edge cases:

* a TPR or FPR whose denominator is empty (a group with no positives, or no negatives) is
  ``0/0``; fairlearn computes the rates through ``sklearn.metrics.confusion_matrix(...,
  normalize="true")``, which turns that ``nan`` into **0**. The named metrics do the same (the
  gap is then driven by that 0), and the report's note names the group so it is not silent;
* a ratio whose largest group value is 0 is ``0/0 = nan`` (pandas division);
* ``equalized_odds_*`` combines the TPR and the FPR component with Python's builtin
  ``max``/``min`` over ``(tpr, fpr)``, which is *not* symmetric in ``nan``: a ``nan`` TPR
  component gives ``nan``, a ``nan`` FPR component is ignored. That is reproduced exactly;
* groups are the observed values (or observed combinations of several columns: fairlearn
  reindexes to the full product and the unobserved combinations become ``nan`` rows that
  ``min``/``max`` skip). The caller passes one code per row; codes without rows are ignored.
* for ``metric_difference`` / ``metric_ratio`` a group whose metric is undefined (registry
  ``nan``, e.g. recall without positives, ROC AUC with one class) is left out of the gap and
  named in the note, as pandas' ``skipna`` does with a ``nan`` group value. This matches
  fairlearn given a metric that returns ``nan`` there (``roc_auc_score``; ``recall_score(...,
  zero_division=np.nan)``); scikit-learn's default ``zero_division=0`` would instead report 0.

Groups with fewer than ``min_support`` **rows** are excluded from the gap, but still reported
(``excluded=True``) and named in the note. Rows, not positives, are counted for every metric:
one rule the user can read off the report, the same rule as fairlearn's group formation, and a
TPR with few positives is then visible as a wide interval rather than as a silently dropped group.

Intervals come from a bootstrap **stratified by group**: each group keeps its size ``n_g`` and its
cells are redrawn from ``Multinomial(n_g, p̂_g)``, which is exactly the distribution of the cell
counts of a with-replacement row resample within the group. Stratified because group sizes are
part of the test design, not an outcome of interest, and because an unstratified resample can
empty (or nearly empty) a small group and produce a replicate of a different statistic (a gap
over fewer groups). Metrics of confusion counts use the per-group count tables; ranking metrics
use per-group score histograms on common bins; mean losses and regression metrics use a
parametric bootstrap (each group's value drawn from ``Normal(value_g, SE_g²)``), since their
sufficient statistics are not a small table of counts.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np
from numpy.typing import NDArray

from pytest_modelgate.estimates.fairness_groups import (
    _MAX_DRAW_ELEMENTS,
    _empty_denominator_notes,
    _GroupStats,
    _metric_stats,
    _named_stats,
    _names,
)
from pytest_modelgate.estimates.fairness_pairwise import pairwise_gap_interval
from pytest_modelgate.estimates.metric import StatsOptions
from pytest_modelgate.estimates.metrics import (
    Metric,
)
from pytest_modelgate.evidence.core import Evidence, weighted_bincount
from pytest_modelgate.results import FairnessResult, GroupValue
from pytest_modelgate.stats import (
    Interval,
    bca_interval,
    draw_counts,
    jackknife_on_cells,
    percentile_of_score,
)

__all__ = ["FAIRNESS_NAMES", "GAP_BOOTSTRAP", "fairness_estimate"]

FAIRNESS_NAMES: tuple[str, ...] = (
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "equalized_odds_difference",
    "equalized_odds_ratio",
    "equal_opportunity_difference",
    "equal_opportunity_ratio",
    "metric_difference",
    "metric_ratio",
)

#: Interval method for gaps when ``stats.bootstrap`` is ``"bca"`` (its default).
#:
#: A gap is a max − min (or min / max) over noisy group values, with a kink wherever two groups
#: (or the TPR and FPR components) are close: the estimate is biased upward and its bootstrap
#: distribution is skewed. BCa reads that skew as a bias to correct and overshoots. Measured
#: coverage of 95 % intervals (3 groups of 50/30/20 %, n = 1500, 1000 simulated test sets, 1000
#: resamples; the first and the last population are those of tests/unit/test_fairness.py):
#:
#: - DP gap .15, groups apart; EO .20 near the TPR/FPR kink:  percentile .947 / .958,
#:   BCa .923 / .899, basic .925 / .882 (DP / EO);
#: - DP gap .065 with two groups close; EO gap .30:  percentile .947 / .946, BCa .868 / .937,
#:   basic .838 / .913;
#: - DP gap .057, the top two groups .012 apart; EO .30:  percentile .926 / .953,
#:   BCa .888 / .943, basic .882 / .932;
#: - DP gap .002 (a tie; 600 sets):  percentile .000, BCa .343, basic .922.
#:
#: Percentile has the best coverage wherever the gap is not ~0, and, more important for a gate,
#: its misses near ties lie on the conservative side: the interval sits *above* a difference
#: (below a ratio), so a ``max:`` (``min:``) gate may fail a fair model but does not pass an
#: unfair one. BCa's and basic's misses are mostly on the anti-conservative side (truth above
#: the upper end of a difference in 3-19 % of sets, away from ties). When the true gap is ~0,
#: no bootstrap interval covers it reliably (max − min ≥ 0, biased by about the noise); the
#: percentile interval then lies above 0.
#: BCa stays available through ``fairness_estimate(..., bootstrap="bca")``.
GAP_BOOTSTRAP = "percentile"


def _gap(values: NDArray[np.float64], ratio: bool) -> NDArray[np.float64]:
    """Gap over the group axis of ``values`` ``(..., G, m)`` → ``(...)``.

    Per component: ``max − min`` or ``min / max`` (numpy propagates a ``nan`` group value, so a
    replicate with an undefined group is undefined). Two components (TPR, FPR) are combined as
    fairlearn's builtin ``max``/``min`` over ``(tpr, fpr)``: ``nan`` if the first is ``nan``,
    the second ignored if it is ``nan``.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        high = values.max(axis=-2)
        low = values.min(axis=-2)
        per = low / high if ratio else high - low
    first = per[..., 0]
    if per.shape[-1] == 1:
        return first
    pick = np.fmin if ratio else np.fmax  # fmin/fmax skip a nan second component
    return np.where(np.isnan(first), np.nan, pick(first, per[..., 1]))


def _defining_component(values: NDArray[np.float64], ratio: bool) -> int:
    """Index of the component that sets the gap of ``values`` ``(G, m)`` (builtin max/min)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        per = values.min(0) / values.max(0) if ratio else values.max(0) - values.min(0)
    best = 0
    for c in range(1, per.size):  # Python's max/min keep the first unless strictly beaten
        if (per[c] < per[best]) if ratio else (per[c] > per[best]):
            best = c
    return best


# --- per-group statistics ------------------------------------------------------------------------


def _stratified_replicates(
    stats: _GroupStats, included: NDArray[np.intp], n_resamples: int, rng: np.random.Generator
) -> NDArray[np.float64]:
    """Per-group values of ``n_resamples`` stratified resamples, ``(B, G_included, m)``.

    Each group's table is redrawn from Multinomial(n_g, p̂_g) on its own (its size is fixed),
    and turned into values at once, so the (B, G, cells) stack is never materialised.
    """
    assert stats.tables is not None and stats.table_values is not None
    out = np.empty((n_resamples, included.size, len(stats.components)))
    for j, g in enumerate(included):
        table = stats.tables[g]
        chunk = max(1, _MAX_DRAW_ELEMENTS // table.size)
        for start in range(0, n_resamples, chunk):
            stop = min(n_resamples, start + chunk)
            draws = draw_counts(table, stop - start, rng)
            with np.errstate(divide="ignore", invalid="ignore"):
                out[start:stop, j] = stats.table_values(draws)
    return out


def _parametric_replicates(
    stats: _GroupStats, included: NDArray[np.intp], n_resamples: int, rng: np.random.Generator
) -> NDArray[np.float64]:
    assert stats.centre is not None and stats.se is not None
    centre, se = stats.centre[included], stats.se[included]
    draws = centre + se * rng.standard_normal((n_resamples, *centre.shape))
    return stats.transform(draws) if stats.transform is not None else draws


def _stratified_jackknife(
    stats: _GroupStats, included: NDArray[np.intp], ratio: bool
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Leave-one-row-out jackknife of the gap over every cell of every included group.

    Deleting a row changes only its group's values, so each group's table is jackknifed on its
    own (``jackknife_on_cells``) with the other groups' values held fixed; the result is the
    cell-level jackknife of the whole ``(G, *cells)`` table, at the cost of one group at a time.
    """
    assert stats.tables is not None and stats.table_values is not None
    table_values = stats.table_values
    base = table_values(stats.tables[included])  # (G_included, m)
    values, weights = [], []
    for j, g in enumerate(included):

        def statistic(tables: NDArray[np.int64], j: int = j) -> NDArray[np.float64]:
            stack = np.repeat(base[None], tables.shape[0], axis=0)
            stack[:, j] = table_values(tables)
            return _gap(stack, ratio)

        v, w = jackknife_on_cells(stats.tables[g], statistic)
        values.append(v)
        weights.append(w)
    return np.concatenate(values), np.concatenate(weights)


def _bca_defined(
    theta: float, defined: NDArray[np.float64], jack: NDArray[np.float64], w: NDArray[np.int64]
) -> bool:
    """Whether ``bca_interval`` can apply BCa (else it falls back to the percentile interval)."""
    p0 = percentile_of_score(defined, theta)
    if not 0.0 < p0 < 1.0 or np.isnan(jack).any() or w.sum() <= 0:
        return False
    centre = np.sum(w * jack) / np.sum(w)
    return bool(np.sum(w * (centre - jack) ** 2) > 0)


def _interval(
    theta: float,
    replicates: NDArray[np.float64],
    method: str,
    level: float,
    jackknife: Callable[[], tuple[NDArray[np.float64], NDArray[np.int64]]] | None,
) -> tuple[Interval, str]:
    """Interval from replicates; ``jackknife`` is None for the parametric bootstrap."""
    defined = replicates[~np.isnan(replicates)]
    if defined.size == 0 or math.isnan(theta):
        label = "parametric-bootstrap" if jackknife is None else f"bootstrap-{method}-stratified"
        return Interval(math.nan, math.nan, level, label), "no bootstrap replicate defined"
    alpha = (1.0 - level) / 2.0
    note = ""
    if method == "bca" and jackknife is not None:
        jack_values, jack_weights = jackknife()
        if _bca_defined(theta, defined, jack_values, jack_weights):
            low, high = bca_interval(theta, defined, jack_values, jack_weights, level)
            return Interval(low, high, level, "bootstrap-bca-stratified"), note
        note = "BCa undefined (replicates on one side, or a constant jackknife): percentile used"
    low, high = (float(q) for q in np.quantile(defined, (alpha, 1.0 - alpha)))
    if method == "basic":
        low, high = 2.0 * theta - high, 2.0 * theta - low
    if jackknife is None:
        return Interval(low, high, level, "parametric-bootstrap"), note
    kind = "basic" if method == "basic" else "percentile"
    return Interval(low, high, level, f"bootstrap-{kind}-stratified"), note


def _thinnest_denominator(
    stats: _GroupStats,
    included: NDArray[np.intp],
    labels: Sequence[str],
    min_support: int,
    notes: list[str],
) -> tuple[str, str, str, int] | None:
    """The smallest rate denominator among the included groups (min_support is checked against
    it, per group and rate); the ones below ``min_support`` are named in ``notes``."""
    if stats.trials is None or included.size == 0:
        return None
    trials = stats.trials[included]
    rates = [c.upper() if c in ("tpr", "fpr") else c for c in stats.components]
    thin = [
        f"{labels[int(g)]!r}: {int(trials[k, c])} {stats.denominators[c] or 'rows'} for {rates[c]}"
        for k, g in enumerate(included)
        for c in range(trials.shape[1])
        if trials[k, c] < min_support
    ]
    if thin:
        notes.append(f"below min_support = {min_support} for a compared rate: {'; '.join(thin)}")
    k, c = np.unravel_index(int(np.argmin(trials)), trials.shape)
    return labels[int(included[k])], rates[c], stats.denominators[c], int(trials[k, c])


# --- public entry point --------------------------------------------------------------------------


def _gap_method(opts: StatsOptions, bootstrap: str | None) -> str:
    if bootstrap is None:
        # stats.bootstrap's default, BCa, undercovers max − min gaps (see GAP_BOOTSTRAP)
        return GAP_BOOTSTRAP if opts.bootstrap == "bca" else opts.bootstrap
    if bootstrap not in ("bca", "percentile", "basic"):
        raise ValueError(f"bootstrap must be bca, percentile or basic, got {bootstrap!r}")
    return bootstrap


def _check_codes(group_codes: np.ndarray, group_labels: Sequence[str], n: int) -> NDArray[np.int64]:
    codes = np.asarray(group_codes)
    if codes.shape != (n,):
        raise ValueError(f"group_codes must have shape ({n},), got {codes.shape}")
    if codes.size and not np.issubdtype(codes.dtype, np.integer):
        raise ValueError(f"group_codes must be integers, got dtype {codes.dtype}")
    codes = codes.astype(np.int64)
    if codes.size and (codes.min() < 0 or codes.max() >= len(group_labels)):
        raise ValueError(f"group_codes must lie in [0, {len(group_labels)}) to index group_labels")
    return codes


def fairness_estimate(
    name: str,
    ev: Evidence,
    group_codes: np.ndarray,
    group_labels: Sequence[str],
    *,
    metric: Metric | None,
    opts: StatsOptions,
    rng: np.random.Generator,
    min_support: int,
    bootstrap: str | None = None,
) -> FairnessResult:
    """Fairness gap across groups, with a stratified bootstrap interval.

    Parameters
    ----------
    name : str
        One of :data:`FAIRNESS_NAMES`.
    ev : Evidence
        Encoded outcomes; the named metrics need a binary task with predicted labels.
    group_codes : ndarray of int, shape (n,)
        Group of each row, ``0 .. G-1`` indexing ``group_labels`` (intersections of several
        sensitive columns and a missing-value group are formed by the caller).
    group_labels : sequence of str
        Label of each group code.
    metric : Metric or None
        The compared metric for ``metric_difference`` / ``metric_ratio`` (any kind and task);
        must be None for the named metrics.
    opts : StatsOptions
        ``confidence``, ``bootstrap`` (``bca``, ``percentile`` or ``basic``) and ``resamples``.
    rng : numpy.random.Generator
        Source of randomness for the resamples.
    min_support : int
        Groups with fewer rows are reported but excluded from the gap.
    bootstrap : {"bca", "percentile", "basic"} or None, default None
        Interval method. None follows ``opts.bootstrap`` except that its default ``"bca"`` is
        read as :data:`GAP_BOOTSTRAP` (percentile), which covers gaps better (measured there).

    Returns
    -------
    FairnessResult
        ``value`` equals fairlearn's on the included groups (see the module notes for the
        conventions in edge cases); ``nan`` with an explanatory note when fewer than two groups
        are included. Bootstrap replicates whose gap is undefined are left out of the interval
        and counted in the note.

    Raises
    ------
    ValueError
        For an unknown ``name``, a missing or superfluous ``metric``, a non-binary task for
        a named metric, or malformed ``group_codes``.
    ModelError
        When the model lacks the predictions or scores the metric needs.
    """
    if name not in FAIRNESS_NAMES:
        raise ValueError(f"unknown fairness metric {name!r}; expected one of {FAIRNESS_NAMES}")
    base, _, reduction = name.rpartition("_")
    ratio = reduction == "ratio"
    codes = _check_codes(group_codes, group_labels, ev.n_stored)
    method = _gap_method(opts, bootstrap)
    labels = [str(label) for label in group_labels]
    if base == "metric":
        if metric is None:
            raise ValueError(f"{name} needs a metric (e.g. recall)")
        stats = _metric_stats(metric, ev, codes, labels)
        what = metric.name
    else:
        if metric is not None:
            raise ValueError(f"{name} compares fixed rates; metric must be None")
        stats = _named_stats(base, ev, codes, labels)
        what = "/".join(c.upper() if c != "selection_rate" else c for c in stats.components)
    design = None
    if ev.has_design:  # clustered or weighted rows: design-based group rates (fairness_design)
        from pytest_modelgate.estimates.fairness_design import design_group_rates

        design = design_group_rates(base, metric, ev, codes, len(labels))
        if design is None:
            from pytest_modelgate.errors import DataError
            from pytest_modelgate.estimates.clustered import design_not_supported

            raise DataError(design_not_supported(ev, f"the fairness gap {name} of {what}"))
        stats = replace(stats, values=design.values)

    sizes = weighted_bincount(codes, ev.weight, len(labels))
    present = sizes > 0  # codes without rows are not groups (fairlearn skips them too)
    small = present & (sizes < min_support)
    undefined = present & ~small & np.isnan(stats.values).any(axis=1)
    included = np.flatnonzero(present & ~small & ~undefined)
    notes: list[str] = []
    if small.any():
        listed = [f"{labels[g]!r} ({sizes[g]})" for g in np.flatnonzero(small)]
        notes.append(f"left out of the gap, fewer than {min_support} rows: {', '.join(listed)}")
    if undefined.any():
        notes.append(
            f"left out of the gap, {what} undefined: "
            f"{_names([labels[g] for g in np.flatnonzero(undefined)])}"
        )
    notes.extend(stats.notes)
    if base != "metric":
        notes.extend(_empty_denominator_notes(stats, included, labels))
    groups = tuple(
        GroupValue(
            labels[g],
            int(sizes[g]),
            {c: float(stats.values[g, i]) for i, c in enumerate(stats.components)},
            bool(small[g] or undefined[g]),
        )
        for g in np.flatnonzero(present)
    )
    level = opts.confidence
    higher_is_better = ratio
    thinnest = _thinnest_denominator(stats, included, labels, min_support, notes)

    def result(value: float, interval: Interval, worst: tuple[str, str] | None) -> FairnessResult:
        if interval.is_defined and interval.width == 0 and not math.isnan(value):
            # every replicate equal (e.g. a group without a single false positive): no
            # uncertainty could be measured, so a gate must not pass or fail on it
            interval = Interval(math.nan, math.nan, interval.level, interval.method)
            notes.append(
                f"the bootstrap interval collapsed to {value:.4g}: a group shows no variation "
                "to measure uncertainty from (e.g. no false positives at all); add rows or "
                "merge small groups"
            )
        return FairnessResult(
            name,
            value,
            interval,
            ev.n,
            groups,
            worst,
            "; ".join(notes),
            higher_is_better,
            metric.name if metric is not None else None,
            thinnest,
        )

    if included.size < 2:
        notes.append(
            f"fewer than 2 groups with at least {min_support} rows and a defined {what} "
            f"({included.size}): the gap is undefined"
        )
        return result(math.nan, Interval(math.nan, math.nan, level, "none"), None)

    values = stats.values[included]
    value = float(_gap(values[None], ratio)[0])
    if math.isnan(value):
        notes.append(f"the ratio is 0/0: the largest group {what} is 0")
        return result(value, Interval(math.nan, math.nan, level, "none"), None)
    comp = _defining_component(values, ratio)
    worst = (
        labels[included[np.argmax(values[:, comp])]],
        labels[included[np.argmin(values[:, comp])]],
    )

    if design is not None:
        from pytest_modelgate.estimates.clustered import MIN_CLUSTERS
        from pytest_modelgate.estimates.fairness_design import design_gap_interval

        interval, how = design_gap_interval(design, included, labels, level, ratio, MIN_CLUSTERS)
        notes.append(how)
        return result(value, interval, worst)

    if bootstrap is None and not ratio and stats.successes is not None:
        assert stats.trials is not None
        interval, tests = pairwise_gap_interval(
            stats.successes[included], stats.trials[included], level
        )
        notes.append(
            f"interval from {tests} pairwise group differences (MOVER, Clopper–Pearson limits); "
            f"its lower end Holm-corrected over the {tests}"
        )
        return result(value, interval, worst)

    resamples = int(opts.resamples)
    if stats.tables is not None:
        replicate_values = _stratified_replicates(stats, included, resamples, rng)
        assert stats.table_values is not None
        # the statistic the replicates estimate: equal to `value` unless the tables are binned
        theta = float(_gap(stats.table_values(stats.tables[included])[None], ratio)[0])

        def jackknife() -> tuple[NDArray[np.float64], NDArray[np.int64]]:
            return _stratified_jackknife(stats, included, ratio)

        gaps = _gap(replicate_values, ratio)
        interval, method_note = _interval(theta, gaps, method, level, jackknife)
        if stats.approx and interval.is_defined:
            shift = value - theta  # centre on the exact gap, as estimation does for binned AP
            interval = Interval(interval.low + shift, interval.high + shift, level, interval.method)
    else:
        replicate_values = _parametric_replicates(stats, included, resamples, rng)
        gaps = _gap(replicate_values, ratio)
        interval, method_note = _interval(value, gaps, method, level, None)
    replicates_undefined = int(np.isnan(gaps).sum())
    if replicates_undefined:
        notes.append(
            f"{replicates_undefined} of {resamples} bootstrap replicates undefined and left out"
        )
    if method_note:
        notes.append(method_note)
    return result(value, interval, worst)
