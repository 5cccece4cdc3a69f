"""The benchmark script's quick mode: it runs, writes its table, and modelgate's point estimates
equal scikit-learn's and fairlearn's on the same data. No timing is asserted (shared machines)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_alternatives.py"


def test_quick_mode_runs_and_agrees_with_references(tmp_path: Path) -> None:
    output, results = tmp_path / "performance.md", tmp_path / "results.json"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--output", str(output), "--json", str(results)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = output.read_text()
    assert "## Targets" in text and "## modelgate against the alternatives" in text
    assert "## Why it is fast: the design" in text  # the hand-written part survives regeneration
    data = json.loads(results.read_text())
    metrics = {row["metric"] for row in data["rows"]}
    assert metrics == {
        "accuracy",
        "f1",
        "roc_auc",
        "recall@10 slices",
        "demographic_parity_difference",
        "equalized_odds_difference",
    }
    for row in data["rows"]:
        assert row["agreement"] <= 1e-12, row
    assert all(run["results"] > 0 for run in data["gate_runs"])
