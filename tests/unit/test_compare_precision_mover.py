"""Δprecision on i.i.d. rows (each model divides by its own predicted positives): MOVER on the
two models' Clopper–Pearson limits with the correlation of the two ratio estimators, written
out here from scipy's exact binomial limits and explicit per-row influence values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from sklearn import metrics as skm

from pytest_modelgate import evaluate


@pytest.mark.parametrize("seed", [1, 2])
def test_delta_precision_is_correlated_mover_on_clopper_pearson(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 400
    y = (rng.random(n) < 0.3).astype(int)
    cand = np.where(rng.random(n) < 0.85, y, 1 - y)
    base = np.where(rng.random(n) < 0.15, 1 - cand, cand)  # correlated with the candidate
    got = evaluate(y, cand, baseline_pred=base).compare("precision")
    p_c, p_b = skm.precision_score(y, cand), skm.precision_score(y, base)
    assert got.delta == pytest.approx(p_c - p_b, abs=1e-12)
    limits = []
    for pred in (cand, base):
        k, m = int((pred * y).sum()), int(pred.sum())
        ci = stats.binomtest(k, m).proportion_ci(0.95, method="exact")
        limits.append((ci.low, ci.high))
    # influence of each row on each precision: (tp_i − p·pp_i) / Σ pp
    psi_c = (cand * y - p_c * cand) / cand.sum()
    psi_b = (base * y - p_b * base) / base.sum()
    rho = (psi_c @ psi_b) / math.sqrt((psi_c @ psi_c) * (psi_b @ psi_b))
    assert rho > 0.3  # the two models agree on most rows: the correlation matters
    (l1, u1), (l2, u2) = limits
    d = p_c - p_b
    low = d - math.sqrt((p_c - l1) ** 2 + (u2 - p_b) ** 2 - 2 * rho * (p_c - l1) * (u2 - p_b))
    high = d + math.sqrt((u1 - p_c) ** 2 + (p_b - l2) ** 2 - 2 * rho * (u1 - p_c) * (p_b - l2))
    assert (got.interval.low, got.interval.high) == pytest.approx((low, high), abs=1e-9)
    assert got.interval.method == "mover-cp-correlated"
    assert got.support == min(int(cand.sum()), int(base.sum()))
