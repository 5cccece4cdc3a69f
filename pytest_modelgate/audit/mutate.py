"""Mutation testing of a gate spec: ``--modelgate-mutate`` and ``Evaluation.mutate()``.

Each mutant (:mod:`.mutants`) is the evidence a known-bad model would give on the same rows. The
metric, compare and fairness gates run on it through the one gate engine
(:func:`~pytest_modelgate.checks.engine.run_gate`) with the original run's slicings, baseline
and baseline subsets reused (no reloading, no retraining; ``check:`` gates are not re-run: they
judge data or the model object, which a prediction mutant does not have).

Every estimate of a mutation run (the candidate's too) uses at most :data:`MUTATION_RESAMPLES`
bootstrap resamples. A gate *kills* a mutant when its verdict is FAIL (or ERROR) on the mutant
but was not on the candidate, and its severity is ``block`` or ``review`` (a ``warn`` gate
notices, the release goes on). **Gate coverage** is the share of mutants killed. For each
surviving operator × target, a gate is proposed from a short list (the metric the fault moves,
on the slice it hit) and kept only if it is verified: it passes the candidate and kills the
survivor.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pytest_modelgate.results import Verdict

__all__ = ["MutantOutcome", "MutationReport", "run_mutation"]

_KILLING = (Verdict.FAIL, Verdict.ERROR)


@dataclass(frozen=True)
class MutantOutcome:
    operator: str
    target: str
    strength: float
    killed_by: tuple[str, ...]
    decision: str  # the mutant's release decision over the re-run gates

    @property
    def killed(self) -> bool:
        return bool(self.killed_by)

    def to_dict(self) -> dict[str, Any]:
        return {
            "operator": self.operator,
            "target": self.target,
            "strength": self.strength,
            "killed": self.killed,
            "killed_by": list(self.killed_by),
            "decision": self.decision,
        }


@dataclass(frozen=True)
class Survivor:
    operator: str
    target: str
    strength: float  # the strongest strength tried
    suggestion: str  # YAML (empty: no verified gate from the short list)
    suggested_gate: dict[str, Any] | None = None
    kills_from: float | None = None  # the weakest strength the suggested gate kills

    def to_dict(self) -> dict[str, Any]:
        return {
            "operator": self.operator,
            "target": self.target,
            "strength": self.strength,
            "suggested_gate": self.suggestion,
            "kills_from_strength": self.kills_from,
        }


@dataclass(frozen=True)
class MutationReport:
    mutants: tuple[MutantOutcome, ...]
    gates: tuple[str, ...]  # the gates re-run
    not_rerun: tuple[str, ...]  # check: gates
    skipped_operators: tuple[str, ...]  # operator (why)
    weakest: dict[str, dict[str, float]]  # gate → "operator target" → weakest killing strength
    survivors: tuple[Survivor, ...]
    seed: int
    seconds: float
    cpu_seconds: float
    original_decision: str = ""
    snippet: str = field(default="", compare=False)

    @property
    def killed(self) -> int:
        return sum(m.killed for m in self.mutants)

    @property
    def coverage(self) -> float:
        return self.killed / len(self.mutants) if self.mutants else float("nan")

    def to_dict(self) -> dict[str, Any]:
        return {
            "coverage": self.coverage,
            "killed": self.killed,
            "mutants": [m.to_dict() for m in self.mutants],
            "gates": list(self.gates),
            "not_rerun": list(self.not_rerun),
            "skipped_operators": list(self.skipped_operators),
            "weakest_strength_killed": self.weakest,
            "survivors": [s.to_dict() for s in self.survivors],
            "seed": self.seed,
            "seconds": self.seconds,
            "cpu_seconds": self.cpu_seconds,
            "original_decision": self.original_decision,
            "suggested_gates": self.snippet,
        }


def _mutant_inputs(inputs: Any, evidence: Any) -> Any:
    """The original inputs with the mutant's evidence: slicings, the baseline and its subsets
    are reused; every estimate of the candidate is recomputed."""
    from dataclasses import replace

    reuse = {
        k: v
        for k, v in inputs._cache.items()
        if k[0] in ("slices", "baseline", "api-slicing") or k[:2] == ("subset", "baseline")
    }
    return replace(inputs, candidate=evidence, _cache=reuse, evidence_builds=0)


#: bootstrap resamples of every estimate in a mutation run (candidate and mutants alike): a kill
#: is a clear change of verdict, not the last digit of an interval; 2000 would make each mutant
#: four times slower (the average-precision bootstrap dominates).
MUTATION_RESAMPLES = 500


def _fast_inputs(inputs: Any) -> Any:
    """The inputs with at most :data:`MUTATION_RESAMPLES` resamples (a fresh estimate cache)."""
    from dataclasses import replace

    stats = inputs.defaults.stats
    if stats.resamples <= MUTATION_RESAMPLES:
        return inputs
    defaults = replace(
        inputs.defaults, stats=stats.model_copy(update={"resamples": MUTATION_RESAMPLES})
    )
    return replace(_mutant_inputs(inputs, inputs.candidate), defaults=defaults)


def _verdicts(gates: Sequence[Any], inputs: Any) -> dict[str, tuple[Verdict, list[Any]]]:
    """Each gate's worst verdict (FAIL/ERROR over slices) and its results."""
    from pytest_modelgate.checks.engine import run_gate
    from pytest_modelgate.errors import ModelgateError

    out: dict[str, tuple[Verdict, list[Any]]] = {}
    for gate in gates:
        try:
            results = run_gate(gate, inputs)
        except ModelgateError:
            out[gate.id] = (Verdict.ERROR, [])
            continue
        verdicts = [r.verdict for r in results]
        worst = next(
            (v for v in _KILLING if v in verdicts), verdicts[0] if verdicts else Verdict.ERROR
        )
        if worst not in _KILLING and any(v is Verdict.INCONCLUSIVE for v in verdicts):
            worst = Verdict.INCONCLUSIVE
        out[gate.id] = (worst, results)
    return out


def _decision(results: list[Any]) -> str:
    from pytest_modelgate.decision import decide

    return str(decide(results).outcome)


def run_mutation(
    gates: Sequence[Any],
    inputs: Any,
    context: Any,
    *,
    task: str,
    operators: Sequence[str] | None = None,
) -> MutationReport:
    """Apply every operator at every strength and re-run ``gates`` on each mutant."""
    from pytest_modelgate.audit.mutants import OPERATORS, load_entry_points
    from pytest_modelgate.errors import ModelgateError

    started, cpu = time.perf_counter(), time.process_time()
    load_entry_points()
    names = list(operators) if operators is not None else list(OPERATORS)
    unknown = [n for n in names if n not in OPERATORS]
    if unknown:
        from pytest_modelgate.errors import did_you_mean

        raise ModelgateError(
            f"mutate: operators: unknown operator(s) {', '.join(map(repr, unknown))}"
            f"{did_you_mean(unknown, list(OPERATORS))} (registered: {', '.join(OPERATORS)})"
        )
    inputs = _fast_inputs(inputs)
    judged = [g for g in gates if g.kind in ("metric", "compare", "fairness")]
    not_rerun = tuple(g.id for g in gates if g.kind not in ("metric", "compare", "fairness"))
    original = _verdicts(judged, inputs)
    original_decision = _decision([r for _, rs in original.values() for r in rs])
    severity = {g.id: g.severity for g in judged}
    outcomes: list[MutantOutcome] = []
    skipped: list[str] = []
    mutant_evidence: dict[tuple[str, str, float], Any] = {}
    for name in names:
        op = OPERATORS[name]
        if op.needs_model and context.predict is None:
            skipped.append(f"{name} (needs the model and its input rows)")
            continue
        for strength in op.strengths:
            try:
                produced = list(op.fn(context, strength))
            except ModelgateError as exc:
                skipped.append(f"{name} ({exc})")
                break
            for target, evidence in produced:
                verdicts = _verdicts(judged, _mutant_inputs(inputs, evidence))
                killed_by = tuple(
                    gid
                    for gid, (v, _) in verdicts.items()
                    if v in _KILLING
                    and original[gid][0] not in _KILLING
                    and severity[gid] in ("block", "review")
                )
                decision = _decision([r for _, rs in verdicts.values() for r in rs])
                outcomes.append(MutantOutcome(name, target, strength, killed_by, decision))
                mutant_evidence[(name, target, strength)] = evidence
    weakest: dict[str, dict[str, float]] = {}
    for m in outcomes:
        for gid in m.killed_by:
            family = f"{m.operator} {m.target}"
            best = weakest.setdefault(gid, {})
            best[family] = min(best.get(family, m.strength), m.strength)
    from dataclasses import replace

    from pytest_modelgate.audit.snippets import gates_yaml
    from pytest_modelgate.audit.suggest import suggest_for_survivors

    survivors = []
    for i, s in enumerate(
        suggest_for_survivors(outcomes, mutant_evidence, inputs, context, task), start=1
    ):
        if s.suggested_gate is not None and s.kills_from is not None:
            gate = {**s.suggested_gate, "name": f"mutate_{i}_{s.operator}"}
            comment = (
                f"--modelgate-mutate: kills the surviving mutant {s.operator} {s.target} "
                f"(strength {s.strength:g}) from strength {s.kills_from:g}"
            )
            s = replace(s, suggested_gate=gate, suggestion=gates_yaml([([comment], gate)]))
        survivors.append(s)
    snippet = "".join(s.suggestion for s in survivors)
    return MutationReport(
        mutants=tuple(outcomes),
        gates=tuple(g.id for g in judged),
        not_rerun=not_rerun,
        skipped_operators=tuple(skipped),
        weakest=weakest,
        survivors=tuple(survivors),
        seed=int(context.seed),
        seconds=time.perf_counter() - started,
        cpu_seconds=time.process_time() - cpu,
        original_decision=original_decision,
        snippet=snippet,
    )
