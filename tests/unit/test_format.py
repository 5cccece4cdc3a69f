"""Shared formatting: numbers, and labels that can never break an output line."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_modelgate._format import fmt_num, one_line, slice_label


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("x\n::stop-commands::pwn", "x\\n::stop-commands::pwn"),
        ("a\r\nb", "a\\r\\nb"),
        ("red\x1b[31m", "red\\x1b[31m"),
        ("line\u2028sep", "line\\u2028sep"),
        ("bidi\u202eevil", "bidi\\u202eevil"),
        ("lone\ud800surrogate", "lone\\ud800surrogate"),
        ("café, Zürich", "café, Zürich"),
        ("👩\u200d💻", "👩\u200d💻"),  # a ZWJ emoji stays one emoji
    ],
)
def test_one_line_escapes_what_breaks_lines(raw: str, shown: str) -> None:
    assert one_line(raw) == shown


@given(st.text())
def test_nothing_from_the_data_starts_a_new_line(text: str) -> None:
    label = slice_label({"col": text})
    assert label.splitlines() == [label] or label == ""
    assert "\x1b" not in label


def test_negative_zero_reads_zero() -> None:
    assert fmt_num(-0.00004) == "0.0000"
    assert fmt_num(-0.1) == "-0.1000"
    assert fmt_num(None) == "n/a" and fmt_num(float("nan"), missing="–") == "–"


def test_safe_lines_keeps_line_breaks_but_no_line_starts_a_workflow_command() -> None:
    from pytest_modelgate._format import safe_lines

    text = "FAIL: x\n::stop-commands::pwn\n  ##[error]old\r::add-mask::s\nok"
    assert safe_lines(text) == (
        "FAIL: x\n\\x3a:stop-commands::pwn\n  \\x23#[error]old\\r::add-mask::s\nok"
    )
