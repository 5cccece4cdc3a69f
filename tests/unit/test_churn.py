"""Prediction churn against the baseline (#19): negative_flip_rate and flip_rate, brute force and
statsmodels' exact interval as references."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.proportion import proportion_confint

import pytest_modelgate as mg
from pytest_modelgate.checks.engine import CHURN_EXAMPLES
from pytest_modelgate.errors import ModelgateError, SpecError
from pytest_modelgate.results import CheckResult
from pytest_modelgate.spec import parse_spec


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(3)
    n = 500
    y = rng.integers(0, 2, n)
    base = np.where(rng.random(n) < 0.85, y, 1 - y)
    cand = np.where(rng.random(n) < 0.08, 1 - base, base)
    group = rng.choice(["north", "south"], n)
    return y, cand, base, group


@pytest.fixture(scope="module")
def ev(data):
    y, cand, base, group = data
    return mg.evaluate(y, cand, sensitive={"region": group}, baseline_pred=base)


def brute(name, y, cand, base):
    if name == "negative_flip_rate":
        return [i for i in range(len(y)) if base[i] == y[i] and cand[i] != y[i]]
    return [i for i in range(len(y)) if cand[i] != base[i]]


@pytest.mark.parametrize("name", ["negative_flip_rate", "flip_rate"])
def test_churn_equals_brute_force_with_the_exact_interval(ev, data, name):
    y, cand, base, _g = data
    rows = brute(name, y, cand, base)
    est = ev.metric(name)
    assert est.estimate == pytest.approx(len(rows) / len(y), abs=1e-12)
    low, high = proportion_confint(len(rows), len(y), alpha=0.05, method="beta")
    assert (est.interval.low, est.interval.high) == pytest.approx((low, high), abs=1e-12)
    assert est.interval.method == "clopper-pearson"


def test_gate_lists_the_flipped_rows_and_counts_them_per_slice(ev, data):
    y, cand, base, group = data
    results = ev.check(metric="negative_flip_rate", max=0.2, slices=["region"], evidence="lenient")
    for r in results:
        mask = group == r.slice["region"]
        rows = np.flatnonzero(mask)
        flipped = rows[(base[mask] == y[mask]) & (cand[mask] != y[mask])]
        assert r.estimate == pytest.approx(flipped.size / mask.sum(), abs=1e-12)
        assert [int(e.id) for e in r.examples] == flipped[:CHURN_EXAMPLES].tolist()
        first = r.examples[0]
        i = int(first.id)
        assert first.values == {
            "label": str(y[i]),
            "baseline": str(base[i]),
            "candidate": str(cand[i]),
        }
        assert any("the report lists the first" in note for note in r.notes) == (
            flipped.size > CHURN_EXAMPLES
        )
        back = CheckResult.from_dict(r.to_dict())  # the JSON report keeps the rows
        assert back.examples == r.examples
    strict_fail = ev.check(metric="flip_rate", max=0.01)
    assert strict_fail[0].verdict.value == "FAIL"


def test_churn_needs_the_baseline_and_is_not_a_compare_gate(data):
    y, cand, *_ = data
    alone = mg.evaluate(y, cand)
    for call in (
        lambda: alone.metric("negative_flip_rate"),
        lambda: alone.check(metric="negative_flip_rate", max=0.05),
    ):
        with pytest.raises(ModelgateError, match="needs baseline predictions: pass baseline_pred="):
            call()
    with pytest.raises(SpecError, match="already compares the candidate with the baseline"):
        parse_spec(
            "version: 1\ndata: {test: t.csv, target: y}\nmodels: {candidate: m.joblib}\n"
            "gates:\n  - {metric: negative_flip_rate, compare: baseline, max_drop: 0.01}\n"
        )


def test_churn_on_multiclass_labels():
    y = np.array(["a", "b", "c"] * 40)
    base = y.copy()
    cand = y.copy()
    cand[:7] = "c"  # rows 0, 3, 6 were "a", 1, 4 "b": 5 negative flips (2 rows stay "c")
    ev = mg.evaluate(y, cand, baseline_pred=base, classes=["a", "b", "c"])
    assert ev.metric("negative_flip_rate").estimate == pytest.approx(5 / 120, abs=1e-12)
    assert ev.metric("flip_rate").estimate == pytest.approx(5 / 120, abs=1e-12)


def test_gates_yaml_names_flipped_rows_by_data_id(tmp_path, data):
    """From gates.yaml with prediction columns: data.id names the listed rows."""
    import pandas as pd

    from pytest_modelgate import run_gates

    y, cand, base, _g = data
    ids = [f"c{i:04d}" for i in range(len(y))]
    pd.DataFrame({"customer": ids, "y": y, "new": cand, "old": base}).to_csv(
        tmp_path / "t.csv", index=False
    )
    (tmp_path / "gates.yaml").write_text(
        "version: 1\ndata: {test: t.csv, target: y, id: customer}\n"
        "models: {candidate: {predictions: new}, baseline: {predictions: old}}\n"
        "gates:\n  - {metric: negative_flip_rate, max: 0.2}\n"
    )
    [result] = run_gates(tmp_path / "gates.yaml")
    rows = brute("negative_flip_rate", y, cand, base)
    assert [e.id for e in result.examples] == [ids[i] for i in rows[:CHURN_EXAMPLES]]
    assert result.estimate == pytest.approx(len(rows) / len(y), abs=1e-12)
