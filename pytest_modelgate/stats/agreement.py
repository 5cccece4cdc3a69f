"""Agreement between two raters (a shadow model and the incumbent or a human): the agreement rate
and Cohen's κ, each with a fixed-sample interval.

Both read the k×k table ``counts[i, j]`` = rows where the candidate said label ``i`` and the
incumbent said label ``j`` (one pass, :func:`agreement_table`).

* **agreement** ``p_o = Σ_i counts[i, i] / n`` — a binomial proportion: Clopper–Pearson.
* **Cohen's κ** ``(p_o − p_e) / (1 − p_e)`` with ``p_e = Σ_i p_i. p_.i`` (Cohen 1960), the
  agreement beyond what the two raters' label frequencies give by chance. Its interval is the
  Wald interval with the large-sample variance of Fleiss, Cohen & Everitt (1969, Psychological
  Bulletin 72(5), 323–327, eq. 13) — the "ASE" of SAS ``PROC FREQ`` and ``std_kappa`` of
  ``statsmodels.stats.inter_rater.cohens_kappa``::

      var(κ̂) = [ Σ_i p_ii (1 − (p_i. + p_.i)(1 − κ))²
                 + (1 − κ)² Σ_{i≠j} p_ij (p_.i + p_j.)²
                 − (κ − p_e (1 − κ))² ] / (n (1 − p_e)²),

  clipped to [−1, 1]. Its coverage is measured in ``validity/shadow.py``
  (``docs/validity-shadow.md``): its lower end is too high more often than nominal at small n
  (up to ~11 % at n = 50, 2.6–4.2 % from n = 1,000, against 2.5 %; worse near perfect
  agreement and with rare labels), so κ is reported, not gated.

These intervals hold at one sample size fixed in advance: re-checking them as a shadow log grows
and stopping at the first good look inflates their error (see docs/canary.md, "Shadow").
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pytest_modelgate.stats.intervals import (
    Interval,
    _check_confidence,
    _two_sided_z,
    clopper_pearson_interval,
)

__all__ = ["AgreementTable", "agreement_interval", "agreement_table", "cohen_kappa"]


@dataclass(frozen=True)
class AgreementTable:
    """``counts[i, j]``: rows where the candidate said ``labels[i]`` and the incumbent
    ``labels[j]``."""

    labels: tuple[object, ...]
    counts: np.ndarray

    @property
    def n(self) -> int:
        return int(self.counts.sum())

    @property
    def agreeing(self) -> int:
        return int(np.trace(self.counts))


def agreement_table(
    candidate: pd.Series | np.ndarray, incumbent: pd.Series | np.ndarray
) -> AgreementTable:
    """The candidate × incumbent table over the union of both columns' labels (sorted when
    they sort, else in order of first appearance)."""
    a, b = np.asarray(candidate), np.asarray(incumbent)
    both = (
        np.concatenate([a, b])
        if a.dtype == b.dtype
        else np.concatenate([a.astype(object), b.astype(object)])
    )
    try:
        codes, uniques = pd.factorize(both, sort=True)
    except TypeError:  # labels that do not sort (mixed types): order of first appearance
        codes, uniques = pd.factorize(both, sort=False)
    labels = tuple(uniques.tolist())
    k = len(labels)
    i, j = codes[: a.size], codes[a.size :]
    counts = np.bincount(i * k + j, minlength=k * k).reshape(k, k) if k else np.zeros((0, 0))
    return AgreementTable(labels, counts.astype(np.int64))


def agreement_interval(table: AgreementTable, confidence: float = 0.95) -> Interval:
    """Clopper–Pearson interval of the agreement rate."""
    return clopper_pearson_interval(table.agreeing, table.n, confidence)


@dataclass(frozen=True)
class Kappa:
    """Cohen's κ, its large-sample standard error and interval."""

    estimate: float
    std_error: float
    interval: Interval
    expected: float  # p_e, the chance agreement


KAPPA_METHOD = "fleiss-cohen-everitt"


def cohen_kappa(counts: np.ndarray, confidence: float = 0.95) -> Kappa:
    """Cohen's κ of a k×k table with the Fleiss–Cohen–Everitt (1969) Wald interval.

    κ is undefined (``nan``) for an empty table and when chance agreement is 1 (both raters
    always give the same single label)."""
    confidence = _check_confidence(confidence)
    counts = np.asarray(counts, dtype=float)
    n = counts.sum()
    undefined = Kappa(
        math.nan, math.nan, Interval(math.nan, math.nan, confidence, KAPPA_METHOD), math.nan
    )
    if n == 0:
        return undefined
    p = counts / n
    rows = p.sum(axis=1)  # p_i.  (candidate)
    cols = p.sum(axis=0)  # p_.i  (incumbent)
    p_o = float(np.trace(p))
    p_e = float(rows @ cols)
    if p_e >= 1 - 1e-15:
        return Kappa(math.nan, math.nan, undefined.interval, p_e)
    kappa = (p_o - p_e) / (1 - p_e)
    diag = np.diag(p)
    a_term = float(np.sum(diag * (1 - (rows + cols) * (1 - kappa)) ** 2))
    off = p.copy()
    np.fill_diagonal(off, 0.0)
    # Σ_{i≠j} p_ij (p_.i + p_j.)²: column total of the row label plus row total of the column's
    b_term = (1 - kappa) ** 2 * float(np.sum(off * (cols[:, None] + rows[None, :]) ** 2))
    c_term = (kappa - p_e * (1 - kappa)) ** 2
    var = max(a_term + b_term - c_term, 0.0) / (n * (1 - p_e) ** 2)
    se = math.sqrt(var)
    z = _two_sided_z(confidence)
    low, high = max(kappa - z * se, -1.0), min(kappa + z * se, 1.0)
    return Kappa(kappa, se, Interval(low, high, confidence, KAPPA_METHOD), p_e)
