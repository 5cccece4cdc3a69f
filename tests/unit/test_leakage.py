"""check: leakage (#19): every finding against a brute-force count written here."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score
from statsmodels.stats.proportion import proportion_confint

import pytest_modelgate as mg
from pytest_modelgate.checks.data.leakage import hash_rows
from pytest_modelgate.errors import ModelgateError


def make(n, offset, rng):
    x = rng.normal(size=n)
    y = (x + rng.normal(size=n) > 0).astype(int)
    return pd.DataFrame(
        {
            "row_id": np.arange(offset, offset + n),
            "x": np.round(x, 6),
            "town": rng.choice(["Oslo", "Bergen", "Tromsø"], n),
            "k": rng.integers(0, 5, n),
            "when": pd.Timestamp("2024-01-01")
            + pd.to_timedelta(np.arange(offset, offset + n), "h"),
            "y": y,
        }
    )


@pytest.fixture(scope="module")
def frames():
    rng = np.random.default_rng(11)
    train, test = make(800, 0, rng), make(300, 800, rng)
    cols = ["x", "town", "k"]
    test.loc[0:5, cols] = train.loc[10:15, cols].to_numpy()  # 6 exact copies
    test.loc[6:8, cols] = train.loc[20:22, cols].to_numpy()
    test.loc[6:8, "x"] += 1e-9  # 3 near copies
    test.loc[9, cols] = train.loc[30, cols].to_numpy()
    test.loc[9, "town"] = "  OSLO " if train.loc[30, "town"] == "Oslo" else " bergen"
    test.loc[10:12, "when"] = train["when"].iloc[-1]  # 3 rows not later than training
    test.loc[0:2, "y"] = 1 - train.loc[10:12, "y"].to_numpy()  # 3 conflicting labels
    return train, test


def brute_counts(train, test, cols, digits=3):
    def sig(v):
        return float(f"{v:.{digits - 1}e}") if isinstance(v, float) else v

    def norm(v):
        return " ".join(v.split()).lower() if isinstance(v, str) else sig(float(v))

    train_rows = {tuple(r) for r in train[cols].itertuples(index=False)}
    exact = [tuple(r) in train_rows for r in test[cols].itertuples(index=False)]
    near_train = {tuple(norm(v) for v in r) for r in train[cols].itertuples(index=False)}
    near = [
        tuple(norm(v) for v in r) in near_train and not e
        for r, e in zip(test[cols].itertuples(index=False), exact, strict=True)
    ]
    labels: dict[tuple, set] = {}
    for frame in (train, test):
        for r, label in zip(frame[cols].itertuples(index=False), frame["y"], strict=True):
            labels.setdefault(tuple(r), set()).add(label)
    conflicts = [len(labels[tuple(r)]) > 1 for r in test[cols].itertuples(index=False)]
    return sum(exact), sum(near), sum(conflicts)


@pytest.fixture(scope="module")
def result(frames):
    train, test = frames
    return mg.check_data(
        "leakage", test, train, target="y", time="when", id="row_id", columns=["x", "town", "k"]
    )


def test_each_share_of_rows_equals_brute_force(frames, result):
    train, test = frames
    exact, near, conflicts = brute_counts(train, test, ["x", "town", "k"])
    found = {g.group: g for g in result.groups}
    assert exact == 6 and near >= 4 and conflicts >= 3  # what the fixture planted, at least
    assert found["exact_duplicates"].values["count"] == exact
    assert found["near_duplicates"].values["count"] == near
    assert found["conflicting_labels"].values["count"] == conflicts
    assert found["time_overlap"].values["count"] == 3
    assert result.verdict.value == "FAIL" and result.severity == "block"
    # the exact-overlap share is judged on the Clopper-Pearson interval (judge_rate)
    low, high = proportion_confint(exact, len(test), alpha=0.05, method="beta")
    assert (result.interval.low, result.interval.high) == pytest.approx((low, high), abs=1e-12)
    examples = [e for e in result.examples if e.values["finding"] == "exact_duplicates"]
    assert [e.id for e in examples] == [str(800 + i) for i in range(5)]  # data.id names rows
    assert examples[0].values["training row"] == "10"


def test_single_feature_auc_equals_the_rule_fitted_on_train(frames):
    train, test = frames
    test = test.assign(leak=test["y"] * 3 + np.linspace(0, 1, len(test)))
    train = train.assign(leak=train["y"] * 3 + np.linspace(0, 1, len(train)))
    res = mg.check_data(
        "leakage", test, train, target="y", look_for=["single_feature"], columns=["town", "leak"]
    )
    [finding] = res.groups
    assert finding.flagged and "leak" in finding.detail
    assert finding.values["estimate"] == pytest.approx(
        roc_auc_score(test["y"], test["leak"]), abs=1e-12
    )
    # a categorical column is scored by its training positive rate per value
    rates = train.groupby("town")["y"].mean()
    town_auc = roc_auc_score(test["y"], test["town"].map(rates).fillna(train["y"].mean()))
    assert f"town {town_auc:.3f}" in finding.detail


def test_id_like_column_correlated_with_the_label_is_flagged(frames):
    train, test = frames
    ordered = test.sort_values("y", kind="stable").reset_index(drop=True)
    ordered["row_id"] = np.arange(len(ordered))  # ids handed out by label
    res = mg.check_data("leakage", ordered, train, target="y", look_for=["id_columns"])
    assert res.verdict.value == "FAIL" and "row_id" in res.message
    clean = mg.check_data("leakage", test, train, target="y", look_for=["id_columns"])
    assert clean.verdict.value == "PASS", clean.message  # x is unique per row but not an id


def test_hash_rows_compares_numbers_as_numbers_and_sees_every_column():
    a = pd.DataFrame({"n": [1, 2, 3], "s": ["a", "b", None]})
    b = pd.DataFrame({"n": [1.0, 2.0, 3.0], "s": ["a", "c", None]})
    ha, hb = hash_rows(a), hash_rows(b)
    assert ha[0] == hb[0] and ha[2] == hb[2] and ha[1] != hb[1]
    one, other = pd.DataFrame({"p": ["a"], "q": ["b"]}), pd.DataFrame({"p": ["b"], "q": ["a"]})
    assert hash_rows(one)[0] != hash_rows(other)[0]


def test_leakage_needs_training_data_and_a_frame():
    frame = pd.DataFrame({"x": [1.0], "y": [0]})
    with pytest.raises(ModelgateError, match="pass reference="):
        mg.check_data("leakage", frame, target="y")
    with pytest.raises(ModelgateError, match="pass the training data as reference="):
        mg.check_data("leakage", frame, frame, target="y", train="train.csv")
