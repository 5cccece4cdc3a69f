"""Time the weak-slice scan and the mutation run on a million rows (issue #20).

``python benchmarks/bench_audit.py [--rows 1000000]``

Ten columns (8 six-level categoricals, a normal and an exponential; the scan bins the numbers),
binary labels, positive-class scores. The scan uses its defaults (singles and pairs: about 1,300
candidate slices). The mutation run re-runs five gates (accuracy, recall per ``c0`` value,
ROC AUC, log loss, an equalized-odds gap) on the mutants of five prediction-level operators,
slices of ``c0`` (22 mutants).
"""

from __future__ import annotations

import argparse
import os
import time

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402


def main() -> None:
    import pytest_modelgate as mg

    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    n = args.rows
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            f"c{i}": pd.Categorical.from_codes(rng.integers(0, 6, n), list("abcdef"))
            for i in range(8)
        }
    )
    frame["x"] = rng.normal(size=n)
    frame["z"] = rng.exponential(size=n)
    y = rng.integers(0, 2, n)
    score = np.clip(0.5 + (y - 0.5) * 0.6 + rng.normal(0, 0.25, n), 0.001, 0.999)
    started = time.perf_counter()
    ev = mg.evaluate(y, None, score, sensitive=frame, resamples=500)
    print(f"evaluate(): {time.perf_counter() - started:.2f} s for {n:,} rows")
    started = time.perf_counter()
    result = ev.scan()
    print(
        f"scan: {time.perf_counter() - started:.2f} s wall ({result.seconds:.2f} s inside, "
        f"{result.cpu_seconds:.2f} s CPU), "
        f"{result.candidates:,} slices searched, {len(result.findings)} confirmed"
    )
    gates = [
        {"metric": "accuracy", "min": 0.5},
        {"metric": "recall", "min": 0.5, "slices": ["c0"]},
        {"metric": "roc_auc", "min": 0.8},
        {"metric": "log_loss", "max": 0.6},
        {"fairness": "equalized_odds_difference", "sensitive": "c1", "max": 0.1},
    ]
    started = time.perf_counter()
    operators = ["flip_slice", "degrade_class", "miscalibrate", "noise", "leak_label"]
    report = ev.mutate(gates, operators=operators, columns=["c0"])
    print(
        f"mutate: {time.perf_counter() - started:.2f} s wall ({report.cpu_seconds:.1f} s CPU) for "
        f"{len(report.mutants)} mutants "
        f"x {len(report.gates)} gates; coverage {report.coverage:.0%}"
    )


if __name__ == "__main__":
    main()
