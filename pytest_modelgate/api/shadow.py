"""The shadow check from Python: :func:`check_shadow` runs the ``check: shadow`` gate's code."""

from __future__ import annotations

from typing import Any

from pytest_modelgate.results import CheckResult

__all__ = ["check_shadow"]


def check_shadow(log: Any, *, prediction: str, incumbent: str, **options: Any) -> CheckResult:
    """Judge a shadow log (the candidate beside the incumbent), as ``check: shadow`` would.

    Parameters
    ----------
    log : pandas.DataFrame
        One row per request: the candidate's label, the incumbent's (or a person's) decision
        and, where it has arrived, the ground truth (an empty cell while it has not).
    prediction : str
        The column with the candidate's label.
    incumbent : str
        The column with the incumbent's decision.
    **options
        The gate's other keys: ``outcome`` (the ground-truth column) with ``max_drop`` (how
        much worse than the incumbent the candidate may be on ``rate``), ``rate`` (accuracy,
        recall, specificity), ``positive_label`` (1), ``min_agreement``, ``slices`` (columns
        to break the disagreement down by), ``anytime`` (False: fixed-sample intervals; True:
        confidence sequences over the rows in log order), ``confidence`` (0.95), ``name``,
        ``severity``.
        See docs/shadow.md.

    Returns
    -------
    CheckResult
        ``verdict`` PASS (move to canary), FAIL (stay in shadow: shown worse, or agreement
        shown too low) or INCONCLUSIVE (``message`` says roughly how many more labelled rows);
        ``interval`` the paired interval of ``rate(candidate) − rate(incumbent)`` (the
        agreement's without ``outcome``); ``message`` the agreement and Cohen's κ with their
        intervals; ``details`` the paired table and the disagreement by slice.

    Raises
    ------
    ModelgateError
        For an unknown or invalid option (the message names it, the value and what is allowed).
    DataError
        For a log the check cannot use (a missing column, an empty prediction).
    """
    from pytest_modelgate.api.checks import check_on_frame

    options = {"prediction": prediction, "incumbent": incumbent, **options}
    return check_on_frame("shadow", "log", log, options, "check_shadow()")
