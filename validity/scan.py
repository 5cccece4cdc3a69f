"""Validity of the weak-slice scan (issue #20): false findings without a weak slice, power with one.

``python -m validity.scan [--reps-null 1000] [--reps-planted 300] [--json PATH]``

Each draw has ``n = 100,000`` rows and five columns: ``c5`` (5 equal levels), ``c10`` (10 equal
levels), ``c3`` (3 levels, 60/30/10 %), a normal ``x`` (quantile-binned by the scan) and a
50-level ``tail`` (shares ∝ 1/k). A row's prediction is right with probability 0.85,
independently of everything ("null": no slice is worse than the rest, so every finding is
false), or 0.75 inside the planted slice ``c5=a, c10=b`` (2 % of the rows, a 10-point drop).
Each draw is scanned through the public API (``evaluate(...).scan()``, default options: pairs,
``min_support`` 100, 20 carried, Holm at 0.05; and BH) with its own seed.

Reported: the share of null draws with any confirmed finding (the family-wise error; nominal at
most 0.05, judged with 3 Monte-Carlo standard errors), and the share of planted draws where the
planted slice is confirmed (as a finding or merged into one; required ≥ 0.80) and where any
*other* finding unrelated to it (sharing no condition) was confirmed.
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
import pandas as pd  # noqa: E402

ROOT_SEED = 2020
N = 100_000
PLANTED = {"c5": "a", "c10": "b"}


def draw(rng: np.random.Generator, planted: bool) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    tail_p = 1.0 / np.arange(1, 51)

    def categorical(levels: list[str], p: Any = None) -> pd.Categorical:
        return pd.Categorical.from_codes(rng.choice(len(levels), N, p=p), categories=levels)

    frame = pd.DataFrame(
        {
            "c5": categorical(list("abcde")),
            "c10": categorical(list("abcdefghij")),
            "c3": categorical(["u", "v", "w"], [0.6, 0.3, 0.1]),
            "x": rng.normal(size=N),
            "tail": categorical([f"t{k}" for k in range(50)], tail_p / tail_p.sum()),
        }
    )
    accuracy = np.full(N, 0.85)
    if planted:
        accuracy[(frame["c5"] == "a").to_numpy() & (frame["c10"] == "b").to_numpy()] = 0.75
    y = rng.integers(0, 2, N)
    right = rng.random(N) < accuracy
    return y, np.where(right, y, 1 - y), frame


def one(seed: int, planted: bool, correction: str) -> dict[str, Any]:
    import pytest_modelgate as mg

    rng = np.random.default_rng(seed)
    y, pred, frame = draw(rng, planted)
    result = mg.evaluate(y, pred, sensitive=frame, seed=seed % 2**32).scan(correction=correction)
    target = "c5=a, c10=b"
    found = any(f.key == target or target in f.merged for f in result.findings)
    unrelated = [
        f
        for f in result.findings
        if not ({(c.column, c.label) for c in f.conditions} & set(PLANTED.items()))
    ]
    return {
        "findings": len(result.findings),
        "found": found,
        "unrelated": len(unrelated),
        "seconds": result.seconds,
    }


def run(reps_null: int, reps_planted: int, partial: str | None = None) -> dict[str, Any]:
    seeds = np.random.SeedSequence(ROOT_SEED)
    out: dict[str, Any] = {"n_rows": N, "alpha": 0.05, "cells": []}
    for label, planted, correction, reps in (
        ("planted 2% slice, -10 points, holm", True, "holm", reps_planted),
        ("null, holm", False, "holm", reps_null),
        ("null, bh", False, "bh", reps_null // 2),
    ):
        started = time.perf_counter()
        child = seeds.spawn(1)[0]
        rep_seeds = child.generate_state(reps, dtype=np.uint64)
        draws = [one(int(s), planted, correction) for s in rep_seeds]
        any_finding = np.mean([d["findings"] > 0 for d in draws])
        cell: dict[str, Any] = {
            "scenario": label,
            "reps": reps,
            "seconds": round(time.perf_counter() - started, 1),
            "scan_seconds_median": float(np.median([d["seconds"] for d in draws])),
        }
        if planted:
            power = float(np.mean([d["found"] for d in draws]))
            other = float(np.mean([d["unrelated"] > 0 for d in draws]))
            cell.update(
                {
                    "found_and_confirmed": power,
                    "mc_se": math.sqrt(power * (1 - power) / reps),
                    "required": 0.80,
                    "unrelated_false_finding_rate": other,
                    "ok": power >= 0.80,
                }
            )
        else:
            rate = float(any_finding)
            se = math.sqrt(max(0.05 * 0.95, 1e-12) / reps)
            cell.update(
                {
                    "false_finding_rate": rate,
                    "mc_se": se,
                    "nominal": 0.05,
                    "ok": rate <= 0.05 + 3 * se,
                }
            )
        print(json.dumps(cell), file=sys.stderr, flush=True)
        out["cells"].append(cell)
        if partial:  # each finished cell is kept, whatever happens to the next
            with open(partial, "w", encoding="utf-8") as fh:
                fh.write(json.dumps(out, indent=2) + "\n")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m validity.scan", description=__doc__)
    parser.add_argument("--reps-null", type=int, default=1000)
    parser.add_argument("--reps-planted", type=int, default=300)
    parser.add_argument("--json", default=None, help="write the cells here")
    args = parser.parse_args(argv)
    result = run(args.reps_null, args.reps_planted, args.json)
    result["command"] = (
        f"python -m validity.scan --reps-null {args.reps_null} --reps-planted {args.reps_planted}"
    )
    text = json.dumps(result, indent=2) + "\n"
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        print(text)
    return 0 if all(c["ok"] for c in result["cells"]) else 1


if __name__ == "__main__":
    raise SystemExit(main())
