"""``check:`` gates on the data: schema, missing values, unseen categories, range, drift, skew.

:func:`run_data_check` is the one entry point, shared by the YAML runner and the Python API
(``pytest_modelgate.check_data``): it picks the columns (:mod:`.columns`, the one column-kind
rule), runs the pure check (:mod:`.quality`, :mod:`.drift`, :mod:`.skew`) and turns its
findings into the gate's CheckResult (:mod:`.result`). Bad input (a column absent or not
numeric, a parameter out of range) becomes a DataError located at the gate's key; anything
else that goes wrong is a bug of ours and propagates as one.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from pytest_modelgate.checks.data.columns import default_columns
from pytest_modelgate.checks.data.drift import drift_check
from pytest_modelgate.checks.data.errors import DataCheckInputError
from pytest_modelgate.checks.data.quality import (
    missing_values_check,
    range_check,
    schema_check,
    unseen_categories_check,
)
from pytest_modelgate.checks.data.result import to_check_result
from pytest_modelgate.checks.data.skew import serving_skew
from pytest_modelgate.checks.inputs import CheckInputs
from pytest_modelgate.errors import DataError, did_you_mean
from pytest_modelgate.results import CheckResult

__all__ = ["DATA_CHECKS", "run_data_check"]

#: The ``check:`` kinds this package runs (the others are operational or behavioural).
DATA_CHECKS = (
    "schema",
    "missing_values",
    "unseen_categories",
    "range",
    "drift",
    "prediction_drift",
    "label_drift",
    "serving_skew",
    "leakage",  # #19: checks/data/leakage.py
)


def run_data_check(gate: Any, inputs: CheckInputs) -> CheckResult:
    """Evaluate one data ``check:`` gate on ``inputs``; bad input is a located DataError."""
    try:
        return _run(gate, inputs)
    except DataCheckInputError as exc:
        # only the key the gate sets is worth pointing at; else the gate's `check:` line
        key = exc.key if exc.key in gate.config.model_fields_set else "check"
        raise DataError(f"{inputs.where('gates', gate.index, key)}: {exc}") from None


def _reference(inputs: CheckInputs, gate: Any) -> pd.DataFrame:
    if inputs.reference is None:
        raise DataError(
            f"{inputs.where('gates', gate.index, 'check')}: `check: "
            f"{gate.config.check}` compares with reference data: set data.reference "
            "in the spec (e.g. the training data)"
        )
    return inputs.reference()


def _run(gate: Any, inputs: CheckInputs) -> CheckResult:
    cfg = gate.config
    kind = cfg.check
    if kind == "serving_skew":
        return serving_skew(gate, inputs)
    if kind == "leakage":  # #19
        from pytest_modelgate.checks.data.leakage import leakage_check

        return leakage_check(gate, inputs)
    if kind in ("drift", "prediction_drift", "label_drift"):
        return _drift(gate, inputs)
    test = inputs.test()  # data checks do not need the model's predictions
    if kind == "schema":
        reference = _reference(inputs, gate)
        skip = {inputs.target, *inputs.exclude}
        cols = list(cfg.columns) if cfg.columns else [c for c in reference.columns if c not in skip]
        extra_skip = [] if cfg.columns else [c for c in test.columns if c in skip]
        res = schema_check(
            reference[[c for c in cols if c in reference.columns]],
            test.drop(columns=extra_skip),
            columns=cols if cfg.columns else None,
        )
        return to_check_result(
            gate,
            res,
            "the test data has the reference's columns and "
            "dtype kinds (extra columns are reported, not failed)",
            "fix the data pipeline (a renamed, dropped or retyped column), "
            "or update the reference if the change is intended",
        )
    if kind == "missing_values":
        res = missing_values_check(
            test, columns=inputs.feature_columns(cfg.columns), max_fraction=cfg.max_fraction
        )
        return to_check_result(
            gate,
            res,
            f"missing fraction <= {cfg.max_fraction:g} per column",
            "find where the values are lost upstream; impute only if the model was trained for it",
        )
    reference = _reference(inputs, gate)
    # the columns a gate examines by default are chosen by the same rule as the functions',
    # among those both frames hold (a new test column is the schema check's news)
    cols = cfg.columns or default_columns(kind, reference, test, inputs.compared_columns(reference))
    if kind == "unseen_categories":
        res = unseen_categories_check(reference, test, columns=cols, max_fraction=cfg.max_fraction)
        return to_check_result(
            gate,
            res,
            f"share of rows with categories never seen in the reference <= {cfg.max_fraction:g}",
            "map the new values to known ones, or retrain with data that contains them",
        )
    if kind == "range":
        res = range_check(reference, test, columns=cols, max_fraction=cfg.max_fraction)
        return to_check_result(
            gate,
            res,
            f"share of rows outside the reference range <= {cfg.max_fraction:g}",
            "check units and data errors; the "
            "model extrapolates outside the range it was trained on",
        )
    raise AssertionError(f"not a data check: {kind!r}")  # the dispatcher routes only ours


def _drift(gate: Any, inputs: CheckInputs) -> CheckResult:
    cfg = gate.config
    reference = _reference(inputs, gate)
    where = inputs.where
    if cfg.check == "label_drift":
        target = inputs.target
        if target is None:  # the spec always names one; the Python API may not
            raise DataError(
                f"{where('gates', gate.index, 'check')}: label_drift compares the target's "
                "distribution, but no target column is named (data.target in a spec, target= in "
                "check_data)"
            )
        if target not in reference.columns:
            raise DataError(
                f"{where('gates', gate.index, 'check')}: the reference data has no target "
                f"column {target!r}{did_you_mean([target], list(reference.columns))}"
            )
        ref, tst = reference[[target]], inputs.test()[[target]]
        columns = [target]
    elif cfg.check == "prediction_drift":
        ref, tst = _prediction_frames(gate, inputs, reference)
        columns = ["prediction"]
    else:
        test = inputs.test()
        columns = list(cfg.columns) if cfg.columns else inputs.compared_columns(reference)
        missing = [c for c in columns if c not in reference.columns or c not in test.columns]
        if missing:
            raise DataError(
                f"{where('gates', gate.index, 'columns')}: column(s) "
                f"{', '.join(map(repr, missing))} not in both the test and the reference data"
                f"{did_you_mean(missing, list(reference.columns))} (reference columns: "
                f"{', '.join(map(str, list(reference.columns)[:20]))})"
            )
        ref, tst = reference[columns], test[columns]
    defaults = inputs.stats_defaults()
    res = drift_check(
        ref,
        tst,
        columns=columns,
        method=cfg.method,
        max=cfg.max,
        max_categorical=cfg.max_categorical,
        kinds=cfg.kinds,
        evidence=cfg.evidence,
        confidence=cfg.confidence or defaults.stats.confidence,
        min_support=defaults.min_support_of(gate),
        seed=defaults.seed,
        rng_key=cfg.check,
    )
    return to_check_result(
        gate,
        res,
        res.rule or cfg.method,
        "look at how these columns changed between the "
        "reference and the test data (a pipeline change? a new population?)"
        "; retrain or recalibrate if the shift is real",
        "more rows decide the undecided columns (each says about how many); a column without "
        "values is the missing_values check's finding; or use evidence: lenient to fail only "
        "on evidence of drift",
    )


def _prediction_frames(
    gate: Any, inputs: CheckInputs, reference: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The candidate's scores (or predictions) on the reference rows and on the test rows."""
    cand = inputs.model_input("candidate")()
    cand.require_rows("prediction_drift", "a drift statistic compares per-row predictions")
    # the model runs on the reference rows, labelled like the test rows: it needs their columns
    needed = [inputs.target, *(inputs.features or ())]
    absent = [c for c in needed if c not in reference.columns]
    if absent:
        raise DataError(
            f"{inputs.where('gates', gate.index, 'check')}: prediction_drift runs the model on "
            f"the reference data, which has no column(s) {', '.join(map(repr, absent))}"
            f"{did_you_mean(absent, list(reference.columns))}"
        )
    ref_scores = inputs.model_input("reference_predictions")()
    test_scores = cand.scores if cand.scores is not None and cand.scores.ndim == 1 else cand.y_pred
    return pd.DataFrame({"prediction": ref_scores}), pd.DataFrame({"prediction": test_scores})
