"""Metric registry: each metric is a function of sufficient statistics, not of rows.

Confusion-matrix metrics take a count array of shape ``(..., K, K)`` indexed ``[true, predicted]``
and are vectorised over the leading axes, so the same function gives the point estimate, every
bootstrap replicate (``(B, K, K)``) and every jackknife value. Ranking metrics (ROC AUC, average
precision) take per-class score histograms ``(..., 2, bins)``; loss metrics are means of per-row
losses. An undefined value (e.g. recall with no positives) is ``nan``, never a made-up 0: the
gate turns it into INCONCLUSIVE. (scikit-learn returns 0 with a warning in those cases.)
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

__all__ = ["METRICS", "Metric", "get_metric", "metric_names", "suggest_metric"]

Task = Literal["binary", "multiclass", "regression"]
Kind = Literal["counts", "ranking", "row_mean", "regression", "churn", "operating", "calibration"]

_EPS = np.finfo(np.float64).eps


def _div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


# --- binary confusion cells: counts[..., true, pred] with 0 = negative, 1 = positive -------------


def _cells(c: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    c = np.asarray(c, dtype=float)
    return c[..., 0, 0], c[..., 0, 1], c[..., 1, 0], c[..., 1, 1]  # tn, fp, fn, tp


def _fbeta(beta: float) -> Callable[[np.ndarray], np.ndarray]:
    b2 = beta * beta

    def f(c: np.ndarray) -> np.ndarray:
        _tn, fp, fn, tp = _cells(c)
        return _div((1 + b2) * tp, (1 + b2) * tp + b2 * fn + fp)

    return f


def _mcc(c: np.ndarray) -> np.ndarray:
    tn, fp, fn, tp = _cells(c)
    den = np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    return _div(tp * tn - fp * fn, den)


def _balanced_accuracy_binary(c: np.ndarray) -> np.ndarray:
    tn, fp, fn, tp = _cells(c)
    return (_div(tp, tp + fn) + _div(tn, tn + fp)) / 2


# --- multiclass: counts[..., K, K] ---------------------------------------------------------------


def _diag(c: np.ndarray) -> np.ndarray:
    return np.diagonal(np.asarray(c, dtype=float), axis1=-2, axis2=-1)


def _mc_accuracy(c: np.ndarray) -> np.ndarray:
    c = np.asarray(c, dtype=float)
    return _div(_diag(c).sum(-1), c.sum((-2, -1)))


def _per_class(c: np.ndarray, which: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-class metric, the true support, and the mask of classes present in y_true or y_pred."""
    c = np.asarray(c, dtype=float)
    diag = _diag(c)
    support = c.sum(-1)  # true counts per class
    predicted = c.sum(-2)
    if which == "precision":
        value = _div(diag, predicted)
    elif which == "recall":
        value = _div(diag, support)
    else:  # f1
        value = _div(2 * diag, support + predicted)
    present = (support + predicted) > 0
    # scikit-learn's zero_division default: an undefined per-class term counts as 0 in averages
    value = np.where(present & np.isnan(value), 0.0, value)
    return value, support, present


def _macro(which: str) -> Callable[[np.ndarray], np.ndarray]:
    def f(c: np.ndarray) -> np.ndarray:
        value, _support, present = _per_class(c, which)
        return _div(np.where(present, value, 0.0).sum(-1), present.sum(-1))

    return f


def _weighted(which: str) -> Callable[[np.ndarray], np.ndarray]:
    def f(c: np.ndarray) -> np.ndarray:
        value, support, present = _per_class(c, which)
        return _div(np.where(present, value * support, 0.0).sum(-1), support.sum(-1))

    return f


def _mc_balanced_accuracy(c: np.ndarray) -> np.ndarray:
    c = np.asarray(c, dtype=float)
    support = c.sum(-1)
    recall = _div(_diag(c), support)
    has = support > 0
    return _div(np.where(has, recall, 0.0).sum(-1), has.sum(-1))


# --- ranking metrics on score histograms: h[..., label, bin], bins sorted by ascending score -----


def auc_from_histogram(h: np.ndarray) -> np.ndarray:
    """ROC AUC from per-class score histograms (exact when each bin holds one distinct score)."""
    h = np.asarray(h, dtype=float)
    neg, pos = h[..., 0, :], h[..., 1, :]
    neg_below = np.cumsum(neg, axis=-1) - neg
    num = (pos * (neg_below + 0.5 * neg)).sum(-1)
    return _div(num, pos.sum(-1) * neg.sum(-1))


def average_precision_from_histogram(h: np.ndarray) -> np.ndarray:
    """Average precision (scikit-learn's step-wise definition, ties as one threshold)."""
    h = np.asarray(h, dtype=float)
    neg, pos = h[..., 0, ::-1], h[..., 1, ::-1]  # descending score
    tp = np.cumsum(pos, axis=-1)
    fp = np.cumsum(neg, axis=-1)
    total_pos = tp[..., -1:]
    precision = _div(tp, tp + fp)
    delta_recall = _div(pos, total_pos)
    precision = np.where(pos > 0, precision, 0.0)
    return np.where(total_pos[..., 0] > 0, (delta_recall * precision).sum(-1), np.nan)


# --- registry -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Metric:
    """A metric: how to compute it from sufficient statistics and how to read it.

    Attributes
    ----------
    name : registry name (scikit-learn's where one exists).
    tasks : tasks the metric applies to.
    kind : ``counts`` (confusion cells), ``ranking`` (score histograms), ``row_mean`` (mean of a
        per-row loss) or ``regression`` (a function of per-row residual sums).
    higher_is_better : direction, used to orient baseline differences.
    from_counts : for ``counts`` metrics, the vectorised function of the confusion counts.
    proportion : for metrics that are one binomial proportion, the function returning
        ``(successes, trials)`` from the counts; these get Wilson/Clopper–Pearson intervals.
    bounds : the metric's range, used to clip analytic intervals.
    description : one line for reports and docs.
    """

    name: str
    tasks: frozenset[str]
    kind: Kind
    higher_is_better: bool
    description: str
    from_counts: Callable[[np.ndarray], np.ndarray] | None = None
    proportion: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]] | None = None
    bounds: tuple[float | None, float | None] = (0.0, 1.0)
    aliases: tuple[str, ...] = ()
    # --- per-class metrics (#19): the class a ``recall[fraud]`` metric is of (its label as
    # text); estimates/per_class.py binds it to the one-vs-rest evidence ---
    class_value: str | None = None
    # --- #19: operating points, calibration, costs and custom metrics (estimates/extra_metrics)
    #: ``operating`` metrics: the vectorised function of the score histogram ``(..., 2, bins)``
    from_histogram: Callable[[np.ndarray], np.ndarray] | None = None
    #: a metric that brings its own interval: ``estimator(metric, ev, opts, rng)`` →
    #: ``MetricResult`` (called by ``estimate_metric`` instead of the kind's default path)
    estimator: Callable[..., object] | None = None


def _prop(
    num: Callable[..., np.ndarray], den: Callable[..., np.ndarray]
) -> Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]:
    def f(c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        tn, fp, fn, tp = _cells(c)
        return num(tn, fp, fn, tp), den(tn, fp, fn, tp)

    return f


def _from_prop(
    p: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
) -> Callable[[np.ndarray], np.ndarray]:
    def f(c: np.ndarray) -> np.ndarray:
        num, den = p(c)
        return _div(num, den)

    return f


_B = frozenset({"binary"})
_MC = frozenset({"multiclass"})
_BMC = frozenset({"binary", "multiclass"})
_R = frozenset({"regression"})

_PROPORTIONS: dict[
    str, tuple[str, Callable[..., tuple[np.ndarray, np.ndarray]], tuple[str, ...]]
] = {
    "recall": (
        "share of actual positives predicted positive (true positive rate, sensitivity)",
        _prop(lambda tn, fp, fn, tp: tp, lambda tn, fp, fn, tp: tp + fn),
        ("tpr", "sensitivity", "true_positive_rate"),
    ),
    "specificity": (
        "share of actual negatives predicted negative (true negative rate)",
        _prop(lambda tn, fp, fn, tp: tn, lambda tn, fp, fn, tp: tn + fp),
        ("tnr", "true_negative_rate"),
    ),
    "precision": (
        "share of predicted positives that are positive",
        _prop(lambda tn, fp, fn, tp: tp, lambda tn, fp, fn, tp: tp + fp),
        (),
    ),
    "selection_rate": (
        "share of rows predicted positive",
        _prop(lambda tn, fp, fn, tp: tp + fp, lambda tn, fp, fn, tp: tn + fp + fn + tp),
        (),
    ),
}
_LOWER_PROPORTIONS = {
    "fpr": (
        "share of actual negatives predicted positive (false positive rate)",
        _prop(lambda tn, fp, fn, tp: fp, lambda tn, fp, fn, tp: tn + fp),
        ("false_positive_rate",),
    ),
    "fnr": (
        "share of actual positives predicted negative (false negative rate)",
        _prop(lambda tn, fp, fn, tp: fn, lambda tn, fp, fn, tp: tp + fn),
        ("false_negative_rate",),
    ),
}


def _build_registry() -> dict[str, Metric]:
    reg: list[Metric] = []

    def binary_accuracy_prop(c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        c = np.asarray(c, dtype=float)
        return _diag(c).sum(-1), c.sum((-2, -1))

    reg.append(
        Metric(
            "accuracy",
            _BMC,
            "counts",
            True,
            "share of rows predicted correctly",
            from_counts=_mc_accuracy,
            proportion=binary_accuracy_prop,
        )
    )
    for table, higher_is_better in ((_PROPORTIONS, True), (_LOWER_PROPORTIONS, False)):
        for name, (desc, prop, aliases) in table.items():
            reg.append(
                Metric(
                    name,
                    _B,
                    "counts",
                    higher_is_better,
                    desc,
                    from_counts=_from_prop(prop),
                    proportion=prop,
                    aliases=aliases,
                )
            )
    reg.append(
        Metric(
            "balanced_accuracy",
            _B,
            "counts",
            True,
            "mean of recall and specificity",
            from_counts=_balanced_accuracy_binary,
        )
    )
    reg.append(
        Metric(
            "f1",
            _B,
            "counts",
            True,
            "harmonic mean of precision and recall",
            from_counts=_fbeta(1.0),
        )
    )
    reg.append(
        Metric(
            "f0_5",
            _B,
            "counts",
            True,
            "F-beta with beta = 0.5 (precision-weighted)",
            from_counts=_fbeta(0.5),
        )
    )
    reg.append(
        Metric(
            "f2",
            _B,
            "counts",
            True,
            "F-beta with beta = 2 (recall-weighted)",
            from_counts=_fbeta(2.0),
        )
    )
    reg.append(
        Metric(
            "matthews_corrcoef",
            _B,
            "counts",
            True,
            "Matthews correlation coefficient",
            from_counts=_mcc,
            bounds=(-1.0, 1.0),
            aliases=("mcc",),
        )
    )
    reg.append(
        Metric(
            "roc_auc",
            _B,
            "ranking",
            True,
            "area under the ROC curve",
            aliases=("auc",),
        )
    )
    reg.append(
        Metric(
            "average_precision",
            _B,
            "ranking",
            True,
            "area under the precision-recall curve (step-wise)",
        )
    )
    reg.append(
        Metric(
            "log_loss",
            _BMC,
            "row_mean",
            False,
            "mean negative log-likelihood",
            bounds=(0.0, None),
            aliases=("cross_entropy",),
        )
    )
    reg.append(
        Metric(
            "brier_score",
            _B,
            "row_mean",
            False,
            "mean squared error of the positive-class probability",
            aliases=("brier",),
        )
    )
    # multiclass
    reg.append(
        Metric(
            "balanced_accuracy",
            _MC,
            "counts",
            True,
            "mean per-class recall",
            from_counts=_mc_balanced_accuracy,
        )
    )
    for which in ("precision", "recall", "f1"):
        reg.append(
            Metric(
                f"{which}_macro",
                _MC,
                "counts",
                True,
                f"unweighted mean of per-class {which}",
                from_counts=_macro(which),
            )
        )
        reg.append(
            Metric(
                f"{which}_weighted",
                _MC,
                "counts",
                True,
                f"support-weighted mean of per-class {which}",
                from_counts=_weighted(which),
            )
        )
        reg.append(
            Metric(
                f"{which}_micro",
                _MC,
                "counts",
                True,
                f"micro-averaged {which} (equals accuracy for single-label data)",
                from_counts=_mc_accuracy,
                proportion=binary_accuracy_prop,
            )
        )
    # --- #19: macro one-vs-rest ROC AUC and prediction churn (estimates/per_class.py, churn.py)
    reg.append(
        Metric(
            "roc_auc_ovr",
            _MC,
            "ranking",
            True,
            "macro average of the one-vs-rest ROC AUCs (scikit-learn multi_class='ovr')",
            aliases=("roc_auc_macro",),
        )
    )
    reg.append(
        Metric(
            "negative_flip_rate",
            _BMC,
            "churn",
            False,
            "share of rows the baseline predicts right and the candidate wrong",
        )
    )
    reg.append(
        Metric(
            "flip_rate",
            _BMC,
            "churn",
            False,
            "share of rows whose predicted label differs between candidate and baseline",
        )
    )
    # --- end #19 ---
    # regression
    for name, desc, hib, bounds in (
        ("mae", "mean absolute error", False, (0.0, None)),
        ("mse", "mean squared error", False, (0.0, None)),
        ("rmse", "root mean squared error", False, (0.0, None)),
        ("r2", "coefficient of determination", True, (None, 1.0)),
        ("mape", "mean absolute percentage error (a fraction, not %)", False, (0.0, None)),
    ):
        reg.append(Metric(name, _R, "regression", hib, desc, bounds=bounds))

    out: dict[str, Metric] = {}
    for m in reg:
        for task in m.tasks:
            out[f"{task}:{m.name}"] = m
    return out


METRICS: dict[str, Metric] = _build_registry()
_ALIASES: dict[str, str] = {alias: m.name for m in METRICS.values() for alias in m.aliases}


def metric_names(task: str | None = None) -> list[str]:
    """Canonical metric names (and aliases), for one task or all tasks; parameterised
    families appear as templates (``recall_at_precision(<precision>)``)."""
    from pytest_modelgate.estimates.extra_metrics import extra_names

    names = {m.name for key, m in METRICS.items() if task is None or key.startswith(f"{task}:")}
    aliases = {a for a, target in _ALIASES.items() if target in names}
    return sorted(names | aliases) + extra_names(task)


def canonical_name(name: str) -> str:
    """Resolve an alias (``tpr`` → ``recall``) and spell a parameterised name canonically
    (``recall_at_precision( .90 )`` → ``recall_at_precision(0.9)``)."""
    if name in _ALIASES:
        return _ALIASES[name]
    if "(" in name:
        from pytest_modelgate.estimates.extra_metrics import MetricNameError, normalize

        try:
            return normalize(name)
        except MetricNameError:
            return name
    return name


def get_metric(name: str, task: str) -> Metric:
    """The metric ``name`` for ``task``; ``KeyError`` if it does not apply to that task (a
    ``MetricNameError``, whose text says why, for a known family with bad parameters).

    ``recall[fraud]`` is the per-class form of a binary metric (#19): a :class:`Metric` whose
    ``class_value`` names the class; ``estimates.per_class.bind_class`` computes it."""
    from pytest_modelgate.estimates.per_class import PER_CLASS_BASES, split_class_name

    parts = split_class_name(name) if "[" in name else None
    if parts is not None and task in ("binary", "multiclass"):
        base_name, wanted = canonical_name(parts[0]), parts[1]
        if base_name in PER_CLASS_BASES:
            base = METRICS[f"binary:{base_name}"]
            return Metric(
                f"{base_name}[{wanted}]",
                _BMC,
                base.kind,
                base.higher_is_better,
                f"{base.description}, of class {wanted} against the rest",
                bounds=base.bounds,
                class_value=wanted,
            )
    key = f"{task}:{canonical_name(name)}"
    if key in METRICS:
        return METRICS[key]
    from pytest_modelgate.estimates.extra_metrics import extra_metric

    return extra_metric(name, task)  # type: ignore[no-any-return]


def metric_name_problem(name: str) -> str | None:
    """The reason a parameterised name is wrong (``recall_at_precision(1.5)``), else None."""
    from pytest_modelgate.estimates.extra_metrics import MetricNameError, normalize

    try:
        normalize(name)
    except MetricNameError as exc:
        return str(exc)
    return None


def is_metric_name(name: str, task: str | None) -> bool:
    """Whether ``name`` is a metric of ``task`` (any task when None), per-class forms included."""
    tasks = [task] if task else ["binary", "multiclass", "regression"]
    for t in tasks:
        try:
            get_metric(name, t)
        except KeyError:
            continue
        return True
    return False


def suggest_metric(name: str, task: str | None = None) -> str | None:
    """Closest known metric name, for "did you mean" hints."""
    matches = difflib.get_close_matches(name, metric_names(task), n=1, cutoff=0.6)
    return matches[0] if matches else None
