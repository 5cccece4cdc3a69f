"""The plugin's MLflow steps (#18): check before anything runs, log and promote after the
decision. The work itself is in :mod:`pytest_modelgate.registry`; this module decides when,
turns its errors into usage errors or a failed exit status, and prints what it did."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # pragma: no cover
    from pytest_modelgate.plugin.state import _State
    from pytest_modelgate.registry.client import RegistryModel
    from pytest_modelgate.spec import Spec


@dataclass
class RegistryPlan:
    """What this run does with MLflow, settled before any gate runs."""

    log: bool
    promote: bool
    candidate: RegistryModel | None
    lines: list[tuple[bool, str]] = field(default_factory=list)  # (ok, text) for the terminal


_REGISTRY = pytest.StashKey[RegistryPlan]()


def add_options(group: Any) -> None:
    group.addoption(
        "--modelgate-log-mlflow",
        action="store_true",
        default=False,
        help="log the run to MLflow tracking (mlflow.tracking_uri or MLFLOW_TRACKING_URI): "
        "estimates and interval bounds as metrics, verdicts and the decision as tags, the "
        "reports as artifacts (needs pytest-modelgate[mlflow])",
    )
    group.addoption(
        "--modelgate-promote",
        action="store_true",
        default=False,
        help="when the decision is PROMOTE, move the alias mlflow.promote_alias (champion) to "
        "the candidate's registry version (mlflow.canary_alias on CANARY) and tag the version "
        "with the decision; BLOCK and REVIEW change nothing",
    )


def configure_registry(config: pytest.Config, spec: Spec) -> None:
    """Resolve every ``models:/`` reference now (each process pins its version before a gate
    runs) and check that logging or promoting can work: a wrong URI, a server that is down or
    an unknown model stops the run before anything is evaluated."""
    from pytest_modelgate.registry.client import (
        RegistryError,
        forget_resolved,
        is_registry_uri,
        resolve,
    )

    forget_resolved()  # a new run resolves aliases anew (several runs in one process: pytester)

    log = bool(config.getoption("modelgate_log_mlflow", False)) or spec.doc.mlflow.log
    promote = bool(config.getoption("modelgate_promote", False))
    candidate_ref = spec.models.candidate
    if promote and not is_registry_uri(candidate_ref):
        shown = candidate_ref if isinstance(candidate_ref, str) else "prediction columns"
        raise pytest.UsageError(
            f"--modelgate-promote: {spec.where('models', 'candidate')} is {shown!r}, not an "
            "MLflow registry model, so there is no model version to move an alias to; give "
            "models.candidate as models:/<name>@<alias> or models:/<name>/<version>; nothing "
            "was run"
        )
    uri_where = spec.where("mlflow", "tracking_uri")
    versions: dict[str, RegistryModel] = {}
    try:
        for role in ("candidate", "baseline"):
            ref = getattr(spec.models, role)
            if is_registry_uri(ref):
                versions[role] = resolve(
                    ref,
                    spec.doc.mlflow.tracking_uri,
                    where=spec.where("models", role),
                    uri_where=uri_where,
                )
        if log and not hasattr(config, "workerinput"):
            from pytest_modelgate.registry.client import client_for, tracking_uri

            uri, source = tracking_uri(spec.doc.mlflow.tracking_uri, uri_where)
            client_for(uri, f"--modelgate-log-mlflow (the server named by {source})")
    except RegistryError as exc:
        raise pytest.UsageError(f"{exc}; nothing was run") from None
    config.stash[_REGISTRY] = RegistryPlan(log, promote, versions.get("candidate"))
    config.stash[_VERSIONS] = versions


_VERSIONS = pytest.StashKey[dict[str, "RegistryModel"]]()


def registry_header(config: pytest.Config) -> list[str]:
    """``modelgate: models.candidate models:/fraud@candidate → version 7 (run 1a2b…)``: which
    registry versions this run gates, in the header of the log."""
    from pytest_modelgate._format import one_line

    return [
        one_line(
            f"modelgate: models.{role} {model.ref} → version {model.version}"
            + (f" (run {model.run_id})" if model.run_id else "")
        )
        for role, model in config.stash.get(_VERSIONS, {}).items()
    ]


def finish_registry(session: pytest.Session, state: _State, results: list[Any]) -> None:
    """After the reports: log the run, then promote (on the controller only). A failure is a
    red line and exit status 3 when the run was otherwise green — never a traceback."""
    from pytest_modelgate.errors import ModelgateError

    plan = session.config.stash.get(_REGISTRY, None)
    if plan is None or not (plan.log or plan.promote) or state.decision is None:
        return
    run = None
    try:
        if plan.log:
            run = _log(state, results, plan.candidate)
            plan.lines.append((True, f"mlflow: run logged: {run.describe()}"))
        if plan.promote and state.write_errors:
            plan.lines.append(
                (
                    False,
                    "mlflow: NOT promoted: a report asked for could not be written (above); "
                    "the registry is unchanged",
                )
            )
        elif plan.promote:
            from pytest_modelgate.registry.promote import promote

            assert plan.candidate is not None  # refused at configure time otherwise
            mlflow = state.spec.doc.mlflow
            changed, text = promote(
                state.decision,
                plan.candidate,
                promote_alias=mlflow.promote_alias,
                canary_alias=mlflow.canary_alias,
                source="--modelgate-promote",
                run=run,
                tags=_record_tags(state),
            )
            plan.lines.append((changed, text))
    except ModelgateError as exc:
        plan.lines.append(
            (
                False,
                f"modelgate: {exc} (exit status 3: the registry was not "
                "updated as asked; the decision above stands)",
            )
        )
        if session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.INTERNAL_ERROR


def _record_tags(state: _State) -> dict[str, str]:
    """What identifies the deciding run: the spec, its hash, the seed, the git commit."""
    seed = state.seed if state.seed is not None else state.spec.stats.seed
    tags = {
        "modelgate.spec": state.spec_nodeid,
        "modelgate.spec_sha256": state.spec.sha256,
        "modelgate.seed": str(seed),
    }
    git = (state.lineage or {}).get("git") or {}
    if git.get("commit"):
        tags["modelgate.git_commit"] = str(git["commit"]) + (" (dirty)" if git.get("dirty") else "")
    return tags


def _log(state: _State, results: list[Any], candidate: RegistryModel | None) -> Any:
    from pytest_modelgate.registry.client import tracking_uri
    from pytest_modelgate.registry.promote import ci_run_url
    from pytest_modelgate.registry.tracking import log_run

    mlflow = state.spec.doc.mlflow
    uri, source = tracking_uri(mlflow.tracking_uri, state.spec.where("mlflow", "tracking_uri"))
    tags = _record_tags(state)
    ci = ci_run_url()
    if ci:
        tags["modelgate.ci_run"] = ci
    reports = [p for p in (state.report_written, state.html_written) if p is not None]
    return log_run(
        results,
        state.decision,
        tracking_uri=uri,
        source=f"--modelgate-log-mlflow (the server named by {source})",
        experiment=mlflow.experiment,
        run_name=f"modelgate {state.spec_nodeid}",
        tags=tags,
        reports=reports,
        candidate=candidate,
    )


def registry_lines(config: pytest.Config) -> list[tuple[bool, str]]:
    """What the MLflow steps did, for the terminal summary."""
    plan = config.stash.get(_REGISTRY, None)
    return [] if plan is None else plan.lines
