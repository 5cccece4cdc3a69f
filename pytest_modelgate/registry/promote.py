"""``--modelgate-promote``: the release decision written back to the MLflow registry.

Only two decisions change the registry: ``promote`` moves ``mlflow.promote_alias`` (default
``champion``) to the candidate's gated version, ``canary`` moves ``mlflow.canary_alias``
(default ``canary``); both first write the decision onto that version as tags
(``modelgate.decision``, the reason, the spec's hash, the tracking run or CI run that decided,
the version the alias held before). ``block`` and ``review`` — and any partial run — change
nothing. The version is the one the gates ran on (pinned when ``models:/name@alias`` was
resolved), never a fresh look-up of the alias.
"""

from __future__ import annotations

import os
from typing import Any

from pytest_modelgate.registry.client import RegistryModel, client_for, talking_to
from pytest_modelgate.registry.tracking import LoggedRun

__all__ = ["ci_run_url", "promote"]


def ci_run_url() -> str | None:
    """The GitHub Actions run that is deciding, when there is one."""
    server, repo, run = (
        os.environ.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")
    )
    if server and repo and run:
        return f"{server.rstrip('/')}/{repo}/actions/runs/{run}"
    return None


def promote(
    decision: Any,
    candidate: RegistryModel,
    *,
    promote_alias: str,
    canary_alias: str,
    source: str,
    run: LoggedRun | None = None,
    tags: dict[str, str] | None = None,
) -> tuple[bool, str]:
    """Move the alias the decision names to ``candidate``'s version and tag that version.

    Returns whether the registry was changed and a line for the terminal. Failures talking to
    MLflow raise :class:`~pytest_modelgate.registry.RegistryError` naming ``source``.
    """
    from pytest_modelgate.registry.tracking import _tag_value

    target = candidate.pinned
    if decision.partial:
        return False, (
            f"mlflow: {target} NOT promoted: only part of the gates ran (a partial run decides "
            "nothing); its aliases and tags are unchanged"
        )
    alias = {"promote": promote_alias, "canary": canary_alias}.get(decision.outcome)
    if alias is None:
        return False, (
            f"mlflow: {target} NOT promoted: the decision is {decision.outcome.upper()}; "
            "its aliases and tags are unchanged"
        )
    what = f"{source}: promoting {target} (@{alias})"
    client = client_for(candidate.tracking_uri, what)
    with talking_to(candidate.tracking_uri, what):
        registered = client.get_registered_model(candidate.name)
        previous = (registered.aliases or {}).get(alias)
        record = {
            "modelgate.decision": decision.outcome,
            "modelgate.alias": alias,
            **({"modelgate.reason": decision.reasons[0]} if decision.reasons else {}),
            **(tags or {}),
        }
        if previous is not None:
            record[f"modelgate.previous_{alias}"] = str(previous)
        if run is not None:
            record["modelgate.run_id"] = run.run_id
            if run.url:
                record["modelgate.run_url"] = run.url
        ci = ci_run_url()
        if ci:
            record["modelgate.ci_run"] = ci
        for key, value in record.items():  # the record first: a moved alias always has one
            client.set_model_version_tag(candidate.name, candidate.version, key, _tag_value(value))
        client.set_registered_model_alias(candidate.name, alias, candidate.version)
    if previous is not None and str(previous) == candidate.version:
        moved = f"already pointed to version {candidate.version}"
    else:
        since = f"from version {previous} " if previous is not None else ""
        moved = f"moved {since}to version {candidate.version}"
    return True, (
        f"mlflow: {decision.outcome.upper()}: alias @{alias} of {candidate.name!r} {moved}; "
        "the decision is tagged on the version"
        + (f" (run: {run.describe()})" if run is not None else "")
    )
