"""Wall time of metric estimates with intervals on synthetic data, at growing row counts.

Run: ``python benchmarks/bench_gates.py [--rows 100000 1000000] [--resamples 2000]``.
Speed is measured here, never asserted in tests. Prints one line per (rows, metric):
the evidence build time (one pass over the rows) and the estimate time (point + interval).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from pytest_modelgate.estimates.metric import StatsOptions, estimate_metric
from pytest_modelgate.estimates.metrics import get_metric
from pytest_modelgate.evidence.core import Evidence

METRICS = [
    "accuracy",
    "recall",
    "f1",
    "matthews_corrcoef",
    "roc_auc",
    "average_precision",
    "log_loss",
    "brier_score",
]


def synthetic(n: int, rng: np.random.Generator) -> Evidence:
    y = (rng.random(n) < 0.25).astype(np.int64)
    score = 1 / (1 + np.exp(-(rng.normal(size=n) + 1.5 * y - 1)))
    return Evidence("binary", (0, 1), y, (score >= 0.5).astype(np.int64), score, "probability")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--resamples", type=int, default=2000)
    args = parser.parse_args()
    opts = StatsOptions(resamples=args.resamples)
    print(f"{'rows':>9}  {'metric':<18} {'evidence s':>10} {'estimate s':>10}  interval")
    for n in args.rows:
        rng = np.random.default_rng(0)
        t0 = time.perf_counter()
        ev = synthetic(n, rng)
        _ = ev.counts  # the one pass that builds the confusion counts
        t_evidence = time.perf_counter() - t0
        for name in METRICS:
            t1 = time.perf_counter()
            est = estimate_metric(get_metric(name, "binary"), ev, opts, np.random.default_rng(1))
            dt = time.perf_counter() - t1
            iv = est.interval
            print(
                f"{n:>9}  {name:<18} {t_evidence:>10.3f} {dt:>10.3f}  "
                f"[{iv.low:.4f}, {iv.high:.4f}] {iv.method}"
            )


if __name__ == "__main__":
    main()
