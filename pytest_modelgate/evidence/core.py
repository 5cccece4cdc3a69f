"""Rows → sufficient statistics. The only module that touches per-row arrays.

:class:`Evidence` holds the encoded labels, predictions and scores of one model on the test rows
and builds, on demand and once, the statistics the metrics need: the confusion counts (one
``bincount`` pass), score histograms, per-row losses.

Evidence may be *frequency-weighted*: each stored row then stands for ``weight`` identical rows
(a cell of a GROUP BY over label, predicted label, binned score and slice columns). That is how
evaluation runs on tables too large for memory: an engine (:mod:`pytest_modelgate.inputs.engines`)
computes the cells, :func:`build_grouped_evidence` encodes them exactly as :func:`build_evidence`
encodes rows, and every statistic that accepts weights gives the row-level result. Statistics
that need the individual rows call :meth:`Evidence.require_rows`, which raises a clear error.
:func:`compress` turns in-memory evidence into weighted evidence (tests, and the equivalence
proofs in ``tests/unit/test_grouped_evidence.py``).

Evidence may also carry a *sampling design* (``data.cluster``, ``data.weight``; ``evaluate(...,
cluster=, sample_weight=)``): per stored row, the code of its cluster and its sampling weight.
These are a different thing from frequencies. A frequency says how many identical rows a stored
row stands for (the rows are still independent); a sampling weight says how much a row counts in
the population (point estimates weight it, scikit-learn's ``sample_weight``), and a cluster says
which rows are *not* independent. Intervals on such evidence come from
:mod:`pytest_modelgate.estimates.clustered`, which resamples or linearises over clusters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from pytest_modelgate.errors import DataError, ModelError
from pytest_modelgate.evidence.scores import real_scores, require_distribution

if TYPE_CHECKING:  # pragma: no cover
    from pytest_modelgate.evidence.ranks import ScoreCodes

__all__ = [
    "COUNT_COLUMN",
    "Evidence",
    "build_evidence",
    "infer_task",
    "resolve_positive_label",
]

#: Name of the frequency column of a grouped table (one row per distinct cell).
COUNT_COLUMN = "__count__"

_MAX_CLASSES = 50


def infer_task(y: pd.Series) -> str:
    """``binary`` for two label values, ``multiclass`` for a few discrete ones, else regression."""
    values = y.dropna().unique()
    if len(values) <= 2:
        return "binary"
    if pd.api.types.is_float_dtype(y) and not np.all(np.mod(y.to_numpy(float), 1) == 0):
        return "regression"
    if pd.api.types.is_numeric_dtype(y) and len(values) > _MAX_CLASSES:
        return "regression"
    return "multiclass"


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value it holds (messages read ``1``, not ``np.int64(1)``)."""
    return value.item() if isinstance(value, np.generic) else value


def _same(a: Any, b: Any) -> bool:
    return a == b or str(a) == str(b)


_UNKNOWN = object()
# (negative, positive) pairs whose positive class nobody would dispute; text compared lower-case
_CONVENTIONAL_PAIRS: tuple[tuple[Any, Any], ...] = (
    (0, 1),
    (-1, 1),
    ("0", "1"),
    ("no", "yes"),
    ("false", "true"),
    ("negative", "positive"),
)


def _conventional_positive(values: list[Any]) -> Any:
    """The positive label when the label set is a conventional pair ({0, 1}, {False, True},
    {-1, 1}, {"no", "yes"}, ...); ``_UNKNOWN`` otherwise (e.g. {1, 2}: ask the user)."""

    def norm(v: Any) -> Any:
        if isinstance(v, (bool, np.bool_)):
            return int(v)
        if isinstance(v, str):
            return v.strip().lower()
        if isinstance(v, (int, np.integer)) or (
            isinstance(v, (float, np.floating)) and float(v).is_integer()
        ):
            return int(v)
        return v

    normed = {norm(v) for v in values}
    for negative, positive in _CONVENTIONAL_PAIRS:
        if normed and normed <= {negative, positive}:
            matches = [v for v in values if norm(v) == positive]
            return matches[0] if matches else positive
    return _UNKNOWN


def resolve_positive_label(values: list[Any], given: Any, where: str) -> Any:
    """The positive class among the observed ``values``: the given one, or the conventional one
    of {0, 1}, {False, True}, {-1, 1}, {"no", "yes"}, ...; anything else must be given."""
    shown = ", ".join(repr(_plain(v)) for v in values)
    if given is not None:
        for v in values:
            if _same(v, given):
                return v
        close = [v for v in values if str(v).lower() == str(given).lower()]
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise DataError(
            f"{where}: data.positive_label {given!r} is not a value of the target "
            f"(observed: {shown}){hint}"
        )
    inferred = _conventional_positive(values)
    if inferred is not _UNKNOWN:
        return inferred
    raise DataError(
        f"{where}: cannot tell which label is positive (observed: {shown}); set "
        "data.positive_label in the spec (positive_label= in evaluate())"
    )


@dataclass(frozen=True)
class Evidence:
    """Encoded outcomes of one model on the evaluation rows.

    Attributes
    ----------
    task : ``binary``, ``multiclass`` or ``regression``.
    classes : class values, index = code (binary: ``(negative..., positive)`` codes 0/1).
    y_true : int codes (classification) or float values (regression).
    y_pred : int codes / float predictions, or ``None`` when the model gave only scores.
    scores : binary: positive-class score ``(n,)``; multiclass: ``(n, K)`` probabilities.
    score_kind : ``probability`` or ``decision_function`` (log loss needs probabilities).
    source : where the predictions come from, for messages.
    weight : frequency of each stored row (int64, ``>= 1``), or ``None``: every row counts once.
        Weighted evidence holds one stored row per distinct cell of a grouped table.
    score_bins : the scores were binned into this many equal-width bins before grouping (each
        score replaced by its bin's representative value); ``None``: exact scores.
    engine : the engine that grouped the rows (``stream``, ``duckdb``, ...), for messages.
    cluster : int64 code (``0..K-1``) of each stored row's cluster, or ``None``: rows are
        independent. Rows sharing a code are correlated; intervals treat clusters as the
        independent units (a stored row of grouped evidence lies in one cluster).
    sample_weight : float64 sampling weight of each stored row (``>= 0``), or ``None``. Point
        estimates weight each row by it (times its frequency), as scikit-learn's
        ``sample_weight``; intervals use the design's linearised variance, not ``n``.
    """

    task: str
    classes: tuple[Any, ...]
    y_true: np.ndarray
    y_pred: np.ndarray | None
    scores: np.ndarray | None
    score_kind: str | None
    source: str = ""
    weight: np.ndarray | None = None
    score_bins: int | None = None
    engine: str | None = None
    cluster: np.ndarray | None = None
    sample_weight: np.ndarray | None = None

    @property
    def has_design(self) -> bool:
        """Whether rows are clustered or carry sampling weights (design-based intervals)."""
        return self.cluster is not None or self.sample_weight is not None

    @property
    def point_weight(self) -> np.ndarray | None:
        """What each stored row counts for in a point estimate: frequency × sampling weight
        (float64), the frequency alone (int64), or ``None`` (each row once)."""
        if self.sample_weight is None:
            return self.weight
        if self.weight is None:
            return self.sample_weight
        return self.weight * self.sample_weight

    @property
    def n(self) -> int:
        """Number of rows (the sum of the weights for weighted evidence)."""
        if self.weight is None:
            return int(self.y_true.shape[0])
        return int(self.weight.sum())

    @property
    def n_stored(self) -> int:
        """Number of stored rows: rows, or distinct cells for weighted evidence."""
        return int(self.y_true.shape[0])

    @property
    def is_weighted(self) -> bool:
        return self.weight is not None

    @property
    def frequencies(self) -> np.ndarray:
        """The weight of each stored row (ones when unweighted), int64."""
        if self.weight is None:
            return np.ones(self.n_stored, dtype=np.int64)
        return self.weight

    def total(self, mask: np.ndarray) -> int:
        """Number of rows where ``mask`` (over stored rows) holds, weights included."""
        if self.weight is None:
            return int(np.count_nonzero(mask))
        return int(self.weight[np.asarray(mask, dtype=bool)].sum())

    def require_rows(self, what: str, why: str) -> None:
        """Raise a clear error when ``what`` needs individual rows but this evidence is grouped."""
        if self.weight is not None:
            raise ModelError(
                f"{self.source}: {what} is not available on grouped data (data.engine: "
                f"{self.engine or 'grouped'}) because {why}; use data.engine: memory"
            )

    @cached_property
    def counts(self) -> np.ndarray:
        """Confusion counts ``[true, predicted]`` in one pass (``(2, 2)`` for binary)."""
        if self.y_pred is None:
            raise ModelError(
                f"{self.source}: no predicted labels (the model gave only scores); "
                "set models.threshold to turn scores into labels"
            )
        k = len(self.classes)
        if self.sample_weight is not None:  # weighted counts: float sums of weights per cell
            return np.bincount(
                self.y_true * k + self.y_pred, weights=self.point_weight, minlength=k * k
            ).reshape(k, k)
        return weighted_bincount(self.y_true * k + self.y_pred, self.weight, k * k).reshape(k, k)

    @cached_property
    def score_codes(self) -> ScoreCodes:
        """The binary scores as rank codes (:mod:`~pytest_modelgate.evidence.ranks`): one sort
        of the score vector, cached, from which DeLong (single and paired), average precision,
        the binned bootstrap and the tied-pair share are all derived."""
        from pytest_modelgate.evidence.ranks import score_codes

        return score_codes(self.require_scores("a ranking metric"), weight=self.weight)

    def subset(self, rows: np.ndarray, source: str | None = None) -> Evidence:
        """The same model's evidence on a subset of the stored rows (a slice); weights follow."""
        return Evidence(
            self.task,
            self.classes,
            self.y_true[rows],
            None if self.y_pred is None else self.y_pred[rows],
            None if self.scores is None else self.scores[rows],
            self.score_kind,
            source or self.source,
            None if self.weight is None else self.weight[rows],
            self.score_bins,
            self.engine,
            None if self.cluster is None else self.cluster[rows],
            None if self.sample_weight is None else self.sample_weight[rows],
        )

    @property
    def positives(self) -> np.ndarray:
        return self.y_true == 1

    def require_scores(self, metric: str) -> np.ndarray:
        if self.scores is None:
            raise ModelError(
                f"{self.source}: {metric} needs scores, but the model has neither "
                "predict_proba() nor decision_function() (or no score column was "
                "given: models.candidate.scores)"
            )
        return self.scores

    def require_probabilities(self, metric: str) -> np.ndarray:
        scores = self.require_scores(metric)
        if self.score_kind == "decision_function":
            raise ModelError(
                f"{self.source}: {metric} needs probabilities, but the model only "
                "has decision_function(); calibrate it (CalibratedClassifierCV) or "
                "drop this gate"
            )
        if np.any((scores < 0) | (scores > 1)) or np.any(np.isnan(scores)):
            raise ModelError(
                f"{self.source}: {metric} needs probabilities in [0, 1]; the scores "
                f"range over [{np.nanmin(scores):.4g}, {np.nanmax(scores):.4g}]"
            )
        return scores


def weighted_bincount(codes: np.ndarray, weight: np.ndarray | None, size: int) -> np.ndarray:
    """``np.bincount`` with optional integer frequencies, as int64 (exact below 2**53 rows)."""
    if weight is None:
        return np.bincount(codes, minlength=size).astype(np.int64, copy=False)
    return np.rint(np.bincount(codes, weights=weight, minlength=size)).astype(np.int64)


def _equals(values: Any, target: Any) -> np.ndarray:
    """Vectorised ``values == target``, falling back to comparing text (YAML ``1`` vs ``"1"``)."""
    array = values.to_numpy() if isinstance(values, pd.Series) else np.asarray(values)
    if array.dtype.kind in "biuf" and isinstance(target, (bool, int, float, np.number, np.bool_)):
        eq = array == target  # numbers against a number: no object array (85% of the encoding)
        if eq.any():
            return np.asarray(eq, dtype=bool)
    s = pd.Series(np.asarray(values, dtype=object) if not isinstance(values, pd.Series) else values)
    try:
        eq = (s == target).to_numpy(dtype=bool)
    except (TypeError, ValueError):
        eq = np.zeros(len(s), dtype=bool)
    if not eq.any():
        eq = (s.astype(str) == str(target)).to_numpy(dtype=bool)
    return eq


def _encode(values: np.ndarray, classes: list[Any], where: str, what: str) -> np.ndarray:
    codes_arr = pd.Categorical(
        pd.Series(values, dtype=object), categories=pd.Index(classes, dtype=object)
    ).codes.astype(np.int64)
    if (codes_arr < 0).any():  # retry as text: labels 1 vs "1"
        text = pd.Categorical(
            pd.Series(values).astype(str), categories=pd.Index([str(c) for c in classes]).unique()
        )
        codes_arr = np.where(codes_arr < 0, text.codes, codes_arr).astype(np.int64)
    unknown = np.flatnonzero(codes_arr < 0)
    if unknown.size:
        bad = sorted({repr(_plain(values[i])) for i in unknown[:20]})
        raise ModelError(
            f"{where}: {what} contains {unknown.size} value(s) that are not classes "
            f"of the target ({', '.join(bad[:5])}; classes: "
            f"{', '.join(map(repr, classes))})"
        )
    return codes_arr


def _require_finite(scores: np.ndarray, where: str, source: str) -> None:
    """NaN or ±inf scores make every ranking metric meaningless: name how many rows have them."""
    bad = ~np.isfinite(scores)
    if bad.any():
        rows = bad.any(axis=1) if bad.ndim == 2 else bad
        first = np.flatnonzero(rows)[:5].tolist()
        kinds = [k for k, m in (("NaN", np.isnan(scores)), ("inf", np.isinf(scores))) if m.any()]
        raise ModelError(
            f"{where}: {source} produced {int(rows.sum())} row(s) of non-finite scores "
            f"({' and '.join(kinds)}; first rows: {first}); no row is dropped silently — fix "
            "the model or its input (often missing feature values), or fill those rows"
        )


def build_evidence(
    y: pd.Series, preds: Any, task: str, positive_label: Any, threshold: float | None, where: str
) -> Evidence:
    """Encode labels, predictions and scores of one model (a :class:`~.loading.Predictions`)."""
    n = len(y)
    y_pred: np.ndarray | None
    scores: np.ndarray | None
    if task == "regression":
        y_true = pd.to_numeric(y, errors="coerce").to_numpy(dtype=float)
        if np.isnan(y_true).any():
            raise DataError(f"{where}: the regression target has non-numeric values")
        if preds.labels is None:
            raise ModelError(f"{where}: {preds.source} gave no predictions")
        try:
            y_pred = real_scores(preds.labels, where, preds.source).reshape(n)
        except (TypeError, ValueError):
            raise ModelError(
                f"{where}: {preds.source} predicted non-numeric values (e.g. "
                f"{_plain(np.asarray(preds.labels).reshape(n)[0])!r}) for a regression task; "
                "is `task` right, or is this a classifier?"
            ) from None
        if not np.all(np.isfinite(y_pred)):
            raise ModelError(
                f"{where}: {preds.source} predicted {int((~np.isfinite(y_pred)).sum())}"
                " non-finite value(s)"
            )
        return Evidence(task, (), y_true, y_pred, None, None, preds.source)

    observed = [_plain(v) for v in pd.unique(y)]
    if task == "binary":
        if len(observed) > 2:
            raise DataError(
                f"{where}: task is binary but the target has {len(observed)} values "
                f"({', '.join(map(repr, observed[:10]))})"
            )
        model_classes = [_plain(c) for c in preds.classes or []]
        candidates = observed + [c for c in model_classes if not any(_same(c, o) for o in observed)]
        positive = resolve_positive_label(candidates, positive_label, where)
        negatives = [v for v in candidates if not _same(v, positive)]
        negative = negatives[0] if negatives else f"not {positive}"
        classes: tuple[Any, ...] = (negative, positive)
        y_true = _equals(y, positive).astype(np.int64)
        scores = None
        if preds.scores is not None:
            s = real_scores(preds.scores, where, preds.source)
            if s.ndim == 2:
                if preds.classes is None or s.shape[1] != len(preds.classes):
                    raise ModelError(
                        f"{where}: {preds.source} returned {s.shape[1]} score "
                        "columns without matching classes_"
                    )
                if preds.score_kind != "decision_function":
                    _require_finite(s, where, preds.source)
                    require_distribution(s, where, preds.source)
                idx = [i for i, c in enumerate(preds.classes) if _same(c, positive)]
                if not idx:
                    raise ModelError(
                        f"{where}: the positive label {positive!r} is not among the "
                        f"model's classes_ {[_plain(c) for c in preds.classes]}"
                    )
                s = s[:, idx[0]]
            elif (
                preds.score_kind == "decision_function"
                and preds.classes is not None
                and len(preds.classes) == 2
                and _same(preds.classes[0], positive)
            ):
                s = -s  # decision_function scores the second class; flip for the positive one
            scores = s.reshape(n)
            _require_finite(scores, where, preds.source)
        if threshold is not None:
            if scores is None:
                raise ModelError(
                    f"{where}: models.threshold needs scores, but {preds.source} has none"
                )
            y_pred = (scores >= threshold).astype(np.int64)
        elif preds.labels is not None:
            labels = np.asarray(preds.labels).reshape(n)
            is_pos = _equals(labels, positive)
            if negatives:
                stray = ~(is_pos | _equals(labels, negative))
                if stray.any():
                    raise ModelError(
                        f"{where}: {preds.source} predicted {int(stray.sum())} "
                        f"label(s) that are neither {negative!r} nor {positive!r} "
                        f"(e.g. {_plain(labels[np.flatnonzero(stray)[0]])!r})"
                    )
            y_pred = is_pos.astype(np.int64)
        elif scores is not None and preds.score_kind == "probability":
            y_pred = (scores >= 0.5).astype(np.int64)
        else:
            y_pred = None
        return Evidence(task, classes, y_true, y_pred, scores, preds.score_kind, preds.source)

    # multiclass
    model_classes = [_plain(c) for c in preds.classes or []]
    classes_list = list(model_classes) if model_classes else []
    extra = (
        list(pd.unique(np.asarray(preds.labels).reshape(n)))
        if preds.labels is not None and not model_classes
        else []
    )
    # without a model's classes_, the classes are those of the labels or the predictions (as
    # scikit-learn's unique_labels): a predicted class absent from y is a wrong answer, not an error
    for v in sorted(observed + extra, key=str):
        if not any(_same(v, c) for c in classes_list):
            classes_list.append(v)
    y_true = _encode(y.to_numpy(), classes_list, where, "the target")
    y_pred = None
    if preds.labels is not None:
        y_pred = _encode(
            np.asarray(preds.labels).reshape(n), classes_list, where, f"{preds.source} predictions"
        )
    scores = None
    if preds.scores is not None:
        s = real_scores(preds.scores, where, preds.source)
        if s.ndim == 1:
            raise ModelError(
                f"{where}: {preds.source} gives one score per row, but the target has "
                f"{len(classes_list)} classes ({', '.join(map(repr, classes_list[:10]))}): a "
                "multiclass task needs one probability per class; drop the scores (label "
                "metrics still work) or set task: binary with the right positive_label"
            )
        if s.ndim != 2 or s.shape[1] != len(model_classes):
            raise ModelError(
                f"{where}: {preds.source} scores have shape {s.shape}; expected "
                f"(n, {len(model_classes)}) following classes_"
            )
        _require_finite(s, where, preds.source)
        if preds.score_kind != "decision_function":
            require_distribution(s, where, preds.source)
        full = np.zeros((n, len(classes_list)))
        full[:, : len(model_classes)] = s
        scores = full
    if y_pred is None and scores is not None:
        y_pred = np.argmax(scores, axis=1).astype(np.int64)
    return Evidence(
        task, tuple(classes_list), y_true, y_pred, scores, preds.score_kind, preds.source
    )


def weighted_quantile(
    values: np.ndarray, weight: np.ndarray | None, q: Sequence[float] | np.ndarray
) -> np.ndarray:
    """``np.quantile(np.repeat(values, weight), q)`` (linear interpolation) without expanding.

    The expanded array is never built: the two order statistics around each quantile's virtual
    index are found on the cumulative weights, and interpolated with numpy's own formula.
    """
    values = np.asarray(values, dtype=np.float64)
    qs = np.asarray(q, dtype=np.float64)
    if weight is None:
        return np.quantile(values, qs)
    order = np.argsort(values, kind="stable")
    v = values[order]
    cum = np.cumsum(np.asarray(weight, dtype=np.int64)[order])
    total = int(cum[-1])
    # numpy's "linear" method (Hyndman & Fan 7): virtual index (n - 1) q, then numpy's lerp
    virtual = (total - 1) * qs
    previous = np.floor(virtual)
    gamma = virtual - previous
    lo = np.clip(previous, 0, total - 1).astype(np.int64)
    hi = np.clip(previous + 1, 0, total - 1).astype(np.int64)
    a = v[np.searchsorted(cum, lo, side="right")]
    b = v[np.searchsorted(cum, hi, side="right")]
    diff = b - a
    out = a + diff * gamma
    return np.where(gamma >= 0.5, b - diff * (1.0 - gamma), out)
