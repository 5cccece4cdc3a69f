"""Data checks from Python: ``check_data`` and ``assert_data`` run the ``check:`` gates' own code.

The keyword arguments are the gate's keys in ``gates.yaml`` and are validated by the same model
(same messages, same "did you mean"); the result is the same
:class:`~pytest_modelgate.results.CheckResult` — verdict, estimate, message, details — that the
gate gives on the same data.
"""

from __future__ import annotations

import difflib
from dataclasses import replace
from typing import Any

from pytest_modelgate.errors import DataError, ModelgateError, did_you_mean
from pytest_modelgate.results import CheckResult, Verdict

__all__ = ["DATA_ONLY_CHECKS", "assert_data", "check_data", "check_on_frame"]

#: The checks that need no model. The others (latency, model_size, invariance, directional,
#: prediction_drift, serving_skew) call the model and run from ``gates.yaml`` only.
DATA_ONLY_CHECKS = (
    "schema",
    "missing_values",
    "unseen_categories",
    "range",
    "drift",
    "label_drift",
    "leakage",  # #19: reference= is the training data
)


def check_data(
    check: str,
    test: Any,
    reference: Any = None,
    *,
    target: str | None = None,
    **options: Any,
) -> CheckResult:
    """Run one data check on pandas DataFrames, exactly as the ``check:`` gate would.

    Parameters
    ----------
    check : {"schema", "missing_values", "unseen_categories", "range", "drift", "label_drift"}
        The check, as in ``check:`` in ``gates.yaml``. Checks that need the model (latency,
        model_size, invariance, directional, prediction_drift, serving_skew) run from
        ``gates.yaml`` only.
    test : pandas.DataFrame
        The data to gate (``data.test``).
    reference : pandas.DataFrame, optional
        The data the model was trained or validated on (``data.reference``). Required by every
        check but ``missing_values``.
    target : str, optional
        The label column (``data.target``): never checked as a feature; what ``label_drift``
        compares.
    **options
        The gate's keys, e.g. ``columns=[...]``, ``max_fraction=0.01`` (missing_values,
        unseen_categories, range), ``method="psi"``, ``max=0.2``, ``kinds={...}`` (drift,
        label_drift), ``name=``, ``severity=``. See docs/data-checks.md.

    Returns
    -------
    CheckResult
        ``verdict`` PASS or FAIL, ``estimate`` the worst column's statistic, ``message`` one
        line, ``details`` the table a failing gate prints, ``groups`` every column examined.

    Raises
    ------
    ModelgateError
        For an unknown check or option, or an option value the gate would refuse (the message
        names the argument, the value and what is allowed).
    DataError
        For data the check cannot use: a named column that is absent, a column that cannot be
        compared as numbers, a missing reference.
    """
    from pytest_modelgate.checks.data import run_data_check
    from pytest_modelgate.checks.inputs import CheckInputs

    gate = _gate(check, options)
    _require_frames(check, test, reference, target)

    def where(*path: str | int) -> str:
        key = path[-1] if path else "check"
        return f"check_data({check!r})" if key == "check" else f"check_data({check!r}, {key}=...)"

    inputs = CheckInputs(
        where=where,
        test=lambda: test,
        target=target,
        reference=None if reference is None else (lambda: reference),
    )
    result = run_data_check(gate, inputs)
    return replace(result, line=None, spec_file=None)  # a Python call has no spec line


def assert_data(
    check: str,
    test: Any,
    reference: Any = None,
    *,
    target: str | None = None,
    **options: Any,
) -> CheckResult:
    """:func:`check_data`, raising ``AssertionError`` with the failing gate's message and table.

    The arguments are those of :func:`check_data`. Returns the result when the check passes.
    ``severity`` is recorded in the result but does not soften the assertion.
    """
    __tracebackhide__ = True
    result = check_data(check, test, reference, target=target, **options)
    if result.verdict is not Verdict.PASS:
        raise AssertionError(f"{result.message}\n{result.details}")
    return result


def _gate(check: Any, options: dict[str, Any]) -> Any:
    """The gate, built and validated by the spec's own code (the Python API's one way in)."""
    from pytest_modelgate.spec import CHECK_MODELS, gate_from_arguments
    from pytest_modelgate.spec.problems import _fmt_value

    if not isinstance(check, str) or check not in DATA_ONLY_CHECKS:
        if isinstance(check, str) and check in CHECK_MODELS:
            why = "needs the model, so it runs from gates.yaml only"
        else:
            close = difflib.get_close_matches(str(check), list(DATA_ONLY_CHECKS), n=1, cutoff=0.6)
            why = f"is not a data check{'; did you mean ' + repr(close[0]) + '?' if close else ''}"
        raise ModelgateError(
            f"check_data: check {_fmt_value(check)} {why} (allowed: {', '.join(DATA_ONLY_CHECKS)})"
        )
    if check == "leakage" and "train" in options:  # #19: a file path is for gates.yaml
        raise ModelgateError(
            "check_data('leakage'): pass the training data as reference= (a DataFrame); "
            "`train:` names a file in gates.yaml"
        )
    raw = {"check": check, **{k: _plain(v) for k, v in options.items()}}
    # a SpecError (a ModelgateError) naming the argument, the value and what is allowed
    return gate_from_arguments(raw, task=None, caller=f"check_data({check!r})")


def _plain(value: Any) -> Any:
    """Sequences as lists: the gate models are strict, and YAML gives lists."""
    import pandas as pd

    if isinstance(value, (tuple, pd.Index)):
        return list(value)
    return value


def _require_frames(check: str, test: Any, reference: Any, target: str | None) -> None:
    import pandas as pd

    from pytest_modelgate.spec.models import _NEEDS_REFERENCE

    for name, frame in (("test", test), ("reference", reference)):
        if frame is not None and not isinstance(frame, pd.DataFrame):
            raise DataError(
                f"check_data({check!r}): {name} must be a pandas DataFrame "
                f"(got {type(frame).__name__})"
            )
    if test is None:
        raise DataError(f"check_data({check!r}): test must be a pandas DataFrame (got None)")
    if reference is None and (check in _NEEDS_REFERENCE or check == "leakage"):
        raise DataError(
            f"check_data({check!r}): `{check}` compares the test data with reference data: "
            "pass reference= (a pandas DataFrame, e.g. the training data)"
        )
    if target is not None and target not in test.columns:
        raise DataError(
            f"check_data({check!r}): target {target!r} is not a column of the test data"
            f"{did_you_mean([target], list(test.columns))}"
        )


def check_on_frame(
    check: str, key: str, frame: Any, options: dict[str, Any], caller: str
) -> CheckResult:
    """A ``check:`` gate that reads one table of its own (a canary's ``traffic``, a shadow
    ``log``) run on a DataFrame handed over from Python: the gate is built and validated by the
    spec's code (same messages), the frame stands in for the file named by ``key``, and the
    result is the gate's own, without a spec line. ``check_canary`` and ``check_shadow`` are
    this with their arguments."""
    import pandas as pd

    from pytest_modelgate.checks.dispatch import run_check
    from pytest_modelgate.checks.inputs import CheckInputs
    from pytest_modelgate.spec import gate_from_arguments

    if not isinstance(frame, pd.DataFrame):
        kind = type(frame).__name__
        raise DataError(f"{caller}: {key} must be a pandas DataFrame (got {kind})")
    raw = {"check": check, key: "<the DataFrame given>", **options}
    gate = gate_from_arguments(raw, task=None, caller=caller)

    def where(*path: str | int) -> str:
        name = path[-1] if path else "check"
        return f"{caller}: {key}" if name == key else f"{caller}: {name}"

    inputs = CheckInputs(where=where, test=lambda: frame, read_table=lambda path, w: frame)
    return replace(run_check(gate, inputs), line=None, spec_file=None)  # no spec line
