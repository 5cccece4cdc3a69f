"""MLflow registry and tracking end to end (#18), against a real ``mlflow server`` (SQLite
backend, local artifact store) started once for the test session.

Skipped when MLflow is not installed, except with ``CI=true`` (the ``test`` extra installs it),
where that is a failure. The server is slow to start (MLflow imports), so one fixture starts it
once and one test walks the whole flow: promote, block, canary, and the refusals.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import warnings
from pathlib import Path

import pytest

from .conftest import SPEC_HEAD

MODEL = "mg-fraud"


def _need_mlflow() -> None:
    try:
        import mlflow  # noqa: F401 - imported here once: pytester's in-process runs keep it
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but mlflow is not installed: the test extra installs it")
        pytest.skip("mlflow is not installed (pip install 'pytest-modelgate[mlflow]')")


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory):
    """``mlflow server`` on a free local port, with a SQLite backend and a local artifact
    store; its URI. Killed (with its uvicorn worker) at the end of the session."""
    _need_mlflow()
    root = tmp_path_factory.mktemp("mlflow")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = (root / "server.log").open("w")
    env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}  # no job workers
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mlflow",
            "server",
            "--backend-store-uri",
            f"sqlite:///{root / 'mlflow.db'}",
            "--artifacts-destination",
            str(root / "artifacts"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
        ],
        cwd=root,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,  # its own process group: the worker it spawns is stopped too
    )
    uri = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240
        while True:
            try:
                with urllib.request.urlopen(f"{uri}/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = (root / "server.log").read_text(errors="replace")[-2000:]
                pytest.fail(f"mlflow server did not come up at {uri}:\n{tail}")
            time.sleep(0.2)
        yield uri
    finally:
        # the whole process group (the CLI and the uvicorn worker it spawned); nothing in it
        # needs a clean shutdown: its database and artifacts are thrown away with the folder
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        log.close()


def _register(uri: str, model_file: Path, folder: Path) -> str:
    """Log ``model_file`` (a fitted scikit-learn model) with MLflow's sklearn flavour in a run
    and register it as a new version of MODEL; its version number."""
    import joblib
    import mlflow.sklearn

    local = folder / model_file.stem
    mlflow.sklearn.save_model(
        joblib.load(model_file), str(local), pip_requirements=["scikit-learn"]
    )
    return _register_folder(uri, local)


def _register_folder(uri: str, local: Path) -> str:
    """Upload a saved MLflow model folder in a run and register it as a version of MODEL."""
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    run = client.create_run("0")
    client.log_artifacts(run.info.run_id, str(local), "model")
    client.set_terminated(run.info.run_id)
    if not client.search_registered_models(f"name = '{MODEL}'"):
        client.create_registered_model(MODEL)
    version = client.create_model_version(
        MODEL, f"{run.info.artifact_uri}/model", run_id=run.info.run_id
    )
    return str(version.version)


GATES = """\
  - metric: roc_auc
    min: 0.6
    slices: [group]
  - metric: roc_auc
    compare: baseline
    max_drop: 0.01
"""


def _spec(candidate: str, baseline: str | None, uri: str | None, gates: str = GATES) -> str:
    models = f"  candidate: {candidate}\n" + (f"  baseline: {baseline}\n" if baseline else "")
    head = SPEC_HEAD.replace("  candidate: models/model.joblib\n", models)
    mlflow = f"mlflow:\n  tracking_uri: {uri}\n  experiment: gates-ci\n" if uri else ""
    return head.replace("stats:", mlflow + "stats:") + gates


def _import_once() -> None:
    """pytester's in-process runs drop every module a run imported; what is imported here first
    is kept, so the runs below do not import MLflow, scipy and the plugin's core again."""
    import mlflow.artifacts
    import mlflow.entities
    import mlflow.models
    import mlflow.pyfunc
    import mlflow.sklearn  # noqa: F401
    import sklearn.compose
    import sklearn.pipeline  # noqa: F401

    import pytest_modelgate.plugin.registry
    import pytest_modelgate.registry.promote
    import pytest_modelgate.report
    import pytest_modelgate.runner.session  # noqa: F401


def test_registry_flow_promote_block_canary(project, mlflow_server, tmp_path, monkeypatch):
    from mlflow import MlflowClient

    _import_once()

    monkeypatch.setenv("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "true")
    client = MlflowClient(tracking_uri=mlflow_server)
    weak = _register(mlflow_server, project.path / "models" / "weak.joblib", tmp_path)
    good = _register(mlflow_server, project.path / "models" / "model.joblib", tmp_path)
    client.set_registered_model_alias(MODEL, "champion", weak)

    # 1. the better candidate against the champion: PROMOTE moves @champion and tags the version
    project.makefile(
        ".yaml", gates=_spec(f"models:/{MODEL}/{good}", f"models:/{MODEL}@champion", mlflow_server)
    )
    result = project.runpytest(
        "--modelgate", "--modelgate-promote", "--modelgate-log-mlflow", "--modelgate-html=r.html"
    )
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            f"modelgate: models.candidate models:/{MODEL}/{good} → version {good} (run *)",
            f"modelgate: models.baseline models:/{MODEL}@champion → version {weak} (run *)",
            "*vs baseline: models.baseline (models:/mg-fraud@champion (version 1))*",
            "DECISION: PROMOTE*",
            "mlflow: run logged: http://127.0.0.1:*/#/experiments/*/runs/*",
            f"mlflow: PROMOTE: alias @champion of 'mg-fraud' moved from version {weak} to "
            f"version {good}; the decision is tagged on the version (run: http*",
        ]
    )
    assert client.get_model_version_by_alias(MODEL, "champion").version == good
    tags = client.get_model_version(MODEL, good).tags
    assert tags["modelgate.decision"] == "promote"
    assert tags["modelgate.alias"] == "champion"
    assert tags["modelgate.previous_champion"] == weak
    assert tags["modelgate.spec"] == "gates.yaml"
    assert tags["modelgate.reason"].startswith("all 3 gate results passed")
    # the lineage records what was gated: registry name, version, run id and source
    report = json.loads((project.path / ".modelgate" / "report.json").read_text())
    lineage = report["lineage"]["models"]
    for role, version in (("candidate", good), ("baseline", weak)):
        registered = client.get_model_version(MODEL, version)
        assert lineage[role]["name"] == MODEL
        assert lineage[role]["version"] == version
        assert lineage[role]["run_id"] == registered.run_id
        assert lineage[role]["source"] == registered.source
        assert lineage[role]["flavour"] == "sklearn"  # predict_proba: roc_auc could run
    assert lineage["baseline"]["alias"] == "champion"
    # the tracking run: estimates and bounds as metrics (names MLflow accepts), verdicts and
    # the decision as tags, the reports as artifacts
    run = client.get_run(tags["modelgate.run_id"])
    assert run.info.status == "FINISHED"
    assert run.data.tags["modelgate.decision"] == "promote"
    assert run.data.tags["modelgate.candidate.version"] == good
    # names MLflow accepts: runs of other characters become one "_"
    names = {
        ("roc_auc>=0.6", "a"): "roc_auc_0.6_group_a",
        ("roc_auc>=0.6", "b"): "roc_auc_0.6_group_b",
        ("roc_auc_vs_baseline:drop<=0.01", None): "roc_auc_vs_baseline_drop_0.01",
    }
    assert len(report["gates"]) == len(names)
    for gate in report["gates"]:
        name = names[gate["id"], (gate.get("slice") or {}).get("group")]
        assert run.data.metrics[f"{name}.estimate"] == pytest.approx(gate["estimate"])
        assert run.data.metrics[f"{name}.ci_low"] == pytest.approx(gate["interval"]["low"])
        assert run.data.metrics[f"{name}.ci_high"] == pytest.approx(gate["interval"]["high"])
        assert run.data.tags[f"modelgate.verdict.{name}"] == gate["verdict"] == "PASS"
    assert len(run.data.metrics) == 3 * len(names)
    artifacts = {f.path for f in client.list_artifacts(run.info.run_id, "modelgate")}
    assert artifacts == {
        "modelgate/report.json",
        "modelgate/r.html",
        "modelgate/metric_names.json",
    }

    # 2. a weak candidate is BLOCKED: nothing in the registry changes (tracking URI from the env)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_server)
    project.makefile(
        ".yaml",
        gates=_spec(f"models:/{MODEL}/{weak}", None, None, "  - metric: roc_auc\n    min: 0.95\n"),
    )
    before = client.get_registered_model(MODEL).aliases
    result = project.runpytest("--modelgate", "--modelgate-promote", "--modelgate-log-mlflow")
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            "DECISION: BLOCK*",
            "mlflow: run logged: http://127.0.0.1:*/#/experiments/*/runs/*",
            f"mlflow: models:/{MODEL}/{weak} NOT promoted: the decision is BLOCK; its aliases "
            "and tags are unchanged",
        ]
    )
    assert client.get_registered_model(MODEL).aliases == before
    assert not any(k.startswith("modelgate.") for k in client.get_model_version(MODEL, weak).tags)
    # a blocked run is still logged (default experiment name: modelgate)
    (blocked,) = client.search_runs([client.get_experiment_by_name("modelgate").experiment_id])
    assert blocked.data.tags["modelgate.decision"] == "block"
    assert blocked.data.tags["modelgate.verdict.roc_auc_0.95"] == "FAIL"

    # 3. the champion against itself: not shown better, a CANARY moves only @canary
    project.makefile(
        ".yaml", gates=_spec(f"models:/{MODEL}@champion", f"models:/{MODEL}/{good}", None)
    )
    result = project.runpytest("--modelgate", "--modelgate-promote")
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(["DECISION: CANARY*", "mlflow: CANARY: alias @canary of*"])
    aliases = client.get_registered_model(MODEL).aliases
    assert aliases == {"champion": good, "canary": good}
    assert client.get_model_version(MODEL, good).tags["modelgate.decision"] == "canary"

    # 4. an unknown alias and a server that is down: located errors before anything runs
    project.makefile(".yaml", gates=_spec(f"models:/{MODEL}@staging", None, None))
    result = project.runpytest("--modelgate")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: gates.yaml:9: models.candidate: models:/mg-fraud@staging: MLflow at "
            "http://127.0.0.1:*: INVALID_PARAMETER_VALUE: Registered model alias staging not "
            "found. (aliases of 'mg-fraud': @canary → version 2, @champion → version 2); "
            "nothing was run"
        ]
    )
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://127.0.0.1:{closed}")
    project.makefile(".yaml", gates=_spec(f"models:/{MODEL}@champion", None, None))
    result = project.runpytest("--modelgate")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: gates.yaml:9: models.candidate: models:/mg-fraud@champion (the server named "
            "by the environment variable MLFLOW_TRACKING_URI): cannot reach the MLflow tracking "
            f"server at http://127.0.0.1:{closed} (*refused*); is it running, and is the URI "
            "right?; nothing was run"
        ]
    )
    assert "Traceback" not in result.stdout.str() + result.stderr.str()

    # 5. a model without the sklearn flavour loads through pyfunc: predictions only, said so
    import joblib
    import mlflow.pyfunc
    import pandas as pd

    from pytest_modelgate.registry.client import load_registry_model

    sklearn_model = joblib.load(project.path / "models" / "model.joblib")

    folder = tmp_path / "pyfunc"
    with warnings.catch_warnings():  # MLflow asks for type hints on predict() (not the point)
        warnings.simplefilter("ignore", UserWarning)

        class Labels(mlflow.pyfunc.PythonModel):
            def __init__(self, inner):
                self.inner = inner

            def predict(self, context, model_input, params=None):
                return self.inner.predict(model_input[["f1", "f2", "f3"]])

        mlflow.pyfunc.save_model(
            str(folder), python_model=Labels(sklearn_model), pip_requirements=["scikit-learn"]
        )
        version = _register_folder(mlflow_server, folder)
        model, pinned = load_registry_model(  # loading repeats the warning
            f"models:/{MODEL}/{version}", mlflow_server, where="models.candidate", uri_where="-"
        )
        frame = pd.read_csv(project.path / "data" / "test.csv.gz").head(50)
        predicted = list(model.predict(frame))  # and so does predicting
    assert not hasattr(model, "predict_proba")
    assert predicted == list(sklearn_model.predict(frame[["f1", "f2", "f3"]]))
    assert pinned.flavour == "python_function"
    assert pinned.lineage()["unavailable"].startswith("predict_proba: the model has no sklearn")


def test_promote_refuses_a_candidate_that_is_not_a_registry_model(project):
    project.makefile(".yaml", gates=SPEC_HEAD + "  - metric: accuracy\n    min: 0.5\n")
    result = project.runpytest("--modelgate", "--modelgate-promote")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: --modelgate-promote: gates.yaml:9: models.candidate is "
            "'models/model.joblib', not an MLflow registry model, so there is no model version "
            "to move an alias to; give models.candidate as models:/<name>@<alias> or "
            "models:/<name>/<version>; nothing was run"
        ]
    )


def test_without_a_tracking_server_named_the_run_stops(project, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    project.makefile(".yaml", gates=_spec(f"models:/{MODEL}@champion", None, None))
    result = project.runpytest("--modelgate")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: gates.yaml: mlflow.tracking_uri: no MLflow tracking server is named; set the "
            "environment variable MLFLOW_TRACKING_URI (e.g. http://127.0.0.1:5000; in CI from a "
            "secret) or mlflow.tracking_uri in the gate spec; nothing was run"
        ]
    )
