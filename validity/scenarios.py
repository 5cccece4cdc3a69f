"""Populations with an exactly known metric, and the matrix of scenarios drawn from them.

Every generator draws one test set from a population whose metric value (the *truth*) is known
exactly: by construction (a Bernoulli rate, a binormal AUC), in closed form (Brier score and log
loss of a calibrated Beta model, moments of a lognormal), or by one-time numerical integration
whose result is cached below as a constant next to the code that produced it. ``derive_truths``
recomputes every constant and ``verify_truths_by_simulation`` checks the generators against the
truths with 10⁷ draws (``python -m validity --check-truths``).

The bar of every gate is set exactly at the truth, so the gate's error is measurable: a
``strict`` gate must not PASS more than (1 − confidence)/2 of the time, a ``lenient`` gate must
not FAIL more than that.

Sampling designs (what is fixed, what is random) are part of each scenario's regime text:

- class counts are **fixed** where the metric conditions on them (recall: positives; ROC AUC and
  the compare gates: positives and negatives) — a gate must be valid for the test set the user
  has, whatever its class counts;
- rows are i.i.d. (labels random) for accuracy, losses, slices (slice sizes fixed) and fairness
  (group sizes fixed, labels Bernoulli(0.2) within each group: "positives" are expected counts);
- clustered rows share a cluster-level success rate drawn from a Beta distribution with the
  stated intra-cluster correlation (ICC).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import special

__all__ = [
    "SCENARIOS",
    "TRUTHS",
    "Check",
    "Sample",
    "Scenario",
    "all_scenarios",
    "derive_truths",
    "generate",
    "verify_truths_by_simulation",
]

# --------------------------------------------------------------------------------------------
# truths
# --------------------------------------------------------------------------------------------

#: Beta concentration κ of the calibrated probability model of the Brier / log-loss scenarios:
#: p ~ Beta(π κ, (1 − π) κ), y | p ~ Bernoulli(p), the model predicts p. κ = 4 gives a
#: useful, well-separated model (ROC AUC ≈ 0.80 at π = 0.5, 0.86 at π = 0.05).
LOSS_KAPPA = 4.0

#: Δlog_loss scenario: p ~ Beta(2, 6), y | p ~ Bernoulli(p); the baseline predicts p (calibrated),
#: the candidate the over-confident q = expit(t · logit(p)), with t chosen so that the candidate's
#: expected log loss exceeds the baseline's by exactly 0.05 (= E[KL(p ‖ q)]). Produced once by
#:
#:     def ekl(t, a=2.0, b=6.0):
#:         def f(p):
#:             q = special.expit(t * special.logit(p))
#:             kl = p * np.log(p / q) + (1 - p) * np.log((1 - p) / (1 - q))
#:             return stats.beta.pdf(p, a, b) * kl
#:         return integrate.quad(f, 0, 1, epsabs=1e-14, epsrel=1e-13, limit=500)[0]
#:     optimize.brentq(lambda t: ekl(t) - 0.05, 1.0, 10.0, xtol=1e-15, rtol=1e-15)
#:
#: (``derive_truths`` reruns it.)
DLOGLOSS_BETA = (2.0, 6.0)
DLOGLOSS_T = 1.7461083366524743
DLOGLOSS_DELTA = -0.05

#: Fairness populations: group → (TPR, FPR), labels Bernoulli(FAIR_PREVALENCE) in every group.
FAIR_PREVALENCE = 0.2
FAIR_POPULATIONS: dict[str, dict[str, tuple[float, float]]] = {
    # equalized odds: |ΔTPR| = |ΔFPR| = 0.10, the kink where both components tie;
    # demographic parity: selection rates 0.2·0.8 + 0.8·0.1 = 0.24 vs 0.2·0.7 + 0.8·0.2 = 0.30
    "tie": {"big": (0.8, 0.1), "small": (0.7, 0.2)},
    # equalized odds set by ΔTPR = 0.10 alone (ΔFPR = 0); demographic parity 0.02
    "tpr-only": {"big": (0.8, 0.1), "small": (0.7, 0.1)},
}
FAIR_BIG_ROWS = 1000


def brier_truth(prevalence: float, kappa: float = LOSS_KAPPA) -> float:
    """E[(p − y)²] = E[p(1 − p)] = π(1 − π) κ / (κ + 1) for p ~ Beta(πκ, (1 − π)κ)."""
    return prevalence * (1 - prevalence) * kappa / (kappa + 1)


def log_loss_truth(prevalence: float, kappa: float = LOSS_KAPPA) -> float:
    """E[−p ln p − (1 − p) ln(1 − p)] for p ~ Beta(a, b), a = πκ, b = (1 − π)κ:
    E[p ln p] = π (ψ(a + 1) − ψ(κ + 1)), E[(1 − p) ln(1 − p)] = (1 − π)(ψ(b + 1) − ψ(κ + 1))."""
    a, b = prevalence * kappa, (1 - prevalence) * kappa
    psi = special.digamma
    return float(
        -(
            prevalence * (psi(a + 1) - psi(kappa + 1))
            + (1 - prevalence) * (psi(b + 1) - psi(kappa + 1))
        )
    )


def fair_truth(population: str, name: str) -> float:
    """The population gap: DP from the selection rates π·TPR + (1 − π)·FPR; EO as fairlearn's
    max(|ΔTPR|, |ΔFPR|)."""
    groups = FAIR_POPULATIONS[population]
    (t1, f1), (t2, f2) = groups["big"], groups["small"]
    if name == "demographic_parity_difference":
        pi = FAIR_PREVALENCE
        return abs((pi * t1 + (1 - pi) * f1) - (pi * t2 + (1 - pi) * f2))
    if name == "equalized_odds_difference":
        return max(abs(t1 - t2), abs(f1 - f2))
    raise KeyError(name)


#: Every non-trivial truth, cached. Keys: (family, parameters). Produced by ``derive_truths()``
#: (closed forms above; printed with repr and pasted here); ``--check-truths`` recomputes them
#: and draws 10⁷ rows from each generator to confirm the generator matches its truth.
TRUTHS: dict[str, float] = {
    # brier_truth(π) with κ = 4 (and κ = 10 for the issue #13 settings)
    "brier_score@0.01": 0.00792,
    "brier_score@0.05": 0.038,
    "brier_score@0.2": 0.128,
    "brier_score@0.5": 0.2,
    "brier_score@0.05/kappa10": 0.04318181818181818,
    # log_loss_truth(π) with κ = 4 (and κ = 10)
    "log_loss@0.01": 0.02899718376198699,
    "log_loss@0.05": 0.13276430956874924,
    "log_loss@0.2": 0.4000482687437482,
    "log_loss@0.5": 0.5833333333333331,
    "log_loss@0.05/kappa10": 0.16207710778499043,
    # lognormal |error| = exp(σ Z): MAE = exp(σ²/2), RMSE = sqrt(E[exp(2σZ)]) = exp(σ²)
    "mae@0.5": 1.1331484530668263,
    "mae@1": 1.6487212707001282,
    "rmse@0.5": 1.2840254166877414,
    "rmse@1": 2.718281828459045,
    # fairness gaps (decimal arithmetic on FAIR_POPULATIONS; fair_truth agrees to 1e-16)
    "demographic_parity_difference@tie": 0.06,
    "equalized_odds_difference@tie": 0.1,
    "demographic_parity_difference@tpr-only": 0.02,
    "equalized_odds_difference@tpr-only": 0.1,
}


def derive_truths(solve: bool = True) -> dict[str, float]:
    """Recompute every cached truth (and, with ``solve``, the Δlog-loss temperature by root
    finding) from first principles."""
    out: dict[str, float] = {}
    for pi in (0.01, 0.05, 0.2, 0.5):
        out[f"brier_score@{pi:g}"] = brier_truth(pi)
        out[f"log_loss@{pi:g}"] = log_loss_truth(pi)
    out["brier_score@0.05/kappa10"] = brier_truth(0.05, 10.0)
    out["log_loss@0.05/kappa10"] = log_loss_truth(0.05, 10.0)
    for sigma in (0.5, 1.0):
        out[f"mae@{sigma:g}"] = math.exp(sigma**2 / 2)
        out[f"rmse@{sigma:g}"] = math.exp(sigma**2)
    for pop in FAIR_POPULATIONS:
        for name in ("demographic_parity_difference", "equalized_odds_difference"):
            out[f"{name}@{pop}"] = fair_truth(pop, name)
    if solve:
        out["dlogloss_t"] = _derive_dlogloss_t()
    return out


def expected_kl(t: float, a: float, b: float) -> float:
    """E[KL(p ‖ expit(t·logit p))] for p ~ Beta(a, b): the candidate's excess expected log loss."""
    import warnings

    from scipy import integrate, stats

    def f(p: float) -> float:
        q = special.expit(t * special.logit(p))
        with np.errstate(divide="ignore", invalid="ignore"):
            v = p * np.log(p / q) + (1 - p) * np.log((1 - p) / (1 - q))
        return float(stats.beta.pdf(p, a, b) * v) if np.isfinite(v) else 0.0

    with warnings.catch_warnings():  # quad reports round-off at the requested 1e-13
        warnings.simplefilter("ignore", integrate.IntegrationWarning)
        return float(integrate.quad(f, 0, 1, epsabs=1e-14, epsrel=1e-13, limit=500)[0])


def _derive_dlogloss_t() -> float:
    from scipy import optimize

    a, b = DLOGLOSS_BETA
    return float(
        optimize.brentq(
            lambda t: expected_kl(t, a, b) + DLOGLOSS_DELTA, 1.0, 10.0, xtol=1e-15, rtol=1e-15
        )
    )


# --------------------------------------------------------------------------------------------
# samples and scenarios
# --------------------------------------------------------------------------------------------


@dataclass
class Sample:
    """One simulated test set, in the shapes ``evaluate()`` takes."""

    y_true: np.ndarray
    y_pred: np.ndarray | None = None
    y_score: np.ndarray | None = None
    baseline_pred: np.ndarray | None = None
    baseline_score: np.ndarray | None = None
    sensitive: dict[str, np.ndarray] | None = None
    #: cluster id of each row; passed as ``evaluate(..., cluster=...)`` only when the installed
    #: ``evaluate`` accepts a ``cluster`` parameter (issue #13 asks for it)
    cluster: np.ndarray | None = None
    #: the class of each score column (multiclass ``y_score``), passed as ``classes=`` (#19)
    classes: list[Any] | None = None
    #: sampling weight of each row (``evaluate(..., sample_weight=...)``), or None
    sample_weight: np.ndarray | None = None


@dataclass(frozen=True)
class Check:
    """One row of the matrix: a gate judged on every draw of its scenario.

    ``rule``: ``strict-min``, ``lenient-min``, ``strict-max``, ``lenient-max`` (threshold,
    compare and fairness gates), ``slices-strict``, ``slices-lenient`` (Holm). The bar is the
    truth (for compare gates: −max_drop = the true Δ).
    """

    key: str
    gate: str  # group heading in the report
    metric: str
    rule: str
    truth: float
    bar: float
    issue: str | None = None  # the rate measured in issue #13's table for this setting


@dataclass(frozen=True)
class Scenario:
    id: str
    family: str
    regime: str
    params: dict[str, Any] = field(hash=False)
    checks: tuple[Check, ...]
    quick: bool = False  # part of ``--quick``
    cost: float = 1.0  # about the CPU ms of one replication (scheduling only)
    exact: bool = False  # a binomial cell whose rate is also computed exactly by enumeration


def _pair(
    gate_kind: str,
    metric: str,
    truth: float,
    side: str,
    *,
    strict_issue: str | None = None,
    lenient_issue: str | None = None,
    key_prefix: str = "",
) -> tuple[Check, Check]:
    """The strict and the lenient gate at the same bar (both judged on the same draws)."""
    return (
        Check(
            f"{key_prefix}strict",
            f"{gate_kind} — strict",
            metric,
            f"strict-{side}",
            truth,
            truth,
            strict_issue,
        ),
        Check(
            f"{key_prefix}lenient",
            f"{gate_kind} — lenient",
            metric,
            f"lenient-{side}",
            truth,
            truth,
            lenient_issue,
        ),
    )


# --- generators ---------------------------------------------------------------------------------


def _accuracy(rng: np.random.Generator, p: dict[str, Any]) -> Sample:
    n, rate = p["n"], p["p"]
    y = rng.integers(0, 2, n)
    correct = rng.random(n) < rate
    return Sample(y, np.where(correct, y, 1 - y))


def _recall(rng: np.random.Generator, p: dict[str, Any]) -> Sample:
    n_pos, rate = p["n_pos"], p["p"]
    n_neg = 2 * n_pos
    y = np.r_[np.ones(n_pos, np.int64), np.zeros(n_neg, np.int64)]
    pred = np.r_[rng.random(n_pos) < rate, rng.random(n_neg) < 0.1].astype(np.int64)
    return Sample(y, pred)


def _binormal(rng: np.random.Generator, p: dict[str, Any]) -> Sample:
    """Scores N(0, 1) for negatives and N(d, 1) for positives: AUC = Φ(d / √2) exactly."""
    n_pos, n_neg = p["n_pos"], p["n_neg"]
    d = math.sqrt(2) * float(special.ndtri(p["auc"]))
    y = np.r_[np.ones(n_pos, np.int64), np.zeros(n_neg, np.int64)]
    s = np.r_[rng.standard_normal(n_pos) + d, rng.standard_normal(n_neg)]
    return Sample(y, None, s)


def _exponential(rng: np.random.Generator, p: dict[str, Any]) -> Sample:
    """Scores Exp(mean 1) for negatives and Exp(mean μ) for positives: AUC = μ / (1 + μ)
    exactly, so μ = AUC / (1 − AUC). Heavily skewed, unlike the binormal model."""
    n_pos, n_neg = p["n_pos"], p["n_neg"]
    mu = p["auc"] / (1 - p["auc"])
    y = np.r_[np.ones(n_pos, np.int64), np.zeros(n_neg, np.int64)]
    s = np.r_[rng.exponential(mu, n_pos), rng.exponential(1.0, n_neg)]
    return Sample(y, None, s)


def _calibrated_beta(rng: np.random.Generator, p: dict[str, Any]) -> Sample:
    pi, n, kappa = p["prevalence"], p["n"], p.get("kappa", LOSS_KAPPA)
    prob = rng.beta(pi * kappa, (1 - pi) * kappa, n)
    y = (rng.random(n) < prob).astype(np.int64)
    return Sample(y, None, prob)


def _lognormal_errors(rng: np.random.Generator, p: dict[str, Any]) -> Sample:
    n, sigma = p["n"], p["sigma"]
    y = rng.standard_normal(n) * 3.0 + 10.0
    err = np.exp(sigma * rng.standard_normal(n)) * rng.choice([-1.0, 1.0], n)
    return Sample(y, y + err)


#: paired correctness of (baseline, candidate) on every row, whatever its class:
#: both right .75, baseline only .10, candidate only .05, neither .10 → accuracy .85 vs .80,
#: so Δaccuracy = Δrecall = −0.05 exactly (recall: the same rates on the positives)
PAIRED_CELLS = {"both": 0.75, "baseline_only": 0.10, "candidate_only": 0.05, "neither": 0.10}


def _paired_labels(rng: np.random.Generator, p: dict[str, Any]) -> Sample:
    n_pos = p["n_pos"]
    n = n_pos * 5  # 4 negatives per positive
    y = np.r_[np.ones(n_pos, np.int64), np.zeros(n - n_pos, np.int64)]
    probs = np.array(list(PAIRED_CELLS.values()))
    cell = rng.choice(4, size=n, p=probs)
    base_right = (cell == 0) | (cell == 1)
    cand_right = (cell == 0) | (cell == 2)
    return Sample(
        y,
        np.where(cand_right, y, 1 - y),
        baseline_pred=np.where(base_right, y, 1 - y),
    )


def _paired_binormal(rng: np.random.Generator, p: dict[str, Any]) -> Sample:
    """Two models' scores, correlated ρ = 0.5 within each class: baseline AUC 0.85, candidate
    0.80 (each binormal with unit variances), so ΔAUC = −0.05 exactly."""
    n_pos = p["n_pos"]
    n_neg = 4 * n_pos
    rho = 0.5
    d_b = math.sqrt(2) * float(special.ndtri(0.85))
    d_c = math.sqrt(2) * float(special.ndtri(0.80))
    n = n_pos + n_neg
    z1 = rng.standard_normal(n)
    z2 = rho * z1 + math.sqrt(1 - rho**2) * rng.standard_normal(n)
    y = np.r_[np.ones(n_pos, np.int64), np.zeros(n_neg, np.int64)]
    return Sample(y, None, z2 + d_c * y, baseline_score=z1 + d_b * y)


def _paired_logloss(rng: np.random.Generator, p: dict[str, Any]) -> Sample:
    n = p["n"]
    a, b = DLOGLOSS_BETA
    prob = rng.beta(a, b, n)
    y = (rng.random(n) < prob).astype(np.int64)
    q = special.expit(DLOGLOSS_T * special.logit(prob))
    return Sample(y, None, q, baseline_score=prob)


def _slices(rng: np.random.Generator, p: dict[str, Any]) -> Sample:
    k, m, rate = p["k"], p["n"], p["p"]
    n = k * m
    y = rng.integers(0, 2, n)
    correct = rng.random(n) < rate
    labels = np.array([f"s{i:02d}" for i in range(k)], dtype=object)  # str: cheapest to slice
    return Sample(y, np.where(correct, y, 1 - y), sensitive={"s": np.repeat(labels, m)})


def _fairness(rng: np.random.Generator, p: dict[str, Any]) -> Sample:
    rates = FAIR_POPULATIONS[p["population"]]
    n_small = round(p["small_pos"] / FAIR_PREVALENCE)
    sizes = {"big": FAIR_BIG_ROWS, "small": n_small}
    ys, preds, groups = [], [], []
    for g, (tpr, fpr) in rates.items():
        m = sizes[g]
        y = (rng.random(m) < FAIR_PREVALENCE).astype(np.int64)
        pred = (rng.random(m) < np.where(y == 1, tpr, fpr)).astype(np.int64)
        ys.append(y)
        preds.append(pred)
        groups.append(np.full(m, g))
    return Sample(
        np.concatenate(ys), np.concatenate(preds), sensitive={"g": np.concatenate(groups)}
    )


def _clustered(rng: np.random.Generator, p: dict[str, Any]) -> Sample:
    """Cluster j has success rate p_j ~ Beta(μ(1/ρ − 1), (1 − μ)(1/ρ − 1)) (ICC ρ; ρ = 0: i.i.d.);
    its rows are correct with probability p_j. Population accuracy E[p_j] = μ exactly."""
    clusters, m, icc, mu = p["clusters"], p["size"], p["icc"], p["p"]
    if icc > 0:
        s = 1 / icc - 1
        pj = rng.beta(mu * s, (1 - mu) * s, clusters)
    else:
        pj = np.full(clusters, mu)
    ids = np.repeat(np.arange(clusters), m)
    n = clusters * m
    y = rng.integers(0, 2, n)
    correct = rng.random(n) < pj[ids]
    pred = np.where(correct, y, 1 - y)
    # a two-valued score (0.8 on the predicted class): ROC AUC = μ and Brier score
    # μ·0.2² + (1 − μ)·0.8² exactly, both clustered like the accuracy
    score = np.where(pred == 1, CLUSTER_SCORE, 1 - CLUSTER_SCORE)
    return Sample(y, pred, score, cluster=ids)


CLUSTER_SCORE = 0.8


def clustered_truths(mu: float) -> dict[str, float]:
    """Population values of the clustered scenarios' metrics (y ~ Bernoulli(1/2) independent of
    the cluster, each row correct with its cluster's rate, population mean μ)."""
    q = CLUSTER_SCORE
    return {
        "accuracy": mu,
        "f1": mu,  # E[tp] = μ/2, E[fp] = E[fn] = (1 − μ)/2
        "roc_auc": mu,  # P(both right) + ½ P(a tie) = μ² + ½ · 2μ(1 − μ)
        "brier_score": mu * (1 - q) ** 2 + (1 - mu) * q**2,
    }


GENERATORS: dict[str, Callable[[np.random.Generator, dict[str, Any]], Sample]] = {
    "accuracy": _accuracy,
    "recall": _recall,
    "auc": _binormal,
    "auc-exp": _exponential,
    "loss": _calibrated_beta,
    "regression": _lognormal_errors,
    "compare-counts": _paired_labels,
    "compare-auc": _paired_binormal,
    "compare-logloss": _paired_logloss,
    "slices": _slices,
    "fairness": _fairness,
    "clustered": _clustered,
}


def generate(scenario: Scenario, rng: np.random.Generator) -> Sample:
    return GENERATORS[scenario.family](rng, scenario.params)


# --- the matrix -----------------------------------------------------------------------------------

# the settings of issue #13's table, keyed by (scenario id, check key)
ISSUE_TABLE: dict[tuple[str, str], str] = {
    ("auc/0.95/pos5/neg1000", "strict"): "24%",
    ("auc/0.95/pos10/neg1000", "strict"): "15%",
    ("auc/0.95/pos20/neg1000", "strict"): "9.6%",
    ("auc/0.99/pos30", "strict"): "9.3%",
    ("loss/pi0.05/n100", "brier_score/strict"): "8.5%",
    ("loss/pi0.05/n200", "log_loss/strict"): "7.7%",
    ("loss/pi0.05/n100/kappa10", "brier_score/strict"): "8.5%",
    ("loss/pi0.05/n200/kappa10", "log_loss/strict"): "7.7%",
    ("compare-counts/pos20", "recall/strict"): "15.8%",
    ("compare-counts/pos60", "recall/strict"): "4.9%",
    ("compare-logloss/n300", "log_loss/strict"): "5.8%",
    ("slices/k10/n50/p0.8", "slices-lenient"): "4.0–5.7%",
    ("slices/k10/n200/p0.8", "slices-lenient"): "4.0–5.7%",
    ("slices/k10/n50/p0.95", "slices-lenient"): "4.0–5.7%",
    ("slices/k10/n200/p0.95", "slices-lenient"): "4.0–5.7%",
    ("fairness/tie/pos15", "equalized_odds_difference/lenient"): "4.0–7.7%",
    ("fairness/tpr-only/pos15", "equalized_odds_difference/lenient"): "4.0–7.7%",
    ("accuracy/n50/p0.99", "lenient"): "8.9%",
}

QUICK = {
    "accuracy/n50/p0.99",
    "accuracy/n200/p0.8",
    "recall/pos20/p0.7",
    "auc/0.95/pos5/neg1000",
    "auc/0.95/pos20",
    "auc-exp/0.95/pos30",
    "auc/0.8/pos100",
    "loss/pi0.05/n100",
    "loss/pi0.5/n200",
    "regression/sigma1/n100",
    "compare-counts/pos20",
    "compare-auc/pos60",
    "compare-logloss/n300",
    "slices/k10/n50/p0.8",
    "fairness/tie/pos15",
    "clustered/icc0.3/m10",
}


def _with_issue(scenario_id: str, checks: tuple[Check, ...]) -> tuple[Check, ...]:
    out = []
    for c in checks:
        ref = ISSUE_TABLE.get((scenario_id, c.key))
        out.append(Check(c.key, c.gate, c.metric, c.rule, c.truth, c.bar, ref) if ref else c)
    return tuple(out)


def all_scenarios() -> list[Scenario]:
    out: list[Scenario] = []

    def add(
        sid: str, family: str, regime: str, params: dict[str, Any], checks, cost=1.0, exact=False
    ):
        out.append(
            Scenario(
                sid,
                family,
                regime,
                params,
                _with_issue(sid, tuple(checks)),
                sid in QUICK,
                cost,
                exact,
            )
        )

    # proportions on the Wilson path
    for n in (20, 50, 200, 2000):
        for rate in (0.5, 0.8, 0.95, 0.99):
            add(
                f"accuracy/n{n}/p{rate:g}",
                "accuracy",
                f"n = {n}, accuracy {rate:g}, i.i.d. rows",
                {"n": n, "p": rate},
                _pair("threshold min", "accuracy", rate, "min"),
                2.5 + n / 400,
                True,
            )
    for n_pos in (20, 50, 200, 2000):
        for rate in (0.7, 0.95):
            add(
                f"recall/pos{n_pos}/p{rate:g}",
                "recall",
                f"{n_pos} positives (fixed), {2 * n_pos} negatives, recall {rate:g}",
                {"n_pos": n_pos, "p": rate},
                _pair("threshold min", "recall", rate, "min"),
                3.0 + n_pos / 400,
                True,
            )
    # ROC AUC, binormal scores, 9 negatives per positive
    for auc in (0.6, 0.8, 0.95, 0.99, 0.995):
        for n_pos in (5, 10, 20, 30, 100, 1000):
            add(
                f"auc/{auc:g}/pos{n_pos}",
                "auc",
                f"AUC {auc:g}, {n_pos} positives / {9 * n_pos} negatives (fixed), binormal",
                {"auc": auc, "n_pos": n_pos, "n_neg": 9 * n_pos},
                _pair("threshold min", "roc_auc", auc, "min"),
                3.0 + n_pos / 500,
            )
    # issue #13's ROC AUC settings: 1000 negatives reproduce its measured rates (24 / 15 / 9.6%
    # are matched by binormal scores with ~1000 negatives; 9× negatives err far less)
    for n_pos in (5, 10, 20):
        add(
            f"auc/0.95/pos{n_pos}/neg1000",
            "auc",
            f"AUC 0.95, {n_pos} positives / 1000 negatives (fixed), binormal",
            {"auc": 0.95, "n_pos": n_pos, "n_neg": 1000},
            _pair("threshold min", "roc_auc", 0.95, "min"),
            3.5,
        )
    # exponential scores (skewed)
    for auc in (0.8, 0.95, 0.99):
        for n_pos in (10, 30, 100):
            add(
                f"auc-exp/{auc:g}/pos{n_pos}",
                "auc-exp",
                f"AUC {auc:g}, {n_pos} positives / {9 * n_pos} negatives (fixed), exponential",
                {"auc": auc, "n_pos": n_pos, "n_neg": 9 * n_pos},
                _pair("threshold min", "roc_auc", auc, "min"),
                3.0 + n_pos / 500,
            )
    # mean losses of a calibrated Beta model
    for pi in (0.01, 0.05, 0.2, 0.5):
        for n in (100, 200, 1000):
            checks = []
            for metric in ("brier_score", "log_loss"):
                truth = TRUTHS[f"{metric}@{pi:g}"]
                checks += _pair("threshold max", metric, truth, "max", key_prefix=f"{metric}/")
            add(
                f"loss/pi{pi:g}/n{n}",
                "loss",
                f"prevalence {pi:g}, n = {n}, p ~ Beta({pi * LOSS_KAPPA:g}, "
                f"{(1 - pi) * LOSS_KAPPA:g}), calibrated",
                {"prevalence": pi, "n": n},
                checks,
                3.0,
            )
    # issue #13's Brier / log-loss settings do not state the model: also a less separated one
    for n in (100, 200):
        checks = []
        for metric in ("brier_score", "log_loss"):
            truth = TRUTHS[f"{metric}@0.05/kappa10"]
            checks += _pair("threshold max", metric, truth, "max", key_prefix=f"{metric}/")
        add(
            f"loss/pi0.05/n{n}/kappa10",
            "loss",
            f"prevalence 0.05, n = {n}, p ~ Beta(0.5, 9.5), calibrated",
            {"prevalence": 0.05, "n": n, "kappa": 10.0},
            checks,
            3.0,
        )
    # regression errors with lognormal magnitude
    for sigma in (0.5, 1.0):
        for n in (30, 100, 1000):
            checks = []
            for metric in ("mae", "rmse"):
                truth = TRUTHS[f"{metric}@{sigma:g}"]
                checks += _pair("threshold max", metric, truth, "max", key_prefix=f"{metric}/")
            add(
                f"regression/sigma{sigma:g}/n{n}",
                "regression",
                f"n = {n}, error magnitude ~ LogNormal(0, {sigma:g}²), random sign",
                {"n": n, "sigma": sigma},
                checks,
                3.0,
            )
    # compare gates: truth Δ = −0.05 = −max_drop
    for n_pos in (20, 60, 500):
        checks = []
        for metric in ("accuracy", "recall"):
            checks += _pair(
                "compare (max_drop 0.05)", metric, DLOGLOSS_DELTA, "min", key_prefix=f"{metric}/"
            )
        add(
            f"compare-counts/pos{n_pos}",
            "compare-counts",
            f"{n_pos} positives / {4 * n_pos} negatives (fixed), baseline right 85%, candidate 80% "
            "on every row (discordant 10% / 5%)",
            {"n_pos": n_pos},
            checks,
            11.0,
        )
    for n_pos in (20, 60, 500):
        add(
            f"compare-auc/pos{n_pos}",
            "compare-auc",
            f"{n_pos} positives / {4 * n_pos} negatives (fixed), AUC 0.85 vs 0.80, "
            "within-class score correlation 0.5",
            {"n_pos": n_pos},
            _pair(
                "compare (max_drop 0.05)", "roc_auc", DLOGLOSS_DELTA, "min", key_prefix="roc_auc/"
            ),
            4.0,
        )
    for n in (100, 300, 1000):
        add(
            f"compare-logloss/n{n}",
            "compare-logloss",
            f"n = {n}, p ~ Beta(2, 6), candidate over-confident (Δ E[log loss] = 0.05)",
            {"n": n},
            _pair(
                "compare (max_drop 0.05)", "log_loss", DLOGLOSS_DELTA, "min", key_prefix="log_loss/"
            ),
            3.0,
        )
    # slices, every slice at the bar
    for rate in (0.8, 0.95):
        for m in (50, 200):
            for k in (2, 5, 10, 20):
                add(
                    f"slices/k{k}/n{m}/p{rate:g}",
                    "slices",
                    f"{k} slices × {m} rows, accuracy {rate:g} in every slice",
                    {"k": k, "n": m, "p": rate},
                    (
                        Check(
                            "slices-strict",
                            "slices — strict (every slice must pass)",
                            "accuracy",
                            "slices-strict",
                            rate,
                            rate,
                        ),
                        Check(
                            "slices-lenient",
                            "slices — lenient (Holm)",
                            "accuracy",
                            "slices-lenient",
                            rate,
                            rate,
                        ),
                    ),
                    5.0 + 3.0 * k,
                )
    # fairness gaps: a group of 1000 rows vs a small group
    for pop in FAIR_POPULATIONS:
        for pos in (5, 15, 50):
            names = (
                ("demographic_parity_difference", "equalized_odds_difference")
                if pop == "tie"
                else ("equalized_odds_difference",)
            )
            checks = []
            for name in names:
                truth = TRUTHS[f"{name}@{pop}"]
                checks += _pair("fairness max", name, truth, "max", key_prefix=f"{name}/")
            tpr = FAIR_POPULATIONS[pop]
            add(
                f"fairness/{pop}/pos{pos}",
                "fairness",
                f"groups of {FAIR_BIG_ROWS} and {round(pos / FAIR_PREVALENCE)} rows (~{pos} "
                f"positives), (TPR, FPR) {tpr['big']} vs {tpr['small']}",
                {"population": pop, "small_pos": pos},
                checks,
                25.0,
            )
    # clustered rows: every gate twice on the same draws — with the cluster ids (cluster-robust
    # interval, keys without a prefix) and without them (the i.i.d. interval, keys "iid/...")
    truths = clustered_truths(0.8)

    def clustered_checks() -> list[Check]:
        checks: list[Check] = []
        for prefix, heading in (
            ("", "clustered rows"),
            ("iid/", "clustered rows, i.i.d. interval"),
        ):
            checks += _pair(f"{heading}, threshold min", "accuracy", 0.8, "min", key_prefix=prefix)
            for metric, side in (("f1", "min"), ("roc_auc", "min"), ("brier_score", "max")):
                t = truths[metric]
                checks.append(
                    Check(
                        f"{prefix}{metric}/strict",
                        f"{heading}, threshold {side} — strict",
                        metric,
                        f"strict-{side}",
                        t,
                        t,
                    )
                )
        return checks

    for icc in (0.0, 0.1, 0.3, 0.5):
        for size in (10, 50):
            if icc == 0.0 and size == 50:
                continue
            add(
                f"clustered/icc{icc:g}/m{size}",
                "clustered",
                f"40 clusters × {size} rows, ICC {icc:g}, accuracy 0.8"
                + (" (i.i.d. control)" if icc == 0 else ""),
                {"clusters": 40, "size": size, "icc": icc, "p": 0.8},
                clustered_checks(),
                8.0,
            )
    for clusters in (20, 100):  # the fewest clusters allowed, and many small clusters
        add(
            f"clustered/icc0.3/m10/k{clusters}",
            "clustered",
            f"{clusters} clusters × 10 rows, ICC 0.3, accuracy 0.8",
            {"clusters": clusters, "size": 10, "icc": 0.3, "p": 0.8},
            clustered_checks(),
            8.0,
        )
    return out


SCENARIOS: dict[str, Scenario] = {s.id: s for s in all_scenarios()}


# --- verification of the generators ---------------------------------------------------------------


def verify_truths_by_simulation(draws: int = 10_000_000, seed: int = 13) -> list[dict[str, Any]]:
    """Draw ``draws`` rows from each generator (one large sample, no API involved) and compare the
    population value with its truth; returns rows with the z-score of the difference."""
    rng = np.random.default_rng(seed)
    rows: list[dict[str, Any]] = []

    def add(
        name: str,
        truth: float,
        values: np.ndarray | None = None,
        est: float | None = None,
        se: float | None = None,
    ) -> None:
        if values is not None:
            est = float(values.mean())
            se = float(values.std(ddof=1) / math.sqrt(values.size))
        assert est is not None and se is not None
        rows.append(
            {
                "truth": name,
                "exact": truth,
                "simulated": est,
                "se": se,
                "z": (est - truth) / se if se > 0 else float("nan"),
            }
        )

    for pi in (0.01, 0.05, 0.2, 0.5):
        s = _calibrated_beta(rng, {"prevalence": pi, "n": draws})
        add(f"brier_score@{pi:g}", TRUTHS[f"brier_score@{pi:g}"], (s.y_score - s.y_true) ** 2)
        p_true = np.where(s.y_true == 1, s.y_score, 1 - s.y_score)
        eps = np.finfo(np.float64).eps
        add(f"log_loss@{pi:g}", TRUTHS[f"log_loss@{pi:g}"], -np.log(np.clip(p_true, eps, 1 - eps)))
    for sigma in (0.5, 1.0):
        s = _lognormal_errors(rng, {"n": draws, "sigma": sigma})
        err = s.y_pred - s.y_true
        add(f"mae@{sigma:g}", TRUTHS[f"mae@{sigma:g}"], np.abs(err))
        # RMSE: compare the mean squared error with RMSE² (the mean is what is estimable)
        add(f"rmse²@{sigma:g}", TRUTHS[f"rmse@{sigma:g}"] ** 2, err**2)
    for auc in (0.6, 0.95, 0.995):
        n_pos = draws // 10
        s = _binormal(rng, {"auc": auc, "n_pos": n_pos, "n_neg": draws - n_pos})
        from scipy import stats

        ranks = stats.rankdata(s.y_score)
        n1, n0 = n_pos, draws - n_pos
        est = (ranks[:n1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0)
        add(f"roc_auc@{auc:g}", auc, est=est, se=math.sqrt(auc * (1 - auc) / min(n1, n0)))
        s = _exponential(rng, {"auc": auc, "n_pos": n_pos, "n_neg": draws - n_pos})
        ranks = stats.rankdata(s.y_score)
        est = (ranks[:n1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0)
        add(
            f"roc_auc (exponential)@{auc:g}",
            auc,
            est=est,
            se=math.sqrt(auc * (1 - auc) / min(n1, n0)),
        )
    s = _paired_logloss(rng, {"n": draws})
    eps = np.finfo(np.float64).eps

    def ll(prob: np.ndarray) -> np.ndarray:
        pt = np.where(s.y_true == 1, prob, 1 - prob)
        return -np.log(np.clip(pt, eps, 1 - eps))

    add("Δlog_loss (baseline − candidate)", DLOGLOSS_DELTA, ll(s.baseline_score) - ll(s.y_score))
    s = _paired_labels(rng, {"n_pos": draws // 5})
    pos = s.y_true == 1
    right_c = (s.y_pred == s.y_true).astype(float)
    right_b = (s.baseline_pred == s.y_true).astype(float)
    add("Δaccuracy", DLOGLOSS_DELTA, right_c - right_b)
    add("Δrecall", DLOGLOSS_DELTA, (right_c - right_b)[pos])
    for pop in FAIR_POPULATIONS:
        rates = FAIR_POPULATIONS[pop]
        sel = {}
        for g, (tpr, fpr) in rates.items():
            m = draws // 2
            y = rng.random(m) < FAIR_PREVALENCE
            pred = rng.random(m) < np.where(y, tpr, fpr)
            sel[g] = (pred.mean(), pred[y].mean(), pred[~y].mean(), m)
        dp = abs(sel["big"][0] - sel["small"][0])
        se = math.sqrt(sum(v[0] * (1 - v[0]) / v[3] for v in sel.values()))
        add(
            f"demographic_parity_difference@{pop}",
            TRUTHS[f"demographic_parity_difference@{pop}"],
            est=dp,
            se=se,
        )
        eo = max(abs(sel["big"][1] - sel["small"][1]), abs(sel["big"][2] - sel["small"][2]))
        add(
            f"equalized_odds_difference@{pop}",
            TRUTHS[f"equalized_odds_difference@{pop}"],
            est=eo,
            se=math.sqrt(2 * 0.25 / (FAIR_PREVALENCE * draws / 2)),
        )
    for icc in (0.1, 0.5):
        clusters = draws // 50
        s = _clustered(rng, {"clusters": clusters, "size": 50, "icc": icc, "p": 0.8})
        right = (s.y_pred == s.y_true).astype(float)
        per_cluster = right.reshape(clusters, 50).mean(axis=1)
        add(
            f"clustered accuracy@icc{icc:g}",
            0.8,
            est=float(right.mean()),
            se=float(per_cluster.std(ddof=1) / math.sqrt(clusters)),
        )
        # the ICC itself: Var(p_j) / (μ(1 − μ)), estimated from the cluster means
        var_between = per_cluster.var(ddof=1) - 0.8 * 0.2 * (1 - icc) / 50
        rows.append(
            {
                "truth": f"ICC@{icc:g}",
                "exact": icc,
                "simulated": var_between / 0.16,
                "se": float("nan"),
                "z": float("nan"),
            }
        )
    return rows


# --------------------------------------------------------------------------------------------
# Appended block (issue #13, compare gates): paired rates where few rows are discordant, a rate
# where lower is better, precision (each model its own denominator) and log loss at n = 50.
# Kept apart from ``all_scenarios`` so that the matrix above is unchanged.
# --------------------------------------------------------------------------------------------

#: paired cells (both, candidate only, baseline only, neither) of each extra design, on the rows
#: of the rate's denominator; "success" is being right (accuracy) or predicting positive (rates)
COMPARE_RATE_DESIGNS: dict[str, dict[str, Any]] = {
    # 2% of rows discordant, concordant rows split evenly: Newcombe's method 10 passed 25%
    "accuracy-few-discordant": {"metric": "accuracy", "cells": (0.49, 0.005, 0.015, 0.49)},
    # fpr (lower is better) on the negatives: candidate 0.15, baseline 0.10
    "fpr": {"metric": "fpr", "cells": (0.05, 0.10, 0.05, 0.80)},
}

#: Δprecision design, i.i.d. rows with prevalence 0.3: per class, the paired cells (both
#: predict positive, candidate only, baseline only, neither); candidate precision
#: 0.24 / 0.345, baseline 0.24 / 0.31
COMPARE_PRECISION_CELLS = {1: (0.75, 0.05, 0.05, 0.15), 0: (0.08, 0.07, 0.02, 0.83)}
COMPARE_PRECISION_PREVALENCE = 0.3


def _precision_truth() -> float:
    pi = COMPARE_PRECISION_PREVALENCE
    pos, neg = COMPARE_PRECISION_CELLS[1], COMPARE_PRECISION_CELLS[0]
    tp_c, tp_b = pi * (pos[0] + pos[1]), pi * (pos[0] + pos[2])
    fp_c, fp_b = (1 - pi) * (neg[0] + neg[1]), (1 - pi) * (neg[0] + neg[2])
    return tp_c / (tp_c + fp_c) - tp_b / (tp_b + fp_b)


def _paired_indicators(rng: np.random.Generator, cells: tuple[float, ...], n: int):
    cell = rng.choice(4, size=n, p=np.asarray(cells))
    return (cell == 0) | (cell == 1), (cell == 0) | (cell == 2)  # candidate, baseline


def _paired_rate(rng: np.random.Generator, p: dict[str, Any]) -> Sample:
    design = COMPARE_RATE_DESIGNS[p["design"]]
    n = p["n"]
    if design["metric"] == "accuracy":
        y = rng.integers(0, 2, n)
        cand_right, base_right = _paired_indicators(rng, design["cells"], n)
        return Sample(
            y, np.where(cand_right, y, 1 - y), baseline_pred=np.where(base_right, y, 1 - y)
        )
    # fpr: n negatives (the denominator) and as many positives predicted right by both
    cand_fp, base_fp = _paired_indicators(rng, design["cells"], n)
    y = np.r_[np.zeros(n, np.int64), np.ones(n, np.int64)]
    ones = np.ones(n, np.int64)
    return Sample(
        y,
        np.r_[cand_fp.astype(np.int64), ones],
        baseline_pred=np.r_[base_fp.astype(np.int64), ones],
    )


def _paired_precision(rng: np.random.Generator, p: dict[str, Any]) -> Sample:
    n = p["n"]
    y = (rng.random(n) < COMPARE_PRECISION_PREVALENCE).astype(np.int64)
    cand, base = np.zeros(n, np.int64), np.zeros(n, np.int64)
    for label, cells in COMPARE_PRECISION_CELLS.items():
        rows = y == label
        c, b = _paired_indicators(rng, cells, int(rows.sum()))
        cand[rows], base[rows] = c, b
    return Sample(y, cand, baseline_pred=base)


GENERATORS["compare-rates"] = _paired_rate
GENERATORS["compare-precision"] = _paired_precision


def compare_extra_scenarios() -> list[Scenario]:
    out: list[Scenario] = []
    for design, rows_of in (("accuracy-few-discordant", "rows"), ("fpr", "negatives")):
        spec = COMPARE_RATE_DESIGNS[design]
        cells = spec["cells"]
        truth = cells[1] - cells[2]
        if spec["metric"] == "fpr":
            truth = -truth  # oriented: baseline − candidate (lower is better)
        margin = f"max_drop {-truth:g}"
        for n in (50, 300):
            out.append(
                Scenario(
                    f"compare-rates/{design}/n{n}",
                    "compare-rates",
                    f"{n} {rows_of} (fixed), paired cells both / candidate only / baseline "
                    f"only / neither = {' / '.join(f'{c:g}' for c in cells)}",
                    {"design": design, "n": n},
                    _pair(
                        f"compare ({margin})",
                        spec["metric"],
                        truth,
                        "min",
                        key_prefix=f"{spec['metric']}/",
                    ),
                    cost=3.0,
                )
            )
    truth = _precision_truth()
    for n in (200, 1000):
        out.append(
            Scenario(
                f"compare-precision/n{n}",
                "compare-precision",
                f"n = {n}, prevalence 0.3, i.i.d. rows; precision 0.696 vs 0.774 "
                "(fpr 0.15 vs 0.10, tpr 0.8 both)",
                {"n": n},
                _pair(
                    f"compare (max_drop {-truth:.4f})",
                    "precision",
                    truth,
                    "min",
                    key_prefix="precision/",
                ),
                cost=11.0,
            )
        )
    out.append(
        Scenario(
            "compare-logloss/n50",
            "compare-logloss",
            "n = 50, p ~ Beta(2, 6), candidate over-confident (Δ E[log loss] = 0.05)",
            {"n": 50},
            _pair(
                "compare (max_drop 0.05)", "log_loss", DLOGLOSS_DELTA, "min", key_prefix="log_loss/"
            ),
            cost=3.0,
        )
    )
    return out


SCENARIOS.update({s.id: s for s in compare_extra_scenarios()})


# --- clustered paired comparisons (compare: baseline with data.cluster) -----------------------
# The baseline is right on a row with its cluster's rate p_j ~ Beta (ICC ρ, mean 0.8); the
# candidate flips a right row to wrong with probability 0.10 and a wrong row to right with 0.15,
# independently of the cluster: Δaccuracy = Δrecall = −0.10·0.8 + 0.15·0.2 = −0.05 exactly, and
# the rows' contributions to Δ are correlated within a cluster through p_j.

CLUSTER_FLIP_LOSE, CLUSTER_FLIP_GAIN = 0.10, 0.15


def _clustered_paired(rng: np.random.Generator, p: dict[str, Any]) -> Sample:
    clusters, m, icc, mu = p["clusters"], p["size"], p["icc"], 0.8
    s = 1 / icc - 1
    pj = rng.beta(mu * s, (1 - mu) * s, clusters)
    ids = np.repeat(np.arange(clusters), m)
    n = clusters * m
    y = rng.integers(0, 2, n)
    base_right = rng.random(n) < pj[ids]
    u = rng.random(n)
    cand_right = np.where(base_right, u >= CLUSTER_FLIP_LOSE, u < CLUSTER_FLIP_GAIN)
    return Sample(
        y,
        np.where(cand_right, y, 1 - y),
        baseline_pred=np.where(base_right, y, 1 - y),
        cluster=ids,
    )


GENERATORS["compare-clustered"] = _clustered_paired


def clustered_compare_scenarios() -> list[Scenario]:
    out = []
    for clusters, size, icc in ((40, 10, 0.3), (40, 50, 0.5), (100, 10, 0.3)):
        checks: list[Check] = []
        for metric in ("accuracy", "recall"):
            checks += _pair(
                "compare (max_drop 0.05), clustered rows",
                metric,
                DLOGLOSS_DELTA,
                "min",
                key_prefix=f"{metric}/",
            )
        out.append(
            Scenario(
                f"compare-clustered/k{clusters}/m{size}/icc{icc:g}",
                "compare-clustered",
                f"{clusters} clusters × {size} rows, baseline right with its cluster's rate (ICC "
                f"{icc:g}, mean 0.8), candidate flips right→wrong 10%, wrong→right 15%",
                {"clusters": clusters, "size": size, "icc": icc},
                tuple(checks),
                cost=4.0,
            )
        )
    return out


SCENARIOS.update({s.id: s for s in clustered_compare_scenarios()})


# --- #19: prediction churn, per-class recall, macro one-vs-rest ROC AUC ---------------------------
# Churn: labels Bernoulli(0.5); the baseline is right with probability 0.85; the candidate turns
# a right row wrong with probability q and a wrong row right with probability 0.3, independently:
# the true negative_flip_rate is 0.85 q and the true flip_rate 0.85 q + 0.15 · 0.3.
# Per-class recall: 3 classes with fixed counts, class 2 predicted right with probability p.
# Macro AUC: 3 classes with fixed equal counts; a row of class j has L ~ Binomial(10, q_j) and
# the probability vector p_j = (1 + L)/12, the other two (11 − L)/24 each (rows sum to 1). Column
# k then ranks a class-k row (1 + L)/12 against another class's row (11 − L')/24: above iff
# 2L + L' > 9, tied iff = 9, so every one-vs-rest AUC is an exact finite sum (ovr_truth), ties
# included — a hard regime for the DeLong interval (11 score levels per column).

CHURN_BASE_RIGHT, CHURN_GAIN = 0.85, 0.3
OVR_LEVELS, OVR_Q = 10, (0.6, 0.5, 0.4)


def churn_truth(name: str, lose: float) -> float:
    negative = CHURN_BASE_RIGHT * lose
    if name == "negative_flip_rate":
        return negative
    return negative + (1 - CHURN_BASE_RIGHT) * CHURN_GAIN


def _churn(rng: np.random.Generator, p: dict[str, Any]) -> Sample:
    n, lose = p["n"], p["lose"]
    y = rng.integers(0, 2, n)
    base_right = rng.random(n) < CHURN_BASE_RIGHT
    base = np.where(base_right, y, 1 - y)
    flip = np.where(base_right, rng.random(n) < lose, rng.random(n) < CHURN_GAIN)
    return Sample(y, np.where(flip, 1 - base, base), baseline_pred=base)


def _per_class_recall(rng: np.random.Generator, p: dict[str, Any]) -> Sample:
    n, rate = p["n"], p["p"]
    y = np.repeat(np.arange(3), n)
    pred = rng.integers(0, 3, 3 * n)
    right = (y == 2) & (rng.random(3 * n) < rate)
    pred = np.where(y == 2, np.where(right, 2, rng.integers(0, 2, 3 * n)), pred)
    return Sample(y, pred)


def ovr_truth() -> float:
    """The macro one-vs-rest AUC of the population, by exact enumeration."""
    levels = np.arange(OVR_LEVELS + 1)
    pmf = [
        special.comb(OVR_LEVELS, levels) * q**levels * (1 - q) ** (OVR_LEVELS - levels)
        for q in OVR_Q
    ]
    total = 0.0
    for k in range(3):
        negative = sum(pmf[j] for j in range(3) if j != k) / 2  # equal class counts
        key = 2 * levels[:, None] + levels[None, :]
        win = (key > 9) + 0.5 * (key == 9)
        total += float(pmf[k] @ win @ negative)
    return total / 3


def _auc_ovr(rng: np.random.Generator, p: dict[str, Any]) -> Sample:
    n = p["n"]
    y = np.repeat(np.arange(3), n)
    level = rng.binomial(OVR_LEVELS, np.asarray(OVR_Q)[y])
    scores = np.repeat(((11 - level) / 24.0)[:, None], 3, axis=1)
    scores[np.arange(3 * n), y] = (1 + level) / 12.0
    return Sample(y, None, scores, classes=[0, 1, 2])


GENERATORS["churn"] = _churn
GENERATORS["per-class"] = _per_class_recall
GENERATORS["auc-ovr"] = _auc_ovr


def v19_scenarios() -> list[Scenario]:
    out = []
    for n in (50, 200, 2000):
        for lose in (0.02, 0.1):
            checks: list[Check] = []
            for name in ("negative_flip_rate", "flip_rate"):
                checks += _pair(
                    "threshold max",
                    name,
                    churn_truth(name, lose),
                    "max",
                    key_prefix=f"{name}/",
                )
            out.append(
                Scenario(
                    f"churn/n{n}/lose{lose:g}",
                    "churn",
                    f"n = {n}, i.i.d. rows; baseline right 85%, candidate turns {lose:.0%} of its "
                    "right rows wrong and 30% of its wrong rows right",
                    {"n": n, "lose": lose},
                    tuple(checks),
                    cost=2.0 + n / 400,
                )
            )
    for n in (20, 200):
        out.append(
            Scenario(
                f"per-class/recall/n{n}/p0.9",
                "per-class",
                f"3 classes × {n} rows (fixed), recall[2] 0.9 (one-vs-rest)",
                {"n": n, "p": 0.9},
                _pair("threshold min", "recall[2]", 0.9, "min"),
                cost=3.0,
            )
        )
    truth = ovr_truth()
    for n in (10, 20, 30, 60, 300):
        out.append(
            Scenario(
                f"auc-ovr/n{n}",
                "auc-ovr",
                f"3 classes × {n} rows (fixed), 11 score levels per column (ties), macro "
                f"one-vs-rest AUC {truth:.4f}",
                {"n": n},
                _pair("threshold min", "roc_auc_ovr", truth, "min"),
                cost=4.0 + n / 100,
            )
        )
    return out


SCENARIOS.update({s.id: s for s in v19_scenarios()})
# --- end #19 -------------------------------------------------------------------------------------


# --- #19: calibration, operating points and costs -------------------------------------------------
# Calibration: p ~ Beta(2, 5) is the model's probability; the true probability of a positive is
# π(p) = expit(α + β·logit p), so the recalibration slope is β exactly, and the intercept at
# slope 1, O/E and the ℓ2 binned calibration error (10 population equal-mass bins of p) are
# one-dimensional integrals against the Beta density (scipy.integrate.quad, computed once on
# import). Rows i.i.d.
# Operating points: labels i.i.d. Bernoulli(0.2), scores N(0, 1) for negatives and N(1.5, 1)
# for positives; the population curve is in closed form (precision rises with the threshold),
# so each operating point's truth is the population rate at the population threshold.
# Expected cost: labels i.i.d. Bernoulli(0.3), recall 0.7, specificity 0.9; cost fp = 1,
# fn = 5: E[cost] = 0.7·0.1·1 + 0.3·0.3·5 = 0.52.

CALIB_BETA = (2.0, 5.0)
CALIB_BINS = 10
OP_PREVALENCE, OP_SEPARATION = 0.2, 1.5
COST_CELLS = {"prevalence": 0.3, "recall": 0.7, "specificity": 0.9}
COST_TRUTH = 0.7 * 0.1 * 1 + 0.3 * 0.3 * 5


def _expit(x: Any) -> Any:
    return special.expit(x)


def calibration_truths(alpha: float, beta: float) -> dict[str, float]:
    """Slope, intercept (slope 1), O/E and the ℓ2 binned calibration error of the population."""
    from scipy import integrate, optimize, stats

    dist = stats.beta(*CALIB_BETA)

    def pi(p: float) -> float:
        return float(_expit(alpha + beta * special.logit(p)))

    def expect(f: Callable[[float], float], lo: float = 0.0, hi: float = 1.0) -> float:
        return float(integrate.quad(lambda p: f(p) * dist.pdf(p), lo, hi, limit=200)[0])

    e_pi, e_p = expect(pi), expect(lambda p: p)

    def gap(g: float) -> float:
        return expect(lambda p: float(_expit(g + special.logit(p)))) - e_pi

    intercept = float(optimize.brentq(gap, -5, 5, xtol=1e-12))
    edges = dist.ppf(np.linspace(0, 1, CALIB_BINS + 1))
    theta = sum(
        (1 / CALIB_BINS) * (CALIB_BINS * expect(lambda p: pi(p) - p, lo, hi)) ** 2
        for lo, hi in itertools.pairwise(edges)
    )
    return {
        "calibration_slope": beta,
        "calibration_intercept": intercept,
        "calibration_ratio": e_pi / e_p,
        "calibration_error": math.sqrt(theta),
    }


def _calibration(rng: np.random.Generator, p: dict[str, Any]) -> Sample:
    prob = rng.beta(*CALIB_BETA, p["n"])
    true_prob = _expit(p["alpha"] + p["beta"] * special.logit(prob))
    y = (rng.random(p["n"]) < true_prob).astype(np.int64)
    return Sample(y, None, prob)


def operating_truths() -> dict[str, float]:
    """Population operating points of the binormal model (closed form + root finding)."""
    from scipy import optimize, stats

    pi, d = OP_PREVALENCE, OP_SEPARATION
    norm = stats.norm

    def tpr(c: float) -> float:
        return float(norm.sf(c - d))

    def fpr(c: float) -> float:
        return float(norm.sf(c))

    def precision(c: float) -> float:
        return pi * tpr(c) / (pi * tpr(c) + (1 - pi) * fpr(c))

    c_prec = optimize.brentq(lambda c: precision(c) - 0.6, -5, 10, xtol=1e-13)
    c_fpr = float(norm.isf(0.1))
    c_top = optimize.brentq(lambda c: pi * tpr(c) + (1 - pi) * fpr(c) - 0.1, -5, 10, xtol=1e-13)
    c_rec = d + float(norm.isf(0.5))  # recall 0.5
    return {
        "recall_at_precision(0.6)": tpr(c_prec),
        "precision_at_recall(0.5)": precision(c_rec),
        "tpr_at_fpr(0.1)": tpr(c_fpr),
        "precision_at_k(10%)": precision(c_top),
        "lift_at_k(10%)": precision(c_top) / pi,
    }


def _operating(rng: np.random.Generator, p: dict[str, Any]) -> Sample:
    n = p["n"]
    y = (rng.random(n) < OP_PREVALENCE).astype(np.int64)
    return Sample(y, None, rng.standard_normal(n) + OP_SEPARATION * y)


def _cost(rng: np.random.Generator, p: dict[str, Any]) -> Sample:
    n = p["n"]
    y = (rng.random(n) < COST_CELLS["prevalence"]).astype(np.int64)
    u = rng.random(n)
    pred = np.where(y == 1, u < COST_CELLS["recall"], u >= COST_CELLS["specificity"])
    return Sample(y, pred.astype(np.int64))


GENERATORS["calibration"] = _calibration
GENERATORS["operating"] = _operating
GENERATORS["cost"] = _cost


def calibration_operating_scenarios() -> list[Scenario]:
    out = []
    for (alpha, beta), label in (((0.0, 1.0), "calibrated"), ((0.3, 0.7), "over-confident")):
        truths = calibration_truths(alpha, beta)
        for n in (200, 1000, 5000):
            checks: list[Check] = []
            for name in ("calibration_slope", "calibration_intercept", "calibration_ratio"):
                checks += _pair("threshold min", name, truths[name], "min", key_prefix=f"{name}/")
            ce = truths["calibration_error"]
            out.append(
                Scenario(
                    f"calibration/{label}/n{n}",
                    "calibration",
                    f"n = {n}, p ~ Beta(2, 5), true logit = {alpha:g} + {beta:g}·logit p "
                    f"({label}; ℓ2 binned error {ce:.4f})",
                    {"n": n, "alpha": alpha, "beta": beta},
                    tuple(checks),
                    cost=4.0,
                )
            )
    # calibration_error alone (no model fit per draw, so many more draws are cheap)
    for (alpha, beta), label in (
        ((0.0, 1.0), "calibrated"),
        ((0.1, 0.9), "mild"),
        ((0.3, 0.7), "over-confident"),
    ):
        ce = calibration_truths(alpha, beta)["calibration_error"]
        for n in (200, 1000, 5000):
            out.append(
                Scenario(
                    f"calibration-error/{label}/n{n}",
                    "calibration",
                    f"n = {n}, p ~ Beta(2, 5), true logit = {alpha:g} + {beta:g}·logit p "
                    f"({label}; l2 binned error {ce:.4f}, 10 bins)",
                    {"n": n, "alpha": alpha, "beta": beta},
                    _pair("threshold max", "calibration_error", ce, "max"),
                    cost=2.0,
                )
            )
    op = operating_truths()
    # three of the five points (each costs a bootstrap per draw; precision_at_recall and
    # precision_at_k share the machinery of the ones kept)
    kept = ("recall_at_precision(0.6)", "tpr_at_fpr(0.1)", "lift_at_k(10%)")
    for n in (300, 1000):
        checks = []
        for name in kept:
            truth = op[name]
            checks += _pair("threshold min", name, truth, "min", key_prefix=f"{name}/")
        out.append(
            Scenario(
                f"operating/n{n}",
                "operating",
                f"n = {n}, prevalence 0.2 (labels i.i.d.), binormal scores (separation 1.5)",
                {"n": n},
                tuple(checks),
                cost=60.0,
            )
        )
    # recall_at_precision alone at n = 1000, for more draws where the pilot erred 4.7 ± 1.7%
    out.append(
        Scenario(
            "operating/recall_at_precision/n1000",
            "operating",
            "n = 1000, prevalence 0.2 (labels i.i.d.), binormal scores (separation 1.5)",
            {"n": 1000},
            _pair(
                "threshold min",
                "recall_at_precision(0.6)",
                op["recall_at_precision(0.6)"],
                "min",
                key_prefix="recall_at_precision(0.6)/",
            ),
            cost=20.0,
        )
    )
    for n in (50, 200, 1000):
        out.append(
            Scenario(
                f"cost/n{n}",
                "cost",
                f"n = {n}, prevalence 0.3, recall 0.7, specificity 0.9, cost fp 1 / fn 5",
                {"n": n},
                _pair("threshold max", "expected_cost(fp=1, fn=5)", COST_TRUTH, "max"),
                cost=3.0,
            )
        )
    return out


SCENARIOS.update({s.id: s for s in calibration_operating_scenarios()})


# --------------------------------------------------------------------------------------------
# Appended block (issue #13, design-based gates): fairness gaps (difference and ratio) and the
# compare gates on precision, f1, ROC AUC and average precision on clustered and/or
# sampling-weighted rows. Every cluster effect is a Beta-distributed mixing weight (mean 1/2)
# drawn independently of the others, so each population value is a closed form (or one
# quadrature for AP) however strong the intra-cluster correlation.
#
# Sampling weights are informative: positives are over-sampled (prevalence DESIGN_SAMPLED in
# the sample, DESIGN_PREVALENCE in the population) and weighted back by π/π_s, (1 − π)/(1 − π_s),
# times an independent Uniform(0.5, 1.5) factor; the unweighted estimate is therefore biased
# and only the weighted one targets the truth.
# --------------------------------------------------------------------------------------------

DESIGN_PREVALENCE = 0.3
DESIGN_SAMPLED = 0.5


def _beta_mean(rng: np.random.Generator, mean: float, icc: float, size: int) -> np.ndarray:
    """Draws with the given mean and ICC (Var = ICC·mean(1 − mean)); constant when icc = 0."""
    if icc <= 0:
        return np.full(size, mean)
    s = 1 / icc - 1
    return rng.beta(mean * s, (1 - mean) * s, size)


def _design_rows(
    rng: np.random.Generator, p: dict[str, Any], prevalence: float
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray, int, np.ndarray | None]:
    """Cluster ids (or None), each row's cluster index, labels, rows, sampling weights."""
    clusters, size, icc = p.get("clusters", 0), p["size"], p["icc"]
    weighted = p.get("weighted", False)
    sampled = DESIGN_SAMPLED if weighted and prevalence == DESIGN_PREVALENCE else prevalence
    if weighted and prevalence != DESIGN_PREVALENCE:
        sampled = min(2 * prevalence, 0.5)
    units = clusters if clusters else size  # without clusters: `size` i.i.d. rows
    per = size if clusters else 1
    idx = np.repeat(np.arange(units), per)
    n = units * per
    pj = _beta_mean(rng, sampled, icc if clusters else 0.0, units)
    y = (rng.random(n) < pj[idx]).astype(np.int64)
    w = None
    if weighted:
        w = np.where(y == 1, prevalence / sampled, (1 - prevalence) / (1 - sampled))
        w = w * rng.uniform(0.5, 1.5, n)
    return (idx if clusters else None), idx, y, n, w


# --- Δprecision, Δf1: the paired cells of COMPARE_PRECISION_CELLS, mixed per cluster -----------
#: per class, two paired-cell distributions whose average is COMPARE_PRECISION_CELLS; cluster j
#: uses (1 − v_j)·A + v_j·B with v_j ~ Beta(mean 1/2, ICC)
DESIGN_PRECISION_MIX = {
    1: ((0.6, 0.1, 0.1, 0.2), (0.9, 0.0, 0.0, 0.1)),
    0: ((0.16, 0.12, 0.04, 0.68), (0.0, 0.02, 0.0, 0.98)),
}


def design_count_truths(prevalence: float = DESIGN_PREVALENCE) -> dict[str, float]:
    """Δprecision and Δf1 (candidate − baseline) of the population of COMPARE_PRECISION_CELLS."""
    pos, neg = COMPARE_PRECISION_CELLS[1], COMPARE_PRECISION_CELLS[0]
    out = {}
    vals = {}
    for who, (a, b) in (("c", (0, 1)), ("b", (0, 2))):
        tp = prevalence * (pos[a] + pos[b])
        fn = prevalence - tp
        fp = (1 - prevalence) * (neg[a] + neg[b])
        vals[who] = (tp / (tp + fp), 2 * tp / (2 * tp + fp + fn))
    out["precision"] = vals["c"][0] - vals["b"][0]
    out["f1"] = vals["c"][1] - vals["b"][1]
    return out


def _design_paired_counts(rng: np.random.Generator, p: dict[str, Any]) -> Sample:
    cluster, idx, y, n, w = _design_rows(rng, p, DESIGN_PREVALENCE)
    v = _beta_mean(rng, 0.5, p["icc"] if p.get("clusters") else 0.0, int(idx.max()) + 1)[idx]
    cand, base = np.zeros(n, np.int64), np.zeros(n, np.int64)
    u = rng.random(n)
    for label, (a, b) in DESIGN_PRECISION_MIX.items():
        rows = y == label
        probs = (1 - v[rows, None]) * np.asarray(a) + v[rows, None] * np.asarray(b)
        cell = (u[rows, None] > np.cumsum(probs, axis=1)[:, :3]).sum(axis=1)
        cand[rows] = (cell == 0) | (cell == 1)
        base[rows] = (cell == 0) | (cell == 2)
    return Sample(y, cand, baseline_pred=base, cluster=cluster, sample_weight=w)


# --- ΔROC AUC, ΔAP: positives' scores shifted by a cluster effect d_j ~ N(0, τ²) --------------
#: AUC of the candidate and the baseline (Δ = −0.05); negatives ~ N(0, 1), positives
#: ~ N(a + d_j, 1) with a = √(2 + τ²)·Φ⁻¹(AUC), so AUC = Φ(a / √(2 + τ²)) exactly (a negative
#: is independent of every cluster effect); the two models' noises correlate 0.5
DESIGN_AUCS = (0.80, 0.85)
DESIGN_NOISE_CORRELATION = 0.5


def _separation(auc: float, tau: float) -> float:
    return math.sqrt(2 + tau * tau) * float(special.ndtri(auc))


def design_ap_truth(auc: float, tau: float, prevalence: float = DESIGN_PREVALENCE) -> float:
    """Population AP = ∫ precision(t) dTPR(t): positives N(a, 1 + τ²), negatives N(0, 1)."""
    from scipy import integrate
    from scipy import stats as st

    a, sd = _separation(auc, tau), math.sqrt(1 + tau * tau)

    def integrand(t: float) -> float:
        tpr, fpr = st.norm.sf(t, a, sd), st.norm.sf(t)
        den = prevalence * tpr + (1 - prevalence) * fpr
        return (prevalence * tpr / den if den > 0 else 1.0) * st.norm.pdf(t, a, sd)

    return float(integrate.quad(integrand, a - 12 * sd, a + 12 * sd, limit=400)[0])


def _design_paired_ranking(rng: np.random.Generator, p: dict[str, Any]) -> Sample:
    cluster, idx, y, n, w = _design_rows(rng, p, DESIGN_PREVALENCE)
    tau = p["tau"] if p.get("clusters") else 0.0
    d = rng.normal(0.0, tau, int(idx.max()) + 1)[idx] if tau > 0 else np.zeros(n)
    r = DESIGN_NOISE_CORRELATION
    e1 = rng.standard_normal(n)
    e2 = r * e1 + math.sqrt(1 - r * r) * rng.standard_normal(n)
    ac, ab = (_separation(a, tau) for a in DESIGN_AUCS)
    sc = np.where(y == 1, ac + d + e1, e1)
    sb = np.where(y == 1, ab + d + e2, e2)
    return Sample(
        y,
        None,
        special.expit(sc),
        baseline_score=special.expit(sb),
        cluster=cluster,
        sample_weight=w,
    )


# --- fairness gaps: groups "big"/"small" with FAIR_POPULATIONS["tie"] rates ----------------------
#: share of rows in the small group (crossing design) or of clusters (nested design)
DESIGN_SMALL_SHARE = 0.25


def design_fair_truths(prevalence: float = FAIR_PREVALENCE) -> dict[str, float]:
    groups = FAIR_POPULATIONS["tie"]
    (t1, f1), (t2, f2) = groups["big"], groups["small"]
    s1, s2 = prevalence * t1 + (1 - prevalence) * f1, prevalence * t2 + (1 - prevalence) * f2
    return {
        "demographic_parity_difference": abs(s1 - s2),
        "equalized_odds_difference": max(abs(t1 - t2), abs(f1 - f2)),
        "demographic_parity_ratio": min(s1, s2) / max(s1, s2),
        "equalized_odds_ratio": min(min(t1, t2) / max(t1, t2), min(f1, f2) / max(f1, f2)),
    }


def _design_fairness(rng: np.random.Generator, p: dict[str, Any]) -> Sample:
    cluster, idx, y, n, w = _design_rows(rng, p, FAIR_PREVALENCE)
    units = int(idx.max()) + 1
    if p.get("nested"):  # every cluster in one group (a person's attribute)
        small = (np.arange(units) < round(DESIGN_SMALL_SHARE * units))[idx]
    else:  # clusters (sites) hold both groups
        small = rng.random(n) < DESIGN_SMALL_SHARE
    # one site effect per cluster, shared by both groups (correlated group rates when crossing)
    v = _beta_mean(rng, 0.5, p["icc"] if p.get("clusters") else 0.0, units)[idx]
    groups = FAIR_POPULATIONS["tie"]
    rate = np.zeros(n)
    for name, (tpr, fpr) in groups.items():
        rows = small == (name == "small")
        base = np.where(y[rows] == 1, tpr, fpr)
        half = np.minimum(base, 1 - base)
        rate[rows] = base + (2 * v[rows] - 1) * half
    pred = (rng.random(n) < rate).astype(np.int64)
    return Sample(
        y,
        pred,
        sensitive={"g": np.where(small, "small", "big")},
        cluster=cluster,
        sample_weight=w,
    )


GENERATORS["compare-design-counts"] = _design_paired_counts
GENERATORS["compare-design-ranking"] = _design_paired_ranking
GENERATORS["fairness-design"] = _design_fairness

#: (clusters, rows per cluster, ICC, weighted); clusters 0: `size` i.i.d. rows
DESIGN_COMPARE_REGIMES = (
    (20, 20, 0.3, False),
    (40, 10, 0.3, False),
    (40, 25, 0.5, False),
    (100, 10, 0.1, False),
    (0, 600, 0.0, True),
    (60, 10, 0.3, True),
)
#: (clusters, rows per cluster, ICC, weighted, nested)
DESIGN_FAIR_REGIMES = (
    (30, 20, 0.3, False, False),
    (100, 10, 0.1, False, False),
    (100, 20, 0.5, False, False),
    (80, 20, 0.3, False, True),
    (200, 10, 0.3, False, True),
    (0, 1200, 0.0, True, False),
    (100, 10, 0.3, True, False),
)


def _design_regime(clusters: int, size: int, icc: float, weighted: bool) -> str:
    rows = f"{clusters} clusters × {size} rows, ICC {icc:g}" if clusters else f"{size} rows"
    return rows + (", informative sampling weights" if weighted else "")


def design_scenarios() -> list[Scenario]:
    out: list[Scenario] = []
    counts = design_count_truths()
    for clusters, size, icc, weighted in DESIGN_COMPARE_REGIMES:
        tag = f"k{clusters}/m{size}/icc{icc:g}" if clusters else f"n{size}"
        tag += "/w" if weighted else ""
        checks: list[Check] = []
        for metric in ("precision", "f1"):
            checks += _pair(
                f"compare (max_drop {-counts[metric]:.4f}), design-based",
                metric,
                counts[metric],
                "min",
                key_prefix=f"{metric}/",
            )
        out.append(
            Scenario(
                f"compare-design-counts/{tag}",
                "compare-design-counts",
                _design_regime(clusters, size, icc, weighted)
                + "; the paired cells of compare-precision mixed per cluster",
                {"clusters": clusters, "size": size, "icc": icc, "weighted": weighted},
                tuple(checks),
                cost=6.0,
            )
        )
        tau = {0.1: 0.5, 0.3: 0.8, 0.5: 1.2}.get(icc, 0.0)
        checks = []
        for metric in ("roc_auc", "average_precision"):
            if metric == "roc_auc":
                truth = DESIGN_AUCS[0] - DESIGN_AUCS[1]
            else:
                truth = design_ap_truth(DESIGN_AUCS[0], tau) - design_ap_truth(DESIGN_AUCS[1], tau)
            checks += _pair(
                f"compare (max_drop {-truth:.4f}), design-based",
                metric,
                truth,
                "min",
                key_prefix=f"{metric}/",
            )
        out.append(
            Scenario(
                f"compare-design-ranking/{tag}",
                "compare-design-ranking",
                _design_regime(clusters, size, icc, weighted)
                + f"; AUC 0.80 vs 0.85, positives shifted by a cluster effect N(0, {tau:g}²)",
                {"clusters": clusters, "size": size, "icc": icc, "weighted": weighted, "tau": tau},
                tuple(checks),
                cost=6.0,
            )
        )
    fair = design_fair_truths()
    for clusters, size, icc, weighted, nested in DESIGN_FAIR_REGIMES:
        tag = f"k{clusters}/m{size}/icc{icc:g}" if clusters else f"n{size}"
        tag += ("/nested" if nested else "/crossing") if clusters else ""
        tag += "/w" if weighted else ""
        checks = []
        for name, truth in fair.items():
            side = "min" if name.endswith("ratio") else "max"
            checks += _pair(
                f"fairness {side}, design-based", name, truth, side, key_prefix=f"{name}/"
            )
        how = "each cluster in one group" if nested else "clusters hold both groups"
        out.append(
            Scenario(
                f"fairness-design/{tag}",
                "fairness-design",
                _design_regime(clusters, size, icc, weighted)
                + (f", {how}" if clusters else "")
                + f"; groups {1 - DESIGN_SMALL_SHARE:g} / {DESIGN_SMALL_SHARE:g}, (TPR, FPR) "
                "(0.8, 0.1) vs (0.7, 0.2)",
                {
                    "clusters": clusters,
                    "size": size,
                    "icc": icc,
                    "weighted": weighted,
                    "nested": nested,
                },
                tuple(checks),
                cost=8.0,
            )
        )
    return out


SCENARIOS.update({s.id: s for s in design_scenarios()})


# --- i.i.d. rows: ratio fairness gaps and average-precision thresholds (never simulated before) --


def _iid_ap(rng: np.random.Generator, p: dict[str, Any]) -> Sample:
    """y ~ Bernoulli(DESIGN_PREVALENCE); negatives N(0, 1), positives N(a, 1) (binormal)."""
    n = p["n"]
    y = (rng.random(n) < DESIGN_PREVALENCE).astype(np.int64)
    score = special.expit(np.where(y == 1, _separation(p["auc"], 0.0), 0.0) + rng.normal(0, 1, n))
    return Sample(y, None, score)


GENERATORS["threshold-ap"] = _iid_ap


def iid_ratio_and_ap_scenarios() -> list[Scenario]:
    out: list[Scenario] = []
    fair = design_fair_truths()
    for pos in (5, 15, 50):
        checks: list[Check] = []
        for name in ("demographic_parity_ratio", "equalized_odds_ratio"):
            checks += _pair("fairness min (ratio)", name, fair[name], "min", key_prefix=f"{name}/")
        tpr = FAIR_POPULATIONS["tie"]
        out.append(
            Scenario(
                f"fairness-ratio/tie/pos{pos}",
                "fairness",
                f"groups of {FAIR_BIG_ROWS} and {round(pos / FAIR_PREVALENCE)} rows (~{pos} "
                f"positives), (TPR, FPR) {tpr['big']} vs {tpr['small']}; ratio gaps",
                {"population": "tie", "small_pos": pos},
                tuple(checks),
                cost=25.0,
            )
        )
    for auc in (0.75, 0.9):
        for n in (200, 1000):
            truth = design_ap_truth(auc, 0.0)
            out.append(
                Scenario(
                    f"threshold-ap/auc{auc:g}/n{n}",
                    "threshold-ap",
                    f"n = {n}, prevalence 0.3, binormal scores (ROC AUC {auc:g}), AP {truth:.4f}",
                    {"n": n, "auc": auc},
                    _pair("threshold min", "average_precision", truth, "min", key_prefix="ap/"),
                    cost=3.0,
                )
            )
    return out


SCENARIOS.update({s.id: s for s in iid_ratio_and_ap_scenarios()})
