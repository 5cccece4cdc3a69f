"""Property tests: whatever text the loader is given, it returns a Spec or a located SpecError.

Any other exception (a traceback from pydantic, PyYAML or our own code) is a loader bug.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from pytest_modelgate.errors import SpecError  # noqa: E402
from pytest_modelgate.spec import Spec, parse_spec  # noqa: E402

FUZZ = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
    database=None,
)

VALID: dict[str, Any] = {
    "version": 1,
    "task": "binary",
    "data": {
        "test": "data/test.csv",
        "reference": "data/train.csv",
        "target": "y",
        "sensitive": ["sex"],
    },
    "models": {"candidate": "m.joblib", "baseline": {"scores": "old"}, "threshold": 0.5},
    "stats": {"confidence": 0.9, "resamples": 500, "evidence": "lenient"},
    "baseline": {"store": ".modelgate/baseline"},
    "decision": {"primary": "roc_auc"},
    "gates": [
        {"metric": "roc_auc", "min": 0.8, "slices": ["sex", {"column": "age", "quantiles": 4}]},
        {"metric": "roc_auc", "compare": "baseline", "max_drop": 0.01},
        {"fairness": "demographic_parity_difference", "sensitive": "sex", "max": 0.1},
        {"fairness": "metric_ratio", "metric": "recall", "sensitive": ["sex"], "min": 0.8},
        {"check": "drift", "method": "psi", "max": 0.2, "kinds": {"age": "numeric"}},
        {"check": "latency", "p95_ms": 50, "severity": "warn"},
        {"check": "invariance", "perturb": {"column": "sex", "swap": ["F", "M"]}},
        {"check": "serving_skew", "column": "served", "max_mismatch": 0.01},
    ],
}


def test_the_seed_spec_is_valid():
    assert isinstance(parse_spec(yaml.safe_dump(VALID, sort_keys=False)), Spec)


def check_outcome(text: str) -> None:
    """The only allowed outcomes: a Spec, or a SpecError with a line on every problem."""
    try:
        result = parse_spec(text)
    except SpecError as exc:
        assert exc.problems, "a SpecError without problems"
        for p in exc.problems:
            assert isinstance(p.line, int) and p.line >= 1, f"problem without a line: {p}"
            assert "Traceback" not in str(p)
        return
    assert isinstance(result, Spec)


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["binary", "roc_auc", "recall", "drift", "baseline", "1", "0.5", "85%"]),
)
keys = st.one_of(
    st.text(max_size=10),
    st.sampled_from(
        ["version", "task", "data", "models", "gates", "stats", "metric", "min", "max", "check"]
    ),
)
trees = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=5)
    ),
    max_leaves=20,
)


@FUZZ
@given(trees)
def test_random_trees(tree: Any) -> None:
    check_outcome(yaml.safe_dump(tree, allow_unicode=True))


@FUZZ
@given(st.dictionaries(keys, trees, max_size=8))
def test_random_top_level_mappings(tree: dict[str, Any]) -> None:
    doc = copy.deepcopy(VALID)
    doc.update(tree)
    check_outcome(yaml.safe_dump(doc, allow_unicode=True))


def _containers(node: Any, out: list[Any]) -> list[Any]:
    if isinstance(node, (dict, list)):
        out.append(node)
        for child in node.values() if isinstance(node, dict) else node:
            _containers(child, out)
    return out


@st.composite
def mutated_specs(draw: st.DrawFn) -> str:
    doc = copy.deepcopy(VALID)
    for _ in range(draw(st.integers(1, 3))):
        containers = _containers(doc, [])
        target = draw(st.sampled_from(containers))
        if not target:
            continue
        slot = draw(
            st.sampled_from(list(target) if isinstance(target, dict) else range(len(target)))
        )
        op = draw(st.sampled_from(["drop", "replace", "rename", "duplicate"]))
        if op == "drop":
            del target[slot]
        elif op == "replace":
            target[slot] = draw(trees)
        elif op == "rename" and isinstance(target, dict):
            key = str(slot)
            pos = draw(st.integers(0, len(key)))
            char = draw(st.characters(codec="ascii", categories=["Ll", "Nd", "Pc"]))
            how = draw(st.sampled_from(["insert", "delete", "replace"]))
            if how == "insert":
                new = key[:pos] + char + key[pos:]
            elif how == "delete":
                new = key[:pos] + key[pos + 1 :]
            else:
                new = key[:pos] + char + key[pos + 1 :]
            target[new] = target.pop(slot)
        elif isinstance(target, list):
            target.insert(slot, copy.deepcopy(target[slot]))
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=draw(st.booleans()))


@FUZZ
@given(mutated_specs())
def test_mutated_specs(text: str) -> None:
    check_outcome(text)


@FUZZ
@given(st.text(max_size=200))
def test_random_text(text: str) -> None:
    check_outcome(text)


@FUZZ
@given(st.binary(max_size=200))
def test_random_bytes(data: bytes) -> None:
    check_outcome(data.decode("utf-8", errors="replace"))


yaml_ish = st.lists(
    st.sampled_from(
        [
            "version: 1\n",
            "gates:\n",
            "  - metric: roc_auc\n",
            "    min: 0.8\n",
            "data: {test: t.csv, target: y}\n",
            "models: {candidate: m.joblib}\n",
            "\t",
            "  ",
            "- ",
            ": ",
            "[",
            "]",
            "{",
            "}",
            "&a ",
            "*a ",
            "<<: *a\n",
            "!!str ",
            "!!python/name:os.system ",
            "!!python/tuple ",
            "!!set ",
            "!!omap ",
            "!!binary ",
            "!foo ",
            "2020-01-01",
            "&x [*x]",
            "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
            "? ",
            "'",
            '"',
            "#",
            "---\n",
            "...\n",
            "|\n",
            ">\n",
            "%YAML 1.1\n",
            "\n",
            "x",
            "1",
            ".nan",
            "~",
        ]
    ),
    max_size=30,
).map("".join)


@FUZZ
@given(yaml_ish)
def test_yaml_like_text(text: str) -> None:
    check_outcome(text)
