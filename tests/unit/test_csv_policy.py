"""The CSV reading policy (#15): only ``data.na_values`` cells are missing, slice and sensitive
columns that are not model inputs are read as text, quoted line breaks stay in their field, and
distinct values that would print as one slice label are refused, never merged."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pytest_modelgate.errors import DataError
from pytest_modelgate.inputs.loading import DEFAULT_NA_VALUES, check_slice_labels, read_table
from pytest_modelgate.results import Verdict
from pytest_modelgate.runner.session import run_gates

COUNTRIES = ["NA", "NO", "None", "null", "n/a", "#N/A", "007", "7", "", "NaN"]
BIG = ["9007199254740993", "9007199254740992"]  # equal as float64


def project(tmp_path: Path, column: list[str], extra: str = "") -> Path:
    """A CSV whose `country` column cycles through ``column``, with prediction columns."""
    n = 40 * len(column)
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, size=n)
    lines = ["country,y,pred,score"]
    for i in range(n):
        value = column[i % len(column)]
        quoted = f'"{value}"' if any(c in value for c in ',"\r\n') else value
        lines.append(f"{quoted},{y[i]},{y[i] if i % 5 else 1 - y[i]},{0.2 + 0.6 * y[i]}")
    (tmp_path / "data.csv").write_text("\n".join(lines) + "\n", encoding="utf-8", newline="")
    spec = tmp_path / "gates.yaml"
    spec.write_text(
        "version: 1\ndata:\n  test: data.csv\n  target: y\n  exclude: [country]\n"
        + (f"  {extra}\n" if extra else "")
        + "models:\n  candidate: {predictions: pred, scores: score}\n"
        "stats:\n  min_support: 5\n  max_slices: 100\n"
        "gates:\n  - metric: accuracy\n    min: 0.5\n    evidence: point\n"
        "    slices: [country]\n"
    )
    return spec


def labels(spec: Path) -> dict[str, int]:
    return {r.slice["country"]: r.n for r in run_gates(spec).results if r.slice}


def test_na_like_words_leading_zeros_and_big_integers_stay_values(tmp_path: Path) -> None:
    got = labels(project(tmp_path, COUNTRIES + BIG))
    assert got == {**{c: 40 for c in COUNTRIES + BIG if c not in ("", "NaN")}, "<missing>": 80}
    assert DEFAULT_NA_VALUES == ("", "NaN", "nan")


def test_na_values_in_the_spec_decide_what_is_missing(tmp_path: Path) -> None:
    got = labels(project(tmp_path, ["NA", "NO", ""], extra='na_values: ["", "NA"]'))
    assert got == {"NO": 40, "<missing>": 80}


def test_a_quoted_carriage_return_stays_in_its_field(tmp_path: Path) -> None:
    got = labels(project(tmp_path, ["a\rb", "c\r\nd", "e"]))
    assert got == {"a\rb": 40, "c\r\nd": 40, "e": 40}
    frame = read_table(tmp_path / "data.csv", text_columns=["country"])
    assert len(frame) == 120 and set(frame["country"]) == {"a\rb", "c\r\nd", "e"}


@pytest.mark.parametrize(
    ("values", "says"),
    [
        (
            ["café", "cafe\u0301"],
            "'caf\\xe9' and 'cafe\\u0301', distinct values that would print as",
        ),
        (["<missing>", ""], "holds the text '<missing>' and also missing cells"),
    ],
)
def test_labels_that_would_clash_are_refused(tmp_path: Path, values: list[str], says: str) -> None:
    [result] = run_gates(project(tmp_path, values)).results
    assert result.verdict is Verdict.ERROR
    assert "data.csv: column 'country'" in result.message and says in result.message


def test_one_and_the_text_one_are_refused_in_a_frame() -> None:
    frame = pd.DataFrame({"g": pd.Series([1, "1", 2], dtype=object)})
    with pytest.raises(DataError, match=r"holds 1 and '1', distinct values that would print"):
        check_slice_labels(frame, ["g"], "frame")
    check_slice_labels(pd.DataFrame({"g": ["1", "2", None]}), ["g", "absent"], "frame")


def test_evaluate_refuses_clashing_group_labels_too() -> None:
    from pytest_modelgate import evaluate

    y = np.array([0, 1] * 20)
    with pytest.raises(DataError, match=r"evaluate\(sensitive=\): column 'g' holds 1 and '1'"):
        evaluate(y, y, sensitive={"g": pd.Series([1, "1"] * 20, dtype=object)})
