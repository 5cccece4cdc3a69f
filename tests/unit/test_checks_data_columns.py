"""The one column-kind rule: column_kind, the default columns of each check, values and errors."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pytest_modelgate.checks.data.columns import column_kind


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
