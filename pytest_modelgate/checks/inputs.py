"""What a ``check:`` gate may read (frames, column roles, the model), instead of the session.

The YAML runner builds one :class:`CheckInputs` per session
(``GateSession.check_inputs``); the Python API (``check_data``) builds one from the frames it is
given. Everything expensive (reading a file, loading or running a model) is a callable, so a
check pays only for what it uses, and the runner's caches are shared by every gate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_modelgate.spec.models import StatsSpec

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd

    from pytest_modelgate.evidence.core import Evidence

__all__ = ["CheckInputs"]


def _default_stats() -> StatsSpec:
    return StatsSpec()


@dataclass(frozen=True)
class CheckInputs:
    """The inputs of ``check:`` gates.

    Attributes
    ----------
    where : callable
        ``where("gates", i, "columns")`` → the location of a gate key in messages
        (``gates.yaml:14: gates[2].columns`` for a spec).
    test : callable
        The test rows (a pandas DataFrame).
    target : str or None
        The label column: never a feature; what ``label_drift`` compares.
    exclude : tuple of str
        Columns that are neither features nor target (ids, logged predictions).
    reference : callable or None
        The reference (training) rows; ``None`` when there is no reference data.
    features : tuple of str or None
        The model's input columns when the spec names them (``data.features``).
    candidate : callable or None
        The candidate model's evidence on the test rows (predictions, scores, classes).
    reference_predictions : callable or None
        The candidate's scores (or predictions) on the reference rows.
    evidence_on : callable or None
        ``evidence_on(frame, what)``: the candidate's evidence on other rows, encoded like the
        test evidence (``what`` names those rows in messages).
    model_and_features : callable or None
        The candidate model object and the test rows it takes.
    model_path : callable or None
        The candidate model's file.
    read_table : callable or None
        ``read_table(path, where)``: a data file a gate names (e.g. a canary's ``traffic``),
        resolved against the spec's folder and read with the spec's CSV policy; ``where``
        locates the key in messages. The Python API gives the frame it was handed.
    stats : StatsSpec
        The spec's ``stats:`` settings (confidence, default evidence rule, min_support, seed —
        the runner's seed override applied) that a check gate's own ``evidence``,
        ``confidence`` and ``min_support`` override; the defaults when not given.

    The model fields are ``None`` where there is no model (the Python API's data checks).
    """

    where: Callable[..., str]
    test: Callable[[], pd.DataFrame]
    target: str | None = None
    exclude: tuple[str, ...] = ()
    reference: Callable[[], pd.DataFrame] | None = None
    features: tuple[str, ...] | None = None
    candidate: Callable[[], Evidence] | None = None
    reference_predictions: Callable[[], np.ndarray] | None = None
    evidence_on: Callable[[pd.DataFrame, str], Evidence] | None = None
    model_and_features: Callable[[], tuple[Any, pd.DataFrame]] | None = None
    model_path: Callable[[], Path] | None = None
    read_table: Callable[[str, str], pd.DataFrame] | None = None
    stats: StatsSpec = field(default_factory=lambda: _default_stats())
    # --- #19: the leakage check ---
    time: str | None = None  # data.time
    id: str | None = None  # data.id
    #: ``read_data(path, key_path)``: another data file of the spec (``train:``), read like
    #: data.reference; None where there is no spec (the Python API passes frames)
    read_data: Callable[[str, tuple[str | int, ...]], pd.DataFrame] | None = None
    # --- end #19 ---

    def stats_defaults(self) -> Any:
        """The :class:`~pytest_modelgate.checks.engine.GateDefaults` of :attr:`stats`."""
        from pytest_modelgate.checks.engine import GateDefaults

        return GateDefaults.from_stats(self.stats)

    def feature_columns(self, columns: list[str] | None = None) -> list[str]:
        """``columns`` when given, else every test column but the target and the excluded."""
        if columns:
            return list(columns)
        skip = {self.target, *self.exclude}
        return [c for c in self.test().columns if c not in skip]

    def compared_columns(self, reference: pd.DataFrame) -> list[str]:
        """The columns a check comparing with the reference examines by default: the features
        (``data.features``, else every reference column) that both frames hold, without the
        target and the excluded columns. A column only the test data has is the schema check's
        news (an extra column), and one the test data lacks is its finding (a missing one)."""
        test_columns = set(self.test().columns)
        skip = {self.target, *self.exclude}
        pool = self.features if self.features else tuple(reference.columns)
        return [c for c in pool if c in test_columns and c in reference.columns and c not in skip]

    def model_input(self, name: str) -> Any:
        """The model field ``name``; a check that needs a model only runs where there is one."""
        value = getattr(self, name)
        if value is None:  # the runner always has a model; the API refuses model checks
            raise RuntimeError(f"CheckInputs.{name} is not set: this check needs the model")
        return value
