"""serving_skew: offline predictions against the serving log — labels, scores, regression values."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest

from pytest_modelgate.checks.data.skew import serving_skew
from pytest_modelgate.checks.inputs import CheckInputs
from pytest_modelgate.errors import DataError, ModelError
from pytest_modelgate.results import Verdict
from pytest_modelgate.spec import CHECK_MODELS, Gate
from pytest_modelgate.spec.yamlsource import format_path

N = 200


def _gate(**options: Any) -> Gate:
    config = CHECK_MODELS["serving_skew"].model_validate({"check": "serving_skew", **options})
    return Gate(1, "serving_skew", "check", config, 9, "gates.yaml")


def _inputs(frame: pd.DataFrame, candidate: Any) -> CheckInputs:
    return CheckInputs(
        where=lambda *p: f"gates.yaml:9: {format_path(tuple(p))}",
        test=lambda: frame,
        target="y",
        candidate=lambda: candidate,
    )


def _binary(scores: np.ndarray) -> SimpleNamespace:
    return SimpleNamespace(
        task="binary",
        scores=scores,
        y_pred=(scores >= 0.5).astype(int),
        classes=("no", "yes"),
        require_rows=lambda what, why: None,
    )


@pytest.fixture
def scores() -> np.ndarray:
    return np.random.default_rng(4).uniform(size=N)


def test_logged_labels_that_differ_are_counted_and_shown(scores: np.ndarray) -> None:
    logged = np.where(scores >= 0.5, "yes", "no")
    logged[[3, 50, 120]] = np.where(logged[[3, 50, 120]] == "yes", "no", "yes")
    frame = pd.DataFrame({"served": logged, "y": 0})
    result = serving_skew(
        _gate(column="served", max_mismatch=0.01), _inputs(frame, _binary(scores))
    )
    assert result.verdict is Verdict.FAIL
    assert result.estimate == pytest.approx(3 / N)
    assert result.message.startswith(
        f"FAIL: 3 of {N} rows (1.50%, clopper-pearson [0.31%, 4.32%]) differ from the serving log; "
    )
    assert result.rule == (
        "offline labels equal the logged served exactly: share of rows that differ from the "
        "log <= 0.01 (strict: upper 95% bound)"
    )
    assert [line.split()[:2] for line in result.details.splitlines()[3:6]] == [
        ["row", "3"],
        ["row", "50"],
        ["row", "120"],
    ]
    assert "next" in result.details
    tolerant = serving_skew(
        _gate(column="served", max_mismatch=0.05), _inputs(frame, _binary(scores))
    )
    assert tolerant.verdict is Verdict.PASS and "next" not in tolerant.details


def test_logged_scores_within_tolerance_agree(scores: np.ndarray) -> None:
    logged = scores + 1e-9
    logged[[20, 90, 150]] += [1e-3, 2e-3, 5e-3]
    frame = pd.DataFrame({"served": logged, "y": 0})
    gate = _gate(column="served", tolerance=1e-6)
    result = serving_skew(gate, _inputs(frame, _binary(scores)))
    assert result.estimate == pytest.approx(3 / N) and result.verdict is Verdict.FAIL
    assert "offline scores equal the logged served within 1e-06" in result.rule
    # the largest differences first
    shown = [line.split()[1] for line in result.details.splitlines()[3:6]]
    assert shown == ["150", "90", "20"]
    loose = serving_skew(_gate(column="served", tolerance=1e-2), _inputs(frame, _binary(scores)))
    assert loose.verdict is Verdict.PASS and loose.estimate == 0


def test_numeric_labels_without_tolerance_compare_labels(scores: np.ndarray) -> None:
    candidate = _binary(scores)
    candidate.classes = (0, 1)
    frame = pd.DataFrame({"served": candidate.y_pred, "y": 0})  # logged 0/1 labels
    result = serving_skew(_gate(column="served"), _inputs(frame, candidate))
    assert result.verdict is Verdict.PASS and result.estimate == 0
    assert "offline labels equal the logged served exactly" in result.rule


def _regression(values: np.ndarray) -> SimpleNamespace:
    return SimpleNamespace(
        task="regression",
        scores=None,
        y_pred=values,
        classes=None,
        require_rows=lambda what, why: None,
    )


def test_regression_values_compare_with_tolerance_and_missing_logs_differ() -> None:
    offline = np.linspace(0, 10, N)
    logged = offline.copy()
    logged[:4] += 0.5
    logged[4] = np.nan
    frame = pd.DataFrame({"served": logged, "y": 0.0})
    result = serving_skew(
        _gate(column="served", tolerance=0.1), _inputs(frame, _regression(offline))
    )
    assert result.estimate == pytest.approx(5 / N)


def test_text_in_a_regression_log_is_the_datas_problem() -> None:
    offline = np.linspace(0, 10, N)
    logged = pd.Series(offline.astype(object))
    logged[7] = "n/a"
    frame = pd.DataFrame({"served": logged, "y": 0.0})
    with pytest.raises(
        DataError,
        match=r"gates\.yaml:9: gates\[1\]\.column: column 'served' \(the logged predictions\) "
        r"must hold numbers \(got 'n/a' in row 7\)",
    ):
        serving_skew(_gate(column="served"), _inputs(frame, _regression(offline)))


def test_the_logged_column_must_exist(scores: np.ndarray) -> None:
    frame = pd.DataFrame({"y": np.zeros(N)})
    with pytest.raises(DataError, match=r"gates\[1\]\.column: column 'served' not in the test"):
        serving_skew(_gate(column="served"), _inputs(frame, _binary(scores)))


def test_grouped_evidence_is_refused(scores: np.ndarray) -> None:
    def refuse(what: str, why: str) -> None:
        raise ModelError(f"{what} is not available on grouped data because {why}")

    candidate = _binary(scores)
    candidate.require_rows = refuse
    frame = pd.DataFrame({"served": np.zeros(N), "y": 0})
    with pytest.raises(ModelError, match="serving_skew is not available on grouped data"):
        serving_skew(_gate(column="served"), _inputs(frame, candidate))


def test_logged_scores_with_the_default_tolerance_are_compared_as_scores(
    scores: np.ndarray,
) -> None:
    """Issue #21: with `tolerance` left out, logged scores were compared with labels (100%)."""
    frame = pd.DataFrame({"served": scores.astype(np.float32).astype(float), "y": 0})
    result = serving_skew(_gate(column="served"), _inputs(frame, _binary(scores)))
    assert result.verdict is Verdict.PASS and result.estimate == 0  # float32 noise < 1e-6
    assert "offline scores equal the logged served within 1e-06" in result.rule


def test_logged_zero_one_labels_of_a_zero_one_model_are_labels(scores: np.ndarray) -> None:
    candidate = _binary(scores)
    candidate.classes = (0, 1)
    frame = pd.DataFrame({"served": candidate.y_pred.astype(float), "y": 0})
    result = serving_skew(_gate(column="served"), _inputs(frame, candidate))
    assert result.estimate == 0 and "offline labels" in result.rule


def test_a_tolerance_on_labels_is_refused(scores: np.ndarray) -> None:
    frame = pd.DataFrame({"served": np.where(scores >= 0.5, "yes", "no"), "y": 0})
    with pytest.raises(DataError, match=r"gates\[1\]\.tolerance: column 'served' holds predicted"):
        serving_skew(_gate(column="served", tolerance=0.01), _inputs(frame, _binary(scores)))
    with pytest.raises(ValueError, match="`logged: labels` compares exactly"):
        _gate(column="served", logged="labels", tolerance=0.1)


def test_recomputed_features_against_logged_ones() -> None:
    rng = np.random.default_rng(1)
    age = rng.integers(18, 90, N).astype(float)
    frame = pd.DataFrame(
        {
            "age": age,
            "served_age": age + 1e-9,
            "country": ["NO"] * N,
            "served_country": ["NO"] * (N - 2) + ["SE", None],
            "y": 0,
        }
    )
    frame.loc[[5, 6], "served_age"] += 1.0
    gate = _gate(features={"age": "served_age", "country": "served_country"}, max_mismatch=0)
    result = serving_skew(gate, _inputs(frame, None))
    assert result.verdict is Verdict.FAIL and result.estimate == pytest.approx(4 / N)
    found = {g.group: g.values["mismatch"] for g in result.groups}
    assert found == {"age vs served_age": 2 / N, "country vs served_country": 2 / N}
    assert "row 5" in result.details and "'SE'" in result.details


def test_serving_skew_needs_something_to_compare() -> None:
    with pytest.raises(ValueError, match="needs `column`"):
        _gate()
