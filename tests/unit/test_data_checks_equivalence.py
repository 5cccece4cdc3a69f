"""One implementation per data check: the YAML gate and ``check_data`` give the same result.

Each case writes the data as CSV and a ``gates.yaml`` with one ``check:`` gate, runs it with
:func:`pytest_modelgate.run_gates`, and calls :func:`pytest_modelgate.check_data` with the same
keys on the same files read by pandas. Verdict, estimate, message, details, rule, threshold,
p-values and the per-column groups must be identical (only the spec file and line differ).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from pytest_modelgate import check_data, run_gates
from pytest_modelgate.checks.data.quality import unseen_categories_check

N = 600


def _reference(rng: np.random.Generator) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "age": rng.integers(18, 91, size=N),
            "income": rng.lognormal(10, 0.5, size=N).round(2),
            "planet": rng.choice(["Earth", "Moon"], size=N),
            "code": rng.integers(0, 5, size=N),  # integer codes: categorical (5 levels)
            "segment": rng.integers(1, 4, size=N),
            "label": rng.choice([0, 1], size=N, p=[0.7, 0.3]),
        }
    )


def _doctored(rng: np.random.Generator) -> pd.DataFrame:
    frame = _reference(rng)
    frame.loc[:29, "income"] = np.nan  # 5% missing
    frame["income"] = frame["income"] * 1.6  # a real shift
    frame.loc[30:44, "planet"] = "Mars"  # unseen category
    unseen = rng.random(N) < 0.39
    frame.loc[unseen, "code"] = rng.integers(5, 9, size=int(unseen.sum()))  # unseen codes
    frame.loc[45:49, "age"] = 150  # out of range
    frame["label"] = rng.choice([0, 1], size=N, p=[0.4, 0.6])  # label drift
    frame["segment"] = "s" + frame["segment"].astype(str)  # retyped: a schema change
    return frame


CASES: list[tuple[str, dict[str, Any]]] = [
    ("schema", {}),
    ("schema", {"columns": ["age", "code"]}),
    ("missing_values", {}),
    ("missing_values", {"max_fraction": 0.1, "columns": ["income", "age"]}),
    ("unseen_categories", {}),
    ("unseen_categories", {"max_fraction": 0.05}),
    ("range", {}),
    ("range", {"columns": ["income"], "max_fraction": 0.5}),
    ("drift", {}),
    ("drift", {"evidence": "strict", "confidence": 0.9, "max_categorical": 0.2}),
    ("drift", {"method": "psi", "evidence": "lenient", "min_support": 100}),
    ("drift", {"method": "jensen_shannon", "max": 0.05}),
    ("drift", {"method": "wasserstein"}),
    ("drift", {"method": "ks"}),
    ("drift", {"method": "chi2", "columns": ["planet", "code"]}),
    ("drift", {"kinds": {"code": "numeric"}, "columns": ["code", "age"]}),
    ("label_drift", {}),
    ("label_drift", {"method": "chi2"}),
    ("missing_values", {"name": "no_gaps", "severity": "warn"}),
    ("leakage", {}),  # #19
    ("leakage", {"look_for": ["near_duplicates", "single_feature"], "digits": 1}),
]


def _id(case: tuple[str, dict[str, Any]]) -> str:
    check, options = case
    return check + "".join(f"-{k}={v}" for k, v in options.items())


def _write(folder: Path, test: pd.DataFrame, reference: pd.DataFrame, gate: dict) -> Path:
    test.to_csv(folder / "test.csv", index=False)
    reference.to_csv(folder / "ref.csv", index=False)
    spec = {
        "version": 1,
        "data": {"test": "test.csv", "reference": "ref.csv", "target": "label"},
        "models": {"candidate": "model.joblib"},  # data checks never load it
        "gates": [gate],
    }
    path = folder / "gates.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def _comparable(result: Any) -> dict[str, Any]:
    out = result.to_dict()
    del out["line"], out["spec_file"]  # a Python call has no spec line
    return out


@pytest.mark.parametrize("doctored", [True, False], ids=["doctored", "clean"])
@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_yaml_gate_and_check_data_agree(
    tmp_path: Path, case: tuple[str, dict[str, Any]], doctored: bool
) -> None:
    check, options = case
    reference = _reference(np.random.default_rng(1))
    test = _doctored(np.random.default_rng(2)) if doctored else _reference(np.random.default_rng(3))
    spec = _write(tmp_path, test, reference, {"check": check, **options})

    [gate] = run_gates(spec)
    api = check_data(
        check,
        pd.read_csv(tmp_path / "test.csv"),
        pd.read_csv(tmp_path / "ref.csv"),
        target="label",
        **options,
    )

    assert gate.verdict.value in ("PASS", "FAIL", "INCONCLUSIVE"), gate.message
    assert api.verdict == gate.verdict
    assert api.message == gate.message
    assert api.details == gate.details
    assert (api.estimate == gate.estimate) or (
        api.estimate is not None and math.isnan(api.estimate) and math.isnan(gate.estimate)
    )
    assert _comparable(api) == _comparable(gate)
    assert (api.line, api.spec_file) == (None, None)
    assert gate.line and gate.spec_file is not None


def test_the_doctored_data_fails_every_check(tmp_path: Path) -> None:
    """The cases above compare failures, not only passes (a FAIL has the richest details)."""
    reference = _reference(np.random.default_rng(1))
    test = _doctored(np.random.default_rng(2))
    verdicts = {
        check: check_data(check, test, reference, target="label").verdict.value
        for check in ("schema", "missing_values", "unseen_categories", "range", "drift")
    }
    verdicts["label_drift"] = check_data("label_drift", test, reference, target="label").verdict
    assert {str(v) for v in verdicts.values()} == {"FAIL"}, verdicts


def test_gate_and_function_flag_the_same_integer_codes(tmp_path: Path) -> None:
    """The unseen-codes probe of issue 14: a column of integer codes (5 levels in the reference)
    with 39% unseen codes. The gate once said `PASS: no columns to check` (it chose columns by
    dtype) while ``unseen_categories_check`` flagged it (by ``column_kind``); one rule now."""
    rng = np.random.default_rng(14)
    reference = pd.DataFrame(
        {"code": rng.integers(0, 5, size=1000), "label": rng.integers(0, 2, 1000)}
    )
    unseen = rng.random(1000) < 0.39
    test = reference.assign(code=np.where(unseen, rng.integers(5, 9, size=1000), reference["code"]))
    spec = _write(tmp_path, test, reference, {"check": "unseen_categories"})

    [gate] = run_gates(spec)
    function = unseen_categories_check(
        pd.read_csv(tmp_path / "ref.csv").drop(columns=["label"]),
        pd.read_csv(tmp_path / "test.csv"),
    )

    assert gate.verdict.value == "FAIL", gate.message
    [finding] = function.findings
    assert finding.column == "code" and finding.flagged
    assert gate.estimate == finding.statistic == pytest.approx(unseen.mean())
    assert gate.message == f"FAIL: {function.summary}"
    assert [g.group for g in gate.groups] == ["code"]
    assert gate.groups[0].detail == finding.detail
