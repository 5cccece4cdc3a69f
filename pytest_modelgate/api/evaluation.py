"""Evaluation: predictions turned into evidence once and queried many times, without pytest."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pytest_modelgate.checks.engine import BaselineSource, GateDefaults, GateInputs, run_gate
from pytest_modelgate.errors import ModelgateError
from pytest_modelgate.evidence.core import Evidence, build_evidence, infer_task
from pytest_modelgate.inputs.loading import Predictions
from pytest_modelgate.results import (
    CheckResult,
    ComparisonResult,
    FairnessResult,
    MetricResult,
)

__all__ = ["Evaluation", "evaluate", "evaluation_from_evidence"]

_INCONCLUSIVE = ("fail", "pass")
_AGAINST = ("baseline", "constant")


def _as_array(x: Any) -> np.ndarray | None:
    if x is None:
        return None
    if isinstance(x, (pd.Series, pd.DataFrame)):
        return x.to_numpy()
    return np.asarray(x)


def _choice(caller: str, name: str, value: Any, allowed: Sequence[str]) -> str:
    """``value`` if it is one of ``allowed``; else the spec loader's kind of message."""
    if isinstance(value, str) and value in allowed:
        return value
    import difflib

    close = difflib.get_close_matches(str(value), list(allowed), n=1, cutoff=0.6)
    hint = f"did you mean `{close[0]}`? " if close else ""
    raise ModelgateError(
        f"{caller}: {name}: is not an allowed value (got {value!r}; {hint}allowed: "
        f"{', '.join(repr(a) for a in allowed)})"
    )


class Evaluation:
    """Evidence for one set of predictions, computed once, queried many times.

    Build it with :func:`evaluate` (or get it from the ``modelgate`` fixture). Every query is
    cached and shares its numbers with the gates: ``metric("recall")`` is the interval a
    ``recall`` gate judges. ``results`` collects every gate checked through this evaluation
    (by the ``assert_*`` helpers or :meth:`check`); :meth:`decision` and
    :meth:`write_reports` turn them into the release decision and the plugin's reports.
    """

    def __init__(self, inputs: GateInputs, *, baseline: Evidence | None = None) -> None:
        self.inputs = inputs
        self.baseline = baseline
        self.results: list[CheckResult] = []

    # --- what it was built from --------------------------------------------------------------

    @property
    def task(self) -> str:
        return self.inputs.task

    @property
    def candidate(self) -> Evidence:
        return self.inputs.candidate

    @property
    def sensitive(self) -> pd.DataFrame:
        """The columns slices and fairness groups come from."""
        return self.inputs.frame

    @property
    def seed(self) -> int:
        return self.inputs.defaults.seed

    @property
    def options(self) -> Any:
        """The estimation options (confidence, interval, bootstrap, resamples)."""
        return self.inputs.defaults.options()

    @property
    def min_support(self) -> int:
        return self.inputs.defaults.min_support

    @property
    def evidence_rule(self) -> str:
        """The default rule of the assertion helpers (``strict``, ``lenient``, ``point``)."""
        return self.inputs.defaults.evidence

    @property
    def evidence_builds(self) -> int:
        """How many times rows were turned into evidence (all rows, then once per slice)."""
        return 1 + (self.baseline is not None) + self.inputs.evidence_builds

    # --- queries ------------------------------------------------------------------------------

    def _columns(self, columns: Sequence[str], caller: str) -> list[str]:
        columns = [str(c) for c in columns]
        missing = [c for c in columns if c not in self.sensitive.columns]
        if missing:
            from pytest_modelgate.errors import did_you_mean

            given = ", ".join(map(str, self.sensitive.columns)) or "none"
            raise ModelgateError(
                f"{caller}: column(s) {missing} were not given to evaluate() (given: {given})"
                f"{did_you_mean(missing, list(self.sensitive.columns))}; pass them with "
                "evaluate(..., sensitive=frame[[...]])"
            )
        return columns

    def _rows(
        self, slice: Mapping[str, Any] | np.ndarray | None
    ) -> tuple[np.ndarray | None, dict[str, str] | None]:
        """The rows of a slice given as ``{column: value}`` (labelled as the gates label it)
        or as a boolean mask."""
        if slice is None:
            return None, None
        if isinstance(slice, Mapping):
            from pytest_modelgate.evidence.slicing import slice_rows

            columns = self._columns(list(slice), "slice")
            key = ("api-slicing", tuple(columns))
            cache = self.inputs._cache
            if key not in cache:
                cache[key] = {
                    tuple(sl.label.values()): sl.rows
                    for sl in slice_rows(
                        self.sensitive,
                        [columns if len(columns) > 1 else columns[0]],
                        max_slices=max(self.inputs.defaults.max_slices, len(self.sensitive)),
                        where="slice",
                        weights=self.candidate.weight,
                    )
                }
            label = {str(k): str(v) for k, v in slice.items()}
            wanted = tuple(label[c] for c in columns)
            rows = cache[key].get(wanted, np.empty(0, dtype=np.intp))
            return rows, label
        if self.candidate.is_weighted:
            raise ModelgateError(
                "a boolean row mask needs the individual rows, but this evaluation is on grouped "
                f"data (data.engine: {self.candidate.engine or 'grouped'}); slice by a column "
                "instead ({column: value}), or use data.engine: memory"
            )
        mask = np.asarray(slice)
        if mask.dtype != bool or mask.shape != (self.candidate.n_stored,):
            raise ModelgateError(
                "slice must be a mapping {column: value} or a boolean mask "
                f"with one entry per row ({self.candidate.n_stored})"
            )
        return np.flatnonzero(mask), {"mask": f"{int(mask.sum())} rows"}

    def _metric_name(self, name: str, caller: str) -> str:
        from pytest_modelgate.estimates.metrics import metric_names, suggest_metric

        known = metric_names(self.task)
        from pytest_modelgate.estimates.extra_metrics import MetricNameError

        try:
            return self.inputs.metric(name).name
        except MetricNameError as exc:
            raise ModelgateError(f"{caller}: metric: {exc} in {name!r}") from None
        except KeyError:
            guess = suggest_metric(name, self.task)
            hint = f"did you mean `{guess}`? " if guess else ""
            raise ModelgateError(
                f"{caller}: metric: unknown metric for task {self.task} (got {name!r}; {hint}"
                f"allowed: {', '.join(known)})"
            ) from None

    def metric(
        self, name: str, slice: Mapping[str, Any] | np.ndarray | None = None
    ) -> MetricResult:
        """A metric with its interval, overall or on a slice (``{"sex": "Female"}`` or a mask)."""
        self._metric_name(name, "metric()")
        rows, label = self._rows(slice)
        return self.inputs.estimate(name, rows, label)

    def by_slice(self, name: str, column: str | Sequence[str]) -> pd.DataFrame:
        """The metric on every slice of ``column`` (or of an intersection of columns): a table
        with slice, n, estimate, low, high, method."""
        from pytest_modelgate.evidence.slicing import slice_rows

        self._metric_name(name, "by_slice()")
        columns = self._columns([column] if isinstance(column, str) else list(column), "by_slice")
        spec: Any = columns[0] if isinstance(column, str) else columns
        rows = []
        for sl in slice_rows(
            self.sensitive,
            [spec],
            max_slices=self.inputs.defaults.max_slices,
            where="by_slice(): column",
            weights=self.candidate.weight,
        ):
            r = self.inputs.estimate(name, sl.rows, sl.label)
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
        self._metric_name(name, "compare()")
        against = _choice("compare()", "against", against, _AGAINST)
        if against == "constant":
            return self.inputs.compare(name, "constant")
        src = self.inputs.baseline_source()
        if src.evidence is None:
            raise ModelgateError(
                f"compare(): the baseline ({src.source}) has no per-row predictions to pair "
                "with; give models.baseline, or store them with --modelgate-update-baseline"
            )
        return _with_source(self.inputs.compare(name, "baseline", src.evidence), src.source)

    def fairness(
        self, name: str, sensitive: str | Sequence[str], metric: str | None = None
    ) -> FairnessResult:
        """A fairness gap (fairlearn's definitions) across the groups of ``sensitive``."""
        from pytest_modelgate.spec import FairnessGate, validate_arguments

        # validated as a gate would be; a query has no bar, so a bound that always holds
        # stands in for the one a gate requires
        bound = {"min": 0.0} if name.endswith("_ratio") or name == "four_fifths_rule" else {}
        raw = {"fairness": name, "sensitive": sensitive, "metric": metric, "max": 1.0}
        cfg = validate_arguments(FairnessGate, {**raw, **bound}, "fairness()")
        from pytest_modelgate.estimates.fairness_groups import GapNotApplicable

        columns = self._columns(cfg.columns, "fairness()")
        try:
            return self.inputs.fairness(
                cfg.gap,
                columns,
                cfg.metric,
                min_support=self.inputs.defaults.min_support,
                where="fairness(): sensitive",
            )
        except GapNotApplicable as exc:
            raise ModelgateError(f"fairness(): {exc}") from None

    # --- what the gates miss (docs/scan.md, docs/mutation.md) --------------------------------

    def scan(
        self,
        metric: str | None = None,
        columns: Sequence[str] | None = None,
        *,
        max_depth: int = 2,
        bins: int = 4,
        min_support: int = 100,
        alpha: float = 0.05,
        correction: str = "holm",
        max_candidates: int = 20,
    ) -> Any:
        """Search the ``sensitive`` columns for slices where ``metric`` is significantly worse
        than on the other rows: found on a seeded half of the rows, confirmed on the other half
        (Holm or Benjamini–Hochberg), numbers from the confirmation half only. Returns a
        :class:`~pytest_modelgate.audit.scan.ScanResult` (``findings``, ``proposed``: gates to
        paste into ``gates.yaml``). The options are those of the spec's ``scan:`` section."""
        from pytest_modelgate.audit.scan import scan_slices
        from pytest_modelgate.spec import ScanSpec, validate_arguments

        raw = {
            "metric": metric,
            "columns": None if columns is None else [str(c) for c in columns],
            "max_depth": max_depth,
            "bins": bins,
            "min_support": min_support,
            "alpha": alpha,
            "correction": correction,
            "max_candidates": max_candidates,
        }
        opts = validate_arguments(ScanSpec, raw, "scan()")
        default = "mae" if self.task == "regression" else "accuracy"
        name = self._metric_name(opts.metric or default, "scan()")
        chosen = self._columns(
            opts.columns if opts.columns is not None else list(self.sensitive.columns), "scan()"
        )
        try:
            return scan_slices(
                self.candidate,
                self.sensitive,
                self.inputs.metric(name),
                columns=chosen,
                seed=self.seed,
                max_depth=opts.max_depth,
                bins=opts.bins,
                min_support=opts.min_support,
                alpha=opts.alpha,
                correction=opts.correction,
                max_candidates=opts.max_candidates,
                level=self.options.confidence,
            )
        except ModelgateError as exc:
            raise ModelgateError(f"scan(): {exc}") from None

    def mutate(
        self,
        gates: Sequence[Mapping[str, Any]],
        *,
        operators: Sequence[str] | None = None,
        columns: Sequence[str] | None = None,
        features: pd.DataFrame | None = None,
        predict: Any = None,
    ) -> Any:
        """Mutation testing of ``gates`` (each a ``gates.yaml`` entry's keys, as :meth:`check`
        takes): every registered fault operator is applied to the predictions and the gates run
        on each mutant. ``columns``: the sensitive columns the slice operators target (default:
        all). ``features`` and ``predict`` (input rows → binary positive-class scores,
        class probabilities, or regression predictions) enable the operators that change input
        rows. Returns a :class:`~pytest_modelgate.audit.mutate.MutationReport`."""
        from pytest_modelgate.audit.mutants import MutationContext
        from pytest_modelgate.audit.mutate import run_mutation
        from pytest_modelgate.spec import gate_from_arguments

        built = [gate_from_arguments(dict(g), task=self.task, caller="mutate()") for g in gates]
        if (features is None) != (predict is None):
            raise ModelgateError("mutate(): give both features= and predict=, or neither")
        context = MutationContext(
            evidence=self.candidate,
            frame=self.sensitive,
            sensitive=self._columns(
                list(self.sensitive.columns) if columns is None else list(columns), "mutate()"
            ),
            seed=self.seed,
            features=features,
        )
        if predict is not None:

            def mutant(frame: pd.DataFrame) -> Any:
                out = np.asarray(predict(frame), dtype=float)
                if self.task == "regression":
                    from dataclasses import replace

                    return replace(self.candidate, y_pred=out)
                return context.with_scores(out)

            context.predict = mutant
        return run_mutation(built, self.inputs, context, task=self.task, operators=operators)

    # --- gates, decision, reports -------------------------------------------------------------

    def check(self, **gate: Any) -> list[CheckResult]:
        """Run one gate given as a ``gates.yaml`` entry's keys (``metric="recall", min=0.6,
        slices=["sex"]``, or ``fairness=...``) and return its results, whatever the verdict
        (a bad argument or unusable data still raises a ``ModelgateError``); the results are
        also kept in :attr:`results` for :meth:`decision` and :meth:`write_reports`."""
        return self._run(dict(gate), "check()")

    def _run(self, raw: dict[str, Any], caller: str) -> list[CheckResult]:
        from pytest_modelgate.spec import gate_from_arguments

        if "check" in raw:
            raise ModelgateError(
                f"{caller}: data checks run with check_data() / assert_data(), which take the "
                "test and reference frames"
            )
        gate = gate_from_arguments(raw, task=self.task, caller=caller)
        results = run_gate(gate, self.inputs)
        self.results.extend(results)
        return results

    def decision(self, *, inconclusive: str = "warn", primary: str | None = None) -> Any:
        """The release decision over every gate checked through this evaluation
        (see :func:`pytest_modelgate.decide`)."""
        from pytest_modelgate.decision import decide

        return decide(self.results, inconclusive=inconclusive, primary=primary)

    def write_reports(
        self,
        *,
        json: str | Path | None = None,
        html: str | Path | None = None,
        markdown: str | Path | None = None,
        decision: Any = None,
    ) -> list[Path]:
        """Write the plugin's JSON/HTML/Markdown reports for :attr:`results`."""
        from pytest_modelgate.report import write_reports

        return write_reports(
            self.results,
            decision if decision is not None else self.decision(),
            lineage={"seed": self.seed},
            task=self.task,
            json=json,
            html=html,
            markdown=markdown,
        )


def _with_source(cmp: ComparisonResult, source: str) -> ComparisonResult:
    from dataclasses import replace

    return replace(cmp, source=source)


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
    confidence: float | None = None,
    interval: str | None = None,
    bootstrap: str | None = None,
    resamples: int | None = None,
    seed: int | None = None,
    min_support: int | None = None,
    max_slices: int | None = None,
    evidence: str | None = None,
    cluster: Any = None,
    sample_weight: Any = None,
) -> Evaluation:
    """Evaluate predictions with confidence intervals, without pytest.

    Parameters
    ----------
    y_true : labels (or regression targets): array, list or pandas Series.
    y_pred : predicted labels (or values). Optional when ``y_score`` is given (binary: predicted
        positive when the score is ≥ ``threshold``, default 0.5 for probabilities).
    y_score : binary: positive-class scores/probabilities ``(n,)``; multiclass: ``(n, K)``
        probabilities whose columns follow ``classes``. With scikit-learn, take the positive
        class's column by name: ``proba[:, list(model.classes_).index(positive)]``.
    sensitive : columns to slice and group by (DataFrame or mapping of name → values).
    baseline_pred, baseline_score : the baseline's predictions on the same rows (paired).
    task, positive_label, classes, threshold : as in ``gates.yaml`` (inferred when omitted).
    confidence, interval, bootstrap, resamples, seed, min_support, max_slices, evidence : the
        ``stats:`` options of the spec, validated by the same rules and messages, with the same
        defaults when omitted (0.95, ``auto``, ``bca``, 2000, 0, 30, 50, ``strict``);
        ``evidence`` is the default rule of the assertion helpers.
    cluster : the cluster id of each row (e.g. the customer id: numbers or text), as
        ``data.cluster`` in ``gates.yaml``. Rows of one cluster are not independent: every
        interval then treats the clusters as the independent units (Korn–Graubard Clopper–Pearson
        for proportions, the cluster bootstrap for f1 and other count metrics, clustered DeLong for
        ROC AUC, CR1 for mean losses; ``t`` with K − 1 degrees of freedom). Fewer than 20
        clusters give no interval (INCONCLUSIVE). On clustered rows i.i.d. intervals are far
        too narrow (docs/validity.md: 33% coverage at ICC 0.5).
    sample_weight : a sampling weight per row (finite, ≥ 0, not all zero), as ``data.weight``:
        every point estimate is weighted and equals scikit-learn's ``sample_weight`` result;
        intervals use the weighted design's linearised variance (Kish's effective n), not n.
        These are not frequencies: a weight of 2 does not mean two observed rows.

    Returns
    -------
    Evaluation
        With ``.metric()``, ``.by_slice()``, ``.compare()``, ``.fairness()``, ``.check()``.

    Raises
    ------
    ModelgateError
        For bad arguments, naming the argument, the bad value and what is allowed.
    """
    from pytest_modelgate.spec import StatsSpec, validate_arguments

    stats = validate_arguments(
        StatsSpec,
        {
            "confidence": confidence,
            "interval": interval,
            "bootstrap": bootstrap,
            "resamples": resamples,
            "seed": seed,
            "min_support": min_support,
            "max_slices": max_slices,
            "evidence": evidence,
        },
        "evaluate()",
    )
    if task is not None:
        task = _choice("evaluate()", "task", task, ("binary", "multiclass", "regression"))
    if threshold is not None:
        import math

        from pytest_modelgate._format import plain

        value = plain(threshold)
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
        ):
            raise ModelgateError(
                f"evaluate(): threshold: must be a finite number (got {threshold!r}; allowed: the "
                "score at or above which a row is predicted positive, e.g. 0.5)"
            )
        threshold = float(value)
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
    if score is not None and not np.iscomplexobj(score):  # complex: refused as evidence
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
    from pytest_modelgate.inputs.loading import check_slice_labels

    check_slice_labels(frame, [str(c) for c in frame.columns], "evaluate(sensitive=)")
    if threshold is None and pred is None and task == "binary":
        threshold = 0.5
    from pytest_modelgate.evidence.design import cluster_codes, sampling_weights, with_design

    clusters = (
        cluster_codes(_as_array(cluster), n, "evaluate(): cluster") if cluster is not None else None
    )
    weights = (
        sampling_weights(_as_array(sample_weight), n, "evaluate(): sample_weight")
        if sample_weight is not None
        else None
    )
    cand_ev = with_design(
        build_evidence(y, candidate, task, positive_label, threshold, "evaluate()"),
        clusters,
        weights,
    )
    _warn_if_scores_look_inverted(cand_ev, predicted=pred is not None, threshold=threshold)
    base_ev = (
        with_design(
            build_evidence(y, base, task, positive_label, threshold, "evaluate()"),
            clusters,
            weights,
        )
        if base is not None
        else None
    )
    return evaluation_from_evidence(
        cand_ev, base_ev, frame, defaults=GateDefaults.from_stats(stats)
    )


def _warn_if_scores_look_inverted(
    evidence: Evidence, *, predicted: bool, threshold: float | None
) -> None:
    """Warn (:class:`InvertedScoresWarning`) when binary scores rank the positive class *below*
    the negative one far beyond chance (one-sided Mann–Whitney p < 1e-6, i.e. ROC AUC well under
    0.5), or when most given labels disagree with the scores at the threshold: the usual cause
    is ``predict_proba(X)[:, 1]`` where column 1 is the negative class."""
    import warnings

    from pytest_modelgate.errors import InvertedScoresWarning

    scores = evidence.scores
    if (
        evidence.task != "binary"
        or scores is None
        or scores.ndim != 1
        or evidence.weight is not None
    ):
        return
    positive = evidence.y_true == 1
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    hint = (
        f"check that y_score is the score of the positive class {evidence.classes[1]!r}: with "
        "scikit-learn take predict_proba(X)[:, list(model.classes_).index(positive_label)], "
        "not [:, 1]"
    )
    if n_pos >= 10 and n_neg >= 10:
        from scipy.stats import mannwhitneyu

        test = mannwhitneyu(scores[positive], scores[~positive], alternative="less")
        auc = float(test.statistic) / (n_pos * n_neg)
        if test.pvalue < 1e-6:
            warnings.warn(
                f"evaluate(): the scores rank the positive class below the negative one (ROC "
                f"AUC {auc:.3f}, far below 0.5 for {n_pos + n_neg} rows); {hint}",
                InvertedScoresWarning,
                stacklevel=3,
            )
            return
    if predicted and evidence.y_pred is not None:
        if threshold is None:  # probabilities cut at 0.5, decision values at 0
            threshold = 0.5 if scores.min() >= 0 and scores.max() <= 1 else 0.0
        agree = float(np.mean((scores >= threshold) == (evidence.y_pred == 1)))
        if agree < 0.5:
            warnings.warn(
                f"evaluate(): y_pred and y_score disagree on {1 - agree:.0%} of the rows at the "
                f"threshold {threshold:g}; {hint}",
                InvertedScoresWarning,
                stacklevel=3,
            )


def evaluation_from_evidence(
    candidate: Evidence,
    baseline: Evidence | None,
    frame: pd.DataFrame,
    *,
    defaults: GateDefaults,
    inputs: GateInputs | None = None,
) -> Evaluation:
    """An :class:`Evaluation` over evidence that was already built (the ``modelgate`` fixture
    passes the session's own ``inputs``, so fixture queries share the gates' numbers)."""

    def baseline_source() -> BaselineSource:
        if baseline is None:
            raise ModelgateError(
                "a baseline comparison needs baseline predictions: pass baseline_pred= "
                "and/or baseline_score= to evaluate() (or set models.baseline in gates.yaml)"
            )
        return BaselineSource(baseline, None, "baseline given to evaluate()")

    if inputs is None:
        inputs = GateInputs(
            task=candidate.task,
            candidate=candidate,
            frame=frame,
            defaults=defaults,
            baseline=baseline_source,
        )
    else:  # the session's caches, but API gates are located by their caller, not gates.yaml
        from dataclasses import replace as _replace

        from pytest_modelgate.checks.engine import _api_where

        inputs = _replace(inputs, where=_api_where)
    return Evaluation(inputs, baseline=baseline)
