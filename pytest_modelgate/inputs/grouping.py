"""GROUP BY planning for grouped engines: which keys and score bins one pass over the rows needs.

With ``data.engine`` other than memory, the test rows are never held: one GROUP BY (run by
:mod:`pytest_modelgate.inputs.engines`) turns them into cells — target × predictions × slice and
sensitive columns × score bins — with a row count each, and every gate runs on the cells.
"""

from __future__ import annotations

from typing import Any

from pytest_modelgate._paths import display_path
from pytest_modelgate.errors import DataError, ModelgateError

__all__ = ["GroupPlan"]


class GroupPlan:
    """The keys, score columns and thresholds of a spec's GROUP BY, and the pass itself."""

    def __init__(self, spec: Any) -> None:
        self.spec = spec
        self.engine = spec.data.engine

    def prediction_columns(self, role: str) -> Any:
        """``models.<role>`` as prediction columns (grouped engines need columns, not models)."""
        from pytest_modelgate.spec import PredictionColumns

        ref = getattr(self.spec.models, role)
        if ref is None:
            return None
        if not isinstance(ref, PredictionColumns):  # parse_spec already refuses this
            raise DataError(
                f"{self.spec.where('models', role)}: data.engine: {self.engine} needs prediction "
                "columns ({predictions: col, scores: col}), not a model"
            )
        if isinstance(ref.scores, list):  # #19: multiclass score columns
            raise DataError(
                f"{self.spec.where('models', role, 'scores')}: data.engine: {self.engine} groups "
                "on one score column; a list of class probability columns needs data.engine: "
                "memory"
            )
        return ref

    def threshold_key(self, role: str) -> str | None:
        """The 0/1 key the engine computes as ``score >= models.threshold`` on the raw score."""
        ref = self.prediction_columns(role)
        if self.spec.models.threshold is None or ref is None or ref.scores is None:
            return None
        return f"__predicted_{role}__"

    @property
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
            if (ref := self.prediction_columns(role)) is not None and ref.scores is not None
        }
        return 256 if len(columns) > 1 else self.spec.data.score_bins

    def keys(self) -> tuple[list[str], dict[str, int | None], dict[str, tuple[str, float]]]:
        """Key columns, score columns and threshold keys of the GROUP BY: the target, the
        prediction columns, and every column a slice or a fairness grouping names."""
        from pytest_modelgate.spec import SliceBins, SliceWhere

        spec = self.spec
        keys: list[str] = [spec.data.target]
        scores: dict[str, int | None] = {}
        thresholds: dict[str, tuple[str, float]] = {}
        for role in ("candidate", "baseline"):
            ref = self.prediction_columns(role)
            if ref is None:
                continue
            if ref.predictions is not None:
                keys.append(ref.predictions)
            if ref.scores is not None:
                scores[ref.scores] = self.score_bins
                key = self.threshold_key(role)
                if key is not None:
                    assert spec.models.threshold is not None
                    thresholds[key] = (ref.scores, spec.models.threshold)
        keys.extend(spec.data.sensitive)
        # clustered/weighted rows: each cell lies in one cluster and has one sampling weight
        keys.extend(c for c in (spec.data.cluster, spec.data.weight) if c)
        for gate in spec.gates:
            cfg: Any = gate.config
            if gate.kind == "fairness":
                keys.extend(cfg.columns)
            for slicing in getattr(cfg, "slices", None) or []:
                if isinstance(slicing, str):
                    keys.append(slicing)
                elif isinstance(slicing, SliceBins):
                    keys.append(slicing.column)
                elif isinstance(slicing, SliceWhere):
                    keys.extend(slicing.where)
                else:
                    keys.extend(slicing)
        keys = [k for k in dict.fromkeys(keys) if k not in scores]
        return keys, scores, thresholds

    def run(self, progress: bool | None) -> Any:
        """One GROUP BY over the test data, by the engine: the grouped table as LoadedData."""
        from pytest_modelgate.inputs.loading import LoadedData

        spec = self.spec
        path = spec.resolve(spec.data.test)
        where = spec.where("data", "engine")
        # Spark also reads a catalog table ("db.table") or a URI ("s3a://..."): handed over as is
        table = self.engine == "spark" and not path.exists()
        if not path.exists() and not table:
            raise DataError(
                f"{spec.where('data', 'test')}: data file {display_path(path)} does not exist"
            )
        if not table:  # a FIFO or a device would keep the engine reading forever
            from pytest_modelgate.inputs.loading import require_readable_data

            require_readable_data(path, spec.where("data", "test"))
        from pytest_modelgate.inputs import engines

        keys, scores, thresholds = self.keys()
        try:
            frame = engines.group_counts(
                spec.data.test if table else str(path),
                keys,
                scores,
                engine=self.engine,
                thresholds=thresholds,
                progress=progress,
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

    def evidence(self, frame: Any, path: Any, role: str, task: str) -> Any:
        """The evidence of ``models.<role>`` on the grouped table."""
        from pytest_modelgate.evidence.grouped import build_grouped_evidence

        spec = self.spec
        ref = self.prediction_columns(role)
        assert ref is not None
        return build_grouped_evidence(
            frame,
            target=spec.data.target,
            predictions=ref.predictions,
            scores=ref.scores,
            task=task,
            positive_label=spec.data.positive_label,
            threshold=spec.models.threshold,
            where=display_path(path),
            source=f"columns of {display_path(path)}",
            predicted_key=self.threshold_key(role),
            score_bins=self.score_bins if ref.scores is not None else None,
            engine=self.engine,
        )
