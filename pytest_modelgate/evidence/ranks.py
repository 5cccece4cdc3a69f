"""Scores as codes: one sort of a score vector, shared by every ranking statistic.

:func:`score_codes` sorts a binary task's score vector once (``np.unique``) and gives each row the
index of its distinct score (ascending) and of its quantile bin. Everything that ranks scores is a
function of those codes and the labels: DeLong's placements and the AUC (per-class ``bincount``
of the codes, :func:`pytest_modelgate.stats.delong.delong_from_codes`), average precision (the
exact per-class histogram), the binned bootstrap of AP and AUC, the tied-pair share of binned
scores. :attr:`pytest_modelgate.evidence.core.Evidence.score_codes` caches them, so a session
sorts each score vector (of each evidence: all rows, or one slice) once, whatever the gates ask.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pytest_modelgate.evidence.core import weighted_bincount, weighted_quantile

__all__ = ["MAX_SCORE_BINS", "ScoreCodes", "score_codes"]

MAX_SCORE_BINS = 1024


@dataclass(frozen=True)
class ScoreCodes:
    """Each row's score as an index: ``distinct`` (one code per distinct score, ascending) and
    ``binned`` (the same when there are at most ``max_bins`` distinct scores, else quantile
    bins). One sort of the scores serves the exact value and the binned bootstrap alike."""

    distinct: np.ndarray
    n_distinct: int
    binned: np.ndarray
    bins: int

    @property
    def exact(self) -> bool:
        return self.bins == self.n_distinct

    def histogram(
        self, y_pos: np.ndarray, weight: np.ndarray | None, *, exact: bool = False
    ) -> np.ndarray:
        """Per-class histogram ``(2, bins)`` of the binned (or, with ``exact``, the distinct)
        scores."""
        codes, bins = (self.distinct, self.n_distinct) if exact else (self.binned, self.bins)
        return weighted_bincount(codes + bins * y_pos.astype(np.int64), weight, 2 * bins).reshape(
            2, bins
        )


def score_codes(
    scores: np.ndarray, max_bins: int = MAX_SCORE_BINS, weight: np.ndarray | None = None
) -> ScoreCodes:
    """The :class:`ScoreCodes` of ``scores`` (quantile edges of the expanded rows when weighted)."""
    distinct, inverse = np.unique(scores, return_inverse=True)
    inverse = inverse.reshape(-1).astype(np.int64, copy=False)
    if distinct.size <= max_bins:
        return ScoreCodes(inverse, int(distinct.size), inverse, int(distinct.size))
    quantiles = np.linspace(0, 1, max_bins + 1)[1:-1]
    edges = np.unique(weighted_quantile(scores, weight, quantiles))
    # at most max_bins bins: int16 codes (a quarter of int64's memory, kept for the session);
    # every use adds them to int64 arrays, so sums are int64
    small = np.int16 if edges.size + 1 <= np.iinfo(np.int16).max else np.int64
    binned = np.searchsorted(edges, distinct, side="right").astype(small)[inverse]
    return ScoreCodes(inverse, int(distinct.size), binned, int(edges.size + 1))
