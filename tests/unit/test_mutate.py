"""Mutation testing of a gate spec: operators against brute force, kill semantics, determinism,
extension by registration, and the proposed gate killing the survivor it was proposed for."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import pytest_modelgate as mg
from pytest_modelgate.audit.mutants import OPERATORS, MutationContext, register_mutant
from pytest_modelgate.errors import ModelgateError


@pytest.fixture(scope="module")
def evaluation() -> mg.Evaluation:
    rng = np.random.default_rng(5)
    n = 3000
    group = rng.choice(["a", "b", "c"], n, p=[0.5, 0.4, 0.1])
    score = np.clip(1 / (1 + np.exp(-2.5 * rng.normal(size=n))), 0.001, 0.999)
    y = (rng.random(n) < score).astype(int)  # calibrated scores
    return mg.evaluate(y, None, score, sensitive={"group": group}, resamples=200, seed=3)


GATES = [{"metric": "accuracy", "min": 0.7}, {"metric": "roc_auc", "min": 0.8}]


def test_operators_change_what_they_say(evaluation):
    ev = evaluation.candidate
    ctx = MutationContext(ev, evaluation.sensitive, ["group"], seed=0)
    flipped = dict(OPERATORS["flip_slice"].fn(ctx, 0.5))["group=c"]
    in_c = (evaluation.sensitive["group"] == "c").to_numpy()
    changed = flipped.y_pred != ev.y_pred
    assert not changed[~in_c].any()
    assert changed[in_c].sum() == round(0.5 * in_c.sum())
    assert np.allclose(flipped.scores[changed], 1 - ev.scores[changed])
    ((_, calibrated),) = OPERATORS["miscalibrate"].fn(ctx, 2.0)
    logit = np.log(ev.scores / (1 - ev.scores))
    assert np.allclose(calibrated.scores, 1 / (1 + np.exp(-2 * logit)))
    assert (calibrated.y_pred == ev.y_pred).all()  # the threshold 0.5 is a fixed point
    ((_, leaked),) = OPERATORS["leak_label"].fn(ctx, 0.2)
    picked = np.zeros(3000, dtype=bool)
    picked[ctx.rng("leak_label:0.2").choice(3000, size=600, replace=False)] = True
    assert np.allclose(leaked.scores[picked], np.where(ev.y_true[picked] == 1, 0.99, 0.01))
    assert picked.sum() == 600 and (leaked.y_pred[picked] == leaked.y_true[picked]).all()
    assert (leaked.y_pred[~picked] == ev.y_pred[~picked]).all()


def test_gate_coverage_and_kills(evaluation):
    report = evaluation.mutate(GATES)
    by = {(m.operator, m.target, m.strength): m for m in report.mutants}
    assert "accuracy>=0.7" in by[("degrade_class", "class 1", 0.5)].killed_by
    assert not by[("miscalibrate", "all rows", 3.0)].killed  # no calibration gate
    assert report.coverage == pytest.approx(np.mean([m.killed for m in report.mutants]))
    assert report.weakest["accuracy>=0.7"]["degrade_class class 1"] <= 0.5
    assert "shuffle_feature (needs the model and its input rows)" in report.skipped_operators
    assert report.to_dict()["mutants"][0].keys() >= {"operator", "killed_by", "decision"}


def test_the_suggested_gate_kills_its_survivor(evaluation):
    report = evaluation.mutate(GATES, operators=["miscalibrate"])
    (survivor,) = report.survivors
    assert survivor.suggested_gate is not None, survivor
    gate = survivor.suggested_gate
    assert gate["metric"] in ("log_loss", "brier_score") and gate["evidence"] == "lenient"
    # paste the snippet into a spec: it parses to the same gate
    from pytest_modelgate.spec import parse_spec

    parsed = parse_spec(
        "version: 1\ndata: {test: t.csv, target: y}\nmodels: {candidate: m.joblib}\ngates:\n"
        + survivor.suggestion
    )
    assert parsed.gates[0].config.max == gate["max"]
    again = evaluation.mutate([*GATES, gate], operators=["miscalibrate"])
    assert not again.survivors
    strongest = [m for m in again.mutants if m.strength == survivor.strength]
    assert gate["name"] in strongest[0].killed_by
    # and the candidate itself still passes it
    assert evaluation.check(**gate)[0].verdict is mg.Verdict.PASS


def test_mutants_are_seeded_and_deterministic(evaluation):
    a = evaluation.mutate(GATES, operators=["noise", "flip_slice"]).to_dict()
    b = evaluation.mutate(GATES, operators=["noise", "flip_slice"]).to_dict()
    for d in (a, b):
        d.pop("seconds"), d.pop("cpu_seconds")
    assert a == b


def test_a_registered_operator_runs(evaluation):
    @register_mutant("test_all_negative", strengths=(1.0,))
    def all_negative(ctx, strength):
        """Every score zero."""
        yield "all rows", ctx.with_scores(np.zeros_like(ctx.scores))

    try:
        report = evaluation.mutate(GATES, operators=["test_all_negative"])
        (m,) = report.mutants
        assert (
            set(m.killed_by) == {"accuracy>=0.7", "roc_auc>=0.8"} or "accuracy>=0.7" in m.killed_by
        )
    finally:
        del OPERATORS["test_all_negative"]


def test_unknown_operator_is_named(evaluation):
    with pytest.raises(ModelgateError, match="did you mean .noise."):
        evaluation.mutate(GATES, operators=["nois"])


def test_input_row_operators_repredict_when_a_predictor_is_given():
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"f": rng.normal(size=800), "k": rng.choice(["u", "v"], 800)})
    y = (X["f"] + rng.normal(0, 0.5, 800) > 0).astype(int)
    model = LogisticRegression().fit(X[["f"]], y)
    ev = mg.evaluate(y, None, model.predict_proba(X[["f"]])[:, 1], sensitive=X[["k"]], seed=0)
    report = ev.mutate(
        [{"metric": "roc_auc", "min": 0.8}],
        operators=["shuffle_feature"],
        features=X[["f"]],
        predict=lambda frame: model.predict_proba(frame[["f"]])[:, 1],
    )
    assert [(m.target, m.strength, m.killed) for m in report.mutants] == [
        ("feature f", 0.5, True),
        ("feature f", 1.0, True),
    ]
