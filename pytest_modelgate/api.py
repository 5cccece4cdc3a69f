"""The Python API: evaluate predictions in code and assert on them like unit tests.

``evaluate(...)`` builds the evidence once and answers many questions cheaply; the assertion
helpers apply the same rules and produce the same messages as the YAML gates::

    ev = evaluate(y_test, model.predict(X_test), model.predict_proba(X_test)[:, 1],
                  sensitive=X_test[["sex", "race"]], positive_label=">50K")
    assert_metric(ev, "recall", min=0.6)
    assert_slices(ev, "recall", "sex", min=0.55)
    assert_fair(ev, "equalized_odds_difference", sensitive="sex", max=0.1)
"""

from __future__ import annotations

import html
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from .checks.slices import combine_slices, detectable_effect, worst_verdict
from .checks.threshold import check_threshold
from .errors import ModelgateError
from .estimation import Estimate, StatsOptions, estimate_metric
from .evidence import Evidence, build_evidence, infer_task
from .loading import Predictions
from .metrics import get_metric
from .results import CheckResult, Verdict
from .stats import Interval

__all__ = [
    "ComparisonResult",
    "Evaluation",
    "FairnessResult",
    "MetricResult",
    "assert_fair",
    "assert_metric",
    "assert_no_regression",
    "assert_predictions",
    "assert_slices",
    "evaluate",
]


def _fmt(x: float | None) -> str:
    return "n/a" if x is None or x != x else f"{x:.4f}"


def _interval_text(iv: Interval) -> str:
    return f"[{_fmt(iv.low)}, {_fmt(iv.high)}] {iv.level * 100:g}% {iv.method}"


def _html_table(title: str, rows: Sequence[tuple[str, str]]) -> str:
    body = "".join(
        f"<tr><th style='text-align:left'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
        for k, v in rows
    )
    return f"<table><caption>{html.escape(title)}</caption>{body}</table>"


@dataclass(frozen=True)
class MetricResult:
    """A metric with its confidence interval on (a slice of) the evaluation rows."""

    metric: str
    estimate: float
    interval: Interval
    n: int
    slice: dict[str, str] | None = None
    note: str = ""

    def _rows(self) -> list[tuple[str, str]]:
        rows = [
            ("estimate", _fmt(self.estimate)),
            ("interval", _interval_text(self.interval)),
            ("n", str(self.n)),
        ]
        if self.slice:
            rows.insert(0, ("slice", ", ".join(f"{k}={v}" for k, v in self.slice.items())))
        if self.note:
            rows.append(("note", self.note))
        return rows

    def __repr__(self) -> str:
        where = f" [{', '.join(f'{k}={v}' for k, v in self.slice.items())}]" if self.slice else ""
        return (
            f"MetricResult({self.metric}{where} = {_fmt(self.estimate)}, "
            f"{_interval_text(self.interval)}, n={self.n})"
        )

    def _repr_html_(self) -> str:
        return _html_table(self.metric, self._rows())


@dataclass(frozen=True)
class ComparisonResult:
    """Candidate vs baseline: Δ oriented so that higher is better, its interval and test."""

    metric: str
    delta: float
    interval: Interval
    candidate: float
    baseline: float
    n: int
    paired: bool
    test: str
    p_value: float | None
    against: str = "baseline"

    @property
    def estimate(self) -> float:
        """Δ (same as ``delta``), so every result exposes ``estimate``."""
        return self.delta

    def __repr__(self) -> str:
        p = f", p={self.p_value:.3g}" if self.p_value is not None else ""
        return (
            f"ComparisonResult(Δ{self.metric} = {self.delta:+.4f}, "
            f"{_interval_text(self.interval)}, candidate {_fmt(self.candidate)} vs "
            f"{self.against} {_fmt(self.baseline)}, {'paired' if self.paired else 'unpaired'}"
            f", {self.test}{p}, n={self.n})"
        )

    def _repr_html_(self) -> str:
        return _html_table(
            f"Δ{self.metric} (higher is better)",
            [
                ("Δ", f"{self.delta:+.4f}"),
                ("interval", _interval_text(self.interval)),
                ("candidate", _fmt(self.candidate)),
                (self.against, _fmt(self.baseline)),
                (
                    "test",
                    self.test + (f", p = {self.p_value:.3g}" if self.p_value is not None else ""),
                ),
                ("n", str(self.n)),
            ],
        )


@dataclass(frozen=True)
class FairnessResult:
    """A fairness gap with its interval and the per-group values."""

    name: str
    estimate: float
    interval: Interval
    n: int
    groups: pd.DataFrame = field(compare=False)
    note: str = ""

    def __repr__(self) -> str:
        return (
            f"FairnessResult({self.name} = {_fmt(self.estimate)}, "
            f"{_interval_text(self.interval)}, {len(self.groups)} groups, n={self.n})"
        )

    def _repr_html_(self) -> str:
        head = _html_table(
            self.name,
            [
                ("estimate", _fmt(self.estimate)),
                ("interval", _interval_text(self.interval)),
                ("n", str(self.n)),
            ],
        )
        return head + self.groups.to_html(index=False)


def _metric(name: str, task: str) -> Any:
    """The registry metric, or a clear error with a "did you mean" (never a KeyError)."""
    from .metrics import metric_names, suggest_metric

    try:
        return get_metric(name, task)
    except KeyError:
        guess = suggest_metric(name, task)
        hint = f"did you mean {guess!r}? " if guess else ""
        raise ModelgateError(
            f"unknown metric {name!r} for a {task} task ({hint}allowed: "
            f"{', '.join(metric_names(task))})"
        ) from None


def _check_bounds(metric: Any, lo: float | None, hi: float | None) -> None:
    low, high = metric.bounds
    for key, value in (("min", lo), ("max", hi)):
        if value is None:
            continue
        if (low is not None and value < low) or (high is not None and value > high):
            hint = f"; did you mean {value / 100:g}?" if high == 1.0 and 1 < value <= 100 else ""
            raise ModelgateError(
                f"{key}={value:g} can never be met: {metric.name} lies in "
                f"[{low if low is not None else '-inf'}, "
                f"{high if high is not None else 'inf'}]{hint}"
            )


def _as_array(x: Any) -> np.ndarray | None:
    if x is None:
        return None
    if isinstance(x, (pd.Series, pd.DataFrame)):
        return x.to_numpy()
    return np.asarray(x)


class Evaluation:
    """Evidence for one set of predictions, computed once, queried many times.

    Build it with :func:`evaluate`. Every query is cached; ``evidence_builds`` counts how many
    times rows were turned into evidence (once for all rows, once per distinct slice).
    """

    def __init__(
        self,
        candidate: Evidence,
        baseline: Evidence | None,
        sensitive: pd.DataFrame,
        *,
        options: StatsOptions,
        seed: int,
        min_support: int,
        evidence: str,
        evidence_builds: int = 0,
    ) -> None:
        self.task = candidate.task
        self.options = options
        self.seed = seed
        self.min_support = min_support
        self.evidence_rule = evidence
        self.sensitive = sensitive.reset_index(drop=True)
        self.evidence_builds = evidence_builds
        self._cache: dict[Any, Any] = {}
        self._y = pd.Series(candidate.y_true)
        self.candidate = candidate
        self.baseline = baseline

    @classmethod
    def from_evidence(
        cls,
        candidate: Evidence,
        baseline: Evidence | None,
        frame: pd.DataFrame,
        *,
        options: StatsOptions,
        seed: int,
        min_support: int,
        evidence: str,
    ) -> Evaluation:
        """An evaluation over evidence that was already built (the ``modelgate`` fixture)."""
        return cls(
            candidate,
            baseline,
            frame,
            options=options,
            seed=seed,
            min_support=min_support,
            evidence=evidence,
        )

    def _rng(self, key: str) -> np.random.Generator:
        return np.random.default_rng(np.random.SeedSequence([self.seed, zlib.crc32(key.encode())]))

    def _rows(
        self, slice: Mapping[str, Any] | np.ndarray | None
    ) -> tuple[np.ndarray | None, dict[str, str] | None]:
        if slice is None:
            return None, None
        if isinstance(slice, Mapping):
            mask = np.ones(len(self._y), dtype=bool)
            for column, value in slice.items():
                if column not in self.sensitive.columns:
                    raise ModelgateError(
                        f"slice column {column!r} is not among the sensitive columns given to "
                        f"evaluate() ({', '.join(map(str, self.sensitive.columns)) or 'none'})"
                    )
                col = self.sensitive[column]
                mask &= (col.astype(str) == str(value)).to_numpy()
            return np.flatnonzero(mask), {str(k): str(v) for k, v in slice.items()}
        if self.candidate.is_weighted:
            raise ModelgateError(
                "a boolean row mask needs the individual rows, but this evaluation is on grouped "
                f"data (data.engine: {self.candidate.engine or 'grouped'}); slice by a column "
                "instead ({column: value}), or use data.engine: memory"
            )
        mask = np.asarray(slice)
        if mask.dtype != bool or mask.shape != (len(self._y),):
            raise ModelgateError(
                "slice must be a mapping {column: value} or a boolean mask "
                f"with one entry per row ({len(self._y)})"
            )
        return np.flatnonzero(mask), {"mask": f"{int(mask.sum())} rows"}

    def _subset(self, which: str, rows: np.ndarray | None, key: str) -> Evidence:
        ev = self.candidate if which == "candidate" else self.baseline
        assert ev is not None
        if rows is None:
            return ev
        cache_key = ("subset", which, key)
        if cache_key not in self._cache:
            self.evidence_builds += 1
            self._cache[cache_key] = ev.subset(rows)
        return self._cache[cache_key]

    def _estimate(self, name: str, slice: Any = None) -> tuple[Estimate, dict[str, str] | None]:
        rows, label = self._rows(slice)
        key = repr(label) + ("" if rows is None else f"#{zlib.crc32(rows.tobytes())}")
        cache_key = ("metric", name, key)
        if cache_key not in self._cache:
            metric = _metric(name, self.task)
            ev = self._subset("candidate", rows, key)
            self._cache[cache_key] = estimate_metric(
                metric, ev, self.options, self._rng(f"{name}{key}")
            )
        return self._cache[cache_key], label

    def metric(
        self, name: str, slice: Mapping[str, Any] | np.ndarray | None = None
    ) -> MetricResult:
        """A metric with its interval, overall or on a slice (``{"sex": "Female"}`` or a mask)."""
        est, label = self._estimate(name, slice)
        return MetricResult(est.metric, est.value, est.interval, est.n, label, est.note)

    def by_slice(self, name: str, column: str | Sequence[str]) -> pd.DataFrame:
        """The metric on every slice of ``column`` (or of an intersection of columns): a table
        with slice, n, estimate, low, high, method."""
        from .slicing import slice_rows

        spec: Any = column if isinstance(column, str) else list(column)
        wanted = [spec] if isinstance(spec, str) else spec
        missing = [c for c in wanted if c not in self.sensitive.columns]
        if missing:
            raise ModelgateError(
                f"by_slice: column(s) {missing} were not given to evaluate(); "
                "pass them with evaluate(..., sensitive=frame[[...]])"
            )
        rows = []
        for sl in slice_rows(self.sensitive, [spec], max_slices=1000, where="by_slice"):
            r = self.metric(name, slice=sl.label)
            rows.append(
                {
                    "slice": sl.key,
                    "n": r.n,
                    "estimate": r.estimate,
                    "low": r.interval.low,
                    "high": r.interval.high,
                    "method": r.interval.method,
                }
            )
        return pd.DataFrame(rows, columns=["slice", "n", "estimate", "low", "high", "method"])

    def compare(self, name: str, against: str = "baseline") -> ComparisonResult:
        """Δ between candidate and baseline (or the best constant predictor), paired."""
        from .compare import compare_metric, constant_evidence

        cache_key = ("compare", name, against)
        if cache_key not in self._cache:
            metric = _metric(name, self.task)
            if against == "constant":
                base, _ = constant_evidence(metric, self.candidate)
            elif against == "baseline":
                if self.baseline is None:
                    raise ModelgateError(
                        "compare() needs baseline predictions: pass "
                        "baseline_pred= and/or baseline_score= to evaluate()"
                    )
                base = self.baseline
            else:
                raise ModelgateError(f"against must be 'baseline' or 'constant' (got {against!r})")
            self._cache[cache_key] = compare_metric(
                metric, self.candidate, base, self.options, self._rng(f"compare:{name}:{against}")
            )
        c = self._cache[cache_key]
        return ComparisonResult(
            c.metric,
            c.delta,
            c.interval,
            c.candidate,
            c.baseline,
            c.n,
            c.paired,
            c.test,
            c.p_value,
            against,
        )

    def fairness(
        self, name: str, sensitive: str | Sequence[str], metric: str | None = None
    ) -> FairnessResult:
        """A fairness gap (fairlearn's definitions) across the groups of ``sensitive``."""
        from .fairness import fairness_estimate
        from .slicing import group_codes

        columns = [sensitive] if isinstance(sensitive, str) else list(sensitive)
        cache_key = ("fairness", name, tuple(columns), metric)
        if cache_key not in self._cache:
            missing = [c for c in columns if c not in self.sensitive.columns]
            if missing:
                raise ModelgateError(f"sensitive column(s) {missing} were not given to evaluate()")
            codes, labels = group_codes(self.sensitive, columns, max_groups=1000, where="fairness")
            gap = "demographic_parity_ratio" if name == "four_fifths_rule" else name
            m = _metric(metric, self.task) if metric else None
            self._cache[cache_key] = fairness_estimate(
                gap,
                self.candidate,
                codes,
                labels,
                metric=m,
                opts=self.options,
                rng=self._rng(f"fairness:{name}:{columns}:{metric}"),
                min_support=self.min_support,
            )
        fe = self._cache[cache_key]
        groups = pd.DataFrame(
            [{"group": g.group, "n": g.n, **g.values, "excluded": g.excluded} for g in fe.groups]
        )
        return FairnessResult(fe.name, fe.value, fe.interval, fe.n, groups, fe.note)


def evaluate(
    y_true: Any,
    y_pred: Any = None,
    y_score: Any = None,
    *,
    sensitive: pd.DataFrame | Mapping[str, Any] | None = None,
    baseline_pred: Any = None,
    baseline_score: Any = None,
    task: str | None = None,
    positive_label: Any = None,
    classes: Sequence[Any] | None = None,
    threshold: float | None = None,
    confidence: float = 0.95,
    interval: str = "auto",
    bootstrap: str = "bca",
    resamples: int = 2000,
    seed: int = 0,
    min_support: int = 30,
    evidence: str = "strict",
) -> Evaluation:
    """Evaluate predictions with confidence intervals, without pytest.

    Parameters
    ----------
    y_true : labels (or regression targets): array, list or pandas Series.
    y_pred : predicted labels (or values). Optional when ``y_score`` is given (binary: predicted
        positive when the score is ≥ ``threshold``, default 0.5 for probabilities).
    y_score : binary: positive-class scores/probabilities ``(n,)``; multiclass: ``(n, K)``
        probabilities whose columns follow ``classes``.
    sensitive : columns to slice and group by (DataFrame or mapping of name → values).
    baseline_pred, baseline_score : the baseline's predictions on the same rows (paired).
    task, positive_label, classes, threshold : as in ``gates.yaml`` (inferred when omitted).
    confidence, interval, bootstrap, resamples, seed, min_support, evidence : the ``stats:``
        options of the spec; ``evidence`` is the default rule of the assertion helpers.

    Returns
    -------
    Evaluation
        With ``.metric()``, ``.by_slice()``, ``.compare()``, ``.fairness()``.
    """
    y = pd.Series(_as_array(y_true)).reset_index(drop=True)
    if y.isna().any():
        raise ModelgateError(
            f"y_true has {int(y.isna().sum())} missing value(s); labels cannot "
            "be guessed — drop or fill those rows"
        )
    n = len(y)
    if n == 0:
        raise ModelgateError("y_true is empty: there are no rows to evaluate")
    pred, score = _as_array(y_pred), _as_array(y_score)
    for name, arr in (("y_pred", pred), ("baseline_pred", _as_array(baseline_pred))):
        if arr is not None and arr.ndim != 1:
            raise ModelgateError(
                f"{name} has shape {arr.shape}; give one label per row (shape ({n},)); "
                "scores or probabilities go in y_score"
            )
    if score is not None:
        try:
            score = score.astype(float)
        except (TypeError, ValueError):
            raise ModelgateError(
                "y_score must be numeric scores or probabilities (got values "
                f"like {np.asarray(score).ravel()[:1].tolist()[0]!r}); labels go in y_pred"
            ) from None
    if pred is None and score is None:
        raise ModelgateError("give y_pred, y_score or both")
    for name, arr in (
        ("y_pred", pred),
        ("y_score", score),
        ("baseline_pred", _as_array(baseline_pred)),
        ("baseline_score", _as_array(baseline_score)),
    ):
        if arr is not None and len(arr) != n:
            raise ModelgateError(f"{name} has {len(arr)} rows, y_true has {n}")
    task = task or infer_task(y)
    if score is not None and score.ndim == 2 and classes is None and task == "multiclass":
        raise ModelgateError("multiclass y_score needs classes= (the column order)")
    kind = "probability" if score is not None else None
    cls = tuple(classes) if classes is not None else None
    candidate = Predictions(pred, score, cls, kind, "candidate")
    base = None
    if baseline_pred is not None or baseline_score is not None:
        base = Predictions(
            _as_array(baseline_pred),
            _as_array(baseline_score),
            cls,
            "probability" if baseline_score is not None else None,
            "baseline",
        )
    frame = pd.DataFrame(dict(sensitive)) if sensitive is not None else pd.DataFrame(index=range(n))
    frame = frame.reset_index(drop=True)
    if len(frame) != n:
        raise ModelgateError(f"sensitive has {len(frame)} rows, y_true has {n}")
    if threshold is None and pred is None and task == "binary":
        threshold = 0.5
    options = StatsOptions(
        confidence=confidence, interval=interval, bootstrap=bootstrap, resamples=resamples
    )
    cand_ev = build_evidence(y, candidate, task, positive_label, threshold, "evaluate()")
    base_ev = (
        build_evidence(y, base, task, positive_label, threshold, "evaluate()")
        if base is not None
        else None
    )
    return Evaluation(
        cand_ev,
        base_ev,
        frame,
        options=options,
        seed=seed,
        min_support=min_support,
        evidence=evidence,
        evidence_builds=1 + (base_ev is not None),
    )


# --- assertion helpers ------------------------------------------------------------------------


def _fail(results: Sequence[CheckResult], headline: str | None = None) -> None:
    __tracebackhide__ = True
    parts = [headline] if headline else []
    for r in results:
        where = f"[{', '.join(f'{k}={v}' for k, v in r.slice.items())}] " if r.slice else ""
        parts.append(f"{where}{r.message}")
        if r.details:
            parts.append(r.details)
    raise AssertionError("\n".join(parts))


def _check(result: CheckResult, inconclusive: str) -> None:
    __tracebackhide__ = True
    if result.verdict in (Verdict.FAIL, Verdict.ERROR) or (
        result.verdict is Verdict.INCONCLUSIVE and inconclusive == "fail"
    ):
        _fail([result])


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
    if min is None and max is None:
        raise ModelgateError("assert_metric needs min=, max= or both")
    _check_bounds(_metric(name, ev.task), min, max)
    est, label = ev._estimate(name, slice)
    result = check_threshold(
        gate_id=f"assert_metric({name})",
        name=name,
        estimate=est,
        lo=min,
        hi=max,
        evidence=evidence or ev.evidence_rule,
        min_support=ev.min_support,
        severity="block",
        slice_=label,
    )
    _check(result, inconclusive)
    return MetricResult(est.metric, est.value, est.interval, est.n, label, est.note)


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
    from .slicing import slice_rows

    rule = evidence or ev.evidence_rule
    _check_bounds(_metric(name, ev.task), min, max)
    spec: Any = column if isinstance(column, str) else list(column)
    results, estimates = [], []
    for sl in slice_rows(ev.sensitive, [spec], max_slices=1000, where="assert_slices"):
        est, label = ev._estimate(name, sl.label)
        r = check_threshold(
            gate_id=f"assert_slices({name})",
            name=name,
            estimate=est,
            lo=min,
            hi=max,
            evidence=rule,
            min_support=ev.min_support,
            severity="block",
            slice_=label,
        )
        results.append(replace(r, detectable=detectable_effect(est)))
        estimates.append(est)
    results = combine_slices(
        results, estimates, evidence=rule, lo=min, hi=max, level=ev.options.confidence
    )
    bad = [
        r
        for r in results
        if r.verdict in (Verdict.FAIL, Verdict.ERROR)
        or (r.verdict is Verdict.INCONCLUSIVE and inconclusive == "fail")
    ]
    if bad:
        _fail(
            bad,
            f"{worst_verdict(bad).value}: {name} on {len(bad)} of {len(results)} slices "
            f"of {column} ({results[0].rule})",
        )
    return ev.by_slice(name, column)


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
) -> ComparisonResult:
    """Assert the candidate is not worse than the baseline (or a constant) beyond the margin,
    with the paired statistics of compare gates. Returns the comparison."""
    __tracebackhide__ = True
    from types import SimpleNamespace

    from .checks.compare import check_comparison

    margins = SimpleNamespace(
        max_drop=max_drop, max_relative_drop=max_relative_drop, min_gain=min_gain, max_gain=max_gain
    )
    if all(m is None for m in vars(margins).values()):
        raise ModelgateError(
            "assert_no_regression needs max_drop=, max_relative_drop=, min_gain= or max_gain="
        )
    cmp = ev.compare(name, against)
    result, _ = check_comparison(
        _metric(name, ev.task),
        cmp,
        margins,
        against=against,
        source=f"{against} given to evaluate()",
        evidence=evidence or ev.evidence_rule,
        min_support=ev.min_support,
        gate_id=f"assert_no_regression({name})",
        name=name,
        severity="block",
    )
    _check(result, "fail")
    return cmp


def assert_fair(
    ev: Evaluation,
    name: str,
    *,
    sensitive: str | Sequence[str],
    max: float | None = None,
    min: float | None = None,
    metric: str | None = None,
    evidence: str | None = None,
) -> FairnessResult:
    """Assert a fairness gap (fairlearn's definitions) stays within ``max`` (differences) or
    above ``min`` (ratios), judged on its bootstrap interval. Returns the fairness result."""
    __tracebackhide__ = True
    if name == "four_fifths_rule" and min is None and max is None:
        min = 0.8
    if min is None and max is None:
        raise ModelgateError("assert_fair needs max= (differences) or min= (ratios)")
    fr = ev.fairness(name, sensitive, metric)
    est = Estimate(
        name + (f"({metric})" if metric else ""), fr.estimate, fr.interval, fr.n, fr.note
    )
    extra = [
        (
            str(row["group"]),
            f"n = {row['n']}; "
            + ", ".join(
                f"{k} {_fmt(v)}" for k, v in row.items() if k not in ("group", "n", "excluded")
            ),
        )
        for row in fr.groups.to_dict("records")
    ]
    result = check_threshold(
        gate_id=f"assert_fair({name})",
        name=name,
        estimate=est,
        lo=min,
        hi=max,
        evidence=evidence or ev.evidence_rule,
        min_support=ev.min_support,
        severity="block",
        kind="fairness",
        extra_rows=extra,
    )
    _check(result, "fail")
    return fr


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
