"""One sort per score vector (#16): DeLong from cached rank codes equals the three-sort midrank
computation bit for bit, every ranking statistic of an evidence reads the one cached sort, and the
gate path imports neither scipy.stats nor scipy.optimize up front."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import roc_auc_score

from pytest_modelgate.estimates.compare import _from_se, compare_metric
from pytest_modelgate.estimates.metric import StatsOptions, estimate_metric, tied_pair_share
from pytest_modelgate.estimates.metrics import get_metric
from pytest_modelgate.evidence.core import Evidence
from pytest_modelgate.stats.delong import (
    delong_auc_variance,
    delong_from_codes,
    delong_paired,
)


def _rankdata_delong(labels: np.ndarray, score_matrix: np.ndarray) -> tuple[np.ndarray, ...]:
    """The pre-#16 computation, kept as the reference: pooled, positive and negative midranks
    from scipy.stats.rankdata (three sorts per vector), then Sun & Xu's V10/V01."""
    m = int(labels.sum())
    n = labels.size - m
    aucs, v10, v01 = [], [], []
    for scores in score_matrix:
        tz = np.concatenate(
            [
                stats.rankdata(scores)[labels],
                stats.rankdata(scores)[~labels],
            ]
        )
        tx = stats.rankdata(scores[labels])
        ty = stats.rankdata(scores[~labels])
        aucs.append((tz[:m].sum() - m * (m + 1) / 2.0) / (m * n))
        v10.append((tz[:m] - tx) / n)
        v01.append(1.0 - (tz[m:] - ty) / m)
    k = len(score_matrix)
    a, b = np.stack(v10), np.stack(v01)
    cov = np.cov(a, ddof=1).reshape(k, k) / m + np.cov(b, ddof=1).reshape(k, k) / n
    return np.array(aucs), cov


@pytest.mark.parametrize("distinct", [None, 7, 300])  # continuous, heavy ties, some ties
def test_delong_from_codes_is_bit_identical_to_the_midrank_reference(distinct):
    rng = np.random.default_rng(distinct or 0)
    n = 3000
    y = rng.random(n) < 0.3
    a = rng.normal(size=n) + y
    b = 0.5 * a + rng.normal(size=n)
    if distinct is not None:
        a, b = np.round(a * distinct / 8), np.round(b * distinct / 8)
    ref_aucs, ref_cov = _rankdata_delong(y, np.stack([a, b]))
    aucs, cov = delong_paired(y, a, b)
    assert np.array_equal(aucs, ref_aucs) and np.array_equal(cov, ref_cov)
    codes = [np.unique(s, return_inverse=True)[1] for s in (a, b)]
    from_codes = delong_from_codes(y, codes)
    assert np.array_equal(from_codes[0], ref_aucs) and np.array_equal(from_codes[1], ref_cov)
    auc, var = delong_auc_variance(y, a)
    single_auc, single_var = _rankdata_delong(y, a[None])  # np.cov of one row, as before
    assert auc == single_auc[0] and var == single_var[0, 0]
    assert auc == pytest.approx(roc_auc_score(y, a), abs=1e-15)


def test_delong_from_codes_undefined_cases():
    codes = [np.array([0, 1, 2])]
    aucs, cov = delong_from_codes(np.array([True, True, True]), codes)
    assert np.isnan(aucs).all() and np.isnan(cov).all()
    aucs, cov = delong_from_codes(np.array([True, False, False]), codes)
    assert aucs[0] == 0.0 and np.isnan(cov).all()  # one positive, scored lowest: no variance
    with pytest.raises(ValueError, match="one entry per label"):
        delong_from_codes(np.array([True, False]), codes)


def _evidence(seed: int, y: np.ndarray) -> Evidence:
    rng = np.random.default_rng(seed)
    scores = 1.0 / (1.0 + np.exp(-(y + rng.normal(size=y.size))))
    pred = (scores >= 0.5).astype(np.int64)
    return Evidence("binary", (0, 1), y.astype(np.int64), pred, scores, "probability", f"m{seed}")


def test_every_ranking_statistic_reads_one_sort_per_score_vector(monkeypatch):
    import pytest_modelgate.evidence.ranks as ranks

    calls: list[int] = []
    original = ranks.score_codes

    def counted(scores, *args, **kwargs):
        calls.append(len(scores))
        return original(scores, *args, **kwargs)

    monkeypatch.setattr(ranks, "score_codes", counted)
    y = (np.random.default_rng(9).random(2000) < 0.4).astype(np.int64)
    cand, base = _evidence(1, y), _evidence(2, y)
    opts = StatsOptions(resamples=200)
    rng = np.random.default_rng(0)
    auc = estimate_metric(get_metric("roc_auc", "binary"), cand, opts, rng)
    ap = estimate_metric(get_metric("average_precision", "binary"), cand, opts, rng)
    for name in ("roc_auc", "average_precision"):
        compare_metric(get_metric(name, "binary"), cand, base, opts, rng)
    tied_pair_share(cand)
    assert calls == [2000, 2000]  # the candidate's and the baseline's scores, once each
    # and the numbers are the references' (sklearn's AUC, scipy-ranked DeLong)
    assert auc.value == pytest.approx(roc_auc_score(y, cand.scores), abs=1e-15)
    from sklearn.metrics import average_precision_score

    assert ap.value == pytest.approx(average_precision_score(y, cand.scores), abs=1e-12)


def test_compare_p_value_is_norm_sf():
    interval, p = _from_se(0.013, 0.006, 0.95, "x")
    assert p == 2 * stats.norm.sf(0.013 / 0.006)
    assert interval.low == pytest.approx(0.013 - stats.norm.ppf(0.975) * 0.006, abs=1e-15)


# modules that may import these at module level: only loaded by the runs that need them
_HEAVY_ALLOWED = {"stats/cluster.py"}  # clustered intervals (data.cluster / data.weight)


def test_no_module_imports_scipy_stats_optimize_or_sklearn_at_import_time():
    """The fixed cost (#16): scipy.stats (~0.5 s), scipy.optimize (~0.3 s) and scikit-learn are
    imported inside the functions that use them, so a run pays only for the gates it has. Read
    from the source (a subprocess import check would cost seconds of the test budget)."""
    import re
    from pathlib import Path

    import pytest_modelgate

    # an import at column 0 is a module-level one (the lazy ones are indented in functions)
    heavy = re.compile(
        r"^(import (scipy\.stats|scipy\.optimize|sklearn|fairlearn)\b"
        r"|from (scipy\.stats|scipy\.optimize|sklearn|fairlearn)\b"
        r"|from scipy import .*\b(stats|optimize)\b)",
        re.MULTILINE,
    )
    root = Path(pytest_modelgate.__file__).parent
    found = [
        path.relative_to(root).as_posix()
        for path in sorted(root.rglob("*.py"))
        if heavy.search(path.read_text())
    ]
    assert heavy.search("from scipy import special, stats\n")  # the pattern can fail
    assert set(found) <= _HEAVY_ALLOWED, found
