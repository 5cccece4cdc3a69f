"""A corpus of broken gate specs, each with the exact first problem it must produce.

Each case starts from the valid ``BASE`` spec and breaks one thing (or is raw YAML). The expected
string is a prefix of the first problem: ``gates.yaml:LINE: key.path: start of the message``.
"""

from __future__ import annotations

import pytest

from pytest_modelgate.errors import SpecError
from pytest_modelgate.spec import Spec, parse_spec

BASE = """\
version: 1
task: binary
data:
  test: data/test.csv
  reference: data/train.csv
  target: y
  sensitive: [sex]
models:
  candidate: m.joblib
stats:
  confidence: 0.95
gates:
  - metric: roc_auc
    min: 0.8
"""
G = "  - metric: roc_auc\n    min: 0.8\n"  # the one gate of BASE


def broken(old: str, new: str, gate: str | None = None) -> str:
    """BASE with ``old`` replaced by ``new`` (and its gate by ``gate``)."""
    assert old in BASE, old
    text = BASE.replace(old, new, 1)
    return text.replace(G, gate, 1) if gate is not None else text


# (id, spec text, expected prefix of the first problem)
CORPUS: list[tuple[str, str, str]] = [
    (
        "version-2",
        broken("version: 1\n", "version: 2\n"),
        "gates.yaml:1: version: is not an allowed value",
    ),
    (
        "version-quoted",
        broken("version: 1\n", "version: '1'\n"),
        "gates.yaml:1: version: is not an allowed value",
    ),
    (
        "version-missing",
        broken("version: 1\n", ""),
        "gates.yaml:1: version: required key is missing",
    ),
    (
        "task-list",
        broken("task: binary\n", "task: [binary]\n"),
        "gates.yaml:2: task: is not an allowed value",
    ),
    (
        "task-misspelt",
        broken("task: binary\n", "task: binery\n"),
        "gates.yaml:2: task: is not an allowed value",
    ),
    (
        "data-string",
        broken(
            "data:\n  test: data/test.csv\n  reference: data/train.csv\n  target: y\n  sensitive: [sex]\n",
            "data: data/test.csv\n",
        ),
        "gates.yaml:3: data: must be a mapping",
    ),
    (
        "models-string",
        broken("models:\n  candidate: m.joblib\n", "models: m.joblib\n"),
        "gates.yaml:8: models: must be a mapping",
    ),
    (
        "models-list",
        broken("models:\n  candidate: m.joblib\n", "models: [m.joblib]\n"),
        "gates.yaml:8: models: must be a mapping",
    ),
    (
        "stats-number",
        broken("stats:\n  confidence: 0.95\n", "stats: 0.95\n"),
        "gates.yaml:10: stats: must be a mapping",
    ),
    (
        "baseline-string",
        broken(
            "stats:\n  confidence: 0.95\n", "stats:\n  confidence: 0.95\nbaseline: .modelgate\n"
        ),
        "gates.yaml:12: baseline: must be a mapping",
    ),
    (
        "decision-string",
        broken("stats:\n  confidence: 0.95\n", "stats:\n  confidence: 0.95\ndecision: roc_auc\n"),
        "gates.yaml:12: decision: must be a mapping",
    ),
    (
        "gates-mapping",
        broken(
            "gates:\n  - metric: roc_auc\n    min: 0.8\n", "gates:\n  metric: roc_auc\n  min: 0.8\n"
        ),
        "gates.yaml:12: gates: must be a list",
    ),
    (
        "gates-empty",
        broken("gates:\n  - metric: roc_auc\n    min: 0.8\n", "gates: []\n"),
        "gates.yaml:12: gates: must have at least 1 item",
    ),
    (
        "gate-string",
        broken(G, "  - roc_auc >= 0.8\n"),
        "gates.yaml:13: gates[0]: each gate must be a mapping",
    ),
    (
        "confidence-percent",
        broken("  confidence: 0.95\n", "  confidence: 95\n"),
        "gates.yaml:11: stats.confidence: must be less than 1",
    ),
    (
        "confidence-word",
        broken("  confidence: 0.95\n", "  confidence: high\n"),
        "gates.yaml:11: stats.confidence: must be a number",
    ),
    (
        "confidence-quoted",
        broken("  confidence: 0.95\n", "  confidence: '0.95'\n"),
        "gates.yaml:11: stats.confidence: must be a number — quoted values are text in YAML: write it without quotes",
    ),
    (
        "engine-spark-with-model-file",
        broken("  sensitive: [sex]\n", "  sensitive: [sex]\n  engine: spark\n"),
        "gates.yaml:10: models.candidate: data.engine: spark groups the rows where they are "
        "stored, so no model can be run on them (got 'm.joblib'; allowed: prediction columns",
    ),
    (
        "engine-misspelt",
        broken("  sensitive: [sex]\n", "  sensitive: [sex]\n  engine: sparky\n"),
        "gates.yaml:8: data.engine: is not an allowed value (got 'sparky'",
    ),
    (
        "score-bins-one",
        broken("  sensitive: [sex]\n", "  sensitive: [sex]\n  score_bins: 1\n"),
        "gates.yaml:8: data.score_bins: must be greater than or equal to 2 (got 1",
    ),
    (
        "engine-duckdb-baseline-model",
        broken(
            "models:\n  candidate: m.joblib\n",
            "models:\n  candidate: {predictions: p, scores: s}\n  baseline: prod.joblib\n",
        ).replace("  sensitive: [sex]\n", "  sensitive: [sex]\n  engine: duckdb\n"),
        "gates.yaml:11: models.baseline: data.engine: duckdb groups the rows",
    ),
    (
        "resamples-float",
        broken("  confidence: 0.95\n", "  resamples: 2000.5\n"),
        "gates.yaml:11: stats.resamples: must be a whole number",
    ),
    (
        "resamples-low",
        broken("  confidence: 0.95\n", "  resamples: 10\n"),
        "gates.yaml:11: stats.resamples: must be greater than or equal to 100",
    ),
    (
        "seed-negative",
        broken("  confidence: 0.95\n", "  seed: -1\n"),
        "gates.yaml:11: stats.seed: must be greater than or equal to 0",
    ),
    (
        "min-support-bool",
        broken("  confidence: 0.95\n", "  min_support: true\n"),
        "gates.yaml:11: stats.min_support: must be a whole number",
    ),
    (
        "max-slices-low",
        broken("  confidence: 0.95\n", "  max_slices: 1\n"),
        "gates.yaml:11: stats.max_slices: must be greater than or equal to 2",
    ),
    (
        "stats-unknown-key",
        broken("  confidence: 0.95\n", "  confidnce: 0.95\n"),
        "gates.yaml:11: stats.confidnce: unknown key (did you mean `confidence`? allowed: confidence, evidence, interval, bootstrap, resamples, seed, min_support, max_slices, inconclusive)",
    ),
    (
        "stats-evidence",
        broken("  confidence: 0.95\n", "  evidence: loose\n"),
        "gates.yaml:11: stats.evidence: is not an allowed value",
    ),
    (
        "stats-interval",
        broken("  confidence: 0.95\n", "  interval: wald\n"),
        "gates.yaml:11: stats.interval: is not an allowed value",
    ),
    (
        "stats-bootstrap",
        broken("  confidence: 0.95\n", "  bootstrap: bca2\n"),
        "gates.yaml:11: stats.bootstrap: is not an allowed value",
    ),
    (
        "stats-inconclusive",
        broken("  confidence: 0.95\n", "  inconclusive: ignore\n"),
        "gates.yaml:11: stats.inconclusive: is not an allowed value",
    ),
    (
        "top-unknown-key",
        broken("version: 1\n", "version: 1\nverison: 1\n"),
        "gates.yaml:2: verison: unknown key (did you mean `version`? allowed: version, task, data, models, stats, baseline, decision, history, mlflow, metrics, gates, scan, mutate)",
    ),
    (
        "top-duplicate-key",
        broken("task: binary\n", "task: binary\ntask: regression\n"),
        "gates.yaml:3: task: duplicate key (first given on line 2; YAML would silently keep only the last one)",
    ),
    (
        "data-unknown-key",
        broken("  target: y\n", "  target: y\n  traget: z\n"),
        "gates.yaml:7: data.traget: unknown key (did you mean `target`? allowed: test, reference, target, positive_label, features, sensitive, exclude, na_values, engine, score_bins, cluster, weight, scan, id, time)",
    ),
    (
        "data-missing-target",
        broken("  target: y\n", "  traget: y\n"),
        "gates.yaml:3: data.target: required key is missing",
    ),
    (
        "data-duplicate-key",
        broken("  target: y\n", "  target: y\n  target: z\n"),
        "gates.yaml:7: data.target: duplicate key (first given on line 6; YAML would silently keep only the last one)",
    ),
    (
        "data-target-number",
        broken("  target: y\n", "  target: 3\n"),
        "gates.yaml:6: data.target: must be a string",
    ),
    (
        "data-sensitive-string",
        broken("  sensitive: [sex]\n", "  sensitive: sex\n"),
        "gates.yaml:7: data.sensitive: must be a list",
    ),
    (
        "models-unknown-key",
        broken("  candidate: m.joblib\n", "  candidate: m.joblib\n  candiate: n.joblib\n"),
        "gates.yaml:10: models.candiate: unknown key (did you mean `candidate`? allowed: candidate, baseline, threshold, trusted_types, timeout_s)",
    ),
    (
        "model-file-of-an-unsupported-kind",
        broken("  candidate: m.joblib\n", "  candidate: candidate.joblib.gz\n"),
        "gates.yaml:9: models.candidate: unsupported model file (got 'candidate.joblib.gz'; "
        "allowed: .joblib, .pkl, .pickle or .skops files",
    ),
    (
        "trusted-types-a-string",
        broken("  candidate: m.joblib\n", "  candidate: m.joblib\n  trusted_types: sklearn.\n"),
        "gates.yaml:10: models.trusted_types: must be a list",
    ),
    (
        "trusted-types-not-names",
        broken("  candidate: m.joblib\n", "  candidate: m.joblib\n  trusted_types: [1]\n"),
        "gates.yaml:10: models.trusted_types[0]: must be",
    ),
    (
        "prediction-columns-unknown-key",
        broken("  candidate: m.joblib\n", "  candidate: {score: s}\n"),
        "gates.yaml:9: models.candidate.score: unknown key (did you mean `scores`? allowed: predictions, scores)",
    ),
    (
        "prediction-columns-empty",
        broken("  candidate: m.joblib\n", "  candidate: {}\n"),
        "gates.yaml:9: models.candidate: give `predictions`, `scores` or both",
    ),
    (
        "threshold-quoted",
        broken("  candidate: m.joblib\n", "  candidate: m.joblib\n  threshold: '0.5'\n"),
        "gates.yaml:10: models.threshold: must be a number — quoted values are text in YAML: write it without quotes",
    ),
    (
        "threshold-nan",
        broken("  candidate: m.joblib\n", "  candidate: m.joblib\n  threshold: .nan\n"),
        "gates.yaml:10: models.threshold: must be a finite number",
    ),
    (
        "min-percent",
        broken("    min: 0.8\n", "    min: 80\n"),
        "gates.yaml:14: gates[0].min: roc_auc lies in [0, 1], so this bound can never be met",
    ),
    (
        "min-rate-60",
        broken(G, "  - metric: recall\n    min: 60\n"),
        "gates.yaml:14: gates[0].min: recall lies in [0, 1], so this bound can never be met",
    ),
    (
        "min-quoted",
        broken("    min: 0.8\n", "    min: '0.8'\n"),
        "gates.yaml:14: gates[0].min: must be a number — quoted values are text in YAML: write it without quotes",
    ),
    (
        "min-quoted-percent",
        broken("    min: 0.8\n", "    min: '85%'\n"),
        "gates.yaml:14: gates[0].min: must be a number — quoted values are text in YAML: write it without quotes and as a fraction (85% → 0.85)",
    ),
    (
        "min-nan",
        broken("    min: 0.8\n", "    min: .nan\n"),
        "gates.yaml:14: gates[0].min: must be a finite number",
    ),
    (
        "min-inf",
        broken("    min: 0.8\n", "    min: .inf\n"),
        "gates.yaml:14: gates[0].min: must be a finite number",
    ),
    (
        "max-minus-inf",
        broken("    min: 0.8\n", "    max: -.inf\n"),
        "gates.yaml:14: gates[0].max: must be a finite number",
    ),
    (
        "min-negative",
        broken("    min: 0.8\n", "    min: -0.1\n"),
        "gates.yaml:14: gates[0].min: roc_auc lies in [0, 1], so this bound can never be met",
    ),
    (
        "min-above-max",
        broken("    min: 0.8\n", "    min: 0.9\n    max: 0.8\n"),
        "gates.yaml:13: gates[0]: `min` (0.9) is above `max` (0.8)",
    ),
    (
        "gate-unknown-key",
        broken("    min: 0.8\n", "    mn: 0.8\n"),
        "gates.yaml:14: gates[0].mn: unknown key (did you mean `min`? allowed: name, severity, evidence, confidence, min_support, metric, min, max, slices, compare, max_drop, max_relative_drop, min_gain, max_gain, pairing, max_cumulative_drop, since, releases, max_decline, classes)",
    ),
    (
        "gate-unknown-key-no-hint",
        broken("    min: 0.8\n", "    min: 0.8\n    treshold: 0.8\n"),
        "gates.yaml:15: gates[0].treshold: unknown key",
    ),
    (
        "compare-with-min",
        broken("    min: 0.8\n", "    min: 0.8\n    compare: baseline\n    max_drop: 0.01\n"),
        "gates.yaml:13: gates[0]: a compare gate takes margins (max_drop, max_relative_drop, min_gain, max_gain), not min/max",
    ),
    (
        "compare-without-margin",
        broken("    min: 0.8\n", "    compare: baseline\n"),
        "gates.yaml:13: gates[0]: a compare gate needs one of max_drop, max_relative_drop, min_gain, max_gain",
    ),
    (
        "compare-bad-value",
        broken("    min: 0.8\n", "    compare: production\n    max_drop: 0.01\n"),
        "gates.yaml:14: gates[0].compare: is not an allowed value",
    ),
    (
        "margin-without-compare",
        broken("    min: 0.8\n", "    min: 0.8\n    max_drop: 0.01\n"),
        "gates.yaml:13: gates[0]: margins (max_drop, min_gain, ...) need `compare: baseline`",
    ),
    (
        "margin-negative",
        broken("    min: 0.8\n", "    compare: baseline\n    max_drop: -0.01\n"),
        "gates.yaml:15: gates[0].max_drop: must be greater than or equal to 0",
    ),
    (
        "relative-drop-above-1",
        broken("    min: 0.8\n", "    compare: baseline\n    max_relative_drop: 1.5\n"),
        "gates.yaml:15: gates[0].max_relative_drop: must be less than 1",
    ),
    (
        "severity-invalid",
        broken("    min: 0.8\n", "    min: 0.8\n    severity: fatal\n"),
        "gates.yaml:15: gates[0].severity: is not an allowed value",
    ),
    (
        "evidence-invalid",
        broken("    min: 0.8\n", "    min: 0.8\n    evidence: weak\n"),
        "gates.yaml:15: gates[0].evidence: is not an allowed value",
    ),
    (
        "gate-confidence-high",
        broken("    min: 0.8\n", "    min: 0.8\n    confidence: 1.5\n"),
        "gates.yaml:15: gates[0].confidence: must be less than 1",
    ),
    (
        "slices-empty",
        broken("    min: 0.8\n", "    min: 0.8\n    slices: []\n"),
        "gates.yaml:15: gates[0].slices: must name at least one slicing",
    ),
    (
        "slices-bins-and-quantiles",
        broken(
            "    min: 0.8\n",
            "    min: 0.8\n    slices: [{column: age, bins: [0, 30, 60], quantiles: 4}]\n",
        ),
        "gates.yaml:15: gates[0].slices[0]: give exactly one of `bins` or `quantiles`",
    ),
    (
        "slices-neither",
        broken("    min: 0.8\n", "    min: 0.8\n    slices: [{column: age}]\n"),
        "gates.yaml:15: gates[0].slices[0]: give exactly one of `bins` or `quantiles`",
    ),
    (
        "slices-quantiles-1",
        broken("    min: 0.8\n", "    min: 0.8\n    slices: [{column: age, quantiles: 1}]\n"),
        "gates.yaml:15: gates[0].slices[0].quantiles: must be greater than or equal to 2",
    ),
    (
        "slices-one-bin-edge",
        broken("    min: 0.8\n", "    min: 0.8\n    slices: [{column: age, bins: [0]}]\n"),
        "gates.yaml:15: gates[0].slices[0].bins: must have at least 2 items",
    ),
    (
        "slices-unknown-key",
        broken("    min: 0.8\n", "    min: 0.8\n    slices: [{column: age, quantile: 4}]\n"),
        "gates.yaml:15: gates[0].slices[0].quantile: unknown key (did you mean `quantiles`? allowed: column, bins, quantiles)",
    ),
    (
        "slices-number",
        broken("    min: 0.8\n", "    min: 0.8\n    slices: 3\n"),
        "gates.yaml:15: gates[0].slices: must be a list",
    ),
    (
        "metric-misspelt",
        broken("  - metric: roc_auc\n", "  - metric: rocauc\n"),
        "gates.yaml:13: gates[0].metric: unknown metric for task binary",
    ),
    (
        "metric-misspelt-recall",
        broken(G, "  - metric: recal\n    min: 0.8\n"),
        "gates.yaml:13: gates[0].metric: unknown metric for task binary",
    ),
    (
        "metric-other-task",
        broken(G, "  - metric: rmse\n    max: 0.8\n"),
        "gates.yaml:13: gates[0].metric: unknown metric for task binary",
    ),
    (
        "metric-number",
        broken("  - metric: roc_auc\n", "  - metric: 3\n"),
        "gates.yaml:13: gates[0].metric: must be a string",
    ),
    (
        "gate-kind-misspelt",
        broken("  - metric: roc_auc\n", "  - metrik: roc_auc\n"),
        "gates.yaml:13: gates[0]: gate has none of metric, fairness, check",
    ),
    (
        "duplicate-gate-id",
        broken(G, "  - metric: roc_auc\n    min: 0.8\n  - metric: roc_auc\n    min: 0.8\n"),
        "gates.yaml:15: gates[1]: two gates share the id 'roc_auc>=0.8' (the other is on line 13); give one a distinct `name:`",
    ),
    (
        "duplicate-gate-name",
        broken(
            G,
            "  - metric: roc_auc\n    min: 0.8\n    name: auc\n  - metric: recall\n    min: 0.5\n    name: auc\n",
        ),
        "gates.yaml:16: gates[1]: two gates share the id 'auc' (the other is on line 13); give one a distinct `name:`",
    ),
    (
        "gate-duplicate-key",
        broken(G, "  - metric: roc_auc\n    min: 0.8\n    min: 0.7\n"),
        "gates.yaml:15: gates[0].min: duplicate key (first given on line 14; YAML would silently keep only the last one)",
    ),
    (
        "fairness-metric-difference-without-metric",
        broken(G, "  - fairness: metric_difference\n    sensitive: sex\n    max: 0.1\n"),
        "gates.yaml:13: gates[0]: `fairness: metric_difference` needs `metric:` (e.g. recall)",
    ),
    (
        "fairness-ratio-above-1",
        broken(G, "  - fairness: demographic_parity_ratio\n    sensitive: sex\n    min: 1.2\n"),
        "gates.yaml:15: gates[0].min: a ratio (min / max over groups) lies in [0, 1], so this bound can never be met",
    ),
    (
        "fairness-difference-as-percent",
        broken(G, "  - fairness: equalized_odds_difference\n    sensitive: sex\n    max: 10\n"),
        "gates.yaml:15: gates[0].max: a difference (max − min over groups) lies in [0, 1], so this "
        "bound can never be met or never fail (got 10; did you mean 0.1?",
    ),
    (
        "fairness-difference-negative",
        broken(
            G, "  - fairness: demographic_parity_difference\n    sensitive: sex\n    max: -0.1\n"
        ),
        "gates.yaml:15: gates[0].max: a difference (max − min over groups) lies in [0, 1]",
    ),
    (
        "compare-max-drop-as-percent",
        broken(G, "  - metric: recall\n    compare: baseline\n    max_drop: 5\n"),
        "gates.yaml:15: gates[0].max_drop: recall lies in [0, 1], so this gate can never fail: Δ "
        "cannot drop below -1 (got 5; did you mean 0.05?",
    ),
    (
        "compare-min-gain-unreachable",
        broken(G, "  - metric: accuracy\n    compare: baseline\n    min_gain: 1\n"),
        "gates.yaml:15: gates[0].min_gain: accuracy lies in [0, 1], so this gate can never pass",
    ),
    (
        "stats-seed-too-large",
        broken("version: 1\n", "version: 1\nstats:\n  seed: 99999999999999999999\n"),
        "gates.yaml:3: stats.seed: must be less than or equal to 9223372036854775807",
    ),
    (
        "fairness-min-above-max",
        broken(
            G,
            "  - fairness: demographic_parity_ratio\n    sensitive: sex\n    min: 0.9\n    max: 0.8\n",
        ),
        "gates.yaml:13: gates[0]: `min` (0.9) is above `max` (0.8)",
    ),
    (
        "fairness-misspelt",
        broken(G, "  - fairness: demographic_parity\n    sensitive: sex\n    max: 0.1\n"),
        "gates.yaml:13: gates[0].fairness: is not an allowed value",
    ),
    (
        "fairness-without-sensitive",
        broken(G, "  - fairness: demographic_parity_difference\n    max: 0.1\n"),
        "gates.yaml:13: gates[0].sensitive: required key is missing",
    ),
    (
        "fairness-without-bounds",
        broken(G, "  - fairness: demographic_parity_difference\n    sensitive: sex\n"),
        "gates.yaml:13: gates[0]: a fairness gate needs `max` (for a difference) or `min` (for a ratio)",
    ),
    (
        "fairness-metric-not-generic",
        broken(
            G,
            "  - fairness: demographic_parity_difference\n    sensitive: sex\n    metric: recall\n    max: 0.1\n",
        ),
        "gates.yaml:13: gates[0]: `metric:` is only for metric_difference / metric_ratio, not demographic_parity_difference",
    ),
    (
        "fairness-metric-misspelt",
        broken(
            G, "  - fairness: metric_ratio\n    metric: recal\n    sensitive: sex\n    min: 0.8\n"
        ),
        "gates.yaml:14: gates[0].metric: unknown metric",
    ),
    (
        "latency-without-bounds",
        broken(G, "  - check: latency\n"),
        "gates.yaml:13: gates[0]: a latency check needs `p50_ms`, `p95_ms` and/or `p99_ms`",
    ),
    (
        "latency-zero",
        broken(G, "  - check: latency\n    p95_ms: 0\n"),
        "gates.yaml:14: gates[0].p95_ms: must be greater than 0",
    ),
    (
        "check-misspelt",
        broken(G, "  - check: latancy\n    p95_ms: 10\n"),
        "gates.yaml:13: gates[0].check: unknown check",
    ),
    (
        "check-list",
        broken(G, "  - check: [drift]\n"),
        "gates.yaml:13: gates[0].check: unknown check",
    ),
    (
        "perturb-two-operations",
        broken(G, "  - check: invariance\n    perturb: {column: sex, swap: [F, M], add: 1}\n"),
        "gates.yaml:14: gates[0].perturb: give exactly one of `swap`, `add`, `multiply`, `set`",
    ),
    (
        "perturb-no-operation",
        broken(G, "  - check: invariance\n    perturb: {column: sex}\n"),
        "gates.yaml:14: gates[0].perturb: give exactly one of `swap`, `add`, `multiply`, `set`",
    ),
    (
        "perturb-swap-one",
        broken(G, "  - check: invariance\n    perturb: {column: sex, swap: [F]}\n"),
        "gates.yaml:14: gates[0].perturb.swap: must have at least 2 items",
    ),
    (
        "directional-direction",
        broken(
            G, "  - check: directional\n    perturb: {column: age, add: 1}\n    direction: up\n"
        ),
        "gates.yaml:15: gates[0].direction: is not an allowed value",
    ),
    (
        "max-fraction-above-1",
        broken(G, "  - check: missing_values\n    max_fraction: 5\n"),
        "gates.yaml:14: gates[0].max_fraction: must be less than or equal to 1",
    ),
    (
        "drift-max-negative",
        broken(G, "  - check: drift\n    method: psi\n    max: -1\n"),
        "gates.yaml:15: gates[0].max: must be greater than or equal to 0",
    ),
    (
        "drift-kind",
        broken(G, "  - check: drift\n    kinds: {age: number}\n"),
        "gates.yaml:14: gates[0].kinds.age: is not an allowed value",
    ),
    (
        "drift-method",
        broken(G, "  - check: drift\n    method: psy\n"),
        "gates.yaml:14: gates[0].method: is not an allowed value",
    ),
    (
        "drift-test-with-strict-evidence",
        broken(G, "  - check: drift\n    method: ks\n    evidence: strict\n"),
        "gates.yaml:13: gates[0]: `evidence: strict` needs a distance with a tolerance; ks is a test",
    ),
    (
        "drift-test-alpha-above-1",
        broken(G, "  - check: drift\n    method: ks\n    max: 1.5\n"),
        "gates.yaml:13: gates[0]: `max` is ks's alpha and must lie in (0, 1)",
    ),
    (
        "drift-max-without-method",
        broken(G, "  - check: drift\n    max: 0.2\n"),
        "gates.yaml:13: gates[0]: `max` needs `method`: the default method is now shift",
    ),
    (
        "drift-max-categorical-with-psi",
        broken(G, "  - check: drift\n    method: psi\n    max_categorical: 0.1\n"),
        "gates.yaml:13: gates[0]: `max_categorical` is the total variation tolerance of method shift",
    ),
    (
        "model-size-without-max",
        broken(G, "  - check: model_size\n"),
        "gates.yaml:13: gates[0].max_mb: required key is missing",
    ),
    (
        "serving-skew-unknown-key",
        broken(G, "  - check: serving_skew\n    column: s\n    tolrance: 0.1\n"),
        "gates.yaml:15: gates[0].tolrance: unknown key (did you mean `tolerance`? allowed: name, severity, evidence, confidence, min_support, check, column, logged, features, tolerance, max_mismatch)",
    ),
    (
        "two-gate-kinds",
        broken(G, "  - check: drift\n    metric: roc_auc\n    min: 0.8\n"),
        "gates.yaml:13: gates[0]: gate has more than one of metric, fairness, check",
    ),
    (
        "check-needs-reference",
        broken(
            "  reference: data/train.csv\n",
            "",
            "  - metric: roc_auc\n    min: 0.8\n  - check: drift\n",
        ),
        "gates.yaml:14: gates[1].check: `check: drift` compares with reference data, but data.reference is not set",
    ),
    (
        "primary-without-compare",
        broken("stats:\n", "decision:\n  primary: roc_auc\nstats:\n"),
        "gates.yaml:11: decision.primary: no `compare: baseline` gate on roc_auc",
    ),
    (
        "primary-misspelt",
        broken("stats:\n", "decision:\n  primary: rocauc\nstats:\n"),
        "gates.yaml:11: decision.primary: unknown metric",
    ),
    (
        "decision-unknown-key",
        broken("stats:\n", "decision:\n  primry: roc_auc\nstats:\n"),
        "gates.yaml:11: decision.primry: unknown key (did you mean `primary`? allowed: primary, canary_plan)",
    ),
    (
        "empty-file",
        "",
        "gates.yaml:1: the file is empty",
    ),
    (
        "only-comment",
        "# gates\n",
        "gates.yaml:1: the file is empty",
    ),
    (
        "null-document",
        "~\n",
        "gates.yaml:1: the spec must be a mapping with version, data, models and gates",
    ),
    (
        "list-not-mapping",
        "- version: 1\n- task: binary\n",
        "gates.yaml:1: the spec must be a mapping with version, data, models and gates",
    ),
    (
        "scalar-not-mapping",
        "gates\n",
        "gates.yaml:1: the spec must be a mapping with version, data, models and gates",
    ),
    (
        "yaml-tab",
        broken("  target: y\n", "\ttarget: y\n"),
        "gates.yaml:6: invalid YAML: while scanning for the next token; found character '\\t' that cannot start any token (column 1)",
    ),
    (
        "yaml-bad-indent",
        broken("  target: y\n", "   target: y\n"),
        "gates.yaml:6: invalid YAML: mapping values are not allowed here (column 10)",
    ),
    (
        "yaml-dedent",
        broken("  test: data/test.csv\n", "    test: data/test.csv\n"),
        "gates.yaml:5: invalid YAML: while parsing a block mapping (started on line 1); expected <block end>, but found '<block mapping start>' (column 3)",
    ),
    (
        "yaml-unclosed-bracket",
        broken("  sensitive: [sex]\n", "  sensitive: [sex\n"),
        "gates.yaml:8: invalid YAML: while parsing a flow sequence (started on line 7); expected ',' or ']', but got ':' (column 7)",
    ),
    (
        "yaml-unclosed-brace",
        broken(G, "  - {metric: roc_auc, min: 0.8\n"),
        "gates.yaml:14: invalid YAML: while parsing a flow mapping (started on line 13); expected ',' or '}', but got '<stream end>' (column 1)",
    ),
    (
        "yaml-unclosed-quote",
        broken("task: binary\n", "task: 'binary\n"),
        "gates.yaml:15: invalid YAML: while scanning a quoted scalar (started on line 2); found unexpected end of stream (column 1)",
    ),
    (
        "yaml-missing-colon",
        broken("task: binary\n", "task binary\nx\n"),
        "gates.yaml:3: invalid YAML: while scanning a simple key (started on line 2); could not find expected ':' (column 1)",
    ),
    (
        "yaml-undefined-alias",
        broken("task: binary\n", "task: *binary\n"),
        "gates.yaml:2: invalid YAML: found undefined alias 'binary' (column 7)",
    ),
    (
        "yaml-two-documents",
        BASE + "---\nversion: 1\n",
        "gates.yaml:16: expected one YAML document, found several (---)",
    ),
    (
        "yaml-python-tag",
        broken("task: binary\n", "task: !!python/object/apply:os.system [ls]\n"),
        "gates.yaml:2: invalid YAML: could not determine a constructor for the tag 'tag:yaml.org,2002:python/object/apply:os.system'",
    ),
    (
        "yaml-control-character",
        broken("target: y", "target: y\x07"),
        "gates.yaml:6: invalid YAML: unacceptable character #x0007 (column 12): special characters are not allowed; remove it",
    ),
    (
        "yaml-complex-key",
        broken("task: binary\n", "task: binary\n? [a, b]\n: 1\n"),
        "gates.yaml:3: keys must be plain names",
    ),
    (
        "yaml-recursive-alias",
        broken("task: binary\n", "task: binary\nloop: &x [*x]\n"),
        "gates.yaml:3: invalid YAML: an alias (*name) refers to a value that contains it",
    ),
    (
        "yaml-alias-bomb",
        BASE
        + "a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n"
        + "".join(
            f"{k}: &{k} [{', '.join(['*' + p] * 10)}]\n"
            for p, k in zip("abcdef", "bcdefg", strict=True)
        ),
        "gates.yaml:15: invalid YAML: the document expands to more than 100000 values",
    ),
    (
        "yaml-nested-too-deep",
        broken("task: binary\n", "task: " + "[" * 500 + "]" * 500 + "\n"),
        "gates.yaml:2: invalid YAML: values are nested more than 50 levels deep",
    ),
]


def first_problems(text: str) -> list[str]:
    with pytest.raises(SpecError) as info:
        parse_spec(text)
    assert info.value.problems, "a SpecError must carry at least one problem"
    return [str(p) for p in info.value.problems]


def test_base_is_valid():
    assert isinstance(parse_spec(BASE), Spec)


def test_corpus_is_large_and_ids_are_unique():
    assert len(CORPUS) >= 40
    assert len({cid for cid, _, _ in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CORPUS], ids=[c[0] for c in CORPUS])
def test_first_problem(text: str, expected: str) -> None:
    got = first_problems(text)
    assert got[0].startswith(expected), got


def test_every_problem_of_the_corpus_is_located():
    for cid, text, _ in CORPUS:
        with pytest.raises(SpecError) as info:
            parse_spec(text)
        for p in info.value.problems:
            assert isinstance(p.line, int) and p.line >= 1, (cid, str(p))
            shown = str(p)
            assert shown.startswith(f"gates.yaml:{p.line}: "), (cid, shown)
            assert "Traceback" not in shown, (cid, shown)
