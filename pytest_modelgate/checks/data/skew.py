"""Training–serving skew: the candidate's offline predictions against what serving logged."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from pytest_modelgate.checks.common import details_table, gate_fields
from pytest_modelgate.checks.inputs import CheckInputs
from pytest_modelgate.errors import DataError
from pytest_modelgate.results import CheckResult, Threshold, Verdict

__all__ = ["serving_skew"]


def serving_skew(gate: Any, inputs: CheckInputs) -> CheckResult:
    """The share of test rows whose offline prediction differs from the logged one."""
    cfg = gate.config
    frame = inputs.test()
    if cfg.column not in frame.columns:
        raise DataError(
            f"{inputs.where('gates', gate.index, 'column')}: column "
            f"{cfg.column!r} (the logged predictions) is not in the test data"
        )
    cand = inputs.model_input("candidate")()
    cand.require_rows("serving_skew", "it compares each row's prediction with its serving log")
    logged = frame[cfg.column]
    if (
        pd.api.types.is_numeric_dtype(logged)
        and cand.scores is not None
        and cand.scores.ndim == 1
        and cfg.tolerance > 0
    ):
        offline = cand.scores
        diff = np.abs(offline - logged.to_numpy(dtype=float))
        differs = ~(diff <= cfg.tolerance)
        shown = "score"
    else:
        if cand.task == "regression":
            offline = cand.y_pred
            diff = np.abs(offline - _as_numbers(logged, gate, inputs))
            differs = ~(diff <= cfg.tolerance)
        else:
            labels = np.asarray(cand.classes, dtype=object)[cand.y_pred]
            offline = labels
            differs = pd.Series(labels).astype(str).to_numpy() != logged.astype(str).to_numpy()
            diff = differs.astype(float)
        shown = "prediction"
    share = float(differs.mean())
    ok = share <= cfg.max_mismatch
    rows = np.flatnonzero(differs)
    order = rows[np.argsort(-diff[rows], kind="stable")][:5]
    examples = [
        (f"row {int(i)}", f"logged {logged.iloc[i]!r}, offline {offline[i]!r}") for i in order
    ]
    rule = (
        f"share of rows whose offline {shown} differs from the logged one by more than "
        f"{cfg.tolerance:g} <= {cfg.max_mismatch:g}"
    )
    summary = f"{len(rows)} of {len(frame)} rows ({share:.2%}) differ from the serving log"
    details = details_table(
        [("check", "serving_skew"), ("rule", rule), ("differing", summary), *examples]
        + (
            []
            if ok
            else [("next", "compare the serving and offline feature pipelines on these rows")]
        )
    )
    verdict = Verdict.PASS if ok else Verdict.FAIL
    return CheckResult(
        verdict=verdict,
        message=f"{verdict.value}: {summary}; {rule}",
        details=details,
        estimate=share,
        threshold=Threshold(max=cfg.max_mismatch),
        rule=rule,
        n=len(frame),
        **gate_fields(gate),
    )


def _as_numbers(logged: pd.Series, gate: Any, inputs: CheckInputs) -> np.ndarray:
    """The logged predictions of a regression model as floats (missing values as nan)."""
    try:
        return logged.to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError):
        text = pd.to_numeric(logged, errors="coerce").isna() & logged.notna()
        bad = np.flatnonzero(text.to_numpy())
        if not bad.size:  # not a value of the user's: our bug
            raise
        raise DataError(
            f"{inputs.where('gates', gate.index, 'column')}: column {gate.config.column!r} "
            "(the logged predictions) must hold numbers for a regression model (got "
            f"{logged.iloc[bad[0]]!r} in row {int(bad[0])})"
        ) from None
