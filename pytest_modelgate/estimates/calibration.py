"""Calibration metrics of binary probabilities (#19), with their intervals.

``calibration_error`` (``calibration_error(B)``, default ``B = 10``)
    The **ℓ2 binned calibration error** (root-mean-square calibration error) over ``B``
    equal-mass bins of the predicted probability: ``sqrt(Σ_b w_b (E[y | b] − E[p | b])²)``,
    ``w_b`` the share of rows in bin ``b``. The plug-in value (the classic ECE recipe, squared)
    is biased upwards by sampling noise — each bin's observed gap ``d̂_b = ȳ_b − p̄_b`` carries
    a variance ``s_b²/n_b`` even for a perfectly calibrated model — so the estimator subtracts
    it (Kumar, Liang & Ma 2019, "Verified uncertainty calibration"), with ``s_b²`` the sample
    variance of ``y − p`` in the bin: ``θ̂ = Σ_b w_b (d̂_b² − s_b²/n_b)`` is **unbiased for
    the squared binned error** given the bins, and the reported value is ``sqrt(max(θ̂, 0))``.
    Two biases remain, both stated in the docs: binning averages miscalibration within a bin,
    so the binned error is a lower bound of the unbinned one; and the root of an unbiased
    estimate is biased low near 0 (the gate is unaffected: ``error ≤ c`` is judged as
    ``θ ≤ c²`` on the interval of ``θ``). The ℓ1 ECE has no unbiased estimator, which is why
    the ℓ2 form is the gate.
    Interval: ``Var(θ̂_b) ≈ 4 d_b² σ_b²/n_b + 2 σ_b⁴/n_b²`` (the variance of a squared normal
    mean, ``d_b²`` and ``σ_b²`` plugged in), summed over bins; the interval of the root error
    is the hull of the normal interval on ``θ̂`` (ends clipped at 0, square-rooted) and the
    delta-method interval on the root scale, which stabilises the variance
    (:func:`error_interval`). At a calibrated model the lower end is 0. With fewer than
    ``MIN_ROWS_PER_BIN`` (100) rows in a bin there is no interval (INCONCLUSIVE): the validity
    matrix measured 5% false PASS of a strict ``max:`` gate at 20 rows per bin.
``calibration_ratio``
    Observed over expected events, ``Σ y / Σ p`` (O/E; 1 is calibrated in the large).
    Interval: delta method on ``log(O/E)`` with the influence values ``(y − r p) / Σp``
    (the ratio-estimator variance), exponentiated back.
``calibration_slope``, ``calibration_intercept``
    Logistic recalibration (Cox 1958): the slope ``β`` of ``logit P(y) = α + β logit(p)``
    (1 is calibrated; < 1 over-confident), and the intercept ``γ`` of
    ``logit P(y) = γ + logit(p)`` with the slope fixed at 1 (calibration-in-the-large; 0 is
    calibrated, > 0 under-predicts). Maximum likelihood by Newton's method; Wald intervals from
    the observed information — the same numbers as ``statsmodels`` ``Logit(y, [1, logit p])``
    and ``GLM(y, 1, offset=logit p)``. Probabilities are clipped to ``[1e-12, 1 − 1e-12]``
    before the logit.

Each is computed from the rows (probabilities and labels, with row frequencies on grouped
evidence): a binned probability (``data.score_bins``) would move every row's logit, so these
are refused there (as the log loss is).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = [
    "ReliabilityBin",
    "calibration_estimate",
    "calibration_point",
    "equal_mass_bins",
    "reliability_bins",
]

CLIP = 1e-12
DEFAULT_BINS = 10
#: below this many rows in a bin, calibration_error's interval undercovers (validity matrix)
MIN_ROWS_PER_BIN = 100
_NEWTON_STEPS = 50


def _w(weight: np.ndarray | None, n: int) -> np.ndarray:
    return np.ones(n) if weight is None else np.asarray(weight, dtype=float)


def equal_mass_bins(p: np.ndarray, weight: np.ndarray | None, bins: int) -> np.ndarray:
    """Bin index of each row: ``bins`` equal-mass bins of ``p`` (rows with equal ``p`` share a
    bin, so fewer bins when ``p`` takes few values); indices are 0..k−1 without gaps."""
    w = _w(weight, p.size)
    order = np.argsort(p, kind="stable")
    cum = np.cumsum(w[order])
    cut = cum[-1] * np.arange(1, bins) / bins
    # the probability at each cut: the first row whose cumulative weight reaches it
    edges = np.unique(p[order][np.minimum(np.searchsorted(cum, cut, side="left"), p.size - 1)])
    codes = np.searchsorted(edges, p, side="left")
    _, dense = np.unique(codes, return_inverse=True)
    dense = dense.reshape(-1).astype(np.int64)
    # a bin of one row has no within-bin variance to debias with: merge it into a neighbour
    sizes = np.bincount(dense, weights=w)
    if sizes.size > 1 and np.any(sizes < 2):
        target = np.arange(sizes.size)
        for b in np.flatnonzero(sizes < 2):
            target[target == b] = b + 1 if b + 1 < sizes.size else b - 1
        _, dense = np.unique(target[dense], return_inverse=True)
        dense = dense.reshape(-1).astype(np.int64)
    return dense


def _bin_sums(p: np.ndarray, y: np.ndarray, w: np.ndarray, codes: np.ndarray) -> tuple:
    k = int(codes.max()) + 1 if codes.size else 0
    r = y - p
    nb = np.bincount(codes, weights=w, minlength=k)
    sr = np.bincount(codes, weights=w * r, minlength=k)
    srr = np.bincount(codes, weights=w * r * r, minlength=k)
    return nb, sr, srr


def squared_error_terms(
    p: np.ndarray, y: np.ndarray, weight: np.ndarray | None, bins: int
) -> tuple[float, float, int, float]:
    """``(θ̂, se(θ̂), bins used, rows in the smallest bin)`` of the debiased squared binned
    calibration error."""
    w = _w(weight, p.size)
    codes = equal_mass_bins(p, weight, bins)
    nb, sr, srr = _bin_sums(p, y, w, codes)
    n = nb.sum()
    d = sr / nb
    with np.errstate(divide="ignore", invalid="ignore"):
        s2 = np.where(nb > 1, (srr - nb * d * d) / (nb - 1), np.nan)
    s2 = np.maximum(s2, 0.0)
    wb = nb / n
    terms = d * d - s2 / nb
    theta = float(np.sum(wb * terms))
    d2 = np.maximum(terms, 0.0)
    var = np.sum(wb * wb * (4 * d2 * s2 / nb + 2 * s2 * s2 / (nb * nb)))
    se = float(math.sqrt(var)) if np.isfinite(var) else float("nan")
    return theta, se, int(nb.size), float(nb.min())


def error_interval(theta: float, se: float, z: float) -> tuple[float, float]:
    """The interval of the root error ``sqrt(θ)``: the hull of the normal interval on ``θ``
    (ends clipped at 0, square-rooted) and the delta-method interval on the root scale
    (``sqrt(θ̂) ± z·se/(2 sqrt(θ̂))``). The root stabilises the variance: the plug-in ``se``
    grows with ``θ̂``, so on the ``θ`` scale a low draw gets a short upper arm (a strict
    ``max:`` gate passed falsely 5% of the time at a miscalibrated model, n = 1000); near 0
    the ``θ``-scale interval takes over."""
    low = math.sqrt(max(theta - z * se, 0.0))
    high = math.sqrt(max(theta + z * se, 0.0))
    if theta > 0:
        root = math.sqrt(theta)
        half = z * se / (2 * root)
        low, high = min(low, max(root - half, 0.0)), max(high, root + half)
    return low, high


def _logit(p: np.ndarray) -> np.ndarray:
    q = np.clip(p, CLIP, 1 - CLIP)
    return np.log(q) - np.log1p(-q)


def _expit(x: np.ndarray) -> np.ndarray:
    from scipy.special import expit

    return expit(x)


def fit_slope(
    p: np.ndarray, y: np.ndarray, weight: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """ML ``(α, β)`` of ``logit P(y) = α + β logit(p)`` and their covariance (inverse observed
    information); ``nan`` when the fit does not converge (separation, one class)."""
    w = _w(weight, p.size)
    x = _logit(p)
    design = np.column_stack([np.ones_like(x), x])
    ybar = float(w @ y / w.sum())
    if not 0 < ybar < 1:
        nan = np.full(2, np.nan)
        return nan, np.full((2, 2), np.nan)
    beta = np.array([math.log(ybar / (1 - ybar)), 0.0])
    for _ in range(_NEWTON_STEPS):
        mu = _expit(design @ beta)
        grad = design.T @ (w * (y - mu))
        info = (design * (w * mu * (1 - mu))[:, None]).T @ design
        try:
            step = np.linalg.solve(info, grad)
        except np.linalg.LinAlgError:
            break
        beta = beta + step
        if np.max(np.abs(step)) < 1e-12 * (1 + np.max(np.abs(beta))):
            break
    mu = _expit(design @ beta)
    info = (design * (w * mu * (1 - mu))[:, None]).T @ design
    grad = design.T @ (w * (y - mu))
    if not np.all(np.isfinite(beta)) or np.max(np.abs(grad)) > 1e-6 * max(1.0, float(w.sum())):
        return np.full(2, np.nan), np.full((2, 2), np.nan)
    try:
        cov = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        return np.full(2, np.nan), np.full((2, 2), np.nan)
    if abs(beta[1]) > 1e3:  # separation: the slope runs away
        return np.full(2, np.nan), np.full((2, 2), np.nan)
    return beta, cov


def fit_intercept(p: np.ndarray, y: np.ndarray, weight: np.ndarray | None) -> tuple[float, float]:
    """ML ``γ`` of ``logit P(y) = γ + logit(p)`` (slope fixed at 1) and its variance."""
    w = _w(weight, p.size)
    x = _logit(p)
    ybar = float(w @ y / w.sum())
    if not 0 < ybar < 1:
        return float("nan"), float("nan")
    g = 0.0
    for _ in range(_NEWTON_STEPS):
        mu = _expit(g + x)
        grad = float(w @ (y - mu))
        info = float(w @ (mu * (1 - mu)))
        if info <= 0:
            return float("nan"), float("nan")
        step = grad / info
        g += step
        if abs(step) < 1e-13 * (1 + abs(g)):
            break
    mu = _expit(g + x)
    info = float(w @ (mu * (1 - mu)))
    return g, 1.0 / info if info > 0 else float("nan")


def calibration_point(
    name: str, p: np.ndarray, y: np.ndarray, weight: np.ndarray | None
) -> tuple[float, float, str]:
    """``(value, standard error on the interval's scale, note)`` of one calibration metric
    (``calibration_error``: the debiased *squared* error and its standard error)."""
    w = _w(weight, p.size)
    base, bins = _parse(name)
    nan = float("nan")
    if base == "calibration_ratio":
        o, e = float(w @ y), float(w @ p)
        if e <= 0:
            return nan, nan, "no expected events (every probability is 0)"
        r = o / e
        if o <= 0:
            return r, nan, "no observed events: O/E has no interval on the log scale"
        n = float(w.sum())
        infl = (y - r * p) / (e / n)  # each row's influence on r
        var_r = float(w @ (infl * infl)) / (n * (n - 1))
        return r, math.sqrt(var_r) / r, ""
    if base == "calibration_slope":
        beta, cov = fit_slope(p, y, weight)
        if not np.isfinite(beta[1]):
            return nan, nan, _NO_FIT
        return float(beta[1]), float(math.sqrt(cov[1, 1])), ""
    if base == "calibration_intercept":
        g, var = fit_intercept(p, y, weight)
        if not (np.isfinite(g) and np.isfinite(var)):
            return nan, nan, _NO_FIT
        return g, math.sqrt(var), ""
    theta, se, used, smallest = squared_error_terms(p, y, weight, bins)
    note = (
        f"l2 calibration error over {used} equal-mass bins, debiased (squared estimate "
        f"{theta:.3g}; the value shown is its root, 0 when negative)"
    )
    if smallest < MIN_ROWS_PER_BIN:
        note = (
            f"calibration_error has no interval here: its smallest bin holds {smallest:.0f} "
            f"rows, and below {MIN_ROWS_PER_BIN} rows per bin its interval does not keep its "
            "level (a strict max gate passed falsely 5% of the time at n = 200 with 10 bins); "
            f"use fewer bins (calibration_error(5)) or at least {MIN_ROWS_PER_BIN * used} "
            "rows. " + note
        )
        se = float("nan")
    return theta, se, note


_NO_FIT = "the logistic recalibration fit did not converge (one class, or the classes separate)"


def _parse(name: str) -> tuple[str, int]:
    if name.startswith("calibration_error"):
        inner = name[len("calibration_error") :].strip("()")
        return "calibration_error", int(inner) if inner else DEFAULT_BINS
    return name, 0


def _inputs(metric, ev) -> tuple[np.ndarray, np.ndarray]:
    from pytest_modelgate.estimates.metric import _require_exact_probabilities

    _require_exact_probabilities(ev, metric.name)
    p = np.asarray(ev.require_probabilities(metric.name), dtype=float)
    y = np.asarray(ev.positives, dtype=float)
    return p, y


def _interval(name: str, value: float, se: float, level: float):
    from scipy import stats

    from pytest_modelgate.stats import Interval

    z = float(stats.norm.ppf(0.5 + level / 2))
    base, _ = _parse(name)
    if not (np.isfinite(value) and np.isfinite(se)):
        return Interval(float("nan"), float("nan"), level, "none")
    if base == "calibration_ratio":
        return Interval(value * math.exp(-z * se), value * math.exp(z * se), level, "delta-log")
    if base == "calibration_error":
        low, high = error_interval(value, se, z)
        return Interval(low, high, level, "debiased-normal-root-hull")
    return Interval(value - z * se, value + z * se, level, "wald")


def calibration_estimate(metric, ev, opts, rng):
    """A calibration metric with its interval (the module docstring says which)."""
    from pytest_modelgate.estimates.operating import _refuse_design
    from pytest_modelgate.results import MetricResult

    _refuse_design(ev, metric.name)
    p, y = _inputs(metric, ev)
    value, se, note = calibration_point(metric.name, p, y, ev.weight)
    iv = _interval(metric.name, value, se, opts.confidence)
    n_pos = int(ev.total(ev.positives))
    shown = value
    if metric.name.startswith("calibration_error") and np.isfinite(value):
        shown = math.sqrt(max(value, 0.0))
    return MetricResult(
        metric.name,
        float(shown),
        iv,
        ev.n,
        note=note,
        support=min(n_pos, ev.n - n_pos),
        support_label=f"positives: {n_pos}, negatives: {ev.n - n_pos}",
    )


@dataclass(frozen=True)
class ReliabilityBin:
    """One bin of a reliability diagram: rows, mean predicted probability, observed rate and its
    Wilson interval."""

    n: float
    predicted: float
    observed: float
    low: float
    high: float


def reliability_bins(
    p: np.ndarray,
    y: np.ndarray,
    weight: np.ndarray | None,
    bins: int = DEFAULT_BINS,
    level: float = 0.95,
) -> list[ReliabilityBin]:
    """The equal-mass bins of ``calibration_error`` with each bin's observed rate and interval."""
    from pytest_modelgate.stats import wilson_interval

    w = _w(weight, p.size)
    codes = equal_mass_bins(p, weight, bins)
    k = int(codes.max()) + 1
    nb = np.bincount(codes, weights=w, minlength=k)
    sp = np.bincount(codes, weights=w * p, minlength=k)
    sy = np.bincount(codes, weights=w * y, minlength=k)
    out = []
    for b in range(k):
        iv = wilson_interval(round(sy[b]), round(nb[b]), level)
        out.append(ReliabilityBin(float(nb[b]), sp[b] / nb[b], sy[b] / nb[b], iv.low, iv.high))
    return out
