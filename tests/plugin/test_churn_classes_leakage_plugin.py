"""#19 end to end from gates.yaml: churn against the baseline model, per-class gates on
multiclass score columns, and check: leakage with its own `train:` file."""

from __future__ import annotations

import json

import numpy as np
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


def test_multiclass_score_columns_and_per_class_gates(pytester):
    rng = np.random.default_rng(5)
    n = 600
    y = rng.choice(["cat", "dog", "fox"], n)
    p = rng.dirichlet([1, 1, 1], n)
    p[np.arange(n), np.searchsorted(["cat", "dog", "fox"], y)] += 0.6
    p /= p.sum(1, keepdims=True)
    frame = pd.DataFrame({"y": y, "p_cat": p[:, 0], "p_dog": p[:, 1], "p_fox": p[:, 2]})
    frame["region"] = rng.choice(["n", "s"], n)
    frame.to_csv(pytester.path / "t.csv", index=False)
    pytester.makefile(
        ".yaml",
        gates="""\
version: 1
task: multiclass
data: {test: t.csv, target: y, sensitive: [region]}
models:
  candidate: {scores: [p_cat, p_dog, p_fox]}
stats: {resamples: 200}
gates:
  - {metric: recall, classes: [cat, fox], min: 0.6}
  - {metric: 'roc_auc[dog]', min: 0.8}
  - {metric: roc_auc_ovr, min: 0.8}
  - {fairness: metric_difference, metric: 'recall[fox]', sensitive: region, max: 0.3}
  - {metric: 'recall[wolf]', min: 0.5, name: no_wolf}
""",
    )
    result = pytester.runpytest("--modelgate")
    gates = report(pytester)
    assert gates["no_wolf"]["verdict"] == "ERROR"
    assert "'wolf' is not a class of the target" in gates["no_wolf"]["message"]
    others = {k: g["verdict"] for k, g in gates.items() if k != "no_wolf"}
    assert set(others.values()) == {"PASS"}, others
    assert gates["roc_auc_ovr>=0.8"]["interval"]["method"] == "delong-ovr-logit-t"
    assert result.ret == 1  # the ERROR blocks
