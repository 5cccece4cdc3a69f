"""One sticky pull request comment, updated in place (``modelgate pr-comment``).

The comment carries a hidden marker (``<!-- modelgate:pr-comment:KEY -->``, KEY naming the
spec, so two gate specs keep two comments). Each run lists the pull request's comments, updates
the one with the marker (the oldest, if a race ever made two: the others by the same author are
deleted) or creates it when there is none. Re-runs, new pushes and rebases all carry the same
pull request number, so they update the same comment: nothing is spammed, nothing orphaned.

The GitHub REST API is reached through a :class:`Transport` (``request(method, path, body)``
→ ``(status, json)``); the real one uses ``urllib`` with the workflow's token, the tests a fake
that records the calls.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from pytest_modelgate.errors import ModelgateError

__all__ = [
    "CommentResult",
    "GitHubError",
    "Transport",
    "UrllibTransport",
    "marker",
    "pull_request_number",
    "upsert_comment",
]

_MAX_BODY = 65_000  # GitHub refuses comments over 65,536 characters
_KEY = re.compile(r"[^A-Za-z0-9_.\-/]")


class GitHubError(ModelgateError):
    """The GitHub API refused a call (the message names the call and the status)."""


class Transport(Protocol):
    def request(
        self, method: str, path: str, body: dict[str, Any] | None = None
    ) -> tuple[int, Any]: ...


@dataclass
class UrllibTransport:
    """The GitHub REST API over HTTPS with a token (``GITHUB_TOKEN`` in a workflow)."""

    token: str
    api_url: str = "https://api.github.com"
    opener: Callable[..., Any] | None = field(default=None, repr=False)

    def request(
        self, method: str, path: str, body: dict[str, Any] | None = None
    ) -> tuple[int, Any]:
        import urllib.error
        import urllib.request

        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            self.api_url.rstrip("/") + path,
            data=data,
            method=method,
            headers={
                "Authorization": f"Bearer {self.token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
                "Content-Type": "application/json",
                "User-Agent": "pytest-modelgate",
            },
        )
        opener = self.opener or urllib.request.urlopen
        try:
            with opener(req, timeout=30) as resp:
                raw = resp.read()
                return resp.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            try:
                payload = json.loads(raw) if raw else None
            except ValueError:
                payload = raw.decode(errors="replace")
            return exc.code, payload


def marker(key: str = "") -> str:
    """The hidden marker (an HTML comment: GitHub does not show it)."""
    clean = _KEY.sub("_", key)[:100]
    return f"<!-- modelgate:pr-comment{':' + clean if clean else ''} -->"


def pull_request_number(event: dict[str, Any]) -> int | None:
    """The pull request of a GitHub event payload (pull_request, pull_request_target, or an
    issue_comment on a pull request); None for other events."""
    pr = event.get("pull_request")
    if isinstance(pr, dict) and isinstance(pr.get("number"), int):
        return int(pr["number"])
    issue = event.get("issue")
    if (
        isinstance(issue, dict)
        and issue.get("pull_request")
        and isinstance(issue.get("number"), int)
    ):
        return int(issue["number"])
    return None


def repository_of(event: dict[str, Any]) -> str | None:
    repo = event.get("repository")
    return str(repo["full_name"]) if isinstance(repo, dict) and repo.get("full_name") else None


@dataclass(frozen=True)
class CommentResult:
    action: str  # created | updated | unchanged | skipped
    comment_id: int | None
    url: str | None
    message: str


def _call(t: Transport, method: str, path: str, body: dict[str, Any] | None, ok: tuple[int, ...]):
    status, payload = t.request(method, path, body)
    if status not in ok:
        why = payload.get("message") if isinstance(payload, dict) else payload
        raise GitHubError(f"GitHub API {method} {path}: HTTP {status} ({why})")
    return payload


def _comments(t: Transport, repo: str, number: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    page = 1
    while True:
        batch = _call(
            t,
            "GET",
            f"/repos/{repo}/issues/{number}/comments?per_page=100&page={page}",
            None,
            (200,),
        )
        if not isinstance(batch, list):
            raise GitHubError(f"GitHub API: listing the comments of #{number} returned no list")
        found += batch
        if len(batch) < 100:
            return found
        page += 1


def upsert_comment(
    event: dict[str, Any],
    body: str,
    transport: Transport,
    *,
    repo: str | None = None,
    key: str = "",
) -> CommentResult:
    """Create the sticky comment on the event's pull request, or update it in place."""
    number = pull_request_number(event)
    if number is None:
        return CommentResult("skipped", None, None, "not a pull request event: no comment")
    repo = repo or repository_of(event)
    if not repo:
        raise GitHubError("the event payload names no repository; pass --repo OWNER/NAME")
    tag = marker(key)
    if len(body) > _MAX_BODY:
        body = body[: _MAX_BODY - 200] + "\n\n… (cut: the full report is in the job's artifacts)\n"
    text = f"{tag}\n{body}"
    mine = [c for c in _comments(transport, repo, number) if tag in str(c.get("body") or "")]
    mine.sort(key=lambda c: int(c.get("id") or 0))
    if not mine:
        created = _call(
            transport, "POST", f"/repos/{repo}/issues/{number}/comments", {"body": text}, (201,)
        )
        cid = int(created["id"])
        return CommentResult("created", cid, created.get("html_url"), f"created comment {cid}")
    keep, extra = mine[0], mine[1:]
    author = (keep.get("user") or {}).get("login")
    for dup in extra:  # a race between two runs: keep one comment
        if (dup.get("user") or {}).get("login") == author:
            _call(transport, "DELETE", f"/repos/{repo}/issues/comments/{dup['id']}", None, (204,))
    cid = int(keep["id"])
    if keep.get("body") == text:
        return CommentResult("unchanged", cid, keep.get("html_url"), f"comment {cid} unchanged")
    updated = _call(
        transport, "PATCH", f"/repos/{repo}/issues/comments/{cid}", {"body": text}, (200,)
    )
    return CommentResult("updated", cid, updated.get("html_url"), f"updated comment {cid}")
