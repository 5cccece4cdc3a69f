"""The Python API: evaluate predictions in code and assert on them like unit tests.

``evaluate(...)`` builds the evidence once and answers many questions cheaply. The assertion
helpers build the same gate objects a ``gates.yaml`` entry builds (validated by the same spec
models, with the same messages) and run them through the same gate engine
(:mod:`pytest_modelgate.checks.engine`), so a YAML gate and its assertion give one answer::

    ev = evaluate(y_test, model.predict(X_test), model.predict_proba(X_test)[:, 1],
                  sensitive=X_test[["sex", "race"]], positive_label=">50K")
    assert_metric(ev, "recall", min=0.6)
    assert_slices(ev, "recall", "sex", min=0.55)
    assert_fair(ev, "equalized_odds_difference", sensitive="sex", max=0.1)
    ev.decision()                       # the release decision over what was checked
    ev.write_reports(json="report.json", html="report.html")
"""

from pytest_modelgate.api.assertions import (
    assert_fair,
    assert_metric,
    assert_no_regression,
    assert_predictions,
    assert_slices,
)
from pytest_modelgate.api.evaluation import Evaluation, evaluate, evaluation_from_evidence

__all__ = [
    "Evaluation",
    "assert_fair",
    "assert_metric",
    "assert_no_regression",
    "assert_predictions",
    "assert_slices",
    "evaluate",
    "evaluation_from_evidence",
]
