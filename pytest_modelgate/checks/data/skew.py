"""Training–serving skew: what serving logged against what the offline pipeline computes.

Two comparisons, each the share of rows that differ, judged by the rule every share-of-rows
check uses (:func:`~pytest_modelgate.checks.common.judge_rate`: an exact interval,
``strict``/``lenient``/``point``, zero tolerance when the limit is 0):

* ``column``: the prediction serving logged against the candidate's offline prediction — like
  with like: logged **labels** with predicted labels (exact), logged **scores** with the
  positive-class score (within ``tolerance``, by default 1e-6), logged regression values with
  predicted values (within ``tolerance``). ``logged: auto`` decides from the values: a numeric
  column whose values are not all class labels holds scores.
* ``features``: ``{offline column: logged column}`` pairs of the same rows — the feature value
  the serving system used against the one the offline pipeline recomputed (numbers within
  ``tolerance``, anything else exactly; missing equals missing).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from pytest_modelgate._format import one_line
from pytest_modelgate.checks.common import CheckRule, details_table, gate_fields, judge_rate
from pytest_modelgate.checks.inputs import CheckInputs
from pytest_modelgate.errors import DataError
from pytest_modelgate.results import CheckResult, GroupValue, Threshold, Verdict

__all__ = ["DEFAULT_SCORE_TOLERANCE", "serving_skew"]

#: ``tolerance`` when it is not given and numbers are compared: float noise between two
#: runtimes (float32 serving, another BLAS) is not skew.
DEFAULT_SCORE_TOLERANCE = 1e-6


def _numeric(values: Any) -> bool:
    return all(
        isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
        for v in values
    )


def _label_keys(values: pd.Series, classes: Any) -> np.ndarray:
    """Values in a comparable form: numbers as floats when the classes are numbers (a logged
    ``1.0`` is the class ``1``), text otherwise."""
    if _numeric(classes) and not pd.api.types.is_bool_dtype(values):
        numbers = pd.to_numeric(values, errors="coerce")
        if not (numbers.isna() & values.notna()).any():
            return numbers.to_numpy(dtype=float, na_value=np.nan).astype(object)
    return values.astype(str).to_numpy()


def _is_label_column(logged: pd.Series, classes: Any) -> bool:
    """True when every non-missing logged value is one of the class labels."""
    present = logged.dropna()
    if present.empty:
        return False
    keys = set(_label_keys(present, classes).tolist())
    return keys <= set(_label_keys(pd.Series(list(classes)), classes).tolist())


def _numbers(values: pd.Series, what: str, gate: Any, inputs: CheckInputs, key: str) -> np.ndarray:
    """``values`` as floats (missing as nan), or a DataError naming the first text value."""
    try:
        return values.to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError):
        text = pd.to_numeric(values, errors="coerce").isna() & values.notna()
        bad = np.flatnonzero(text.to_numpy())
        if not bad.size:  # not a value of the user's: our bug
            raise
        raise DataError(
            f"{inputs.where('gates', gate.index, key)}: column {values.name!r} ({what}) must "
            f"hold numbers (got {values.iloc[bad[0]]!r} in row {int(bad[0])})"
        ) from None


def _differ_numbers(a: np.ndarray, b: np.ndarray, tolerance: float) -> np.ndarray:
    """|a − b| > tolerance; missing on one side only differs, missing on both does not."""
    both_nan = np.isnan(a) & np.isnan(b)
    return ~(np.abs(a - b) <= tolerance) & ~both_nan


def _numeric_mismatch(
    offline: np.ndarray, logged: np.ndarray, tolerance: float
) -> tuple[np.ndarray, np.ndarray]:
    """Per-row ``differs`` and the size of each difference (missing on one side: infinite)."""
    return (
        _differ_numbers(offline, logged, tolerance),
        np.nan_to_num(np.abs(offline - logged), nan=np.inf),
    )


def _prediction_mismatch(
    gate: Any, inputs: CheckInputs, frame: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray, Any, str, float | None]:
    """Per-row ``differs``, the size of each difference (for ordering), the offline values,
    what was compared (``labels``/``scores``/``values``) and the tolerance used."""
    cfg = gate.config
    cand = inputs.model_input("candidate")()
    cand.require_rows("serving_skew", "it compares each row's prediction with its serving log")
    logged = frame[cfg.column]
    tolerance = DEFAULT_SCORE_TOLERANCE if cfg.tolerance is None else cfg.tolerance
    if cand.task == "regression":
        if cfg.logged == "labels":
            raise DataError(
                f"{inputs.where('gates', gate.index, 'logged')}: `logged: labels` needs a "
                "classification model; a regression model's logged predictions are values"
            )
        offline = np.asarray(cand.y_pred, dtype=float)
        logged_values = _numbers(logged, "the logged predictions", gate, inputs, "column")
        return (*_numeric_mismatch(offline, logged_values, tolerance), offline, "values", tolerance)
    has_scores = cand.scores is not None and np.ndim(cand.scores) == 1
    kind = cfg.logged
    if kind == "auto":
        numeric = pd.api.types.is_numeric_dtype(logged) and not pd.api.types.is_bool_dtype(logged)
        kind = "scores" if numeric and not _is_label_column(logged, cand.classes) else "labels"
    if kind == "scores":
        if not has_scores:
            raise DataError(
                f"{inputs.where('gates', gate.index, 'column')}: column {cfg.column!r} holds "
                "scores, but the candidate gives no positive-class score to compare them with "
                "(a model without predict_proba, or a multiclass task); log the predicted "
                "labels, or set `logged: labels`"
            )
        offline = np.asarray(cand.scores, dtype=float)
        logged_values = _numbers(logged, "the logged scores", gate, inputs, "column")
        return (*_numeric_mismatch(offline, logged_values, tolerance), offline, "scores", tolerance)
    if cfg.tolerance is not None:
        raise DataError(
            f"{inputs.where('gates', gate.index, 'tolerance')}: column {cfg.column!r} holds "
            f"predicted labels, which are compared exactly; `tolerance` applies to scores and "
            "regression values (remove it, or log scores)"
        )
    labels = np.asarray(cand.classes, dtype=object)[cand.y_pred]
    offline_keys = _label_keys(pd.Series(labels), cand.classes)
    differs = np.asarray(offline_keys != _label_keys(logged, cand.classes), dtype=bool)
    return differs, differs.astype(float), labels, "labels", None


def _feature_mismatch(
    gate: Any, inputs: CheckInputs, frame: pd.DataFrame
) -> tuple[np.ndarray, list[GroupValue], list[tuple[str, str]]]:
    """Rows where any ``features`` pair differs; one finding per pair; example rows."""
    cfg = gate.config
    tolerance = DEFAULT_SCORE_TOLERANCE if cfg.tolerance is None else cfg.tolerance
    any_differs = np.zeros(len(frame), dtype=bool)
    groups: list[GroupValue] = []
    examples: list[tuple[str, str]] = []
    for offline_col, logged_col in cfg.features.items():
        a, b = frame[offline_col], frame[logged_col]
        numeric = all(
            pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s) for s in (a, b)
        )
        if numeric:
            av = a.to_numpy(dtype=float, na_value=np.nan)
            bv = b.to_numpy(dtype=float, na_value=np.nan)
            differs = _differ_numbers(av, bv, tolerance)
        else:
            both_missing = (a.isna() & b.isna()).to_numpy()
            differs = (a.astype(str).to_numpy() != b.astype(str).to_numpy()) & ~both_missing
        any_differs |= differs
        count = int(differs.sum())
        groups.append(
            GroupValue(
                group=f"{offline_col} vs {logged_col}",
                n=len(frame),
                values={"mismatch": count / len(frame) if len(frame) else float("nan")},
                flagged=count > 0,
                detail=f"{count} of {len(frame)} rows differ",
            )
        )
        for i in np.flatnonzero(differs)[:3]:
            examples.append(
                (
                    f"row {int(i)}",
                    one_line(f"{offline_col} {a.iloc[i]!r}, logged {logged_col} {b.iloc[i]!r}"),
                )
            )
    return any_differs, groups, examples


def serving_skew(gate: Any, inputs: CheckInputs) -> CheckResult:
    """The share of test rows whose offline prediction (or recomputed features) differ from
    what serving logged."""
    cfg = gate.config
    frame = inputs.test()
    wanted = ([cfg.column] if cfg.column else []) + [
        c for pair in cfg.features.items() for c in pair
    ]
    absent = [c for c in wanted if c not in frame.columns]
    if absent:
        key = "column" if cfg.column in absent else "features"
        raise DataError(
            f"{inputs.where('gates', gate.index, key)}: column"
            f"{'s' if len(absent) > 1 else ''} {', '.join(map(repr, absent))} not in the test "
            "data (serving_skew compares columns of the same rows)"
        )
    differs = np.zeros(len(frame), dtype=bool)
    parts: list[str] = []
    examples: list[tuple[str, str]] = []
    groups: list[GroupValue] = []
    if cfg.column:
        pred_differs, size, offline, shown, tol = _prediction_mismatch(gate, inputs, frame)
        differs |= pred_differs
        logged = frame[cfg.column]
        rows = np.flatnonzero(pred_differs)
        for i in rows[np.argsort(-size[rows], kind="stable")][:5]:
            examples.append(
                (f"row {int(i)}", one_line(f"logged {logged.iloc[i]!r}, offline {offline[i]!r}"))
            )
        within = "exactly" if tol is None else f"within {tol:g}"
        parts.append(f"offline {shown} equal the logged {cfg.column} {within}")
        count = int(pred_differs.sum())
        groups.append(
            GroupValue(
                group=f"prediction ({shown})",
                n=len(frame),
                values={"mismatch": count / len(frame) if len(frame) else float("nan")},
                flagged=count > 0,
                detail=f"{count} of {len(frame)} rows differ",
            )
        )
    if cfg.features:
        feat_differs, feat_groups, feat_examples = _feature_mismatch(gate, inputs, frame)
        differs |= feat_differs
        groups.extend(feat_groups)
        examples.extend(feat_examples)
        parts.append(f"{len(cfg.features)} recomputed feature(s) equal the logged ones")
    rule_of = CheckRule.of(gate, inputs.stats)
    judged = judge_rate(
        int(differs.sum()), len(frame), cfg.max_mismatch, rule_of, "rows that differ from the log"
    )
    rule = f"{'; '.join(parts)}: {judged.rule}"
    share_text = (
        f" ({judged.share:.2%}, {judged.interval.method} "
        f"[{judged.interval.low:.2%}, {judged.interval.high:.2%}])"
        if len(frame)
        else ""
    )
    summary = f"{int(differs.sum())} of {len(frame)} rows{share_text} differ from the serving log"
    columns_table = [(g.group, g.detail or "") for g in groups if len(groups) > 1]
    verdict = judged.verdict
    next_step: list[tuple[str, str]] = []
    if verdict is Verdict.FAIL:
        next_step = [("next", "compare the serving and offline feature pipelines on these rows")]
    elif verdict is Verdict.INCONCLUSIVE:
        next_step = [("next", f"{judged.reason}: log more rows")]
    details = details_table(
        [
            ("check", "serving_skew"),
            ("rule", rule),
            ("differing", summary),
            *columns_table,
            *examples,
            *next_step,
        ]
    )
    head = f"{verdict.value}: " + (f"{judged.reason}; " if judged.reason else "")
    return CheckResult(
        verdict=verdict,
        message=f"{head}{summary}; {rule}",
        details=details,
        estimate=judged.share if len(frame) else None,
        interval=judged.interval if len(frame) else None,
        threshold=Threshold(max=cfg.max_mismatch),
        rule=rule,
        n=len(frame),
        groups=tuple(groups) if cfg.features else None,
        **gate_fields(gate, rule_of.evidence if cfg.max_mismatch else "point"),
    )
