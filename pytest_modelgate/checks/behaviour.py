"""Behavioural ``check:`` gates: perturb a column, count predictions that change or move wrongly.

``invariance`` counts perturbed rows whose predicted label changes; ``directional`` counts those
whose positive-class score (or prediction) moves against the expected direction.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from pytest_modelgate.checks.common import (
    CheckRule,
    RateJudgement,
    details_table,
    gate_fields,
    judge_rate,
)
from pytest_modelgate.checks.inputs import CheckInputs
from pytest_modelgate.errors import DataError, ModelError
from pytest_modelgate.results import CheckResult, Threshold, Verdict

__all__ = ["behaviour"]


def _perturbed(X: pd.DataFrame, p: Any, where: str) -> tuple[pd.DataFrame, np.ndarray]:
    """A copy of X with the perturbation applied, and the mask of rows it changed."""
    if p.column not in X.columns:
        raise DataError(
            f"{where}: perturb.column {p.column!r} is not in the test data "
            f"(columns: {', '.join(map(str, X.columns[:20]))})"
        )
    col = X[p.column]
    if p.swap is not None:
        a, b = (str(v) for v in p.swap)
        text = col.astype(str)
        new = col.where(~text.eq(a), p.swap[1]).where(~text.eq(b), p.swap[0])
        changed = (text.eq(a) | text.eq(b)).to_numpy()
    elif p.set is not None:
        new = pd.Series(p.set, index=col.index)
        changed = (col.astype(str) != str(p.set)).to_numpy()
    else:
        values = pd.to_numeric(col, errors="coerce")
        new = values + p.add if p.add is not None else values * p.multiply
        changed = values.notna().to_numpy()
    out = X.copy()
    out[p.column] = new
    return out, changed


def behaviour(gate: Any, inputs: CheckInputs) -> CheckResult:
    """An ``invariance`` or ``directional`` gate: the candidate before and after perturbing."""
    cfg = gate.config
    _model, X = inputs.model_input("model_and_features")()
    where = inputs.where("gates", gate.index, "perturb")
    frame = inputs.test()
    # perturb the data, then hand the model its own columns: a column that is not model input
    # (a sensitive attribute kept out of the model) leaves it invariant by construction
    full, touched = _perturbed(frame, cfg.perturb, where)
    note = (
        ""
        if cfg.perturb.column in X.columns
        else (f"{cfg.perturb.column} is not a model input: invariant by construction")
    )
    # "before" is the candidate's evidence on the test rows, computed once by the runner;
    # "after" is encoded the same way (positive class, threshold, score column)
    before_ev = inputs.model_input("candidate")()
    after_ev = inputs.model_input("evidence_on")(full, f"{where} (perturbed rows)")
    if cfg.check == "invariance":
        if before_ev.y_pred is None or after_ev.y_pred is None:
            raise ModelError(f"{where}: invariance needs predicted labels")
        before, after = before_ev.y_pred, after_ev.y_pred
        if before_ev.classes:
            before = np.asarray(before_ev.classes, dtype=object)[before]
            after = np.asarray(after_ev.classes, dtype=object)[after]
        bad = (before != after) & touched
        limit, what = cfg.max_changed, "predictions changed"
    else:
        use_scores = before_ev.scores is not None and before_ev.scores.ndim == 1
        before = before_ev.scores if use_scores else before_ev.y_pred
        after = after_ev.scores if use_scores else after_ev.y_pred
        assert before is not None and after is not None
        move = np.asarray(after, dtype=float) - np.asarray(before, dtype=float)
        bad = (move < -1e-12 if cfg.direction == "increase" else move > 1e-12) & touched
        limit, what = cfg.max_violations, f"scores moved against the expected {cfg.direction}"
    n = int(touched.sum())
    count = int(bad.sum())
    rule_of = CheckRule.of(gate, inputs.stats)
    subject = (
        "perturbed rows whose prediction changed"
        if cfg.check == "invariance"
        else f"perturbed rows whose score moved against the expected {cfg.direction}"
    )
    judged = judge_rate(count, n, limit, rule_of, subject)
    p = cfg.perturb
    how = (
        f"swap {p.swap[0]!r}↔{p.swap[1]!r}"
        if p.swap is not None
        else f"add {p.add:g}"
        if p.add is not None
        else f"multiply by {p.multiply:g}"
        if p.multiply is not None
        else f"set to {p.set!r}"
    )
    rule = judged.rule
    share_text = "" if n == 0 else f" ({judged.share:.2%}, {judged.interval.method} {_iv(judged)})"
    summary = f"{count} of {n} perturbed rows{share_text}: {what} ({p.column}: {how})"
    if note:
        summary += f" — {note}"
    if n == 0:
        summary += " — the perturbation changed no row (are the values in the data?)"
    examples = [(f"row {int(i)}", f"{before[i]!r} → {after[i]!r}") for i in np.flatnonzero(bad)[:5]]
    verdict = judged.verdict
    next_step: list[tuple[str, str]] = []
    if verdict is Verdict.FAIL:
        next_step = [
            (
                "next",
                f"the model depends on {p.column} in a way the rule forbids: inspect these rows",
            )
        ]
    elif verdict is Verdict.INCONCLUSIVE:
        next_step = [("next", f"{judged.reason}: perturb a column with more affected rows")]
    details = details_table(
        [
            ("check", cfg.check),
            ("perturb", f"{p.column}: {how}"),
            ("rule", rule),
            ("measured", summary),
            *([("note", note)] if note else []),
            *examples,
            *next_step,
        ]
    )
    head = f"{verdict.value}: " + (f"{judged.reason}; " if judged.reason else "")
    return CheckResult(
        verdict=verdict,
        message=head + summary,
        details=details,
        estimate=None if n == 0 else judged.share,
        interval=judged.interval if n else None,
        threshold=Threshold(max=limit),
        rule=rule,
        n=n,
        **gate_fields(gate, rule_of.evidence if limit else "point"),
    )


def _iv(judged: RateJudgement) -> str:
    return f"[{judged.interval.low:.2%}, {judged.interval.high:.2%}]"
