"""Validity of the history gates (#17): the trend's slope test and the unpaired comparison with a
release's stored interval, by simulation through the product's own functions.

``python -m validity.history [--reps 1000] [--json validity/history-results.json]``

* **trend** (``compare: trend``, lenient, bar 0): K releases, each release's accuracy estimated
  with the product's interval (``estimate_metric``, ``interval: auto``) and its SE read back
  from that interval as the gate does; the slope from :func:`weighted_slope`. A FAIL when the
  true accuracies are flat is a false alarm (nominal ≤ 2.5 %). "independent rows": each
  release on its own test rows; "same rows": every release on one test set, the releases'
  correctness on a row correlated (each agrees with a shared base model on 95 % of the rows),
  where the known-variance slope is expected to be conservative. "decline": the true accuracy
  falls linearly; the rate is the power.
* **unpaired previous** (``compare: previous`` with ``max_drop``, strict, when the rows cannot
  be paired): the true Δ sits exactly at −max_drop; a PASS is a false pass (nominal ≤ 2.5 %).
  "independent rows": release and candidate measured on different test rows (the case the
  unpaired test is for); "same rows": both on one test set with correlated correctness
  (expected conservative).

Seeded, single process; results are rates with their Monte-Carlo standard errors.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from typing import Any

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

ROOT_SEED = 1717
NOMINAL = 0.025


def _evidence(correct: np.ndarray) -> Any:
    from pytest_modelgate.evidence.core import Evidence

    y = np.ones(len(correct), dtype=np.int64)  # the label is 1; correct rows predict 1
    return Evidence(
        task="binary",
        classes=(0, 1),
        y_true=y,
        y_pred=correct.astype(np.int64),
        scores=None,
        score_kind=None,
    )


def _accuracy(correct: np.ndarray, rng: np.random.Generator) -> tuple[float, Any]:
    from pytest_modelgate.estimates.metric import StatsOptions, estimate_metric
    from pytest_modelgate.estimates.metrics import get_metric

    est = estimate_metric(get_metric("accuracy", "binary"), _evidence(correct), StatsOptions(), rng)
    return est.estimate, est.interval


def _se(interval: Any) -> float:
    from pytest_modelgate.estimates.compare import _z

    return interval.width / (2 * _z(interval.level))


def _releases(
    rng: np.random.Generator, truths: np.ndarray, n: int, shared: bool
) -> list[np.ndarray]:
    """Per-row correctness of each release (True = correct)."""
    if not shared:
        return [rng.random(n) < p for p in truths]
    # one test set; each release agrees with a shared base on 95 % of rows: flipping a row with
    # probability 0.05 turns base accuracy b into 0.95 b + 0.05 (1 − b); solve for b per release
    out = []
    u = rng.random(n)
    for p in truths:
        b = (p - 0.05) / 0.9
        base = u < b
        flip = rng.random(n) < 0.05
        out.append(base ^ flip)
    return out


def trend_cell(reps: int, k: int, n: int, slope: float, shared: bool, seed: int) -> dict[str, Any]:
    from pytest_modelgate.stats.trend import weighted_slope

    rng = np.random.default_rng(seed)
    truths = 0.8 + slope * np.arange(k)
    fails = defined = 0
    for _ in range(reps):
        estimates, ses = [], []
        for correct in _releases(rng, truths, n, shared):
            value, interval = _accuracy(correct, rng)
            estimates.append(value)
            ses.append(_se(interval))
        _, iv, _ = weighted_slope(np.array(estimates), np.array(ses), 0.95)
        if iv.is_defined:
            defined += 1
            fails += iv.high < 0
    rate = fails / reps
    return {
        "gate": "trend",
        "rows": "same rows" if shared else "independent rows",
        "releases": k,
        "n": n,
        "true_slope": slope,
        "reps": reps,
        "fail_rate": rate,
        "mc_se": math.sqrt(rate * (1 - rate) / reps),
        "nominal_false_alarm": NOMINAL if slope == 0 else None,
        "undefined": reps - defined,
    }


def unpaired_cell(reps: int, n: int, margin: float, shared: bool, seed: int) -> dict[str, Any]:
    """Strict compare: previous, max_drop = margin, true Δ = −margin, unpaired."""
    from pytest_modelgate.estimates.compare import compare_unpaired
    from pytest_modelgate.estimates.metric import StatsOptions
    from pytest_modelgate.estimates.metrics import get_metric
    from pytest_modelgate.results import interval_to_dict

    rng = np.random.default_rng(seed)
    metric = get_metric("accuracy", "binary")
    passes = 0
    for _ in range(reps):
        release, candidate = _releases(rng, np.array([0.8, 0.8 - margin]), n, shared)
        value, interval = _accuracy(release, rng)
        stored = {"estimate": value, "interval": interval_to_dict(interval), "n": n}
        cmp = compare_unpaired(metric, _evidence(candidate), stored, StatsOptions(), rng)
        passes += cmp.interval.low >= -margin  # strict: the lower bound clears the margin
    rate = passes / reps
    return {
        "gate": "compare: previous (unpaired, strict)",
        "rows": "same rows" if shared else "independent rows",
        "n": n,
        "max_drop": margin,
        "true_delta": -margin,
        "reps": reps,
        "false_pass_rate": rate,
        "mc_se": math.sqrt(rate * (1 - rate) / reps),
        "nominal": NOMINAL,
    }


def run(reps: int) -> list[dict[str, Any]]:
    cells: list[dict[str, Any]] = []
    seed = ROOT_SEED
    for shared in (False, True):
        for k in (3, 5, 10):
            for n in (300, 3000):
                seed += 1
                cells.append(trend_cell(reps, k, n, 0.0, shared, seed))
    for k, slope in ((5, -0.005), (10, -0.002)):
        seed += 1
        cells.append(trend_cell(reps, k, 3000, slope, False, seed))
    for shared in (False, True):
        for n in (300, 3000):
            seed += 1
            cells.append(unpaired_cell(reps, n, 0.02, shared, seed))
    return cells


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m validity.history", description=__doc__)
    parser.add_argument("--reps", type=int, default=1000)
    parser.add_argument("--json", help="write the cells as JSON")
    args = parser.parse_args(argv)
    start = time.time()
    cells = run(args.reps)
    for cell in cells:
        print(json.dumps(cell))
    if args.json:
        payload = {
            "issue": 17,
            "what": "history gates: trend slope test, unpaired compare: previous",
            "command": f"python -m validity.history --reps {args.reps} --json {args.json}",
            "seconds": round(time.time() - start, 1),
            "cells": cells,
        }
        with open(args.json, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(payload, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
