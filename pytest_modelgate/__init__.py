"""pytest-modelgate: statistically sound, reproducible ML release gates for pytest.

Only this module's ``__all__`` is public API. Heavy modules (numpy, pandas, scikit-learn) are
imported on first use so that installing the plugin costs nothing when ``--modelgate`` is off.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pytest_modelgate.errors import (
    DataError,
    InvertedScoresWarning,
    ModelError,
    ModelgateError,
    SpecError,
)

__version__ = "0.1.0"

__all__ = [
    "CheckResult",
    "ComparisonResult",
    "DataError",
    "Decision",
    "Evaluation",
    "FairnessResult",
    "GateRun",
    "GroupValue",
    "Interval",
    "InvertedScoresWarning",
    "MetricResult",
    "ModelError",
    "ModelgateError",
    "MutationContext",
    "Spec",
    "SpecError",
    "Threshold",
    "Verdict",
    "__version__",
    "assert_data",
    "assert_fair",
    "assert_metric",
    "assert_no_regression",
    "assert_predictions",
    "assert_slices",
    "check_canary",
    "check_data",
    "check_shadow",
    "decide",
    "evaluate",
    "group_counts",
    "load_spec",
    "metric",
    "mutate_gates",
    "plan_canary",
    "register_formula",
    "register_mutant",
    "run_gates",
    "scan_gates",
    "write_reports",
]

_LAZY = {
    **{
        name: ("pytest_modelgate.api", name)
        for name in (
            "Evaluation",
            "assert_fair",
            "assert_metric",
            "assert_no_regression",
            "assert_predictions",
            "assert_slices",
            "evaluate",
        )
    },
    **{
        name: ("pytest_modelgate.results", name)
        for name in (
            "CheckResult",
            "ComparisonResult",
            "FairnessResult",
            "GroupValue",
            "Interval",
            "MetricResult",
            "Threshold",
            "Verdict",
        )
    },
    "assert_data": ("pytest_modelgate.api.checks", "assert_data"),
    "check_data": ("pytest_modelgate.api.checks", "check_data"),
    "check_canary": ("pytest_modelgate.api.canary", "check_canary"),
    "check_shadow": ("pytest_modelgate.api.shadow", "check_shadow"),
    "plan_canary": ("pytest_modelgate.plan", "plan_canary"),
    "Decision": ("pytest_modelgate.decision", "Decision"),
    "decide": ("pytest_modelgate.decision", "decide"),
    "GateRun": ("pytest_modelgate.runner.session", "GateRun"),
    "Spec": ("pytest_modelgate.spec", "Spec"),
    "load_spec": ("pytest_modelgate.spec", "load_spec"),
    "run_gates": ("pytest_modelgate.runner.session", "run_gates"),
    "write_reports": ("pytest_modelgate.report", "write_reports"),
    "group_counts": ("pytest_modelgate.inputs.engines", "group_counts"),
    # #19: custom metrics of the confusion counts
    "metric": ("pytest_modelgate.estimates.extra_metrics", "metric"),
    "register_formula": ("pytest_modelgate.estimates.extra_metrics", "register_formula"),
    # what the gates miss (#20)
    "MutationContext": ("pytest_modelgate.audit.mutants", "MutationContext"),
    "register_mutant": ("pytest_modelgate.audit.mutants", "register_mutant"),
    "scan_gates": ("pytest_modelgate.runner.audit", "scan_gates"),
    "mutate_gates": ("pytest_modelgate.runner.audit", "mutate_gates"),
}

if TYPE_CHECKING:  # pragma: no cover
    from pytest_modelgate.api import (
        Evaluation,
        assert_fair,
        assert_metric,
        assert_no_regression,
        assert_predictions,
        assert_slices,
        evaluate,
    )
    from pytest_modelgate.api.canary import check_canary
    from pytest_modelgate.api.checks import assert_data, check_data
    from pytest_modelgate.api.shadow import check_shadow
    from pytest_modelgate.audit.mutants import MutationContext, register_mutant
    from pytest_modelgate.decision import Decision, decide
    from pytest_modelgate.estimates.extra_metrics import metric, register_formula
    from pytest_modelgate.inputs.engines import group_counts
    from pytest_modelgate.plan import plan_canary
    from pytest_modelgate.report import write_reports
    from pytest_modelgate.results import (
        CheckResult,
        ComparisonResult,
        FairnessResult,
        GroupValue,
        Interval,
        MetricResult,
        Threshold,
        Verdict,
    )
    from pytest_modelgate.runner.audit import mutate_gates, scan_gates
    from pytest_modelgate.runner.session import GateRun, run_gates
    from pytest_modelgate.spec import Spec, load_spec


def __getattr__(name: str) -> Any:
    try:
        module_name, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'pytest_modelgate' has no attribute {name!r}") from None
    import importlib

    value = getattr(importlib.import_module(module_name), attr)
    globals()[name] = value
    return value
