"""The one column-kind rule: column_kind, the default columns of each check, values and errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pytest_modelgate.checks.data.columns import (
    column_kind,
    default_columns,
    dtype_kind,
    has_range,
    numeric_values,
    require_columns,
    resolve_kinds,
)
from pytest_modelgate.checks.data.errors import BadParameter, ColumnNotNumeric, ColumnsAbsent
from pytest_modelgate.errors import DataError


def test_column_kind_rules() -> None:
    rng = np.random.default_rng(1)
    assert column_kind(pd.Series(rng.normal(size=10))) == "numeric"  # few, but not integers
    assert column_kind(pd.Series(rng.integers(0, 5, size=1000))) == "categorical"
    assert column_kind(pd.Series(rng.integers(0, 90, size=1000))) == "numeric"
    assert column_kind(pd.Series([1.0, 2.0, np.nan, 2.0])) == "categorical"  # ints with NaN
    assert column_kind(pd.Series([True, False])) == "categorical"
    assert column_kind(pd.Series(["x", "y"])) == "categorical"
    assert column_kind(pd.Series(["x", "y"], dtype="category")) == "categorical"
    assert column_kind(pd.Series(pd.date_range("2026-01-01", periods=3))) == "numeric"
    assert column_kind(pd.Series(rng.integers(0, 30, size=1000)), max_levels=50) == "categorical"


@pytest.fixture
def mixed() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 200
    return pd.DataFrame(
        {
            "code": rng.integers(0, 6, size=n),  # integer codes: categorical, and ordered
            "text": rng.choice(["a", "b"], size=n),
            "flag": rng.choice([True, False], size=n),
            "amount": rng.normal(size=n),
            "count": rng.integers(0, 500, size=n),  # many levels: numeric
            "when": pd.date_range("2026-01-01", periods=n, freq="h"),
        }
    )


def test_default_columns_follow_column_kind(mixed: pd.DataFrame) -> None:
    columns = list(mixed.columns)
    # unseen_categories: what column_kind calls categorical, integer codes included
    assert default_columns("unseen_categories", mixed, mixed, columns) == ["code", "text", "flag"]
    assert [c for c in columns if column_kind(mixed[c]) == "categorical"] == [
        "code",
        "text",
        "flag",
    ]
    # range: every numeric dtype but bool, codes included (a code above the largest is news)
    assert default_columns("range", mixed, mixed, columns) == ["code", "amount", "count"]
    # the others examine every candidate, in the candidates' order
    for check in ("drift", "missing_values", "schema", "label_drift"):
        assert default_columns(check, mixed, mixed, columns[::-1]) == columns[::-1]


def test_default_columns_honour_kinds_and_read_the_reference(mixed: pd.DataFrame) -> None:
    columns = list(mixed.columns)
    kinds = {"code": "numeric", "count": "categorical"}
    assert default_columns("unseen_categories", mixed, mixed, columns, kinds) == [
        "text",
        "flag",
        "count",
    ]
    # the reference decides: codes in the reference, floats with decimals in the test
    test = mixed.assign(code=mixed["code"] + 0.5)
    assert "code" in default_columns("unseen_categories", mixed, test, columns)
    # a column only the test has is judged by its own values (the check then reports it absent)
    extra = mixed.assign(new=["z"] * len(mixed))
    assert "new" in default_columns("unseen_categories", mixed, extra, [*columns, "new"])
    with pytest.raises(ColumnsAbsent, match="'nope'"):
        default_columns("unseen_categories", mixed, mixed, columns, {"nope": "numeric"})


def test_range_defaults_skip_a_column_that_turned_into_text(mixed: pd.DataFrame) -> None:
    test = mixed.assign(amount=mixed["amount"].map(lambda v: f"{v:.2f} EUR"))
    assert default_columns("range", mixed, test, list(mixed.columns)) == ["code", "count"]
    assert not has_range(mixed["flag"]) and not has_range(mixed["text"])
    assert has_range(mixed["code"]) and not has_range(mixed["when"])


def test_numeric_values_drop_missing_and_convert_datetimes() -> None:
    values = numeric_values(pd.Series([1.0, np.nan, 3.0]))
    np.testing.assert_array_equal(values, [1.0, 3.0])
    seconds = numeric_values(pd.Series(pd.to_datetime(["1970-01-01 00:00:10", None])))
    np.testing.assert_array_equal(seconds, [10.0])


def test_bad_input_is_a_data_error_and_the_builtin_it_documents() -> None:
    with pytest.raises(
        ColumnNotNumeric, match="column 'x' has dtype .* cannot be compared as numeric"
    ) as text:
        numeric_values(pd.Series(["1.5", "abc"], name="x"))
    assert isinstance(text.value, TypeError) and isinstance(text.value, DataError)
    assert text.value.key == "columns"

    frame = pd.DataFrame({"a": [1]})
    with pytest.raises(KeyError) as absent:
        require_columns(["a", "b"], [("test", frame), ("reference", frame)])
    assert isinstance(absent.value, DataError) and absent.value.key == "columns"
    # unquoted (a plain KeyError would quote its message)
    assert str(absent.value) == (
        "data check columns absent from the test data: 'b'; absent from the reference data: 'b'"
    )

    with pytest.raises(ColumnsAbsent, match="kinds names column 'zz'") as override:
        resolve_kinds(frame, ["a"], {"zz": "numeric"})
    assert override.value.key == "kinds"
    with pytest.raises(BadParameter, match="kind must be 'numeric' or 'categorical'") as bad:
        resolve_kinds(frame, ["a"], {"a": "ordinal"})
    assert isinstance(bad.value, ValueError) and bad.value.key == "kinds"
    with pytest.raises(ValueError, match="unknown dtype 'nonsense'"):
        dtype_kind("nonsense")
    assert resolve_kinds(frame, ["a"], {"a": "numeric"}) == {"a": "numeric"}


def test_a_column_without_values_does_not_decide_its_kind(mixed: pd.DataFrame) -> None:
    columns = list(mixed.columns)
    # a reference column of nothing but missing values: the test's values decide
    blank = mixed.assign(amount=np.nan, code=np.nan)
    assert default_columns("unseen_categories", blank, mixed, columns) == ["code", "text", "flag"]
    assert default_columns("range", blank, mixed, columns) == ["code", "amount", "count"]
    # a reference without rows (a header-only CSV reads as text columns): ranges are still
    # examined, and the range check then fails them for want of reference values
    empty = mixed.iloc[:0].astype(object)
    assert default_columns("range", empty, mixed, columns) == ["code", "amount", "count"]
    assert default_columns("unseen_categories", empty, mixed, columns) == ["code", "text", "flag"]
