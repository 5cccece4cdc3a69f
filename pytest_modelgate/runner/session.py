"""The YAML runner: loads a spec's data and models once and runs its gates through the engine.

The pytest plugin keeps one :class:`GateSession` per process; :func:`run_gates` runs a whole
spec without pytest and returns the results and the release decision. The rules themselves live
in :mod:`pytest_modelgate.checks` (one function per gate kind, shared with the Python API).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from pytest_modelgate._paths import display_path
from pytest_modelgate.checks.engine import BaselineSource, GateDefaults, GateInputs
from pytest_modelgate.checks.inputs import CheckInputs
from pytest_modelgate.errors import DataError, ModelgateError, SpecError
from pytest_modelgate.evidence.core import Evidence, build_evidence, infer_task
from pytest_modelgate.inputs.grouping import GroupPlan
from pytest_modelgate.inputs.loading import (
    LoadedData,
    get_predictions,
    load_data,
    needed_columns,
    predict,
)
from pytest_modelgate.results import CheckResult, Verdict
from pytest_modelgate.spec.load import Gate, Spec, _check_metric_applies, load_spec

__all__ = ["GateRun", "GateSession", "run_gates"]


@dataclass
class Loaded:
    """The data and the candidate's evidence, computed once."""

    data: LoadedData
    task: str
    candidate: Evidence
    candidate_path: Path | None


class GateSession:
    """Loads data and models lazily (once) and runs gates against them."""

    def __init__(self, spec: Spec, seed: int | None = None) -> None:
        self.spec = spec
        self.seed = spec.stats.seed if seed is None else seed
        self.engine = spec.data.engine
        self.plan = GroupPlan(spec)
        # a progress line for the engine's pass over the rows: None = when stderr is a terminal
        self.progress: bool | None = None
        self._data_error: ModelgateError | None = None
        self._loaded: Loaded | None = None
        self._loaded_error: ModelgateError | None = None
        self._models: dict[str, tuple[Any, Path | None]] = {}
        # failures kept like results, so a model that fails is not called again per gate
        self._failures: dict[str, ModelgateError] = {}
        self._baseline_source: BaselineSource | None = None

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
            data = self.plan.run(self.progress) if self.grouped else load_data(spec)
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

    def _refuse_on_grouped(self, gate: Gate, what: str, why: str) -> None:
        if self.grouped:
            key = "check" if gate.kind == "check" else gate.kind
            raise DataError(
                f"{self.spec.where('gates', gate.index, key)}: {what} is not available on "
                f"grouped data (data.engine: {self.engine}) because {why}; run it from a spec "
                "with data.engine: memory (on a sample of the rows if they do not fit)"
            )

    @property
    def loaded(self) -> Loaded:
        """The data and the candidate's evidence, built once; a failure (a model that cannot be
        loaded or predicts badly) is kept too, so the model is not called again per gate."""
        if self._loaded is None:
            if self._loaded_error is not None:
                raise self._loaded_error
            try:
                self._loaded = self._load()
            except ModelgateError as exc:
                self._loaded_error = exc
                raise
        return self._loaded

    def _load(self) -> Loaded:
        spec = self.spec
        data, task = self.data
        if self.grouped:
            ev = self.plan.evidence(data.frame, data.path, "candidate", task)
            return Loaded(data, task, self._with_design(ev, data.frame), None)
        y = data.frame[spec.data.target]
        ref = spec.models.candidate
        if isinstance(ref, str):  # a model: loaded once, kept for checks that call it again
            from pytest_modelgate.inputs.loading import model_source

            model, path = self._model("candidate")
            source = model_source(ref, path)
            preds = predict(model, spec, data, task, "candidate", source)
        else:
            preds, path = get_predictions(ref, spec, data, task, "candidate")
        where = display_path(data.path)
        evidence = build_evidence(
            y, preds, task, spec.data.positive_label, spec.models.threshold, where
        )
        return Loaded(data, task, self._with_design(evidence, data.frame), path)

    @cached_property
    def _design(self) -> tuple[Any, Any]:
        """``data.cluster`` and ``data.weight`` of the test rows (cells when grouped),
        validated once: the codes and weights every evidence of this session carries."""
        from pytest_modelgate.evidence.design import cluster_codes, sampling_weights

        spec = self.spec
        frame = self.data[0].frame
        shown = display_path(self.data[0].path)
        codes = weights = None
        if spec.data.cluster:
            where = f"{spec.where('data', 'cluster')} (column {spec.data.cluster!r} of {shown})"
            codes = cluster_codes(frame[spec.data.cluster], len(frame), where)
        if spec.data.weight:
            where = f"{spec.where('data', 'weight')} (column {spec.data.weight!r} of {shown})"
            weights = sampling_weights(frame[spec.data.weight], len(frame), where)
        return codes, weights

    def _with_design(self, ev: Evidence, frame: Any) -> Evidence:
        from pytest_modelgate.evidence.design import with_design

        return with_design(ev, *self._design)

    @cached_property
    def inputs(self) -> GateInputs:
        """What the gate engine evaluates gates on (shared by every gate of the session)."""
        loaded = self.loaded
        return GateInputs(
            task=loaded.task,
            candidate=loaded.candidate,
            frame=loaded.data.frame,
            defaults=GateDefaults.from_stats(self.spec.stats, self.seed),
            baseline=lambda: self.baseline,
            where=lambda gate, key: self.spec.where("gates", gate.index, key),
            history=self.release_history,
            id_column=self.spec.data.id,  # #19: how reports name rows
        )

    def release_history(self) -> Any:
        """The promoted releases ``compare: previous``/``trend`` gates read (#17)."""
        from pytest_modelgate.runner.history import release_history

        return release_history(self)

    def run(self, gate: Gate) -> list[CheckResult]:
        """Evaluate one gate: one result, or one per slice. Bad input becomes an ERROR result
        with a clear message."""
        from pytest_modelgate.checks.engine import run_gate

        try:
            self._check_metric_applies(gate)
            if gate.kind == "check":
                return [self._run_check(gate)]
            return run_gate(gate, self.inputs)
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

    def _run_check(self, gate: Gate) -> CheckResult:
        from pytest_modelgate.checks.dispatch import run_check

        self._refuse_on_grouped(
            gate,
            f"check: {gate.config.check}",  # type: ignore[union-attr]
            "it needs the individual rows (or the model object)",
        )
        return run_check(gate, self.check_inputs())

    @cached_property
    def data_sha256(self) -> str:
        from pytest_modelgate.runner.lineage import sha256_of

        path = self.loaded.data.path
        # a Spark table is not a local file: its name stands in (pin the table's version)
        return sha256_of(path) if path.exists() else f"table:{self.spec.data.test}"

    @property
    def store_folder(self) -> Path:
        return self.spec.resolve(self.spec.doc.baseline.store)

    @property
    def baseline(self) -> BaselineSource:
        """Where the baseline comes from, in order: ``models.baseline`` (a model or prediction
        columns), the stored baseline's per-row predictions, its stored numbers (unpaired).
        Built once; a failure (a baseline model that cannot predict) is kept too."""
        if self._baseline_source is None:
            self._baseline_source = self._once("baseline", self._baseline)
        return self._baseline_source

    def _once(self, key: str, build: Any) -> Any:
        """``build()``, or the ModelgateError it raised the first time (raised again)."""
        if key in self._failures:
            raise self._failures[key]
        try:
            return build()
        except ModelgateError as exc:
            self._failures[key] = exc
            raise

    def _baseline(self) -> BaselineSource:
        from pytest_modelgate.runner.baseline import read_stored_baseline

        spec, loaded = self.spec, self.loaded
        ref = spec.models.baseline
        y = loaded.data.frame[spec.data.target]
        where = display_path(loaded.data.path)
        if ref is not None and self.grouped:  # the same cells as the candidate: paired
            ev = self.plan.evidence(loaded.data.frame, loaded.data.path, "baseline", loaded.task)
            ev = self._with_design(ev, loaded.data.frame)
            return BaselineSource(ev, None, f"models.baseline ({ev.source})")
        if ref is not None:
            preds, _path = get_predictions(ref, spec, loaded.data, loaded.task, "baseline")
            ev = build_evidence(
                y, preds, loaded.task, spec.data.positive_label, spec.models.threshold, where
            )
            ev = self._with_design(ev, loaded.data.frame)
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
        return BaselineSource(self._with_design(ev, loaded.data.frame), stored, stored.describe)

    # --- what checks need besides the evidence ---------------------------------------------------

    @cached_property
    def full_frame(self) -> Any:
        """The test data with every column (the ``modelgate`` fixture's ``data``): the gates
        read only the columns they need (:func:`~pytest_modelgate.inputs.loading.needed_columns`),
        so a test that asks for the whole table reads it again, once."""
        from pytest_modelgate.inputs.loading import read_table, text_columns_of

        loaded = self.loaded.data
        if self.grouped or needed_columns(self.spec) is None:
            return loaded.frame
        data = self.spec.data
        return read_table(
            loaded.path,
            na_values=data.na_values,
            text_columns=text_columns_of(self.spec),
            where=self.spec.where("data", "test"),
        )

    @cached_property
    def reference_frame(self) -> Any:
        """The reference (training) data, read once."""
        from pytest_modelgate.inputs.loading import read_table, text_columns_of

        data = self.spec.data
        assert data.reference is not None
        return read_table(
            self.spec.resolve(data.reference),
            na_values=data.na_values,
            text_columns=text_columns_of(self.spec),
            where=self.spec.where("data", "reference"),
        )

    def _model(self, role: str) -> tuple[Any, Path | None]:
        """The model object of ``models.<role>`` and its file, loaded once per session."""
        from pytest_modelgate.inputs.loading import load_model

        if role not in self._models:
            ref = getattr(self.spec.models, role)
            if not isinstance(ref, str):
                raise DataError(
                    f"{self.spec.where('models', role)}: this check needs a model "
                    "object, but models." + role + " names prediction columns"
                )
            self._models[role] = self._once(
                f"model:{role}", lambda: load_model(ref, self.spec, role)
            )
        return self._models[role]

    def model_and_features(self, role: str) -> tuple[Any, Any]:
        """The loaded model object and the test rows it takes (for operational checks)."""
        from pytest_modelgate.inputs.loading import model_features

        model, _path = self._model(role)
        features = model_features(model, self.spec, self.loaded.data)
        return model, self.loaded.data.frame[features]

    def evidence_on(self, frame: Any, path: Path, what: str) -> Evidence:
        """The candidate's evidence on other rows (reference data, perturbed test data), encoded
        exactly like the test evidence (same positive class, threshold and score column)."""
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
                "(this model comes from an import reference or an MLflow registry)"
            )
        return Path(path)

    @cached_property
    def reference_predictions(self) -> Any:
        """The candidate's scores (or predictions) on the reference data (prediction drift)."""
        ref_path = self.spec.resolve(self.spec.data.reference or "")
        ev = self.evidence_on(self.reference_frame, ref_path, display_path(ref_path))
        if ev.scores is not None and ev.scores.ndim == 1:
            return ev.scores
        assert ev.y_pred is not None
        return ev.y_pred

    # --- after the gates -----------------------------------------------------------------------

    def store_baseline(self, results: list[CheckResult]) -> list[Path]:
        """Store the candidate's predictions and numbers as the baseline (see baseline.py)."""
        from pytest_modelgate.runner.baseline import store_candidate

        return store_candidate(
            self.store_folder,
            self.inputs,
            self.spec.gates,
            results,
            lineage=self.lineage(),
            data_sha256=self.data_sha256,
        )

    def lineage(self) -> dict[str, Any]:
        """Hashes of spec, data and models, the seed, versions and git state."""
        from pytest_modelgate.runner.lineage import lineage

        return lineage(self.spec, self.seed)

    def read_gate_table(self, path: str, where: str) -> Any:
        """A data file named by a gate key, relative to the spec, with the spec's CSV policy."""
        from pytest_modelgate.inputs.loading import read_table

        return read_table(self.spec.root / path, na_values=self.spec.data.na_values, where=where)

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
            read_table=self.read_gate_table,
            stats=self.spec.stats.model_copy(update={"seed": self.seed}),
            time=data.time,  # #19: the leakage check
            id=data.id,
            read_data=self._read_other_data,
        )

    def _read_other_data(self, relative: str, key: tuple[str | int, ...]) -> Any:
        """#19: another data file of the spec (a leakage check's ``train:``), read as
        data.reference is, once per file."""
        from pytest_modelgate.inputs.loading import (
            read_table,
            require_readable_data,
            text_columns_of,
        )

        cache = self.__dict__.setdefault("_other_data", {})
        if relative not in cache:
            path = self.spec.resolve(relative)
            where = self.spec.where(*key)
            require_readable_data(path, where)
            cache[relative] = read_table(
                path,
                na_values=self.spec.data.na_values,
                text_columns=text_columns_of(self.spec),
                where=where,
            )
        return cache[relative]


def _error_result(gate: Gate, message: str, details: str) -> CheckResult:
    return CheckResult(
        **gate.result_fields(), verdict=Verdict.ERROR, message=f"ERROR: {message}", details=details
    )


@dataclass(frozen=True)
class GateRun:
    """What :func:`run_gates` returns: every result, the release decision and the lineage.

    Iterating over it yields the results (one per gate, or per gate × slice)."""

    results: tuple[CheckResult, ...]
    decision: Any  # Decision
    lineage: dict[str, Any]
    task: str | None
    spec: Spec

    def __iter__(self) -> Any:
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    def __getitem__(self, i: int) -> CheckResult:
        return self.results[i]

    def write_reports(self, **paths: Any) -> list[Path]:
        """Write the reports the plugin writes (``json=``, ``html=``, ``markdown=`` paths); see
        :func:`pytest_modelgate.write_reports`."""
        from pytest_modelgate.report import write_reports

        return write_reports(
            self.results,
            self.decision,
            lineage=self.lineage,
            spec=self.spec,
            task=self.task,
            **paths,
        )


def run_gates(spec: str | os.PathLike[str] | Spec, *, seed: int | None = None) -> GateRun:
    """Run every gate of a spec without pytest: the results and the release decision.

    Parameters
    ----------
    spec : a path to ``gates.yaml`` or a loaded :class:`~pytest_modelgate.spec.Spec`.
    seed : overrides ``stats.seed``.

    Returns
    -------
    GateRun
        ``.results`` (also by iterating), ``.decision`` (a :class:`~pytest_modelgate.Decision`),
        ``.lineage``, and ``.write_reports(json=..., html=..., markdown=...)``.
    """
    from pytest_modelgate.decision import decide
    from pytest_modelgate.spec import StatsSpec, validate_arguments

    if seed is not None:
        seed = validate_arguments(StatsSpec, {"seed": seed}, "run_gates()").seed
    loaded_spec = spec if isinstance(spec, Spec) else load_spec(spec)
    from pytest_modelgate.registry.client import forget_resolved  # imports no MLflow

    forget_resolved()  # #18: each run resolves models:/name@alias anew
    session = GateSession(loaded_spec, seed)
    results = tuple(r for g in loaded_spec.gates for r in session.run(g))
    decision = decide(
        results,
        inconclusive=loaded_spec.stats.inconclusive,
        expected=[g.id for g in loaded_spec.gates],
        primary=loaded_spec.primary_metric,
        canary_plan=loaded_spec.canary_plan,
    )
    try:
        lineage = session.lineage()
        task = session.data[1]
    except ModelgateError:  # already reported as gate ERRORs
        lineage, task = {}, None
    return GateRun(results, decision, lineage, task, loaded_spec)
