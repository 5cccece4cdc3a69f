"""Drift statistics of one column: the common binning, PSI, Jensen–Shannon, Wasserstein, KS, χ².

Pure functions of two samples (reference, test). Numeric columns are binned on reference
quantiles, categorical columns on the union of observed categories (see :func:`psi_bins`);
the column kind comes from :func:`~pytest_modelgate.checks.data.columns.column_kind`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from pytest_modelgate._format import MISSING_LABEL
from pytest_modelgate.checks.data.columns import (
    ColumnKind,
    as_series,
    check_kind,
    column_kind,
    numeric_values,
)
from pytest_modelgate.checks.data.errors import BadParameter
from pytest_modelgate.checks.data.result import fmt_num

__all__ = [
    "MISSING_LABEL",
    "BinnedCounts",
    "category_bins",
    "chi2_from_counts",
    "chi2_test",
    "jensen_shannon",
    "js_from_proportions",
    "ks_test",
    "psi",
    "psi_bins",
    "psi_from_counts",
    "wasserstein_normalised",
    "wasserstein_parts",
]


@dataclass(frozen=True)
class BinnedCounts:
    """Reference and test counts on a common binning (see :func:`psi_bins`).

    Attributes
    ----------
    labels : tuple of str
        One label per bin: ``"(a, b]"`` intervals for numeric columns, category values (and
        :data:`MISSING_LABEL`) for categorical ones.
    reference, test : ndarray of int64
        Counts per bin.
    kind : {"numeric", "categorical"}
        How the bins were formed.
    """

    labels: tuple[str, ...]
    reference: NDArray[np.int64]
    test: NDArray[np.int64]
    kind: str

    def proportions(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Unfloored proportions ``(reference, test)``; ``nan`` for an empty sample."""
        return _proportions(self.reference), _proportions(self.test)


# --------------------------------------------------------------------------------------------
# Binning
# --------------------------------------------------------------------------------------------


def _proportions(counts: NDArray[np.int64]) -> NDArray[np.float64]:
    total = counts.sum()
    if total == 0:
        return np.full(counts.shape, np.nan)
    return counts / total


def _numeric_bins(
    reference: NDArray[np.float64], test: NDArray[np.float64], bins: int
) -> BinnedCounts:
    if reference.size == 0:
        edges = np.empty(0)
    else:
        # Inverted-CDF quantiles are observed reference values, so every right-closed bin
        # (e_{k-1}, e_k] holds at least e_k itself: no reference bin is empty by construction
        # (linear interpolation would put an edge between a point mass and the next value).
        quantiles = np.quantile(
            reference, np.linspace(0.0, 1.0, bins + 1)[1:-1], method="inverted_cdf"
        )
        # Ties give repeated quantiles, which would make empty bins; an edge at the maximum
        # would leave the top bin empty; non-finite edges (a reference with ±inf) mean nothing.
        edges = np.unique(quantiles)
        edges = edges[np.isfinite(edges) & (edges < reference.max())]
    # Right-closed bins (e_{k-1}, e_k] with -inf/+inf at the ends: searchsorted "left" maps a
    # value equal to an edge into the bin that edge closes, so a point mass (e.g. many zeros)
    # stays in one bin.
    n_bins = edges.size + 1
    ref_counts = np.bincount(np.searchsorted(edges, reference, side="left"), minlength=n_bins)
    test_counts = np.bincount(np.searchsorted(edges, test, side="left"), minlength=n_bins)
    bounds = np.concatenate(([-np.inf], edges, [np.inf]))
    labels = tuple(
        f"({fmt_num(lo)}, {fmt_num(hi)}{')' if np.isinf(hi) else ']'}"
        for lo, hi in itertools.pairwise(bounds)
    )
    return BinnedCounts(
        labels, ref_counts.astype(np.int64), test_counts.astype(np.int64), "numeric"
    )


def category_bins(reference: pd.Series, test: pd.Series) -> BinnedCounts:
    # value_counts hashes the whole column at C speed; the union of the two indexes is the set
    # of categories seen in either sample. Missing values get their own bin (appended, not
    # put in the index, so a real category spelled "<missing>" cannot collide with it).
    table = pd.concat(
        [reference.value_counts(dropna=True), test.value_counts(dropna=True)],
        axis=1,
        keys=["reference", "test"],
        sort=False,
    ).fillna(0)
    ref_counts = table["reference"].to_numpy(dtype=np.int64)
    test_counts = table["test"].to_numpy(dtype=np.int64)
    labels = [str(v) for v in table.index]
    ref_missing, test_missing = int(reference.isna().sum()), int(test.isna().sum())
    if ref_missing or test_missing:
        ref_counts = np.append(ref_counts, ref_missing)
        test_counts = np.append(test_counts, test_missing)
        labels.append(MISSING_LABEL)
    # Levels of a pandas Categorical that neither sample holds carry no information.
    keep = (ref_counts + test_counts) > 0
    return BinnedCounts(
        tuple(label for label, k in zip(labels, keep, strict=True) if k),
        ref_counts[keep],
        test_counts[keep],
        "categorical",
    )


def psi_bins(
    reference: Any, test: Any, *, bins: int = 10, kind: ColumnKind | None = None
) -> BinnedCounts:
    """Count reference and test values on the binning that PSI and Jensen–Shannon use.

    Parameters
    ----------
    reference, test : pandas.Series or array_like
        The two samples of one column.
    bins : int, default 10
        Numeric columns: number of reference-quantile bins before merging tied edges.
        Ignored for categorical columns.
    kind : {"numeric", "categorical"}, optional
        Defaults to ``column_kind(reference)``.

    Returns
    -------
    BinnedCounts

    Notes
    -----
    *Numeric*: missing values are dropped; the interior edges are the reference's
    ``1/bins, ..., (bins-1)/bins`` quantiles (``method="inverted_cdf"``: observed values),
    de-duplicated and below the reference maximum, with ``-inf``/``+inf`` at the ends; bins
    are right-closed ``(a, b]``. Every bin therefore holds reference values (ties merge bins
    rather than leave them empty: a column with 60% zeros gets one ``(-inf, 0]`` bin), and
    test values outside the reference range land in the end bins. *Categorical*: one bin per
    category seen in either sample, plus :data:`MISSING_LABEL` when either sample has missing
    values.
    """
    if int(bins) != bins or bins < 1:
        raise BadParameter(f"bins must be a positive integer, got {bins!r}", "bins")
    ref, tst = as_series(reference), as_series(test)
    kind = kind or column_kind(ref)
    check_kind(kind)
    if kind == "numeric":
        return _numeric_bins(numeric_values(ref), numeric_values(tst), int(bins))
    return category_bins(ref, tst)


# --------------------------------------------------------------------------------------------
# Distances
# --------------------------------------------------------------------------------------------


def _floored(p: NDArray[np.float64], floor: float) -> NDArray[np.float64]:
    clipped = np.maximum(p, floor)
    return clipped / clipped.sum()


def psi_from_counts(counts: BinnedCounts, floor: float) -> float:
    p_ref, p_test = counts.proportions()
    if np.isnan(p_ref).any() or np.isnan(p_test).any():
        return float("nan")
    p_ref, p_test = _floored(p_ref, floor), _floored(p_test, floor)
    return float(np.sum((p_test - p_ref) * np.log(p_test / p_ref)))


def js_from_proportions(p: NDArray[np.float64], q: NDArray[np.float64]) -> float:
    if np.isnan(p).any() or np.isnan(q).any():
        return float("nan")
    m = 0.5 * (p + q)

    def kl_to_m(x: NDArray[np.float64]) -> float:
        # 0·log(0/m) = 0; where x > 0, m > 0 too, so the logarithm is finite.
        pos = x > 0
        return float(np.sum(x[pos] * np.log2(x[pos] / m[pos])))

    divergence = 0.5 * (kl_to_m(p) + kl_to_m(q))
    # Rounding can make a zero divergence slightly negative; the distance is its square root.
    return float(np.sqrt(max(divergence, 0.0)))


def psi(
    reference: Any,
    test: Any,
    *,
    bins: int = 10,
    floor: float = 1e-4,
    kind: ColumnKind | None = None,
) -> float:
    """Population Stability Index of ``test`` relative to ``reference``.

    Parameters
    ----------
    reference, test : pandas.Series or array_like
        The two samples of one column.
    bins : int, default 10
        Number of reference-quantile bins for numeric columns (see :func:`psi_bins`).
    floor : float, default 1e-4
        Smallest proportion a bin may have. Proportions are clipped at ``floor`` and then
        renormalised to sum to 1 (in each sample separately), so that a bin empty in one
        sample contributes a large but finite term instead of ``inf``.
    kind : {"numeric", "categorical"}, optional
        Defaults to ``column_kind(reference)``.

    Returns
    -------
    float
        ``PSI = Σ_b (p_t,b − p_r,b) · ln(p_t,b / p_r,b)`` ≥ 0 (symmetric KL divergence of the
        binned distributions, in nats). ``nan`` if either sample has no (non-missing,
        for numeric columns) values. Rules of thumb: < 0.1 stable, 0.1–0.2 moderate, > 0.2
        significant shift.

    Notes
    -----
    With ``n`` rows per sample and ``B`` bins, sampling noise alone gives an expected PSI of
    about ``(B − 1)(1/n_r + 1/n_t)``, so very small samples (tens of rows) are noisy. For a
    categorical column with many rare levels the floor dominates; bin rare levels first.
    """
    if not 0.0 < floor < 1.0:
        raise BadParameter(f"floor must lie in (0, 1), got {floor!r}", "floor")
    return psi_from_counts(psi_bins(reference, test, bins=bins, kind=kind), floor)


def jensen_shannon(
    reference: Any, test: Any, *, bins: int = 10, kind: ColumnKind | None = None
) -> float:
    """Jensen–Shannon distance (base 2) between the binned reference and test distributions.

    Parameters
    ----------
    reference, test : pandas.Series or array_like
        The two samples of one column.
    bins : int, default 10
        Number of reference-quantile bins for numeric columns (see :func:`psi_bins`).
    kind : {"numeric", "categorical"}, optional
        Defaults to ``column_kind(reference)``.

    Returns
    -------
    float
        ``sqrt(½ KL(p‖m) + ½ KL(q‖m))`` with ``m = (p + q)/2`` and base-2 logarithms, in
        [0, 1]; equal to ``scipy.spatial.distance.jensenshannon(p, q, base=2)`` on the
        (unfloored) bin proportions — the distance is finite with empty bins, so no floor is
        needed. ``nan`` if either sample is empty.
    """
    p, q = psi_bins(reference, test, bins=bins, kind=kind).proportions()
    return js_from_proportions(p, q)


def _robust_scale(reference: NDArray[np.float64]) -> tuple[float, str]:
    q25, q75 = np.percentile(reference, [25.0, 75.0])
    iqr = float(q75 - q25)
    if iqr > 0:
        return iqr, "IQR"
    sd = float(np.std(reference))
    if sd > 0:
        return sd, "standard deviation"
    return 1.0, "unit scale (constant reference)"


def wasserstein_parts(
    reference: NDArray[np.float64], test: NDArray[np.float64]
) -> tuple[float, float, str]:
    if reference.size == 0 or test.size == 0:
        return float("nan"), float("nan"), "n/a"
    from scipy import stats as sstats  # lazily (~0.5 s): only drift gates need it

    distance = float(sstats.wasserstein_distance(reference, test))
    scale, scale_name = _robust_scale(reference)
    return distance / scale, distance, f"reference {scale_name} {fmt_num(scale)}"


def wasserstein_normalised(reference: Any, test: Any) -> float:
    """1-Wasserstein distance divided by a robust scale of the reference.

    Parameters
    ----------
    reference, test : pandas.Series or array_like
        Numeric samples of one column; missing values are dropped.

    Returns
    -------
    float
        ``scipy.stats.wasserstein_distance(reference, test) / scale`` where ``scale`` is the
        reference's interquartile range (``np.percentile`` 75 − 25, linear interpolation);
        if that is 0, the reference's standard deviation (``ddof=0``); if that is 0 too, 1.
        The distance is in the column's units (for a pure location shift it equals the shift);
        dividing by the IQR makes it "shift in interquartile ranges", so one threshold means
        the same on an age column and on an income column. The IQR rather than the standard
        deviation because heavy tails inflate the latter. ``nan`` if either sample is empty.
    """
    value, _, _ = wasserstein_parts(
        numeric_values(as_series(reference)), numeric_values(as_series(test))
    )
    return value


# --------------------------------------------------------------------------------------------
# Hypothesis tests
# --------------------------------------------------------------------------------------------


def ks_test(reference: Any, test: Any) -> tuple[float, float]:
    """Two-sample Kolmogorov–Smirnov test (``scipy.stats.ks_2samp``, two-sided, ``method="auto"``).

    Parameters
    ----------
    reference, test : pandas.Series or array_like
        Numeric samples; missing values are dropped.

    Returns
    -------
    statistic, p_value : float
        ``(nan, nan)`` if either sample is empty.

    Notes
    -----
    Not the default drift measure: at large ``n`` it rejects for shifts of no practical
    consequence (see :mod:`pytest_modelgate.checks.data.drift`).
    """
    ref = numeric_values(as_series(reference))
    tst = numeric_values(as_series(test))
    if ref.size == 0 or tst.size == 0:
        return float("nan"), float("nan")
    from scipy import stats as sstats

    result = sstats.ks_2samp(ref, tst)
    return float(result.statistic), float(result.pvalue)


def chi2_from_counts(counts: BinnedCounts) -> tuple[float, float, int]:
    if counts.reference.sum() == 0 or counts.test.sum() == 0:
        return float("nan"), float("nan"), 0
    if len(counts.labels) < 2:
        # One category in both samples: the distributions are identical by construction
        # (and chi2_contingency would report dof 0).
        return 0.0, 1.0, 0
    table = np.column_stack([counts.reference, counts.test])
    from scipy import stats as sstats

    result = sstats.chi2_contingency(table)
    return float(result.statistic), float(result.pvalue), int(result.dof)


def chi2_test(reference: Any, test: Any) -> tuple[float, float]:
    """Chi-square test of homogeneity on the category × sample contingency table.

    Parameters
    ----------
    reference, test : pandas.Series or array_like
        Samples of one column, treated as categories. The table's rows are the union of the
        categories seen in either sample, plus :data:`MISSING_LABEL` when either sample has
        missing values (as in the categorical PSI); its two columns are the samples.

    Returns
    -------
    statistic, p_value : float
        From ``scipy.stats.chi2_contingency(table)`` with its defaults (Yates' continuity
        correction when the table is 2 × 2). ``(0, 1)`` when only one category occurs,
        ``(nan, nan)`` if either sample is empty.
    """
    statistic, p_value, _ = chi2_from_counts(category_bins(as_series(reference), as_series(test)))
    return statistic, p_value
