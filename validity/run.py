"""Command line: ``python -m validity [--quick] [--reps N] [--output FILE] [--json FILE]``.

The full matrix (default) writes ``docs/validity.md`` and ``validity/results.json``; ``--quick``
runs a subset with 200 replications and prints the table unless ``--output``/``--json`` are given.
"""

from __future__ import annotations

import os

# one thread per worker process: the two cores are shared by the two workers
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import fnmatch  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ProcessPoolExecutor, as_completed  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from . import harness, report  # noqa: E402
from .scenarios import SCENARIOS, Scenario, derive_truths, verify_truths_by_simulation  # noqa: E402

DEFAULT_REPS = 1000
QUICK_REPS = 200


def select(quick: bool, only: list[str] | None) -> list[Scenario]:
    chosen = [s for s in SCENARIOS.values() if s.quick or not quick]
    if only:
        chosen = [
            s for s in chosen if any(fnmatch.fnmatch(s.id, pat) or pat in s.id for pat in only)
        ]
    return chosen


def run_matrix(
    scenarios: list[Scenario],
    reps: int,
    workers: int = 2,
    seed: int = harness.ROOT_SEED,
    progress: bool = True,
) -> tuple[list[dict[str, Any]], float, tuple[Any, Any]]:
    """Run the scenarios in ``workers`` processes, the most expensive first; returns the raw
    results in matrix order, the wall time and the 1-minute load average before and after (other
    processes on the machine slow the run down)."""
    order = sorted(scenarios, key=lambda s: -s.cost)
    results: dict[str, dict[str, Any]] = {}
    t0 = time.perf_counter()
    cluster = harness.evaluate_accepts_cluster()
    load_before = os.getloadavg()
    if workers <= 1:
        for i, s in enumerate(order, 1):
            results[s.id] = harness.run_scenario(s.id, reps, seed, cluster)
            if progress:
                _progress(i, len(order), s.id, results[s.id], t0)
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = {
                pool.submit(harness.run_scenario, s.id, reps, seed, cluster): s for s in order
            }
            for i, fut in enumerate(as_completed(futures), 1):
                s = futures[fut]
                results[s.id] = fut.result()
                if progress:
                    _progress(i, len(order), s.id, results[s.id], t0)
    wall = time.perf_counter() - t0
    return [results[s.id] for s in scenarios], wall, (load_before[0], os.getloadavg()[0])


def _progress(i: int, total: int, sid: str, res: dict[str, Any], t0: float) -> None:
    print(
        f"[{i:3d}/{total}] {time.perf_counter() - t0:7.1f}s  {sid:<40s} "
        f"{res['seconds']:6.1f}s"
        + (f" (+{res['exact_seconds']:.1f}s exact)" if res["exact"] else ""),
        file=sys.stderr,
        flush=True,
    )


def machine() -> dict[str, Any]:
    import numpy
    import pandas
    import scipy
    import sklearn

    import pytest_modelgate

    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parent,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "pytest_modelgate"],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parent,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit, dirty = "unknown", ""
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "platform": platform.platform(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "pandas": pandas.__version__,
        "scikit-learn": sklearn.__version__,
        "pytest_modelgate": pytest_modelgate.__version__,
        "commit": commit + (" (pytest_modelgate modified)" if dirty else ""),
        "evaluate_accepts_cluster": harness.evaluate_accepts_cluster(),
    }


def check_truths() -> dict[str, Any]:
    """Recompute the cached truths and verify the generators with 10⁷ draws."""
    from .scenarios import DLOGLOSS_T, TRUTHS

    t0 = time.perf_counter()
    derived = derive_truths()
    worst = max(abs(derived[k] - v) for k, v in TRUTHS.items())
    t_dev = abs(derived["dlogloss_t"] - DLOGLOSS_T)
    rows = verify_truths_by_simulation()
    return {
        "max_abs_difference_cached_vs_derived": worst,
        "dlogloss_t_difference": t_dev,
        "simulation": rows,
        "seconds": time.perf_counter() - t0,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m validity", description=__doc__)
    ap.add_argument("--quick", action="store_true", help=f"a subset, {QUICK_REPS} replications")
    ap.add_argument("--reps", type=int, help=f"replications per cell (default {DEFAULT_REPS})")
    ap.add_argument("--output", help="markdown report ('-' = stdout)")
    ap.add_argument("--json", help="machine-readable results")
    ap.add_argument("--only", nargs="*", help="scenario ids or glob patterns (e.g. 'auc/*')")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=harness.ROOT_SEED)
    ap.add_argument(
        "--check-truths",
        action="store_true",
        help="only recompute the cached truths and verify the generators (10⁷ draws)",
    )
    ap.add_argument(
        "--skip-truth-check",
        action="store_true",
        help="full run without the 10⁷-draw generator check",
    )
    ap.add_argument("--from-json", help="re-render the report from a results file, no simulation")
    args = ap.parse_args(argv)

    if args.check_truths:
        print(json.dumps(check_truths(), indent=2))
        return 0
    if args.from_json:
        data = json.loads(Path(args.from_json).read_text())
        _write(report.render(data), args.output or "-")
        return 0

    full = not args.quick and not args.only
    output = args.output if args.output is not None else ("docs/validity.md" if full else "-")
    json_path = args.json if args.json is not None else ("validity/results.json" if full else None)
    reps = args.reps or (QUICK_REPS if args.quick else DEFAULT_REPS)
    scenarios = select(args.quick, args.only)
    if not scenarios:
        print("no scenario selected", file=sys.stderr)
        return 2
    print(
        f"validity matrix: {len(scenarios)} scenarios, "
        f"{sum(len(s.checks) for s in scenarios)} cells, R = {reps}, {args.workers} workers",
        file=sys.stderr,
    )
    truth = None
    if full and not args.skip_truth_check:
        truth = check_truths()
        print(f"truths checked in {truth['seconds']:.1f}s", file=sys.stderr)
    raw, wall, load = run_matrix(scenarios, reps, args.workers, args.seed)
    rows = [row for res in raw for row in harness.summarize(res)]
    meta = machine()
    meta.update(
        {
            "command": "python -m validity " + " ".join(argv if argv is not None else sys.argv[1:]),
            "reps": reps,
            "quick": args.quick,
            "workers": args.workers,
            "seed": args.seed,
            "wall_seconds": wall,
            "cpu_seconds": sum(r["cpu_seconds"] + r["exact_seconds"] for r in raw),
            "worker_wall_seconds": sum(r["seconds"] + r["exact_seconds"] for r in raw),
            "load_average_before_after": load,
            "scenarios": len(scenarios),
            "cells": len(rows),
            "resamples": 2000,
        }
    )
    data = _clean({"meta": meta, "rows": rows, "truth_check": truth})
    if json_path:
        Path(json_path).parent.mkdir(parents=True, exist_ok=True)
        Path(json_path).write_text(json.dumps(data, indent=1) + "\n")
    _write(report.render(data), output)
    bad = sum(not r["meets_contract"] for r in rows)
    print(
        f"done in {wall:.0f}s wall: {len(rows) - bad} of {len(rows)} cells meet the contract",
        file=sys.stderr,
    )
    return 0


def _clean(x: Any) -> Any:
    if isinstance(x, float):
        return None if math.isnan(x) or math.isinf(x) else round(x, 10)
    if isinstance(x, dict):
        return {str(k): _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    return x


def _write(text: str, output: str) -> None:
    if output == "-":
        sys.stdout.write(text)
    else:
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        Path(output).write_text(text)
        print(f"wrote {output}", file=sys.stderr)
