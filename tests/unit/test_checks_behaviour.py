"""Invariance and directional gates on a stand-in model whose dependence on each column is known."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest

from pytest_modelgate.checks.behaviour import _perturbed
from pytest_modelgate.checks.dispatch import run_check
from pytest_modelgate.checks.inputs import CheckInputs
from pytest_modelgate.errors import DataError
from pytest_modelgate.results import Verdict
from pytest_modelgate.spec import CHECK_MODELS, Gate, Perturbation
from pytest_modelgate.spec.yamlsource import format_path

N = 100


def _gate(check: str, **options: Any) -> Gate:
    config = CHECK_MODELS[check].model_validate({"check": check, **options})
    return Gate(5, check, "check", config, 30, "gates.yaml")


def _evidence(frame: pd.DataFrame) -> SimpleNamespace:
    """The model: score = sigmoid(x) (it reads x only; `group` is not an input)."""
    scores = 1 / (1 + np.exp(-frame["x"].to_numpy(dtype=float)))
    return SimpleNamespace(scores=scores, y_pred=(scores >= 0.5).astype(int), classes=("no", "yes"))


@pytest.fixture
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(9)
    return pd.DataFrame({"x": rng.normal(size=N), "group": rng.choice(["a", "b"], size=N), "y": 0})


def _inputs(frame: pd.DataFrame) -> tuple[CheckInputs, list[str]]:
    seen: list[str] = []

    def evidence_on(rows: pd.DataFrame, what: str) -> SimpleNamespace:
        seen.append(what)
        return _evidence(rows)

    inputs = CheckInputs(
        where=lambda *p: f"gates.yaml:30: {format_path(tuple(p))}",
        test=lambda: frame,
        candidate=lambda: _evidence(frame),
        evidence_on=evidence_on,
        model_and_features=lambda: (object(), frame[["x"]]),
    )
    return inputs, seen


def test_a_column_the_model_does_not_read_is_invariant(frame: pd.DataFrame) -> None:
    inputs, seen = _inputs(frame)
    result = run_check(_gate("invariance", perturb={"column": "group", "swap": ["a", "b"]}), inputs)
    assert result.verdict is Verdict.PASS and result.estimate == 0
    assert result.n == N  # every row holds a or b
    assert "group is not a model input: invariant by construction" in result.message
    assert seen == ["gates.yaml:30: gates[5].perturb (perturbed rows)"]


def test_invariance_counts_changed_labels_among_perturbed_rows(frame: pd.DataFrame) -> None:
    inputs, _ = _inputs(frame)
    gate = _gate("invariance", perturb={"column": "x", "add": 0.5}, max_changed=0.05)
    result = run_check(gate, inputs)
    x = frame["x"].to_numpy()
    changed = ((x >= 0) != (x + 0.5 >= 0)).mean()
    assert changed > 0.05
    assert result.verdict is Verdict.FAIL and result.estimate == pytest.approx(changed)
    assert result.rule == (
        "share of perturbed rows whose prediction changed <= 0.05 (strict: upper 95% bound)"
    )
    assert result.evidence == "strict" and result.interval is not None
    assert result.interval.method == "clopper-pearson"
    assert result.interval.low <= changed <= result.interval.high
    assert "'no' → 'yes'" in result.details  # labels, not codes
    assert "the model depends on x" in result.details


def test_directional_scores_must_move_the_expected_way(frame: pd.DataFrame) -> None:
    inputs, _ = _inputs(frame)
    up = run_check(
        _gate("directional", perturb={"column": "x", "add": 1}, direction="increase"), inputs
    )
    assert up.verdict is Verdict.PASS and up.estimate == 0
    down = run_check(
        _gate("directional", perturb={"column": "x", "multiply": 2}, direction="decrease"), inputs
    )
    # doubling x raises the score exactly where x > 0
    assert down.verdict is Verdict.FAIL
    assert down.estimate == pytest.approx((frame["x"] > 0).mean())
    assert "x: multiply by 2" in down.details


def test_a_perturbed_column_must_exist(frame: pd.DataFrame) -> None:
    inputs, _ = _inputs(frame)
    gate = _gate("invariance", perturb={"column": "nope", "set": 1})
    with pytest.raises(
        DataError, match=r"gates\.yaml:30: gates\[5\]\.perturb: perturb\.column 'no"
    ):
        run_check(gate, inputs)


def test_perturbations_and_the_rows_they_change() -> None:
    X = pd.DataFrame({"c": ["a", "b", "c", "a"], "n": [1.0, np.nan, 3.0, 4.0]})
    swapped, changed = _perturbed(X, Perturbation(column="c", swap=["a", "b"]), "w")
    assert swapped["c"].tolist() == ["b", "a", "c", "b"]
    assert changed.tolist() == [True, True, False, True]
    fixed, changed = _perturbed(X, Perturbation(column="c", set="a"), "w")
    assert fixed["c"].tolist() == ["a"] * 4 and changed.tolist() == [False, True, True, False]
    added, changed = _perturbed(X, Perturbation(column="n", add=1), "w")
    assert added["n"].tolist()[::2] == [2.0, 4.0] and changed.tolist() == [True, False, True, True]
    assert X["c"].tolist() == ["a", "b", "c", "a"]  # the input is not modified


def test_a_perturbation_that_touches_no_row_is_inconclusive_not_a_pass(frame: pd.DataFrame) -> None:
    inputs, _ = _inputs(frame)
    gate = _gate("invariance", perturb={"column": "group", "swap": ["c", "d"]})
    result = run_check(gate, inputs)
    assert result.verdict is Verdict.INCONCLUSIVE and result.n == 0
    assert "no rows to judge" in result.message
    assert "changed no row" in result.message


def test_evidence_rule_of_a_behaviour_gate_is_honoured(frame: pd.DataFrame) -> None:
    """x + 0.05 flips the rows with x in [-0.05, 0): a few percent. The three rules differ."""
    inputs, _ = _inputs(frame)
    perturb = {"column": "x", "add": 0.05}
    x = frame["x"].to_numpy()
    share = ((x >= -0.05) & (x < 0)).mean()
    limit = share + 0.005  # the point estimate is below the limit, the upper bound above
    verdicts = {
        ev: run_check(
            _gate("invariance", perturb=perturb, max_changed=limit, evidence=ev), inputs
        ).verdict
        for ev in ("strict", "lenient", "point")
    }
    assert verdicts == {"strict": Verdict.FAIL, "lenient": Verdict.PASS, "point": Verdict.PASS}


def test_small_samples_are_inconclusive_unless_the_evidence_shows_a_failure(
    frame: pd.DataFrame,
) -> None:
    small = frame.iloc[:10]
    inputs, _ = _inputs(small)
    quiet = run_check(_gate("invariance", perturb={"column": "group", "swap": ["a", "b"]}), inputs)
    assert quiet.verdict is Verdict.INCONCLUSIVE and "min_support = 30" in quiet.message
    # zero tolerance: one changed row already shows the rule is broken
    broken = run_check(_gate("invariance", perturb={"column": "x", "add": 5}), inputs)
    assert broken.verdict is Verdict.FAIL
