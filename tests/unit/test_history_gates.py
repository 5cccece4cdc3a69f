"""Gates against the release history (#17), through the real recording path (GateSession →
record_run → the store): compare: previous pairs on the same rows and falls back to unpaired
with the reason; max_cumulative_drop blocks a sequence of within-margin losses; trend flags a
significant decline; since: names releases; the spec refuses what cannot mean anything."""

from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd
import pytest

from pytest_modelgate.decision import decide
from pytest_modelgate.errors import SpecError
from pytest_modelgate.history import open_store
from pytest_modelgate.report import build_report
from pytest_modelgate.runner.history import record_run
from pytest_modelgate.runner.session import GateSession
from pytest_modelgate.spec import load_spec, parse_spec

N = 4000
STEP = 20  # rows that each release gets newly wrong: accuracy -0.005 a release

GATES = """\
  - metric: accuracy
    compare: previous
    max_drop: 0.01
  - metric: accuracy
    compare: previous
    max_cumulative_drop: 0.015
    since: first
  - metric: accuracy
    compare: trend
    releases: 5
"""


def spec_text(column: str, gates: str = GATES, store: str = "history.sqlite") -> str:
    return f"""\
version: 1
data:
  test: test.csv
  target: y
models:
  candidate: {{predictions: {column}}}
history:
  store: {store}
gates:
{gates}"""


@pytest.fixture
def folder(tmp_path):
    rng = np.random.default_rng(17)
    y = rng.integers(0, 2, N)
    wrong = rng.permutation(N)
    frame = pd.DataFrame({"y": y, "x": rng.normal(size=N)})
    for k in range(6):  # release k gets the first 800 + k * STEP rows wrong
        pred = y.copy()
        bad = wrong[: 800 + k * STEP]
        pred[bad] = 1 - pred[bad]
        frame[f"pred_{k}"] = pred
    frame.to_csv(tmp_path / "test.csv", index=False)
    return tmp_path


def release(folder, column: str, *, promote: bool = True, gates: str = GATES, tag=None, store=None):
    """One run: evaluate, record (as the plugin does), promote; return the results by gate."""
    path = folder / "gates.yaml"
    path.write_text(spec_text(column, gates, store or "history.sqlite"))
    spec = load_spec(path)
    session = GateSession(spec)
    results = [r for g in spec.gates for r in session.run(g)]
    decision = decide(results, expected=[g.id for g in spec.gates])
    report = build_report(results, decision, session.lineage(), spec_path="gates.yaml")
    context = {"branch": "main", "commit": None, "pull_request": None, "release": tag}
    run_id, _, _ = record_run(session, report, results, partial=False, context=context)
    if promote:
        with open_store(
            os.path.expandvars(store) if store else folder / "history.sqlite"
        ) as opened:
            opened.set_promoted(run_id)
    return {r.id: r for r in results}


def test_within_margin_losses_add_up_to_a_cumulative_failure_and_a_trend(folder):
    step, cumulative, trend = (
        "accuracy_vs_previous:drop<=0.01",
        "accuracy_vs_previous:cumdrop<=0.015,since=first",
        "accuracy_trend:releases=5",
    )
    first = release(folder, "pred_0")
    assert first[step].verdict.value == "INCONCLUSIVE"
    assert "no promoted release in the history yet" in first[step].message
    assert "modelgate history promote RUN_ID" in first[step].message
    verdicts = []
    for k in range(1, 5):
        results = release(folder, f"pred_{k}")
        r = results[step]
        # each release loses exactly 20 rows more than the last: paired on the same rows
        assert r.comparison.paired
        assert r.estimate == pytest.approx(-STEP / N)
        assert "paired: same test rows" in r.comparison.source
        assert results[cumulative].estimate == pytest.approx(-k * STEP / N)
        verdicts.append(
            (r.verdict.value, results[cumulative].verdict.value, results[trend].verdict.value)
        )
        declining = results[trend]
    # every step passes its own margin; the cumulative guard fails once the losses add up past
    # 0.015 (release 3: Δ = -0.015, its interval reaches below); the trend fails (a warning)
    # once five releases show the decline significantly
    assert [v[0] for v in verdicts] == ["PASS"] * 4
    assert [v[1] for v in verdicts] == ["PASS", "PASS", "FAIL", "FAIL"]
    assert [v[2] for v in verdicts] == ["INCONCLUSIVE", "PASS", "PASS", "FAIL"]
    assert declining.severity == "warn" and declining.interval.high < 0
    assert "declined release after release" in str(declining.details)
    assert declining.message.startswith("FAIL: slope of accuracy per release = -0.0050")


def test_unpaired_from_the_stored_interval_when_the_rows_changed(folder):
    release(folder, "pred_0")
    frame = pd.read_csv(folder / "test.csv")
    frame.iloc[1:].to_csv(folder / "test.csv", index=False)  # one row fewer: other rows
    results = release(folder, "pred_1", promote=False)
    r = results["accuracy_vs_previous:drop<=0.01"]
    assert not r.comparison.paired and r.comparison.test == "unpaired-normal"
    assert "the test rows changed since that release" in r.comparison.source
    assert "unpaired" in r.comparison.note
    # independent reference: Δ's SE is the root sum of squares of the two intervals' SEs
    with open_store(folder / "history.sqlite") as store:
        first, this_run = store.records()
    z = 1.959963984540054

    def se(number):  # an interval's half-width in standard errors
        return (number["interval"]["high"] - number["interval"]["low"]) / (2 * z)

    before, now = (
        first["history"]["metrics"]["accuracy"],
        this_run["history"]["metrics"]["accuracy"],
    )
    assert r.estimate == pytest.approx(now["estimate"] - before["estimate"])
    half = (r.interval.high - r.interval.low) / 2
    assert half == pytest.approx(z * np.hypot(se(before), se(now)))
    with open_store(folder / "history.sqlite") as store:
        assert store.predictions(first["history"]["run_id"]) is not None
    path = folder / "gates.yaml"
    path.write_text(
        spec_text("pred_1").replace(
            "store: history.sqlite", "store: h2.sqlite\n  predictions: false"
        )
    )
    spec = load_spec(path)
    session = GateSession(spec)
    results = [r for g in spec.gates for r in session.run(g)]
    report = build_report(results, decide(results), {}, spec_path="gates.yaml")
    context = {"branch": "main", "commit": None, "pull_request": None, "release": None}
    run_id, _, _ = record_run(session, report, results, partial=False, context=context)
    with open_store(folder / "h2.sqlite") as store:
        assert store.predictions(run_id) is None  # numbers only
        assert store.records()[0]["history"]["metrics"]["accuracy"]["estimate"] > 0
    required = release(
        folder,
        "pred_1",
        promote=False,
        gates=GATES.replace("max_drop: 0.01\n", "max_drop: 0.01\n    pairing: required\n", 1),
    )["accuracy_vs_previous:drop<=0.01"]
    assert required.verdict.value == "ERROR"
    assert "pairing: required, but run 1" in required.message
    assert "the test rows changed" in required.message


def test_since_a_tag_or_the_nth_last_release(folder):
    release(folder, "pred_0", tag="v1")
    release(folder, "pred_1", tag="v2")
    release(folder, "pred_2")
    gates = """\
  - metric: accuracy
    compare: previous
    max_cumulative_drop: 0.5
    since: v2
  - metric: accuracy
    compare: previous
    max_cumulative_drop: 0.5
    since: 3
"""
    results = release(folder, "pred_3", promote=False, gates=gates)
    by_tag, by_count = results.values()
    assert by_tag.estimate == pytest.approx(-2 * STEP / N)  # against v2 (pred_1)
    assert by_count.estimate == pytest.approx(-3 * STEP / N)  # 3rd last: pred_0
    assert "release v2" in by_tag.comparison.source
    missing = release(
        folder, "pred_3", promote=False, gates=gates.replace("since: v2", "since: v3")
    )
    first = next(iter(missing.values()))
    assert first.verdict.value == "ERROR"
    assert "no promoted release is tagged 'v3'" in first.message and "v1, v2" in first.message
    too_far = release(folder, "pred_3", promote=False, gates=gates.replace("since: 3", "since: 9"))
    assert "asks for the 9-th last promoted release" in list(too_far.values())[1].message


@pytest.mark.parametrize(
    ("gate", "message"),
    [
        (
            "compare: previous\n    max_drop: 0.01\n    max_cumulative_drop: 0.02",
            "write them as two gates",
        ),
        ("compare: baseline\n    max_drop: 0.01\n    since: first", "need `compare: previous`"),
        ("compare: previous\n    max_drop: 0.01\n    since: first", "give both"),
        ("compare: trend\n    max_drop: 0.01", "takes `releases` and `max_decline`"),
        ("compare: trend\n    releases: 2", "greater than or equal to 3"),
        ("compare: trend\n    slices: [x]", "`slices` do not apply"),
        ("min: 0.5\n    releases: 4", "need `compare: trend`"),
    ],
)
def test_spec_refuses_history_keys_that_cannot_apply(gate, message):
    text = spec_text("pred_0", f"  - metric: accuracy\n    {gate}\n")
    with pytest.raises(SpecError, match="gates.yaml:1[0-9]: gates\\[0\\]") as info:
        parse_spec(text, "gates.yaml")
    assert message in str(info.value)


def test_trend_defaults_to_a_lenient_warning_and_history_false_is_explained(folder):
    spec = parse_spec(spec_text("pred_0", "  - metric: accuracy\n    compare: trend\n"), "g.yaml")
    (gate,) = spec.gates
    assert (gate.severity, gate.config.evidence, gate.id) == (
        "warn",
        "lenient",
        "accuracy_trend:releases=5",
    )
    path = folder / "gates.yaml"
    path.write_text(
        spec_text("pred_0").replace("history:\n  store: history.sqlite", "history: false")
    )
    session = GateSession(load_spec(path))
    result = session.run(load_spec(path).gates[0])[0]
    assert result.verdict.value == "ERROR" and "history is false" in result.message


def test_three_runs_leave_the_same_records_in_sqlite_and_postgresql(
    folder,
    fresh_postgres,
    monkeypatch,
):
    """Three successive runs with different candidates, each run once against the embedded
    store and once against PostgreSQL (its URL from the environment, as ${NAME}): the same
    three records, the same comparisons. What differs by design: the times, the spec's store
    line (its sha256) and the store's name in messages."""
    monkeypatch.setenv("MODELGATE_TEST_PG", fresh_postgres)
    gates = (
        "  - metric: accuracy\n    min: 0.5\n"
        + GATES.split("  - metric: accuracy\n    compare: trend")[0]
    )
    where = {str(folder / "history.sqlite"): "<store>", fresh_postgres: "<store>"}

    def shown(value):
        text = json.dumps(value, sort_keys=True)
        for old, new in where.items():
            text = text.replace(old, new)
        return text

    for k in range(3):
        lite = release(folder, f"pred_{k}", gates=gates)
        pg = release(folder, f"pred_{k}", gates=gates, store="${MODELGATE_TEST_PG}")
        assert shown([r.to_dict() for r in lite.values()]) == shown(
            [r.to_dict() for r in pg.values()]
        )
    with open_store(folder / "history.sqlite") as a, open_store(fresh_postgres) as b:
        left, right = a.records(), b.records()
    assert len(left) == len(right) == 3
    for x, y in zip(left, right, strict=True):
        for record in (x, y):
            record.pop("created_at")
            record["history"].pop("recorded_at")
            record["lineage"]["spec"].pop("sha256")
        assert shown(x) == shown(y)
    assert [r["gates"][1]["verdict"] for r in left] == ["INCONCLUSIVE", "PASS", "PASS"]
    assert [r["history"]["metrics"]["accuracy"]["estimate"] for r in left] == [
        pytest.approx(1 - (800 + k * STEP) / N) for k in range(3)
    ]
