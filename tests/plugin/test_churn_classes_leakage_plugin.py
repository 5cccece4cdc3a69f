"""#19 from gates.yaml: churn against the baseline model and check: leakage with its own
`train:` file, down to the JSON report (per-class gates: tests/unit/test_per_class.py)."""

from __future__ import annotations

import json

import pandas as pd

from .conftest import SPEC_HEAD


def test_churn_and_leakage_gates(project_template, tmp_path):
    """The YAML runner on the plugin tests' project (run_gates: the same runner the plugin
    calls, without a pytester session), down to the JSON report."""
    import shutil

    from pytest_modelgate import run_gates

    for sub in ("data", "models"):
        shutil.copytree(project_template / sub, tmp_path / sub)
    test = pd.read_csv(tmp_path / "data" / "test.csv.gz")
    train = test.sample(n=600, random_state=2).reset_index(drop=True)
    train.loc[:, "f1"] += 10.0  # a different population ...
    train.loc[:4, ["f1", "f2", "f3"]] = test.loc[:4, ["f1", "f2", "f3"]].to_numpy()  # ... 5 copies
    train.to_csv(tmp_path / "data" / "train.csv.gz", index=False)
    spec = SPEC_HEAD.replace(
        "  candidate: models/model.joblib\n",
        "  candidate: models/model.joblib\n  baseline: models/weak.joblib\n",
    )
    (tmp_path / "gates.yaml").write_text(
        spec
        + """\
  - metric: negative_flip_rate
    max: 0.5
    slices: [group]
  - metric: flip_rate
    max: 0.001
    name: churn
  - check: leakage
    train: data/train.csv.gz
    columns: [f1, f2, f3]
    look_for: [exact_duplicates, near_duplicates, conflicting_labels]
"""
    )
    run = run_gates(tmp_path / "gates.yaml")
    assert run.decision.outcome == "block"
    run.write_reports(json=tmp_path / "report.json")
    data = json.loads((tmp_path / "report.json").read_text())
    gates = {g["id"] if not g["slice"] else f"{g['id']}{g['slice']}": g for g in data["gates"]}
    churn = gates["churn"]
    assert churn["verdict"] == "FAIL" and churn["interval"]["method"] == "clopper-pearson"
    assert len(churn["examples"]) == 20 and set(churn["examples"][0]["values"]) == {
        "label",
        "baseline",
        "candidate",
    }
    sliced = [g for key, g in gates.items() if key.startswith("negative_flip_rate")]
    assert {g["verdict"] for g in sliced} == {"PASS"} and len(sliced) == 2
    leak = gates["leakage"]
    assert leak["verdict"] == "FAIL" and leak["severity"] == "block"
    counts = {g["group"]: g["values"]["count"] for g in leak["groups"]}
    assert counts["exact_duplicates"] == 5
    assert [e["id"] for e in leak["examples"][:5]] == ["0", "1", "2", "3", "4"]
