"""The history dashboard (#17): records from real gate runs → tables → a page that a real
headless Chromium draws (no console errors, non-empty SVG charts, working filters), with
hostile names from the records kept inert in HTML, in the embedded JSON and in the charts."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from pytest_modelgate.dashboard.tables import DashboardError, read_jsonl, tables_from_records

HOSTILE_GATE = "auc</script><script>window.__pwned=1</script>"
HOSTILE_SLICE = "<img src=x onerror=window.__pwned=2>"
TITLE = "A & B's <model>"
HOSTILE_BRANCH = "x'\"><svg onload=window.__pwned=3>\u2028</script>"

SPEC = """\
version: 1
data:
  test: {test}
  reference: reference.csv
  target: label
  positive_label: 1
  sensitive: [group]
  exclude: [good, weak, good_label, weak_label]
models:
  candidate: {{scores: {candidate}, predictions: {candidate}_label}}
stats:
  resamples: 200
  seed: 1
gates:
  - metric: roc_auc
    min: 0.75
    name: "{gate}"
  - metric: recall
    min: 0.5
    slices: [group]
  - check: missing_values
    max_fraction: 0.2
  - check: drift
    method: psi
    max: 0.1
  - metric: precision      # ERROR in every run: a section without a chart
    min: 0.5
    slices: [region]
"""


def _frame(rng: np.random.Generator, n: int, shift: float, missing: float) -> pd.DataFrame:
    x = rng.normal(size=n)
    label = (x + rng.normal(size=n) > 0).astype(int)
    frame = pd.DataFrame(
        {
            "age": rng.normal(40 + shift, 10, size=n),
            "x": x,
            "group": rng.choice(["a", HOSTILE_SLICE], size=n),
            "label": label,
        }
    )
    frame.loc[rng.random(n) < missing, "age"] = np.nan
    frame["good"] = 1 / (1 + np.exp(-2 * x))
    frame["weak"] = 1 / (1 + np.exp(-0.6 * x - rng.normal(size=n)))
    for name in ("good", "weak"):
        frame[f"{name}_label"] = (frame[name] > 0.5).astype(int)
    return frame


def _record(run: Any, spec_path: Path, history: dict[str, Any]) -> dict[str, Any]:
    from pytest_modelgate.report.json_report import build_report

    report = build_report(
        run.results, run.decision, run.lineage, spec_path=str(spec_path), task=run.task
    )
    return {**report, "history": history}


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """Three successive real runs with different candidates and data (the third drifts)."""
    from pytest_modelgate import run_gates

    root = tmp_path_factory.mktemp("history")
    rng = np.random.default_rng(5)
    _frame(rng, 800, 0.0, 0.0).to_csv(root / "reference.csv", index=False)
    runs = [
        ("good", 0.0, 0.0, "main", True),
        ("weak", 0.0, 0.0, HOSTILE_BRANCH, False),
        ("good", 8.0, 0.3, "main", False),
    ]
    out = []
    for i, (candidate, shift, missing, branch, promoted) in enumerate(runs):
        _frame(rng, 600, shift, missing).to_csv(root / f"test{i}.csv", index=False)
        spec = root / f"gates{i}.yaml"
        spec.write_text(
            SPEC.format(
                test=f"test{i}.csv", candidate=candidate, gate=HOSTILE_GATE.replace('"', "")
            ),
            encoding="utf-8",
        )
        history = {
            "run_id": i + 1,
            "recorded_at": f"2026-10-0{i + 1}T09:00:00+00:00",
            "promoted": promoted,
            "branch": branch,
            "commit": f"{i:040d}",
            "pull_request": 7 if branch != "main" else None,
            "partial": False,
        }
        out.append(_record(run_gates(spec), spec, history))
    return out


def test_tables_follow_the_records(records):
    tables = tables_from_records(list(reversed(records)))  # any order: drawn by time
    assert [r["run_id"] for r in tables.runs] == ["1", "2", "3"]
    assert [r["decision"] for r in tables.runs] == [r["decision"] for r in records]
    assert tables.branches == sorted(["main", HOSTILE_BRANCH])
    # every gate result is one row, with the report's numbers unchanged
    assert len(tables.gates) == sum(len(r["gates"]) for r in records)
    first = next(g for g in records[0]["gates"] if g["id"] == HOSTILE_GATE)
    row = next(r for r in tables.gates if r["gate"] == HOSTILE_GATE and r["run"] == 0)
    assert (row["estimate"], row["low"], row["high"], row["min"]) == (
        first["estimate"],
        first["interval"]["low"],
        first["interval"]["high"],
        0.75,
    )
    assert tables.sliced == {"recall>=0.5"}
    assert {r["slice"] for r in tables.gates if r["gate"] == "recall>=0.5"} == {
        "group=a",
        f"group={HOSTILE_SLICE}",
    }
    # verdict counts per run are the report's summary
    for run, record in zip(tables.runs, records, strict=True):
        assert run["n_pass"] == record["summary"]["PASS"]
        assert run["n_fail"] == record["summary"]["FAIL"]
    # per-column data checks: the third run's 30% missing ages and shifted ages are flagged
    assert tables.column_checks == {"missing_values", "drift"}
    missing = {(r["run"], r["column"]): r for r in tables.columns if r["gate"] == "missing_values"}
    assert missing[(2, "age")]["flagged"] == "flagged" and missing[(0, "age")]["flagged"] == "ok"
    assert missing[(2, "age")]["statistic"] == pytest.approx(0.3, abs=0.06)
    drift = {(r["run"], r["column"]): r for r in tables.columns if r["gate"] == "drift"}
    assert drift[(2, "age")]["low"] > 0.1 >= drift[(0, "age")]["high"]
    assert tables.gate_order[0] == HOSTILE_GATE


def test_bad_history_files_are_named_by_line(tmp_path):
    record = {
        "decision": "promote",
        "gates": [],
        "history": {"recorded_at": "2026-10-01T09:00:00+00:00", "branch": "main"},
    }
    path = tmp_path / "h.jsonl"
    path.write_text(json.dumps(record) + "\n\n{not json\n", encoding="utf-8")
    with pytest.raises(DashboardError, match=r"h\.jsonl:3: not a JSON record"):
        read_jsonl(path)
    bare = {k: v for k, v in record.items() if k != "history"}
    path.write_text(json.dumps(bare) + "\n", encoding="utf-8")
    with pytest.raises(DashboardError, match=r"h\.jsonl:1: a record needs a `history` object"):
        read_jsonl(path)
    when = {**record, "history": {**record["history"], "recorded_at": "yesterday"}}
    path.write_text(json.dumps(when) + "\n", encoding="utf-8")
    with pytest.raises(
        DashboardError, match=r"recorded_at must be an ISO-8601 time \(got 'yesterday'\)"
    ):
        read_jsonl(path)
    path.write_text(json.dumps({**record, "gates": [{"verdict": "PASS"}]}) + "\n", "utf-8")
    with pytest.raises(DashboardError, match=r"h\.jsonl:1: gates\[0\] needs a string `id`"):
        read_jsonl(path)


def test_cli_errors_are_one_clear_line(tmp_path, capsys):
    from pytest_modelgate.dashboard.cli import main

    assert main(["--jsonl", str(tmp_path / "missing.jsonl"), "-o", str(tmp_path / "s")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("modelgate dashboard: error: ") and "missing.jsonl: cannot read" in err
    (tmp_path / "empty.jsonl").write_text("\n", encoding="utf-8")
    assert main(["--jsonl", str(tmp_path / "empty.jsonl"), "-o", str(tmp_path / "s")]) == 1
    assert "empty.jsonl: no records" in capsys.readouterr().err
    assert not (tmp_path / "s").exists()


def test_embedded_json_cannot_end_the_script_element():
    from pytest_modelgate.dashboard.page import script_json

    value = {"a": "</script><!-- <script>", "b": "x\u2028y\u2029&amp;>"}
    text = script_json(value)
    assert not set("<>&\u2028\u2029") & set(text)
    assert json.loads(text) == value  # the browser's JSON.parse reads the same values


def _strings_under(spec: Any, keys: set[str], found: list[str]) -> list[str]:
    if isinstance(spec, dict):
        for k, v in spec.items():
            if k in keys and isinstance(v, str):
                found.append(v)
            _strings_under(v, keys, found)
    elif isinstance(spec, list):
        for v in spec:
            _strings_under(v, keys, found)
    return found


# --- the page in a real browser ---------------------------------------------------------------

PROBE_HEAD = """<script>
window.__errors = [];
window.addEventListener('error', e => window.__errors.push('error: ' + e.message));
window.addEventListener('unhandledrejection', e => window.__errors.push('rejection: ' + e.reason));
for (const level of ['error', 'warn']) {
  const original = console[level];
  console[level] = (...args) => { window.__errors.push(level + ': ' + args.join(' ')); original(...args); };
}
</script>"""

# after the charts are drawn: count them, switch the branch and gate filters, count again
PROBE_TAIL = """<script>
const symbols = () => document.querySelectorAll('#chart-0 .mark-symbol.role-mark path').length;
const visible = () => [...document.querySelectorAll('section[data-gate]')].filter(s => !s.hidden).length;
const choose = (id, value) => {
  const el = document.getElementById(id); el.value = value; el.dispatchEvent(new Event('change'));
};
window.modelgateDashboard.ready.then(async () => {
  const charts = [...document.querySelectorAll('.chart')].map(c => ({
    id: c.id, marks: c.querySelectorAll('svg .role-mark path, svg .role-mark line').length}));
  const before = {symbols: symbols(), sections: visible()};
  const onLoad = window.__errors.slice();
  choose('mg-branch', document.getElementById('mg-branch').options[2].value);
  await window.modelgateDashboard.filtered;
  const branch = document.getElementById('mg-branch').value;
  const afterBranch = symbols();
  choose('mg-gate', document.getElementById('mg-gate').options[1].value);
  const afterGate = visible();
  document.body.setAttribute('data-probe', JSON.stringify({charts, before, branch, afterBranch,
    afterGate, onLoad, errors: window.__errors.filter(e => !e.startsWith('warn')), pwned: window.__pwned || null}));
}).catch(e => document.body.setAttribute('data-probe', JSON.stringify({failed: String(e),
  errors: window.__errors})));
</script>"""

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
    "--window-size=1300,900",
    "--virtual-time-budget=8000",
]


def chromium_or_skip() -> str:
    chromium = shutil.which("chromium")
    if chromium is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but chromium is not installed: .ci/run installs it with apt-get")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    return chromium


@pytest.fixture(scope="module")
def site(records, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`modelgate dashboard --jsonl` on the three runs: the site's folder."""
    try:
        import altair  # noqa: F401
        import vl_convert  # noqa: F401
    except ImportError:
        if os.environ.get("CI") == "true":  # the test extra installs them: never skip in CI
            pytest.fail("CI=true but the [dashboard] extra (altair, vl-convert-python) is missing")
        pytest.skip("the [dashboard] extra (altair, vl-convert-python) is not installed")
    from pytest_modelgate.dashboard.cli import main

    root = tmp_path_factory.mktemp("site")
    history = root / "history.jsonl"
    history.write_text(
        "".join(json.dumps(r) + "\n" for r in _with_mutation(records)), encoding="utf-8"
    )
    assert main(["--jsonl", str(history), "-o", str(root / "site"), "--title", TITLE]) == 0
    return root / "site"


def _with_mutation(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The runs, the first and last with a --modelgate-mutate section (gate coverage, #20)."""
    out = [dict(r) for r in records]
    out[0]["mutation"] = {"coverage": 0.5, "killed": 2, "mutants": [{}] * 4}
    out[-1]["mutation"] = {"coverage": 0.75, "killed": 3, "mutants": [{}] * 4}
    return out


def test_gate_coverage_is_drawn_for_runs_that_did_mutation_testing(records):
    from pytest_modelgate.dashboard import charts

    tables = tables_from_records(_with_mutation(records))
    assert [r["gate_coverage"] for r in tables.runs] == [0.5, None, 0.75]
    assert [r["mutants"] for r in tables.runs] == [4, None, 4]
    spec = charts.coverage_chart(charts.import_altair(), tables)
    assert [r["gate_coverage"] for r in spec["datasets"]["coverage"]] == [0.5, 0.75]
    plain = tables_from_records(records)  # no mutation testing: no coverage chart
    assert all(r["gate_coverage"] is None for r in plain.runs)


def _embedded_specs(page: str) -> str:
    found = re.search(r"<script type='application/json' id='mg-specs'>(.*?)</script>", page, re.S)
    assert found
    return found.group(1)


def test_page_is_offline_and_keeps_hostile_names_inert(site):
    """One file for GitHub Pages that loads nothing; names from the records are escaped in the
    HTML, the embedded JSON holds no '<', and no name reaches a field reference, filter,
    expression or signal of a chart spec (a Vega expression built from a name could run code):
    names travel as data values only."""
    page = (site / "index.html").read_text(encoding="utf-8")
    assert (site / ".nojekyll").exists()
    assert len(page.encode()) < 3_000_000
    # offline: the markup loads nothing (no src/href), and every script is inline
    markup, _, scripts = page.partition("<script type='application/json'")
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", markup, re.I)
    assert scripts.count("</script>") == 3 and "<script src" not in scripts
    assert HOSTILE_GATE not in page and HOSTILE_SLICE not in page and "<svg onload" not in page
    assert html.escape(HOSTILE_GATE, quote=True) in page
    assert f"<h1>{html.escape(TITLE)}</h1>" in page
    # each gate's section says its last verdict (the ERROR gate's, the failing check's)
    for gate, verdict in (("precision>=0.5", "ERROR"), ("missing_values", "FAIL")):
        opening = re.escape(f"<section data-gate='{html.escape(gate)}'")
        section = re.search(f"{opening}.*?</section>", page, re.S)
        assert section and f"last run 2026-10-03 09:00 UTC: {verdict}" in section.group(0)
    embedded = _embedded_specs(page)
    assert "<" not in embedded
    specs = json.loads(embedded)
    assert HOSTILE_SLICE in json.dumps([s["spec"]["datasets"] for s in specs], ensure_ascii=False)
    code = _strings_under(
        [{k: v for k, v in s["spec"].items() if k != "datasets"} for s in specs],
        {"field", "filter", "expr", "calculate", "test", "signal", "title"},
        [],
    )
    assert any("datum.branch" in c for c in code), "the specs have fields and filters"
    for text in code:
        for name in ("__pwned", "group=", "main"):
            assert name not in text, text


def test_dashboard_renders_in_headless_chromium(site, records, tmp_path):
    """The dashboard of three real runs opened by Debian's chromium: no console error or
    warning, every chart drawn as a non-empty SVG, the branch filter redraws the timeline with
    that branch's runs only, the gate filter leaves one gate; the hostile names ran nothing.
    Skipped without chromium, except with CI=true (then a failure)."""
    chromium = chromium_or_skip()
    page = (site / "index.html").read_text(encoding="utf-8")
    head, _, rest = page.partition("<head>")
    body, _, end = rest.rpartition("</body>")
    probe = tmp_path / "probe.html"
    probe.write_text(head + "<head>" + PROBE_HEAD + body + PROBE_TAIL + "</body>" + end, "utf-8")
    done = subprocess.run(
        [
            chromium,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={tmp_path / 'profile'}",
            "--dump-dom",
            probe.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    uncaught = [
        line for line in done.stderr.splitlines() if "CONSOLE" in line and "Uncaught" in line
    ]
    assert uncaught == []
    found = re.search(r'data-probe="([^"]*)"', done.stdout)
    assert found, done.stdout[-1500:] + done.stderr[-1500:]
    result = json.loads(html.unescape(found.group(1)))
    assert "failed" not in result, result
    # nothing logged while loading; no error while filtering (Vega may warn of an empty chart)
    assert result["onLoad"] == [] and result["errors"] == [] and result["pwned"] is None, result
    n_gates = len({g["id"] for r in records for g in r["gates"]})
    assert "no estimate in any run" in page
    # the timeline, gate coverage (two runs did mutation testing), one chart per gate but the
    # one that never had an estimate, and one per-column chart per data check (drift, missing)
    assert len(result["charts"]) == 1 + 1 + (n_gates - 1) + 2
    assert all(c["marks"] > 0 for c in result["charts"]), result["charts"]
    assert result["before"] == {"symbols": 3, "sections": n_gates}
    on_branch = sum(r["history"]["branch"] == result["branch"] for r in records)
    assert result["branch"] in ("main", HOSTILE_BRANCH) and result["afterBranch"] == on_branch < 3
    assert result["afterGate"] == 1


def test_without_a_store_or_file_says_what_to_pass(tmp_path, monkeypatch, capsys):
    from pytest_modelgate.dashboard.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["-o", "site"]) == 1
    err = capsys.readouterr().err
    assert "no history store at .modelgate/history.sqlite" in err and "--jsonl FILE" in err


def test_the_store_and_its_export_draw_the_same_page(site, records, tmp_path):
    """Three runs appended to the history store (pytest_modelgate.history, #17 item 1) give the
    dashboard the same rows as their JSON Lines (the store numbers the runs itself)."""
    history = pytest.importorskip("pytest_modelgate.history")
    from pytest_modelgate.dashboard.cli import main

    store = history.open_store(tmp_path / "history.sqlite")
    try:
        for record in _with_mutation(records):  # the mutation section round-trips too
            store.append(record)
    finally:
        store.close()
    out = tmp_path / "from-store"
    assert (
        main(["--store", str(tmp_path / "history.sqlite"), "-o", str(out), "--title", TITLE]) == 0
    )

    def datasets(folder: Path) -> list[Any]:
        specs = json.loads(_embedded_specs((folder / "index.html").read_text(encoding="utf-8")))
        return [s["spec"]["datasets"] for s in specs]

    def without_run_ids(value: Any) -> Any:
        text = json.dumps(value)
        return re.sub(r'"run_id": "[^"]*"', '"run_id": ""', text)

    assert without_run_ids(datasets(out)) == without_run_ids(datasets(site))


def test_limit_keeps_the_latest_runs_and_branch_one_branch(site, records, tmp_path):
    from pytest_modelgate.dashboard.cli import main

    # out of order, and run 2 at 20:00 UTC written with a +05:00 offset: as text it sorts after
    # run 1 (22:00 UTC), in time before it, so the latest two runs are 1 and 3
    when = {0: "2026-10-01T22:00:00+00:00", 1: "2026-10-02T01:00:00+05:00"}
    moved = [
        {**r, "history": {**r["history"], "recorded_at": when.get(i, r["history"]["recorded_at"])}}
        for i, r in enumerate(records)
    ]
    shuffled = [moved[2], moved[0], moved[1]]
    history = tmp_path / "h.jsonl"
    history.write_text("".join(json.dumps(r) + "\n" for r in shuffled), encoding="utf-8")

    def runs(*options: str) -> list[str]:
        assert main(["--jsonl", str(history), "-o", str(tmp_path / "s"), *options]) == 0
        page = (tmp_path / "s" / "index.html").read_text(encoding="utf-8")
        specs = json.loads(_embedded_specs(page))
        return [r["run_id"] for r in specs[0]["spec"]["datasets"]["runs"]]

    assert runs("--limit", "2") == ["1", "3"]
    assert runs("--branch", "main") == ["1", "3"]
    assert main(["--jsonl", str(history), "--limit", "0"]) == 1
