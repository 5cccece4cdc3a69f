"""Fairness gaps on clustered or sampling-weighted rows: design-based group rates, compared
pairwise as on the i.i.d. path (:mod:`pytest_modelgate.estimates.fairness_pairwise`).

Each compared rate of each group (selection rate, TPR, FPR, or a metric that is one binomial
proportion) is a ratio estimator ``r_g = Σ f·num / Σ f·den`` (``f``: sampling weight ×
frequency). Its rows' influence values ``w (num − r_g den) / D_g`` are summed per cluster (per
row without clusters) into a ``K × G`` table ``Z``, and ``K/(K−1) ZᵀZ`` is the design covariance
of the group rates — diagonal when every cluster lies in one group, with the covariances that a
site or hospital spanning several groups induces otherwise.

- each group's rate gets Korn & Graubard's Clopper–Pearson interval at its effective size
  (``clopper-pearson-deff``), with ``t`` on ``K_g − 1`` degrees of freedom, ``K_g`` the clusters
  holding the rate's denominator rows;
- a difference ``r_i − r_j`` gets MOVER on those limits with the estimated correlation
  (Zou & Donner 2008; Newcombe's MOVER for correlated estimates), a ratio ``r_i / r_j`` MOVER-R
  (Donner & Zou 2012) likewise;
- the gap (``max |r_i − r_j|`` or ``min r_i / r_j`` over pairs and rates) is read as on the
  i.i.d. path: the bound a strict gate passes on is each pair's at the gate's level (an
  intersection–union test), the bound a lenient gate fails on is Bonferroni-corrected over the
  ``m`` pairs (Holm's first step).

A rate whose denominator lies in fewer than :data:`~pytest_modelgate.estimates.clustered.
MIN_CLUSTERS` clusters has no usable design variance: the gap's interval is then undefined
(INCONCLUSIVE) and the note names the group.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from pytest_modelgate.estimates.metrics import Metric
from pytest_modelgate.evidence.core import Evidence
from pytest_modelgate.stats import Interval
from pytest_modelgate.stats.cluster import design_units, effective_proportion_interval
from pytest_modelgate.stats.difference import mover_difference_correlated

__all__ = ["DESIGN_GAP_METHOD", "DesignRates", "design_group_rates"]

#: ``Interval.method`` of a gap on clustered or weighted rows.
DESIGN_GAP_METHOD = "pairwise-mover-cp-deff-holm"


@dataclass(frozen=True)
class DesignRates:
    """Weighted group rates ``(G, m)`` and their design covariance, per component."""

    values: NDArray[np.float64]  # (G, m), fairlearn's 0/0 -> 0 for named rates, nan for metrics
    defined: NDArray[np.bool_]  # (G, m): the rate has denominator weight
    variance: NDArray[np.float64]  # (G, m)
    correlation: NDArray[np.float64]  # (m, G, G)
    rows: NDArray[np.float64]  # (G, m): rows in the denominator (caps the effective size)
    clusters: NDArray[np.int64]  # (G, m): units holding denominator rows
    clustered: bool

    def limits(self, level: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Korn–Graubard Clopper–Pearson limits of every group rate at ``level``."""
        low = np.full(self.values.shape, np.nan)
        high = np.full(self.values.shape, np.nan)
        for (g, c), ok in np.ndenumerate(self.defined):
            if ok:
                iv, _ = effective_proportion_interval(
                    float(self.values[g, c]),
                    float(self.variance[g, c]),
                    float(self.rows[g, c]),
                    int(self.clusters[g, c]),
                    level,
                    method="clopper-pearson",
                )
                low[g, c], high[g, c] = iv.low, iv.high
        return low, high


def _components(
    base: str, metric: Metric | None, ev: Evidence
) -> tuple[list[NDArray[np.float64]], list[NDArray[np.float64]]] | None:
    """Per-row numerator and denominator indicators of each compared rate (``None``: the gap
    compares something that is not one binomial proportion)."""
    assert ev.y_pred is not None
    if base == "metric":
        if metric is None or metric.kind != "counts" or metric.proportion is None:
            return None
        k = len(ev.classes)
        basis = np.eye(k * k).reshape(k * k, k, k)
        num, den = (np.asarray(x, dtype=np.float64) for x in metric.proportion(basis))
        cells = ev.y_true * k + ev.y_pred
        return [num[cells]], [den[cells]]
    pred = (ev.y_pred == 1).astype(np.float64)
    pos = ev.positives.astype(np.float64)
    rates = {
        "selection_rate": (pred, np.ones(ev.n_stored)),
        "tpr": (pred * pos, pos),
        "fpr": (pred * (1.0 - pos), 1.0 - pos),
    }
    names = {
        "demographic_parity": ("selection_rate",),
        "equalized_odds": ("tpr", "fpr"),
        "equal_opportunity": ("tpr",),
    }[base]
    return [rates[c][0] for c in names], [rates[c][1] for c in names]


def design_group_rates(
    base: str, metric: Metric | None, ev: Evidence, codes: NDArray[np.int64], n_groups: int
) -> DesignRates | None:
    """The design-based group rates of a gap, or ``None`` when the gap compares a metric that
    is not one binomial proportion (no design-based interval for it yet)."""
    parts = _components(base, metric, ev)
    if parts is None:
        return None
    nums, dens = parts
    w = np.ones(ev.n_stored) if ev.sample_weight is None else ev.sample_weight
    f = w if ev.weight is None else w * ev.weight
    freq = ev.frequencies.astype(np.float64)
    units = design_units(ev.cluster, ev.weight, ev.n_stored)
    m = len(nums)
    values = np.zeros((n_groups, m))
    defined = np.zeros((n_groups, m), bool)
    variance = np.zeros((n_groups, m))
    rows = np.zeros((n_groups, m))
    clusters = np.zeros((n_groups, m), np.int64)
    correlation = np.zeros((m, n_groups, n_groups))
    k = float(units.k)
    for c, (num, den) in enumerate(zip(nums, dens, strict=True)):
        n_w = np.bincount(codes, weights=f * num, minlength=n_groups)
        d_w = np.bincount(codes, weights=f * den, minlength=n_groups)
        rows[:, c] = np.bincount(codes, weights=freq * (den > 0), minlength=n_groups)
        defined[:, c] = d_w > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.where(d_w > 0, n_w / np.where(d_w > 0, d_w, 1.0), 0.0)
            psi = np.where(den > 0, w * (num - r[codes] * den) / d_w[codes], 0.0)
        values[:, c] = r if base != "metric" else np.where(d_w > 0, r, np.nan)
        psi = np.where(np.isfinite(psi), psi, 0.0)
        if units.codes is None:  # every row its own unit: groups are independent
            mult = freq
            variance[:, c] = (
                k / (k - 1.0) * np.bincount(codes, weights=mult * psi * psi, minlength=n_groups)
            )
            clusters[:, c] = np.rint(rows[:, c]).astype(np.int64)
            cov = np.diag(variance[:, c])
        else:
            z = np.bincount(
                units.codes * n_groups + codes,
                weights=psi * freq,
                minlength=units.k * n_groups,
            ).reshape(units.k, n_groups)
            cov = k / (k - 1.0) * (z.T @ z)  # the column means are 0: Σ_rows psi = 0 per group
            variance[:, c] = np.diag(cov)
            held = np.bincount(
                units.codes * n_groups + codes,
                weights=(den > 0).astype(np.float64),
                minlength=units.k * n_groups,
            ).reshape(units.k, n_groups)
            clusters[:, c] = (held > 0).sum(axis=0)
        sd = np.sqrt(np.clip(np.diag(cov), 0.0, None))
        with np.errstate(divide="ignore", invalid="ignore"):
            corr = cov / np.outer(sd, sd)
        correlation[c] = np.clip(np.where(np.isfinite(corr), corr, 0.0), -1.0, 1.0)
    return DesignRates(
        values, defined, variance, correlation, rows, clusters, units.codes is not None
    )


def _pairs(g: int) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    return np.triu_indices(g, k=1)


def _mover_ratio(
    p1: NDArray, l1: NDArray, u1: NDArray, p2: NDArray, l2: NDArray, u2: NDArray, rho: NDArray
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """MOVER-R limits of ``p1 / p2`` for correlated estimates: the roots of Fieller-type
    quadratics in θ from MOVER on ``p1 − θ p2`` (Donner & Zou 2012 when ``rho`` = 0); an upper
    limit without a root is ``inf``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        b = p1 * p2 - rho * (p1 - l1) * (u2 - p2)
        a, c = u2 * (2 * p2 - u2), l1 * (2 * p1 - l1)
        root = np.sqrt(np.clip(b * b - a * c, 0.0, None))
        den = b + root
        low = np.where((b * b - a * c >= 0) & (den > 0), c / den, 0.0)
        low = np.clip(np.where(np.isfinite(low), low, 0.0), 0.0, None)
        b = p1 * p2 - rho * (u1 - p1) * (p2 - l2)
        a, c = l2 * (2 * p2 - l2), u1 * (2 * p1 - u1)
        disc = b * b - a * c
        high = np.where((a > 0) & (disc >= 0), (b + np.sqrt(np.clip(disc, 0, None))) / a, np.inf)
        high = np.where(np.isnan(high), np.inf, high)
    return low, np.maximum(high, p1 / np.where(p2 > 0, p2, np.nan))


def _pair_bounds(
    rates: DesignRates, included: NDArray[np.intp], level: float, ratio: bool
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Lower and upper ends of each pair's ``|r_i − r_j|`` (or ``min/max`` ratio), flattened
    over pairs and components; ``nan`` where a rate is undefined."""
    low_all, high_all = rates.limits(level)
    i, j = _pairs(included.size)
    gi, gj = included[i], included[j]
    lows, highs = [], []
    for c in range(rates.values.shape[1]):
        p1, p2 = rates.values[gi, c], rates.values[gj, c]
        l1, u1 = low_all[gi, c], high_all[gi, c]
        l2, u2 = low_all[gj, c], high_all[gj, c]
        rho = rates.correlation[c][gi, gj]
        ok = rates.defined[gi, c] & rates.defined[gj, c]
        if ratio:
            lo12, hi12 = _mover_ratio(p1, l1, u1, p2, l2, u2, rho)  # r_i / r_j
            with np.errstate(divide="ignore"):
                # min/max of the two: r_i/r_j when below 1, else r_j/r_i = 1/(r_i/r_j)
                inv_lo = np.where(hi12 > 0, 1.0 / hi12, np.inf)
                inv_hi = np.where(lo12 > 0, 1.0 / lo12, np.inf)
            lower = np.where(lo12 >= 1, inv_lo, np.where(hi12 <= 1, lo12, np.fmin(lo12, inv_lo)))
            upper = np.where(lo12 >= 1, inv_hi, np.where(hi12 <= 1, hi12, 1.0))
            lower, upper = np.clip(lower, 0.0, 1.0), np.clip(upper, 0.0, 1.0)
        else:
            lo, hi = mover_difference_correlated(p1, l1, u1, p2, l2, u2, rho)
            upper = np.fmax(hi, -lo)
            lower = np.fmax(np.fmax(lo, -hi), 0.0)
        bad = ~ok | np.isnan(l1) | np.isnan(l2)
        lows.append(np.where(bad, np.nan, lower))
        highs.append(np.where(bad, np.nan, upper))
    return np.concatenate(lows), np.concatenate(highs)


def design_gap_interval(
    rates: DesignRates,
    included: NDArray[np.intp],
    labels: Sequence[str],
    level: float,
    ratio: bool,
    min_clusters: int,
) -> tuple[Interval, str]:
    """The gap's interval over the ``included`` groups and the note that says how it was built
    (or why there is none)."""
    nan = Interval(math.nan, math.nan, level, DESIGN_GAP_METHOD)
    what = "clusters" if rates.clustered else "rows"
    if rates.clustered:
        few = [
            f"{labels[int(g)]!r} ({int(rates.clusters[g, c])})"
            for g in included
            for c in range(rates.values.shape[1])
            if rates.defined[g, c] and rates.clusters[g, c] < min_clusters
        ]
        if few:
            return nan, (
                f"no interval: a compared rate lies in fewer than {min_clusters} clusters "
                f"(data.cluster) in {', '.join(dict.fromkeys(few))}, too few to estimate its "
                "between-cluster variance; add clusters or merge groups"
            )
    _, upper = _pair_bounds(rates, included, level, ratio)
    tests = int(np.sum(~np.isnan(upper)))
    if tests == 0:
        return nan, "no pair of groups has both rates defined"
    corrected = 1.0 - (1.0 - level) / tests
    lower, upper_c = _pair_bounds(rates, included, corrected, ratio)
    if ratio:
        # a min: gate passes (strict) when every pair is shown above the bar; fails (lenient)
        # when some pair is shown below it after Bonferroni-Holm over the pairs
        lo_all, _ = _pair_bounds(rates, included, level, ratio)
        iv = Interval(float(np.nanmin(lo_all)), float(np.nanmin(upper_c)), level, "")
    else:
        iv = Interval(float(np.nanmax(lower)), float(np.nanmax(upper)), level, "")
    kind = "ratios (MOVER-R" if ratio else "differences (MOVER"
    note = (
        f"interval from {tests} pairwise group {kind} on Korn–Graubard Clopper–Pearson limits "
        f"at each group's effective n, correlation across shared {what}); its "
        f"{'upper' if ratio else 'lower'} end Holm-corrected over the {tests}"
    )
    return Interval(iv.low, iv.high, level, DESIGN_GAP_METHOD), note
