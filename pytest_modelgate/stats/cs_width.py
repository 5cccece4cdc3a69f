"""How wide the anytime-valid bound of :mod:`pytest_modelgate.stats.sequential` would be after
``n`` observations of a rate with variance ``σ²`` — for sizing a canary before it starts.

The bound's half-width after ``n`` rows is ``(log(1/a) + Σ v_i ψ(λ_i)) / Σ λ_i`` (see
``stats/sequential.py``). Before any row is seen, the plug-in estimates are replaced by what they
settle to: ``σ̂²_{i−1} → (¼ + (i − 1) σ²) / i`` (the estimator's own start of ¼) and
``v_i → 4 σ²``; the sums are exact up to 20,000 rows and a midpoint sum over blocks 0.1 % long
beyond (relative error below 1e-6). It is the width a typical run would show, not a bound on
it: ``tests/unit/test_shadow.py`` compares it with simulated runs.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

__all__ = ["expected_half_width"]

_C = 0.5  # as in stats/sequential.py
_EXACT = 20_000


def _terms(i: np.ndarray, variance: float, log_a: float) -> tuple[np.ndarray, np.ndarray]:
    """(λ_i, v_i ψ(λ_i)) at (possibly fractional) positions ``i``."""
    var_prev = (0.25 + (i - 1) * variance) / i
    lam = np.minimum(np.sqrt(2.0 * log_a / (var_prev * i * np.log1p(i))), _C)
    psi = (-np.log1p(-lam) - lam) / 4.0
    return lam, 4.0 * variance * psi


@lru_cache(maxsize=32)
def _head(variance: float, log_a: float) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative sums of λ_i and v_i ψ(λ_i) over the first 20,000 rows (a plan bisects over n)."""
    lam, vpsi = _terms(np.arange(1, _EXACT + 1, dtype=float), variance, log_a)
    return np.cumsum(lam), np.cumsum(vpsi)


def expected_half_width(n: float, variance: float, alpha_side: float) -> float:
    """The one-sided margin (level ``alpha_side``) of the empirical-Bernstein confidence
    sequence after ``n`` observations of variance ``variance`` (in [0, ¼]); ``inf`` for
    ``n < 1``."""
    if not 0 <= variance <= 0.25:
        raise ValueError(f"variance must lie in [0, 0.25], got {variance!r}")
    if not 0 < alpha_side < 1:
        raise ValueError(f"alpha_side must lie in (0, 1), got {alpha_side!r}")
    n = int(n)
    if n < 1:
        return math.inf
    log_a = math.log(1.0 / alpha_side)
    cum_lam, cum_vpsi = _head(variance, log_a)
    upto = min(n, _EXACT) - 1
    sum_lam, sum_vpsi = float(cum_lam[upto]), float(cum_vpsi[upto])
    if n > _EXACT:
        k = max(math.ceil(math.log(n / _EXACT) / math.log(1.001)), 1)
        edges = np.unique(np.round(np.geomspace(_EXACT, n, k + 1)))  # block (a, b]
        a, b = edges[:-1], edges[1:]
        mid = (a + 1 + b) / 2
        lam_m, vpsi_m = _terms(mid, variance, log_a)
        sum_lam += float(((b - a) * lam_m).sum())
        sum_vpsi += float(((b - a) * vpsi_m).sum())
    return (log_a + sum_vpsi) / sum_lam
