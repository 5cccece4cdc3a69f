"""The release history: every full ``pytest --modelgate`` run appends one record.

- :mod:`.store`: the store (embedded SQLite or PostgreSQL), its schema, version and migrations;
- :mod:`.record`: what a record holds (the JSON report plus ``history``) and where a run ran;
- :mod:`.predictions`: promoted releases' per-row predictions and the rows' fingerprint;
- :mod:`.jsonl`: ``modelgate history export/import`` (JSON Lines);
- :mod:`.previous`: what ``compare: previous``, ``max_cumulative_drop`` and ``trend`` read.

See docs/history.md.
"""

from __future__ import annotations

from pytest_modelgate.history.record import build_record, check_record, run_context
from pytest_modelgate.history.store import (
    SCHEMA_VERSION,
    HistoryError,
    HistoryStore,
    StoredPredictions,
    open_store,
)

__all__ = [
    "SCHEMA_VERSION",
    "HistoryError",
    "HistoryStore",
    "StoredPredictions",
    "build_record",
    "check_record",
    "open_store",
    "run_context",
]
