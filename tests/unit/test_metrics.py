"""Every metric's point estimate equals scikit-learn's to 1e-12 (ties, imbalance included)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from pytest_modelgate.estimates.metric import StatsOptions, estimate_metric, score_histogram
from pytest_modelgate.estimates.metrics import (
    auc_from_histogram,
    average_precision_from_histogram,
    get_metric,
    metric_names,
    suggest_metric,
)
from pytest_modelgate.evidence.core import Evidence


def binary_case(rng: np.random.Generator, n: int, prevalence: float, ties: bool):
    y = (rng.random(n) < prevalence).astype(np.int64)
    score = rng.normal(size=n) + 1.2 * y
    p = 1 / (1 + np.exp(-score))
    if ties:
        p = np.round(p, 1)  # few distinct values: heavy ties
    pred = (p >= 0.5).astype(np.int64)
    return y, pred, p


def binary_evidence(y, pred, p) -> Evidence:
    return Evidence("binary", (0, 1), y, pred, p, "probability")


BINARY_REFERENCES = {
    "accuracy": lambda y, pr, p: skm.accuracy_score(y, pr),
    "balanced_accuracy": lambda y, pr, p: skm.balanced_accuracy_score(y, pr),
    "precision": lambda y, pr, p: skm.precision_score(y, pr),
    "recall": lambda y, pr, p: skm.recall_score(y, pr),
    "specificity": lambda y, pr, p: skm.recall_score(y, pr, pos_label=0),
    "fpr": lambda y, pr, p: 1 - skm.recall_score(y, pr, pos_label=0),
    "fnr": lambda y, pr, p: 1 - skm.recall_score(y, pr),
    "f1": lambda y, pr, p: skm.f1_score(y, pr),
    "f0_5": lambda y, pr, p: skm.fbeta_score(y, pr, beta=0.5),
    "f2": lambda y, pr, p: skm.fbeta_score(y, pr, beta=2),
    "matthews_corrcoef": lambda y, pr, p: skm.matthews_corrcoef(y, pr),
    "selection_rate": lambda y, pr, p: float(np.mean(pr)),
    "roc_auc": lambda y, pr, p: skm.roc_auc_score(y, p),
    "average_precision": lambda y, pr, p: skm.average_precision_score(y, p),
    "log_loss": lambda y, pr, p: skm.log_loss(y, p),
    "brier_score": lambda y, pr, p: skm.brier_score_loss(y, p),
}


@pytest.mark.parametrize("metric", sorted(BINARY_REFERENCES))
@pytest.mark.parametrize(
    ("n", "prevalence", "ties"),
    [
        (500, 0.5, False),
        (800, 0.07, False),
        (600, 0.3, True),
        (40, 0.5, True),
    ],
)
def test_binary_point_estimates_equal_sklearn(metric, n, prevalence, ties, rng):
    y, pred, p = binary_case(rng, n, prevalence, ties)
    est = estimate_metric(
        get_metric(metric, "binary"), binary_evidence(y, pred, p), StatsOptions(resamples=200), rng
    )
    assert est.value == pytest.approx(BINARY_REFERENCES[metric](y, pred, p), abs=1e-12, rel=0)
    assert est.n == n


def test_aliases_resolve_to_the_same_metric():
    assert get_metric("tpr", "binary") is get_metric("recall", "binary")
    assert get_metric("tnr", "binary") is get_metric("specificity", "binary")
    assert suggest_metric("recal") == "recall"
    assert "f1_macro" in metric_names("multiclass") and "f1_macro" not in metric_names("binary")


def test_undefined_metrics_are_nan_not_zero(rng):
    # no predicted positives: precision is 0/0; scikit-learn says 0 (with a warning), we say nan
    y = np.array([0, 1, 0, 1, 1])
    pred = np.zeros(5, dtype=np.int64)
    ev = binary_evidence(y, pred, np.full(5, 0.2))
    assert np.isnan(
        estimate_metric(get_metric("precision", "binary"), ev, StatsOptions(), rng).value
    )
    assert np.isnan(
        estimate_metric(
            get_metric("matthews_corrcoef", "binary"), ev, StatsOptions(resamples=100), rng
        ).value
    )
    one_class = binary_evidence(np.zeros(5, dtype=np.int64), pred, np.linspace(0, 1, 5))
    est = estimate_metric(get_metric("roc_auc", "binary"), one_class, StatsOptions(), rng)
    assert np.isnan(est.value) and "only negative" in est.note


def test_histogram_ranking_metrics_are_exact_on_distinct_scores(rng):
    y, _pred, p = binary_case(rng, 700, 0.2, ties=True)
    hist, exact = score_histogram(y.astype(bool), p)
    assert exact
    assert auc_from_histogram(hist[None])[0] == pytest.approx(skm.roc_auc_score(y, p), abs=1e-12)
    assert average_precision_from_histogram(hist[None])[0] == pytest.approx(
        skm.average_precision_score(y, p), abs=1e-12
    )


def test_quantile_histogram_auc_is_close_to_exact(rng):
    y, _pred, p = binary_case(rng, 200_000, 0.3, ties=False)
    hist, exact = score_histogram(y.astype(bool), p, max_bins=1024)
    assert not exact and hist.shape == (2, 1024)
    assert auc_from_histogram(hist[None])[0] == pytest.approx(skm.roc_auc_score(y, p), abs=2e-4)


MULTICLASS_REFERENCES = {
    "accuracy": lambda y, pr: skm.accuracy_score(y, pr),
    "balanced_accuracy": lambda y, pr: skm.balanced_accuracy_score(y, pr),
    **{
        f"{w}_{avg}": (
            lambda w, avg: (
                lambda y, pr: getattr(skm, f"{w}_score")(y, pr, average=avg, zero_division=0)
            )
        )(w, avg)
        for w in ("precision", "recall", "f1")
        for avg in ("macro", "micro", "weighted")
    },
}


@pytest.mark.parametrize("metric", sorted(MULTICLASS_REFERENCES))
@pytest.mark.parametrize("missing_class", [False, True])
def test_multiclass_point_estimates_equal_sklearn(metric, missing_class, rng):
    k, n = 4, 900
    y = rng.choice(k, size=n, p=[0.5, 0.3, 0.15, 0.05])
    pred = np.where(rng.random(n) < 0.7, y, rng.integers(0, k, n))
    if missing_class:
        pred = np.where(pred == 3, 0, pred)  # class 3 never predicted: zero-division terms
    ev = Evidence("multiclass", tuple(range(k)), y, pred, None, None)
    est = estimate_metric(get_metric(metric, "multiclass"), ev, StatsOptions(resamples=200), rng)
    assert est.value == pytest.approx(MULTICLASS_REFERENCES[metric](y, pred), abs=1e-12)


def test_multiclass_log_loss_equals_sklearn(rng):
    k, n = 3, 500
    logits = rng.normal(size=(n, k))
    proba = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    y = np.array([rng.choice(k, p=row) for row in proba])
    proba[0] = [1.0, 0.0, 0.0]  # exercise clipping
    ev = Evidence("multiclass", tuple(range(k)), y, proba.argmax(1), proba, "probability")
    est = estimate_metric(get_metric("log_loss", "multiclass"), ev, StatsOptions(), rng)
    assert est.value == pytest.approx(skm.log_loss(y, proba), abs=1e-12)


REGRESSION_REFERENCES = {
    "mae": skm.mean_absolute_error,
    "mse": skm.mean_squared_error,
    "rmse": lambda y, p: float(np.sqrt(skm.mean_squared_error(y, p))),
    "r2": skm.r2_score,
    "mape": skm.mean_absolute_percentage_error,
}


@pytest.mark.parametrize("metric", sorted(REGRESSION_REFERENCES))
def test_regression_point_estimates_equal_sklearn(metric, rng):
    n = 400
    y = rng.gamma(2.0, 3.0, size=n)
    y[:3] = 0.0  # mape's epsilon guard
    pred = y + rng.normal(scale=1.5, size=n)
    ev = Evidence("regression", (), y, pred, None, None)
    est = estimate_metric(get_metric(metric, "regression"), ev, StatsOptions(), rng)
    assert est.value == pytest.approx(REGRESSION_REFERENCES[metric](y, pred), rel=1e-12, abs=1e-12)
    if metric == "mape":  # y = 0 rows make a few per-row errors astronomically large
        assert not est.interval.is_defined and "Cochran's rule" in est.note
        return
    assert est.interval.low <= est.value <= est.interval.high


# --- the same parity through the label/score mapping of build_evidence --------------------------


@pytest.mark.parametrize(
    ("labels", "positive", "method"),
    [
        (("good", "bad"), "bad", "predict_proba"),  # positive is classes_[0]
        (("no", "yes"), None, "predict_proba"),  # inferred
        ((1, 2), 2, "predict_proba"),
        ((False, True), None, "decision_function"),
        (("good", "bad"), "bad", "decision_function"),  # flipped decision scores
    ],
)
def test_parity_through_label_mapping(labels, positive, method, rng):
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    from pytest_modelgate.evidence.core import build_evidence
    from pytest_modelgate.inputs.loading import Predictions

    n = 600
    x = rng.normal(size=(n, 2))
    y = np.asarray(labels, dtype=object)[(x[:, 0] + rng.normal(size=n) > 0.4).astype(int)]
    if isinstance(labels[0], bool):
        y = y.astype(bool)
    elif isinstance(labels[0], int):
        y = y.astype(int)
    model = LogisticRegression().fit(x, y)
    scores = getattr(model, method)(x)
    preds = Predictions(
        model.predict(x),
        scores,
        tuple(model.classes_),
        "probability" if method == "predict_proba" else "decision_function",
        "m",
    )
    ev = build_evidence(pd.Series(y), preds, "binary", positive, None, "test")
    pos = positive if positive is not None else labels[1]
    if method == "predict_proba":
        pos_score = scores[:, list(model.classes_).index(pos)]
    else:
        pos_score = scores if model.classes_[1] == pos else -scores
    refs = {
        "recall": skm.recall_score(y, model.predict(x), pos_label=pos),
        "precision": skm.precision_score(y, model.predict(x), pos_label=pos),
        "roc_auc": skm.roc_auc_score(y == pos, pos_score),
        "average_precision": skm.average_precision_score(y == pos, pos_score),
    }
    if method == "predict_proba":
        refs["brier_score"] = skm.brier_score_loss(y == pos, pos_score)
        refs["log_loss"] = skm.log_loss(y == pos, pos_score)
    for name, ref in refs.items():
        est = estimate_metric(get_metric(name, "binary"), ev, StatsOptions(resamples=100), rng)
        assert est.value == pytest.approx(ref, abs=1e-12), name
