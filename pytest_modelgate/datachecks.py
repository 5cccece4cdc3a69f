"""Data checks: distribution drift, missing values, unseen categories, ranges and schema.

Every check compares a *test* frame (the data the model is about to see) with a *reference*
frame (the data it was validated on) column by column, and returns a :class:`DataCheckResult`
whose findings list every column examined, worst first.

Drift is measured by default with **effect sizes**, not hypothesis tests:

* ``psi`` — Population Stability Index on reference-quantile bins (default threshold 0.2, the
  conventional "significant shift" level);
* ``jensen_shannon`` — Jensen–Shannon *distance* (base 2, in [0, 1]) on the same bins
  (default 0.1);
* ``wasserstein`` — the 1-Wasserstein distance divided by the reference's IQR, so that one
  threshold (default 0.1, a tenth of an interquartile range) means the same on every column.

The tests ``ks`` (two-sample Kolmogorov–Smirnov) and ``chi2`` (contingency-table chi-square)
are available, with Holm-adjusted p-values across the columns, but they are not the default:
a test answers "is there *any* difference?", and with the row counts of production data the
answer is almost always yes. At 10⁶ rows per sample a shift of a hundredth of a standard
deviation — irrelevant to any model — gives ``p`` far below 0.05 while its PSI is ~1e-4.
A release gate should fail on drift large enough to matter, which is what a threshold on an
effect size expresses.

Column kinds (see :func:`column_kind`) decide how a column is binned: numeric columns on
reference quantiles, categorical columns on the union of observed categories.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pandas.api import types as pdt
from scipy import stats as sstats

from pytest_modelgate.stats import holm_adjust

__all__ = [
    "DEFAULT_DRIFT_MAX",
    "DRIFT_METHODS",
    "MAX_CATEGORICAL_LEVELS",
    "MISSING_LABEL",
    "BinnedCounts",
    "ColumnFinding",
    "DataCheckResult",
    "chi2_test",
    "column_kind",
    "drift_check",
    "dtype_kind",
    "jensen_shannon",
    "ks_test",
    "missing_values_check",
    "psi",
    "psi_bins",
    "range_check",
    "schema_check",
    "unseen_categories_check",
    "wasserstein_normalised",
]

ColumnKind = Literal["numeric", "categorical"]
DriftMethod = Literal["psi", "jensen_shannon", "wasserstein", "ks", "chi2"]

#: Integer-valued columns with at most this many distinct values are treated as categorical.
MAX_CATEGORICAL_LEVELS = 20
#: The category that stands for missing values when a categorical column is binned.
MISSING_LABEL = "<missing>"
DRIFT_METHODS: tuple[str, ...] = ("psi", "jensen_shannon", "wasserstein", "ks", "chi2")
#: Default drift thresholds (``statistic > max`` flags a column) for the effect-size methods.
DEFAULT_DRIFT_MAX: Mapping[str, float] = {"psi": 0.2, "jensen_shannon": 0.1, "wasserstein": 0.1}
_TEST_METHODS = frozenset({"ks", "chi2"})
# How many column names a one-line summary lists before it says "and N more".
_SUMMARY_COLUMNS = 10
# How many unseen values / extreme values a finding's detail lists.
_DETAIL_VALUES = 5


@dataclass(frozen=True)
class ColumnFinding:
    """One column's result in a data check.

    Attributes
    ----------
    column : str
        Column name.
    statistic : float
        The number driving the verdict: a distance (drift), a fraction of rows (missing,
        unseen, range), a Holm-adjusted p-value (drift tests) or 0/1 (schema). ``nan`` when it
        could not be computed (the finding is then flagged and ``detail`` says why).
    threshold : float or None
        The limit ``statistic`` is compared with (``alpha`` for tests); ``None`` for schema.
    flagged : bool
        Whether this column fails the check.
    detail : str
        Human-readable explanation, e.g. ``"3 of 1000 rows (0.3%) missing"``.
    kind : {"numeric", "categorical"}
        The column kind used.
    p_value, p_adjusted : float or None
        Raw and Holm-adjusted p-values, for the test methods only.
    """

    column: str
    statistic: float
    threshold: float | None
    flagged: bool
    detail: str
    kind: str
    p_value: float | None = None
    p_adjusted: float | None = None


@dataclass(frozen=True)
class DataCheckResult:
    """The outcome of one data check over a set of columns.

    Attributes
    ----------
    check : str
        ``"drift"``, ``"missing_values"``, ``"unseen_categories"``, ``"range"`` or ``"schema"``.
    passed : bool
        ``True`` iff no finding is flagged.
    findings : tuple of ColumnFinding
        Every column examined, worst first (flagged columns before the others).
    summary : str
        One line, e.g. ``"2 of 14 columns drifted (psi > 0.2): age 0.31, hours_per_week 0.25"``.
    n_reference, n_test : int or None
        Row counts of the frames compared (``None`` where there is no such frame).
    """

    check: str
    passed: bool
    findings: tuple[ColumnFinding, ...]
    summary: str
    n_reference: int | None = None
    n_test: int | None = None


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
# Column kinds and value extraction
# --------------------------------------------------------------------------------------------


def _as_series(values: Any) -> pd.Series:
    return values if isinstance(values, pd.Series) else pd.Series(np.asarray(values))


def column_kind(series: Any, *, max_levels: int = MAX_CATEGORICAL_LEVELS) -> ColumnKind:
    """Classify a column as ``"numeric"`` or ``"categorical"``.

    Parameters
    ----------
    series : pandas.Series or array_like
        The column (usually the reference's; that is what :func:`drift_check` uses).
    max_levels : int, default 20
        Integer-valued columns with at most this many distinct non-missing values are
        categorical (codes, counts of children, ratings): quantile bins would merge their
        levels arbitrarily, while category bins keep each level.

    Returns
    -------
    {"numeric", "categorical"}
        * bool, object, string and category dtypes: ``"categorical"``;
        * datetime and timedelta dtypes: ``"numeric"`` (compared as seconds);
        * numeric dtypes whose values are not all integers: ``"numeric"``, whatever their
          cardinality (a small sample of a continuous column must not become categorical);
        * integer-valued numeric columns (integer dtypes, or floats holding whole numbers,
          e.g. an integer column with missing values): ``"numeric"`` if they have more than
          ``max_levels`` distinct values, else ``"categorical"``.

    Notes
    -----
    Callers override the classification per column (``kinds=`` in the checks).
    """
    s = _as_series(series)
    dtype = s.dtype
    if pdt.is_bool_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype):
        return "categorical"
    if pdt.is_datetime64_any_dtype(dtype) or pdt.is_timedelta64_dtype(dtype):
        return "numeric"
    if not pdt.is_numeric_dtype(dtype) or pdt.is_complex_dtype(dtype):
        return "categorical"
    values = _finite(s.to_numpy(dtype=np.float64, na_value=np.nan))
    # The integrality test is one vectorised pass and decides most float columns without the
    # hashing that counting distinct values needs.
    if values.size and not np.all(values == np.floor(values)):
        return "numeric"
    return "numeric" if pd.unique(values).size > max_levels else "categorical"


def _finite(values: NDArray[np.float64]) -> NDArray[np.float64]:
    return values[np.isfinite(values)]


def _numeric_values(series: pd.Series) -> NDArray[np.float64]:
    """Non-missing values of a numeric-like column as float64 (datetimes as epoch seconds)."""
    s = series.dropna()
    dtype = s.dtype
    if pdt.is_datetime64_any_dtype(dtype):
        if getattr(dtype, "tz", None) is not None:
            s = s.dt.tz_convert("UTC").dt.tz_localize(None)
        # Through a fixed unit, so that frames stored at different resolutions compare.
        ns = s.to_numpy(dtype="datetime64[ns]").astype(np.int64)
        return ns.astype(np.float64) / 1e9
    if pdt.is_timedelta64_dtype(dtype):
        return np.asarray(s.dt.total_seconds().to_numpy(dtype=np.float64))
    try:
        values = s.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"column {series.name!r} has dtype {series.dtype} and cannot be compared as "
            "numeric (pass kinds={...: 'categorical'} or check the schema)"
        ) from exc
    return values[~np.isnan(values)]


# --------------------------------------------------------------------------------------------
# Binning and distances
# --------------------------------------------------------------------------------------------


def _fmt_num(x: float) -> str:
    return f"{x:.4g}"


def _fmt_value(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)


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
        f"({_fmt_num(lo)}, {_fmt_num(hi)}{')' if np.isinf(hi) else ']'}"
        for lo, hi in itertools.pairwise(bounds)
    )
    return BinnedCounts(
        labels, ref_counts.astype(np.int64), test_counts.astype(np.int64), "numeric"
    )


def _category_bins(reference: pd.Series, test: pd.Series) -> BinnedCounts:
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
        raise ValueError(f"bins must be a positive integer, got {bins!r}")
    ref, tst = _as_series(reference), _as_series(test)
    kind = kind or column_kind(ref)
    _check_kind(kind)
    if kind == "numeric":
        return _numeric_bins(_numeric_values(ref), _numeric_values(tst), int(bins))
    return _category_bins(ref, tst)


def _check_kind(kind: str) -> None:
    if kind not in ("numeric", "categorical"):
        raise ValueError(f"kind must be 'numeric' or 'categorical', got {kind!r}")


def _floored(p: NDArray[np.float64], floor: float) -> NDArray[np.float64]:
    clipped = np.maximum(p, floor)
    return clipped / clipped.sum()


def _psi_from_counts(counts: BinnedCounts, floor: float) -> float:
    p_ref, p_test = counts.proportions()
    if np.isnan(p_ref).any() or np.isnan(p_test).any():
        return float("nan")
    p_ref, p_test = _floored(p_ref, floor), _floored(p_test, floor)
    return float(np.sum((p_test - p_ref) * np.log(p_test / p_ref)))


def _js_from_proportions(p: NDArray[np.float64], q: NDArray[np.float64]) -> float:
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
        raise ValueError(f"floor must lie in (0, 1), got {floor!r}")
    return _psi_from_counts(psi_bins(reference, test, bins=bins, kind=kind), floor)


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
    return _js_from_proportions(p, q)


def _robust_scale(reference: NDArray[np.float64]) -> tuple[float, str]:
    q25, q75 = np.percentile(reference, [25.0, 75.0])
    iqr = float(q75 - q25)
    if iqr > 0:
        return iqr, "IQR"
    sd = float(np.std(reference))
    if sd > 0:
        return sd, "standard deviation"
    return 1.0, "unit scale (constant reference)"


def _wasserstein_parts(
    reference: NDArray[np.float64], test: NDArray[np.float64]
) -> tuple[float, float, str]:
    if reference.size == 0 or test.size == 0:
        return float("nan"), float("nan"), "n/a"
    distance = float(sstats.wasserstein_distance(reference, test))
    scale, scale_name = _robust_scale(reference)
    return distance / scale, distance, f"reference {scale_name} {_fmt_num(scale)}"


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
    value, _, _ = _wasserstein_parts(
        _numeric_values(_as_series(reference)), _numeric_values(_as_series(test))
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
    consequence (see the module docstring).
    """
    ref = _numeric_values(_as_series(reference))
    tst = _numeric_values(_as_series(test))
    if ref.size == 0 or tst.size == 0:
        return float("nan"), float("nan")
    result = sstats.ks_2samp(ref, tst)
    return float(result.statistic), float(result.pvalue)


def _chi2_from_counts(counts: BinnedCounts) -> tuple[float, float, int]:
    if counts.reference.sum() == 0 or counts.test.sum() == 0:
        return float("nan"), float("nan"), 0
    if len(counts.labels) < 2:
        # One category in both samples: the distributions are identical by construction
        # (and chi2_contingency would report dof 0).
        return 0.0, 1.0, 0
    table = np.column_stack([counts.reference, counts.test])
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
    statistic, p_value, _ = _chi2_from_counts(
        _category_bins(_as_series(reference), _as_series(test))
    )
    return statistic, p_value


# --------------------------------------------------------------------------------------------
# Shared helpers for the checks
# --------------------------------------------------------------------------------------------


def _pct(fraction: float) -> str:
    return f"{100.0 * fraction:.3g}%"


def _require_columns(
    columns: Iterable[str], frames: Sequence[tuple[str, pd.DataFrame]]
) -> list[str]:
    wanted = list(columns)
    problems = []
    for name, frame in frames:
        absent = [c for c in wanted if c not in frame.columns]
        if absent:
            problems.append(f"absent from the {name} data: {', '.join(map(repr, absent))}")
    if problems:
        raise KeyError("data check columns " + "; ".join(problems))
    return wanted


def _resolve_kinds(
    reference: pd.DataFrame, columns: Sequence[str], kinds: Mapping[str, str] | None
) -> dict[str, ColumnKind]:
    overrides: dict[str, ColumnKind] = {}
    for column, kind in (kinds or {}).items():
        _check_kind(kind)
        if column not in reference.columns:
            # A typo in an override would otherwise be silently ignored. Overrides for existing
            # columns that are not checked are fine: callers pass one mapping to every check.
            raise KeyError(f"kinds names column {column!r}, which is not in the data")
        overrides[column] = cast(ColumnKind, kind)
    return {c: overrides.get(c) or column_kind(reference[c]) for c in columns}


def _check_fraction(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must lie in [0, 1], got {value!r}")


def _worst_first(
    findings: Iterable[ColumnFinding], *, higher_is_worse: bool = True
) -> tuple[ColumnFinding, ...]:
    def key(f: ColumnFinding) -> tuple[bool, bool, float, str]:
        missing = bool(np.isnan(f.statistic))
        severity = -f.statistic if higher_is_worse else f.statistic
        # Flagged first; among them, not-computable ones first (they need attention);
        # then by severity, then by name for a stable order.
        return (not f.flagged, not missing, 0.0 if missing else severity, f.column)

    return tuple(sorted(findings, key=key))


def _listing(parts: Sequence[str]) -> str:
    shown = ", ".join(parts[:_SUMMARY_COLUMNS])
    more = len(parts) - _SUMMARY_COLUMNS
    return f"{shown}, and {more} more" if more > 0 else shown


def _fmt_stat(x: float) -> str:
    return "n/a" if np.isnan(x) else f"{x:.3g}"


def _fraction_check(
    check: str,
    findings: list[ColumnFinding],
    what: str,
    max_fraction: float,
    n_reference: int | None,
    n_test: int,
) -> DataCheckResult:
    ordered = _worst_first(findings)
    flagged = [f for f in ordered if f.flagged]
    limit = f"above {_pct(max_fraction)}"
    if not ordered:
        summary = f"{check}: no columns to check"
    elif flagged:
        summary = f"{len(flagged)} of {len(ordered)} columns {what} {limit}: " + _listing(
            [
                f"{f.column} {_pct(f.statistic) if not np.isnan(f.statistic) else 'n/a'}"
                for f in flagged
            ]
        )
    else:
        worst = ordered[0]
        summary = (
            f"0 of {len(ordered)} columns {what} {limit}; "
            f"worst: {worst.column} {_pct(worst.statistic)}"
        )
    return DataCheckResult(
        check, not flagged, ordered, summary, n_reference=n_reference, n_test=n_test
    )


# --------------------------------------------------------------------------------------------
# Drift
# --------------------------------------------------------------------------------------------


def _missing_note(ref: pd.Series, test: pd.Series) -> str:
    ref_frac = float(ref.isna().mean()) if len(ref) else 0.0
    test_frac = float(test.isna().mean()) if len(test) else 0.0
    if ref_frac == 0.0 and test_frac == 0.0:
        return ""
    return (
        f"; missing {_pct(ref_frac)} in reference → {_pct(test_frac)} in test "
        "(not part of the drift statistic)"
    )


def _largest_shift(counts: BinnedCounts) -> str:
    p_ref, p_test = counts.proportions()
    if p_ref.size == 0 or np.isnan(p_ref).any() or np.isnan(p_test).any():
        return ""
    b = int(np.argmax(np.abs(p_test - p_ref)))
    return f"; largest change {counts.labels[b]}: {_pct(p_ref[b])} → {_pct(p_test[b])}"


def _binning_note(counts: BinnedCounts, bins: int) -> str:
    if counts.kind == "numeric":
        n = len(counts.labels)
        merged = "" if n == bins else f", {bins} requested, tied quantiles merged"
        return f"{n} reference-quantile bins{merged}"
    return f"{len(counts.labels)} categories"


def _distance_finding(
    column: str,
    ref: pd.Series,
    test: pd.Series,
    kind: ColumnKind,
    method: str,
    threshold: float,
    bins: int,
    floor: float,
    prefix: str,
) -> ColumnFinding:
    missing_note = _missing_note(ref, test) if kind == "numeric" else ""
    if method == "wasserstein":
        value, distance, scale_note = _wasserstein_parts(
            _numeric_values(ref), _numeric_values(test)
        )
        body = (
            f"normalised wasserstein {_fmt_stat(value)} "
            f"(distance {_fmt_stat(distance)} / {scale_note})"
        )
    else:
        counts = psi_bins(ref, test, bins=bins, kind=kind)
        if method == "psi":
            value = _psi_from_counts(counts, floor)
        else:
            value = _js_from_proportions(*counts.proportions())
        label = "psi" if method == "psi" else "jensen-shannon distance"
        body = f"{label} {_fmt_stat(value)} ({_binning_note(counts, bins)}{_largest_shift(counts)})"
    if np.isnan(value):
        body += "; not computable: a sample has no non-missing values"
    # A statistic that cannot be computed fails the gate: passing on no evidence is unsafe.
    flagged = bool(np.isnan(value) or value > threshold)
    return ColumnFinding(column, value, threshold, flagged, prefix + body + missing_note, kind)


def _test_parts(ref: pd.Series, test: pd.Series, method: str) -> tuple[float, float, str]:
    if method == "ks":
        statistic, p_value = ks_test(ref, test)
        return statistic, p_value, f"ks D={_fmt_stat(statistic)}"
    statistic, p_value, dof = _chi2_from_counts(_category_bins(ref, test))
    return statistic, p_value, f"chi2 {_fmt_stat(statistic)} (dof {dof})"


def drift_check(
    reference: pd.DataFrame,
    test: pd.DataFrame,
    *,
    columns: Sequence[str] | None = None,
    method: str = "psi",
    max: float | None = None,
    kinds: Mapping[str, str] | None = None,
    alpha: float = 0.05,
    bins: int = 10,
    floor: float = 1e-4,
) -> DataCheckResult:
    """Per-column distribution drift between a reference and a test frame.

    Parameters
    ----------
    reference, test : pandas.DataFrame
        The data the model was validated on, and the data to gate.
    columns : sequence of str, optional
        Columns to check; defaults to every column of ``reference``.
    method : {"psi", "jensen_shannon", "wasserstein", "ks", "chi2"}, default "psi"
        ``psi`` and ``jensen_shannon`` work on both kinds. ``wasserstein`` and ``ks`` need an
        order: a categorical column falls back to ``jensen_shannon`` (same threshold; both
        defaults are 0.1) or ``chi2`` respectively. ``chi2`` needs categories: a numeric
        column falls back to ``ks``. Fallbacks are named in the finding's ``detail``.
    max : float, optional
        Threshold: a column is flagged when its statistic exceeds it. Defaults to 0.2 (psi),
        0.1 (jensen_shannon) and 0.1 (normalised wasserstein). For ``ks``/``chi2`` it is the
        significance level and replaces ``alpha`` when given.
    kinds : mapping of str to {"numeric", "categorical"}, optional
        Per-column overrides of :func:`column_kind` (which is applied to the reference).
    alpha : float, default 0.05
        Family-wise significance level for ``ks``/``chi2``: p-values are Holm-adjusted across
        the checked columns and a column is flagged when its adjusted p-value is ``< alpha``.
    bins : int, default 10
        Reference-quantile bins for numeric columns (psi, jensen_shannon).
    floor : float, default 1e-4
        Proportion floor of :func:`psi`.

    Returns
    -------
    DataCheckResult
        ``check="drift"``. Each finding's ``statistic`` is the distance, or for the tests the
        Holm-adjusted p-value (raw and adjusted are also in ``p_value``/``p_adjusted``).

    Raises
    ------
    KeyError
        If a column is absent from either frame (listing all of them).
    ValueError
        For an unknown method or kind, or a threshold out of range.

    Notes
    -----
    Numeric drift is computed on the non-missing values; a change in the missing fraction is
    reported in ``detail`` but does not enter the statistic (that is the missing-values
    check's business). Categorical columns count missing values as a category of their own.
    A column whose statistic cannot be computed (no non-missing values in a sample) is
    flagged. The effect-size methods are the default because the tests flag trivial shifts
    at large ``n`` (see the module docstring).
    """
    if method not in DRIFT_METHODS:
        raise ValueError(f"unknown drift method {method!r}; allowed: {', '.join(DRIFT_METHODS)}")
    wanted = _require_columns(
        reference.columns if columns is None else columns,
        [("reference", reference), ("test", test)],
    )
    kind_of = _resolve_kinds(reference, wanted, kinds)
    if method in _TEST_METHODS:
        level = alpha if max is None else max
        if not 0.0 < level < 1.0:
            raise ValueError(f"alpha (or max) must lie in (0, 1) for {method}, got {level!r}")
        findings = _drift_tests(reference, test, wanted, kind_of, method, level)
        rule = f"{method}, Holm-adjusted p < {level:g}"
    else:
        threshold = DEFAULT_DRIFT_MAX[method] if max is None else float(max)
        if not threshold >= 0.0:
            raise ValueError(f"max must be non-negative, got {max!r}")
        findings = []
        for column in wanted:
            kind = kind_of[column]
            use, prefix = method, ""
            if method == "wasserstein" and kind == "categorical":
                use, prefix = "jensen_shannon", "categorical column: jensen_shannon instead "
                prefix += "of wasserstein; "
            findings.append(
                _distance_finding(
                    column,
                    reference[column],
                    test[column],
                    kind,
                    use,
                    threshold,
                    bins,
                    floor,
                    prefix,
                )
            )
        rule = f"{method} > {threshold:g}"
    ordered = _worst_first(findings, higher_is_worse=method not in _TEST_METHODS)
    return DataCheckResult(
        "drift",
        not any(f.flagged for f in ordered),
        ordered,
        _drift_summary(ordered, rule, method in _TEST_METHODS),
        n_reference=len(reference),
        n_test=len(test),
    )


def _drift_tests(
    reference: pd.DataFrame,
    test: pd.DataFrame,
    columns: Sequence[str],
    kind_of: Mapping[str, ColumnKind],
    method: str,
    level: float,
) -> list[ColumnFinding]:
    parts = []
    for column in columns:
        kind = kind_of[column]
        use = "ks" if kind == "numeric" else "chi2"
        prefix = "" if use == method else f"{kind} column: {use} instead of {method}; "
        _, p_value, body = _test_parts(reference[column], test[column], use)
        note = _missing_note(reference[column], test[column]) if kind == "numeric" else ""
        parts.append((column, kind, p_value, prefix + body, note))
    # One family across all checked columns: the gate fails if *any* column is flagged, so
    # that is the error rate to control. Untestable columns (nan) do not count towards m.
    adjusted = holm_adjust(np.array([p for _, _, p, _, _ in parts], dtype=np.float64))
    m = int(np.sum(~np.isnan(adjusted)))
    findings = []
    for (column, kind, p_value, body, note), p_adj in zip(parts, adjusted, strict=True):
        p_adj = float(p_adj)
        if np.isnan(p_adj):
            text = f"{body}; not computable: a sample has no non-missing values"
        else:
            text = (
                f"{body}, p={p_value:.3g}, Holm-adjusted p={p_adj:.3g} "
                f"({m} test{'s' if m != 1 else ''})"
            )
        findings.append(
            ColumnFinding(
                column,
                p_adj,
                level,
                bool(np.isnan(p_adj) or p_adj < level),
                text + note,
                kind,
                p_value=None if np.isnan(p_value) else p_value,
                p_adjusted=None if np.isnan(p_adj) else p_adj,
            )
        )
    return findings


def _drift_summary(findings: Sequence[ColumnFinding], rule: str, is_test: bool) -> str:
    n = len(findings)
    if n == 0:
        return f"no columns to check for drift ({rule})"
    value = (
        (lambda f: f"p={_fmt_stat(f.statistic)}") if is_test else (lambda f: _fmt_stat(f.statistic))
    )
    flagged = [f for f in findings if f.flagged]
    if flagged:
        return f"{len(flagged)} of {n} columns drifted ({rule}): " + _listing(
            [f"{f.column} {value(f)}" for f in flagged]
        )
    worst = findings[0]
    return f"0 of {n} columns drifted ({rule}); largest: {worst.column} {value(worst)}"


# --------------------------------------------------------------------------------------------
# Missing values, unseen categories, ranges
# --------------------------------------------------------------------------------------------


def missing_values_check(
    test: pd.DataFrame,
    *,
    columns: Sequence[str] | None = None,
    max_fraction: float = 0.0,
    kinds: Mapping[str, str] | None = None,
) -> DataCheckResult:
    """Fraction of missing values per column of the test frame.

    Parameters
    ----------
    test : pandas.DataFrame
        The data to gate.
    columns : sequence of str, optional
        Columns to check; defaults to all.
    max_fraction : float, default 0.0
        A column is flagged when its missing fraction is ``> max_fraction`` (the default
        tolerates no missing value).
    kinds : mapping, optional
        Per-column kind overrides (reported in the findings only).

    Returns
    -------
    DataCheckResult
        ``check="missing_values"``; statistic = missing fraction (``nan``, flagged, for a
        frame without rows).

    Raises
    ------
    KeyError
        If a requested column is absent.
    """
    _check_fraction("max_fraction", max_fraction)
    wanted = _require_columns(test.columns if columns is None else columns, [("test", test)])
    kind_of = _resolve_kinds(test, wanted, kinds)
    n = len(test)
    # One vectorised pass over the selected block of the frame.
    counts = test[wanted].isna().sum(axis=0) if wanted else pd.Series(dtype=np.int64)
    findings = []
    for column in wanted:
        k = int(counts[column])
        fraction = k / n if n else float("nan")
        detail = f"{k} of {n} rows ({_pct(fraction)}) missing" if n else "no rows to check"
        flagged = bool(np.isnan(fraction) or fraction > max_fraction)
        findings.append(
            ColumnFinding(column, fraction, max_fraction, flagged, detail, kind_of[column])
        )
    return _fraction_check("missing_values", findings, "have missing values", max_fraction, None, n)


def unseen_categories_check(
    reference: pd.DataFrame,
    test: pd.DataFrame,
    *,
    columns: Sequence[str] | None = None,
    max_fraction: float = 0.0,
    kinds: Mapping[str, str] | None = None,
) -> DataCheckResult:
    """Fraction of test rows whose category never occurs in the reference.

    Parameters
    ----------
    reference, test : pandas.DataFrame
    columns : sequence of str, optional
        Columns to check (all of them, whatever their kind). Defaults to the reference's
        categorical columns (per :func:`column_kind` and ``kinds``).
    max_fraction : float, default 0.0
        A column is flagged when its unseen fraction is ``> max_fraction``.
    kinds : mapping, optional
        Per-column kind overrides, used to choose the default columns.

    Returns
    -------
    DataCheckResult
        ``check="unseen_categories"``; statistic = unseen rows / all test rows. Missing values
        are not unseen (that is the missing-values check's business). Values are compared by
        equality, so ``1`` and ``1.0`` match but ``1`` and ``"1"`` do not. ``detail`` lists up
        to five unseen values, most frequent first, with their counts.

    Raises
    ------
    KeyError
        If a requested column is absent from either frame.
    """
    _check_fraction("max_fraction", max_fraction)
    if columns is None:
        kind_of = _resolve_kinds(reference, list(reference.columns), kinds)
        candidates = [c for c in reference.columns if kind_of[c] == "categorical"]
        wanted = _require_columns(candidates, [("test", test)])
    else:
        wanted = _require_columns(columns, [("reference", reference), ("test", test)])
        kind_of = _resolve_kinds(reference, wanted, kinds)
    n = len(test)
    findings = []
    for column in wanted:
        values = test[column]
        seen = pd.unique(reference[column].dropna())
        # isin hashes the reference's values once: vectorised membership for every test row.
        unseen = values.notna().to_numpy() & ~values.isin(seen).to_numpy()
        k = int(unseen.sum())
        fraction = k / n if n else float("nan")
        if not n:
            detail = "no rows to check"
        elif k == 0:
            detail = f"0 of {n} rows unseen ({len(seen)} reference categories)"
        else:
            top = values[unseen].value_counts().head(_DETAIL_VALUES)
            listed = ", ".join(f"{_fmt_value(v)} ×{c}" for v, c in top.items())
            n_values = values[unseen].nunique()
            more = f" (and {n_values - len(top)} more values)" if n_values > len(top) else ""
            detail = f"{k} of {n} rows ({_pct(fraction)}) unseen: {listed}{more}"
        flagged = bool(np.isnan(fraction) or fraction > max_fraction)
        findings.append(
            ColumnFinding(column, fraction, max_fraction, flagged, detail, kind_of[column])
        )
    return _fraction_check(
        "unseen_categories", findings, "have unseen categories", max_fraction, len(reference), n
    )


def range_check(
    reference: pd.DataFrame,
    test: pd.DataFrame,
    *,
    columns: Sequence[str] | None = None,
    max_fraction: float = 0.0,
) -> DataCheckResult:
    """Fraction of test rows outside the reference's ``[min, max]``.

    Parameters
    ----------
    reference, test : pandas.DataFrame
    columns : sequence of str, optional
        Columns to check. Defaults to the reference's numeric-dtype columns (excluding bool;
        low-cardinality integers are included, since a range is meaningful for them).
    max_fraction : float, default 0.0
        A column is flagged when its out-of-range fraction is ``> max_fraction``.

    Returns
    -------
    DataCheckResult
        ``check="range"``; statistic = out-of-range rows / all test rows (missing values are
        not out of range). ``detail`` gives the reference range and the (up to five) most extreme
        distinct test values below and above it. A reference without values gives ``nan`` (flagged).

    Raises
    ------
    KeyError
        If a requested column is absent from either frame.
    TypeError
        If a requested column is not numeric.
    """
    _check_fraction("max_fraction", max_fraction)
    if columns is None:
        candidates = [
            c
            for c in reference.columns
            if pdt.is_numeric_dtype(reference[c].dtype)
            and not pdt.is_bool_dtype(reference[c].dtype)
        ]
    else:
        candidates = list(columns)
    wanted = _require_columns(candidates, [("reference", reference), ("test", test)])
    n = len(test)
    findings = []
    for column in wanted:
        ref = _numeric_values(reference[column])
        values = _numeric_values(test[column])
        if ref.size == 0 or n == 0:
            why = "reference has no values" if ref.size == 0 else "no rows to check"
            findings.append(ColumnFinding(column, float("nan"), max_fraction, True, why, "numeric"))
            continue
        low, high = float(ref.min()), float(ref.max())
        below, above = values[values < low], values[values > high]
        k = below.size + above.size
        fraction = k / n
        detail = f"reference range [{_fmt_num(low)}, {_fmt_num(high)}]; {k} of {n} rows " + (
            f"({_pct(fraction)}) outside" if k else "outside"
        )
        if k:
            extremes = []
            if below.size:
                lowest = np.unique(below)[:_DETAIL_VALUES]  # distinct values, sorted
                extremes.append(f"lowest {', '.join(map(_fmt_num, lowest))}")
            if above.size:
                highest = np.unique(above)[::-1][:_DETAIL_VALUES]
                extremes.append(f"highest {', '.join(map(_fmt_num, highest))}")
            detail += ": " + "; ".join(extremes)
        findings.append(
            ColumnFinding(
                column, fraction, max_fraction, fraction > max_fraction, detail, "numeric"
            )
        )
    return _fraction_check(
        "range", findings, "have values out of range", max_fraction, len(reference), n
    )


# --------------------------------------------------------------------------------------------
# Schema
# --------------------------------------------------------------------------------------------

_KIND_NAMES = {
    "numeric": "numeric",
    "number": "numeric",
    "int": "numeric",
    "integer": "numeric",
    "float": "numeric",
    "string": "string",
    "str": "string",
    "object": "string",
    "category": "string",
    "categorical": "string",
    "bool": "bool",
    "boolean": "bool",
    "datetime": "datetime",
    "timedelta": "timedelta",
}


def dtype_kind(dtype: Any) -> str:
    """The coarse kind of a dtype that :func:`schema_check` compares.

    Parameters
    ----------
    dtype : numpy/pandas dtype or str
        A dtype, a dtype string (``"int64"``, ``"datetime64[ns]"``) or a kind name
        (``"numeric"``, ``"string"``, ``"bool"``, ``"datetime"``, ``"timedelta"``, and the
        aliases ``"int"``, ``"float"``, ``"object"``, ``"str"``, ``"category"``).

    Returns
    -------
    str
        ``"numeric"`` (all int, uint, float and complex widths, nullable or not), ``"bool"``,
        ``"string"`` (object, str, string), ``"datetime"`` (with or without time zone),
        ``"timedelta"``, or ``"other"``. A categorical dtype has the kind of its categories
        (``"string"`` when they are not known, e.g. the string ``"category"``).
    """
    if isinstance(dtype, str):
        if dtype.lower() in _KIND_NAMES:
            return _KIND_NAMES[dtype.lower()]
        try:
            dtype = pdt.pandas_dtype(dtype)
        except TypeError as exc:
            raise ValueError(f"unknown dtype {dtype!r}") from exc
    if isinstance(dtype, pd.CategoricalDtype):
        categories = dtype.categories
        return "string" if categories is None else dtype_kind(categories.dtype)
    if pdt.is_bool_dtype(dtype):
        return "bool"
    if pdt.is_datetime64_any_dtype(dtype):
        return "datetime"
    if pdt.is_timedelta64_dtype(dtype):
        return "timedelta"
    if pdt.is_numeric_dtype(dtype):
        return "numeric"
    if pdt.is_string_dtype(dtype) or pdt.is_object_dtype(dtype):
        return "string"
    return "other"


def schema_check(
    reference_or_expected: pd.DataFrame | Mapping[str, Any],
    test: pd.DataFrame,
    *,
    columns: Sequence[str] | None = None,
) -> DataCheckResult:
    """Missing columns, extra columns and dtype-kind changes.

    Parameters
    ----------
    reference_or_expected : pandas.DataFrame or mapping of str to dtype
        The reference frame, or the expected schema ``{column: dtype or kind name}``
        (see :func:`dtype_kind` for the accepted names).
    test : pandas.DataFrame
        The data to gate.
    columns : sequence of str, optional
        Restrict the check to these columns (which must be in the reference/expected
        schema); extra test columns are then not reported. Defaults to every expected column
        plus every extra test column.

    Returns
    -------
    DataCheckResult
        ``check="schema"``; one finding per column with statistic 1.0 (problem) or 0.0.
        Dtypes are compared by *kind* (:func:`dtype_kind`): ``int64 → float64`` is not a
        change (an integer column acquires missing values that way), ``int64 → object`` is.
        Passed iff no expected column is missing and none changed kind. Extra columns are
        reported but do not fail the check: a model selects the columns it uses, so an
        added column cannot change its predictions.

    Raises
    ------
    KeyError
        If ``columns`` names a column absent from the reference/expected schema.
    """
    if isinstance(reference_or_expected, pd.DataFrame):
        expected = dict(reference_or_expected.dtypes.items())
        n_reference: int | None = len(reference_or_expected)
    else:
        expected = dict(reference_or_expected)
        n_reference = None
    if columns is None:
        wanted = list(expected)
        extra = [c for c in test.columns if c not in expected]
    else:
        wanted = list(columns)
        unknown = [c for c in wanted if c not in expected]
        if unknown:
            raise KeyError(
                "schema check columns absent from the reference (expected schema): "
                + ", ".join(map(repr, unknown))
            )
        extra = []
    missing, changed, findings = [], [], []
    for column in wanted:
        want = expected[column]
        want_kind = dtype_kind(want)
        kind = "numeric" if want_kind in ("numeric", "datetime", "timedelta") else "categorical"
        if column not in test.columns:
            missing.append(column)
            findings.append(
                ColumnFinding(column, 1.0, None, True, f"missing from test (expected {want})", kind)
            )
            continue
        got = test[column].dtype
        got_kind = dtype_kind(got)
        if got_kind != want_kind:
            changed.append(f"{column} {want}→{got}")
            detail = f"dtype changed: {want} ({want_kind}) → {got} ({got_kind})"
            findings.append(ColumnFinding(column, 1.0, None, True, detail, kind))
        else:
            detail = f"ok: {want} → {got} (both {got_kind})"
            findings.append(ColumnFinding(column, 0.0, None, False, detail, kind))
    for column in extra:
        got = test[column].dtype
        kind = (
            "numeric"
            if dtype_kind(got) in ("numeric", "datetime", "timedelta")
            else ("categorical")
        )
        findings.append(
            ColumnFinding(
                column,
                0.0,
                None,
                False,
                f"extra column in test ({got}), not in reference (allowed)",
                kind,
            )
        )
    parts = []
    if missing:
        parts.append("missing: " + _listing(missing))
    if changed:
        parts.append("dtype changed: " + _listing(changed))
    if extra:
        parts.append("extra (allowed): " + _listing(extra))
    passed = not missing and not changed
    if passed:
        head = f"schema ok: {len(wanted)} columns present with matching dtype kinds"
    else:
        head = f"schema mismatch in {len(missing) + len(changed)} of {len(wanted)} columns"
    summary = head + ("; " + "; ".join(parts) if parts else "")
    # Problems first (missing, then changed, by name), then the extra and matching columns.
    ordered = _worst_first(findings)
    return DataCheckResult(
        "schema", passed, ordered, summary, n_reference=n_reference, n_test=len(test)
    )
