"""`evidence`/`confidence`/`min_support` on a check gate are honoured or refused at load, never
silently ignored (issue #21)."""

from __future__ import annotations

import pytest

from pytest_modelgate.errors import SpecError
from pytest_modelgate.spec.load import parse_spec

HEAD = """\
version: 1
data:
  test: t.csv
  target: y
models:
  candidate: m.joblib
gates:
"""


@pytest.mark.parametrize(
    ("gate", "key", "line"),
    [
        ("  - check: schema\n    evidence: strict\n", "evidence", 9),
        (
            "  - check: missing_values\n    max_fraction: 0.1\n    confidence: 0.9\n",
            "confidence",
            10,
        ),
        ("  - check: model_size\n    max_mb: 3\n    min_support: 5\n", "min_support", 10),
    ],
)
def test_keys_without_meaning_are_refused_at_their_line(gate: str, key: str, line: int) -> None:
    with pytest.raises(SpecError) as info:
        parse_spec(HEAD + gate)
    assert f"gates.yaml:{line}: gates[0].{key}: `{key}` does not apply to this check" in str(
        info.value
    )


@pytest.mark.parametrize(
    "gate",
    [
        "  - check: invariance\n    perturb: {column: sex, swap: [a, b]}\n    evidence: lenient\n",
        "  - check: serving_skew\n    column: logged\n    confidence: 0.9\n",
        "  - check: latency\n    p95_ms: 10\n    evidence: point\n",
    ],
)
def test_statistical_checks_accept_them(gate: str) -> None:
    parse_spec(HEAD + gate)


def test_drift_accepts_them() -> None:
    parse_spec(
        HEAD.replace("  target: y\n", "  target: y\n  reference: r.csv\n")
        + ("  - check: drift\n    evidence: strict\n")
    )
