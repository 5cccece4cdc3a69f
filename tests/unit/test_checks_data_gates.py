"""run_data_check: the data gates on CheckInputs — columns, located errors, and bugs that stay bugs."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

import pytest_modelgate.checks.data as data_checks
from pytest_modelgate import run_gates
from pytest_modelgate.checks.data import run_data_check
from pytest_modelgate.checks.inputs import CheckInputs
from pytest_modelgate.errors import DataError
from pytest_modelgate.results import Verdict
from pytest_modelgate.spec import CHECK_MODELS, Gate
from pytest_modelgate.spec.yamlsource import format_path


def _gate(check: str, **options: Any) -> Gate:
    config = CHECK_MODELS[check].model_validate({"check": check, **options})
    return Gate(2, check, "check", config, 21, "gates.yaml")


def _where(*path: str | int) -> str:
    return f"gates.yaml:21: {format_path(tuple(path))}"


def _inputs(test: pd.DataFrame, reference: pd.DataFrame | None = None, **kw: Any) -> CheckInputs:
    return CheckInputs(
        where=_where,
        test=lambda: test,
        target=kw.pop("target", "y"),
        reference=None if reference is None else (lambda: reference),
        **kw,
    )


@pytest.fixture
def frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(5)
    n = 400
    reference = pd.DataFrame(
        {
            "code": rng.integers(0, 4, size=n),
            "x": rng.normal(size=n),
            "id": np.arange(n),
            "y": rng.integers(0, 2, size=n),
        }
    )
    test = reference.assign(code=np.where(np.arange(n) < 40, 9, reference["code"]))
    return test, reference


def test_default_columns_skip_target_and_excluded(frames: tuple[pd.DataFrame, ...]) -> None:
    test, reference = frames
    inputs = _inputs(test, reference, exclude=("id",))
    unseen = run_data_check(_gate("unseen_categories"), inputs)
    assert unseen.verdict is Verdict.FAIL  # integer codes are categories
    assert [g.group for g in unseen.groups] == ["code"]  # not the 0/1 target
    missing = run_data_check(_gate("missing_values"), inputs)
    assert [g.group for g in missing.groups] == ["code", "x"]
    schema = run_data_check(_gate("schema"), inputs)
    # the reference's columns, without the target and the excluded ones (exclude everywhere)
    assert {g.group for g in schema.groups} == {"code", "x"}
    assert schema.verdict is Verdict.PASS
    drift = run_data_check(_gate("drift"), inputs)
    assert [g.group for g in drift.groups] == ["code", "x"]
    ranged = run_data_check(_gate("range"), inputs)
    assert [g.group for g in ranged.groups] == ["code", "x"]


def test_label_drift_compares_the_target(frames: tuple[pd.DataFrame, ...]) -> None:
    test, reference = frames
    shifted = test.assign(y=1)
    result = run_data_check(_gate("label_drift"), _inputs(shifted, reference))
    assert result.verdict is Verdict.FAIL and [g.group for g in result.groups] == ["y"]
    with pytest.raises(DataError, match=r"gates\.yaml:21: gates\[2\]\.check: the reference data "):
        run_data_check(_gate("label_drift"), _inputs(test, reference.drop(columns="y")))
    with pytest.raises(DataError, match="no target column is named"):
        run_data_check(_gate("label_drift"), _inputs(test, reference, target=None))


def test_missing_reference_is_located(frames: tuple[pd.DataFrame, ...]) -> None:
    test, _ = frames
    with pytest.raises(DataError, match=r"gates\.yaml:21: gates\[2\]\.check: `check: range` comp"):
        run_data_check(_gate("range"), _inputs(test))


@pytest.mark.parametrize(
    ("check", "options", "key", "message"),
    [
        ("range", {"columns": ["nope"]}, "columns", "data check columns absent from the ref"),
        (
            "missing_values",
            {"columns": ["nope"]},
            "columns",
            "data check columns absent from the test",
        ),
        (
            "unseen_categories",
            {"columns": ["x", "nope"]},
            "columns",
            "data check columns absent from the ref",
        ),
        ("schema", {"columns": ["nope"]}, "columns", "schema check columns absent from the ref"),
        ("drift", {"kinds": {"zz": "numeric"}}, "kinds", "kinds names column 'zz'"),
        ("drift", {"columns": ["nope"]}, "columns", r"column\(s\) 'nope' not in both"),
    ],
)
def test_bad_input_is_a_data_error_at_the_key_the_gate_sets(
    frames: tuple[pd.DataFrame, ...], check: str, options: dict, key: str, message: str
) -> None:
    test, reference = frames
    with pytest.raises(DataError, match=rf"^gates\.yaml:21: gates\[2\]\.{key}: {message}"):
        run_data_check(_gate(check, **options), _inputs(test, reference))


def test_a_column_that_is_not_numeric_is_located_at_the_check(
    frames: tuple[pd.DataFrame, ...],
) -> None:
    test, reference = frames
    text = test.assign(x=test["x"].map(lambda v: f"{v:.1f} kg"))
    # drift reads the kind from the reference (numeric) and cannot compare text as numbers
    with pytest.raises(DataError, match=r"gates\[2\]\.check: column 'x' has dtype .* cannot be"):
        run_data_check(_gate("drift"), _inputs(text, reference))
    with pytest.raises(DataError, match=r"gates\[2\]\.columns: column 'x' has dtype"):
        run_data_check(_gate("range", columns=["x"]), _inputs(text, reference))


def test_our_own_bugs_are_not_turned_into_data_errors(
    frames: tuple[pd.DataFrame, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    test, reference = frames

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise KeyError("a bug of ours")

    monkeypatch.setattr(data_checks, "drift_check", broken)
    with pytest.raises(KeyError, match="a bug of ours") as info:
        run_data_check(_gate("drift"), _inputs(test, reference))
    assert not isinstance(info.value, DataError)


def _spec(folder: Path, gate: dict) -> Path:
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"x": rng.normal(size=50), "y": rng.integers(0, 2, size=50)})
    frame.to_csv(folder / "test.csv", index=False)
    frame.to_csv(folder / "ref.csv", index=False)
    spec = {
        "version": 1,
        "data": {"test": "test.csv", "reference": "ref.csv", "target": "y"},
        "models": {"candidate": "model.joblib"},
        "gates": [gate],
    }
    (folder / "gates.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    return folder / "gates.yaml"


def test_a_bug_in_a_check_is_an_internal_error_verdict_in_production(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise ValueError("a bug of ours")

    monkeypatch.setattr(data_checks, "drift_check", broken)
    spec = _spec(tmp_path, {"check": "drift"})
    with pytest.raises(ValueError, match="a bug of ours"):  # our suite: the bug surfaces
        run_gates(spec)
    monkeypatch.delenv("MODELGATE_RAISE_INTERNAL_ERRORS")
    [result] = run_gates(spec)
    assert result.verdict is Verdict.ERROR
    assert result.message.startswith("ERROR: internal error in pytest-modelgate")
    assert "ValueError: a bug of ours" in result.message and "This is a bug" in result.message


def test_a_user_error_is_an_error_verdict_naming_the_spec_line(tmp_path: Path) -> None:
    [result] = run_gates(_spec(tmp_path, {"check": "range", "columns": ["nope"]}))
    assert result.verdict is Verdict.ERROR
    assert re.match(
        r"ERROR: .*gates\.yaml:\d+: gates\[0\]\.columns: data check columns absent from the "
        r"reference data: 'nope'",
        result.message,
    )


def _candidate(**kw: Any) -> SimpleNamespace:
    fields = {"scores": None, "y_pred": None, "classes": None, "task": "binary"}
    return SimpleNamespace(**{**fields, **kw}, require_rows=lambda what, why: None)


def test_prediction_drift_compares_scores_on_both_frames(
    frames: tuple[pd.DataFrame, ...],
) -> None:
    test, reference = frames
    rng = np.random.default_rng(2)
    same = rng.uniform(size=len(test))
    inputs = _inputs(
        test,
        reference,
        candidate=lambda: _candidate(scores=same),
        reference_predictions=lambda: rng.uniform(size=len(reference)),
    )
    result = run_data_check(_gate("prediction_drift"), inputs)
    assert result.verdict is Verdict.PASS and [g.group for g in result.groups] == ["prediction"]
    shifted = _inputs(
        test,
        reference,
        candidate=lambda: _candidate(scores=same**4),
        reference_predictions=lambda: same,
    )
    assert run_data_check(_gate("prediction_drift"), shifted).verdict is Verdict.FAIL


def test_prediction_drift_needs_the_models_columns_in_the_reference(
    frames: tuple[pd.DataFrame, ...],
) -> None:
    test, reference = frames

    def never() -> Any:
        raise AssertionError("the model must not run on a reference without its columns")

    inputs = _inputs(
        test,
        reference.drop(columns=["x", "y"]),
        features=("x", "code"),
        candidate=lambda: _candidate(scores=np.zeros(len(test))),
        reference_predictions=never,
    )
    with pytest.raises(DataError, match=r"gates\[2\]\.check: prediction_drift runs the model on"):
        run_data_check(_gate("prediction_drift"), inputs)
    with pytest.raises(DataError, match=r"has no column\(s\) 'y', 'x'"):
        run_data_check(_gate("prediction_drift"), inputs)


def test_model_checks_without_a_model_are_our_bug(frames: tuple[pd.DataFrame, ...]) -> None:
    test, reference = frames
    with pytest.raises(RuntimeError, match=r"CheckInputs\.candidate is not set"):
        run_data_check(_gate("prediction_drift"), _inputs(test, reference))


def test_a_new_test_column_is_schema_news_and_ignored_elsewhere(
    frames: tuple[pd.DataFrame, ...],
) -> None:
    """Issue #21: a column only the test data has made drift, range and unseen_categories ERROR
    (their columns came from the test frame); they now take reference ∩ test."""
    test, reference = frames
    test = test.assign(new_feature=np.arange(len(test)) * 1.5, new_code=1)
    inputs = _inputs(test, reference, exclude=("id",))
    for check in ("drift", "range", "unseen_categories"):
        result = run_data_check(_gate(check), inputs)
        assert not {"new_feature", "new_code"} & {g.group for g in result.groups}, check
    schema = run_data_check(_gate("schema"), inputs)
    assert schema.verdict is Verdict.PASS
    assert "extra (allowed): new_feature, new_code" in schema.message
