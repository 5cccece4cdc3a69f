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
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from ._paths import display_path
from .errors import ModelgateError, SpecError
from .estimation import StatsOptions, estimate_metric
from .evidence import Evidence, build_evidence, infer_task
from .loading import LoadedData, get_predictions, load_data
from .metrics import get_metric
from .results import CheckResult, Verdict
from .spec import Gate, Spec, _check_metric_applies, load_spec

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


class GateSession:
    """Loads data and models lazily (once) and runs gates against them."""

    def __init__(self, spec: Spec, seed: int | None = None) -> None:
        self.spec = spec
        self.seed = spec.stats.seed if seed is None else seed

    @cached_property
    def loaded(self) -> Loaded:
        spec = self.spec
        data = load_data(spec)
        y = data.frame[spec.data.target]
        task = spec.doc.task or infer_task(y)
        problems = _check_metric_applies(spec, task)
        if problems:
            raise SpecError(problems)
        preds, path = get_predictions(spec.models.candidate, spec, data, task, "candidate")
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

    def run(self, gate: Gate) -> CheckResult:
        """Evaluate one gate; bad input becomes an ERROR result with a clear message."""
        try:
            return self._run(gate)
        except ModelgateError as exc:
            return CheckResult(
                id=gate.id,
                name=gate.id,
                kind=gate.kind,
                severity=gate.severity,
                verdict=Verdict.ERROR,
                message=f"ERROR: {exc}",
                line=gate.line,
                spec_file=gate.file,
                metric=gate.metric,
                details=str(exc),
            )

    def _run(self, gate: Gate) -> CheckResult:
        from .checks import check_threshold

        loaded = self.loaded
        cfg: Any = gate.config
        stats = self.spec.stats
        metric = get_metric(cfg.metric, loaded.task)
        est = estimate_metric(
            metric, loaded.candidate, self.options(gate), gate_rng(self.seed, gate.id)
        )
        return check_threshold(
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
    return [session.run(g) for g in loaded_spec.gates]
