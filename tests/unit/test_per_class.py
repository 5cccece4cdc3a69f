"""Per-class metrics (recall[fraud]), classes: lists and the macro one-vs-rest AUC (#19),
cross-checked against scikit-learn and brute force."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

import pytest_modelgate as mg
from pytest_modelgate.errors import DataError, SpecError
from pytest_modelgate.spec import parse_spec
from pytest_modelgate.stats import delong_auc_variance
from pytest_modelgate.stats.ovr_auc import ovr_auc_influence

CLASSES = ["a", "b", "fraud"]


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(7)
    n = 400
    y = rng.choice(CLASSES, n, p=[0.5, 0.3, 0.2])
    codes = np.searchsorted(CLASSES, y)
    p = rng.dirichlet([1.0, 1.0, 1.0], n)
    p[np.arange(n), codes] += rng.uniform(0, 1.2, n)
    p = np.round(p / p.sum(1, keepdims=True), 3)  # ties, as real scores have
    p[:, 2] = 1.0 - p[:, 0] - p[:, 1]
    pred = np.array(CLASSES)[p.argmax(1)]
    group = rng.choice(["x", "y"], n)
    base_pred = np.where(rng.random(n) < 0.15, "a", pred)
    return y, p, pred, group, base_pred


@pytest.fixture(scope="module")
def ev(data):
    y, p, pred, group, base_pred = data
    return mg.evaluate(
        y,
        pred,
        p,
        classes=CLASSES,
        sensitive={"group": group},
        baseline_pred=base_pred,
        resamples=300,  # the bootstrap intervals are not what these tests check
    )


@pytest.mark.parametrize("cls", CLASSES)
def test_per_class_label_metrics_equal_scikit_learn(ev, data, cls):
    y, _p, pred, _g, _b = data
    per = {
        "recall": skm.recall_score(y, pred, labels=[cls], average=None)[0],
        "precision": skm.precision_score(y, pred, labels=[cls], average=None)[0],
        "f1": skm.f1_score(y, pred, labels=[cls], average=None)[0],
        "specificity": skm.recall_score(y != cls, pred != cls),
    }
    for name, expected in per.items():
        assert ev.metric(f"{name}[{cls}]").estimate == pytest.approx(expected, abs=1e-12)
    # proportions get the binary metric's exact interval
    assert ev.metric(f"recall[{cls}]").interval.method == "clopper-pearson"


@pytest.mark.parametrize("k", range(3))
def test_per_class_ranking_metrics_equal_scikit_learn(ev, data, k):
    y, p, *_ = data
    cls = CLASSES[k]
    auc = ev.metric(f"roc_auc[{cls}]")
    assert auc.estimate == pytest.approx(skm.roc_auc_score(y == cls, p[:, k]), abs=1e-12)
    assert auc.interval.method == "delong-newcombe-hull"
    ap = ev.metric(f"average_precision[{cls}]").estimate
    assert ap == pytest.approx(skm.average_precision_score(y == cls, p[:, k]), abs=1e-12)


def test_macro_auc_equals_scikit_learn_and_its_variance_is_delongs(ev, data):
    y, p, *_ = data
    est = ev.metric("roc_auc_ovr")
    assert est.estimate == pytest.approx(
        skm.roc_auc_score(y, p, multi_class="ovr", average="macro", labels=CLASSES), abs=1e-12
    )
    assert est.interval.method == "delong-ovr-logit-t"
    assert est.interval.low < est.estimate < est.interval.high
    codes = np.searchsorted(CLASSES, y)
    aucs, phi = ovr_auc_influence(codes, p)
    n = len(y)
    for k in range(3):  # each class's own variance is exactly DeLong's
        value, variance = delong_auc_variance(codes == k, p[:, k])
        assert aucs[k] == pytest.approx(value, abs=1e-12)
        assert phi[:, k] @ phi[:, k] / n**2 == pytest.approx(variance, rel=1e-10)


def test_macro_auc_standard_error_agrees_with_a_row_bootstrap(data):
    """The covariance across classes is right: the macro SE matches a brute-force bootstrap."""
    y, p, *_ = data
    codes = np.searchsorted(CLASSES, y)
    _aucs, phi = ovr_auc_influence(codes, p)
    n = len(y)
    se = np.sqrt(phi.mean(1) @ phi.mean(1)) / n

    def pairwise_macro(c, s):  # brute force: every positive-negative pair, ties one half
        total = 0.0
        for k in range(3):
            pos, neg = s[c == k, k], s[c != k, k]
            diff = pos[:, None] - neg[None, :]
            total += ((diff > 0) + 0.5 * (diff == 0)).mean()
        return total / 3

    assert pairwise_macro(codes, p) == pytest.approx(_aucs.mean(), abs=1e-12)
    rng = np.random.default_rng(1)
    reps = [pairwise_macro(codes[i], p[i]) for i in (rng.integers(0, n, n) for _ in range(300))]
    assert np.std(reps, ddof=1) == pytest.approx(se, rel=0.2)
    # ignoring the covariance (independent classes) would give a different SE
    independent = np.sqrt(sum(phi[:, k] @ phi[:, k] for k in range(3)) / 9) / n
    assert abs(independent - se) / se > 0.05


def test_binary_per_class_names_either_label():
    y = np.array([0, 1, 1, 0, 1, 0, 0, 1, 1, 1] * 5)
    s = np.linspace(0, 1, 50)
    ev = mg.evaluate(y, (s > 0.4).astype(int), s)
    assert ev.metric("recall[0]").estimate == pytest.approx(ev.metric("specificity").estimate)
    assert ev.metric("recall[1]").estimate == pytest.approx(ev.metric("recall").estimate)
    assert ev.metric("roc_auc[0]").estimate == pytest.approx(ev.metric("roc_auc").estimate)


def test_unknown_class_is_named_with_the_classes(ev):
    with pytest.raises(DataError, match=r"'frad' is not a class .*'fraud'.*did you mean 'fraud'"):
        ev.metric("recall[frad]")


def test_classes_list_judges_each_class_like_slices(ev, data):
    y, _p, pred, _g, _b = data
    results = ev.check(metric="recall", classes=["a", "fraud"], min=0.5)
    assert [r.slice for r in results] == [{"class": "a"}, {"class": "fraud"}]
    for r in results:
        cls = r.slice["class"]
        expected = skm.recall_score(y, pred, labels=[cls], average=None)[0]
        assert r.estimate == pytest.approx(expected, abs=1e-12)
        assert r.metric == f"recall[{cls}]"
    failing = ev.check(metric="recall", classes=["a", "fraud"], min=0.99)
    assert {r.verdict.value for r in failing} == {"FAIL"}


def test_per_class_compare_and_fairness(ev, data):
    y, _p, pred, group, base_pred = data
    cmp = ev.compare("recall[a]")
    expected = (
        skm.recall_score(y, pred, labels=["a"], average=None)[0]
        - skm.recall_score(y, base_pred, labels=["a"], average=None)[0]
    )
    assert cmp.metric == "recall[a]"
    assert cmp.delta == pytest.approx(expected, abs=1e-12)
    gap = ev.fairness("metric_difference", "group", metric="recall[fraud]")
    by_group = [
        skm.recall_score(y[group == g], pred[group == g], labels=["fraud"], average=None)[0]
        for g in ("x", "y")
    ]
    assert gap.estimate == pytest.approx(abs(by_group[0] - by_group[1]), abs=1e-12)


HEAD = """\
version: 1
task: multiclass
data: {test: t.csv, target: y}
models: {candidate: {scores: [pa, pb, pc]}}
gates:
"""


def test_spec_accepts_per_class_names_and_refuses_what_cannot_be_per_class():
    spec = parse_spec(
        HEAD + "  - {metric: 'recall[fraud]', min: 0.5}\n  - {metric: roc_auc_ovr, min: 0.8}\n"
    )
    assert spec.gates[0].metric == "recall[fraud]"
    with pytest.raises(SpecError, match=r"`classes` needs a metric that exists per class"):
        parse_spec(HEAD + "  - {metric: accuracy, classes: [a], min: 0.5}\n")
    with pytest.raises(SpecError, match=r"metric\[class\] with one of recall"):
        parse_spec(HEAD + "  - {metric: 'recal[fraud]', min: 0.5}\n")
    with pytest.raises(SpecError, match="one column per class"):
        parse_spec(HEAD.replace("[pa, pb, pc]", "[pa]") + "  - {metric: roc_auc_ovr, min: 0.8}\n")


def test_multiclass_score_columns_and_per_class_gates_from_gates_yaml(tmp_path):
    """The YAML runner: `scores: [..]` columns, classes:, recall[c], roc_auc_ovr, a per-class
    fairness gap, and an unknown class located at its gate."""
    import pandas as pd

    from pytest_modelgate import run_gates

    rng = np.random.default_rng(5)
    n = 600
    y = rng.choice(["cat", "dog", "fox"], n)
    p = rng.dirichlet([1, 1, 1], n)
    p[np.arange(n), np.searchsorted(["cat", "dog", "fox"], y)] += 0.6
    p /= p.sum(1, keepdims=True)
    frame = pd.DataFrame({"y": y, "p_cat": p[:, 0], "p_dog": p[:, 1], "p_fox": p[:, 2]})
    frame["region"] = rng.choice(["n", "s"], n)
    frame.to_csv(tmp_path / "t.csv", index=False)
    (tmp_path / "gates.yaml").write_text(
        """\
version: 1
task: multiclass
data: {test: t.csv, target: y, sensitive: [region]}
models:
  candidate: {scores: [p_cat, p_dog, p_fox]}
gates:
  - {metric: recall, classes: [cat, fox], min: 0.6}
  - {metric: 'roc_auc[dog]', min: 0.8}
  - {metric: roc_auc_ovr, min: 0.8}
  - {fairness: metric_difference, metric: 'recall[fox]', sensitive: region, max: 0.3}
  - {metric: 'recall[wolf]', min: 0.5, name: no_wolf}
"""
    )
    results = {r.label: r for r in run_gates(tmp_path / "gates.yaml")}
    wolf = results.pop("no_wolf")
    assert wolf.verdict.value == "ERROR" and "'wolf' is not a class of the target" in wolf.message
    assert {k: r.verdict.value for k, r in results.items()} == dict.fromkeys(results, "PASS")
    assert len(results) == 5  # two classes, three more gates
    expected = skm.roc_auc_score(y, p, multi_class="ovr", labels=["cat", "dog", "fox"])
    assert results["roc_auc_ovr>=0.8"].estimate == pytest.approx(expected, abs=1e-12)
    assert results["roc_auc_ovr>=0.8"].interval.method == "delong-ovr-logit-t"
    with pytest.raises(SpecError, match="one column per class"):
        parse_spec(HEAD.replace("[pa, pb, pc]", "[pa]") + "  - {metric: roc_auc_ovr, min: 0.8}\n")


def test_classes_list_on_a_compare_gate(ev, data):
    y, _p, pred, _g, base_pred = data
    results = ev.check(metric="recall", classes=["a", "b"], compare="baseline", max_drop=0.5)
    for r in results:
        cls = r.slice["class"]
        expected = (
            skm.recall_score(y, pred, labels=[cls], average=None)[0]
            - skm.recall_score(y, base_pred, labels=[cls], average=None)[0]
        )
        assert r.estimate == pytest.approx(expected, abs=1e-12)
        assert r.verdict.value == "PASS"


@pytest.mark.parametrize(
    ("columns", "scale", "message"),
    [
        ("[a, b]", 1.0, "lists 2 column(s) (a, b) but the target 'y' has 3 classes"),
        ("[a, b, c]", 0.5, "class probabilities do not sum to 1 in 60 row(s)"),
    ],
)
def test_bad_score_columns_are_located_errors(tmp_path, columns, scale, message):
    import pandas as pd

    from pytest_modelgate import run_gates

    rng = np.random.default_rng(0)
    p = rng.dirichlet([1, 1, 1], 60) * scale
    frame = pd.DataFrame({"y": rng.choice(["cat", "dog", "fox"], 60), "a": p[:, 0]})
    frame = frame.assign(b=p[:, 1], c=p[:, 2])
    frame.to_csv(tmp_path / "t.csv", index=False)
    (tmp_path / "gates.yaml").write_text(
        "version: 1\ntask: multiclass\ndata: {test: t.csv, target: y}\n"
        f"models: {{candidate: {{scores: {columns}}}}}\n"
        "gates:\n  - {metric: roc_auc_ovr, min: 0.5}\n"
    )
    [result] = run_gates(tmp_path / "gates.yaml")
    assert result.verdict.value == "ERROR" and message in result.message
