"""#19 end to end from gates.yaml: churn against the baseline model and check: leakage with its
own `train:` file (per-class gates from gates.yaml: tests/unit/test_per_class.py)."""

from __future__ import annotations

import json

import pandas as pd

from .conftest import SPEC_HEAD


def report(project):
    data = json.loads((project.path / ".modelgate" / "report.json").read_text())
    return {g["id"] if not g["slice"] else f"{g['id']}{g['slice']}": g for g in data["gates"]}


def test_churn_and_leakage_gates(project):
    test = pd.read_csv(project.path / "data" / "test.csv.gz")
    train = test.sample(n=600, random_state=2).reset_index(drop=True)
    train.loc[:, "f1"] += 10.0  # a different population ...
    train.loc[:4, ["f1", "f2", "f3"]] = test.loc[
        :4, ["f1", "f2", "f3"]
    ].to_numpy()  # ... but 5 copies
    train.to_csv(project.path / "data" / "train.csv.gz", index=False)
    spec = SPEC_HEAD.replace(
        "  candidate: models/model.joblib\n",
        "  candidate: models/model.joblib\n  baseline: models/weak.joblib\n",
    )
    project.makefile(
        ".yaml",
        gates=spec
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
""",
    )
    result = project.runpytest("--modelgate")
    assert result.ret == 1, result.stdout.str()
    gates = report(project)
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
