"""How often and how long a model is called (#15): a failing ``predict()`` is called once per
session, not once per gate; a model that does not return is stopped waiting for after
``models.timeout_s``; a FIFO or a device as data is refused instead of read forever."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pytest_modelgate.errors import SpecError
from pytest_modelgate.results import Verdict
from pytest_modelgate.runner.session import run_gates
from pytest_modelgate.spec import parse_spec

MODULE = """
import threading

import numpy as np

CALLS = {"candidate": 0, "baseline": 0}
RELEASE = threading.Event()


class Failing:
    classes_ = np.array([0, 1])

    def __init__(self, role):
        self.role = role

    def predict(self, X):
        CALLS[self.role] += 1
        raise ValueError("boom")

    predict_proba = predict


class Hangs:
    classes_ = np.array([0, 1])

    def predict(self, X):
        RELEASE.wait(30)
        return np.zeros(len(X), dtype=int)


class Good:
    classes_ = np.array([0, 1])

    def predict_proba(self, X):
        p = 1 / (1 + np.exp(-X["a"].to_numpy(float)))
        return np.c_[1 - p, p]

    def predict(self, X):
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)


good = Good()
failing_candidate = Failing("candidate")
failing_baseline = Failing("baseline")
hangs = Hangs()
"""

SPEC = """\
version: 1
data:
  test: {test}
  target: y
  features: [a]
{data_extra}models:
  candidate: {candidate}
{models_extra}gates:
  - {{metric: accuracy, min: 0.5}}
  - {{metric: accuracy, min: 0.4, slices: [g]}}
  - {{metric: roc_auc, compare: baseline, max_drop: 0.05}}
  - {{check: invariance, perturb: {{column: g, set: u}}, max_changed: 0.1}}
{more_gates}"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    (tmp_path / "callmodels.py").write_text(MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(0)
    pd.DataFrame(
        {"a": rng.normal(size=60), "g": rng.choice(["u", "v"], 60), "y": np.arange(60) % 2}
    ).to_csv(tmp_path / "test.csv", index=False)
    yield tmp_path
    module = sys.modules.pop("callmodels", None)
    if module is not None:
        module.RELEASE.set()  # let a thread still waiting in Hangs.predict finish


def _spec(root: Path, **kw: str):
    fields = {
        "test": "test.csv",
        "data_extra": "",
        "models_extra": "",
        "candidate": "",
        "more_gates": "",
    }
    fields.update(kw)
    return parse_spec(SPEC.format(**fields), root=root)


def test_a_failing_predict_is_called_once_per_model(project: Path) -> None:
    spec = _spec(
        project,
        candidate='"callmodels:failing_candidate"',
        models_extra='  baseline: "callmodels:failing_baseline"\n',
    )
    results = list(run_gates(spec))
    assert {r.verdict for r in results} == {Verdict.ERROR}
    assert "predict() failed on 60 rows" in results[0].message
    calls = sys.modules["callmodels"].CALLS
    assert calls == {"candidate": 1, "baseline": 0}  # the baseline is never needed


def test_a_failing_baseline_is_called_once_for_all_compare_gates(project: Path) -> None:
    spec = _spec(
        project,
        candidate='"callmodels:good"',
        models_extra='  baseline: "callmodels:failing_baseline"\n',
        more_gates="  - {metric: accuracy, compare: baseline, max_drop: 0.05}\n"
        "  - {metric: log_loss, compare: baseline, max_drop: 0.05}\n",
    )
    results = [r for r in run_gates(spec) if r.verdict is Verdict.ERROR]
    assert len(results) == 3
    assert all("failed on 60 rows" in r.message for r in results), [r.message for r in results]
    assert sys.modules["callmodels"].CALLS == {"candidate": 0, "baseline": 1}


def test_a_predict_that_does_not_return_is_an_error_after_the_timeout(project: Path) -> None:
    spec = _spec(project, candidate='"callmodels:hangs"', models_extra="  timeout_s: 0.2\n")
    results = list(run_gates(spec))
    assert {r.verdict for r in results} == {Verdict.ERROR}
    assert (
        "models.candidate: callmodels:hangs.predict() did not return within 0.2 s "
        "(models.timeout_s)"
    ) in results[0].message


def test_timeout_is_validated_at_load(project: Path) -> None:
    with pytest.raises(SpecError, match=r"gates.yaml:\d+: models.timeout_s"):
        _spec(project, candidate='"callmodels:hangs"', models_extra="  timeout_s: 0\n")
    assert _spec(project, candidate='"callmodels:hangs"').models.timeout_s == 600
    no_limit = _spec(project, candidate='"callmodels:hangs"', models_extra="  timeout_s: null\n")
    assert no_limit.models.timeout_s is None


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
@pytest.mark.parametrize("key", ["test", "reference"])
def test_a_fifo_as_data_is_refused_not_read_forever(project: Path, key: str) -> None:
    os.mkfifo(project / "feed.csv")
    if key == "test":
        spec = _spec(project, test="feed.csv", candidate="{predictions: y}")
    else:
        spec = _spec(
            project,
            data_extra="  reference: feed.csv\n",
            candidate="{predictions: y}",
            more_gates="  - {check: drift}\n",
        )
    results = list(run_gates(spec))
    messages = "\n".join(r.message for r in results)
    assert f"data.{key}: feed.csv is a named pipe (FIFO), not a regular file" in messages, messages


def test_a_device_as_data_is_refused(project: Path) -> None:
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero")
    (result, *_) = run_gates(_spec(project, test="/dev/zero", candidate="{predictions: y}"))
    assert result.verdict is Verdict.ERROR
    assert "data.test: /dev/zero is a character device, not a regular file" in result.message


def test_a_folder_of_parquet_files_is_still_data(project: Path) -> None:
    pytest.importorskip("pyarrow")
    (project / "parts").mkdir()
    pd.read_csv(project / "test.csv").to_parquet(project / "parts" / "a.parquet")
    (result, *_) = run_gates(_spec(project, test="parts", candidate="{predictions: y}"))
    assert result.verdict is Verdict.PASS, result.message
