"""Plain YAML scalars resolve as YAML 1.2 (#15): ``5e-2`` is a number, ``yes``/``no``/``on``/
``off`` are text (``NO`` is Norway, not False); quoted scalars stay text; oversized files are
refused before parsing, and a large list is not blamed on aliases."""

from __future__ import annotations

import pytest

from pytest_modelgate.errors import SpecError
from pytest_modelgate.spec.load import parse_spec
from pytest_modelgate.spec.yamlsource import load_yaml

SPEC = """\
version: 1
data:
  test: d.csv
  target: y
  positive_label: {label}
  sensitive: [{country}]
models:
  candidate: m.joblib
gates:
  - metric: accuracy
    min: {bar}
"""


def spec(label: str = "1", country: str = "region", bar: str = "0.8"):
    return parse_spec(SPEC.format(label=label, country=country, bar=bar), "gates.yaml")


@pytest.mark.parametrize(("text", "value"), [("8e-1", 0.8), ("5E-1", 0.5), ("+.7", 0.7)])
def test_exponent_numbers_without_a_dot_are_numbers(text: str, value: float) -> None:
    assert spec(bar=text).gates[0].config.min == pytest.approx(value)


def test_a_quoted_number_is_still_text_with_the_hint() -> None:
    with pytest.raises(SpecError, match=r"gates\[0\]\.min: .*quoted values are text in YAML"):
        spec(bar="'8e-1'")


@pytest.mark.parametrize("word", ["yes", "no", "on", "off", "Yes", "NO", "y", "n"])
def test_yaml11_boolean_words_stay_text(word: str) -> None:
    loaded = spec(label=word, country=word)
    assert loaded.data.positive_label == word
    assert loaded.data.sensitive == [word]


def test_true_and_false_are_still_booleans() -> None:
    assert spec(label="true").data.positive_label is True
    assert spec(label="False").data.positive_label is False


def test_an_oversized_file_is_refused_before_parsing() -> None:
    doc = load_yaml("a: [" + "x, " * 400_000 + "]", "big.yaml")
    [problem] = doc.problems
    assert problem.line == 1 and "million characters; a gate spec is a few thousand" in str(problem)


def test_many_values_without_aliases_are_not_blamed_on_aliases(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pytest_modelgate.spec import yamlsource

    monkeypatch.setattr(yamlsource, "_MAX_VALUES", 1000)
    [problem] = load_yaml("a: [" + "1, " * 1001 + "]", "g.yaml").problems
    assert "holds more than 1000 values" in problem.message
    assert "alias" not in problem.message
    [problem] = load_yaml("a: &x [1, 2, 3]\nb: [" + "*x, " * 400 + "]", "g.yaml").problems
    assert "expands to more than 1000 values through aliases" in problem.message
