"""Cost of cluster-robust intervals: a gate on 10⁶ rows in 10⁵ clusters, against i.i.d.

Run: ``python benchmarks/bench_clustered.py [--rows 1000000] [--clusters 100000] [--repeat 5]``.
For each metric it times ``Evaluation.metric`` (evidence already built, so this is the estimate
and its interval) with and without ``cluster=``, and with sampling weights, and prints the best
of ``--repeat`` runs and the ratio clustered / i.i.d. Issue #13's target: a count-metric gate on
10⁶ rows × 10⁵ clusters under a second. Measured, never asserted (tests hold no timings).
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def _best(call, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    import pytest_modelgate as mg

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--clusters", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--metrics", nargs="*", default=["accuracy", "recall", "f1", "log_loss"])
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    n, k = args.rows, args.clusters
    ids = rng.integers(0, k, n)
    rate = rng.beta(1.6, 0.4, k)[ids]  # ICC 0.5 around accuracy 0.8
    y = rng.integers(0, 2, n)
    pred = np.where(rng.random(n) < rate, y, 1 - y)
    score = np.clip(np.where(pred == 1, 0.8, 0.2) + rng.normal(0, 0.05, n), 0.01, 0.99)
    w = rng.uniform(0.5, 2.0, n)
    t0 = time.perf_counter()
    designs = {
        "i.i.d.": mg.evaluate(y, pred, score),
        "cluster=": mg.evaluate(y, pred, score, cluster=ids),
        "cluster= + sample_weight=": mg.evaluate(y, pred, score, cluster=ids, sample_weight=w),
    }
    build = time.perf_counter() - t0
    print(f"{n:,} rows, {k:,} clusters; three evaluate() calls (encoding) {build:.2f} s")
    print(f"{'metric':<12} {'design':<28} {'seconds':>8} {'× i.i.d.':>9}  method")
    for metric in args.metrics:
        base = None
        for label, ev in designs.items():
            # a fresh Evaluation per timing would re-encode; clear the estimate cache instead
            def run(ev=ev, metric=metric):
                ev.inputs._cache.clear()
                return ev.metric(metric)

            seconds = _best(run, args.repeat)
            base = base or seconds
            method = run().interval.method
            print(f"{metric:<12} {label:<28} {seconds:8.3f} {seconds / base:9.1f}  {method}")


if __name__ == "__main__":
    main()
