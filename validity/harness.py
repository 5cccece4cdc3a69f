"""Run the matrix: R seeded replications per scenario, every gate judged through the public API.

For each draw a scenario's gates are judged twice:

* **the interval itself** — ``evaluate(..., min_support=1)``: the interval of ``.metric()``,
  ``.compare()`` or ``.fairness()`` is read and the product's rule applied to it (strict min:
  PASS iff ``low >= bar``; lenient min: FAIL iff ``high < bar``; mirrored for max). An undefined
  interval is INCONCLUSIVE (neither a false PASS nor a false FAIL). Slices are judged by
  ``assert_slices`` (the only public route to the lenient Holm rule);
* **the product's defaults** — ``evaluate(...)`` with the default ``min_support`` (30) and the
  assertion helpers (``assert_metric``, ``assert_slices``, ``assert_no_regression``,
  ``assert_fair``): the verdict PASS / FAIL / INCONCLUSIVE / ERROR the user would see.

Both share the bootstrap seed, so they differ only where ``min_support`` matters.

Randomness: ``SeedSequence(root_seed, spawn_key=(crc32(scenario id),))`` spawns one child per
replication; the child seeds the data generator and the API's bootstrap ``seed``. Results do not
depend on the number of workers or the order in which scenarios run.
"""

from __future__ import annotations

import inspect
import math
import time
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats

from . import NOMINAL_COVERAGE, NOMINAL_ERROR
from .scenarios import SCENARIOS, Check, Sample, Scenario, generate

__all__ = ["ROOT_SEED", "Tally", "run_scenario", "summarize"]

ROOT_SEED = 13
DEFAULT_MIN_SUPPORT = None  # None: leave evaluate()'s own default (30 today)
VERDICTS = ("PASS", "FAIL", "INCONCLUSIVE", "ERROR", "REFUSED")


def _api() -> Any:
    import pytest_modelgate as mg

    return mg


def evaluate_accepts_cluster() -> bool:
    """Whether the installed ``evaluate`` has a ``cluster`` parameter (issue #13 asks for one)."""
    return "cluster" in inspect.signature(_api().evaluate).parameters


# --- one replication -----------------------------------------------------------------------------


@dataclass
class Outcome:
    """What one gate did on one draw."""

    method: str
    covered: int  # intervals containing the truth (slices: one per slice)
    judged: int  # defined intervals (slices: one per slice)
    error: bool  # the interval (min_support = 1) errs at the bar under the gate's rule
    undefined: bool  # the interval is undefined (INCONCLUSIVE at min_support = 1)
    default: str  # verdict with the product's defaults (PASS/FAIL/INCONCLUSIVE/ERROR/REFUSED)
    mismatch: bool = False  # the defaults' verdict disagrees with the rule on its own interval


def is_error(rule: str, low: float, high: float, bar: float) -> bool:
    """The product's rule, applied at a bar that equals the truth: does the gate err?"""
    if rule == "strict-min":
        return low >= bar  # false PASS
    if rule == "lenient-min":
        return high < bar  # false FAIL
    if rule == "strict-max":
        return high <= bar  # false PASS
    if rule == "lenient-max":
        return low > bar  # false FAIL
    raise ValueError(rule)


def _errs_by_verdict(rule: str, verdict: str) -> bool:
    return verdict == ("PASS" if rule.startswith(("strict", "slices-strict")) else "FAIL")


def _parse_verdict(exc: AssertionError) -> str:
    """The verdict an assertion helper failed with: its message starts with ``FAIL:`` /
    ``INCONCLUSIVE:`` / ``ERROR`` (after an optional ``[slice] `` prefix)."""
    head = str(exc).lstrip()
    if head.startswith("["):
        head = head.split("] ", 1)[-1]
    word = head.split(":", 1)[0].strip().split(" ", 1)[0]
    return word if word in ("FAIL", "INCONCLUSIVE", "ERROR") else "FAIL"


def _verdict(call: Callable[[], Any]) -> str:
    """PASS / FAIL / INCONCLUSIVE / ERROR of an assertion helper (INCONCLUSIVE made to raise),
    REFUSED when it raises a ``ModelgateError`` (e.g. the data are refused)."""
    mg = _api()
    try:
        call()
    except AssertionError as exc:
        return _parse_verdict(exc)
    except mg.ModelgateError:
        return "REFUSED"
    return "PASS"


def _evaluate(sample: Sample, seed: int, min_support: int | None, cluster: bool) -> Any:
    mg = _api()
    kwargs: dict[str, Any] = {
        "sensitive": sample.sensitive,
        "baseline_pred": sample.baseline_pred,
        "baseline_score": sample.baseline_score,
        "seed": seed,
    }
    if min_support is not None:
        kwargs["min_support"] = min_support
    if cluster and sample.cluster is not None:
        kwargs["cluster"] = sample.cluster
    if sample.classes is not None:  # #19: multiclass score columns
        kwargs["classes"] = sample.classes
    if sample.sample_weight is not None:
        kwargs["sample_weight"] = sample.sample_weight
    return mg.evaluate(sample.y_true, sample.y_pred, sample.y_score, **kwargs)


def _bound_kwargs(check: Check) -> dict[str, float]:
    return {"min": check.bar} if check.rule.endswith("min") else {"max": check.bar}


def _interval_outcome(check: Check, result: Any) -> tuple[str, int, int, bool, bool]:
    iv = result.interval
    low, high = float(iv.low), float(iv.high)
    if math.isnan(low) or math.isnan(high) or math.isnan(float(result.estimate)):
        return iv.method, 0, 0, False, True
    covered = int(low <= check.truth <= high)
    return iv.method, covered, 1, is_error(check.rule, low, high, check.bar), False


def _gate(family: str, check: Check, ev30: Any) -> tuple[Callable[[Any], Any], Callable[[], Any]]:
    """For one gate: how to get its result (with the interval) from an Evaluation, and the
    assertion helper that judges it with the product's defaults."""
    mg = _api()
    evidence = "strict" if "strict" in check.rule else "lenient"
    if family.startswith("compare"):
        return (
            lambda ev: ev.compare(check.metric),
            lambda: mg.assert_no_regression(
                ev30, check.metric, max_drop=-check.bar, evidence=evidence
            ),
        )
    if family.startswith("fairness"):
        return (
            lambda ev: ev.fairness(check.metric, "g"),
            lambda: mg.assert_fair(
                ev30, check.metric, sensitive="g", evidence=evidence, **_bound_kwargs(check)
            ),
        )
    return (
        lambda ev: ev.metric(check.metric),
        lambda: mg.assert_metric(
            ev30, check.metric, evidence=evidence, inconclusive="fail", **_bound_kwargs(check)
        ),
    )


#: prefix of the clustered scenarios' checks judged on the i.i.d. interval (no cluster ids)
IID_PREFIX = "iid/"


def _probe(scenario: Scenario, sample: Sample, seed: int, cluster: bool) -> dict[str, Outcome]:
    """Every gate of a scenario on one draw. Clustered scenarios run twice on the same draw:
    their ``iid/...`` gates without the cluster ids (the i.i.d. interval), the others with them
    (the cluster-robust interval) — so the matrix shows how much too narrow i.i.d. is."""
    if scenario.family != "clustered":
        return _probe_checks(scenario, scenario.checks, sample, seed, cluster)
    iid = tuple(c for c in scenario.checks if c.key.startswith(IID_PREFIX))
    robust = tuple(c for c in scenario.checks if not c.key.startswith(IID_PREFIX))
    out = _probe_checks(scenario, iid, sample, seed, False)
    out.update(_probe_checks(scenario, robust, sample, seed, cluster))
    return out


def _probe_checks(
    scenario: Scenario, checks: tuple[Check, ...], sample: Sample, seed: int, cluster: bool
) -> dict[str, Outcome]:
    mg = _api()
    out: dict[str, Outcome] = {}
    try:
        ev1 = _evaluate(sample, seed, 1, cluster)
    except mg.ModelgateError:
        return {c.key: Outcome("refused", 0, 0, False, True, "REFUSED") for c in checks}
    try:
        ev30 = _evaluate(sample, seed, DEFAULT_MIN_SUPPORT, cluster)
    except mg.ModelgateError:
        ev30 = None
    family = scenario.family
    if family == "slices":
        return _probe_slices(scenario, ev1, ev30)
    for check in checks:
        result_of, default_call = _gate(family, check, ev30)
        try:
            method, covered, judged, err, undefined = _interval_outcome(check, result_of(ev1))
        except mg.ModelgateError:
            method, covered, judged, err, undefined = "refused", 0, 0, False, True
        if ev30 is None:
            out[check.key] = Outcome(method, covered, judged, err, undefined, "REFUSED")
            continue
        vd = _verdict(default_call)
        mismatch = False
        if vd in ("PASS", "FAIL"):
            iv = result_of(ev30).interval  # cached by the Evaluation
            if not (math.isnan(iv.low) or math.isnan(iv.high)):
                mismatch = _errs_by_verdict(check.rule, vd) != is_error(
                    check.rule, iv.low, iv.high, check.bar
                )
        out[check.key] = Outcome(method, covered, judged, err, undefined, vd, mismatch)
    return out


def _probe_slices(scenario: Scenario, ev1: Any, ev30: Any) -> dict[str, Outcome]:
    """Slices: one draw judged by both rules. The strict rule at min_support = 1 is read off the
    per-slice intervals (every slice's ``low >= bar``); the lenient rule needs Holm, so it is
    ``assert_slices(..., evidence="lenient")``; the defaults' verdicts are ``assert_slices``."""
    mg = _api()
    check0 = scenario.checks[0]
    bar, truth, metric = check0.bar, check0.truth, check0.metric

    def call(ev: Any, evidence: str) -> Callable[[], Any]:
        return lambda: mg.assert_slices(
            ev, metric, "s", min=bar, evidence=evidence, inconclusive="fail"
        )

    # assert_slices returns the per-slice table when it passes: reuse it (each slice lookup
    # costs about a millisecond, the bulk of these scenarios' time)
    try:
        table = call(ev1, "lenient")()
        v1 = "PASS"
    except AssertionError as exc:
        v1 = _parse_verdict(exc)
        table = ev1.by_slice(metric, "s")
    low, high = table["low"].to_numpy(float), table["high"].to_numpy(float)
    ok = ~(np.isnan(low) | np.isnan(high))
    covered = int(np.sum((low <= truth) & (truth <= high) & ok))
    method = "+".join(sorted(set(map(str, table["method"]))))

    out = {}
    for check in scenario.checks:
        if check.rule == "slices-strict":
            undefined = not ok.all()
            error = bool(ok.all() and np.all(low >= bar))
        else:
            undefined, error = v1 == "INCONCLUSIVE", v1 == "FAIL"
        evidence = "strict" if check.rule == "slices-strict" else "lenient"
        vd = _verdict(call(ev30, evidence)) if ev30 is not None else "REFUSED"
        out[check.key] = Outcome(method, covered, int(ok.sum()), error, undefined, vd)
    return out


# --- tallies -------------------------------------------------------------------------------------


@dataclass
class Tally:
    reps: int = 0
    errors: int = 0
    undefined: int = 0
    covered: int = 0
    judged: int = 0
    default_errors: int = 0
    mismatches: int = 0
    methods: Counter = field(default_factory=Counter)
    default: Counter = field(default_factory=Counter)

    def add(self, check: Check, o: Outcome) -> None:
        self.reps += 1
        self.errors += o.error
        self.undefined += o.undefined
        self.covered += o.covered
        self.judged += o.judged
        self.methods[o.method] += 1
        self.default[o.default] += 1
        self.default_errors += _errs_by_verdict(check.rule, o.default)
        self.mismatches += o.mismatch


def _exact_sample(scenario: Scenario, k: int) -> tuple[Sample, float]:
    """A test set with exactly ``k`` successes, and its binomial probability."""
    p = scenario.params
    if scenario.family == "accuracy":
        n = p["n"]
        y = np.arange(n) % 2
        pred = np.where(np.arange(n) < k, y, 1 - y)
        return Sample(y, pred), float(stats.binom.pmf(k, n, p["p"]))
    n_pos = p["n_pos"]
    n_neg = 2 * n_pos
    y = np.r_[np.ones(n_pos, np.int64), np.zeros(n_neg, np.int64)]
    pred = np.r_[np.arange(n_pos) < k, np.arange(n_neg) < n_neg // 10].astype(np.int64)
    return Sample(y, pred), float(stats.binom.pmf(k, n_pos, p["p"]))


def exact_rates(scenario: Scenario) -> dict[str, dict[str, float]]:
    """Binomial cells: the exact error, coverage and defaults' rates, by enumerating every count
    of successes (probability > 1e-15) through the public API."""
    trials = scenario.params["n"] if scenario.family == "accuracy" else scenario.params["n_pos"]
    rate = scenario.params["p"]
    ks = [k for k in range(trials + 1) if stats.binom.pmf(k, trials, rate) > 1e-15]
    acc: dict[str, Counter] = {c.key: Counter() for c in scenario.checks}
    for k in ks:
        sample, prob = _exact_sample(scenario, k)
        outcomes = _probe(scenario, sample, 0, cluster=False)
        for check in scenario.checks:
            o = outcomes[check.key]
            a = acc[check.key]
            a["mass"] += prob
            a["error"] += prob * o.error
            a["covered"] += prob * o.covered
            a["judged"] += prob * o.judged
            a["default_error"] += prob * _errs_by_verdict(check.rule, o.default)
            a["inconclusive"] += prob * (o.default == "INCONCLUSIVE")
    return {
        key: {
            "error": a["error"],
            "coverage": a["covered"] / a["judged"] if a["judged"] else float("nan"),
            "default_error": a["default_error"],
            "default_inconclusive": a["inconclusive"],
            "mass": a["mass"],
        }
        for key, a in acc.items()
    }


def run_scenario(
    scenario_id: str, reps: int, root_seed: int = ROOT_SEED, cluster: bool | None = None
) -> dict[str, Any]:
    """Run one scenario; returns its tallies (plain data, picklable) and timings."""
    scenario = SCENARIOS[scenario_id]
    if cluster is None:
        cluster = evaluate_accepts_cluster()
    ss = np.random.SeedSequence(root_seed, spawn_key=(zlib.crc32(scenario.id.encode()),))
    tallies = {c.key: Tally() for c in scenario.checks}
    exceptions: Counter = Counter()
    t0, c0 = time.perf_counter(), time.process_time()
    for child in ss.spawn(reps):
        rng = np.random.default_rng(child)
        seed = int(child.generate_state(1)[0])
        sample = generate(scenario, rng)
        try:
            outcomes = _probe(scenario, sample, seed, cluster)
        except Exception as exc:  # an API exception that is not a ModelgateError: a bug
            exceptions[f"{type(exc).__name__}: {str(exc)[:200]}"] += 1
            continue
        for check in scenario.checks:
            tallies[check.key].add(check, outcomes[check.key])
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    exact = None
    t1 = time.perf_counter()
    if scenario.exact:
        exact = exact_rates(scenario)
    return {
        "scenario": scenario.id,
        "reps": reps,
        "seconds": elapsed,
        "cpu_seconds": cpu,
        "exact_seconds": time.perf_counter() - t1 if scenario.exact else 0.0,
        "cluster_passed": bool(cluster and scenario.family == "clustered"),
        "exceptions": dict(exceptions),
        "tallies": {k: _tally_dict(t) for k, t in tallies.items()},
        "exact": exact,
    }


def _tally_dict(t: Tally) -> dict[str, Any]:
    return {
        "reps": t.reps,
        "errors": t.errors,
        "undefined": t.undefined,
        "covered": t.covered,
        "judged": t.judged,
        "default_errors": t.default_errors,
        "mismatches": t.mismatches,
        "methods": dict(t.methods),
        "default": dict(t.default),
    }


# --- summary rows --------------------------------------------------------------------------------


def _se(p: float, n: int) -> float:
    return math.sqrt(p * (1 - p) / n) if n > 0 else float("nan")


def summarize(result: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per gate of a scenario, with rates, Monte-Carlo s.e. and the contract verdict.

    Contract: one-sided error ≤ nominal + 3·s.e.₀ and coverage ≥ nominal − 3·s.e.₀, where s.e.₀
    is the Monte-Carlo s.e. a rate *at* the nominal value would have with this many replications
    (so a cell is flagged only when its excess is significant at about the 0.13% level).
    """
    scenario = SCENARIOS[result["scenario"]]
    rows = []
    for check in scenario.checks:
        t = result["tallies"][check.key]
        reps = t["reps"]
        err = t["errors"] / reps if reps else float("nan")
        # An undefined interval (INCONCLUSIVE by design: too few rows, too skewed for n) claims
        # nothing — it is the whole range, so it covers the truth. Counting only the defined
        # ones would measure a selection effect (defined exactly when the sample missed the
        # tail). Slices pool several intervals per replication: there only defined ones count.
        pooled = scenario.family == "slices"
        cov_hits = t["covered"] + (0 if pooled else t["undefined"])
        cov_n = t["judged"] + (0 if pooled else t["undefined"])
        cov = cov_hits / cov_n if cov_n else float("nan")
        d_err = t["default_errors"] / reps if reps else float("nan")
        d = t["default"]
        se0_err = _se(NOMINAL_ERROR, reps)
        se0_cov = _se(NOMINAL_COVERAGE, cov_n)
        meets_err = err <= NOMINAL_ERROR + 3 * se0_err
        meets_cov = (not cov_n) or cov >= NOMINAL_COVERAGE - 3 * se0_cov
        meets_default = d_err <= NOMINAL_ERROR + 3 * se0_err
        exact = (result.get("exact") or {}).get(check.key)
        rows.append(
            {
                "scenario": scenario.id,
                "check": check.key,
                "gate": check.gate,
                "family": scenario.family,
                "metric": check.metric,
                "rule": check.rule,
                "regime": scenario.regime,
                "params": scenario.params,
                "truth": check.truth,
                "bar": check.bar,
                "reps": reps,
                "methods": t["methods"],
                "error": err,
                "error_se": _se(err, reps),
                "error_kind": "false PASS" if "strict" in check.rule else "false FAIL",
                "undefined": t["undefined"] / reps if reps else float("nan"),
                "coverage": cov,
                "coverage_se": _se(cov, cov_n) if cov_n else float("nan"),
                "coverage_n": cov_n,
                "default_error": d_err,
                "default_error_se": _se(d_err, reps),
                "default_verdicts": {v: d.get(v, 0) / reps for v in VERDICTS if d.get(v)},
                "default_inconclusive": d.get("INCONCLUSIVE", 0) / reps if reps else float("nan"),
                "mismatches": t["mismatches"],
                "nominal_error": NOMINAL_ERROR,
                "nominal_coverage": NOMINAL_COVERAGE,
                "meets_error": bool(meets_err),
                "meets_coverage": bool(meets_cov),
                "meets_default": bool(meets_default),
                "meets_contract": bool(meets_err and meets_cov),
                "exact": exact,
                "issue": check.issue,
                "exceptions": result.get("exceptions", {}),
                "seconds": result["seconds"],
                "cpu_seconds": result.get("cpu_seconds"),
                "cluster_passed": result.get("cluster_passed", False),
            }
        )
    return rows
