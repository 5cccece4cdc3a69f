"""Validity of the canary check (issue #18): daily looks at live traffic, truth at the margin.

``python -m validity.sequential [--reps 1000] [--reps-power 300] [--output FILE]``
(default output: docs/validity-canary.md)

Each replication logs 30 days of traffic (``--rows-per-day`` requests a day, a share of them on
the canary arm, each with an outcome and a served prediction), and the canary is judged through
the public API (:func:`pytest_modelgate.check_canary`) with the looks at the end of every day.

* **False promote**: the canary is truly worse than the control by exactly ``max_drop``; a
  PASS (promote) at any of the 30 daily looks is an error. Nominal: (1 − confidence)/2 = 2.5 %.
* **False rollback**: the same truth; a FAIL (rollback) at any look is an error (it is not worse
  than the margin). Nominal 2.5 %.
* The same traffic judged with a **fixed-sample interval** (Newcombe's hybrid score interval for
  two independent proportions, 95 %) re-checked every day, promoting at the first look whose
  lower bound clears the margin — what a dashboard with ordinary intervals does.
* **Power**: the canary truly as good as (or better than) the control: how often it is promoted
  within the 30 days.

Seeded; single process.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import norm

from pytest_modelgate import check_canary

ROOT_SEED = 1807
DAYS = 30
Z = norm.ppf(0.975)

# (label, rate, control rate, canary share, rows per day, max_drop)
SCENARIOS = [
    ("accuracy 0.85, 5% canary", "accuracy", 0.85, 0.05, 4000, 0.02),
    ("accuracy 0.85, 20% canary", "accuracy", 0.85, 0.20, 2000, 0.02),
    ("recall 0.7 (20% positives), 10% canary", "recall", 0.70, 0.10, 4000, 0.05),
    ("conversion 0.05, 50% canary", "outcome_mean", 0.05, 0.50, 4000, 0.01),
]


def traffic(
    rng: np.random.Generator,
    rate: str,
    p_control: float,
    p_canary: float,
    share: float,
    per_day: int,
) -> pd.DataFrame:
    """30 days of logged requests, in arrival order (``per_day`` rows each day, so a row's day
    is its position // per_day); ``p_*`` is each arm's true value of ``rate``."""
    n = per_day * DAYS
    canary = rng.random(n) < share
    p = np.where(canary, p_canary, p_control)
    arm = pd.Categorical.from_codes(canary.astype(np.int8), categories=["control", "canary"])
    frame = {"arm": arm}
    if rate == "outcome_mean":
        frame["outcome"] = (rng.random(n) < p).astype(int)
    else:
        y = (rng.random(n) < (0.2 if rate == "recall" else 0.5)).astype(int)
        right = rng.random(n) < p  # accuracy: any row; recall: counts on positives only
        frame["outcome"] = y
        frame["prediction"] = np.where(right, y, 1 - y)
    return pd.DataFrame(frame)


def _wilson(x: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(invalid="ignore", divide="ignore"):
        p = x / n
        centre = (p + Z**2 / (2 * n)) / (1 + Z**2 / n)
        half = Z * np.sqrt(p * (1 - p) / n + Z**2 / (4 * n**2)) / (1 + Z**2 / n)
    return centre - half, centre + half


def newcombe_lower(xc: np.ndarray, nc: np.ndarray, xk: np.ndarray, nk: np.ndarray) -> np.ndarray:
    """Newcombe's hybrid score lower bound of p_canary − p_control (method 10)."""
    lc, _ = _wilson(xc, nc)
    _, uk = _wilson(xk, nk)
    pc, pk = xc / nc, xk / nk
    return pc - pk - np.sqrt((pc - lc) ** 2 + (uk - pk) ** 2)


def fixed_daily_promotes(frame: pd.DataFrame, rate: str, max_drop: float, per_day: int) -> bool:
    """Promote at the first daily look whose fixed-sample lower bound clears −max_drop."""
    day = np.arange(len(frame)) // per_day
    canary = (frame["arm"] == "canary").to_numpy()
    if rate == "outcome_mean":
        keep, score = np.ones(len(frame), bool), frame["outcome"].to_numpy()
    elif rate == "accuracy":
        keep = np.ones(len(frame), bool)
        score = (frame["outcome"] == frame["prediction"]).to_numpy()
    else:  # recall
        keep = (frame["outcome"] == 1).to_numpy()
        score = (frame["prediction"] == 1).to_numpy()
    cum = {}
    for arm, mask in (("c", canary & keep), ("k", ~canary & keep)):
        cum["x" + arm] = np.cumsum(np.bincount(day[mask], weights=score[mask], minlength=DAYS))
        cum["n" + arm] = np.cumsum(np.bincount(day[mask], minlength=DAYS)).astype(float)
    lower = newcombe_lower(cum["xc"], cum["nc"], cum["xk"], cum["nk"])
    return bool(np.nanmax(lower) > -max_drop)


def run(reps: int, reps_power: int) -> list[dict]:
    rows = []
    for s, (label, rate, p_k, share, per_day, drop) in enumerate(SCENARIOS):
        for truth, what, n_reps in ((-drop, "at the margin", reps), (0.0, "as good", reps_power)):
            rng = np.random.default_rng([ROOT_SEED, s, int(truth == 0)])
            promote = rollback = fixed = 0
            started = time.perf_counter()
            for _ in range(n_reps):
                frame = traffic(rng, rate, p_k, p_k + truth, share, per_day)
                kwargs = {"prediction": "prediction"} if rate != "outcome_mean" else {}
                # the rows are in arrival order; the bounds are running intersections, so a
                # promote (rollback) at any daily look is a PASS (FAIL) of the whole log
                result = check_canary(frame, max_drop=drop, outcome="outcome", rate=rate, **kwargs)
                promote += result.verdict == "PASS"
                rollback += result.verdict == "FAIL"
                fixed += fixed_daily_promotes(frame, rate, drop, per_day)
            rows.append(
                {
                    "scenario": label,
                    "truth": what,
                    "reps": n_reps,
                    "promote": promote / n_reps,
                    "rollback": rollback / n_reps,
                    "fixed_promote": fixed / n_reps,
                    "seconds": time.perf_counter() - started,
                }
            )
            print(rows[-1], file=sys.stderr, flush=True)
    return rows


def render(rows: list[dict], command: str) -> str:
    def pct(p: float, reps: int) -> str:
        se = math.sqrt(max(p * (1 - p), 1e-12) / reps)
        return f"{100 * p:.1f} ± {100 * se:.1f}%"

    out = [
        "# Validity of the canary check: 30 daily looks",
        "",
        f"Generated by `{command}` (replications per row in the table; ± one Monte-Carlo s.e.).",
        "",
        "Each replication logs 30 days of traffic and judges it with `check_canary` (anytime-",
        "valid, looks at the end of every day). **At the margin**: the canary is worse than the",
        "control by exactly `max_drop`; a promote at any look is a false promote (nominal 2.5 %),",
        "a rollback a false rollback (nominal 2.5 %). The last column re-checks the same traffic",
        "every day with an ordinary 95 % interval (Newcombe's hybrid score) and promotes at the",
        "first look that clears the margin. **As good**: the canary equals the control; the",
        "promote column is then the power within 30 days.",
        "",
        "| scenario | truth | reps | anytime: promote | anytime: rollback | daily fixed 95 %: "
        "promote |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        n = r["reps"]
        se = math.sqrt(r["promote"] * (1 - r["promote"]) / n)
        flag = " ✗" if r["truth"] == "at the margin" and r["promote"] - 2 * se > 0.025 else ""
        out.append(
            f"| {r['scenario']} | {r['truth']} | {n} | {pct(r['promote'], n)}{flag} | "
            f"{pct(r['rollback'], n)} | {pct(r['fixed_promote'], n)} |"
        )
    out += [
        "",
        "Reading: the anytime-valid rule keeps the false-promote rate under 2.5 % however often",
        "it is looked at; the same traffic checked daily with a fixed-sample interval promotes a",
        "canary at the margin several times more often. The price is width: the anytime bound is",
        "about twice as wide as a fixed-sample interval at the same n (docs/canary.md).",
        "",
    ]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=1000, help="replications at the margin")
    parser.add_argument("--reps-power", type=int, default=300, help="replications for power")
    parser.add_argument("--output", type=Path, default=Path("docs/validity-canary.md"))
    args = parser.parse_args(argv)
    rows = run(args.reps, args.reps_power)
    command = f"python -m validity.sequential --reps {args.reps} --reps-power {args.reps_power}"
    args.output.write_text(render(rows, command), encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
