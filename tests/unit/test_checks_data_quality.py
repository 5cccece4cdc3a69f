"""Schema, missing values, unseen categories and range checks on doctored data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pytest_modelgate.checks.data.columns import dtype_kind
from pytest_modelgate.checks.data.quality import (
    missing_values_check,
    range_check,
    schema_check,
    unseen_categories_check,
)


@pytest.fixture
def clean() -> pd.DataFrame:
    rng = np.random.default_rng(12)
    n = 1000
    return pd.DataFrame(
        {
            "age": rng.integers(18, 91, size=n),
            "income": rng.lognormal(10, 1, size=n),
            "planet": rng.choice(["Earth", "Moon"], size=n),
            "children": rng.integers(0, 4, size=n),
        }
    )


def test_missing_values_check_reports_doctored_columns(clean: pd.DataFrame) -> None:
    doctored = clean.copy()
    doctored["income"] = doctored["income"].mask(np.arange(len(doctored)) % 20 == 0)  # 50 NaN
    doctored.loc[:2, "planet"] = None  # rows 0, 1, 2: 3 missing
    result = missing_values_check(doctored)
    assert not result.passed
    assert [f.column for f in result.findings[:2]] == ["income", "planet"]
    assert result.findings[0].statistic == pytest.approx(0.05)
    assert result.findings[1].detail == "3 of 1000 rows (0.3%) missing"
    assert result.summary == ("2 of 4 columns have missing values above 0%: income 5%, planet 0.3%")
    tolerant = missing_values_check(doctored, max_fraction=0.01)
    assert [f.column for f in tolerant.findings if f.flagged] == ["income"]
    assert missing_values_check(clean).passed


def test_unseen_categories_check_reports_new_values(clean: pd.DataFrame) -> None:
    doctored = clean.copy()
    doctored.loc[:9, "planet"] = "Mars"
    doctored.loc[10:11, "planet"] = "Venus"
    doctored.loc[12:14, "planet"] = None  # missing is not unseen
    result = unseen_categories_check(clean, doctored)
    # Default columns: the reference's categorical ones (planet, and children: 4 integer levels).
    assert {f.column for f in result.findings} == {"planet", "children"}
    planet = result.findings[0]
    assert planet.column == "planet" and planet.flagged
    assert planet.statistic == pytest.approx(12 / 1000)
    assert planet.detail == "12 of 1000 rows (1.2%) unseen: 'Mars' ×10, 'Venus' ×2"
    assert result.summary == "1 of 2 columns have unseen categories above 0%: planet 1.2%"
    assert unseen_categories_check(clean, doctored, max_fraction=0.02).passed


def test_range_check_reports_out_of_range_values(clean: pd.DataFrame) -> None:
    doctored = clean.copy()
    doctored.loc[0, "age"] = -3
    doctored.loc[1, "age"] = 150
    doctored.loc[2, "age"] = 120
    result = range_check(clean, doctored)
    assert {f.column for f in result.findings} == {"age", "income", "children"}
    age = result.findings[0]
    assert age.column == "age" and age.flagged
    assert age.statistic == pytest.approx(3 / 1000)
    low, high = clean["age"].min(), clean["age"].max()
    assert age.detail == (
        f"reference range [{low}, {high}]; 3 of 1000 rows (0.3%) outside: "
        "lowest -3; highest 150, 120"
    )
    assert result.summary == "1 of 3 columns have values out of range above 0%: age 0.3%"
    assert range_check(clean, clean).passed


def test_schema_check_reports_dropped_and_changed_columns(clean: pd.DataFrame) -> None:
    doctored = clean.drop(columns=["children"])
    doctored["age"] = doctored["age"].astype(str)  # int → string: a change
    doctored["income"] = doctored["income"].astype("float32")  # float → float: not a change
    doctored["extra"] = 1.0
    result = schema_check(clean, doctored)
    assert not result.passed
    flagged = {f.column: f.detail for f in result.findings if f.flagged}
    assert set(flagged) == {"age", "children"}
    assert flagged["children"] == "missing from test (expected int64)"
    assert flagged["age"].startswith("dtype changed: int64 (numeric) → ")
    assert result.summary == (
        "schema mismatch in 2 of 4 columns; missing: children; "
        f"dtype changed: age int64→{doctored['age'].dtype}; extra (allowed): extra"
    )
    extra = next(f for f in result.findings if f.column == "extra")
    assert not extra.flagged and "allowed" in extra.detail


def test_schema_check_compares_kinds_and_accepts_a_mapping() -> None:
    test = pd.DataFrame(
        {
            "n": pd.array([1, None], dtype="Int64"),
            "f": [1.0, np.nan],
            "s": pd.Series(["a", "b"], dtype="category"),
            "t": pd.to_datetime(["2026-01-01", "2026-01-02"]).tz_localize("UTC"),
        }
    )
    expected = {"n": "float64", "f": "int64", "s": "object", "t": "datetime64[ns, UTC]"}
    assert schema_check(expected, test).passed
    assert schema_check({"n": "string"}, test, columns=["n"]).summary.startswith("schema mismatch")
    with pytest.raises(KeyError, match="'zz'"):
        schema_check(expected, test, columns=["zz"])
    assert dtype_kind("bool") == "bool" and dtype_kind(np.dtype("int8")) == "numeric"
    assert dtype_kind(pd.StringDtype()) == "string"
    assert dtype_kind(pd.Series([True, None], dtype="boolean").dtype) == "bool"


def test_a_time_zone_lost_between_reference_and_test_is_a_schema_change() -> None:
    """Issue #21: tz-aware → naive timestamps passed `schema` (both were "datetime")."""
    from pytest_modelgate import check_data
    from pytest_modelgate.checks.data.columns import dtype_kind

    ref = pd.DataFrame({"t": pd.date_range("2024-01-01", periods=5, tz="UTC"), "y": 0})
    test = pd.DataFrame({"t": pd.date_range("2024-01-01", periods=5), "y": 0})
    result = check_data("schema", test, ref, target="y")
    assert result.verdict.value == "FAIL" and "dtype changed: t" in result.message
    assert dtype_kind("datetime64[ns, UTC]") == "datetime-tz"
    assert dtype_kind("datetime64[ns]") == "datetime"
    assert check_data("schema", ref, ref, target="y").verdict.value == "PASS"
