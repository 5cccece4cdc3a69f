"""Lineage: the hashes of spec, data and models, the seed, versions and git state of a run."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import platform
import subprocess
from pathlib import Path
from typing import Any

from pytest_modelgate._paths import display_path

__all__ = ["git_state", "lineage", "sha256_of", "versions"]


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


def _sha256_if_readable(path: Path) -> str | None:
    """sha256 of a file or folder; None when missing or a FIFO/device (it could never end: the
    data loader refuses it with a message, the lineage must not hang on it first)."""
    from pytest_modelgate._paths import not_a_regular_file

    if not path.exists() or not_a_regular_file(path, follow=True) not in (None, "folder"):
        return None
    return sha256_of(path)


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=5, check=True
    ).stdout.strip()


def git_state(cwd: Path) -> dict[str, Any] | None:
    """HEAD and whether the work tree has uncommitted changes (None outside a git checkout)."""
    try:
        return {
            "commit": _git(cwd, "rev-parse", "HEAD"),
            "dirty": _git(cwd, "status", "--porcelain") != "",
        }
    except (OSError, subprocess.SubprocessError):
        return None


def versions() -> dict[str, str]:
    """Python's and every relevant package's version."""
    return dict(_versions())


@functools.lru_cache(maxsize=1)
def _versions() -> dict[str, str]:
    """Read once per process: installed versions do not change under a running process, and
    importlib.metadata scans every installed distribution (~0.1 s)."""
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


def is_import_ref(ref: str, spec: Any) -> bool:
    """``package.module:attr`` rather than a model file."""
    return (
        ":" in ref
        and not ref.startswith("models:/")  # an MLflow registry model (#18)
        and not spec.resolve(ref).exists()
        and not ref.lower().endswith((".joblib", ".pkl", ".pickle", ".skops"))
    )


def input_paths(spec: Any) -> list[tuple[Path, str]]:
    """Every file or folder a run reads or keeps, with what it is: the spec, the data, model
    files and the baseline store. No report may be written over (or into) any of them."""
    found: list[tuple[Path, str]] = [(Path(spec.path), "the gate spec")]
    if not hasattr(spec, "doc"):  # a stand-in that knows only its path
        return found
    for role in ("test", "reference"):
        ref = getattr(spec.data, role)
        if ref:
            found.append((spec.resolve(ref), f"the {role} data (data.{role})"))
    for role in ("candidate", "baseline"):
        ref = getattr(spec.models, role)
        if isinstance(ref, str) and not is_import_ref(ref, spec) and not ref.startswith("models:/"):
            found.append((spec.resolve(ref), f"the {role} model file (models.{role})"))
    found.append((spec.resolve(spec.doc.baseline.store), "the baseline store (baseline.store)"))
    store = getattr(getattr(spec.doc, "history", False), "store", None)
    if store is not None and not store.startswith(("postgresql://", "postgres://", "${")):
        found.append((spec.resolve(store), "the history store (history.store)"))
    return found


def lineage(spec: Any, seed: int) -> dict[str, Any]:
    """Hashes of spec, data and models, the seed, versions and git state."""
    out: dict[str, Any] = {
        "spec": {"path": display_path(spec.path, spec.root), "sha256": spec.sha256},
        "seed": seed,
        "versions": versions(),
        "git": git_state(spec.root),
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
                "sha256": _sha256_if_readable(p),
            }
    out["data"] = data
    models: dict[str, Any] = {}
    for role in ("candidate", "baseline"):
        ref = getattr(spec.models, role)
        if ref is None:
            continue
        if isinstance(ref, str) and ref.startswith("models:/"):
            models[role] = registry_lineage(ref)
        elif isinstance(ref, str) and not is_import_ref(ref, spec):
            p = spec.resolve(ref)
            models[role] = {
                "path": display_path(p, spec.root),
                "sha256": _sha256_if_readable(p),
            }
        elif isinstance(ref, str):
            models[role] = {"import": ref, "sha256": None}
        else:
            models[role] = {"columns": ref.model_dump(exclude_none=True), "sha256": None}
    out["models"] = models
    return out


def registry_lineage(ref: str) -> dict[str, Any]:
    """An MLflow registry model (#18): the version this process resolved ``ref`` to, its run id,
    source and flavour — from the resolution already made, never a new request (a moved alias
    must not change the record of what was gated)."""
    from pytest_modelgate.registry.client import resolved

    version = resolved(ref)
    if version is None:  # never resolved (the run failed before loading it)
        return {"registry": ref, "version": None, "run_id": None, "source": None, "sha256": None}
    return version.lineage()
