"""A model cannot turn CI green: sys.exit() or any BaseException from user code (a model's
predict, a module imported for a model, a zero-argument callable) is that gate's ERROR, and the
run exits non-zero with a decision and a report — serially and under xdist. Only an interrupt
(Ctrl-C) stops the run, with pytest's own exit status 2."""

from __future__ import annotations

import json

import pytest

SPEC = """\
version: 1
data:
  test: data/test.csv.gz
  target: label
  positive_label: "yes"
models:
  candidate: {model}
gates:
  - metric: accuracy
    min: 0.5
"""

MODELS = """\
import sys


class ExitsInPredict:
    def predict(self, X):
        sys.exit(0)

    def predict_proba(self, X):
        sys.exit(0)


class Custom(BaseException):
    pass


class RaisesBaseException:
    def predict(self, X):
        raise Custom("not an Exception")


class Interrupts:
    def predict(self, X):
        raise KeyboardInterrupt


exits_in_predict = ExitsInPredict()
raises_base = RaisesBaseException()
interrupts = Interrupts()
"""


@pytest.mark.parametrize(
    ("model", "says"),
    [
        ("usermodels:exits_in_predict", "predict() failed on 1500 rows"),
        ("'sys:exit'", "calling 'sys:exit' to build the model failed"),
        ("exits_on_import:model", "cannot import 'exits_on_import:model'"),
        ("usermodels:raises_base", "Custom: not an Exception"),
    ],
    ids=["sys.exit in predict", "sys:exit callable", "sys.exit on import", "BaseException"],
)
def test_user_code_cannot_end_the_run_green(project, model, says):
    _user_code_cannot_end_the_run_green(project, model, says, [])


def test_user_code_cannot_end_the_run_green_under_xdist(project):
    _user_code_cannot_end_the_run_green(
        project, "usermodels:exits_in_predict", "predict() failed on 1500 rows", ["-n", "2"]
    )


def _user_code_cannot_end_the_run_green(project, model, says, workers):
    project.makepyfile(usermodels=MODELS, exits_on_import="import sys\nsys.exit(0)\n")
    project.makefile(".yaml", gates=SPEC.format(model=model))
    project.syspathinsert()
    # serially in this process (pytester's inline run: a SystemExit the guard missed would end
    # this test, loudly); under xdist in a real subprocess with its workers
    run = project.runpytest_subprocess if workers else project.runpytest
    result = run("--modelgate", *workers)
    assert result.ret == 1, result.stdout.str()
    result.stdout.fnmatch_lines(["*DECISION: BLOCK*"])
    assert says in result.stdout.str()
    report = json.loads((project.path / ".modelgate" / "report.json").read_text())
    assert report["decision"] == "block"
    (gate,) = report["gates"]
    assert gate["verdict"] == "ERROR"
    if "exit" in model or "exits" in model:
        assert "it called sys.exit(" in gate["message"]


def test_an_interrupt_still_stops_the_run(project):
    project.makepyfile(usermodels=MODELS)
    project.makefile(".yaml", gates=SPEC.format(model="usermodels:interrupts"))
    project.syspathinsert()
    result = project.runpytest_subprocess("--modelgate")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    assert "DECISION: PROMOTE" not in result.stdout.str()


def test_a_bad_seed_option_is_a_usage_error(project):
    """--modelgate-seed -1 used to make every gate an 'internal error'; it is exit 4 now."""
    project.makefile(".yaml", gates=SPEC.format(model="models/model.joblib"))
    result = project.runpytest("--modelgate", "--modelgate-seed=-1")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--modelgate-seed: seed: must be greater than or equal to 0*"])


def test_a_slice_value_cannot_inject_a_workflow_command(project):
    """A data value 'x\\n::stop-commands::pwn' used to start its own stdout line, which a GitHub
    runner reads as a command; every label is printed on one line, escaped."""
    import pandas as pd

    frame = pd.read_csv(project.path / "data" / "test.csv.gz")
    frame["group"] = frame["group"].map({"a": "x\n::stop-commands::pwn", "b": "b\x1b[31m"})
    frame.to_csv(project.path / "data" / "test.csv.gz", index=False)
    spec = SPEC.format(model="models/model.joblib").replace(
        "    min: 0.5\n", "    min: 0.5\n    slices: [group]\n"
    )
    project.makefile(".yaml", gates=spec)
    result = project.runpytest("--modelgate", "-rA")
    out = result.stdout.str()
    assert "x\\n::stop-commands::pwn" in out
    assert "b\\x1b[31m" in out
    assert not any(line.lstrip().startswith("::") for line in out.splitlines())
    assert "\x1b[31m" not in out


def test_a_gate_name_must_be_one_printable_line(project):
    spec = SPEC.format(model="models/model.joblib").replace(
        "    min: 0.5\n", '    min: 0.5\n    name: "ok\\n::add-mask::x"\n'
    )
    project.makefile(".yaml", gates=spec)
    result = project.runpytest("--modelgate")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*gates[[]0[]]*`name` must be one printable line*"])


COUNTING = """\
import time
from pathlib import Path


class CountsAndFails:
    def predict(self, X):
        with Path("calls.txt").open("a") as fh:
            fh.write("predict\\n")
        raise ValueError("boom")


class Slow:
    def predict(self, X):
        time.sleep(1)
        return ["yes"] * len(X)


counts_and_fails = CountsAndFails()
slow = Slow()
"""


def test_a_failing_predict_is_called_once_in_a_whole_run(project):
    """#15: a failing predict() was called again for every gate and once more at the end."""
    project.makepyfile(countingmodels=COUNTING)
    spec = SPEC.format(model="countingmodels:counts_and_fails") + (
        "  - {metric: recall, min: 0.5}\n  - {metric: precision, min: 0.5}\n"
    )
    project.makefile(".yaml", gates=spec)
    project.syspathinsert()
    result = project.runpytest("--modelgate")
    assert result.ret == 1
    assert (project.path / "calls.txt").read_text().splitlines() == ["predict"]


def test_the_timeout_option_overrides_the_spec(project):
    project.makepyfile(countingmodels=COUNTING)
    project.makefile(".yaml", gates=SPEC.format(model="countingmodels:slow"))
    project.syspathinsert()
    result = project.runpytest("--modelgate", "--modelgate-timeout", "0.1")
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*countingmodels:slow.predict() did not return within 0.1 s*"])


@pytest.mark.parametrize("value", ["0", "-3", "nan", "inf"])
def test_a_bad_timeout_option_is_a_usage_error(project, value):
    project.makefile(".yaml", gates=SPEC.format(model="models/model.joblib"))
    result = project.runpytest("--modelgate", f"--modelgate-timeout={value}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--modelgate-timeout: must be a positive number of seconds*"])


def test_warnings_as_errors_do_not_turn_a_warn_gate_into_a_failed_item(project):
    """With -W error (or filterwarnings = error) a failing `severity: warn` gate used to print
    '1 failed' and a 667-line internal traceback while the run exited 0: the severity decides,
    so it stays a warning (--modelgate-fail-on=warn is how a warn gate blocks)."""
    spec = SPEC.format(model="models/model.joblib") + "  - metric: accuracy\n    min: 0.999\n"
    project.makefile(".yaml", gates=spec + "    severity: warn\n")
    result = project.runpytest("--modelgate", "-W", "error", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, warnings=1)
    assert "Traceback" not in result.stdout.str()
    assert result.ret == pytest.ExitCode.OK
    strict = project.runpytest("--modelgate", "-W", "error", "--modelgate-fail-on=warn")
    assert strict.ret == pytest.ExitCode.TESTS_FAILED


def test_a_spec_given_without_the_flag_names_the_flag(project):
    """`pytest gates.yaml` without --modelgate ended in pytest's bare 'not found'."""
    project.makefile(".yaml", gates=SPEC.format(model="models/model.joblib"))
    result = project.runpytest("gates.yaml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*gates.yaml is a gate spec, but the modelgate plugin is off*"])
    other = project.makefile(".yml", config="name: not a spec\n")
    assert "gate spec" not in project.runpytest(str(other)).stderr.str()
