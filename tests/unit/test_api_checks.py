"""check_data / assert_data: the Python edge of the data checks validates like the spec loader."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import pytest_modelgate
from pytest_modelgate import DataError, ModelgateError, assert_data, check_data
from pytest_modelgate.results import Verdict


@pytest.fixture
def reference() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    n = 300
    return pd.DataFrame(
        {
            "age": rng.integers(18, 91, size=n),
            "city": rng.choice(["Oslo", "Lima"], size=n),
            "label": rng.integers(0, 2, size=n),
        }
    )


def test_exported_from_the_package() -> None:
    assert {"check_data", "assert_data"} <= set(pytest_modelgate.__all__)
    assert pytest_modelgate.check_data is check_data


def test_a_passing_check_returns_its_result(reference: pd.DataFrame) -> None:
    result = assert_data("unseen_categories", reference, reference, target="label")
    assert result.verdict is Verdict.PASS
    assert [g.group for g in result.groups] == ["city"]  # age has 73 levels: numeric
    assert (result.id, result.line, result.spec_file) == ("unseen_categories", None, None)
    named = check_data("missing_values", reference, name="no_gaps", severity="warn")
    assert (named.id, named.severity) == ("no_gaps", "warn")


def test_a_failing_check_raises_the_gate_message_and_table(reference: pd.DataFrame) -> None:
    test = reference.assign(city=["Pune"] * 30 + list(reference["city"][30:]))
    result = check_data("unseen_categories", test, reference, target="label")
    assert result.verdict is Verdict.FAIL
    with pytest.raises(AssertionError) as info:
        assert_data("unseen_categories", test, reference, target="label")
    assert str(info.value) == f"{result.message}\n{result.details}"
    assert "'Pune' ×30" in str(info.value)


def test_options_are_the_gate_keys(reference: pd.DataFrame) -> None:
    test = reference.assign(age=reference["age"] + 40)
    result = check_data("drift", test, reference, columns=("age",), method="ks")  # tuple is fine
    assert result.verdict is Verdict.FAIL and "ks" in result.message
    by_index = check_data("drift", test, reference, columns=pd.Index(["age"]), method="ks")
    assert by_index.message == result.message


@pytest.mark.parametrize(
    ("args", "options", "message"),
    [
        (
            ("missing_valuse",),
            {},
            "check_data: check 'missing_valuse' is not a data check; did you mean "
            "'missing_values'? (allowed: schema, missing_values, unseen_categories, range, drift, "
            "label_drift, leakage)",
        ),
        (
            ("latency",),
            {},
            "check_data: check 'latency' needs the model, so it runs from gates.yaml only "
            "(allowed: schema, ",
        ),
        ((3,), {}, "check_data: check 3 is not a data check (allowed: schema, "),
        (
            ("missing_values",),
            {"max_fraction": 1.5},
            "check_data('missing_values'): max_fraction: must be less than or equal to 1 (got 1.5)",
        ),
        (
            ("missing_values",),
            {"max_fractoin": 0.1},
            "check_data('missing_values'): max_fractoin: unknown key (did you mean "
            "`max_fraction`? allowed: ",
        ),
        (
            ("drift",),
            {"method": "psy"},
            "check_data('drift'): method: is not an allowed value (got 'psy'; allowed: 'shift', "
            "'psi', ",
        ),
        (
            ("range",),
            {"max_fraction": [0.1]},
            "check_data('range'): max_fraction: must be a number (got [0.1])",
        ),
    ],
)
def test_bad_arguments_name_the_argument_value_and_allowed(
    reference: pd.DataFrame, args: tuple, options: dict, message: str
) -> None:
    with pytest.raises(ModelgateError, match="^" + re.escape(message)):
        check_data(*args, reference, reference, **options)


def test_bad_frames_and_columns_are_data_errors(reference: pd.DataFrame) -> None:
    with pytest.raises(DataError, match=r"check_data\('drift'\): `drift` compares the test data"):
        check_data("drift", reference)
    with pytest.raises(DataError, match=r"test must be a pandas DataFrame \(got list\)"):
        check_data("missing_values", [1, 2])
    with pytest.raises(DataError, match=r"reference must be a pandas DataFrame \(got dict\)"):
        check_data("range", reference, {"age": [1]})
    with pytest.raises(DataError, match=r"target 'lable' is not a column .*did you mean 'label'"):
        check_data("missing_values", reference, target="lable")
    with pytest.raises(
        DataError, match=r"^check_data\('range', columns=\.\.\.\): data check columns absent"
    ):
        check_data("range", reference, reference, columns=["agee"])
    with pytest.raises(DataError, match=r"^check_data\('label_drift'\): label_drift compares"):
        check_data("label_drift", reference, reference)
