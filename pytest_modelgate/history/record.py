"""A history record: the run's JSON report plus ``history`` (when, where, whether promoted).

The record is exactly the JSON report (:func:`pytest_modelgate.report.build_report`) with one
more top-level key::

    "history": {"run_id", "recorded_at", "promoted", "branch", "commit", "pull_request",
                "partial", "release", "metrics"}

``metrics`` holds the estimate and interval of every gated metric on all rows (what an
unpaired ``compare: previous`` and the ``trend`` check read); ``release`` is the git tag of
the commit (or ``MODELGATE_RELEASE``), which ``since: <tag>`` names. Where the run happened is
read from GitHub Actions' environment when present, else from git.
"""

from __future__ import annotations

import json
import os
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

__all__ = ["RECORD_HISTORY_KEYS", "build_record", "check_record", "run_context"]

RECORD_HISTORY_KEYS = ("recorded_at", "promoted", "branch", "commit", "pull_request", "partial")
PROMOTING = ("promote", "canary")


def _git(cwd: Path, *args: str) -> str | None:
    try:
        out = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=5, check=True
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return out or None


def _pull_request(env: dict[str, str]) -> int | None:
    """The pull request number of a GitHub Actions run triggered by a pull request."""
    if not env.get("GITHUB_EVENT_NAME", "").startswith("pull_request"):
        return None
    path = env.get("GITHUB_EVENT_PATH")
    if not path:
        return None
    try:
        event = json.loads(Path(path).read_text(encoding="utf-8"))
        number = (event.get("pull_request") or {}).get("number", event.get("number"))
    except (OSError, ValueError, AttributeError):
        return None
    return number if isinstance(number, int) and not isinstance(number, bool) else None


def run_context(cwd: Path, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Branch, commit, pull request, base branch and release tag of this run.

    On GitHub Actions: the pull request's head branch (``GITHUB_HEAD_REF``) or the pushed
    branch (``GITHUB_REF_NAME``), the PR number from the event payload and its base branch
    (``GITHUB_BASE_REF``). Elsewhere: git's current branch. The commit is git's ``HEAD`` (on a
    pull request GitHub's ``GITHUB_SHA`` is a merge commit nobody else sees).
    """
    env = dict(os.environ if env is None else env)
    on_actions = env.get("GITHUB_ACTIONS") == "true"
    commit = _git(cwd, "rev-parse", "HEAD") or (env.get("GITHUB_SHA") if on_actions else None)
    if on_actions and env.get("GITHUB_HEAD_REF"):
        branch: str | None = env["GITHUB_HEAD_REF"]
    elif (
        on_actions
        and env.get("GITHUB_REF_TYPE", "branch") == "branch"
        and env.get("GITHUB_REF_NAME")
    ):
        branch = env["GITHUB_REF_NAME"]
    else:
        branch = _git(cwd, "rev-parse", "--abbrev-ref", "HEAD")
        if branch == "HEAD":  # detached
            branch = None
    release = env.get("MODELGATE_RELEASE") or None
    if release is None and on_actions and env.get("GITHUB_REF_TYPE") == "tag":
        release = env.get("GITHUB_REF_NAME") or None
    if release is None:
        tags = _git(cwd, "tag", "--points-at", "HEAD")
        release = sorted(tags.split())[0] if tags else None
    pull_request = _pull_request(env) if on_actions else None
    return {
        "branch": branch,
        "commit": commit,
        "pull_request": pull_request,
        "base_branch": (env.get("GITHUB_BASE_REF") or None) if pull_request else None,
        "release": release,
    }


def build_record(
    report: dict[str, Any],
    *,
    context: dict[str, Any],
    partial: bool,
    metrics: dict[str, Any] | None = None,
    promoted: bool | None = None,
    recorded_at: datetime | None = None,
) -> dict[str, Any]:
    """The record of one run: ``report`` (the JSON report's dict) plus ``history``.

    ``promoted`` defaults to the rule of docs/history.md: a full run (not partial) whose
    decision is promote or canary, and not on a pull request (a pull request's run is a
    candidate, not a release).
    """
    if promoted is None:
        promoted = (
            report.get("decision") in PROMOTING
            and not partial
            and context.get("pull_request") is None
        )
    when = recorded_at or datetime.now(timezone.utc)
    history = {
        "run_id": None,
        "recorded_at": when.astimezone(timezone.utc).isoformat(timespec="seconds"),
        "promoted": bool(promoted),
        "branch": context.get("branch"),
        "commit": context.get("commit"),
        "pull_request": context.get("pull_request"),
        "partial": bool(partial),
        "release": context.get("release"),
        "metrics": metrics or {},
    }
    return {**report, "history": history}


def check_record(record: Any) -> None:
    """Refuse what is not a record (import reads files people may have edited)."""
    from pytest_modelgate.history.store import HistoryError

    if not isinstance(record, dict):
        raise HistoryError(f"a record is a JSON object, not {type(record).__name__}")
    history = record.get("history")
    if not isinstance(history, dict):
        raise HistoryError("a record needs a `history` object (see docs/history.md)")
    missing = [k for k in RECORD_HISTORY_KEYS if k not in history]
    if missing:
        raise HistoryError(f"history is missing {', '.join(missing)}")
    for key in ("promoted", "partial"):
        if not isinstance(history[key], bool):
            raise HistoryError(f"history.{key} must be true or false (got {history[key]!r})")
    pr = history["pull_request"]
    if pr is not None and (not isinstance(pr, int) or isinstance(pr, bool)):
        raise HistoryError(f"history.pull_request must be a number or null (got {pr!r})")
    try:
        datetime.fromisoformat(str(history["recorded_at"]))
    except ValueError:
        raise HistoryError(
            f"history.recorded_at must be an ISO-8601 time (got {history['recorded_at']!r})"
        ) from None
    for key in ("decision", "gates"):
        if key not in record:
            raise HistoryError(f"a record needs `{key}` (it is a JSON report plus `history`)")
    if not isinstance(record["gates"], list):
        raise HistoryError("`gates` must be a list")
