"""Design-based fairness gaps and paired Δprecision / Δf1 / ΔROC AUC / ΔAP on clustered and
sampling-weighted rows, against independent references: scikit-learn's and fairlearn's
``sample_weight`` point estimates; the linearised variance as the derivative of those same
scikit-learn numbers with respect to each cluster's weight (finite differences: no influence
formula of ours is used); MOVER written out from Zou & Donner, MOVER-R from its defining
equation solved by root finding; the YAML runner against the Python API."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from fairlearn import metrics as flm
from scipy import optimize, stats
from sklearn import metrics as skm

from pytest_modelgate import ModelgateError, evaluate, run_gates
from pytest_modelgate.estimates.fairness_design import _mover_ratio
from pytest_modelgate.stats.cluster import effective_proportion_interval
from pytest_modelgate.stats.difference import mover_difference_correlated
from tests.unit.test_clustered import _hall_reference, _spec

K, M = 40, 12


@pytest.fixture(scope="module")
def rows() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(21)
    ids = np.repeat(np.arange(K), M)
    n = ids.size
    y = (rng.random(n) < rng.beta(2, 3, K)[ids]).astype(np.int64)
    effect = rng.normal(0, 0.6, K)[ids]
    s1 = 1.1 * y + effect * y + rng.normal(0, 1, n)
    s2 = 0.8 * y + effect * y + rng.normal(0, 1, n)
    return {
        "ids": ids,
        "y": y,
        "s1": 1 / (1 + np.exp(-s1)),
        "s2": 1 / (1 + np.exp(-s2)),
        "p1": (s1 > 0.5).astype(np.int64),
        "p2": (s2 > 0.3).astype(np.int64),
        "w": rng.uniform(0.3, 2.5, n),
        # a site-level cluster holds both groups; a row's group is its own
        "g": np.where(rng.random(n) < 0.35, "small", "big"),
    }


def _np_precision(y, p, w):
    return (w * p * y).sum() / (w * p).sum()


def _np_f1(y, p, w):
    tp = (w * p * y).sum()
    return 2 * tp / (2 * tp + (w * p * (1 - y)).sum() + (w * (1 - p) * y).sum())


def _np_auc(y, s, w):
    """Every (positive, negative) pair, weighted by the product of their weights."""
    pos, neg = y == 1, y == 0
    wins = (s[pos][:, None] > s[neg][None, :]) + 0.5 * (s[pos][:, None] == s[neg][None, :])
    return w[pos] @ wins @ w[neg] / (w[pos].sum() * w[neg].sum())


def _np_ap(y, s, w):
    """Σ over positives of (weight share) × precision at its score (distinct scores)."""
    order = np.argsort(-s)
    y, w = y[order], w[order]
    tp, seen = np.cumsum(w * y), np.cumsum(w)
    return ((w * y) * tp / seen).sum() / (w * y).sum()


#: numpy versions (cheap to call 4·K times), each checked against scikit-learn below
NUMPY = {"precision": _np_precision, "f1": _np_f1, "roc_auc": _np_auc, "average_precision": _np_ap}
SKLEARN = {
    "precision": skm.precision_score,
    "f1": skm.f1_score,
    "roc_auc": skm.roc_auc_score,
    "average_precision": skm.average_precision_score,
}


def _delta(d: dict, name: str, w: np.ndarray, metrics=NUMPY) -> float:
    c, b = ("s1", "s2") if name in ("roc_auc", "average_precision") else ("p1", "p2")
    f = metrics[name]
    if metrics is SKLEARN:
        return f(d["y"], d[c], sample_weight=w) - f(d["y"], d[b], sample_weight=w)
    return f(d["y"], d[c], w) - f(d["y"], d[b], w)


def _cluster_derivatives(d: dict, name: str, w: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """z_k = ∂Δ/∂(scale of cluster k's weights), by central differences of scikit-learn's Δ:
    the linearised (influence) sums, computed without any formula of the package."""
    z = np.empty(K)
    for k in range(K):
        up, down = w.copy(), w.copy()
        up[d["ids"] == k] *= 1 + eps
        down[d["ids"] == k] *= 1 - eps
        z[k] = (_delta(d, name, up) - _delta(d, name, down)) / (2 * eps)
    return z


def _ev(d: dict, cluster=True, weighted=True, **extra):
    return evaluate(
        d["y"], d["p1"], d["s1"], baseline_pred=d["p2"], baseline_score=d["s2"],
        cluster=d["ids"] if cluster else None, sample_weight=d["w"] if weighted else None,
        sensitive={"g": d["g"]}, **extra,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("name", "weighted"),
    [
        ("precision", False),
        ("precision", True),
        ("f1", True),
        ("roc_auc", False),
        ("average_precision", True),
    ],
)
def test_paired_delta_is_the_linearised_cr1_interval(rows, name: str, weighted: bool) -> None:
    w = rows["w"] if weighted else np.ones(rows["y"].size)
    got = _ev(rows, weighted=weighted).compare(name)
    delta = _delta(rows, name, w, SKLEARN)
    assert got.delta == pytest.approx(delta, abs=1e-12)  # scikit-learn's sample_weight Δ
    assert _delta(rows, name, w) == pytest.approx(delta, abs=1e-12)  # the numpy reference
    z = _cluster_derivatives(rows, name, w)
    assert abs(z.sum()) < 1e-6  # Δ is homogeneous of degree 0 in the weights
    # the union of Hall's t and the plain t(K − 1) on the CR1 variance of the cluster sums
    low_h, high_h = _hall_reference(delta, z)
    half = stats.t.ppf(0.975, K - 1) * math.sqrt(K / (K - 1) * (z**2).sum())
    assert (got.interval.low, got.interval.high) == pytest.approx(
        (min(low_h, delta - half), max(high_h, delta + half)), abs=2e-6
    )
    assert got.interval.method == "paired-hall-t-cluster"
    assert name == "f1" or got.support == min(
        (rows["p1"] == 1).sum() if name == "precision" else (rows["y"] == 1).sum(),
        (rows["p2"] == 1).sum() if name == "precision" else (rows["y"] == 0).sum(),
    )


def test_weighted_rows_without_clusters_are_units(rows) -> None:
    """Sampling weights alone: every row is a unit (K = n), the same linearisation."""
    ev = _ev(rows, cluster=False)
    got = ev.compare("average_precision")
    assert got.interval.method == "paired-hall-t-weighted"
    assert got.delta == pytest.approx(
        _delta(rows, "average_precision", rows["w"], SKLEARN), abs=1e-12
    )
    # the interval narrows when the rows are (wrongly) taken as independent: clustering matters
    assert got.interval.width < _ev(rows).compare("average_precision").interval.width


def test_few_clusters_leave_a_paired_delta_undefined(rows) -> None:
    ev = evaluate(
        rows["y"], rows["p1"], baseline_pred=rows["p2"], cluster=rows["ids"] % 10
    )  # 10 clusters
    got = ev.compare("precision")
    assert not got.interval.is_defined and "at least 20 are needed" in got.note
    (result,) = ev.check(metric="precision", compare="baseline", max_drop=0.05)
    assert result.verdict.value == "INCONCLUSIVE"


# --- fairness gaps ---------------------------------------------------------------------------------


def _group_rates(d: dict, w: np.ndarray, rate: str) -> np.ndarray:
    """(big, small) weighted rates, written with numpy."""
    keep = {"sel": np.ones_like(d["y"], bool), "tpr": d["y"] == 1, "fpr": d["y"] == 0}[rate]
    out = []
    for g in ("big", "small"):
        rows_g = keep & (d["g"] == g)
        out.append((w * d["p1"])[rows_g].sum() / w[rows_g].sum())
    return np.array(out)


def _reference_gap(d: dict, w: np.ndarray, rates: list[str], ratio: bool) -> tuple[float, float]:
    """The gap's interval built from brute-force pieces: group-rate covariance from the
    finite-difference cluster derivatives, Korn–Graubard limits, MOVER (Zou & Donner 2008) for
    a difference and MOVER-R from its defining equation (root finding) for a ratio."""
    pairs = []
    for rate in rates:
        p = _group_rates(d, w, rate)
        z = np.empty((K, 2))
        for k in range(K):
            up, down = w.copy(), w.copy()
            up[d["ids"] == k] *= 1 + 1e-6
            down[d["ids"] == k] *= 1 - 1e-6
            z[k] = (_group_rates(d, up, rate) - _group_rates(d, down, rate)) / 2e-6
        cov = K / (K - 1) * z.T @ z
        rho = cov[0, 1] / math.sqrt(cov[0, 0] * cov[1, 1])
        assert abs(rho) > 0.01  # the clusters hold both groups: the covariance is in play
        keep = {"sel": np.ones_like(d["y"], bool), "tpr": d["y"] == 1, "fpr": d["y"] == 0}[rate]
        n_rows = [int((keep & (d["g"] == g)).sum()) for g in ("big", "small")]
        k_g = [np.unique(d["ids"][keep & (d["g"] == g)]).size for g in ("big", "small")]
        pairs.append((p, cov, rho, n_rows, k_g))

    def limits(level: float) -> list[tuple[float, float]]:
        out = []
        for p, cov, rho, n_rows, k_g in pairs:
            lim = [
                effective_proportion_interval(
                    p[i], cov[i, i], n_rows[i], k_g[i], level, method="clopper-pearson"
                )[0]
                for i in (0, 1)
            ]
            (l1, u1), (l2, u2) = (lim[0].low, lim[0].high), (lim[1].low, lim[1].high)
            if not ratio:
                d_ = p[0] - p[1]
                lo = d_ - math.sqrt(
                    (p[0] - l1) ** 2 + (u2 - p[1]) ** 2 - 2 * rho * (p[0] - l1) * (u2 - p[1])
                )
                hi = d_ + math.sqrt(
                    (u1 - p[0]) ** 2 + (p[1] - l2) ** 2 - 2 * rho * (u1 - p[0]) * (p[1] - l2)
                )
                out.append((max(lo, -hi, 0.0), max(hi, -lo)))
                continue

            def upper_d(t: float) -> float:  # MOVER upper limit of p1 − θ p2
                a, b = u1 - p[0], t * (p[1] - l2)
                return p[0] - t * p[1] + math.sqrt(a * a + b * b - 2 * rho * a * b)

            def lower_d(t: float) -> float:
                a, b = p[0] - l1, t * (u2 - p[1])
                return p[0] - t * p[1] - math.sqrt(a * a + b * b - 2 * rho * a * b)

            theta = p[0] / p[1]
            lo = optimize.brentq(lower_d, 1e-9, theta)
            hi = optimize.brentq(upper_d, theta, 1e3)
            # min/max of the two groups' rates: the ratio folded at 1
            if lo >= 1:
                out.append((1 / hi, 1 / lo))
            elif hi <= 1:
                out.append((lo, hi))
            else:
                out.append((min(lo, 1 / hi), 1.0))
        return out

    m = len(rates)
    at, corrected = limits(0.95), limits(1 - 0.05 / m)
    if ratio:
        return min(a[0] for a in at), min(c[1] for c in corrected)
    return max(c[0] for c in corrected), max(a[1] for a in at)


@pytest.mark.parametrize(
    ("name", "rates", "weighted"),
    [
        ("demographic_parity_difference", ["sel"], False),
        ("equalized_odds_difference", ["tpr", "fpr"], True),
        ("demographic_parity_ratio", ["sel"], True),
        ("equalized_odds_ratio", ["tpr", "fpr"], False),
    ],
)
def test_gap_interval_from_brute_force_pieces(rows, name, rates, weighted: bool) -> None:
    w = rows["w"] if weighted else np.ones(rows["y"].size)
    got = _ev(rows, weighted=weighted).fairness(name, "g")
    sw = rows["w"] if weighted else None
    want = getattr(flm, name)(rows["y"], rows["p1"], sensitive_features=rows["g"], sample_weight=sw)
    assert got.value == pytest.approx(want, abs=1e-12)  # fairlearn's sample_weight gap
    assert got.interval.method == "pairwise-mover-cp-deff-holm"
    low, high = _reference_gap(rows, w, rates, name.endswith("ratio"))
    assert (got.interval.low, got.interval.high) == pytest.approx((low, high), abs=1e-5)


def test_mover_r_without_correlation_is_donner_zou() -> None:
    """Donner & Zou (2012), eq. for independent estimates, against the quadratic's roots."""
    rng = np.random.default_rng(3)
    p1, p2 = rng.uniform(0.2, 0.8, 50), rng.uniform(0.2, 0.8, 50)
    l1, u1 = p1 - rng.uniform(0.01, 0.15, 50), p1 + rng.uniform(0.01, 0.15, 50)
    l2, u2 = p2 - rng.uniform(0.01, 0.15, 50), p2 + rng.uniform(0.01, 0.15, 50)
    low, high = _mover_ratio(p1, l1, u1, p2, l2, u2, np.zeros(50))
    dz_low = (p1 * p2 - np.sqrt((p1 * p2) ** 2 - l1 * u2 * (2 * p1 - l1) * (2 * p2 - u2))) / (
        u2 * (2 * p2 - u2)
    )
    dz_high = (p1 * p2 + np.sqrt((p1 * p2) ** 2 - u1 * l2 * (2 * p1 - u1) * (2 * p2 - l2))) / (
        l2 * (2 * p2 - l2)
    )
    assert low == pytest.approx(dz_low, rel=1e-9)
    assert high == pytest.approx(dz_high, rel=1e-9)
    # and MOVER for a difference with correlation 0 is Newcombe's square-and-add
    lo, hi = mover_difference_correlated(p1, l1, u1, p2, l2, u2, np.zeros(50))
    assert lo == pytest.approx(p1 - p2 - np.hypot(p1 - l1, u2 - p2))
    assert hi == pytest.approx(p1 - p2 + np.hypot(u1 - p1, p2 - l2))


def test_a_group_in_few_clusters_is_inconclusive(rows) -> None:
    g = np.where(rows["ids"] < 8, "small", "big")  # the small group lies in 8 clusters
    ev = evaluate(rows["y"], rows["p1"], cluster=rows["ids"], sensitive={"g": g})
    got = ev.fairness("demographic_parity_difference", "g")
    assert not got.interval.is_defined
    assert "fewer than 20 clusters" in got.note and "'g=small' (8)" in got.note
    (result,) = ev.check(fairness="demographic_parity_difference", sensitive="g", max=0.2)
    assert result.verdict.value == "INCONCLUSIVE"


def test_yaml_and_api_agree_on_design_gaps_and_deltas(tmp_path, rows) -> None:
    frame = pd.DataFrame(
        {
            "y": rows["y"], "pred": rows["p1"], "score": rows["s1"], "base": rows["p2"],
            "site": [f"s{i}" for i in rows["ids"]], "w": rows["w"], "g": rows["g"],
        }
    )  # fmt: skip
    gates = [
        {"fairness": "equalized_odds_difference", "sensitive": "g", "max": 0.3},
        {"fairness": "demographic_parity_ratio", "sensitive": "g", "min": 0.7},
        {"metric": "precision", "compare": "baseline", "max_drop": 0.1},
        {"metric": "f1", "compare": "baseline", "max_drop": 0.1},
    ]
    spec = _spec(tmp_path, frame, {"cluster": "site", "weight": "w"}, gates, baseline="base")
    run = run_gates(spec)
    ev = evaluate(
        frame["y"], frame["pred"], frame["score"], baseline_pred=frame["base"],
        cluster=frame["site"], sample_weight=frame["w"], sensitive={"g": frame["g"]},
    )  # fmt: skip
    for result, gate in zip(run, gates, strict=True):
        (api,) = ev.check(**gate)
        assert result.verdict.value != "ERROR", result.message
        assert result.message == api.message
        assert result.interval == api.interval
        assert result.interval.method in ("pairwise-mover-cp-deff-holm", "paired-hall-t-cluster")


def test_metric_gap_of_a_proportion_is_design_based_and_other_metrics_refused(rows) -> None:
    ev = _ev(rows)
    got = ev.fairness("metric_difference", "g", metric="recall")
    want = flm.MetricFrame(
        metrics=skm.recall_score, y_true=rows["y"], y_pred=rows["p1"],
        sensitive_features=rows["g"], sample_params={"sample_weight": rows["w"]},
    ).difference()  # fmt: skip
    assert got.value == pytest.approx(want, abs=1e-12)
    assert got.interval.method == "pairwise-mover-cp-deff-holm"
    with pytest.raises(ModelgateError, match="no cluster-robust or weighted interval yet"):
        ev.fairness("metric_ratio", "g", metric="roc_auc")


def test_delta_ap_needs_thirty_clusters(rows) -> None:
    """ΔAP over 20 clusters passed falsely 4.0% (validity matrix): below 30 it is undefined."""
    ev = evaluate(
        rows["y"], None, rows["s1"], baseline_score=rows["s2"], cluster=rows["ids"] % 25
    )  # fmt: skip
    got = ev.compare("average_precision")
    assert not got.interval.is_defined and "at least 30 are needed" in got.note
    assert ev.compare("roc_auc").interval.is_defined
