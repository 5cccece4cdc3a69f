"""The sticky pull request comment (#17), fed recorded GitHub event payloads
(tests/unit/github_events/) and a fake GitHub that records every API call — no network:
created once, then updated in place across re-runs, a rebase (synchronize with new shas) and a
reopen; a race's duplicate removed; other events skipped; the Markdown diff escaped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_modelgate.cli import main
from pytest_modelgate.decision import decide
from pytest_modelgate.report.github import markdown_summary
from pytest_modelgate.report.pr_comment import (
    GitHubError,
    UrllibTransport,
    marker,
    upsert_comment,
)
from pytest_modelgate.results import CheckResult, Interval, Verdict

EVENTS = Path(__file__).parent / "github_events"
REPO = "acme/churn-model"


def event(name: str) -> dict:
    return json.loads((EVENTS / f"{name}.json").read_text())


class FakeGitHub:
    """The issue-comments endpoints of one repository, in memory; records each call."""

    def __init__(self, bot: str = "github-actions[bot]") -> None:
        self.comments: dict[int, list[dict]] = {}
        self.calls: list[tuple[str, str]] = []
        self.bot = bot
        self.next_id = 1000

    def add(self, number: int, body: str, login: str) -> dict:
        self.next_id += 1
        comment = {
            "id": self.next_id,
            "body": body,
            "user": {"login": login},
            "html_url": f"https://github.com/{REPO}/pull/{number}#issuecomment-{self.next_id}",
        }
        self.comments.setdefault(number, []).append(comment)
        return comment

    def request(self, method: str, path: str, body=None):
        self.calls.append((method, path.split("?")[0] if method != "GET" else path))
        prefix = f"/repos/{REPO}/issues/"
        assert path.startswith(prefix), path
        rest = path[len(prefix) :]
        if method == "GET":
            number = int(rest.split("/")[0])
            page = int(path.rsplit("page=", 1)[1])
            items = self.comments.get(number, [])
            return 200, items[(page - 1) * 100 : page * 100]
        if method == "POST":
            return 201, self.add(int(rest.split("/")[0]), body["body"], self.bot)
        cid = int(rest.split("/")[1])
        for items in self.comments.values():
            for c in items:
                if c["id"] == cid:
                    if method == "PATCH":
                        c["body"] = body["body"]
                        return 200, c
                    items.remove(c)
                    return 204, None
        return 404, {"message": "Not Found"}


def writes(fake: FakeGitHub) -> list[str]:
    return [m for m, _ in fake.calls if m != "GET"]


def test_created_once_then_updated_in_place_across_reruns_rebase_and_reopen():
    fake = FakeGitHub()
    fake.add(42, "LGTM, but check recall", "reviewer")
    first = upsert_comment(event("pull_request_opened"), "## report v1", fake)
    assert first.action == "created" and writes(fake) == ["POST"]
    again = upsert_comment(event("pull_request_opened"), "## report v1", fake)  # a re-run
    assert again.action == "unchanged" and again.comment_id == first.comment_id
    assert writes(fake) == ["POST"]
    rebased = upsert_comment(event("pull_request_synchronize_rebased"), "## report v2", fake)
    assert rebased.action == "updated" and rebased.comment_id == first.comment_id
    reopened = upsert_comment(event("pull_request_reopened"), "## report v3", fake)
    on_comment = upsert_comment(event("issue_comment_on_pr"), "## report v4", fake)
    assert reopened.comment_id == on_comment.comment_id == first.comment_id
    assert writes(fake) == ["POST", "PATCH", "PATCH", "PATCH"]
    ours = [c for c in fake.comments[42] if marker() in c["body"]]
    assert len(ours) == 1 and ours[0]["body"] == f"{marker()}\n## report v4"
    assert fake.comments[42][0]["body"] == "LGTM, but check recall"  # others' comments untouched


def test_a_race_duplicate_is_removed_and_other_specs_keep_their_own_comment():
    fake = FakeGitHub()
    fake.add(42, f"{marker()}\nold", "github-actions[bot]")
    fake.add(42, f"{marker()}\nrace", "github-actions[bot]")
    fake.add(42, f"quoting {marker()}", "someone-else")  # not ours to delete
    result = upsert_comment(event("pull_request_opened"), "new", fake)
    assert result.action == "updated" and result.comment_id == 1001
    assert writes(fake) == ["DELETE", "PATCH"]
    assert [c["id"] for c in fake.comments[42]] == [1001, 1003]
    other = upsert_comment(
        event("pull_request_opened"), "fraud model", fake, key="fraud/gates.yaml"
    )
    assert other.action == "created" and marker("fraud/gates.yaml") != marker()


def test_pages_of_comments_are_all_read():
    fake = FakeGitHub()
    for i in range(150):
        fake.add(42, f"chatter {i}", "people")
    fake.add(42, f"{marker()}\nold", "github-actions[bot]")
    result = upsert_comment(event("pull_request_opened"), "new", fake)
    assert result.action == "updated"
    assert [p for m, p in fake.calls if m == "GET"] == [
        f"/repos/{REPO}/issues/42/comments?per_page=100&page=1",
        f"/repos/{REPO}/issues/42/comments?per_page=100&page=2",
    ]


def test_not_a_pull_request_and_api_errors():
    fake = FakeGitHub()
    assert upsert_comment(event("push_main"), "x", fake).action == "skipped"
    assert fake.calls == []

    class Refusing(FakeGitHub):
        def request(self, method, path, body=None):
            return 403, {"message": "Resource not accessible by integration"}

    with pytest.raises(GitHubError, match=r"GET .*HTTP 403 \(Resource not accessible"):
        upsert_comment(event("pull_request_opened"), "x", Refusing())


def test_the_real_transport_sends_the_token_and_json(monkeypatch):
    seen = {}

    class Response:
        status = 201

        def __enter__(self):
            return self

        def __exit__(self, *a):
            return False

        def read(self):
            return b'{"id": 7, "html_url": "u"}'

    def opener(request, timeout):
        seen.update(
            url=request.full_url,
            method=request.get_method(),
            auth=request.get_header("Authorization"),
            body=json.loads(request.data),
        )
        return Response()

    t = UrllibTransport("tok", "https://ghe.example/api/v3", opener=opener)
    assert t.request("POST", "/repos/a/b/issues/1/comments", {"body": "x"}) == (
        201,
        {"id": 7, "html_url": "u"},
    )
    assert seen == {
        "url": "https://ghe.example/api/v3/repos/a/b/issues/1/comments",
        "method": "POST",
        "auth": "Bearer tok",
        "body": {"body": "x"},
    }


def test_cli_needs_a_token_and_says_how(tmp_path, monkeypatch, capsys):
    md = tmp_path / "r.md"
    md.write_text("x")
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    code = main(["pr-comment", str(md), "--event", str(EVENTS / "pull_request_opened.json")])
    assert code == 1
    assert "$GITHUB_TOKEN is not set" in capsys.readouterr().err


def result(gate: str, verdict: str, estimate: float, slice_=None) -> CheckResult:
    return CheckResult(
        id=gate,
        name=gate,
        kind="metric",
        severity="block",
        verdict=Verdict(verdict),
        message=f"{verdict}: {gate}",
        estimate=estimate,
        slice=slice_,
        interval=Interval(estimate - 0.01, estimate + 0.01, 0.95, "wilson"),
        n=100,
    )


def test_markdown_diff_against_the_base_branch_highlights_changes_and_escapes():
    evil = "recall|<img src=x onerror=alert(1)>"
    base_results = [
        result("roc_auc>=0.8", "PASS", 0.85),
        result(evil, "PASS", 0.7),
        result("removed_gate", "FAIL", 0.5),
    ]
    base = {
        "decision": "promote",
        "gates": [r.to_dict() for r in base_results],
        "history": {"commit": "9a8b7c6d5e4f3a2b", "recorded_at": "2026-11-28T10:00:00+00:00"},
    }
    now = [
        result("roc_auc>=0.8", "PASS", 0.86),
        result(evil, "FAIL", 0.6),
        result("brand_new", "INCONCLUSIVE", 0.4, {"sex": "F`]("}),
    ]
    text = markdown_summary(now, decide(now), None, base=base, base_name="main")
    assert "### Compared with <code>main</code>'s last run (<code>9a8b7c6d5e4f</code>" in text
    lines = {
        line.split(" | ")[0]: line for line in text.splitlines() if line.startswith("| <code>")
    }
    assert "[0.8400, 0.8600] 95% wilson" in lines["| <code>roc_auc>=0.8</code>"]
    assert lines["| <code>roc_auc>=0.8</code>"].endswith("| PASS |")
    evil_row = next(v for k, v in lines.items() if "recall" in k and "0.7000" in v)
    assert "🔻 **PASS → FAIL**" in evil_row
    assert "<img" not in text and "&#60;img" in evil_row and "&#124;" in evil_row
    assert "🆕 **INCONCLUSIVE** (new gate)" in text and "&#96;&#93;(" in text
    assert "🗑️ ~~FAIL~~ (removed)" in text
    assert "3 gate(s) changed verdict, appeared or disappeared." in text


def test_the_shipped_workflow_keeps_the_history_and_posts_the_markdown_it_wrote():
    import shlex

    import yaml

    from pytest_modelgate.spec.models import HistorySpec

    root = Path(__file__).resolve().parents[2]
    workflow = yaml.safe_load((root / ".github" / "workflows" / "modelgate.yml").read_text())
    assert workflow["permissions"]["pull-requests"] == "write"
    steps = {s.get("name"): s for s in workflow["jobs"]["modelgate"]["steps"]}
    restore, save = steps["Restore the release history"], steps["Save the release history"]
    default_store = HistorySpec().store
    assert restore["with"]["path"] == save["with"]["path"] == default_store
    assert restore["with"]["key"] == save["with"]["key"]  # one entry per run, saved on failure too
    assert save["if"].startswith("always()")
    gate = shlex.split(steps["Release gate"]["run"])
    markdown = gate[gate.index("--modelgate-markdown") + 1]
    comment = steps["Pull request comment"]
    assert shlex.split(comment["run"])[-2:] == ["pr-comment", markdown]
    assert comment["env"]["GITHUB_TOKEN"] == "${{ secrets.GITHUB_TOKEN }}"
