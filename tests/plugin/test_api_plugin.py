"""Model tests written like unit tests: the fixture and the assertion helpers under pytest."""

from __future__ import annotations

from .conftest import SPEC_HEAD

SPEC = SPEC_HEAD + "  - metric: roc_auc\n    min: 0.7\n"

TESTS = """
from pytest_modelgate import assert_metric, assert_slices, assert_fair, assert_predictions


def test_overall(modelgate):
    assert_metric(modelgate.evaluation, "accuracy", min=0.7)


def test_custom_slice_fails(modelgate):
    data = modelgate.data
    assert_metric(modelgate.evaluation, "recall", min=0.95, slice=(data["f1"] > 0).to_numpy())


def test_slices_and_fairness(modelgate):
    assert_slices(modelgate.evaluation, "accuracy", "group", min=0.7)
    assert_fair(modelgate.evaluation, "equalized_odds_difference", sensitive="group", max=0.3)


def test_golden(modelgate):
    data = modelgate.data
    assert_predictions(modelgate.model(), data[["f1", "f2", "f3"]].iloc[:3], ["yes", "yes", "yes"])
"""


def test_fixture_and_helpers_under_modelgate(project):
    project.makefile(".yaml", gates=SPEC)
    project.makepyfile(test_model=TESTS)
    result = project.runpytest("--modelgate", "test_model.py")
    result.assert_outcomes(passed=3, failed=2)  # two tests and the gate pass
    out = result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "*FAIL: recall = 0.*, 95% CI [[]0.*, 0.*[]] (clopper-pearson), n = *; required >= 0.95*",
            "*rule      strict: lower 95% bound >= 0.95*",
            "*golden cases: * of 3 rows predicted wrongly (allowed: 0)*",
        ]
    )
    # the helpers hide their own frames: the failure points at the user's test line
    assert "pytest_modelgate/api.py" not in out
    assert "test_model.py:10: AssertionError" in out  # the assert_metric call in the test


def test_fixture_without_flag_uses_the_spec_or_skips(project):
    project.makepyfile(test_model=TESTS)
    result = project.runpytest("-rs", "test_model.py::test_overall")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*the modelgate fixture needs a gate spec: none at *gates.yaml*"])
    project.makefile(".yaml", gates=SPEC)
    result = project.runpytest("test_model.py::test_overall")
    result.assert_outcomes(passed=1)
