"""History records → the tidy tables the dashboard's charts draw (plain Python, no altair).

A record is a run's JSON report (``report/json_report.py``) plus a ``history`` object
(``run_id``, ``recorded_at``, ``promoted``, ``branch``, ``commit``, ``pull_request``,
``partial``): what ``pytest_modelgate.history`` stores and ``modelgate history export``
writes as JSON Lines. Every table row has fixed keys (the chart specs refer to these names
only); names from the records — gates, slices, columns, branches — are values, never keys,
so they reach the page as data and nothing else.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pytest_modelgate._format import one_line, slice_label
from pytest_modelgate.errors import ModelgateError

__all__ = [
    "DECISIONS",
    "VERDICTS",
    "DashboardError",
    "HistoryTables",
    "read_jsonl",
    "tables_from_records",
]

DECISIONS = ("promote", "canary", "review", "block", "error")
VERDICTS = ("PASS", "FAIL", "INCONCLUSIVE", "ERROR")
NO_BRANCH = "(no branch)"


class DashboardError(ModelgateError):
    """The history cannot be drawn: a record is not a record, or a file cannot be read."""


def _number(x: Any) -> float | None:
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return None
    return float(x) if math.isfinite(x) else None


def _mapping(x: Any) -> Mapping[str, Any]:
    return x if isinstance(x, Mapping) else {}


def _time(text: Any, where: str) -> datetime:
    try:
        when = datetime.fromisoformat(str(text))
    except ValueError:
        raise DashboardError(
            f"{where}: history.recorded_at must be an ISO-8601 time (got {one_line(repr(text))})"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc)


def _check(record: Any, where: str) -> None:
    if not isinstance(record, Mapping):
        raise DashboardError(f"{where}: a record is a JSON object, not {type(record).__name__}")
    history = record.get("history")
    if not isinstance(history, Mapping):
        raise DashboardError(
            f"{where}: a record needs a `history` object (a JSON report plus `history`, as "
            "`modelgate history export` writes; see docs/dashboard.md)"
        )
    if "recorded_at" not in history:
        raise DashboardError(f"{where}: history.recorded_at is missing")
    _time(history["recorded_at"], where)
    if not isinstance(record.get("gates"), list):
        got = one_line(repr(record.get("gates")))[:80]
        raise DashboardError(f"{where}: a record needs a `gates` list (got {got})")
    for i, gate in enumerate(record["gates"]):
        if not isinstance(gate, Mapping) or not isinstance(gate.get("id"), str):
            raise DashboardError(f"{where}: gates[{i}] needs a string `id`")


def recorded_at(record: Mapping[str, Any], where: str) -> datetime:
    """When a (checked) record was recorded, in UTC."""
    return _time(record["history"]["recorded_at"], where)


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    """The records of a JSON Lines file (one record a line; blank lines are skipped).

    Raises :class:`DashboardError` naming the file and line of the first bad record."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DashboardError(f"{p}: cannot read the history file ({exc})") from None
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DashboardError(f"{p}:{number}: not a JSON record ({exc.msg})") from None
        _check(record, f"{p}:{number}")
        records.append(record)
    return records


@dataclass
class HistoryTables:
    """What the charts draw, one list of flat rows per chart family.

    ``runs``: one row per run (time, decision, branch, promoted, verdict counts);
    ``gates``: one row per (run, gate, slice) with estimate, interval and bars;
    ``columns``: one row per (run, check gate, column) with the column's statistic;
    ``gate_order``: gate ids in the order of the latest run that has them (then older ones);
    ``sliced``/``column_checks``: which gates have slices or per-column rows."""

    runs: list[dict[str, Any]] = field(default_factory=list)
    gates: list[dict[str, Any]] = field(default_factory=list)
    columns: list[dict[str, Any]] = field(default_factory=list)
    gate_order: list[str] = field(default_factory=list)
    sliced: set[str] = field(default_factory=set)
    column_checks: set[str] = field(default_factory=set)
    gate_info: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def branches(self) -> list[str]:
        return sorted({r["branch"] for r in self.runs})


def _run_row(record: Mapping[str, Any], index: int, where: str) -> dict[str, Any]:
    history = record["history"]
    when = _time(history.get("recorded_at"), where)
    counts = {v: 0 for v in VERDICTS}
    for gate in record["gates"]:
        verdict = str(gate.get("verdict"))
        if verdict in counts:
            counts[verdict] += 1
    decision = str(record.get("decision") or "error").lower()
    # a run with --modelgate-mutate (#20): the share of mutants its gates killed
    mutation = _mapping(record.get("mutation"))
    coverage = _number(mutation.get("coverage"))
    mutants = mutation.get("mutants")
    branch = history.get("branch")
    run_id = history.get("run_id")
    pr = history.get("pull_request")
    commit = history.get("commit")
    return {
        "run": index,
        "run_id": str(run_id if run_id is not None else index + 1),
        "time": when.isoformat(timespec="seconds"),
        "branch": str(branch) if branch else NO_BRANCH,
        "commit": str(commit)[:12] if commit else "",
        "pull_request": f"#{pr}" if isinstance(pr, int) and not isinstance(pr, bool) else "",
        "promoted": bool(history.get("promoted")),
        "partial": bool(history.get("partial")),
        "decision": decision if decision in DECISIONS else "error",
        "decision_rank": DECISIONS.index(decision) if decision in DECISIONS else len(DECISIONS) - 1,
        **{f"n_{v.lower()}": counts[v] for v in VERDICTS},
        "gate_coverage": coverage if coverage is not None and 0 <= coverage <= 1 else None,
        "mutants": len(mutants) if isinstance(mutants, list) else None,
    }


_RUN_KEYS = ("run", "run_id", "time", "branch", "commit", "promoted")


def tables_from_records(
    records: Iterable[Mapping[str, Any]], source: str = "history"
) -> HistoryTables:
    """Flatten records (any order; drawn oldest first by ``history.recorded_at``)."""
    checked = []
    for i, record in enumerate(records):
        where = f"{source}: record {i + 1}"
        _check(record, where)
        checked.append((_time(record["history"].get("recorded_at"), where), i, record))
    checked.sort(key=lambda t: (t[0], t[1]))
    out = HistoryTables()
    latest_order: dict[str, int] = {}
    for index, (_, original, record) in enumerate(checked):
        run = _run_row(record, index, f"{source}: record {original + 1}")
        out.runs.append(run)
        base = {k: run[k] for k in _RUN_KEYS}
        for position, gate in enumerate(record["gates"]):
            _gate_rows(out, gate, base)
            latest_order[one_line(gate["id"])] = index * 100_000 + position
    # latest run's order first (the order of gates.yaml today), then gates no longer run
    out.gate_order = sorted(
        latest_order, key=lambda g: (-(latest_order[g] // 100_000), latest_order[g] % 100_000)
    )
    return out


def _gate_rows(out: HistoryTables, gate: Mapping[str, Any], base: dict[str, Any]) -> None:
    gate_id = one_line(gate["id"])
    raw_slice = gate.get("slice")
    label = slice_label(raw_slice) if isinstance(raw_slice, Mapping) and raw_slice else ""
    interval = _mapping(gate.get("interval"))
    threshold = _mapping(gate.get("threshold"))
    verdict = str(gate.get("verdict"))
    info = out.gate_info.setdefault(gate_id, {"kind": "", "metric": "", "rule": ""})
    info.update(
        kind=one_line(gate.get("kind") or ""),
        metric=one_line(gate.get("metric") or ""),
        rule=one_line(gate.get("rule") or ""),
        severity=one_line(gate.get("severity") or ""),
    )
    if label:
        out.sliced.add(gate_id)
    out.gates.append(
        {
            **base,
            "gate": gate_id,
            "slice": label,
            "estimate": _number(gate.get("estimate")),
            "low": _number(interval.get("low")),
            "high": _number(interval.get("high")),
            "level": _number(interval.get("level")),
            "method": one_line(interval.get("method") or ""),
            "min": _number(threshold.get("min")),
            "max": _number(threshold.get("max")),
            "verdict": verdict if verdict in VERDICTS else "ERROR",
            "severity": one_line(gate.get("severity") or ""),
            "n": _number(gate.get("n")),
            "message": one_line(gate.get("message") or "")[:300],
        }
    )
    groups = gate.get("groups")
    if str(gate.get("kind")) != "check" or not isinstance(groups, Sequence):
        return
    for group in groups:
        if not isinstance(group, Mapping):
            continue
        values = _mapping(group.get("values"))
        statistic = _number(values.get("statistic"))
        if statistic is None:
            continue
        out.column_checks.add(gate_id)
        flagged = group.get("flagged")
        out.columns.append(
            {
                **base,
                "gate": gate_id,
                "column": one_line(group.get("group") or ""),
                "statistic": statistic,
                "low": _number(values.get("low")),
                "high": _number(values.get("high")),
                "max": _number(threshold.get("max")),
                "flagged": "flagged" if flagged else "ok",
                "detail": one_line(group.get("detail") or "")[:300],
            }
        )


def group_rows(rows: Sequence[dict[str, Any]], key: str) -> dict[str, list[dict[str, Any]]]:
    """Rows by ``row[key]``, keeping the first-seen order."""
    out: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        out.setdefault(row[key], []).append(row)
    return out
