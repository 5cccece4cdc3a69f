"""One evaluation session: the spec, the data and the predictions, loaded once and shared.

The pytest plugin keeps one :class:`GateSession` per process; :func:`run_gates` runs a whole
spec without pytest.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import platform
import subprocess
import zlib
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from ._paths import display_path
from .checks.inputs import CheckInputs
from .errors import DataError, ModelgateError, SpecError
from .estimation import StatsOptions, estimate_metric
from .evidence import Evidence, build_evidence, build_grouped_evidence, infer_task
from .loading import LoadedData, get_predictions, load_data, predict
from .metrics import get_metric
from .results import CheckResult, Verdict
from .spec import Gate, PredictionColumns, SliceBins, Spec, _check_metric_applies, load_spec

__all__ = ["GateSession", "gate_rng", "run_gates"]


def gate_rng(seed: int, gate_id: str) -> np.random.Generator:
    """The random generator of one gate: derived from the seed and the gate's id, so a gate's
    numbers do not depend on which other gates run, their order, or the xdist worker."""
    return np.random.default_rng(np.random.SeedSequence([seed, zlib.crc32(gate_id.encode())]))


def sha256_of(path: Path) -> str:
    """sha256 of a file, or of a folder's files (sorted by name)."""
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for f in files:
        if path.is_dir():
            digest.update(str(f.relative_to(path)).encode())
        with f.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=5, check=True
    ).stdout.strip()


def _git_commit(cwd: Path) -> dict[str, Any] | None:
    """HEAD and whether the work tree has uncommitted changes (None outside a git checkout)."""
    try:
        return {
            "commit": _git(cwd, "rev-parse", "HEAD"),
            "dirty": _git(cwd, "status", "--porcelain") != "",
        }
    except (OSError, subprocess.SubprocessError):
        return None


def _versions() -> dict[str, str]:
    from importlib import metadata

    out = {"python": platform.python_version()}
    for dist in (
        "pytest-modelgate",
        "pytest",
        "numpy",
        "pandas",
        "scipy",
        "scikit-learn",
        "fairlearn",
        "pydantic",
        "pyyaml",
        "joblib",
    ):
        with contextlib.suppress(metadata.PackageNotFoundError):
            out[dist] = metadata.version(dist)
    return out


@dataclass
class Loaded:
    """The data and the candidate's evidence, computed once."""

    data: LoadedData
    task: str
    candidate: Evidence
    candidate_path: Path | None


@dataclass(frozen=True)
class BaselineSource:
    """The baseline of compare gates: per-row evidence (paired) and/or stored numbers."""

    evidence: Evidence | None
    stored: Any  # StoredBaseline | None
    source: str


class GateSession:
    """Loads data and models lazily (once) and runs gates against them."""

    def __init__(self, spec: Spec, seed: int | None = None) -> None:
        self.spec = spec
        self.seed = spec.stats.seed if seed is None else seed
        self.engine = spec.data.engine
        # a progress line for the engine's pass over the rows: None = when stderr is a terminal
        self.progress: bool | None = None
        self._data_error: ModelgateError | None = None
        self._slicings: dict[str, list[Any]] = {}
        self._subsets: dict[tuple[int, int], tuple[Evidence, np.ndarray, Evidence]] = {}

    @property
    def pass_pending(self) -> bool:
        """True when the next gate starts the grouped engine's pass over the rows."""
        return self.grouped and "data" not in self.__dict__ and self._data_error is None

    @property
    def grouped(self) -> bool:
        """True when an engine groups the rows (``data.engine`` other than memory)."""
        return self.engine != "memory"

    @cached_property
    def data(self) -> tuple[LoadedData, str]:
        """The test data and the task, without any model: data checks need only this. With a
        grouped engine, ``frame`` is the grouped table (one row per cell, ``__count__``)."""
        spec = self.spec
        if self._data_error is not None:  # a failed load (or engine pass) is not repeated per gate
            raise self._data_error
        try:
            data = self._grouped_data() if self.grouped else load_data(spec)
        except ModelgateError as exc:
            self._data_error = exc
            raise
        task = spec.doc.task or infer_task(data.frame[spec.data.target])
        return data, task

    def _check_metric_applies(self, gate: Gate) -> None:
        """A gate whose metric does not apply to the task (known once the data is loaded) is
        that gate's ERROR, not every gate's."""
        if gate.metric is None:
            return
        problems = _check_metric_applies(self.spec, self.data[1], [gate])
        if problems:
            raise SpecError(problems)

    # --- grouped engines ----------------------------------------------------------------------

    def _prediction_columns(self, role: str) -> PredictionColumns | None:
        ref = getattr(self.spec.models, role)
        if ref is None:
            return None
        if not isinstance(ref, PredictionColumns):  # parse_spec already refuses this
            raise DataError(
                f"{self.spec.where('models', role)}: data.engine: {self.engine} needs prediction "
                "columns ({predictions: col, scores: col}), not a model"
            )
        return ref

    def _threshold_key(self, role: str) -> str | None:
        """The 0/1 key the engine computes as ``score >= models.threshold`` on the raw score."""
        ref = self._prediction_columns(role)
        if self.spec.models.threshold is None or ref is None or ref.scores is None:
            return None
        return f"__predicted_{role}__"

    @cached_property
    def score_bins(self) -> int | None:
        """Bins per score column: ``data.score_bins`` when given; by default 1024, or 256 when
        the candidate's and the baseline's scores are grouped together — paired comparisons
        need their joint histogram, whose cells grow as bins² (10⁸ rows: 4.4 M cells at 1024,
        ~300 k at 256; the AUC moved by 5e-6)."""
        if "score_bins" in self.spec.data.model_fields_set:
            return self.spec.data.score_bins
        columns = {
            ref.scores
            for role in ("candidate", "baseline")
            if (ref := self._prediction_columns(role)) is not None and ref.scores is not None
        }
        return 256 if len(columns) > 1 else self.spec.data.score_bins

    def _group_keys(self) -> tuple[list[str], dict[str, int | None], dict[str, tuple[str, float]]]:
        """Key columns, score columns and threshold keys of the GROUP BY: the target, the
        prediction columns, and every column a slice or a fairness grouping names."""
        spec = self.spec
        keys: list[str] = [spec.data.target]
        scores: dict[str, int | None] = {}
        thresholds: dict[str, tuple[str, float]] = {}
        for role in ("candidate", "baseline"):
            ref = self._prediction_columns(role)
            if ref is None:
                continue
            if ref.predictions is not None:
                keys.append(ref.predictions)
            if ref.scores is not None:
                scores[ref.scores] = self.score_bins
                key = self._threshold_key(role)
                if key is not None:
                    assert spec.models.threshold is not None
                    thresholds[key] = (ref.scores, spec.models.threshold)
        keys.extend(spec.data.sensitive)
        for gate in spec.gates:
            cfg: Any = gate.config
            if gate.kind == "fairness":
                keys.extend(cfg.columns)
            for slicing in getattr(cfg, "slices", None) or []:
                if isinstance(slicing, str):
                    keys.append(slicing)
                elif isinstance(slicing, SliceBins):
                    keys.append(slicing.column)
                else:
                    keys.extend(slicing)
        keys = [k for k in dict.fromkeys(keys) if k not in scores]
        return keys, scores, thresholds

    def _grouped_data(self) -> LoadedData:
        """One GROUP BY over the test data, by the engine (``pytest_modelgate.engines``)."""
        spec = self.spec
        path = spec.resolve(spec.data.test)
        where = spec.where("data", "engine")
        # Spark also reads a catalog table ("db.table") or a URI ("s3a://..."): handed over as is
        table = self.engine == "spark" and not path.exists()
        if not path.exists() and not table:
            raise DataError(
                f"{spec.where('data', 'test')}: data file {display_path(path)} does not exist"
            )
        try:
            from . import engines  # type: ignore[attr-defined]
        except ImportError:
            raise DataError(
                f"{where}: data.engine: {self.engine} needs pytest_modelgate.engines, which this "
                "installation does not have; upgrade pytest-modelgate or use data.engine: memory"
            ) from None
        keys, scores, thresholds = self._group_keys()
        try:
            frame = engines.group_counts(
                spec.data.test if table else str(path),
                keys,
                scores,
                engine=self.engine,
                thresholds=thresholds,
                progress=self.progress,
            )
        except ModelgateError as exc:  # e.g. a key column missing: say which spec line ran it
            raise DataError(f"{where}: the {self.engine} engine: {exc}") from None
        except Exception as exc:  # the engine's own errors (missing column, unreadable file)
            shown = spec.data.test if table else display_path(path)
            raise DataError(
                f"{where}: the {self.engine} engine could not group {shown} by "
                f"{', '.join(keys)} ({type(exc).__name__}: {exc})"
            ) from None
        if frame.empty:
            raise DataError(f"{display_path(path)}: the test data has no rows")
        return LoadedData(frame, path, spec.data.target, None)

    def _grouped_evidence(self, role: str, task: str) -> Evidence:
        spec = self.spec
        data = self.data[0]
        ref = self._prediction_columns(role)
        assert ref is not None
        return build_grouped_evidence(
            data.frame,
            target=spec.data.target,
            predictions=ref.predictions,
            scores=ref.scores,
            task=task,
            positive_label=spec.data.positive_label,
            threshold=spec.models.threshold,
            where=display_path(data.path),
            source=f"columns of {display_path(data.path)}",
            predicted_key=self._threshold_key(role),
            score_bins=self.score_bins if ref.scores is not None else None,
            engine=self.engine,
        )

    def _refuse_on_grouped(self, gate: Gate, what: str, why: str) -> None:
        if self.grouped:
            key = "check" if gate.kind == "check" else gate.kind
            raise DataError(
                f"{self.spec.where('gates', gate.index, key)}: {what} is not available on "
                f"grouped data (data.engine: {self.engine}) because {why}; run it from a spec "
                "with data.engine: memory (on a sample of the rows if they do not fit)"
            )

    @cached_property
    def loaded(self) -> Loaded:
        spec = self.spec
        data, task = self.data
        if self.grouped:
            return Loaded(data, task, self._grouped_evidence("candidate", task), None)
        y = data.frame[spec.data.target]
        ref = spec.models.candidate
        if isinstance(ref, str):  # a model: loaded once, kept for checks that call it again
            model, path = self._model("candidate")
            source = display_path(path) if path is not None else ref
            preds = predict(model, spec, data, task, "candidate", source)
        else:
            preds, path = get_predictions(ref, spec, data, task, "candidate")
        where = display_path(data.path)
        evidence = build_evidence(
            y, preds, task, spec.data.positive_label, spec.models.threshold, where
        )
        return Loaded(data, task, evidence, path)

    def options(self, gate: Gate) -> StatsOptions:
        stats = self.spec.stats
        return StatsOptions(
            confidence=gate.config.confidence or stats.confidence,
            interval=stats.interval,
            bootstrap=stats.bootstrap,
            resamples=stats.resamples,
        )

    def run(self, gate: Gate) -> list[CheckResult]:
        """Evaluate one gate: one result, or one per slice. Bad input becomes an ERROR result
        with a clear message."""
        try:
            self._check_metric_applies(gate)
            return self._run(gate)
        except ModelgateError as exc:
            return [_error_result(gate, str(exc), str(exc))]
        except Exception as exc:
            # a bug of ours must not read as a crash of the user's release: the gate ERRORs (so
            # the release is blocked, not passed), and the report keeps the traceback to file
            if os.environ.get("MODELGATE_RAISE_INTERNAL_ERRORS"):  # our own test suite
                raise
            import traceback

            message = (
                f"internal error in pytest-modelgate while evaluating this gate "
                f"({type(exc).__name__}: {exc}). This is a bug, not a problem with your model: "
                "please report it with the spec and the traceback in the JSON report "
                "(gates[].details)"
            )
            return [_error_result(gate, message, traceback.format_exc())]

    @cached_property
    def data_sha256(self) -> str:
        path = self.loaded.data.path
        # a Spark table is not a local file: its name stands in (pin the table's version)
        return sha256_of(path) if path.exists() else f"table:{self.spec.data.test}"

    @property
    def store_folder(self) -> Path:
        return self.spec.resolve(self.spec.doc.baseline.store)

    @cached_property
    def baseline(self) -> BaselineSource:
        """Where the baseline comes from, in order: ``models.baseline`` (a model or prediction
        columns), the stored baseline's per-row predictions, its stored numbers (unpaired)."""
        from .baseline import read_stored_baseline

        spec, loaded = self.spec, self.loaded
        ref = spec.models.baseline
        y = loaded.data.frame[spec.data.target]
        where = display_path(loaded.data.path)
        if ref is not None and self.grouped:  # the same cells as the candidate: paired
            ev = self._grouped_evidence("baseline", loaded.task)
            return BaselineSource(ev, None, f"models.baseline ({ev.source})")
        if ref is not None:
            preds, _path = get_predictions(ref, spec, loaded.data, loaded.task, "baseline")
            ev = build_evidence(
                y, preds, loaded.task, spec.data.positive_label, spec.models.threshold, where
            )
            return BaselineSource(ev, None, f"models.baseline ({preds.source})")
        stored = read_stored_baseline(
            self.store_folder, data_sha256=self.data_sha256, n_rows=loaded.candidate.n
        )
        if stored is None:
            return BaselineSource(None, None, "none")
        if stored.predictions is None:
            return BaselineSource(None, stored, f"{stored.describe}, numbers only")
        if self.grouped:
            raise DataError(
                f"{stored.describe}: its per-row predictions cannot be paired with grouped data "
                f"(data.engine: {self.engine}) because the engine does not keep the rows; give "
                "the baseline as prediction columns in the data (models.baseline: {predictions: "
                "col, scores: col}), or use data.engine: memory"
            )
        ev = build_evidence(
            y,
            stored.predictions,
            loaded.task,
            spec.data.positive_label,
            spec.models.threshold,
            where,
        )
        return BaselineSource(ev, stored, stored.describe)

    @cached_property
    def reference_frame(self) -> Any:
        """The reference (training) data, read once."""
        from .loading import read_table

        assert self.spec.data.reference is not None
        return read_table(self.spec.resolve(self.spec.data.reference))

    @cached_property
    def _models(self) -> dict[str, Any]:
        return {}

    def _model(self, role: str) -> tuple[Any, Path | None]:
        """The model object of ``models.<role>`` and its file, loaded once per session."""
        from .loading import load_model

        if role not in self._models:
            ref = getattr(self.spec.models, role)
            if not isinstance(ref, str):
                raise DataError(
                    f"{self.spec.where('models', role)}: this check needs a model "
                    "object, but models." + role + " names prediction columns"
                )
            self._models[role] = load_model(ref, self.spec, role)
        return self._models[role]

    def model_and_features(self, role: str) -> tuple[Any, Any]:
        """The loaded model object and the test rows it takes (for operational checks)."""
        from .loading import model_features

        model, _path = self._model(role)
        features = model_features(model, self.spec, self.loaded.data)
        return model, self.loaded.data.frame[features]

    def evidence_on(self, frame: Any, path: Path, what: str) -> Evidence:
        """The candidate's evidence on other rows (reference data, perturbed test data), encoded
        exactly like the test evidence (same positive class, threshold and score column)."""
        from .loading import LoadedData

        model, _ = self._model("candidate")
        spec = self.spec
        data = LoadedData(
            frame, path, spec.data.target, tuple(spec.data.features) if spec.data.features else None
        )
        preds = predict(model, spec, data, self.loaded.task, "candidate", what)
        return build_evidence(
            frame[spec.data.target],
            preds,
            self.loaded.task,
            spec.data.positive_label,
            spec.models.threshold,
            what,
        )

    def model_path(self, role: str) -> Path:
        path = self._model(role)[1]
        if path is None:
            raise DataError(
                f"{self.spec.where('models', role)}: model_size needs a model file "
                "(this model comes from an import reference)"
            )
        return Path(path)

    @cached_property
    def reference_predictions(self) -> np.ndarray:
        """The candidate's scores (or predictions) on the reference data (prediction drift)."""
        ref_path = self.spec.resolve(self.spec.data.reference or "")
        ev = self.evidence_on(self.reference_frame, ref_path, display_path(ref_path))
        if ev.scores is not None and ev.scores.ndim == 1:
            return ev.scores
        assert ev.y_pred is not None
        return ev.y_pred

    def _subset(self, evidence: Evidence, rows: np.ndarray | None) -> Evidence:
        """``evidence`` on a slice's rows, built once per slice and model (the slice arrays are
        cached in ``_slicings``, so their identity is a stable key; the entry keeps both alive)."""
        if rows is None:
            return evidence
        key = (id(evidence), id(rows))
        if key not in self._subsets:
            self._subsets[key] = (evidence, rows, evidence.subset(rows))
        return self._subsets[key][2]

    def _run(self, gate: Gate) -> list[CheckResult]:
        from .checks.slices import combine_slices, detectable_effect
        from .slicing import slice_rows

        cfg: Any = gate.config
        if gate.kind == "fairness":
            return [self._fairness_one(gate)]
        if gate.kind == "check":
            from .checks.dispatch import run_check

            self._refuse_on_grouped(
                gate,
                f"check: {cfg.check}",
                "it needs the individual rows (or the model object)",
            )
            return [run_check(gate, self.check_inputs())]
        loaded = self.loaded
        evaluate = self._compare_one if gate.kind == "compare" else self._metric_one
        if not getattr(cfg, "slices", None):
            result, _ = evaluate(gate, None, None)
            return [result]
        where = self.spec.where("gates", gate.index, "slices")
        key = repr(cfg.slices)
        if key not in self._slicings:  # gates that slice alike share the slices and subsets
            self._slicings[key] = slice_rows(
                loaded.data.frame,
                cfg.slices,
                max_slices=self.spec.stats.max_slices,
                where=where,
                weights=loaded.candidate.weight,
            )
        slices = self._slicings[key]
        results, estimates = [], []
        for sl in slices:
            result, est = evaluate(gate, sl.rows, sl.label)
            if est is not None:
                result = replace(result, detectable=detectable_effect(est))
            results.append(result)
            estimates.append(est)
        if any(e is None for e in estimates):
            return results  # nothing to combine (e.g. no baseline yet)
        threshold = results[0].threshold or {}
        return combine_slices(
            results,
            estimates,
            evidence=cfg.evidence or self.spec.stats.evidence,
            lo=threshold.get("min"),
            hi=threshold.get("max"),
            level=self.options(gate).confidence,
        )

    def _rng(self, gate: Gate, label: dict[str, str] | None) -> np.random.Generator:
        if not label:
            return gate_rng(self.seed, gate.id)
        return gate_rng(self.seed, f"{gate.id}[{', '.join(f'{k}={v}' for k, v in label.items())}]")

    def _metric_one(
        self, gate: Gate, rows: np.ndarray | None, label: dict[str, str] | None
    ) -> tuple[CheckResult, Any]:
        from .checks import check_threshold

        loaded = self.loaded
        cfg: Any = gate.config
        stats = self.spec.stats
        metric = get_metric(cfg.metric, loaded.task)
        ev = self._subset(loaded.candidate, rows)
        est = estimate_metric(metric, ev, self.options(gate), self._rng(gate, label))
        result = check_threshold(
            gate_id=gate.id,
            name=gate.id,
            estimate=est,
            lo=cfg.min,
            hi=cfg.max,
            evidence=cfg.evidence or stats.evidence,
            min_support=cfg.min_support or stats.min_support,
            severity=gate.severity,
            line=gate.line,
            spec_file=gate.file,
            slice_=label,
        )
        return result, est

    def _fairness_one(self, gate: Gate) -> CheckResult:
        from .checks import check_threshold
        from .estimation import Estimate
        from .fairness import fairness_estimate
        from .slicing import group_codes
        from .stats import Interval

        loaded = self.loaded
        cfg: Any = gate.config
        stats = self.spec.stats
        min_support = cfg.min_support or stats.min_support
        codes, labels = group_codes(
            loaded.data.frame,
            cfg.columns,
            max_groups=stats.max_slices,
            where=self.spec.where("gates", gate.index, "sensitive"),
        )
        metric = get_metric(cfg.metric, loaded.task) if cfg.metric else None
        try:
            fe = fairness_estimate(
                cfg.gap,
                loaded.candidate,
                codes,
                labels,
                metric=metric,
                opts=self.options(gate),
                rng=self._rng(gate, None),
                min_support=min_support,
            )
        except ValueError as exc:  # e.g. a named gap on a multiclass task
            raise DataError(f"{self.spec.where('gates', gate.index, 'fairness')}: {exc}") from None
        lo, hi = cfg.bounds
        excluded = [g.group for g in fe.groups if g.excluded]
        group_rows = [
            (
                g.group,
                f"n = {g.n}; "
                + ", ".join(f"{k} {v:.4f}" for k, v in g.values.items())
                + ("  (excluded: below min_support)" if g.excluded else ""),
            )
            for g in fe.groups
        ]
        extra = [*group_rows]
        if fe.worst:
            extra.append(("gap between", f"{fe.worst[0]} and {fe.worst[1]}"))
        what = cfg.gap + (f"({metric.name})" if metric else "")
        interval, note = fe.interval, fe.note
        if interval.is_defined and interval.width == 0 and fe.value == fe.value:
            # every replicate equal (e.g. a group without a single false positive): no
            # uncertainty could be measured, so the gate must not pass or fail on it
            interval = Interval(float("nan"), float("nan"), interval.level, interval.method)
            note = (f"{note}; " if note else "") + (
                f"the bootstrap interval collapsed to {fe.value:.4g}: a group shows no variation "
                "to measure uncertainty from (e.g. no false positives at all); add rows or merge "
                "small groups"
            )
        est = Estimate(what, fe.value, interval, fe.n, note)
        advice = (
            f"the model treats the groups of {' × '.join(cfg.columns)} differently on "
            f"{what}: look at the groups named above (their error rates and base rates) before "
            "releasing; a fairness fix (reweighting, thresholds per group) may be needed"
        )
        result = check_threshold(
            gate_id=gate.id,
            name=gate.id,
            estimate=est,
            lo=lo,
            hi=hi,
            evidence=cfg.evidence or stats.evidence,
            min_support=min_support,
            severity=gate.severity,
            line=gate.line,
            spec_file=gate.file,
            kind="fairness",
            metric_name=what,
            extra_rows=extra,
            fail_advice=advice,
        )
        notes = result.notes + (
            (f"excluded (below min_support = {min_support} rows): {', '.join(excluded)}",)
            if excluded
            else ()
        )
        groups = tuple(
            {"group": g.group, "n": g.n, "values": dict(g.values), "excluded": g.excluded}
            for g in fe.groups
        )
        return replace(result, notes=notes, groups=groups)

    def _compare_one(
        self, gate: Gate, rows: np.ndarray | None, label: dict[str, str] | None
    ) -> tuple[CheckResult, Any]:
        from .checks.compare import check_comparison
        from .compare import compare_metric, compare_unpaired, constant_evidence

        loaded = self.loaded
        cfg: Any = gate.config
        stats = self.spec.stats
        metric = get_metric(cfg.metric, loaded.task)
        opts = self.options(gate)
        rng = self._rng(gate, label)
        cand = self._subset(loaded.candidate, rows)
        common = {
            "gate_id": gate.id,
            "name": gate.id,
            "severity": gate.severity,
            "line": gate.line,
            "spec_file": gate.file,
            "slice_": label,
        }
        if cfg.compare == "constant":
            base_ev, what = constant_evidence(metric, cand)
            cmp = compare_metric(metric, cand, base_ev, opts, rng)
            against, source = "constant", f"best constant predictor: {what}"
        else:
            src = self.baseline
            against, source = "baseline", src.source
            if src.evidence is not None:
                base = self._subset(src.evidence, rows)
                cmp = compare_metric(metric, cand, base, opts, rng)
            elif src.stored is not None:
                number = src.stored.number(metric.name)
                if number is None:
                    raise DataError(
                        f"{src.stored.describe} has no number for {metric.name} and no per-row "
                        "predictions; refresh it with --modelgate-update-baseline"
                    )
                if cfg.pairing == "required":
                    raise DataError(
                        f"{gate.id}: pairing: required, but {src.source} has no per-row "
                        "predictions (only numbers); store them with "
                        "--modelgate-update-baseline or set models.baseline"
                    )
                if rows is not None:
                    raise DataError(
                        f"{gate.id}: {src.source} holds overall numbers only; a sliced "
                        "comparison needs per-row baseline predictions (models.baseline, or "
                        "store them with --modelgate-update-baseline)"
                    )
                cmp = compare_unpaired(metric, cand, number, opts, rng)
            else:
                no_baseline = CheckResult(
                    id=gate.id,
                    name=gate.id,
                    kind="compare",
                    severity=gate.severity,
                    verdict=Verdict.INCONCLUSIVE,
                    line=gate.line,
                    spec_file=gate.file,
                    metric=metric.name,
                    slice=label,
                    message="INCONCLUSIVE: no baseline yet — run with "
                    "--modelgate-update-baseline to store this candidate as the baseline (or set "
                    "models.baseline to the production model)",
                    comparison={"against": "baseline", "source": "none"},
                )
                return no_baseline, None
        return check_comparison(
            metric,
            cmp,
            cfg,
            against=against,
            source=source,
            evidence=cfg.evidence or stats.evidence,
            min_support=cfg.min_support or stats.min_support,
            **common,
        )

    def store_baseline(self, results: list[CheckResult]) -> list[Path]:
        """Store the candidate's predictions and numbers as the baseline (see baseline.py)."""
        from .baseline import write_stored_baseline

        loaded = self.loaded
        loaded.candidate.require_rows(
            "storing the baseline (--modelgate-update-baseline)",
            "the stored baseline keeps per-row predictions to pair later runs with",
        )
        metrics: dict[str, Any] = {}
        for r in results:
            if r.kind == "metric" and r.slice is None and r.metric and r.estimate is not None:
                metrics.setdefault(
                    r.metric, {"estimate": r.estimate, "interval": r.interval, "n": r.n}
                )
        # the numbers an unpaired comparison needs, for every gated metric (also compare gates)
        for gate in self.spec.gates:
            name = gate.metric
            if name is None or name in metrics:
                continue
            metric = get_metric(name, loaded.task)
            est = estimate_metric(
                metric, loaded.candidate, self.options(gate), gate_rng(self.seed, gate.id)
            )
            metrics[metric.name] = {
                "estimate": est.value,
                "interval": {
                    "low": est.interval.low,
                    "high": est.interval.high,
                    "level": est.interval.level,
                    "method": est.interval.method,
                },
                "n": est.n,
            }
        lineage = self.lineage()
        fingerprints = {
            "data": {
                "path": lineage["data"]["test"]["path"],
                "sha256": self.data_sha256,
                "rows": loaded.candidate.n,
            },
            "model": lineage["models"].get("candidate"),
            "spec": lineage["spec"],
            "seed": self.seed,
            "versions": lineage["versions"],
        }
        return write_stored_baseline(
            self.store_folder, evidence=loaded.candidate, metrics=metrics, fingerprints=fingerprints
        )

    def lineage(self) -> dict[str, Any]:
        """Hashes of spec, data and models, the seed, versions and git state."""
        spec = self.spec
        out: dict[str, Any] = {
            "spec": {"path": display_path(spec.path, spec.root), "sha256": spec.sha256},
            "seed": self.seed,
            "versions": _versions(),
            "git": _git_commit(spec.root),
        }
        data: dict[str, Any] = {}
        for role in ("test", "reference"):
            ref = getattr(spec.data, role)
            if ref:
                p = spec.resolve(ref)
                if not p.exists() and role == "test" and spec.data.engine == "spark":
                    data[role] = {"table": ref, "sha256": None}  # not a local file
                    continue
                data[role] = {
                    "path": display_path(p, spec.root),
                    "sha256": sha256_of(p) if p.exists() else None,
                }
        out["data"] = data
        models: dict[str, Any] = {}
        for role in ("candidate", "baseline"):
            ref = getattr(spec.models, role)
            if ref is None:
                continue
            if isinstance(ref, str) and not _is_import_ref(ref, spec):
                p = spec.resolve(ref)
                models[role] = {
                    "path": display_path(p, spec.root),
                    "sha256": sha256_of(p) if p.exists() else None,
                }
            elif isinstance(ref, str):
                models[role] = {"import": ref, "sha256": None}
            else:
                models[role] = {"columns": ref.model_dump(exclude_none=True), "sha256": None}
        out["models"] = models
        return out

    def check_inputs(self) -> CheckInputs:
        """What ``check:`` gates read, backed by this session's caches (loaded on first use)."""
        data = self.spec.data
        return CheckInputs(
            where=self.spec.where,
            test=lambda: self.data[0].frame,
            target=data.target,
            exclude=tuple(data.exclude),
            reference=(lambda: self.reference_frame) if data.reference is not None else None,
            features=tuple(data.features) if data.features else None,
            candidate=lambda: self.loaded.candidate,
            reference_predictions=lambda: self.reference_predictions,
            evidence_on=lambda frame, what: self.evidence_on(frame, self.loaded.data.path, what),
            model_and_features=lambda: self.model_and_features("candidate"),
            model_path=lambda: self.model_path("candidate"),
        )


def _error_result(gate: Gate, message: str, details: str) -> CheckResult:
    return CheckResult(
        id=gate.id,
        name=gate.id,
        kind=gate.kind,
        severity=gate.severity,
        verdict=Verdict.ERROR,
        message=f"ERROR: {message}",
        line=gate.line,
        spec_file=gate.file,
        metric=gate.metric,
        details=details,
    )


def _is_import_ref(ref: str, spec: Spec) -> bool:
    return (
        ":" in ref
        and not spec.resolve(ref).exists()
        and not ref.lower().endswith((".joblib", ".pkl", ".pickle", ".skops"))
    )


def run_gates(spec: str | os.PathLike[str] | Spec, *, seed: int | None = None) -> list[CheckResult]:
    """Run every gate of a spec without pytest and return their results.

    Parameters
    ----------
    spec : a path to ``gates.yaml`` or a loaded :class:`~pytest_modelgate.spec.Spec`.
    seed : overrides ``stats.seed``.
    """
    loaded_spec = spec if isinstance(spec, Spec) else load_spec(spec)
    session = GateSession(loaded_spec, seed)
    return [r for g in loaded_spec.gates for r in session.run(g)]
