"""End to end: ``pytest --modelgate`` on a realistic spec, CPU time and peak RSS against the floor.

What a user runs, measured as a performance engineer would (issue #16): each run is a fresh
process (``python -m pytest --modelgate`` on a ~20-gate spec with score columns: eight metric
gates, three sliced gates, three paired compares, two fairness gates, four data checks), timed by
the CPU time (user + system) and the peak RSS the kernel reports for that child (``os.wait4``),
min of ``--repeats`` runs. The floor is a process that imports pandas and reads the same Parquet
file, every column (what reading the data costs at the least); ``--fixed`` also times a 1-gate
run on 1,000 rows (the plugin's fixed cost) against plain ``pytest`` on an empty test.

    .venv/bin/python benchmarks/bench_end_to_end.py --rows 1000000 --repeats 3

CPU time, not wall time: on a shared machine wall time measures the neighbours.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
AGE_BINS = [17, 25, 45, 65, 91]

SPEC = """\
version: 1
task: binary
data:
  test: test.parquet
  reference: reference.parquet
  target: y
  sensitive: [sex, race]
models:
  candidate: {{predictions: pred_c, scores: score_c}}
  baseline: {{predictions: pred_b, scores: score_b}}
stats: {{resamples: 2000, seed: 0}}
gates:
  - {{metric: roc_auc, min: 0.7}}
  - {{metric: average_precision, min: 0.5}}
  - {{metric: accuracy, min: 0.6}}
  - {{metric: recall, min: 0.5}}
  - {{metric: precision, min: 0.5}}
  - {{metric: f1, min: 0.5}}
  - {{metric: log_loss, max: 0.7}}
  - {{metric: brier_score, max: 0.3}}
  - {{metric: recall, min: 0.5, slices: [sex], name: recall_by_sex}}
  - {{metric: precision, min: 0.5, slices: [race], evidence: lenient, name: precision_by_race}}
  - {{metric: accuracy, min: 0.6, slices: [{{column: age, bins: {bins}}}], name: accuracy_by_age}}
  - {{metric: roc_auc, compare: baseline, max_drop: 0.01}}
  - {{metric: accuracy, compare: baseline, max_drop: 0.01}}
  - {{metric: average_precision, compare: baseline, max_drop: 0.01}}
  - {{fairness: equalized_odds_difference, sensitive: sex, max: 0.2}}
  - {{fairness: demographic_parity_difference, sensitive: race, max: 0.2}}
  - {{check: missing_values, columns: [age, sex, race, f0, f1], max_fraction: 0.1}}
  - {{check: drift, columns: [f0, f1], method: psi, max: 0.1}}
  - {{check: label_drift, method: psi, max: 0.1}}
  - {{check: range, columns: [f0, f1, age], max_fraction: 0.01}}
"""

TEST_FILE = """\
def test_nothing():
    pass
"""


def make_frame(n: int, seed: int = 0, extra_columns: int = 8) -> pd.DataFrame:
    """A binary task with two models' scores and labels, slice columns and unused features."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(np.int64)
    signal = rng.normal(size=n) + 1.2 * y
    score_c = 1.0 / (1.0 + np.exp(-(signal + 0.3 * rng.normal(size=n) - 1.0)))
    score_b = 1.0 / (1.0 + np.exp(-(signal + 0.6 * rng.normal(size=n) - 1.0)))
    frame = pd.DataFrame(
        {
            "y": y,
            "score_c": score_c,
            "pred_c": (score_c >= 0.5).astype(np.int64),
            "score_b": score_b,
            "pred_b": (score_b >= 0.5).astype(np.int64),
            "sex": rng.choice(["F", "M"], size=n),
            "race": rng.choice(["a", "b", "c", "d", "e"], size=n, p=[0.6, 0.2, 0.1, 0.06, 0.04]),
            "age": rng.integers(18, 90, size=n),
        }
    )
    for j in range(extra_columns):
        frame[f"f{j}"] = rng.normal(size=n)
    return frame


def write_project(folder: Path, n: int) -> None:
    make_frame(n).to_parquet(folder / "test.parquet", index=False)
    make_frame(min(n, 100_000), seed=1).to_parquet(folder / "reference.parquet", index=False)
    (folder / "gates.yaml").write_text(SPEC.format(bins=AGE_BINS))
    (folder / "test_nothing.py").write_text(TEST_FILE)


def run_child(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, int]:
    """CPU seconds (user + system), peak RSS in MiB and exit status of one child process."""
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024.0, proc.returncode


def best_of(argv: list[str], cwd: Path, repeats: int, env: dict[str, str]) -> tuple[float, float]:
    runs = [run_child(argv, cwd, env) for _ in range(repeats)]
    bad = [code for _, _, code in runs if code not in (0, 1)]
    if bad:
        raise SystemExit(f"{' '.join(argv)} exited with {bad[0]} in {cwd}")
    return min(r[0] for r in runs), min(r[1] for r in runs)


def fairlearn_bootstrap(n: int, resamples: int, repeats: int) -> str:
    """fairlearn's own bootstrap (``MetricFrame(n_boot=B)``) against ``evaluate().by_slice`` on
    the same rows: f1 and recall per group with a 95 % interval, in-process CPU time."""
    import time

    from fairlearn.metrics import MetricFrame
    from sklearn.metrics import f1_score, recall_score

    from pytest_modelgate import evaluate

    frame = make_frame(n)
    y, pred, race = frame["y"].to_numpy(), frame["pred_c"].to_numpy(), frame["race"]

    def ours() -> None:
        ev = evaluate(y, pred, sensitive={"race": race}, resamples=resamples, seed=0)
        for name in ("f1", "recall"):
            ev.by_slice(name, "race")

    def theirs() -> None:
        MetricFrame(
            metrics={"f1": f1_score, "recall": recall_score},
            y_true=y,
            y_pred=pred,
            sensitive_features=race,
            n_boot=resamples,
            ci_quantiles=[0.025, 0.975],
            random_state=0,
        )

    def cpu(fn: object) -> float:
        best = float("inf")
        for _ in range(repeats):
            start = time.process_time()
            fn()  # type: ignore[operator]
            best = min(best, time.process_time() - start)
        return best

    mine, fl = cpu(ours), cpu(theirs)
    return (
        f"{n:,} rows, 5 groups, f1 + recall with 95% intervals, B = {resamples}: modelgate "
        f"{mine:.3f} s CPU (BCa on counts for f1, Clopper-Pearson for recall); fairlearn "
        f"MetricFrame(n_boot={resamples}) {fl:.2f} s (percentile row bootstrap): {fl / mine:.0f}x"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="*", default=[1_000_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--fixed", action="store_true", help="also the 1,000-row, 1-gate run")
    parser.add_argument(
        "--fairlearn", type=int, nargs=2, metavar=("ROWS", "B"), help="fairlearn's bootstrap"
    )
    parser.add_argument("--keep", type=Path, help="write the projects here (default: a temp dir)")
    args = parser.parse_args(argv)
    if args.fairlearn and args.fairlearn[1] < 100:
        parser.error("--fairlearn: B must be at least 100 (modelgate's least stats.resamples)")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    py = sys.executable
    pytest_args = [py, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist"]
    load = os.getloadavg()[0]
    print(f"load average {load:.1f} on {os.cpu_count()} cores; min of {args.repeats} runs")
    if args.fairlearn:
        print(fairlearn_bootstrap(args.fairlearn[0], args.fairlearn[1], args.repeats))
    with tempfile.TemporaryDirectory() as tmp:
        base = args.keep or Path(tmp)
        if args.fixed:
            folder = base / "fixed"
            folder.mkdir(parents=True, exist_ok=True)
            make_frame(1000).to_parquet(folder / "test.parquet", index=False)
            (folder / "gates.yaml").write_text(
                textwrap.dedent(
                    """\
                    version: 1
                    task: binary
                    data: {test: test.parquet, target: y}
                    models: {candidate: {predictions: pred_c, scores: score_c}}
                    gates:
                      - {metric: accuracy, min: 0.5}
                    """
                )
            )
            (folder / "test_nothing.py").write_text(TEST_FILE)
            plain = best_of([*pytest_args, "test_nothing.py"], folder, args.repeats, env)
            gate = best_of([*pytest_args, "--modelgate"], folder, args.repeats, env)
            print(
                f"fixed cost, 1,000 rows, 1 gate: pytest --modelgate {gate[0]:.2f} s CPU "
                f"({gate[1]:.0f} MiB); plain pytest {plain[0]:.2f} s ({plain[1]:.0f} MiB)"
            )
        for n in args.rows:
            folder = base / f"rows{n}"
            folder.mkdir(parents=True, exist_ok=True)
            write_project(folder, n)
            floor_code = "import pandas as pd; pd.read_parquet('test.parquet')"
            floor = best_of([py, "-c", floor_code], folder, args.repeats, env)
            gate = best_of([*pytest_args, "--modelgate"], folder, args.repeats, env)
            used = pd.read_parquet(folder / "test.parquet").memory_usage(deep=True).sum() / 2**20
            print(
                f"{n:>11,} rows: pytest --modelgate {gate[0]:.2f} s CPU, {gate[1]:.0f} MiB peak; "
                f"read-only floor {floor[0]:.2f} s, {floor[1]:.0f} MiB "
                f"(ratio {gate[0] / floor[0]:.1f}x CPU, {gate[1] / floor[1]:.1f}x RSS; "
                f"columns in memory {used:.0f} MiB; {1e6 * gate[0] / n:.2f} us/row)"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
