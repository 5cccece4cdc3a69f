"""One pass per column into the histograms every drift statistic and its bootstrap work on.

A drift statistic is a function of two count vectors on a common binning, so its sampling
distribution can be simulated by resampling the counts (multinomially, O(bins) per replicate)
instead of the rows. This module builds those binnings:

* :func:`numeric_histogram` — *fine quantile bins* for the quantile-function statistics
  (``shift``, ``wasserstein``): the reference's 0.5 %, 1 %, …, 99.5 % quantiles (observed values)
  as edges, each edge also an *atom* (the values exactly equal to it), plus edges stepping
  geometrically outwards in units of the reference's robust scale, so a shifted test sample
  stays on the grid. Within an open bin values are spread evenly (the CDF is linear), an atom
  is a jump: the binned quantile function is exact for discrete columns (ages, counts) and
  within a fraction of a bin width for continuous ones.
* :func:`category_histogram` — categories after **pooling rare levels**: a level whose
  expected count in the smaller sample, at its reference share, is below
  :data:`MIN_EXPECTED` (20), and every level the reference never holds, go into one
  ``"<other: k levels>"`` bin. Without pooling, a 200-level long-tail column at 10³ rows is
  mostly empty bins, and every distance between two samples of the same distribution is large.

The coarse 10-bin binning of PSI and Jensen–Shannon on numeric columns stays in
:func:`~pytest_modelgate.checks.data.statistics.psi_bins`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from pytest_modelgate.checks.data.statistics import BinnedCounts, category_bins

__all__ = [
    "FINE_QUANTILE_BINS",
    "MIN_EXPECTED",
    "MIN_EXPECTED_SMALL",
    "NORMAL_IQR",
    "NumericHistogram",
    "category_histogram",
    "numeric_histogram",
    "pool_rare",
    "robust_scale",
]

#: Reference quantile bins of the quantile-function statistics (edges at 1/200, …, 199/200).
FINE_QUANTILE_BINS = 200
#: Categorical levels with fewer expected rows than this (in the smaller sample, at the
#: reference share) are pooled into one "other" bin. 20 rather than χ²'s usual 5: the sampling
#: noise of a total variation grows with Σ √(share / n) over the bins, and at 5 a 200-level
#: long-tail column of 10³ rows sits at ~0.09 (the default tolerance is 0.1) with no drift.
MIN_EXPECTED = 20.0
#: When pooling at :data:`MIN_EXPECTED` would leave a single bin (small samples), this is used.
MIN_EXPECTED_SMALL = 5.0
#: The interquartile range of a standard normal: IQR / 1.349 is a robust standard deviation.
NORMAL_IQR = 1.3489795003921634
# The 1st–99th percentile range of a standard normal (fallback scale when the IQR is 0).
_NORMAL_P98 = 4.652695748081682
# Outward edges beyond the reference's extreme quantile edges: step · (2^k − 1), k = 1..24,
# with step = scale / 8: fine near the data, up to ~2·10⁶ robust sd away.
_OUTER_STEPS = 24


@dataclass(frozen=True)
class NumericHistogram:
    """Reference and test counts on fine quantile bins with atoms.

    Attributes
    ----------
    reference, test : ndarray of int64
        Counts per bin, bins ordered along the line: open bin, atom, open bin, atom, …, open.
    positions : ndarray of float64
        ``len(counts) + 1`` abscissae: bin ``b`` spans ``[positions[b], positions[b + 1]]``
        (an atom has zero width; the two unbounded end bins are clamped to the outermost edge).
    scale : float
        The reference's robust scale: IQR / 1.349, or (if the IQR is 0) the 1st–99th
        percentile range / 4.653 — both equal the standard deviation of a normal.
    scale_note : str
        How ``scale`` was obtained.
    scale_probs : (float, float)
        The quantiles whose distance gives the scale: (0.25, 0.75), or (0.01, 0.99).
    scale_divisor : float
        What that distance is divided by: 1.349 or 4.653 (a normal's IQR or P1–P99 range).
    iqr : float
        The reference's interquartile range (``nan`` if undefined).
    """

    reference: NDArray[np.int64]
    test: NDArray[np.int64]
    positions: NDArray[np.float64]
    scale: float
    scale_note: str
    iqr: float
    scale_probs: tuple[float, float]
    scale_divisor: float


def _order_stat(sorted_values: NDArray[np.float64], probs: NDArray[np.float64]) -> NDArray:
    """Inverted-CDF quantiles of a sorted sample: observed values, no interpolation."""
    n = sorted_values.size
    idx = np.clip(np.ceil(probs * n).astype(np.int64) - 1, 0, n - 1)
    return sorted_values[idx]


def robust_scale(
    sorted_reference: NDArray[np.float64],
) -> tuple[float, str, float, tuple[float, float], float]:
    """``(scale, note, iqr, probs, divisor)`` of a sorted, finite, non-empty reference sample
    (scale 0 when at least 98% of it is one value: the caller compares it as categories)."""
    q01, q25, q75, q99 = _order_stat(sorted_reference, np.array([0.01, 0.25, 0.75, 0.99]))
    iqr = float(q75 - q25)
    if iqr > 0:
        return iqr / NORMAL_IQR, "reference IQR / 1.349", iqr, (0.25, 0.75), NORMAL_IQR
    p98 = float(q99 - q01)
    note = "reference 1st–99th percentile range / 4.653 (its IQR is 0)"
    if p98 > 0:
        return p98 / _NORMAL_P98, note, iqr, (0.01, 0.99), _NORMAL_P98
    return 0.0, "constant reference", iqr, (0.25, 0.75), NORMAL_IQR


def numeric_histogram(
    reference: NDArray[np.float64],
    test: NDArray[np.float64],
    *,
    bins: int = FINE_QUANTILE_BINS,
) -> NumericHistogram | None:
    """Fine quantile bins of two numeric samples (non-empty; missing values dropped).

    Returns ``None`` when the reference's robust scale is 0 (at least 98 % of it is one
    value): a shift in standard deviations means nothing there, and the caller compares the
    column as categories (that value vs anything else) instead.

    Non-finite values (±inf) fall in the unbounded end bins, which are clamped to the
    outermost edge: they count as very far away, never as ``nan``.
    """
    ref = np.sort(reference)
    tst = np.sort(test)
    if np.isnan(ref[-1:]).any() or np.isnan(tst[-1:]).any():  # nan sorts last
        ref, tst = ref[~np.isnan(ref)], tst[~np.isnan(tst)]
    finite_ref = ref[np.isfinite(ref)]
    if finite_ref.size == 0:
        return None
    scale, note, iqr, probs, divisor = robust_scale(finite_ref)
    if scale == 0.0:
        return None
    inner = np.unique(_order_stat(finite_ref, np.arange(1, bins) / bins))
    step = scale / 8.0 * (2.0 ** np.arange(1, _OUTER_STEPS + 1) - 1.0)
    edges = np.unique(np.concatenate([inner[0] - step[::-1], inner, inner[-1] + step]))
    edges = edges[np.isfinite(edges)]
    return NumericHistogram(
        _atom_counts(ref, edges),
        _atom_counts(tst, edges),
        np.concatenate([edges[:1], np.repeat(edges, 2), edges[-1:]]),
        scale,
        note,
        iqr,
        probs,
        divisor,
    )


def _atom_counts(sorted_values: NDArray[np.float64], edges: NDArray[np.float64]) -> NDArray:
    """Counts on (−inf, e0), {e0}, (e0, e1), {e1}, …, {e_last}, (e_last, inf) of a sorted sample:
    2·E + 1 bins from two binary searches per edge (O(E log n), no pass over the rows)."""
    left = np.searchsorted(sorted_values, edges, side="left")
    right = np.searchsorted(sorted_values, edges, side="right")
    below = np.concatenate([[0], right])  # values <= previous edge
    above = np.concatenate([left, [sorted_values.size]])  # values < next edge
    counts = np.empty(2 * edges.size + 1, dtype=np.int64)
    counts[0::2] = above - below  # open bins
    counts[1::2] = right - left  # atoms
    return counts


def pool_rare(counts: BinnedCounts, min_expected: float = MIN_EXPECTED) -> tuple[BinnedCounts, int]:
    """Pool the levels with fewer than ``min_expected`` expected rows in the smaller sample (at
    their reference share) and the levels absent from the reference into one bin.

    Returns the pooled counts (the pooled bin last, labelled ``"<other: k levels>"``) and the
    number of levels pooled. One rare level alone is kept as it is (pooling it changes
    nothing). Levels that are frequent in the test data but rare or absent in the reference
    still count: they make the pooled bin grow in the test sample.
    """
    n_ref, n_test = int(counts.reference.sum()), int(counts.test.sum())
    if n_ref == 0 or n_test == 0:
        return counts, 0
    expected = counts.reference / n_ref * min(n_ref, n_test)
    rare = expected < min_expected
    k = int(rare.sum())
    if k <= 1:
        return counts, 0
    keep = ~rare
    labels = tuple(label for label, kept in zip(counts.labels, keep, strict=True) if kept)
    return (
        BinnedCounts(
            (*labels, f"<other: {k} levels>"),
            np.append(counts.reference[keep], counts.reference[rare].sum()).astype(np.int64),
            np.append(counts.test[keep], counts.test[rare].sum()).astype(np.int64),
            "categorical",
        ),
        k,
    )


def category_histogram(
    reference: pd.Series, test: pd.Series, *, min_expected: float = MIN_EXPECTED
) -> tuple[BinnedCounts, int]:
    """Category counts (missing values as a category of their own), rare levels pooled: below
    ``min_expected`` expected rows, or below :data:`MIN_EXPECTED_SMALL` when the first rule
    would pool every level into one bin (then nothing is pooled if that still would)."""
    counts = category_bins(reference, test)
    for threshold in (min_expected, MIN_EXPECTED_SMALL):
        pooled, k = pool_rare(counts, threshold)
        if len(pooled.labels) >= 2 or len(counts.labels) < 2:
            return pooled, k
    return counts, 0
