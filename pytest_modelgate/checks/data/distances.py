"""Drift statistics as functions of count vectors, and their bootstrap interval.

Every statistic here takes two count matrices ``(B, K)`` on one binning (a row per replicate)
and returns ``B`` values, so the point estimate (``B = 1``) and the bootstrap replicates run the
same vectorised code. :func:`bootstrap_drift` resamples the two count vectors multinomially
(the rows of each sample are i.i.d., so this *is* the row bootstrap, at O(bins) per replicate)
and returns a bias-corrected estimate with its standard error: drift distances are ≥ 0 and
biased upwards by sampling noise (two samples of one distribution are never at distance 0),
and the bootstrap measures that bias. The interval is normal on the bootstrap standard error
— the one-sided bounds a gate uses at a Holm-adjusted level (down to 0.025 / 20) lie too far
in the tail for a few hundred percentile replicates.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "DEFAULT_RESAMPLES",
    "SHIFT_TRIM",
    "DriftEstimate",
    "bootstrap_drift",
    "js_counts",
    "psi_counts",
    "quantile_distance",
    "tv_counts",
]

#: Bootstrap replicates per column (the standard error is known to ~4.5 %).
DEFAULT_RESAMPLES = 250
#: The quantile-function distance of ``shift`` averages over the central 98 %: one outlier (or
#: up to 1 % of the rows in each tail) cannot move it.
SHIFT_TRIM = 0.01
# Points of the quantile grid the distance is averaged over.
_GRID = 300

Statistic = Callable[[NDArray[np.float64], NDArray[np.float64]], NDArray[np.float64]]


def _shares(counts: NDArray[np.float64]) -> NDArray[np.float64]:
    return counts / counts.sum(axis=1, keepdims=True)


def tv_counts(ref: NDArray[np.float64], test: NDArray[np.float64]) -> NDArray[np.float64]:
    """Total variation distance ½ Σ |p_t − p_r| per row: the smallest share of rows that would
    have to change category to turn one distribution into the other."""
    return 0.5 * np.abs(_shares(test) - _shares(ref)).sum(axis=1)


def psi_counts(floor: float) -> Statistic:
    """PSI Σ (p_t − p_r) ln(p_t / p_r) per row, shares floored at ``floor`` and renormalised."""

    def psi(ref: NDArray[np.float64], test: NDArray[np.float64]) -> NDArray[np.float64]:
        p = np.maximum(_shares(ref), floor)
        q = np.maximum(_shares(test), floor)
        p /= p.sum(axis=1, keepdims=True)
        q /= q.sum(axis=1, keepdims=True)
        return np.asarray(((q - p) * np.log(q / p)).sum(axis=1))

    return psi


def js_counts(ref: NDArray[np.float64], test: NDArray[np.float64]) -> NDArray[np.float64]:
    """Jensen–Shannon distance (base 2) per row, as ``scipy.spatial.distance.jensenshannon``."""
    p, q = _shares(ref), _shares(test)
    m = 0.5 * (p + q)
    with np.errstate(divide="ignore", invalid="ignore"):
        kl_p = np.where(p > 0, p * np.log2(p / m), 0.0).sum(axis=1)
        kl_q = np.where(q > 0, q * np.log2(q / m), 0.0).sum(axis=1)
    return np.sqrt(np.maximum(0.5 * (kl_p + kl_q), 0.0))


def _quantiles(
    counts: NDArray[np.float64], positions: NDArray[np.float64], u: NDArray[np.float64]
) -> NDArray[np.float64]:
    """The binned quantile function of each row at ``u``: one ``np.interp`` for all rows (row
    ``r``'s cumulative shares and ``u`` are offset by ``2r``, so the stacked grid increases)."""
    rows = counts.shape[0]
    cum = np.zeros((rows, counts.shape[1] + 1))
    np.cumsum(_shares(counts), axis=1, out=cum[:, 1:])
    offset = 2.0 * np.arange(rows)[:, None]
    out = np.interp((u[None, :] + offset).ravel(), (cum + offset).ravel(), np.tile(positions, rows))
    return out.reshape(rows, u.size)


def quantile_distance(
    positions: NDArray[np.float64],
    trim: float,
    scale_probs: tuple[float, float],
    scale_divisor: float,
) -> Statistic:
    """Mean |Q_test(u) − Q_ref(u)| over u in [trim, 1 − trim], in units of the reference's scale.

    With ``trim = 0`` the numerator is the 1-Wasserstein distance of the two (binned)
    distributions; with ``trim = 0.01`` it is the Wasserstein distance of their central 98 %,
    per unit of probability: a pure location shift by δ gives δ whatever ``trim`` is. The scale
    is ``(Q_ref(b) − Q_ref(a)) / scale_divisor`` for ``scale_probs = (a, b)`` — taken from each
    replicate's own reference, so the interval carries the scale's uncertainty too.
    """
    grid = trim + (np.arange(_GRID) + 0.5) * (1.0 - 2.0 * trim) / _GRID
    u = np.concatenate([grid, np.asarray(scale_probs, dtype=float)])

    def distance(ref: NDArray[np.float64], test: NDArray[np.float64]) -> NDArray[np.float64]:
        q_ref = _quantiles(ref, positions, u)
        q_test = _quantiles(test, positions, u[:_GRID])
        scale = (q_ref[:, -1] - q_ref[:, -2]) / scale_divisor
        gap = np.abs(q_test - q_ref[:, :_GRID]).mean(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.asarray(np.where(scale > 0, gap / scale, np.where(gap > 0, np.inf, 0.0)))

    return distance


@dataclass(frozen=True)
class DriftEstimate:
    """A drift statistic with its bootstrap standard error.

    Attributes
    ----------
    plug_in : float
        The statistic of the two samples as observed.
    corrected : float
        ``2·plug_in − mean(replicates)``: the plug-in minus its bootstrap bias (may be < 0
        when the true distance is ~0; :attr:`value` is clipped at 0).
    se : float
        Standard deviation of the bootstrap replicates.
    n_reference, n_test : int
        Rows counted in each sample.
    """

    plug_in: float
    corrected: float
    se: float
    n_reference: int
    n_test: int

    @property
    def value(self) -> float:
        """The reported estimate: bias-corrected, never below 0."""
        return max(self.corrected, 0.0)

    def interval(self, level: float) -> tuple[float, float]:
        """Two-sided normal interval at ``level`` (lower end clipped at 0)."""
        z = _z(0.5 + level / 2.0)
        return max(self.corrected - z * self.se, 0.0), max(self.corrected + z * self.se, 0.0)

    def p_above(self, tolerance: float) -> float:
        """One-sided p-value of "the true distance is at most ``tolerance``"."""
        if self.se == 0.0:
            return 0.0 if self.corrected > tolerance else 1.0
        from scipy import special

        return float(special.ndtr(-(self.corrected - tolerance) / self.se))


def _z(p: float) -> float:
    from scipy import special

    return float(special.ndtri(p))


def _resample(
    counts: NDArray[np.int64], n: int, rng: np.random.Generator, resamples: int
) -> NDArray[np.float64]:
    """``resamples`` multinomial draws of ``n`` rows at the shares ``counts / n``: by drawing
    rows when there are fewer rows than twice the bins (cheaper), else multinomially."""
    k = counts.size
    if n <= 2 * k:
        rows = np.repeat(np.arange(k), counts)
        draws = rows[rng.integers(0, n, size=(resamples, n))]
        draws += (np.arange(resamples) * k)[:, None]
        flat = np.bincount(draws.ravel(), minlength=resamples * k)
        return np.asarray(flat.reshape(resamples, k), dtype=np.float64)
    return rng.multinomial(n, counts / n, size=resamples).astype(float)


def bootstrap_drift(
    statistic: Statistic,
    reference: NDArray[np.int64],
    test: NDArray[np.int64],
    rng: np.random.Generator,
    resamples: int = DEFAULT_RESAMPLES,
) -> DriftEstimate:
    """The statistic of two count vectors, bias-corrected, with its bootstrap standard error.

    Each replicate draws ``Multinomial(n_ref, p̂_ref)`` and ``Multinomial(n_test, p̂_test)``:
    exactly the counts of a row bootstrap within each sample, without touching the rows.
    """
    n_ref, n_test = int(reference.sum()), int(test.sum())
    plug_in = float(statistic(reference[None, :].astype(float), test[None, :].astype(float))[0])
    ref_draws = _resample(reference, n_ref, rng, resamples)
    test_draws = _resample(test, n_test, rng, resamples)
    replicates = statistic(ref_draws, test_draws)
    se = float(np.std(replicates, ddof=1))
    if not math.isfinite(se) or se < 1e-12 * max(1.0, abs(plug_in)):
        se = 0.0  # rounding noise of replicates that are all equal
    corrected = 2.0 * plug_in - float(np.mean(replicates))
    return DriftEstimate(plug_in, corrected, se, n_ref, n_test)
