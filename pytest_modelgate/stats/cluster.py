"""Design-based (cluster-robust, sampling-weighted) variances and intervals.

When rows are clustered (the same customer in many rows) the independent units are the
clusters, not the rows; when rows carry sampling weights the estimate is a ratio of weighted
sums. Both are handled by one device, the linearisation (Taylor, or influence-function)
variance of a smooth statistic of weighted totals: each row contributes an influence value,
each unit (a cluster, or a row when there are no clusters) the sum of its rows' values ``z_k``,
and with ``K`` units drawn with replacement

    Var(θ̂) ≈ K / (K − 1) · Σ_k (z_k − z̄)²

— the CR1 sandwich variance of a mean (statsmodels' ``cov_type="cluster"``), the ratio-estimator
variance of a proportion, and Obuchowski's (1997) clustered DeLong variance of the AUC. Intervals
use ``t`` with ``K − 1`` degrees of freedom: with 20–40 clusters the normal quantile is visibly
too narrow.

Binomial proportions get a design-effect-adjusted score interval (Korn & Graubard 1998): the
effective sample size ``n_eff = p(1 − p) / Var(p̂)`` (Kish's ``n / deff``), scaled by
``(z / t_{K−1})²`` for the design's degrees of freedom, goes into Wilson's (or Clopper–Pearson's)
formula in place of ``n``. Nonlinear count metrics (f1, mcc) get the cluster bootstrap: the
clusters' count vectors are resampled, never rows; clusters with identical count vectors are
one multinomial category, so a replicate costs O(distinct count vectors × cells).

Nothing here imports from above :mod:`pytest_modelgate.stats`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import special
from scipy import stats as _scipy_stats

from pytest_modelgate.stats.intervals import Interval, clipped_interval

__all__ = [
    "DesignUnits",
    "collapse_units",
    "design_units",
    "effective_proportion_interval",
    "linearised_variance",
    "numerical_gradient",
    "t_interval",
    "t_quantile",
]


@dataclass(frozen=True)
class DesignUnits:
    """How stored rows map to independent units.

    ``codes``: each stored row's unit (``0..K-1``) when rows are clustered, or ``None`` when
    every row is its own unit; ``multiplicity``: each stored row's frequency (the rows it stands
    for, grouped evidence) or ``None``; ``k``: the number of independent units.
    """

    codes: NDArray[np.int64] | None
    multiplicity: NDArray[np.int64] | None
    k: int

    def sums(self, row_values: NDArray[np.float64]) -> tuple[NDArray, NDArray | None]:
        """Per-unit sums of per-(expanded-)row values: ``(z, multiplicity of each z)``.

        Without clusters each stored row is a unit standing for ``multiplicity`` identical
        units; with clusters, the rows of a cluster (frequencies included) are summed."""
        if self.codes is None:
            return row_values, self.multiplicity
        weights = row_values if self.multiplicity is None else row_values * self.multiplicity
        return np.bincount(self.codes, weights=weights, minlength=self.k), None


def design_units(
    cluster: NDArray[np.int64] | None, frequency: NDArray[np.int64] | None, n_stored: int
) -> DesignUnits:
    """The units of a design: clusters (re-coded to the ones present) or rows (``n_stored``
    stored rows, each standing for its ``frequency``)."""
    if cluster is None:
        k = int(frequency.sum()) if frequency is not None else int(n_stored)
        return DesignUnits(None, frequency, k)
    # codes of the clusters present (a slice keeps some): one bincount, no sort
    present = np.bincount(cluster) > 0
    k = int(present.sum())
    if k == present.size:
        return DesignUnits(cluster, frequency, k)
    recode = np.cumsum(present) - 1
    return DesignUnits(recode[cluster].astype(np.int64), frequency, k)


def linearised_variance(
    z: NDArray[np.float64], multiplicity: NDArray[np.int64] | None = None
) -> float:
    """``K/(K−1) Σ_k (z_k − z̄)²`` over units (``multiplicity``: units sharing each ``z``).

    ``z_k`` is unit ``k``'s sum of influence values (already divided by the total weight), so
    this is the with-replacement variance of the estimate: CR1 for a mean, the ratio-estimator
    variance for a proportion. ``nan`` with fewer than two units."""
    z = np.asarray(z, dtype=np.float64)
    m = np.ones(z.shape[0]) if multiplicity is None else np.asarray(multiplicity, np.float64)
    k = float(m.sum())
    if k < 2:
        return float("nan")
    centred = z - (m @ z) / k
    return float(k / (k - 1.0) * (m @ (centred * centred)))


def t_quantile(level: float, df: float) -> float:
    """Two-sided ``t`` quantile with ``df`` degrees of freedom (normal for huge ``df``)."""
    if df > 1e7:
        return float(special.ndtri(0.5 + level / 2))
    return float(_scipy_stats.t.ppf(0.5 + level / 2, df))


def t_interval(
    estimate: float,
    variance: float,
    level: float,
    df: float,
    method: str,
    bounds: tuple[float | None, float | None] = (None, None),
) -> Interval:
    """``estimate ± t_{df} · sqrt(variance)``, clipped to ``bounds``."""
    if not (math.isfinite(estimate) and math.isfinite(variance)) or variance < 0:
        return Interval(float("nan"), float("nan"), level, method)
    half = t_quantile(level, df) * math.sqrt(variance)
    return clipped_interval(estimate - half, estimate + half, level, method, bounds)


def effective_proportion_interval(
    p: float,
    variance: float,
    n: float,
    k: int,
    level: float,
    *,
    method: str = "wilson",
) -> tuple[Interval, float]:
    """Korn–Graubard interval of a proportion from its design-based variance.

    Parameters
    ----------
    p : the (weighted) proportion.
    variance : its linearised design variance.
    n : rows in the denominator (caps the effective size: a design never adds information).
    k : independent units (clusters); the ``t`` quantile has ``k − 1`` degrees of freedom.
    method : ``wilson`` (score) or ``clopper-pearson`` (exact), applied at the effective size.

    Returns
    -------
    (interval, effective n) — ``interval.method`` is ``method`` with ``-deff`` appended.
    When ``p`` is 0 or 1 (or the variance is 0) the design effect cannot be estimated and is
    taken as 1 (Korn & Graubard's rule), so ``n_eff = n`` before the degrees-of-freedom factor.
    """
    name = f"{method}-deff"
    if n <= 0 or not math.isfinite(p) or k < 2:
        return Interval(float("nan"), float("nan"), level, name), float("nan")
    n_eff = min(n, p * (1.0 - p) / variance) if 0.0 < p < 1.0 and variance > 0 else n
    z = float(special.ndtri(0.5 + level / 2))
    n_star = n_eff * (z / t_quantile(level, k - 1)) ** 2
    x = p * n_star
    if method == "clopper-pearson":
        alpha = (1.0 - level) / 2
        low = 0.0 if x <= 0 else float(special.betaincinv(x, n_star - x + 1, alpha))
        high = 1.0 if x >= n_star else float(special.betaincinv(x + 1, n_star - x, 1 - alpha))
        return Interval(low, high, level, name), n_star
    denom = 2.0 * (n_star + z * z)
    centre = (2.0 * x + z * z) / denom
    delta = z / denom * math.sqrt(max(4.0 * n_star * p * (1.0 - p) + z * z, 0.0))
    low = 0.0 if p <= 0 else centre - delta
    high = 1.0 if p >= 1 else centre + delta
    return Interval(low, high, level, name), n_star


def numerical_gradient(
    statistic: Callable[[NDArray[np.float64]], NDArray[np.float64]],
    totals: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Central-difference gradient of a vectorised statistic of cell totals (any shape).

    ``statistic`` maps ``(J, *totals.shape)`` to ``(J,)``; all ``2 × cells`` perturbations are
    evaluated in one call. The step is relative to the grand total (metrics of counts are
    homogeneous, so the relative scale is what matters)."""
    flat = np.asarray(totals, dtype=np.float64).reshape(-1)
    cells = flat.size
    h = 1e-6 * max(float(flat.sum()), 1.0)
    stack = np.repeat(flat[None, :], 2 * cells, axis=0)
    idx = np.arange(cells)
    stack[idx, idx] += h
    stack[cells + idx, idx] -= h
    with np.errstate(divide="ignore", invalid="ignore"):
        values = np.asarray(statistic(stack.reshape(2 * cells, *totals.shape)), dtype=np.float64)
    grad = (values[:cells] - values[cells:]) / (2 * h)
    return np.where(np.isfinite(grad), grad, 0.0).reshape(totals.shape)


def collapse_units(
    vectors: NDArray[np.float64], multiplicity: NDArray[np.int64] | None = None
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Distinct unit count vectors and how many units have each (``(D, cells)``, ``(D,)``).

    Resampling K units with replacement is, on these, a Multinomial(K, share of each vector):
    the cluster bootstrap at O(D × cells) per replicate instead of O(K × cells)."""
    flat = np.ascontiguousarray(vectors.reshape(vectors.shape[0], -1))
    base = float(flat.max(initial=0.0)) + 1.0
    if np.all(flat == np.rint(flat)) and flat.shape[1] * math.log2(base) < 62:
        # integer count vectors: one int64 key per unit, a 1-D unique (fast)
        keys = flat.astype(np.int64) @ (int(base) ** np.arange(flat.shape[1], dtype=np.int64))
        _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        distinct = flat[first]
    else:  # weighted vectors rarely repeat: keep every unit
        distinct, inverse = flat, np.arange(flat.shape[0])
    inverse = inverse.reshape(-1)
    mult = np.bincount(
        inverse,
        weights=None if multiplicity is None else multiplicity,
        minlength=distinct.shape[0],
    )
    return distinct, np.rint(mult).astype(np.int64)
