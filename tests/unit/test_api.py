"""The Python API: numbers equal the references and the YAML path; caching; reprs; helpers."""

from __future__ import annotations

import textwrap

import joblib
import numpy as np
import pandas as pd
import pytest
from fairlearn import metrics as flm
from sklearn import metrics as skm
from sklearn.linear_model import LogisticRegression

from pytest_modelgate import (
    assert_fair,
    assert_metric,
    assert_no_regression,
    assert_predictions,
    assert_slices,
    evaluate,
    run_gates,
)
from pytest_modelgate.errors import ModelgateError


@pytest.fixture
def data(rng):
    n = 1200
    x = rng.normal(size=(n, 2))
    y = (x[:, 0] + rng.normal(size=n) > 0).astype(int)
    frame = pd.DataFrame(x, columns=["a", "b"]).assign(y=y, sex=rng.choice(["F", "M"], n))
    strong = LogisticRegression().fit(frame[["a", "b"]], y)
    weak = LogisticRegression().fit(frame[["b"]], y)
    return frame, strong, weak


def make_eval(data, **kw):
    frame, strong, weak = data
    return evaluate(
        frame["y"],
        strong.predict(frame[["a", "b"]]),
        strong.predict_proba(frame[["a", "b"]])[:, 1],
        sensitive=frame[["sex"]],
        baseline_pred=weak.predict(frame[["b"]]),
        baseline_score=weak.predict_proba(frame[["b"]])[:, 1],
        resamples=500,
        **kw,
    )


def test_metric_equals_sklearn_and_the_yaml_path(data, tmp_path):
    frame, strong, _ = data
    ev = make_eval(data)
    pred = strong.predict(frame[["a", "b"]])
    for name, ref in (
        ("accuracy", skm.accuracy_score(frame["y"], pred)),
        ("recall", skm.recall_score(frame["y"], pred)),
        ("f1", skm.f1_score(frame["y"], pred)),
    ):
        assert ev.metric(name).estimate == pytest.approx(ref, abs=1e-12)
    # the same data through gates.yaml gives the same estimates and intervals
    frame.to_csv(tmp_path / "test.csv", index=False)
    joblib.dump(strong, tmp_path / "m.joblib")
    (tmp_path / "gates.yaml").write_text(
        textwrap.dedent("""\
        version: 1
        data: {test: test.csv, target: y, sensitive: [sex]}
        models: {candidate: m.joblib}
        stats: {resamples: 500}
        gates:
          - {metric: roc_auc, min: 0.5}
          - {metric: accuracy, min: 0.5}
    """)
    )
    results = run_gates(tmp_path / "gates.yaml")
    for r in results:
        api = ev.metric(r.metric)
        assert api.estimate == pytest.approx(r.estimate, abs=1e-12)
        assert (api.interval.low, api.interval.high) == pytest.approx(
            (r.interval.low, r.interval.high), abs=1e-12
        )


def test_slices_compare_and_fairness(data):
    frame, strong, weak = data
    ev = make_eval(data)
    female = ev.metric("recall", slice={"sex": "F"})
    mask = (frame["sex"] == "F").to_numpy()
    pred = strong.predict(frame[["a", "b"]])
    assert female.estimate == pytest.approx(skm.recall_score(frame["y"][mask], pred[mask]))
    assert female.n == int(mask.sum()) and female.slice == {"sex": "F"}
    table = ev.by_slice("recall", "sex")
    assert list(table.columns) == ["slice", "n", "estimate", "low", "high", "method"]
    assert table["n"].sum() == len(frame)
    cmp = ev.compare("roc_auc")
    assert cmp.paired and cmp.test == "delong-paired" and cmp.delta > 0
    assert cmp.baseline == pytest.approx(
        skm.roc_auc_score(frame["y"], weak.predict_proba(frame[["b"]])[:, 1]), abs=1e-12
    )
    fair = ev.fairness("demographic_parity_difference", sensitive="sex")
    assert fair.estimate == pytest.approx(
        flm.demographic_parity_difference(frame["y"], pred, sensitive_features=frame["sex"]),
        abs=1e-12,
    )
    assert list(fair.by_group["group"]) == ["sex=F", "sex=M"]


def test_evidence_is_built_once_and_queries_are_cached(data):
    ev = make_eval(data)
    assert ev.evidence_builds == 2  # candidate and baseline, once each
    first = ev.metric("f1")
    for _ in range(3):
        assert ev.metric("f1") is not None
        ev.metric("accuracy")
    assert ev.metric("f1") == first
    assert ev.evidence_builds == 2
    ev.by_slice("recall", "sex")
    ev.by_slice("accuracy", "sex")
    assert ev.evidence_builds == 4  # one subset per slice, shared by every metric


def test_reprs(data):
    ev = make_eval(data)
    r = ev.metric("recall", slice={"sex": "M"})
    assert repr(r).startswith("MetricResult(recall [sex=M] = 0.")
    assert "<table>" in r._repr_html_() and "clopper-pearson" in r._repr_html_()
    assert "delong-paired" in repr(ev.compare("roc_auc"))
    assert "<table>" in ev.compare("roc_auc")._repr_html_()
    fair = ev.fairness("equalized_odds_difference", sensitive="sex")
    assert repr(fair).startswith("FairnessResult(equalized_odds_difference = ")
    assert "sex=F" in fair._repr_html_()


def test_assert_metric_passes_and_fails_with_the_gate_message(data):
    ev = make_eval(data)
    result = assert_metric(ev, "accuracy", min=0.6)
    assert result.estimate > 0.6
    with pytest.raises(AssertionError) as info:
        assert_metric(ev, "accuracy", min=0.99)
    text = str(info.value)
    assert text.startswith("FAIL: accuracy = 0.")
    assert "95% CI [" in text and "(clopper-pearson), n = 1200; required >= 0.99" in text
    assert "  rule      strict: lower 95% bound >= 0.99" in text
    with pytest.raises(AssertionError, match="INCONCLUSIVE: only"):
        assert_metric(ev, "accuracy", min=0.5, slice=np.arange(1200) < 10)


def test_assert_slices_regression_fairness(data):
    ev = make_eval(data)
    table = assert_slices(ev, "accuracy", "sex", min=0.6)
    assert len(table) == 2
    with pytest.raises(AssertionError, match=r"FAIL: recall on 2 of 2 slices of sex"):
        assert_slices(ev, "recall", "sex", min=0.99)
    assert assert_no_regression(ev, "roc_auc", max_drop=0.01).delta > 0
    with pytest.raises(AssertionError, match=r"FAIL: Δroc_auc = "):
        assert_no_regression(ev, "roc_auc", max_gain=0.01)  # a large gain is an alarm
    assert_fair(ev, "equalized_odds_difference", sensitive="sex", max=0.3)
    with pytest.raises(AssertionError, match="FAIL: demographic_parity_ratio"):
        assert_fair(ev, "demographic_parity_ratio", sensitive="sex", min=0.999)


def test_assert_predictions_lists_the_rows(data):
    frame, strong, _ = data
    X = frame[["a", "b"]].iloc[:5]
    expected = strong.predict(X)
    assert_predictions(strong, X, expected)
    wrong = 1 - expected
    with pytest.raises(AssertionError) as info:
        assert_predictions(strong, X, wrong, name="golden: obvious cases")
    text = str(info.value)
    assert text.startswith("golden: obvious cases: 5 of 5 rows predicted wrongly (allowed: 0)")
    assert "  row         expected    got" in text


def test_bad_input_is_a_clear_error(data):
    frame, strong, _ = data
    with pytest.raises(ModelgateError, match="give y_pred, y_score or both"):
        evaluate(frame["y"])
    with pytest.raises(ModelgateError, match="y_pred has 3 rows, y_true has 1200"):
        evaluate(frame["y"], [1, 0, 1])
    ev = evaluate(frame["y"], strong.predict(frame[["a", "b"]]))
    with pytest.raises(ModelgateError, match="a baseline comparison needs baseline predictions"):
        ev.compare("accuracy")
    with pytest.raises(ModelgateError, match="slice: column\\(s\\) \\['sex'\\] were not given"):
        ev.metric("accuracy", slice={"sex": "F"})


def test_api_mistakes_get_the_gates_hints(data):
    ev = make_eval(data)
    with pytest.raises(ModelgateError) as err:
        assert_metric(ev, "recal", min=0.5)
    assert str(err.value).startswith(
        "assert_metric(): metric: unknown metric for task binary (got 'recal'; did you mean "
        "`recall`? allowed: accuracy, "
    )
    with pytest.raises(ModelgateError) as err:
        assert_metric(ev, "recall", min=60)
    assert str(err.value) == (
        "assert_metric(): min: recall lies in [0, 1], so this bound can never be met (got 60; "
        "did you mean 0.6? metrics are fractions, not percentages)"
    )
    frame, _, _ = data
    with pytest.raises(ModelgateError, match="y_score must be numeric"):
        evaluate(frame["y"], frame["y"], ["a"] * len(frame))
    plain = evaluate(frame["y"], frame["y"])
    with pytest.raises(ModelgateError, match="by_slice: column\\(s\\) \\['sex'\\] were not given"):
        plain.by_slice("accuracy", "sex")
