"""Spec loading: line numbers, every problem reported, hints, frozen result, schema in sync."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_modelgate.errors import SpecError
from pytest_modelgate.spec import json_schema, load_spec, parse_spec
from pytest_modelgate.spec.yamlsource import load_yaml

GOOD = """\
version: 1
task: binary
data:
  test: data/test.csv
  target: y
models:
  candidate: m.joblib
gates:
  - metric: roc_auc
    min: 0.8
  - metric: log_loss
    max: 0.5
    name: calibrated
  - metric: tpr
    min: 0.1
    max: 0.9
    evidence: lenient
    severity: warn
"""


def problems(text: str) -> list[str]:
    with pytest.raises(SpecError) as info:
        parse_spec(text)
    return [str(p) for p in info.value.problems]


def test_good_spec_is_frozen_and_keeps_lines(tmp_path: Path):
    (tmp_path / "gates.yaml").write_text(GOOD)
    spec = load_spec(tmp_path / "gates.yaml")
    assert [g.id for g in spec.gates] == ["roc_auc>=0.8", "calibrated", "0.1<=tpr<=0.9"]
    assert [g.line for g in spec.gates] == [9, 11, 14]
    assert spec.gates[2].severity == "warn"
    assert spec.stats.confidence == 0.95 and spec.stats.evidence == "strict"
    assert spec.resolve("data/test.csv") == tmp_path / "data" / "test.csv"
    assert len(spec.sha256) == 64
    with pytest.raises(Exception):
        spec.gates[0].config.min = 0.1  # type: ignore[misc]


def test_yaml_lines_and_duplicates():
    doc = load_yaml("a: 1\nb:\n  - x: 1\n    y: 2\n  - z: 3\na: 4\n", "f.yaml")
    assert doc.lines[("b", 0, "y")] == 4
    assert doc.lines[("b", 1)] == 5
    assert [str(p) for p in doc.problems] == [
        "f.yaml:6: a: duplicate key (first given on line 1; YAML would silently keep only the "
        "last one)"
    ]


def test_every_problem_is_reported_with_its_line():
    text = GOOD.replace("min: 0.8", "min: high").replace("  target: y", "  targt: y")
    got = problems(text)
    assert got == [
        "gates.yaml:3: data.target: required key is missing",
        "gates.yaml:5: data.targt: unknown key (did you mean `target`? allowed: test, reference, "
        "target, positive_label, features, sensitive, exclude, na_values, engine, score_bins, cluster, weight, "
        "scan, id, time)",
        "gates.yaml:10: gates[0].min: must be a number (got 'high'; allowed: the metric must be "
        "at least this)",
    ]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "metric: roc_auc",
            "metric: roc_uac",
            "gates.yaml:9: gates[0].metric: unknown metric for task binary (got 'roc_uac'; did you mean "
            "`roc_auc`?",
        ),
        (
            "metric: roc_auc",
            "metric: mae",
            "gates.yaml:9: gates[0].metric: unknown metric for task binary (got 'mae';",
        ),
        (
            "version: 1",
            "version: 2",
            "gates.yaml:1: version: is not an allowed value (got 2; allowed: 1)",
        ),
        (
            "    min: 0.8\n",
            "    min: 0.9\n    max: 0.8\n",
            "gates.yaml:9: gates[0]: `min` (0.9) is above `max` (0.8)",
        ),
        (
            "  - metric: roc_auc\n    min: 0.8\n",
            "  - metric: roc_auc\n",
            "gates.yaml:9: gates[0]: a metric gate needs `min`, `max`, or `compare` with a margin",
        ),
        (
            "  - metric: roc_auc\n",
            "  - metrik: roc_auc\n",
            "gates.yaml:9: gates[0]: gate has none of metric, fairness, check (got keys ['metrik', "
            "'min']); did you mean `metric` instead of `metrik`?",
        ),
        (
            "  - metric: roc_auc\n    min: 0.8\n",
            "  - check: drfit\n",
            "gates.yaml:9: gates[0].check: unknown check (got 'drfit'; did you mean `drift`?",
        ),
        (
            "  - metric: roc_auc\n    min: 0.8\n",
            "  - check: drift\n    method: psy\n",
            "gates.yaml:10: gates[0].method: is not an allowed value (got 'psy'; allowed: 'shift', "
            "'psi'",
        ),
        (
            "    min: 0.8\n",
            "    min: 0.8\n    slices: []\n",
            "gates.yaml:11: gates[0].slices: must name at least one slicing",
        ),
        (
            "    min: 0.8\n",
            "    min: 0.8\n    slices: [{column: age, bins: [1, 2], quantiles: 3}]\n",
            "gates.yaml:11: gates[0].slices[0]: give exactly one of `bins` or `quantiles`",
        ),
        (
            "    name: calibrated\n",
            "    name: roc_auc>=0.8\n",
            "gates.yaml:11: gates[1]: two gates share the id 'roc_auc>=0.8' (the other is on line 9)",
        ),
        (
            "    severity: warn\n",
            "    severity: never\n",
            "gates.yaml:18: gates[2].severity: is not an allowed value (got 'never'; allowed: 'block', "
            "'review' or 'warn')",
        ),
        ("  candidate: m.joblib\n", "  candidate: {scores: 3}\n", "gates.yaml:7: models.candidate"),
        (
            "task: binary",
            "task: classification",
            "gates.yaml:2: task: is not an allowed value (got 'classification'; allowed: 'binary', "
            "'multiclass' or 'regression')",
        ),
    ],
)
def test_single_problems(old, new, expected):
    assert old in GOOD
    got = problems(GOOD.replace(old, new, 1))
    assert any(p.startswith(expected) for p in got), got


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "gates.yaml:1: the file is empty"),
        ("- 1\n- 2\n", "gates.yaml:1: the spec must be a mapping"),
        (
            "a: [1\n",
            "gates.yaml:2: invalid YAML: while parsing a flow sequence (started on line 1);",
        ),
        ("a:\n  b: 1\n c: 2\n", "gates.yaml:3: invalid YAML"),
        ("a: 1\n---\nb: 2\n", "gates.yaml:3: expected one YAML document"),
        ("a: !!python/object:os.system x\n", "gates.yaml:1: invalid YAML"),
    ],
)
def test_yaml_level_problems(text, expected):
    got = problems(text)
    assert got[0].startswith(expected), got


def test_missing_spec_file(tmp_path: Path):
    with pytest.raises(SpecError, match="the gate spec does not exist"):
        load_spec(tmp_path / "gates.yaml")


def test_shipped_json_schema_is_up_to_date():
    shipped = Path(__file__).parents[2] / "pytest_modelgate" / "schema" / "gates.schema.json"
    assert json.loads(shipped.read_text()) == json_schema(), "run `make schema`"


def test_json_schema_describes_every_gate_kind():
    schema = json_schema()
    kinds = {
        ref["$ref"].rsplit("/", 1)[1] for ref in schema["properties"]["gates"]["items"]["anyOf"]
    }
    assert {"MetricGate", "FairnessGate", "DriftCheck", "LatencyCheck"} <= kinds
    assert schema["$defs"]["MetricGate"]["additionalProperties"] is False
