"""The ``modelgate`` command (also ``python -m pytest_modelgate``).

- ``modelgate history list|export|import``: the release history (docs/history.md);
- ``modelgate pr-comment``: post the Markdown report as one sticky pull request comment;
- ``modelgate dashboard``: the static dashboard (registered by
  :mod:`pytest_modelgate.dashboard.cli` when it is installed).

Errors are one line on stderr and exit status 2 (usage) or 1 (the store, a file, GitHub),
never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pytest_modelgate.errors import ModelgateError

__all__ = ["main", "resolve_store"]

DEFAULT_STORE = ".modelgate/history.sqlite"


def resolve_store(store: str | None, spec: str | None) -> str | Path:
    """``--store`` if given; else the history store of ``--spec`` (or of ``gates.yaml`` in the
    working folder when it exists); else ``.modelgate/history.sqlite``."""
    if store:
        return store
    spec_path = Path(spec) if spec else Path("gates.yaml")
    if spec or spec_path.is_file():
        from pytest_modelgate.runner.history import store_target
        from pytest_modelgate.spec import load_spec

        target = store_target(load_spec(spec_path))
        if target is None:
            raise ModelgateError(
                f"{spec_path}: history is false; give --store PATH|URL to read a store anyway"
            )
        return target
    return DEFAULT_STORE


def _store_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--store",
        metavar="PATH|URL",
        help="the history store: a SQLite file or a postgresql:// URL (default: the spec's "
        f"history.store, else {DEFAULT_STORE})",
    )
    parser.add_argument(
        "--spec",
        metavar="PATH",
        help="the gate spec whose history.store to use (default: gates.yaml)",
    )


def _open(args: argparse.Namespace) -> Any:
    from pytest_modelgate.history import open_store

    return open_store(resolve_store(args.store, args.spec))


def _list(args: argparse.Namespace) -> int:
    from pytest_modelgate._format import one_line

    with _open(args) as store:
        records = store.records(branch=args.branch, limit=args.limit)
    if not records:
        print("no runs recorded")
        return 0
    print(f"{'run':>5}  {'recorded_at':25}  {'branch':20}  {'commit':8}  {'PR':>5}  decision")
    for r in records:
        h = r["history"]
        flags = " ".join(
            f for f, on in (("promoted", h["promoted"]), ("partial", h["partial"])) if on
        )
        release = f" {h['release']}" if h.get("release") else ""
        print(
            f"{h['run_id']:>5}  {one_line(h['recorded_at']):25}  "
            f"{one_line(h.get('branch') or '-')[:20]:20}  {one_line(h.get('commit') or '-')[:8]:8}"
            f"  {h.get('pull_request') or '-':>5}  {one_line(r.get('decision'))}"
            + (f" ({flags})" if flags else "")
            + one_line(release)
        )
    return 0


def _export(args: argparse.Namespace) -> int:
    from pytest_modelgate.history.jsonl import export_records

    with _open(args) as store:
        records = store.records(branch=args.branch, limit=args.limit)
    if args.output in (None, "-"):
        count = export_records(records, sys.stdout)
    else:
        import io

        from pytest_modelgate._paths import atomic_write

        buffer = io.StringIO()
        count = export_records(records, buffer)
        atomic_write(args.output, buffer.getvalue())
    print(f"exported {count} record(s)", file=sys.stderr)
    return 0


def _import(args: argparse.Namespace) -> int:
    from pytest_modelgate.history.jsonl import import_records, read_jsonl

    name = args.file
    if name == "-":
        records = list(read_jsonl(sys.stdin, "<stdin>"))
    else:
        with open(name, encoding="utf-8") as fh:
            records = list(read_jsonl(fh, name))
    with _open(args) as store:
        ids = import_records(store, records)
    print(f"imported {len(ids)} record(s)" + (f" as runs {ids[0]}–{ids[-1]}" if ids else ""))
    return 0


def _promote(args: argparse.Namespace) -> int:
    with _open(args) as store:
        record = store.set_promoted(args.run_id, not args.undo)
    what = "is no longer a promoted release" if args.undo else "is now a promoted release"
    print(f"run {args.run_id} ({record.get('decision')}) {what}")
    return 0


def _pr_comment(args: argparse.Namespace) -> int:
    from pytest_modelgate.report.pr_comment import UrllibTransport, upsert_comment

    event_path = args.event or os.environ.get("GITHUB_EVENT_PATH")
    if not event_path:
        raise ModelgateError("no event payload: pass --event PATH (GITHUB_EVENT_PATH is not set)")
    with open(event_path, encoding="utf-8") as fh:
        event = json.load(fh)
    with open(args.markdown, encoding="utf-8") as fh:
        body = fh.read()
    token = os.environ.get(args.token_env)
    if not token:
        raise ModelgateError(
            f"${args.token_env} is not set: the workflow step needs `env: {args.token_env}: "
            "${{ secrets.GITHUB_TOKEN }}` and `permissions: pull-requests: write`"
        )
    api = os.environ.get("GITHUB_API_URL", "https://api.github.com")
    result = upsert_comment(
        event,
        body,
        UrllibTransport(token, api),
        repo=args.repo or os.environ.get("GITHUB_REPOSITORY"),
        key=args.key,
    )
    print(result.message + (f": {result.url}" if result.url else ""))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="modelgate", description="pytest-modelgate: the release history and its reports"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    history = commands.add_parser("history", help="list, export or import the release history")
    hist = history.add_subparsers(dest="history_command", metavar="ACTION", required=True)
    listing = hist.add_parser("list", help="the recorded runs, oldest first")
    export = hist.add_parser("export", help="write the records as JSON Lines")
    for sub in (listing, export):
        _store_arguments(sub)
        sub.add_argument("--branch", help="only this branch's runs")
        sub.add_argument("--limit", type=int, help="only the newest N runs")
    listing.set_defaults(run=_list)
    export.add_argument("-o", "--output", metavar="FILE", help="the file (default: stdout)")
    export.set_defaults(run=_export)
    importing = hist.add_parser("import", help="append records from JSON Lines")
    _store_arguments(importing)
    importing.add_argument("file", help="a .jsonl file written by export (- for stdin)")
    importing.set_defaults(run=_import)

    promote = hist.add_parser(
        "promote", help="mark a run as a promoted release (a reviewed REVIEW, the first one)"
    )
    _store_arguments(promote)
    promote.add_argument("run_id", type=int, help="the run (see modelgate history list)")
    promote.add_argument("--undo", action="store_true", help="unmark it")
    promote.set_defaults(run=_promote)

    comment = commands.add_parser(
        "pr-comment", help="post the Markdown report as one sticky pull request comment"
    )
    comment.add_argument("markdown", help="the file --modelgate-markdown wrote")
    comment.add_argument(
        "--event", metavar="PATH", help="the event payload (default: $GITHUB_EVENT_PATH)"
    )
    comment.add_argument("--repo", metavar="OWNER/NAME", help="default: $GITHUB_REPOSITORY")
    comment.add_argument("--key", default="", help="tell several specs' comments apart")
    comment.add_argument(
        "--token-env", default="GITHUB_TOKEN", help="the variable holding the token"
    )
    comment.set_defaults(run=_pr_comment)

    try:
        from pytest_modelgate.dashboard import cli as dashboard_cli
    except ImportError as exc:
        missing = str(exc)
        dash = commands.add_parser("dashboard", help="the static dashboard (not available)")
        dash.set_defaults(run=lambda _args: _unavailable(missing), takes_any=True)
    else:
        dashboard_cli.register(commands)
    return parser


def _unavailable(why: str) -> int:
    print(
        f"modelgate dashboard: not available in this installation ({why}); install "
        "pytest-modelgate with its dashboard (pip install 'pytest-modelgate[dashboard]')",
        file=sys.stderr,
    )
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown and not getattr(args, "takes_any", False):
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    try:
        return int(args.run(args) or 0)
    except (ModelgateError, OSError, ValueError) as exc:
        from pytest_modelgate._format import one_line

        for line in str(exc).splitlines() or [type(exc).__name__]:
            print(f"modelgate: error: {one_line(line)}", file=sys.stderr)
        return 1
