"""Assertion helpers: the gates of ``gates.yaml`` as ``assert_*`` calls in ordinary tests.

Each helper builds its gate from keyword arguments through the spec's own models and runs it
through the gate engine, so it raises exactly when the YAML gate would not pass, with the same
message and table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from pytest_modelgate._format import slice_label
from pytest_modelgate.api.evaluation import _AGAINST, _INCONCLUSIVE, Evaluation, _choice
from pytest_modelgate.errors import ModelgateError
from pytest_modelgate.results import (
    CheckResult,
    ComparisonResult,
    FairnessResult,
    MetricResult,
    Verdict,
)

__all__ = [
    "assert_fair",
    "assert_metric",
    "assert_no_regression",
    "assert_predictions",
    "assert_slices",
]


def _fail(results: Sequence[CheckResult], headline: str | None = None) -> None:
    __tracebackhide__ = True
    parts = [headline] if headline else []
    for r in results:
        where = f"[{slice_label(r.slice)}] " if r.slice else ""
        parts.append(f"{where}{r.message}")
        if r.details:
            parts.append(r.details)
    raise AssertionError("\n".join(parts))


def _bad(results: Sequence[CheckResult], inconclusive: str) -> list[CheckResult]:
    return [
        r
        for r in results
        if r.verdict in (Verdict.FAIL, Verdict.ERROR)
        or (r.verdict is Verdict.INCONCLUSIVE and inconclusive == "fail")
    ]


def _assert_gate(
    ev: Evaluation, raw: dict[str, Any], caller: str, inconclusive: str = "fail"
) -> list[CheckResult]:
    """Run the gate ``raw`` describes (a gates.yaml entry's keys) and raise the gate's own
    failure text unless every result passes; returns the results."""
    __tracebackhide__ = True
    results = ev._run(raw, caller)
    bad = _bad(results, inconclusive)
    if bad:
        headline = None
        if raw.get("slices"):  # a sliced gate: say how many slices did not pass, and the rule
            from pytest_modelgate.checks.slices import worst_verdict

            headline = (
                f"{worst_verdict(bad).value}: {raw['metric']} on {len(bad)} of {len(results)} "
                f"slices of {raw['slices'][0]} ({results[0].rule})"
            )
        _fail(bad, headline)
    return results


def assert_metric(
    ev: Evaluation,
    name: str,
    min: float | None = None,
    max: float | None = None,
    *,
    slice: Mapping[str, Any] | np.ndarray | None = None,
    evidence: str | None = None,
    inconclusive: str = "fail",
) -> MetricResult:
    """Assert a metric meets ``min``/``max`` under the gate rules (strict by default).

    Raises ``AssertionError`` with the same table as a failing gate. An INCONCLUSIVE result (too
    few rows, undefined metric) fails too unless ``inconclusive="pass"``. Returns the result.
    """
    __tracebackhide__ = True
    from pytest_modelgate.checks.engine import metric_gate
    from pytest_modelgate.spec import gate_from_arguments

    caller = "assert_metric()"
    inconclusive = _choice(caller, "inconclusive", inconclusive, _INCONCLUSIVE)
    raw = {"metric": name, "min": min, "max": max, "evidence": evidence}
    gate = gate_from_arguments(raw, task=ev.task, caller=caller)
    rows, label = ev._rows(slice)
    result, est = metric_gate(gate, ev.inputs, rows, label)
    ev.results.append(result)
    if _bad([result], inconclusive):
        _fail([result])
    if est is None:  # #19: a churn metric without the baseline's predictions
        raise ModelgateError(f"{caller}: {result.message}")
    return est


def assert_slices(
    ev: Evaluation,
    name: str,
    column: str | Sequence[str],
    min: float | None = None,
    max: float | None = None,
    *,
    evidence: str | None = None,
    inconclusive: str = "fail",
) -> pd.DataFrame:
    """Assert the metric on every slice of ``column``, with the gates' multiplicity rules
    (strict: every slice must pass; lenient: Holm across slices). Returns the per-slice table."""
    __tracebackhide__ = True
    caller = "assert_slices()"
    inconclusive = _choice(caller, "inconclusive", inconclusive, _INCONCLUSIVE)
    slicing: Any = column if isinstance(column, str) else list(column)
    raw = {"metric": name, "min": min, "max": max, "slices": [slicing], "evidence": evidence}
    results = _assert_gate(ev, raw, caller, inconclusive)
    # the gate's own per-slice results: no second slicing pass over the rows
    return pd.DataFrame(
        [
            {
                "slice": slice_label(r.slice),
                "n": r.n,
                "estimate": r.estimate,
                "low": r.interval.low if r.interval is not None else np.nan,
                "high": r.interval.high if r.interval is not None else np.nan,
                "method": r.interval.method if r.interval is not None else "",
            }
            for r in results
        ],
        columns=["slice", "n", "estimate", "low", "high", "method"],
    )


def assert_no_regression(
    ev: Evaluation,
    name: str,
    *,
    max_drop: float | None = None,
    max_relative_drop: float | None = None,
    min_gain: float | None = None,
    max_gain: float | None = None,
    against: str = "baseline",
    evidence: str | None = None,
    inconclusive: str = "fail",
) -> ComparisonResult:
    """Assert the candidate is not worse than the baseline (or a constant) beyond the margin,
    with the paired statistics of compare gates. An INCONCLUSIVE comparison fails too unless
    ``inconclusive="pass"``. Returns the comparison."""
    __tracebackhide__ = True
    caller = "assert_no_regression()"
    against = _choice(caller, "against", against, _AGAINST)
    inconclusive = _choice(caller, "inconclusive", inconclusive, _INCONCLUSIVE)
    raw = {
        "metric": name,
        "compare": against,
        "max_drop": max_drop,
        "max_relative_drop": max_relative_drop,
        "min_gain": min_gain,
        "max_gain": max_gain,
        "evidence": evidence,
    }
    results = _assert_gate(ev, raw, caller, inconclusive)
    comparison = results[0].comparison
    if comparison is None:  # a gate without a comparison would have failed above
        raise ModelgateError(f"{caller}: no comparison was made")
    return comparison


def assert_fair(
    ev: Evaluation,
    name: str,
    *,
    sensitive: str | Sequence[str],
    max: float | None = None,
    min: float | None = None,
    metric: str | None = None,
    evidence: str | None = None,
    inconclusive: str = "fail",
) -> FairnessResult:
    """Assert a fairness gap (fairlearn's definitions) stays within ``max`` (differences) or
    above ``min`` (ratios), judged on its interval. An INCONCLUSIVE gap (too few rows, an
    interval that collapsed) fails too unless ``inconclusive="pass"``. Returns the result."""
    __tracebackhide__ = True
    caller = "assert_fair()"
    inconclusive = _choice(caller, "inconclusive", inconclusive, _INCONCLUSIVE)
    sens: Any = sensitive if isinstance(sensitive, str) else list(sensitive)
    ev._columns([sens] if isinstance(sens, str) else sens, caller)
    raw = {
        "fairness": name,
        "sensitive": sens,
        "max": max,
        "min": min,
        "metric": metric,
        "evidence": evidence,
    }
    _assert_gate(ev, raw, caller, inconclusive)
    return ev.fairness(name, sensitive, metric)


def assert_predictions(
    predict: Any,
    X: Any,
    expected: Any,
    *,
    name: str = "golden cases",
    tolerance: float = 0.0,
    max_failures: int = 0,
) -> None:
    """Golden cases: these rows must be predicted as ``expected`` (CheckList's minimum
    functionality tests). Fails listing every row that is not, with what was expected.

    ``predict`` is a model (its ``predict`` is used) or a callable ``X -> predictions``;
    numeric predictions may differ by ``tolerance``; ``max_failures`` rows may fail.
    """
    __tracebackhide__ = True
    fn: Callable[[Any], Any] = predict.predict if hasattr(predict, "predict") else predict
    got = np.asarray(fn(X))
    want = np.asarray(expected)
    if got.shape[0] != want.shape[0]:
        raise AssertionError(
            f"{name}: {got.shape[0]} predictions for {want.shape[0]} expected values"
        )
    if tolerance > 0 and np.issubdtype(got.dtype, np.number):
        ok = np.abs(got.astype(float) - want.astype(float)) <= tolerance
    else:
        ok = np.array([str(g) == str(w) for g, w in zip(got, want, strict=True)])
    bad = np.flatnonzero(~ok)
    if bad.size > max_failures:
        index = list(X.index) if isinstance(X, (pd.DataFrame, pd.Series)) else list(range(len(got)))
        lines = [
            f"{name}: {bad.size} of {len(got)} rows predicted wrongly (allowed: {max_failures})",
            "  row         expected    got",
        ]
        for i in bad[:20]:
            lines.append(f"  {index[i]!s:<10}  {want[i]!s:<10}  {got[i]}")
        if bad.size > 20:
            lines.append(f"  ... and {bad.size - 20} more")
        lines.append(
            "  next: look at these rows; if the expectation changed, update the golden "
            "set in the same change"
        )
        raise AssertionError("\n".join(lines))
