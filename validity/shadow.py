"""Validity of the shadow check and of the canary plan (issue #18).

``python -m validity.shadow [--reps 1000] [--output docs/validity-shadow.md]``

* **Cohen's κ interval**: tables drawn from a known candidate × incumbent distribution; how often
  the shipped Fleiss–Cohen–Everitt interval misses the true κ on each side (nominal 2.5 % each),
  next to a percentile bootstrap of the same tables (500 multinomial resamples) as the
  alternative considered.
* **Agreement interval** (Clopper–Pearson): the same, per side.
* **The move-to-canary rule at the bar**: the candidate truly ``max_drop`` worse than the
  incumbent on the labelled rows; a PASS is an error. Judged once at the planned size (nominal
  ≤ 2.5 %) and, as a warning, re-checked after each of 30 daily batches with the same
  fixed-sample interval (what the default intervals are NOT built for); and with
  ``anytime: true`` at any of those looks.
* **The canary plan**: for a comparison whose Δ̂ stays the truth, canaries simulated with the
  canary check's confidence sequences and daily looks; the planned day should be about the
  median day of promotion (the plan uses the width a typical run shows).

Seeded; single process.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np
from scipy import special

from pytest_modelgate.checks.shadow import ShadowRows, judge_shadow
from pytest_modelgate.plan import plan_canary
from pytest_modelgate.results import CheckResult, ComparisonResult, Threshold, Verdict
from pytest_modelgate.stats.agreement import cohen_kappa
from pytest_modelgate.stats.intervals import Interval
from pytest_modelgate.stats.paired import paired_score_interval
from pytest_modelgate.stats.sequential import eb_confidence_sequence

ROOT_SEED = 1818

TABLES = [
    ("binary, balanced, κ 0.80", [[0.45, 0.05], [0.05, 0.45]]),
    ("binary, 10 % positive, κ 0.66", [[0.85, 0.04], [0.03, 0.08]]),
    ("binary, 5 % positive, κ 0.42", [[0.93, 0.02], [0.03, 0.02]]),
    ("binary, near-perfect, κ 0.96", [[0.48, 0.01], [0.01, 0.50]]),
    ("3 classes, κ 0.77", [[0.30, 0.03, 0.02], [0.04, 0.30, 0.01], [0.02, 0.03, 0.25]]),
]
SIZES = (50, 200, 1000, 5000)


def _kappa_of(tables: np.ndarray) -> np.ndarray:
    n = tables.sum(axis=(-1, -2))[..., None, None]
    p = tables / n
    po = np.trace(p, axis1=-2, axis2=-1)
    pe = (p.sum(-1) * p.sum(-2)).sum(-1)
    with np.errstate(all="ignore"):
        return (po - pe) / (1 - pe)


def kappa_rows(reps: int) -> list[dict]:
    rows = []
    for t, (label, table) in enumerate(TABLES):
        p = np.asarray(table)
        truth = float(_kappa_of(p[None] * 1.0)[0])
        agree_truth = float(np.trace(p))
        for size in SIZES:
            rng = np.random.default_rng([ROOT_SEED, t, size])
            drawn = rng.multinomial(size, p.ravel(), size=reps).reshape(-1, *p.shape)
            miss = {"fce_low": 0, "fce_high": 0, "boot_low": 0, "boot_high": 0}
            undefined = 0
            for counts in drawn:
                k = cohen_kappa(counts)
                if math.isnan(k.estimate):
                    undefined += 1
                    continue
                miss["fce_low"] += k.interval.low > truth
                miss["fce_high"] += k.interval.high < truth
                boot = rng.multinomial(size, (counts / size).ravel(), size=500)
                kb = _kappa_of(boot.reshape(-1, *p.shape))
                kb = kb[np.isfinite(kb)]
                lo, hi = np.quantile(kb, [0.025, 0.975])
                miss["boot_low"] += lo > truth
                miss["boot_high"] += hi < truth
            agree = np.trace(drawn, axis1=1, axis2=2)
            a = 0.025
            with np.errstate(all="ignore"):
                cp_low = np.where(agree == 0, 0.0, special.betaincinv(agree, size - agree + 1, a))
                cp_high = np.where(
                    agree == size, 1.0, special.betaincinv(agree + 1, size - agree, 1 - a)
                )
            defined = reps - undefined
            rows.append(
                {
                    "table": label,
                    "n": size,
                    "kappa": truth,
                    **{key: value / max(defined, 1) for key, value in miss.items()},
                    "undefined": undefined / reps,
                    "agree_low": float(np.mean(cp_low > agree_truth)),
                    "agree_high": float(np.mean(cp_high < agree_truth)),
                }
            )
    return rows


# (label, incumbent accuracy, labelled rows in total, max_drop)
RULE = [
    ("accuracy 0.85, 1,500 labelled rows", 0.85, 1500, 0.05),
    ("accuracy 0.85, 6,000 labelled rows", 0.85, 6000, 0.02),
    ("accuracy 0.95, 3,000 labelled rows", 0.95, 3000, 0.02),
]


def rule_rows(reps: int) -> list[dict]:
    rows = []
    for s, (label, p_inc, n, drop) in enumerate(RULE):
        rng = np.random.default_rng([ROOT_SEED, 100 + s])
        once = daily = anytime = 0
        for _ in range(reps):
            y = rng.integers(0, 2, n)
            inc = np.where(rng.random(n) < p_inc, y, 1 - y)
            cand = np.where(rng.random(n) < p_inc - drop, y, 1 - y)
            judged = judge_shadow(ShadowRows(cand, inc, cand == y, inc == y, n), max_drop=drop)
            once += judged.verdict == "PASS"
            # anytime: the lower bound is a running maximum, so a PASS at any daily look is a
            # PASS at the last row — one judgement of the whole log counts every look
            lasting = judge_shadow(
                ShadowRows(cand, inc, cand == y, inc == y, n), max_drop=drop, anytime=True
            )
            anytime += lasting.verdict == "PASS"
            c, k = cand == y, inc == y
            day = np.arange(n) * 30 // n
            cells = np.stack([c & k, c & ~k, ~c & k, ~c & ~k])
            per_day = np.stack([np.bincount(day, weights=x, minlength=30) for x in cells])
            cum = np.cumsum(per_day, axis=1).astype(int)
            daily += any(paired_score_interval(*cum[:, d]).low > -drop for d in range(30))
        rows.append(
            {
                "scenario": label,
                "once": once / reps,
                "daily": daily / reps,
                "anytime": anytime / reps,
            }
        )
    return rows


# (label, baseline rate, offline Δ̂, bar, share, requests per day, label rate)
PLANS = [
    (
        "accuracy 0.80, Δ̂ +0.02, bar −0.01, 5 %, 20k/day, 30 % labelled",
        0.80,
        0.02,
        -0.01,
        0.05,
        20_000,
        0.3,
    ),
    (
        "accuracy 0.90, Δ̂ 0, bar −0.02, 10 %, 10k/day, 50 % labelled",
        0.90,
        0.0,
        -0.02,
        0.10,
        10_000,
        0.5,
    ),
]


def plan_rows(reps: int) -> list[dict]:
    rows = []
    for s, (label, p_k, delta, bar, share, rpd, lr) in enumerate(PLANS):
        cmp = ComparisonResult(
            "accuracy",
            delta,
            Interval(math.nan, math.nan, 0.95, "x"),
            p_k + delta,
            p_k,
            1000,
            True,
            "x",
        )
        result = CheckResult(
            "g",
            "g",
            "compare",
            "block",
            Verdict.PASS,
            "",
            metric="accuracy",
            threshold=Threshold(min=bar),
            comparison=cmp,
        )
        plan = plan_canary(result, share=share, requests_per_day=rpd, label_rate=lr)
        assert plan.days_to_promote is not None
        horizon = math.ceil(plan.days_to_promote * 3)
        per_c, per_k = plan.canary_rows_per_day, plan.control_rows_per_day
        rng = np.random.default_rng([ROOT_SEED, 200 + s])
        days_seen = []
        for _ in range(reps):
            n_c, n_k = int(horizon * per_c), int(horizon * per_k)
            arm_c = eb_confidence_sequence((rng.random(n_c) < p_k + delta).astype(float), 0.0125)
            arm_k = eb_confidence_sequence((rng.random(n_k) < p_k).astype(float), 0.0125)
            d = np.arange(1, horizon + 1)
            ic = np.minimum((d * per_c).astype(int), n_c) - 1
            ik = np.minimum((d * per_k).astype(int), n_k) - 1
            lower = arm_c.lower[ic] - arm_k.upper[ik]
            hit = np.flatnonzero(lower > bar)
            days_seen.append(float(d[hit[0]]) if hit.size else math.inf)
        seen = np.asarray(days_seen)
        rows.append(
            {
                "scenario": label,
                "plan": plan.days_to_promote,
                "median": float(np.median(seen)),
                "by_plan": float(np.mean(seen <= math.ceil(plan.days_to_promote))),
                "by_double": float(np.mean(seen <= 2 * math.ceil(plan.days_to_promote))),
            }
        )
    return rows


def render(kappa: list[dict], rule: list[dict], plans: list[dict], reps: int, secs: float) -> str:
    out = [
        "# Validity: the shadow check and the canary plan (#18)",
        "",
        f"Generated by `python -m validity.shadow --reps {reps}` ({secs:.0f} s). Seeded.",
        "",
        "## Cohen's κ and the agreement rate: how often the 95 % interval misses, per side",
        "",
        "Each side should miss at most 2.5 %. *FCE* is the shipped interval (Fleiss, Cohen & "
        "Everitt 1969 variance, Wald); *bootstrap* is a percentile bootstrap of the same table "
        "(500 resamples), the alternative considered. *undefined*: tables where κ is not "
        "defined (one label only), left out of κ's rates.",
        "",
        "| table | n | FCE: κ too high | FCE: κ too low | bootstrap: too high | bootstrap: too "
        "low | undefined | agreement (C–P): too high | too low |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in kappa:
        out.append(
            f"| {r['table']} | {r['n']:,} | {r['fce_low']:.1%} | {r['fce_high']:.1%} | "
            f"{r['boot_low']:.1%} | {r['boot_high']:.1%} | {r['undefined']:.1%} | "
            f"{r['agree_low']:.1%} | {r['agree_high']:.1%} |"
        )
    out += [
        "",
        "## The move-to-canary rule with the candidate exactly `max_drop` worse",
        "",
        "A PASS is a false move to canary. *Once*: judged once on all the labelled rows "
        "(nominal ≤ 2.5 %). *Re-checked daily*: the same fixed-sample interval checked after "
        "each of 30 equal daily batches, moving at the first PASS — what the default intervals "
        "are not built for. *`anytime: true`*: the confidence-sequence intervals, a PASS at any "
        "look (their lower bound only rises, so this is a PASS at the last row).",
        "",
        "| scenario | once | re-checked daily (30 looks) | `anytime: true`, any look |",
        "|---|---:|---:|---:|",
    ]
    for r in rule:
        out.append(f"| {r['scenario']} | {r['once']:.1%} | {r['daily']:.1%} | {r['anytime']:.1%} |")
    out += [
        "",
        "## The canary plan against simulated canaries",
        "",
        "Canaries whose true Δ is the offline Δ̂, judged with the canary check's confidence "
        "sequences at daily looks: the planned day, the median day of promotion, and the share "
        "promoted by the planned day and by twice it. The plan uses the width a typical run "
        "shows, so about half the runs should promote by the planned day.",
        "",
        "| scenario | planned days | median day | promoted by the plan | by twice the plan |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in plans:
        out.append(
            f"| {r['scenario']} | {r['plan']:.1f} | {r['median']:g} | {r['by_plan']:.0%} | "
            f"{r['by_double']:.0%} |"
        )
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m validity.shadow", description=__doc__)
    parser.add_argument("--reps", type=int, default=1000)
    parser.add_argument("--plan-reps", type=int, default=200)
    parser.add_argument("--output", type=Path, default=Path("docs/validity-shadow.md"))
    args = parser.parse_args(argv)
    started = time.perf_counter()
    kappa = kappa_rows(args.reps)
    rule = rule_rows(args.reps)
    plans = plan_rows(args.plan_reps)
    text = render(kappa, rule, plans, args.reps, time.perf_counter() - started)
    args.output.write_text(text, encoding="utf-8")
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
