"""Metrics with parameters, calibration metrics and custom metrics (#19), resolved by name.

:func:`pytest_modelgate.estimates.metrics.get_metric` falls back to :func:`extra_metric` for any
name its fixed registry does not hold, so a parameterised name works everywhere a metric name
does (threshold, slice and compare gates, ``decision.primary``, the Python API, the stored
baseline): the name *is* the definition.

=================================  ==============================================================
name                               meaning
=================================  ==============================================================
``recall_at_precision(0.9)``       largest recall at a threshold with precision ≥ 0.9
``precision_at_recall(0.8)``       largest precision at a threshold with recall ≥ 0.8
``tpr_at_fpr(0.05)``               largest TPR at a threshold with FPR ≤ 0.05
``sensitivity_at_specificity(.95)`` largest TPR at a threshold with specificity ≥ 0.95
``precision_at_k(100)``, ``(5%)``  precision of the top 100 rows / top 5% of rows by score
``recall_at_k(…)``, ``lift_at_k``  recall of the top k; precision at k over the prevalence
``expected_cost(fp=1, fn=5)``      mean cost per row of the confusion cells (tp, fp, tn, fn;
                                   those not given cost 0)
``calibration_error``, ``(15)``    debiased ℓ2 binned calibration error, 10 (15) equal-mass bins
``calibration_ratio``              observed / expected events
``calibration_slope``              slope of the logistic recalibration on logit(p)
``calibration_intercept``          calibration-in-the-large (intercept, slope fixed at 1)
a registered name                  ``@pytest_modelgate.metric`` or a spec ``metrics:`` formula
=================================  ==============================================================
"""

from __future__ import annotations

import inspect
import math
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import numpy as np

__all__ = [
    "CUSTOM",
    "NO_COMPARE",
    "MetricNameError",
    "extra_metric",
    "extra_names",
    "metric",
    "normalize",
    "register_formula",
]


class MetricNameError(KeyError):
    """A metric name of a known family with bad parameters; ``str()`` is the message."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


# family -> (what the parameter is, check, template shown in "allowed")
_RATES = {
    "recall_at_precision": ("the precision to reach", "(0, 1]", "recall_at_precision(<precision>)"),
    "precision_at_recall": ("the recall to reach", "(0, 1]", "precision_at_recall(<recall>)"),
    "tpr_at_fpr": ("the largest false positive rate", "[0, 1)", "tpr_at_fpr(<fpr>)"),
    "sensitivity_at_specificity": (
        "the specificity to keep",
        "(0, 1]",
        "sensitivity_at_specificity(<specificity>)",
    ),
}
_AT_K = ("precision_at_k", "recall_at_k", "lift_at_k")
_CALIBRATION = ("calibration_ratio", "calibration_slope", "calibration_intercept")
_COST_CELLS = ("tn", "fp", "fn", "tp")
MAX_CALIBRATION_BINS = 100
#: why calibration metrics have no compare gate (spec edge and Evaluation.compare)
NO_COMPARE = (
    "a compare gate is not available for calibration metrics: they have a target (slope 1, "
    "intercept 0, ratio 1, error 0), not a direction, so a drop or a gain of the baseline's "
    "value does not say which model is better calibrated (allowed: a threshold gate with "
    "`min`/`max`, e.g. {metric: calibration_slope, min: 0.8, max: 1.2}, on each model)"
)


TEMPLATES = (
    *(t for _, _, t in _RATES.values()),
    *(f"{k}(<rows> or <percent>%)" for k in _AT_K),
    "expected_cost(fp=<cost>, fn=<cost>, tp=<cost>, tn=<cost>)",
    "calibration_error",
    "calibration_error(<bins>)",
    *_CALIBRATION,
)

_CALL = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*\((.*)\)\s*$", re.S)


def _num(text: str) -> str:
    s = repr(float(text))
    return s[:-2] if s.endswith(".0") else s


def _float(name: str, arg: str, what: str) -> float:
    try:
        value = float(arg)
    except ValueError:
        raise MetricNameError(f"{name}: {what} must be a number (got {arg.strip()!r})") from None
    if not math.isfinite(value):
        raise MetricNameError(f"{name}: {what} must be finite (got {arg.strip()!r})")
    return value


def _split(name: str) -> tuple[str, str | None]:
    m = _CALL.match(name)
    if not m:
        return name.strip(), None
    return m.group(1), m.group(2)


def normalize(name: str) -> str:
    """The canonical spelling of a parameterised name (``recall_at_precision( .90 )`` →
    ``recall_at_precision(0.9)``); other names unchanged. Raises :class:`MetricNameError`."""
    family, arg = _split(name)
    if family in _RATES:
        what, rng, template = _RATES[family]
        if arg is None:
            raise MetricNameError(f"{family} needs {what}: write {template}, e.g. {family}(0.9)")
        t = _float(family, arg, what)
        ok = (0 < t <= 1) if rng == "(0, 1]" else (0 <= t < 1)
        if not ok:
            raise MetricNameError(f"{family}: {what} must lie in {rng} (got {arg.strip()})")
        return f"{family}({_num(arg)})"
    if family in _AT_K:
        if arg is None:
            raise MetricNameError(
                f"{family} needs k: write {family}(100) for the top 100 rows or {family}(5%) "
                "for the top 5% of rows"
            )
        a = arg.strip()
        if a.endswith("%"):
            q = _float(family, a[:-1], "the share k")
            if not 0 < q <= 100:
                raise MetricNameError(f"{family}: k must lie in (0%, 100%] (got {a})")
            return f"{family}({_num(a[:-1])}%)"
        if not re.fullmatch(r"[0-9]+", a) or int(a) < 1:
            raise MetricNameError(
                f"{family}: k must be a whole number of rows >= 1 (e.g. 100) or a share with "
                f"% (e.g. 5%) (got {a!r})"
            )
        return f"{family}({int(a)})"
    if family == "expected_cost":
        costs = _costs(arg)
        inner = ", ".join(f"{c}={_num(str(costs[c]))}" for c in _COST_CELLS if c in costs)
        return f"expected_cost({inner})"
    if family == "calibration_error":
        if arg is None:
            return family
        a = arg.strip()
        if not re.fullmatch(r"[0-9]+", a) or not 2 <= int(a) <= MAX_CALIBRATION_BINS:
            raise MetricNameError(
                f"calibration_error: the number of equal-mass bins must be a whole number in "
                f"[2, {MAX_CALIBRATION_BINS}] (got {a!r}); calibration_error alone uses 10"
            )
        return f"calibration_error({int(a)})"
    if family in _CALIBRATION and arg is not None:
        raise MetricNameError(f"{family} takes no parameters (got {name.strip()!r})")
    return name


def _costs(arg: str | None) -> dict[str, float]:
    example = "expected_cost(fp=1, fn=5)"
    if arg is None or not arg.strip():
        raise MetricNameError(
            f"expected_cost needs the cost of the confusion cells: write {example} (cells "
            "tp, fp, tn, fn; a cell not given costs 0)"
        )
    costs: dict[str, float] = {}
    for part in arg.split(","):
        key, eq, val = part.partition("=")
        key = key.strip()
        if not eq or key not in _COST_CELLS:
            raise MetricNameError(
                f"expected_cost: {part.strip()!r} is not cell=cost (allowed cells: tp, fp, tn, "
                f"fn; e.g. {example})"
            )
        if key in costs:
            raise MetricNameError(f"expected_cost: the cost of {key} is given twice")
        costs[key] = _float("expected_cost", val, f"the cost of {key}")
    if all(v == 0 for v in costs.values()):
        raise MetricNameError(
            f"expected_cost: every cost is 0, nothing to measure (e.g. {example})"
        )
    return costs


# --- custom metrics: @metric and spec formulas -----------------------------------------------

#: name -> (Metric, definition text used to detect a conflicting re-definition)
CUSTOM: dict[str, tuple[Any, str]] = {}
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


def _check_custom_name(name: str) -> None:
    from pytest_modelgate.estimates.metrics import _ALIASES, METRICS

    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(
            f"a custom metric name is a Python-style identifier of at most 64 characters (got "
            f"{name!r})"
        )
    taken = {m.name for m in METRICS.values()} | set(_ALIASES) | set(_RATES) | set(_AT_K)
    taken |= {"expected_cost", "calibration_error", *_CALIBRATION}
    if name in taken:
        raise ValueError(f"{name!r} is a built-in metric; give the custom metric another name")


def _register(name: str, m: Any, definition: str) -> Any:
    _check_custom_name(name)
    old = CUSTOM.get(name)
    if old is not None and old[1] != definition:
        raise ValueError(
            f"the custom metric {name!r} is already defined differently ({old[1]}); one name, "
            "one definition"
        )
    CUSTOM[name] = (m, definition)
    extra_metric.cache_clear()
    return m


def _custom_metric(
    name: str,
    from_counts: Callable[[np.ndarray], np.ndarray],
    higher_is_better: bool,
    bounds: tuple[float | None, float | None],
    description: str,
) -> Any:
    from pytest_modelgate.estimates.metrics import Metric

    return Metric(
        name,
        frozenset({"binary"}),
        "counts",
        higher_is_better,
        description,
        from_counts=from_counts,
        bounds=bounds,
    )


def register_formula(
    name: str,
    formula: str,
    *,
    higher_is_better: bool = True,
    bounds: tuple[float | None, float | None] = (None, None),
    description: str | None = None,
) -> Any:
    """Register ``name`` as the safe formula ``formula`` over tp, fp, tn, fn (see
    :mod:`estimates.formula`); raises ``ValueError`` (a :class:`FormulaError`) when it is not
    allowed or the name is taken by another definition."""
    from pytest_modelgate.estimates.formula import compile_formula

    f = compile_formula(formula)
    definition = f"formula {formula!r}, higher_is_better={higher_is_better}, bounds={bounds}"
    m = _custom_metric(name, f, higher_is_better, bounds, description or f"formula: {formula}")
    return _register(name, m, definition)


def metric(
    func: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    higher_is_better: bool = True,
    bounds: tuple[float | None, float | None] = (None, None),
    description: str | None = None,
) -> Any:
    """Register a binary metric computed from the confusion counts.

    Use as ``@pytest_modelgate.metric`` or ``@pytest_modelgate.metric(higher_is_better=False)``
    on a function of keyword arguments among ``tp, fp, tn, fn`` (numpy arrays of any shape: it
    must be vectorised, as every bootstrap replicate is computed at once) that returns one value
    per element, ``nan`` where undefined. The metric is then a name for every gate, with a
    bootstrap interval on the confusion counts and paired compare gates. Returns ``func``.
    """

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        metric_name = name or fn.__name__
        params = list(inspect.signature(fn).parameters)
        unknown = [p for p in params if p not in _COST_CELLS]
        if unknown or not params:
            raise ValueError(
                f"@metric {metric_name!r}: the function takes keyword arguments among tp, fp, "
                f"tn, fn (got {', '.join(params) or 'none'})"
            )

        def from_counts(c: np.ndarray) -> np.ndarray:
            c = np.asarray(c, dtype=float)
            cells = {"tn": c[..., 0, 0], "fp": c[..., 0, 1], "fn": c[..., 1, 0], "tp": c[..., 1, 1]}
            with np.errstate(all="ignore"):
                out = np.asarray(fn(**{p: cells[p] for p in params}), dtype=float)
            out = np.broadcast_to(out, cells["tp"].shape).astype(float)
            return np.where(np.isfinite(out), out, np.nan)

        probe = np.arange(1, 17, dtype=float).reshape(2, 2, 2, 2)
        try:
            got = from_counts(probe)
        except Exception as exc:
            raise ValueError(
                f"@metric {metric_name!r}: calling it on arrays of counts failed "
                f"({type(exc).__name__}: {exc}); it must be vectorised with numpy"
            ) from None
        singles = np.array([from_counts(probe[i, j])[()] for i in range(2) for j in range(2)])
        if got.shape != (2, 2) or not np.allclose(got.reshape(-1), singles, equal_nan=True):
            raise ValueError(
                f"@metric {metric_name!r}: it must be vectorised (one value per element of the "
                "count arrays); use numpy operations (np.where, np.sqrt), not Python if/max"
            )
        qualname = f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', '?')}"
        m = _custom_metric(
            metric_name,
            from_counts,
            higher_is_better,
            bounds,
            description or (inspect.getdoc(fn) or "").split("\n")[0] or f"custom: {qualname}",
        )
        _register(metric_name, m, f"python {qualname}, higher_is_better={higher_is_better}")
        return fn

    return register(func) if func is not None else register


# --- resolution ------------------------------------------------------------------------------


@lru_cache(maxsize=512)
def extra_metric(name: str, task: str) -> Any:
    """The :class:`Metric` of a parameterised, calibration or custom name for ``task``;
    ``KeyError`` (a :class:`MetricNameError` with the reason for a known family) otherwise."""
    from pytest_modelgate.estimates.metrics import Metric

    if name in CUSTOM:
        m = CUSTOM[name][0]
        if task not in m.tasks:
            raise KeyError(name)
        return m
    canonical = normalize(name)
    family, arg = _split(canonical)
    if family not in (*_RATES, *_AT_K, "expected_cost", "calibration_error", *_CALIBRATION):
        raise KeyError(name)
    if task != "binary":
        raise KeyError(name)
    if family in _RATES:
        from pytest_modelgate.estimates.operating import operating_estimate, rate_at

        target = float(arg or "nan")
        desc = {
            "recall_at_precision": f"largest recall at a threshold with precision >= {target:g}",
            "precision_at_recall": f"largest precision at a threshold with recall >= {target:g}",
            "tpr_at_fpr": f"largest TPR at a threshold with FPR <= {target:g}",
            "sensitivity_at_specificity": (
                f"largest sensitivity at a threshold with specificity >= {target:g}"
            ),
        }[family]
        return Metric(
            canonical,
            frozenset({"binary"}),
            "operating",
            True,
            desc,
            from_histogram=rate_at(family, target),
            estimator=operating_estimate,
        )
    if family in _AT_K:
        from pytest_modelgate.estimates.operating import at_k, operating_estimate

        a = (arg or "").strip()
        share = a.endswith("%")
        k = float(a[:-1]) / 100 if share else float(a)
        what = f"the top {a} of rows" if share else f"the top {a} rows"
        desc = {
            "precision_at_k": f"share of positives among {what} by score",
            "recall_at_k": f"share of all positives found in {what} by score",
            "lift_at_k": f"precision in {what} over the prevalence",
        }[family]
        bounds: tuple[float | None, float | None] = (
            (0.0, None) if family == "lift_at_k" else (0.0, 1.0)
        )
        return Metric(
            canonical,
            frozenset({"binary"}),
            "operating",
            True,
            desc,
            from_histogram=at_k(family, k, share),
            estimator=operating_estimate,
            bounds=bounds,
        )
    if family == "expected_cost":
        from pytest_modelgate.estimates.costs import cost_estimate, cost_function

        costs = _costs(arg)
        values = [costs.get(c, 0.0) for c in _COST_CELLS]
        return Metric(
            canonical,
            frozenset({"binary"}),
            "counts",
            False,
            "mean cost per row of the confusion cells",
            from_counts=cost_function(costs),
            estimator=cost_estimate,
            bounds=(min(values), max(values)),
        )
    from pytest_modelgate.estimates.calibration import calibration_estimate

    desc, hib, bounds = {
        "calibration_error": ("debiased l2 binned calibration error", False, (0.0, 1.0)),
        "calibration_ratio": ("observed / expected events (1 = calibrated)", True, (0.0, None)),
        "calibration_slope": ("logistic recalibration slope (1 = calibrated)", True, (None, None)),
        "calibration_intercept": (
            "calibration-in-the-large: recalibration intercept at slope 1 (0 = calibrated)",
            True,
            (None, None),
        ),
    }[family]
    return Metric(
        canonical,
        frozenset({"binary"}),
        "calibration",
        hib,
        desc,
        estimator=calibration_estimate,
        bounds=bounds,
    )


def extra_names(task: str | None) -> list[str]:
    """Names (templates for parameterised families) shown in "allowed" lists."""
    custom = [n for n, (m, _) in CUSTOM.items() if task is None or task in m.tasks]
    if task not in (None, "binary"):
        return custom
    return [*TEMPLATES, *custom]
