"""Wall time and peak memory of ``group_counts`` over a folder of scored Parquet rows.

Run: ``python benchmarks/bench_scale.py [--rows 100000000] [--engines stream duckdb]``.
Writes the rows to ``--dir`` (default ``/tmp/modelgate-bench-scale``) file by file — the whole
table is never in memory — runs each engine in a fresh process (so that its peak RSS is its own),
prints one line per engine and deletes the folder unless ``--keep``. Needs about 9 bytes of disk
per row (0.9 GB for 10⁸ rows); it checks the free space first. Measured, never asserted.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

KEYS = ["y", "pred", "segment"]
SCORES = {"score": 1024}
BYTES_PER_ROW = 9.0  # measured: ~8.6 bytes/row with snappy (the float64 score dominates)


def generate(folder: Path, rows: int, rows_per_file: int, seed: int) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    segments = pa.array(["north", "south", "east", "west"])
    written, i = 0, 0
    while written < rows:
        n = min(rows_per_file, rows - written)
        y = (rng.random(n) < 0.3).astype(np.int8)
        score = 1 / (1 + np.exp(-(rng.normal(size=n) + 1.5 * y - 1)))
        table = pa.table(
            {
                "y": y,
                "pred": (score >= 0.5).astype(np.int8),
                "segment": segments.take(rng.integers(0, 4, n)),
                "score": score,
            }
        )
        pq.write_table(table, folder / f"part-{i:04d}.parquet")
        written += n
        i += 1
        print(f"\rgenerating: {written:,} / {rows:,} rows", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)


def _status(field: str) -> int:
    """``VmRSS``/``VmHWM`` of this process in bytes. (``ru_maxrss`` is no good here: Linux
    carries the parent's peak across fork + exec, so a child reports at least its parent's.)"""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def measure(engine: str, folder: str, batch_rows: int) -> None:
    """In a fresh process: one group_counts call; prints JSON."""
    from pytest_modelgate import group_counts

    before = _status("VmRSS")
    t0 = time.perf_counter()
    result = group_counts(folder, KEYS, SCORES, engine=engine, batch_rows=batch_rows)
    seconds = time.perf_counter() - t0
    peak = _status("VmHWM")
    print(
        json.dumps(
            {
                "engine": engine,
                "seconds": seconds,
                "peak_rss": peak,
                "rss_before": before,
                "rows": int(result["__count__"].sum()),
                "cells": len(result),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000_000)
    parser.add_argument("--rows-per-file", type=int, default=1_000_000)
    parser.add_argument("--engines", nargs="+", default=["stream", "duckdb"])
    parser.add_argument("--batch-rows", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/modelgate-bench-scale"))
    parser.add_argument("--keep", action="store_true", help="keep the generated folder")
    parser.add_argument("--measure", nargs=2, metavar=("ENGINE", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(args.measure[0], args.measure[1], args.batch_rows)
        return

    folder: Path = args.dir
    if not folder.exists():
        need = args.rows * BYTES_PER_ROW * 1.5
        free = shutil.disk_usage(folder.parent).free
        if free < need:
            sys.exit(f"{folder.parent}: {free / 1e9:.1f} GB free, need ~{need / 1e9:.1f} GB")
        t0 = time.perf_counter()
        generate(folder, args.rows, args.rows_per_file, seed=0)
        print(f"generated in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    size = sum(p.stat().st_size for p in folder.iterdir())
    print(f"{folder}: {size / 1e9:.2f} GB on disk, keys {KEYS}, scores {SCORES}")
    print(
        f"{'engine':<8} {'batch':>9} {'rows':>13} {'cells':>7} {'wall s':>8} {'rows/s':>12} "
        f"{'RSS after imports MiB':>22} {'peak RSS MiB':>13}"
    )
    try:
        for engine in args.engines:
            command = [sys.executable, __file__, "--measure", engine, str(folder)]
            command += ["--batch-rows", str(args.batch_rows)]
            out = subprocess.run(command, capture_output=True, text=True, check=True)
            r = json.loads(out.stdout.strip().splitlines()[-1])
            print(
                f"{engine:<8} {args.batch_rows if engine == 'stream' else '':>9} "
                f"{r['rows']:>13,} {r['cells']:>7} {r['seconds']:>8.1f} "
                f"{r['rows'] / r['seconds']:>12,.0f} {r['rss_before'] / 2**20:>22.0f} "
                f"{r['peak_rss'] / 2**20:>13.0f}"
            )
    finally:
        if not args.keep:
            shutil.rmtree(folder)


if __name__ == "__main__":
    main()
