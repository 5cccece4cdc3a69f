"""evaluate() warns when binary scores look inverted (#15): the score column of the negative class
(German credit: classes_ = ['bad', 'good'], positive 'bad', proba[:, 1] is 'good')."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from pytest_modelgate import InvertedScoresWarning, evaluate


def credit(n: int = 400, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    bad = rng.random(n) < 0.3
    p_bad = np.clip(np.where(bad, 0.7, 0.3) + rng.normal(0, 0.15, n), 0, 1)
    proba = np.c_[p_bad, 1 - p_bad]  # columns follow classes_ = ['bad', 'good']
    return np.where(bad, "bad", "good"), proba


def test_the_other_classes_column_is_flagged() -> None:
    y, proba = credit()
    with pytest.warns(InvertedScoresWarning, match=r"ROC AUC 0\.\d+, far below 0\.5.*'bad'"):
        evaluate(y, y_score=proba[:, 1], positive_label="bad")


def test_the_right_column_is_quiet() -> None:
    y, proba = credit()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        evaluate(y, y_score=proba[:, 0], positive_label="bad")
        evaluate(y, np.where(proba[:, 0] >= 0.5, "bad", "good"), proba[:, 0], positive_label="bad")
        noise = np.random.default_rng(1).random(len(y))  # a useless model is not an inverted one
        evaluate(y, y_score=noise, positive_label="bad")


def test_labels_that_disagree_with_the_scores_are_flagged() -> None:
    y, proba = credit(n=15)  # too few rows for the rank test; the labels still disagree
    labels = np.where(proba[:, 0] >= 0.5, "bad", "good")
    with pytest.warns(InvertedScoresWarning, match=r"disagree on \d+% of the rows at the thresh"):
        evaluate(y, labels, proba[:, 1], positive_label="bad")
