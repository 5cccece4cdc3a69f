"""#19: calibration, operating-point, cost and custom metrics.

Every point estimate equals an independent reference to 1e-12: scikit-learn's curves, statsmodels'
logistic fits, or a brute force written here. Bad parameters are refused at the edge with a
located message; the safe formula evaluator evaluates nothing but arithmetic on the counts.
"""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest
from sklearn import metrics as skm

import pytest_modelgate as mg
from pytest_modelgate.errors import ModelgateError, SpecError
from pytest_modelgate.estimates.formula import FormulaError, compile_formula
from pytest_modelgate.spec import parse_spec


def _case(seed: int, n: int = 400, ties: bool = False):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(np.int64)
    p = 1 / (1 + np.exp(-(rng.normal(size=n) + 1.3 * y - 0.8)))
    if ties:
        p = np.round(p, 1)
    return y, p


def _value(name: str, y, p, **kw) -> float:
    ev = mg.evaluate(y, (p >= 0.5).astype(int), p, seed=0, resamples=100, **kw)
    return ev.metric(name).estimate


# --- operating points against scikit-learn's curves --------------------------------------------


def _point(name: str, y, p) -> float:
    """The point estimate from the exact score histogram (the path estimate_metric takes,
    without the bootstrap)."""
    from pytest_modelgate.estimates.metric import score_codes
    from pytest_modelgate.estimates.metrics import get_metric

    hist = score_codes(p).histogram(y, None, exact=True)
    return float(get_metric(name, "binary").from_histogram(hist[None])[0])


@pytest.mark.parametrize("ties", [False, True])
def test_operating_points_equal_sklearn_curves(ties: bool):
    y, p = _case(1, ties=ties)
    prec, rec, _ = skm.precision_recall_curve(y, p)
    fpr, tpr, _ = skm.roc_curve(y, p, drop_intermediate=False)
    for t in (0.35, 0.5, 0.6, 0.8, 1.0):
        ref = rec[prec >= t].max()  # the curve ends at (precision 1, recall 0)
        assert _point(f"recall_at_precision({t})", y, p) == pytest.approx(ref, abs=1e-12)
    for r in (0.1, 0.5, 0.9, 1.0):
        ref = prec[rec >= r].max()
        assert _point(f"precision_at_recall({r})", y, p) == pytest.approx(ref, abs=1e-12)
    for f in (0.0, 0.01, 0.1, 0.5):
        ref = tpr[fpr <= f].max()
        assert _point(f"tpr_at_fpr({f})", y, p) == pytest.approx(ref, abs=1e-12)
    for s in (0.5, 0.9, 0.99, 1.0):
        ref = tpr[1 - fpr >= s].max()
        assert _point(f"sensitivity_at_specificity({s})", y, p) == pytest.approx(ref, abs=1e-12)
    # the gate's estimate is that value, with a bootstrap interval around it
    r = mg.evaluate(y, None, p, seed=0, resamples=100).metric("recall_at_precision(0.6)")
    assert r.estimate == pytest.approx(rec[prec >= 0.6].max(), abs=1e-12)
    assert r.interval.method == "bootstrap-percentile-rechosen-threshold"
    assert r.interval.low <= r.estimate <= r.interval.high


def _top_k_brute(y, p, k: float) -> float:
    """Positives among the top k rows, averaged over every order of the tied block at the
    boundary (the expected value under random tie-breaking), by enumeration."""
    order = np.argsort(-p, kind="stable")
    ys, ps = y[order], p[order]
    whole = int(np.floor(k))
    boundary = ps[min(whole, len(ps) - 1)] if whole < len(ps) else None
    above = ys[ps > boundary].sum() if boundary is not None else ys.sum()
    n_above = int((ps > boundary).sum()) if boundary is not None else len(ps)
    if boundary is None or k <= n_above:
        return float(ys[:whole].sum() + (k - whole) * (ys[whole] if whole < len(ys) else 0))
    block = list(ys[ps == boundary])
    take = k - n_above
    perms = list(itertools.permutations(range(len(block))))
    total = 0.0
    for perm in perms:
        ordered = [block[i] for i in perm]
        full = int(np.floor(take))
        total += sum(ordered[:full]) + (take - full) * (ordered[full] if full < len(block) else 0)
    return float(above + total / len(perms))


def test_top_k_metrics_equal_brute_force_with_ties():
    y = np.array([1, 1, 0, 0, 1, 0, 1, 0, 0, 0])
    p = np.array([0.9, 0.8, 0.8, 0.8, 0.7, 0.6, 0.6, 0.2, 0.1, 0.05])
    for k in (1, 2, 3, 5, 6, 10):
        hits = _top_k_brute(y, p, k)
        assert _value(f"precision_at_k({k})", y, p) == pytest.approx(hits / k, abs=1e-12)
        assert _value(f"recall_at_k({k})", y, p) == pytest.approx(hits / y.sum(), abs=1e-12)
        lift = (hits / k) / y.mean()
        assert _value(f"lift_at_k({k})", y, p) == pytest.approx(lift, abs=1e-12)
    # a share: 25% of 10 rows = 2.5 rows (half of the third row, inside the tied block)
    hits = _top_k_brute(y, p, 2.5)
    assert _value("precision_at_k(25%)", y, p) == pytest.approx(hits / 2.5, abs=1e-12)


def test_top_k_distinct_scores_equal_sorting():
    y, p = _case(2, n=300)
    order = np.argsort(-p)
    for k in (10, 30, 150):
        hits = y[order[:k]].sum()
        assert _value(f"precision_at_k({k})", y, p) == pytest.approx(hits / k, abs=1e-12)
    hits = y[order[:30]].sum()  # 10% of 300
    assert _value("recall_at_k(10%)", y, p) == pytest.approx(hits / y.sum(), abs=1e-12)


def test_k_larger_than_rows_is_inconclusive_not_a_number():
    y, p = _case(3, n=50)
    ev = mg.evaluate(y, None, p, seed=0, resamples=100)
    r = ev.metric("precision_at_k(100)")
    assert np.isnan(r.estimate) and "larger than the 50 rows" in r.note
    with pytest.raises(AssertionError, match="INCONCLUSIVE"):
        mg.assert_metric(ev, "precision_at_k(100)", min=0.1)


# --- expected cost -----------------------------------------------------------------------------


def test_expected_cost_equals_brute_force_and_exact_interval():
    y, p = _case(4)
    pred = (p >= 0.4).astype(int)
    cost = {(0, 1): 1.0, (1, 0): 5.0}  # (true, predicted) -> cost
    brute = np.mean([cost.get((int(a), int(b)), 0.0) for a, b in zip(y, pred, strict=True)])
    ev = mg.evaluate(y, pred, p, seed=0)
    r = ev.metric("expected_cost(fn=5, fp=1)")
    assert r.metric == "expected_cost(fp=1, fn=5)"  # canonical spelling
    assert r.estimate == pytest.approx(brute, abs=1e-12)
    # three distinct costs: Hall's t of the per-row costs; two: exact Clopper–Pearson, mapped
    assert r.interval.method == "hall-t"
    two = ev.metric("expected_cost(fp=2, fn=2)")
    from scipy.stats import beta

    k, n = int((y != pred).sum()), len(y)
    lo, hi = beta.ppf(0.025, k, n - k + 1), beta.ppf(0.975, k + 1, n - k)
    assert two.estimate == pytest.approx(2 * k / n, abs=1e-12)
    assert (two.interval.low, two.interval.high) == pytest.approx((2 * lo, 2 * hi), abs=1e-12)
    _tn, fp, fn, tp = skm.confusion_matrix(y, pred).ravel()
    gain = ev.metric("expected_cost(fp=1, fn=5, tp=-2)").estimate
    assert gain == pytest.approx((fp + 5 * fn - 2 * tp) / n, abs=1e-12)


# --- calibration against statsmodels and brute force ---------------------------------------------


def test_calibration_slope_and_intercept_equal_statsmodels():
    sm = pytest.importorskip("statsmodels.api")
    y, p = _case(5, n=600)
    x = np.log(p / (1 - p))
    fit = sm.Logit(y, sm.add_constant(x)).fit(method="newton", tol=1e-14, maxiter=100, disp=0)
    glm = sm.GLM(y, np.ones((len(y), 1)), family=sm.families.Binomial(), offset=x).fit(
        tol=1e-14, maxiter=100
    )
    ev = mg.evaluate(y, None, p, seed=0)
    slope, intercept = ev.metric("calibration_slope"), ev.metric("calibration_intercept")
    assert slope.estimate == pytest.approx(fit.params[1], abs=1e-12)
    assert intercept.estimate == pytest.approx(glm.params[0], abs=1e-12)
    lo, hi = fit.conf_int(0.05)[1]
    assert (slope.interval.low, slope.interval.high) == pytest.approx((lo, hi), abs=1e-8)
    lo, hi = glm.conf_int(0.05)[0]
    assert (intercept.interval.low, intercept.interval.high) == pytest.approx((lo, hi), abs=1e-8)


def test_calibration_ratio_and_error_equal_brute_force():
    rng = np.random.default_rng(6)
    n, bins = 1000, 10
    p = rng.uniform(0.02, 0.9, n)  # distinct probabilities: equal-mass bins of 100 rows
    y = (rng.random(n) < np.clip(1.2 * p, 0, 1)).astype(int)  # under-predicting model
    ev = mg.evaluate(y, None, p, seed=0)
    assert ev.metric("calibration_ratio").estimate == pytest.approx(y.sum() / p.sum(), abs=1e-12)
    order = np.argsort(p)
    theta = 0.0
    for chunk in np.array_split(order, bins):
        r = y[chunk] - p[chunk]
        theta += len(chunk) / n * (r.mean() ** 2 - r.var(ddof=1) / len(chunk))
    got = ev.metric("calibration_error")
    assert got.estimate == pytest.approx(np.sqrt(max(theta, 0.0)), abs=1e-12)
    assert got.interval.low <= got.estimate <= got.interval.high
    # fewer than 100 rows per bin: a point estimate, no interval (INCONCLUSIVE by design)
    small = mg.evaluate(y[:500], None, p[:500], seed=0).metric("calibration_error")
    assert np.isnan(small.interval.low) and "smallest bin holds 50 rows" in small.note
    assert mg.evaluate(y[:500], None, p[:500]).metric("calibration_error(5)").interval.is_defined


def test_calibration_error_is_unbiased_where_the_plugin_ece_is_not():
    """At a calibrated model the squared estimate averages 0; the plug-in squared ECE does not."""
    from pytest_modelgate.estimates.calibration import squared_error_terms

    rng = np.random.default_rng(7)
    debiased, plugin = [], []
    for _ in range(200):
        p = rng.beta(2, 5, 300)
        y = (rng.random(300) < p).astype(float)
        theta, _, _, _ = squared_error_terms(p, y, None, 10)
        debiased.append(theta)
        order = np.argsort(p)
        plugin.append(sum(0.1 * (y[c] - p[c]).mean() ** 2 for c in np.array_split(order, 10)))
    se = np.std(debiased) / np.sqrt(len(debiased))
    assert abs(np.mean(debiased)) < 3 * se
    assert np.mean(plugin) > 10 * se


# --- gates, compare gates, slices, reports -------------------------------------------------------


def test_operating_point_compare_is_paired_and_rechooses_threshold():
    y, p = _case(8, n=500)
    rng = np.random.default_rng(9)
    base = np.clip(p + rng.normal(0, 0.15, len(p)), 0.001, 0.999)
    ev = mg.evaluate(y, None, p, baseline_score=base, seed=0, resamples=300)
    c = ev.compare("recall_at_precision(0.5)")
    assert c.paired and c.test == "paired-percentile-rechosen-threshold"
    assert c.candidate == pytest.approx(ev.metric("recall_at_precision(0.5)").estimate)
    assert c.interval.low < c.delta < c.interval.high


def test_calibration_metrics_refuse_compare_gates_with_a_reason():
    y, p = _case(10)
    ev = mg.evaluate(y, None, p, baseline_score=p, seed=0)
    with pytest.raises(SpecError, match="target .* not a direction"):
        mg.assert_no_regression(ev, "calibration_slope", max_drop=0.1)
    with pytest.raises(ModelgateError, match="not a direction"):
        ev.compare("calibration_slope")


SPEC = """\
version: 1
task: binary
data: {test: t.csv, target: y}
models: {candidate: {scores: s}}
GATES
"""


def _problems(gates: str, extra: str = "") -> str:
    with pytest.raises(SpecError) as info:
        parse_spec(SPEC.replace("GATES", extra + "gates:\n" + gates))
    return str(info.value)


@pytest.mark.parametrize(
    ("metric", "message"),
    [
        ("recall_at_precision(1.5)", r"the precision to reach must lie in \(0, 1\] \(got 1.5\)"),
        ("recall_at_precision", r"needs the precision to reach: write recall_at_precision"),
        ("precision_at_k(0.05)", r"k must be a whole number of rows >= 1 \(e.g. 100\) or a share"),
        ("lift_at_k(150%)", r"k must lie in \(0%, 100%\]"),
        ("tpr_at_fpr(abc)", r"must be a number \(got 'abc'\)"),
        ("expected_cost(fq=1)", r"'fq=1' is not cell=cost"),
        ("expected_cost(fp=1, fp=2)", r"the cost of fp is given twice"),
        ("calibration_error(1)", r"whole number in \[2, 100\]"),
        ("calibration_slope(2)", r"takes no parameters"),
    ],
)
def test_bad_parameters_are_located(metric: str, message: str):
    text = _problems(f"  - {{metric: '{metric}', min: 0.5}}\n")
    assert re.search(r"gates.yaml:\d+: gates\[0\]\.metric: ", text), text
    assert re.search(message, text), text


def test_compare_on_calibration_is_refused_at_its_line():
    text = _problems("  - {metric: calibration_ratio, compare: baseline, max_drop: 0.1}\n")
    assert re.search(r"gates.yaml:6: gates\[0\]\.metric: a compare gate is not available", text)


def test_spec_formula_metric_and_its_refusals():
    spec = parse_spec(
        SPEC.replace(
            "GATES",
            "metrics:\n  v19_net_benefit: {formula: '(tp - 0.25 * fp) / n'}\n"
            "gates:\n  - {metric: v19_net_benefit, min: 0.01}\n"
            "  - {metric: v19_net_benefit, compare: baseline, max_drop: 0.01}\n",
        )
    )
    assert [g.metric for g in spec.gates] == ["v19_net_benefit", "v19_net_benefit"]
    y, p = _case(11)
    pred = (p >= 0.4).astype(int)
    _tn, fp, _fn, tp = skm.confusion_matrix(y, pred).ravel()
    ev = mg.evaluate(y, pred, p, baseline_pred=(p >= 0.6).astype(int), seed=0, resamples=300)
    r = ev.metric("v19_net_benefit")
    assert r.estimate == pytest.approx((tp - 0.25 * fp) / len(y), abs=1e-12)
    assert r.interval.method.startswith("bootstrap")
    assert ev.compare("v19_net_benefit").paired
    for formula, why in [
        ("__import__('os').system('x')", "this call is not allowed"),
        ("tp.real", "Attribute is not allowed"),
        ("tp if fp else fn", "IfExp is not allowed"),
        ("secret / n", "the name 'secret' is not allowed"),
        ("'a' * 3", "the constant 'a' is not allowed"),
        ("1 + 2", "must use the counts"),
        ("(tp", "not a formula"),
    ]:
        text = _problems(
            "  - {metric: accuracy, min: 0.5}\n",
            extra=f'metrics:\n  v19_bad: {{formula: "{formula}"}}\n',
        )
        assert re.search(r"gates.yaml:6: metrics\.v19_bad\.formula: ", text), text
        assert why in text, text
    text = _problems("  - {metric: accuracy, min: 0.5}\n", "metrics:\n  recall: {formula: tp}\n")
    assert "'recall' is a built-in metric" in text


def test_formula_evaluator_is_vectorised_and_undefined_is_nan():
    f = compile_formula("tp / (tp + fp) - sqrt(fn) + max(tn, 1) ** 2")
    counts = np.array([[[[5, 1], [4, 0]], [[0, 0], [1, 0]]]], dtype=float)  # (1, 2, 2, 2)
    out = f(counts[0])
    assert out.shape == (2,) and np.isnan(out[1])  # 0 / 0
    assert out[0] == pytest.approx(0 / 1 - 2 + 25)
    with pytest.raises(FormulaError):
        compile_formula("lambda: tp")


def test_python_metric_decorator():
    @mg.metric(higher_is_better=True, bounds=(0.0, 1.0))
    def v19_threat_score(tp, fp, fn):
        """critical success index"""
        return tp / (tp + fp + fn)

    y, p = _case(12)
    pred = (p >= 0.4).astype(int)
    _tn, fp, fn, tp = skm.confusion_matrix(y, pred).ravel()
    ev = mg.evaluate(y, pred, p, baseline_pred=(p >= 0.5).astype(int), seed=0, resamples=300)
    r = mg.assert_metric(ev, "v19_threat_score", min=0.05)
    assert r.estimate == pytest.approx(tp / (tp + fp + fn), abs=1e-12)
    assert ev.compare("v19_threat_score").paired
    with pytest.raises(ValueError, match="keyword arguments among tp, fp, tn, fn"):
        mg.metric(lambda tp, x: tp)
    with pytest.raises(ValueError, match="must be vectorised"):

        @mg.metric
        def v19_scalar(tp, fp):
            return float(np.sum(tp)) / 1.0

    with pytest.raises(ValueError, match="already defined differently"):

        @mg.metric(name="v19_threat_score")
        def other(tp):
            return tp


def test_calibration_gate_reports_reliability_bins_and_plot(tmp_path):
    import pandas as pd

    from pytest_modelgate.report.html import render_html

    y, p = _case(13, n=500)
    pd.DataFrame({"y": y, "s": p, "g": np.arange(len(y)) % 2}).to_csv(tmp_path / "t.csv")
    (tmp_path / "gates.yaml").write_text(
        SPEC.replace(
            "GATES",
            "gates:\n  - {metric: 'calibration_error(5)', max: 0.2}\n"
            "  - {metric: calibration_slope, min: 0.5, max: 2.0, slices: [g]}\n"
            "  - {metric: 'recall_at_precision(0.5)', min: 0.01}\n",
        )
    )
    run = mg.run_gates(mg.load_spec(tmp_path / "gates.yaml"))
    by_metric = {r.metric: r for r in run.results}
    ce = by_metric["calibration_error(5)"]
    assert ce.verdict.value == "PASS"
    assert ce.groups is not None and len(ce.groups) == 5
    assert sum(g.n for g in ce.groups) == len(y)
    assert all(g.values["low"] <= g.values["observed"] <= g.values["high"] for g in ce.groups)
    page = render_html("gates.yaml", run.results, run.decision, {})
    assert "reliability diagram of calibration_error(5)" in page
    assert page.count("aria-label='reliability diagram") == 3  # one gate + two slices
