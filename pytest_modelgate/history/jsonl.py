"""``modelgate history export/import``: the records as JSON Lines, one record a line, oldest
first, each exactly as :meth:`HistoryStore.records` returns it (the JSON report plus
``history``). Import appends in file order; the store gives the runs new ids (the exported
``history.run_id`` is kept as ``history.imported_run_id``). Per-row predictions stay in the
store (an imported release is compared unpaired, from its stored interval)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import IO, Any

from pytest_modelgate.history.record import check_record
from pytest_modelgate.history.store import HistoryError, HistoryStore

__all__ = ["export_records", "import_records", "read_jsonl"]


def export_records(records: Iterable[dict[str, Any]], out: IO[str]) -> int:
    """Write each record as one line of JSON; return how many."""
    count = 0
    for record in records:
        out.write(json.dumps(record, ensure_ascii=False, allow_nan=False) + "\n")
        count += 1
    return count


def read_jsonl(lines: Iterable[str], name: str) -> Iterator[dict[str, Any]]:
    """The records of a JSON Lines file, each checked; an error names the file and line."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            check_record(record)
        except json.JSONDecodeError as exc:
            raise HistoryError(f"{name}:{number}: not JSON ({exc.msg})") from None
        except HistoryError as exc:
            raise HistoryError(f"{name}:{number}: {exc}") from None
        yield record


def import_records(store: HistoryStore, records: Iterable[dict[str, Any]]) -> list[int]:
    """Append the records (all are read and checked first: a bad line imports nothing)."""
    checked = list(records)
    ids = []
    for record in checked:
        history = dict(record["history"])
        old = history.pop("run_id", None)
        if old is not None:
            history["imported_run_id"] = old
        ids.append(store.append({**record, "history": history}))
    return ids
