"""Nonparametric bootstrap on sufficient statistics (cell counts) and on weighted rows.

Why counts: when a metric depends on the rows only through how many fall in each cell
(a confusion matrix, a histogram), resampling N rows with replacement changes nothing but
those counts, and the resampled counts are exactly Multinomial(N, observed proportions).
Drawing the counts directly gives the *same* bootstrap distribution as resampling rows,
at O(B × cells) cost instead of O(B × N). The BCa acceleration needs a leave-one-row-out
jackknife; rows in the same cell give identical jackknife values, so it is evaluated once
per non-empty cell and weighted by the cell count.

The interval semantics (linear-interpolated percentiles, mid-rank bias correction, the
BCa level adjustment) deliberately follow ``scipy.stats.bootstrap`` so that results can be
checked against it replicate for replicate.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from pytest_modelgate.stats.intervals import Interval

__all__ = [
    "BCA_MAX_ROWS",
    "BootstrapResult",
    "bca_interval",
    "count_bootstrap",
    "draw_counts",
    "jackknife_on_cells",
    "percentile_of_score",
    "weighted_row_bootstrap",
]

BootstrapMethod = Literal["percentile", "basic", "bca"]
CountStatistic = Callable[[NDArray[np.int64]], NDArray[np.float64]]
WeightedStatistic = Callable[[NDArray[np.float64], NDArray[np.float64]], NDArray[np.float64]]

#: Largest row count for which :func:`weighted_row_bootstrap` computes BCa; its row
#: jackknife costs O(n²), so beyond this it reports a percentile interval instead.
BCA_MAX_ROWS = 5000

# Upper bound on int64 elements materialised per chunk of count draws (~32 MB).
_MAX_COUNT_ELEMENTS_PER_CHUNK = 4_000_000

_METHODS: tuple[str, ...] = ("percentile", "basic", "bca")


@dataclass(frozen=True)
class BootstrapResult:
    """Outcome of a bootstrap.

    Parameters
    ----------
    interval : Interval
        The confidence interval; ``interval.method`` is the method actually used
        (``"bootstrap-percentile"`` when BCa had to fall back).
    distribution : ndarray, shape (B,)
        Replicate values of the statistic; ``nan`` where the statistic is undefined.
    standard_error : float
        Standard deviation (``ddof=1``) of the defined replicates.
    n_undefined : int
        Number of ``nan`` replicates; they are excluded from the interval, so a large
        count means the interval describes a conditional distribution.
    """

    interval: Interval
    distribution: NDArray[np.float64]
    standard_error: float
    n_undefined: int


def _check_confidence(confidence: float) -> float:
    confidence = float(confidence)
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    return confidence


def _check_method(method: str) -> str:
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, got {method!r}")
    return method


def _as_counts(counts: ArrayLike) -> NDArray[np.int64]:
    array = np.asarray(counts)
    if array.size == 0:
        raise ValueError("counts must have at least one cell")
    if not np.all(np.isfinite(array)) or np.any(array < 0) or np.any(array != np.round(array)):
        raise ValueError("counts must be non-negative integers")
    return array.astype(np.int64)


def _call_quietly(statistic: Callable[..., NDArray], *args: NDArray) -> NDArray[np.float64]:
    # Undefined replicates (0/0, e.g. precision with no predicted positives) are expected
    # and counted in n_undefined; numpy's warnings for them would only be noise.
    with np.errstate(divide="ignore", invalid="ignore"):
        values = np.asarray(statistic(*args), dtype=np.float64)
    return values.reshape(-1)


def draw_counts(counts: ArrayLike, n_resamples: int, rng: np.random.Generator) -> NDArray[np.int64]:
    """Draw bootstrap replicates of cell counts.

    Parameters
    ----------
    counts : array_like of int, any shape
        Observed cell counts, e.g. a (2, 2) confusion matrix or a (K,) histogram.
    n_resamples : int
        Number of replicates ``B``.
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    ndarray of int64, shape (B, *counts.shape)
        Draws from ``Multinomial(counts.sum(), counts / counts.sum())``, which is exactly
        the distribution of the cell counts of a with-replacement resample of the rows.
        All zeros if ``counts`` sums to zero.
    """
    observed = _as_counts(counts)
    n_resamples = int(n_resamples)
    if n_resamples < 0:
        raise ValueError("n_resamples must be >= 0")
    total = int(observed.sum())
    if total == 0:
        return np.zeros((n_resamples, *observed.shape), dtype=np.int64)
    flat = observed.reshape(-1)
    draws = rng.multinomial(total, flat / total, size=n_resamples)
    return draws.astype(np.int64, copy=False).reshape(n_resamples, *observed.shape)


def jackknife_on_cells(
    counts: ArrayLike, statistic: CountStatistic
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Leave-one-row-out jackknife evaluated once per non-empty cell.

    Parameters
    ----------
    counts : array_like of int, any shape
        Observed cell counts.
    statistic : callable
        Vectorised statistic mapping an array of shape (J, *counts.shape) to shape (J,).

    Returns
    -------
    values : ndarray, shape (C,)
        Statistic on ``counts`` with one row removed from each of the C non-empty cells.
    weights : ndarray of int64, shape (C,)
        Counts of those cells: the number of rows whose deletion yields each value.
    """
    return _jackknife_cells(_as_counts(counts), statistic)


def _jackknife_cells(
    observed: NDArray[np.int64], statistic: CountStatistic
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    # jackknife_on_cells on counts that are already validated (count_bootstrap's)
    flat = observed.reshape(-1)
    cells = np.flatnonzero(flat > 0)
    stack = np.repeat(flat[None, :], cells.size, axis=0)
    stack[np.arange(cells.size), cells] -= 1
    values = _call_quietly(statistic, stack.reshape(cells.size, *observed.shape))
    return values, flat[cells]


def percentile_of_score(replicates: ArrayLike, score: float) -> float:
    """Mid-rank fraction of replicates below ``score``.

    Parameters
    ----------
    replicates : array_like, shape (B,)
        Bootstrap replicates; ``nan`` entries are ignored.
    score : float
        Reference value (usually the point estimate).

    Returns
    -------
    float
        ``(#{θ* < score} + #{θ* <= score}) / (2B)`` over the ``B`` defined replicates,
        as in ``scipy.stats.percentileofscore(kind="mean")`` but as a fraction;
        ``nan`` if there are no defined replicates or ``score`` is ``nan``.
    """
    values = np.asarray(replicates, dtype=np.float64).reshape(-1)
    return _mid_rank_fraction(values[~np.isnan(values)], score)


def _mid_rank_fraction(defined: NDArray[np.float64], score: float) -> float:
    # percentile_of_score on replicates without nan
    if defined.size == 0 or math.isnan(score):
        return math.nan
    below = np.count_nonzero(defined < score) + np.count_nonzero(defined <= score)
    return float(below / (2.0 * defined.size))


def _bca_levels(
    theta_hat: float,
    replicates: NDArray[np.float64],
    jackknife_values: NDArray[np.float64],
    jackknife_weights: NDArray[np.float64],
    alpha: float,
) -> tuple[float, float] | None:
    """Adjusted BCa quantile levels, or None when BCa is undefined for these inputs."""
    z0 = float(special.ndtri(_mid_rank_fraction(replicates, theta_hat)))
    values = np.asarray(jackknife_values, dtype=np.float64).reshape(-1)
    weights = np.asarray(jackknife_weights, dtype=np.float64).reshape(-1)
    if values.shape != weights.shape or values.size == 0:
        return None
    if np.isnan(values).any() or weights.sum() <= 0:
        return None
    centre = np.sum(weights * values) / np.sum(weights)
    deviation = centre - values
    with np.errstate(divide="ignore", invalid="ignore"):
        acceleration = np.sum(weights * deviation**3) / (
            6.0 * np.sum(weights * deviation**2) ** 1.5
        )
        z_alpha = float(special.ndtri(alpha))
        lower = z0 + z_alpha
        upper = z0 - z_alpha
        level_low = special.ndtr(z0 + lower / (1.0 - acceleration * lower))
        level_high = special.ndtr(z0 + upper / (1.0 - acceleration * upper))
    if not (math.isfinite(z0) and np.isfinite(acceleration)):
        return None
    if not (np.isfinite(level_low) and np.isfinite(level_high)):
        return None
    return float(level_low), float(level_high)


def _quantiles(defined: NDArray[np.float64], levels: tuple[float, float]) -> tuple[float, float]:
    low, high = np.quantile(defined, levels)
    return float(low), float(high)


def bca_interval(
    theta_hat: float,
    replicates: ArrayLike,
    jackknife_values: ArrayLike,
    jackknife_weights: ArrayLike,
    confidence: float,
) -> tuple[float, float]:
    """Bias-corrected and accelerated (BCa) bootstrap interval.

    Parameters
    ----------
    theta_hat : float
        Point estimate on the observed data.
    replicates : array_like, shape (B,)
        Bootstrap replicates; ``nan`` entries are ignored.
    jackknife_values : array_like, shape (J,)
        Leave-one-out values of the statistic (one per row, or one per cell type).
    jackknife_weights : array_like, shape (J,)
        Number of rows each jackknife value stands for (all ones for a row jackknife).
    confidence : float
        Two-sided confidence level.

    Returns
    -------
    low, high : float
        The BCa interval (Efron & Tibshirani 1993, eq. 14.10 and 14.15). Falls back to the
        percentile interval when the bias correction or acceleration is not finite (all
        replicates on one side of ``theta_hat``, a constant or undefined jackknife); both
        are ``nan`` if ``theta_hat`` is ``nan`` or no replicate is defined.
    """
    return _bca_with_method(
        theta_hat, replicates, jackknife_values, jackknife_weights, _check_confidence(confidence)
    )[:2]


def _bca_with_method(
    theta_hat: float,
    replicates: ArrayLike,
    jackknife_values: ArrayLike,
    jackknife_weights: ArrayLike,
    confidence: float,
) -> tuple[float, float, str]:
    values = np.asarray(replicates, dtype=np.float64).reshape(-1)
    return _bca_from_defined(
        theta_hat, values[~np.isnan(values)], jackknife_values, jackknife_weights, confidence
    )


def _bca_from_defined(
    theta_hat: float,
    defined: NDArray[np.float64],
    jackknife_values: ArrayLike,
    jackknife_weights: ArrayLike,
    confidence: float,
) -> tuple[float, float, str]:
    # _bca_with_method on replicates without nan (as _summarise has them)
    if math.isnan(theta_hat) or defined.size == 0:
        return math.nan, math.nan, "bootstrap-bca"
    alpha = (1.0 - confidence) / 2.0
    levels = _bca_levels(
        theta_hat,
        defined,
        np.asarray(jackknife_values, dtype=np.float64),
        np.asarray(jackknife_weights, dtype=np.float64),
        alpha,
    )
    if levels is None:
        return (*_quantiles(defined, (alpha, 1.0 - alpha)), "bootstrap-percentile")
    return (*_quantiles(defined, levels), "bootstrap-bca")


def _summarise(
    theta_hat: float,
    replicates: NDArray[np.float64],
    confidence: float,
    method: str,
    jackknife: Callable[[], tuple[NDArray[np.float64], NDArray]] | None,
) -> BootstrapResult:
    """Turn replicates into a BootstrapResult; ``jackknife`` is None when BCa is not allowed."""
    undefined = np.isnan(replicates)
    defined = replicates[~undefined]
    n_undefined = int(undefined.sum())
    standard_error = float(np.std(defined, ddof=1)) if defined.size >= 2 else math.nan
    alpha = (1.0 - confidence) / 2.0
    if method == "bca" and jackknife is None:
        method = "percentile"
    if math.isnan(theta_hat) or defined.size == 0:
        interval = Interval(math.nan, math.nan, confidence, "bootstrap-" + method)
    elif method == "bca" and jackknife is not None:
        jack_values, jack_weights = jackknife()
        low, high, label = _bca_from_defined(
            theta_hat, defined, jack_values, jack_weights, confidence
        )
        interval = Interval(low, high, confidence, label)
    else:
        low, high = _quantiles(defined, (alpha, 1.0 - alpha))
        if method == "basic":
            low, high = 2 * theta_hat - high, 2 * theta_hat - low
            interval = Interval(low, high, confidence, "bootstrap-basic")
        else:
            interval = Interval(low, high, confidence, "bootstrap-percentile")
    return BootstrapResult(interval, replicates, standard_error, n_undefined)


def count_bootstrap(
    counts: ArrayLike,
    statistic: CountStatistic,
    *,
    n_resamples: int = 2000,
    confidence: float = 0.95,
    method: BootstrapMethod = "bca",
    rng: np.random.Generator,
) -> BootstrapResult:
    """Bootstrap a statistic of cell counts by drawing the counts directly.

    Parameters
    ----------
    counts : array_like of int, any shape
        Observed cell counts (e.g. a (2, 2) confusion matrix).
    statistic : callable
        Vectorised: maps an integer array of shape (J, *counts.shape) to shape (J,). It is
        called on the replicates, on ``counts[None]`` for the point estimate and on the
        jackknife stack. Returning ``nan`` marks an undefined value; division warnings
        raised inside it are suppressed.
    n_resamples : int, default 2000
        Number of bootstrap replicates ``B``.
    confidence : float, default 0.95
        Two-sided confidence level.
    method : {"percentile", "basic", "bca"}, default "bca"
        Interval method, with the semantics of ``scipy.stats.bootstrap``.
    rng : numpy.random.Generator
        Source of randomness (required so every gate is reproducible from its seed).

    Returns
    -------
    BootstrapResult
        ``nan`` replicates are excluded from the interval and counted in ``n_undefined``.
        The interval is ``nan`` when the point estimate is ``nan``.

    Notes
    -----
    The result equals ``scipy.stats.bootstrap(..., paired=True)`` on the underlying rows
    given the same replicate distribution, including BCa, because the cell jackknife
    weighted by cell counts reproduces the row jackknife exactly.
    """
    confidence = _check_confidence(confidence)
    method = _check_method(method)  # type: ignore[assignment]
    observed = _as_counts(counts)
    n_resamples = int(n_resamples)
    if n_resamples < 1:
        raise ValueError("n_resamples must be >= 1")
    theta_hat = float(_call_quietly(statistic, observed[None])[0])
    chunk = max(1, _MAX_COUNT_ELEMENTS_PER_CHUNK // observed.size)
    pieces = [
        _call_quietly(statistic, draw_counts(observed, min(chunk, n_resamples - start), rng))
        for start in range(0, n_resamples, chunk)
    ]
    replicates = np.concatenate(pieces)
    jackknife = partial(_jackknife_cells, observed, statistic)
    return _summarise(theta_hat, replicates, confidence, method, jackknife)


def _row_weights(n_rows: int, n_draws: int, rng: np.random.Generator) -> NDArray[np.float64]:
    # Multiplicities of a with-replacement resample of the rows.
    uniform = np.full(n_rows, 1.0 / n_rows)
    return rng.multinomial(n_rows, uniform, size=n_draws).astype(np.float64)


def _row_jackknife(
    columns: NDArray[np.float64], statistic: WeightedStatistic, chunk_rows: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    n_rows = columns.shape[0]
    pieces = []
    for start in range(0, n_rows, chunk_rows):
        stop = min(start + chunk_rows, n_rows)
        weights = np.ones((stop - start, n_rows))
        weights[np.arange(stop - start), np.arange(start, stop)] = 0.0
        pieces.append(_call_quietly(statistic, weights, columns))
    return np.concatenate(pieces), np.ones(n_rows)


def _cell_weights(
    frequencies: NDArray[np.float64], n_draws: int, rng: np.random.Generator
) -> NDArray[np.float64]:
    # Cell counts of a with-replacement resample of the rows the cells stand for.
    total = int(frequencies.sum())
    return rng.multinomial(total, frequencies / total, size=n_draws).astype(np.float64)


def _cell_jackknife(
    columns: NDArray[np.float64],
    statistic: WeightedStatistic,
    frequencies: NDArray[np.float64],
    chunk_rows: int,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    # Leaving out one row of cell c gives the same value for each of its frequencies[c] rows.
    cells = np.flatnonzero(frequencies > 0)
    pieces = []
    for start in range(0, cells.size, chunk_rows):
        part = cells[start : start + chunk_rows]
        weights = np.repeat(frequencies[None, :], part.size, axis=0)
        weights[np.arange(part.size), part] -= 1.0
        pieces.append(_call_quietly(statistic, weights, columns))
    return np.concatenate(pieces), frequencies[cells]


def weighted_row_bootstrap(
    columns: ArrayLike,
    statistic: WeightedStatistic,
    *,
    n_resamples: int = 2000,
    confidence: float = 0.95,
    method: BootstrapMethod = "bca",
    rng: np.random.Generator,
    chunk_rows_x_resamples: int = 20_000_000,
    frequencies: ArrayLike | None = None,
) -> BootstrapResult:
    """Row bootstrap expressed as multinomial row weights, for per-row statistics.

    Parameters
    ----------
    columns : array_like, shape (n, m) or (n,)
        Per-row quantities the statistic needs (e.g. squared errors); a 1-D input is
        treated as a single column.
    statistic : callable
        ``statistic(weights, columns) -> values`` with ``weights`` of shape (J, n) and
        result shape (J,); it should compute weighted means via ``weights @ columns``.
        Called with all-ones weights (shape (1, n)) for the point estimate.
    n_resamples : int, default 2000
        Number of bootstrap replicates ``B``.
    confidence : float, default 0.95
        Two-sided confidence level.
    method : {"percentile", "basic", "bca"}, default "bca"
        Interval method. BCa needs an O(n²) row jackknife, so for ``n > BCA_MAX_ROWS`` a
        percentile interval is returned and ``interval.method`` says so.
    rng : numpy.random.Generator
        Source of randomness.
    chunk_rows_x_resamples : int, default 20_000_000
        Bound on ``rows × replicates`` per weight matrix, which bounds memory
        (8 bytes per element).
    frequencies : array_like of int, shape (n,), optional
        Row frequencies (grouped data: row ``i`` stands for ``frequencies[i]`` identical rows).
        The replicates are then Multinomial(N, frequencies / N) cell weights — the distribution
        of the cell counts of a row resample of the N expanded rows, so the bootstrap equals the
        row bootstrap in distribution (not draw for draw) — and the BCa jackknife is evaluated
        once per cell, weighted by its frequency. ``BCA_MAX_ROWS`` then bounds the cells.

    Returns
    -------
    BootstrapResult
    """
    confidence = _check_confidence(confidence)
    method = _check_method(method)  # type: ignore[assignment]
    data = np.asarray(columns, dtype=np.float64)
    if data.ndim == 1:
        data = data[:, None]
    if data.ndim != 2 or data.shape[0] == 0:
        raise ValueError(f"columns must have shape (n, m) with n >= 1, got {data.shape}")
    n_resamples = int(n_resamples)
    if n_resamples < 1:
        raise ValueError("n_resamples must be >= 1")
    n_rows = data.shape[0]
    chunk = max(1, int(chunk_rows_x_resamples) // n_rows)
    if frequencies is not None:
        freq = np.asarray(frequencies, dtype=np.float64)
        if freq.shape != (n_rows,) or np.any(freq < 0) or np.any(freq != np.round(freq)):
            raise ValueError("frequencies must be non-negative integers, one per row")
        theta_hat = float(_call_quietly(statistic, freq[None, :], data)[0])
        replicates = np.concatenate(
            [
                _call_quietly(
                    statistic, _cell_weights(freq, min(chunk, n_resamples - start), rng), data
                )
                for start in range(0, n_resamples, chunk)
            ]
        )
        cell_jackknife = (
            partial(_cell_jackknife, data, statistic, freq, chunk)
            if n_rows <= BCA_MAX_ROWS
            else None
        )
        return _summarise(theta_hat, replicates, confidence, method, cell_jackknife)
    theta_hat = float(_call_quietly(statistic, np.ones((1, n_rows)), data)[0])
    replicates = np.concatenate(
        [
            _call_quietly(
                statistic, _row_weights(n_rows, min(chunk, n_resamples - start), rng), data
            )
            for start in range(0, n_resamples, chunk)
        ]
    )
    # The row jackknife is O(n²) statistic work, so BCa is only offered for moderate n.
    jackknife = partial(_row_jackknife, data, statistic, chunk) if n_rows <= BCA_MAX_ROWS else None
    return _summarise(theta_hat, replicates, confidence, method, jackknife)
