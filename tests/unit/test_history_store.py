"""The history store (#17) on both databases: embedded SQLite and a real PostgreSQL server
(started by tests/postgres.py): records, schema version and migration, two concurrent writers,
promotion, JSON Lines export/import, and the messages of a bad store or a bad record."""

from __future__ import annotations

import io
import json
import sqlite3
import threading
from datetime import datetime, timezone

import pytest

from pytest_modelgate.cli import main
from pytest_modelgate.history import (
    SCHEMA_VERSION,
    HistoryError,
    StoredPredictions,
    build_record,
    open_store,
)
from pytest_modelgate.history.jsonl import export_records, import_records, read_jsonl
from pytest_modelgate.history.store import _MIGRATIONS


def report(decision: str = "promote", estimate: float = 0.8, gate: str = "roc_auc>=0.7") -> dict:
    return {
        "schema_version": 1,
        "created_at": "2026-11-29T10:00:00+00:00",
        "spec": "gates.yaml",
        "task": "binary",
        "decision": decision,
        "decision_detail": {"outcome": decision},
        "summary": {"PASS": 1},
        "gates": [
            {
                "id": gate,
                "kind": "metric",
                "metric": "roc_auc",
                "estimate": estimate,
                "interval": {
                    "low": estimate - 0.02,
                    "high": estimate + 0.02,
                    "level": 0.95,
                    "method": "delong",
                },
                "verdict": "PASS",
                "slice": None,
                "n": 1000,
            }
        ],
        "lineage": {"spec": {"path": "gates.yaml", "sha256": "abc"}},
    }


def record(i: int, *, branch: str = "main", pr: int | None = None, decision: str = "promote"):
    context = {"branch": branch, "commit": f"{i:040x}", "pull_request": pr, "release": None}
    when = datetime(2026, 11, 29, 10, i, tzinfo=timezone.utc)
    return build_record(
        report(decision, 0.8 + i / 100), context=context, partial=False, recorded_at=when
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def target(request, tmp_path):
    if request.param == "sqlite":
        return tmp_path / ".modelgate" / "history.sqlite"
    return request.getfixturevalue("fresh_postgres")


def test_records_in_order_with_filters_and_promotion(target):
    with open_store(target) as store:
        assert store.schema_version == SCHEMA_VERSION
        ids = [
            store.append(record(1)),
            store.append(record(2, branch="feature", pr=7)),  # a PR run is never promoted
            store.append(record(3, decision="review")),
            store.append(record(4)),
        ]
        assert ids == sorted(ids) and len(set(ids)) == 4
        everything = store.records()
        assert [r["history"]["run_id"] for r in everything] == ids  # oldest first
        assert [r["history"]["promoted"] for r in everything] == [True, False, False, True]
        assert everything[1]["history"]["pull_request"] == 7
        assert [r["history"]["run_id"] for r in store.records(branch="main")] == [
            ids[0],
            ids[2],
            ids[3],
        ]
        assert [r["history"]["run_id"] for r in store.records(limit=2)] == ids[2:]
        assert store.last("feature")["history"]["run_id"] == ids[1]
        assert store.last_promoted()["history"]["run_id"] == ids[3]
        assert store.last_promoted(before=ids[3])["history"]["run_id"] == ids[0]
        promoted = store.set_promoted(ids[2])
        assert promoted["history"]["promoted"] is True
        assert [r["history"]["run_id"] for r in store.promoted()] == [ids[0], ids[2], ids[3]]
        # the record read back is the report plus history, nothing lost
        assert {k: v for k, v in everything[0].items() if k != "history"} == report("promote", 0.81)
        with pytest.raises(HistoryError, match="has no run 999"):
            store.set_promoted(999)
        with pytest.raises(ValueError, match="positive number"):
            store.records(limit=0)


def test_predictions_stored_with_their_fingerprint(target):
    with open_store(target) as store:
        run = store.append(record(1), StoredPredictions(0, "rows-sha256:x", b"\x00\x01payload"))
        other = store.append(record(2))
        assert store.predictions(run) == StoredPredictions(run, "rows-sha256:x", b"\x00\x01payload")
        assert store.predictions(other) is None


def test_two_concurrent_writers(target):
    """Two writers (threads, each with its own connection) appending at once: every record
    stored once, ids unique, no 'database is locked'."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def write(branch: str) -> None:
        try:
            with open_store(target) as store:  # both may also run the first migration at once
                barrier.wait()
                for i in range(15):
                    store.append(record(i, branch=branch))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(b,)) for b in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    with open_store(target) as store:
        found = store.records()
    assert len(found) == 30
    assert len({r["history"]["run_id"] for r in found}) == 30
    assert sorted(r["history"]["branch"] for r in found) == ["a"] * 15 + ["b"] * 15


def test_export_import_round_trip_between_the_two_databases(tmp_path, fresh_postgres):
    """SQLite → JSON Lines → PostgreSQL gives the same records (new run ids, the old kept)."""
    lite = tmp_path / "h.sqlite"
    with open_store(lite) as store:
        for i in range(3):
            store.append(record(i))
    out = tmp_path / "history.jsonl"
    assert main(["history", "export", "--store", str(lite), "-o", str(out)]) == 0
    lines = out.read_text().splitlines()
    assert len(lines) == 3 and all(json.loads(x)["history"]["run_id"] for x in lines)
    assert main(["history", "import", "--store", fresh_postgres, str(out)]) == 0
    with open_store(lite) as a, open_store(fresh_postgres) as b:
        left, right = a.records(), b.records()
    assert len(left) == len(right) == 3
    for x, y in zip(left, right, strict=True):
        hx, hy = x.pop("history"), y.pop("history")
        assert hy.pop("imported_run_id") == hx["run_id"]
        hx.pop("run_id"), hy.pop("run_id")
        assert (x, hx) == (y, hy)


def test_import_refuses_a_bad_line_and_imports_nothing(tmp_path, capsys):
    good = json.dumps(record(1))
    bad = json.dumps({**record(2), "history": {**record(2)["history"], "promoted": "yes"}})
    path = tmp_path / "h.jsonl"
    path.write_text(good + "\n" + bad + "\n")
    store_path = tmp_path / "s.sqlite"
    assert main(["history", "import", "--store", str(store_path), str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}:2: history.promoted must be true or false (got 'yes')" in err
    with open_store(store_path) as store:
        assert store.records() == []
    with pytest.raises(HistoryError, match=r"x.jsonl:1: not JSON"):
        list(read_jsonl(["{nope"], "x.jsonl"))


def test_migration_from_schema_1_keeps_the_runs(tmp_path):
    """A store written by schema 1 (no predictions table, no release tag) is upgraded in place
    on opening; its runs are read back unchanged."""
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE modelgate_meta (key TEXT PRIMARY KEY, value TEXT)")
    for step in _MIGRATIONS[0]:
        db.execute(step.format(id="INTEGER PRIMARY KEY AUTOINCREMENT", blob="BLOB", bool="INTEGER"))
    old = record(1)
    body = {**old, "history": {k: v for k, v in old["history"].items() if k != "run_id"}}
    db.execute(
        "INSERT INTO modelgate_runs (recorded_at, branch, commit_sha, pull_request, promoted, "
        "partial, decision, spec_sha256, record) VALUES (?, 'main', NULL, NULL, 1, 0, "
        "'promote', 'abc', ?)",
        (old["history"]["recorded_at"], json.dumps(body)),
    )
    db.execute("INSERT INTO modelgate_meta VALUES ('schema', '1')")
    db.commit()
    db.close()
    with open_store(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        (back,) = store.records()
        assert back["history"]["run_id"] == 1 and back["gates"] == old["gates"]
        store.append(record(2), StoredPredictions(0, "f", b"p"))  # the new table exists
        assert store.predictions(2) is not None


def test_a_newer_schema_and_a_foreign_file_are_refused(tmp_path):
    path = tmp_path / "h.sqlite"
    open_store(path).close()
    db = sqlite3.connect(path)
    db.execute("UPDATE modelgate_meta SET value = '99' WHERE key = 'schema'")
    db.commit()
    db.close()
    with pytest.raises(HistoryError, match=r"schema version 99, newer than this pytest-modelgate"):
        open_store(path)
    data = tmp_path / "test.csv"
    data.write_text("a,b\n1,2\n")
    with pytest.raises(HistoryError, match=r"exists but is not a SQLite database .*refusing"):
        open_store(data)
    assert data.read_text() == "a,b\n1,2\n"  # untouched
    with pytest.raises(HistoryError, match=r"is a folder, not a SQLite file"):
        open_store(tmp_path)


def test_postgres_messages_never_show_the_password(monkeypatch):
    with pytest.raises(HistoryError) as info:
        open_store("postgresql://me:s3cret@127.0.0.1:1/db", timeout=1)
    assert "s3cret" not in str(info.value) and "me:***@127.0.0.1:1" in str(info.value)
    import builtins

    real_import = builtins.__import__

    def no_psycopg(name, *args, **kwargs):
        if name == "psycopg":
            raise ImportError("No module named 'psycopg'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_psycopg)
    with pytest.raises(HistoryError, match=r"pip install 'pytest-modelgate\[postgres\]'"):
        open_store("postgresql://me:s3cret@127.0.0.1:1/db")


def test_list_and_the_records_as_json_lines(tmp_path, capsys):
    path = tmp_path / "h.sqlite"
    with open_store(path) as store:
        store.append(record(1))
        store.append(record(2, branch="feat|<x>", pr=3, decision="block"))
        out = io.StringIO()
        assert export_records(store.records(), out) == 2
        assert import_records(store, read_jsonl(out.getvalue().splitlines(), "mem")) == [3, 4]
    assert main(["history", "list", "--store", str(path), "--branch", "main"]) == 0
    shown = capsys.readouterr().out
    assert "promote (promoted)" in shown and "feat" not in shown


def test_python_dash_m_and_the_dashboard_placeholder(tmp_path, capsys):
    import importlib.util
    import subprocess
    import sys

    store = tmp_path / "h.sqlite"
    with open_store(store) as s:
        s.append(record(1))
    done = subprocess.run(
        [sys.executable, "-m", "pytest_modelgate", "history", "list", "--store", str(store)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and "promote (promoted)" in done.stdout
    if importlib.util.find_spec("pytest_modelgate.dashboard") is not None:
        return  # the dashboard's own tests cover `modelgate dashboard`
    assert main(["dashboard", "-o", "site"]) == 2
    assert "modelgate dashboard: not available in this installation" in capsys.readouterr().err
