"""``modelgate dashboard``: the history dashboard as a static site.

``register(subparsers)`` adds the subcommand to the ``modelgate`` console script;
``main(argv)`` runs it alone (``python -m pytest_modelgate.dashboard``). Records come from the
history store (``--store``, default ``.modelgate/history.sqlite``) or from a JSON Lines file
(``--jsonl``, what ``modelgate history export`` writes), which needs no store.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["DEFAULT_STORE", "main", "register"]

DEFAULT_STORE = ".modelgate/history.sqlite"
_PROG = "modelgate dashboard"


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--store",
        metavar="URL_OR_PATH",
        help=f"the history store: a SQLite file or a postgresql:// URL (default: {DEFAULT_STORE})",
    )
    source.add_argument(
        "--jsonl",
        metavar="FILE",
        help="read the records from a JSON Lines file (`modelgate history export`) instead",
    )
    parser.add_argument(
        "-o", "--output", metavar="DIR", default="site", help="the site's folder (default: site)"
    )
    parser.add_argument("--branch", help="only the runs of this branch (default: every branch)")
    parser.add_argument(
        "--limit", type=int, metavar="N", help="only the latest N runs (default: all)"
    )
    parser.add_argument("--title", default="Model release history", help="the page's title")


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``dashboard`` to the ``modelgate`` command's subparsers (``run=`` is its handler)."""
    parser = subparsers.add_parser(
        "dashboard",
        help="write the history dashboard (a static site, readable offline)",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )
    _add_arguments(parser)
    parser.set_defaults(run=run)
    return parser


def _store_records(target: str, branch: str | None, limit: int | None) -> list[dict[str, Any]]:
    from pytest_modelgate.dashboard.tables import DashboardError

    try:
        from pytest_modelgate.history import open_store
    except ImportError:
        raise DashboardError(
            f"--store {target}: the history store (pytest_modelgate.history) is not part of "
            "this installation; pass --jsonl FILE with records as JSON Lines instead"
        ) from None
    store = open_store(target)
    try:
        return list(store.records(branch=branch, limit=limit))
    finally:
        close = getattr(store, "close", None)
        if callable(close):
            close()


def run(args: argparse.Namespace) -> int:
    """Build the site from parsed arguments; print where it is. Raises ``DashboardError``."""
    from pytest_modelgate.dashboard import build_dashboard, read_jsonl
    from pytest_modelgate.dashboard.tables import DashboardError

    if args.limit is not None and args.limit < 1:
        raise DashboardError(f"--limit must be a positive number of runs (got {args.limit})")
    if args.jsonl:
        source = args.jsonl
        records = read_jsonl(args.jsonl)
        if args.branch is not None:
            records = [r for r in records if (r.get("history") or {}).get("branch") == args.branch]
        if args.limit is not None:
            from pytest_modelgate.dashboard.tables import recorded_at

            records.sort(key=lambda r: recorded_at(r, source))  # read_jsonl checked the times
            records = records[-args.limit :]
    else:
        source = args.store or DEFAULT_STORE
        if args.store is None and not Path(DEFAULT_STORE).exists():
            raise DashboardError(
                f"no history store at {DEFAULT_STORE} (run `pytest --modelgate` first, or pass "
                "--store URL_OR_PATH or --jsonl FILE)"
            )
        records = _store_records(source, args.branch, args.limit)
    if not records:
        raise DashboardError(
            f"{source}: no records"
            + (f" on branch {args.branch!r}" if args.branch is not None else "")
        )
    page = build_dashboard(records, args.output, title=args.title, source=source)
    runs = f"{len(records)} run{'' if len(records) == 1 else 's'}"
    print(f"dashboard: {page} ({runs}, {page.stat().st_size / 1e6:.1f} MB)")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``modelgate dashboard ...`` on its own; returns the exit status (1 on a clear error)."""
    from pytest_modelgate._format import one_line
    from pytest_modelgate.errors import ModelgateError

    parser = argparse.ArgumentParser(prog=_PROG, description=__doc__.split("\n\n")[0])
    _add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return run(args)
    except (ModelgateError, OSError) as exc:
        for line in str(exc).splitlines() or [type(exc).__name__]:
            print(f"{_PROG}: error: {one_line(line)}", file=sys.stderr)
        return 1
