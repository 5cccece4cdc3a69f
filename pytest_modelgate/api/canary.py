"""The canary check from Python: :func:`check_canary` runs the ``check: canary`` gate's code."""

from __future__ import annotations

from typing import Any

from pytest_modelgate.results import CheckResult

__all__ = ["check_canary"]


def check_canary(traffic: Any, *, max_drop: float, outcome: str, **options: Any) -> CheckResult:
    """Judge a canary's logged traffic against the control arm, as ``check: canary`` would.

    Parameters
    ----------
    traffic : pandas.DataFrame
        One row per served request: its arm, its outcome and (except for ``outcome_mean``)
        the served prediction; optionally its time.
    max_drop : float
        How much worse than the control the canary may be (in the metric's units).
    outcome : str
        The column with the observed outcome.
    **options
        The gate's other keys: ``arm`` (default ``"arm"``), ``canary_arm``/``control_arm``
        (``"canary"``/``"control"``), ``rate`` (accuracy, recall, specificity, precision,
        outcome_mean), ``prediction``, ``positive_label`` (1), ``time``, ``look_every`` ("1D"),
        ``confidence`` (0.95), ``name``, ``severity``. See docs/canary.md.

    Returns
    -------
    CheckResult
        ``verdict`` PASS (promote), INCONCLUSIVE (continue: ``message`` says roughly how much
        more traffic would settle it) or FAIL (rollback); ``interval`` the anytime-valid
        interval of ``rate(canary) − rate(control)``; ``details`` the looks.

    Raises
    ------
    ModelgateError
        For an unknown or invalid option (the message names it, the value and what is allowed).
    DataError
        For traffic the check cannot use (a missing column, an unknown arm, a bad time).
    """
    from pytest_modelgate.api.checks import check_on_frame

    options = {"max_drop": max_drop, "outcome": outcome, **options}
    return check_on_frame("canary", "traffic", traffic, options, "check_canary()")
