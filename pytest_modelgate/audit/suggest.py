"""A verified gate for each surviving mutant: tried from a short list per operator (the metric the
fault moves, on the slice it hit), kept only when it passes the candidate and kills the mutant.

Every proposed gate is ``evidence: lenient`` with its bar at the candidate's own interval end
(rounded away from the model): it fails only when a model is *shown* worse than the candidate is
now, so re-evaluating an equally good model does not trip it, and a clearly broken one does.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pytest_modelgate.results import Verdict

__all__ = ["suggest_for_survivors"]

_KILLING = (Verdict.FAIL, Verdict.ERROR)
_BINARY = ("accuracy", "recall", "precision", "specificity", "roc_auc", "log_loss", "brier_score")


def _slice_of(target: str, sensitive: list[str]) -> dict[str, Any] | None:
    for column in sorted(sensitive, key=len, reverse=True):
        if target.startswith(f"{column}="):
            return {"where": {column: target[len(column) + 1 :]}}
    return None


def _candidates(operator: str, target: str, context: Any, task: str) -> Iterator[dict[str, Any]]:
    """Raw gates (with ``bar`` placeholders) to try, best first; ``_direction``: ``low`` pins a
    floor, ``high`` a ceiling (suspiciously good)."""
    if task == "regression":
        for m in ("mae", "rmse"):
            yield {"metric": m}
        return
    if task == "multiclass":
        metrics: tuple[str, ...] = ("accuracy", "balanced_accuracy", "log_loss")
    else:
        metrics = _BINARY
    if operator == "leak_label":
        for m in ("accuracy", "roc_auc"):
            yield {"metric": m, "_direction": "high"}
        return
    if operator in ("miscalibrate", "noise"):
        metrics = tuple(m for m in ("log_loss", "brier_score") if m in metrics) + metrics
    if operator == "degrade_class" and task == "binary":
        first = "recall" if target == f"class {context.evidence.classes[1]}" else "specificity"
        metrics = (first, *metrics)
    if operator == "swap_sensitive":
        column = target.split(": ", 1)[0]
        for gap in ("equalized_odds_difference", "demographic_parity_difference"):
            yield {"fairness": gap, "sensitive": column}
        yield {"metric": "accuracy", "slices": [column]}
    sliced = _slice_of(target, context.sensitive) if operator == "flip_slice" else None
    for m in dict.fromkeys(metrics):
        yield {"metric": m, **({"slices": [sliced]} if sliced else {})}


def _with_bar(raw: dict[str, Any], results: list[Any], task: str) -> dict[str, Any] | None:
    """The gate with its bar at the candidate's interval end (over slices: the worst end)."""
    from pytest_modelgate.audit.scan import round_bar
    from pytest_modelgate.estimates.metrics import get_metric

    direction = raw.pop("_direction", "low")
    ends = [r.interval for r in results if r.interval is not None and r.interval.is_defined]
    if not ends or len(ends) != len(results):
        return None
    # a fairness gap: lower is better
    higher = "fairness" not in raw and get_metric(raw["metric"], task).higher_is_better
    if direction == "high":  # a ceiling on a higher-is-better metric
        bar = round_bar(max(i.high for i in ends), higher=False)
        return {**raw, "max": bar, "evidence": "lenient"}
    if higher:
        return {
            **raw,
            "min": round_bar(min(i.low for i in ends), higher=True),
            "evidence": "lenient",
        }
    return {**raw, "max": round_bar(max(i.high for i in ends), higher=False), "evidence": "lenient"}


def _run(raw: dict[str, Any], inputs: Any, task: str) -> tuple[Verdict, list[Any]]:
    from pytest_modelgate.checks.engine import run_gate
    from pytest_modelgate.errors import ModelgateError
    from pytest_modelgate.spec import gate_from_arguments

    try:
        gate = gate_from_arguments(dict(raw), task=task, caller="mutate")
        results = run_gate(gate, inputs)
    except (ModelgateError, KeyError):
        return Verdict.ERROR, []
    verdicts = [r.verdict for r in results]
    worst = next((v for v in _KILLING if v in verdicts), Verdict.PASS)
    return worst, results


def suggest_for_survivors(
    outcomes: list[Any],
    evidence: dict[tuple[str, str, float], Any],
    inputs: Any,
    context: Any,
    task: str,
) -> list[Any]:
    """One :class:`~pytest_modelgate.audit.mutate.Survivor` per operator × target that no gate
    killed at any strength."""
    from pytest_modelgate.audit.mutate import Survivor, _mutant_inputs

    families: dict[tuple[str, str], list[Any]] = {}
    for m in outcomes:
        families.setdefault((m.operator, m.target), []).append(m)
    survivors = []
    for (operator, target), members in families.items():
        if any(m.killed for m in members):
            continue
        members = sorted(members, key=lambda m: m.strength)
        strongest = members[-1]
        found = None
        for raw in _candidates(operator, target, context, task):
            placeholder = {k: v for k, v in raw.items() if k != "_direction"}
            placeholder.setdefault(
                "min" if "metric" in raw else "max", 0.0 if "metric" in raw else 1.0
            )
            if "fairness" in raw:
                placeholder = {**placeholder, "max": 1.0}
            verdict, results = _run(placeholder, inputs, task)
            if verdict is Verdict.ERROR or not results:
                continue
            gate = _with_bar(dict(raw), results, task)
            if gate is None or _run(gate, inputs, task)[0] in _KILLING:
                continue
            key = (operator, target, strongest.strength)
            if _run(gate, _mutant_inputs(inputs, evidence[key]), task)[0] not in _KILLING:
                continue
            kills_from = strongest.strength
            for m in members[:-1]:
                ev = evidence[(operator, target, m.strength)]
                if _run(gate, _mutant_inputs(inputs, ev), task)[0] in _KILLING:
                    kills_from = m.strength
                    break
            found = (gate, kills_from)
            break
        if found is None:
            survivors.append(Survivor(operator, target, strongest.strength, ""))
        else:
            survivors.append(Survivor(operator, target, strongest.strength, "", found[0], found[1]))
    return survivors
