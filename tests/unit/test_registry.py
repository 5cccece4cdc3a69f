"""The MLflow pieces that need no server (#18): references, URIs, aliases, metric names, and
the decisions that must never touch the registry. The real server is in
tests/plugin/test_mlflow.py."""

from __future__ import annotations

import posixpath
import random
import re
import sys

import pytest

from pytest_modelgate.decision import Decision
from pytest_modelgate.errors import SpecError
from pytest_modelgate.registry.client import (
    RegistryError,
    RegistryModel,
    check_reachable,
    mlflow_error_text,
    need_mlflow,
    parse_registry_uri,
    shown_uri,
    tracking_uri,
)
from pytest_modelgate.registry.promote import promote
from pytest_modelgate.registry.tracking import metric_names, sanitise
from pytest_modelgate.spec import parse_spec


def mlflow_accepts(name: str) -> bool:
    """MLflow's own rule for metric and tag keys (mlflow.utils.validation: the character class on
    every OS but Windows, where ':' is refused too — we never emit ':' — and names that would
    resolve to another path are refused), and its 250-character limit."""
    norm = posixpath.normpath(name)
    return (
        re.match(r"^[/\w.\- ]*$", name) is not None
        and norm == name
        and norm != "."
        and not norm.startswith("..")
        and not norm.startswith("/")
        and len(name) <= 250
    )


NASTY = [
    "roc_auc>=0.6",
    "roc_auc>=0.6[group=a]",
    "f1[sex=Femme, age=[25, 35)]",
    "f1[sex=Femme, age=[25, 35]]",
    "..",
    ".hidden",
    "/abs",
    "a//b",
    "",
    "   ",
    "café[ville=Zürich]",
    "x" * 400,
    "x" * 399 + "y",
    "a[b]",
    "a(b)",
    "a_b_2",
    "tab\there",
    "::stop-commands::x",
]


def test_metric_names_are_valid_unique_and_independent_of_order():
    names = metric_names(NASTY)
    assert set(names) == set(NASTY)
    assert len(set(names.values())) == len(NASTY)  # every label its own name
    for name in names.values():
        assert mlflow_accepts(name), name
        assert mlflow_accepts(name + ".estimate") or len(name) > 240
    shuffled = NASTY[:]
    random.Random(1).shuffle(shuffled)
    assert metric_names(shuffled) == names
    assert metric_names(NASTY, room=232) == metric_names(shuffled, room=232)
    assert all(len(n) <= 232 for n in metric_names(NASTY, room=232).values())


def test_colliding_labels_are_numbered_in_label_order_and_never_take_a_plain_name():
    names = metric_names(["a[b]", "a(b)", "a_b_2", "a b"])
    # sorted labels: "a b" (plain "a b"), "a(b)" < "a[b]" share "a_b"; "a_b_2" is a plain name
    assert names == {"a b": "a b", "a(b)": "a_b", "a_b_2": "a_b_2", "a[b]": "a_b_3"}
    assert sanitise("roc_auc_vs_baseline:drop<=0.01") == "roc_auc_vs_baseline_drop_0.01"
    assert sanitise("..") == "_.."
    assert sanitise("") == "_"


@pytest.mark.parametrize(
    ("ref", "problem"),
    [
        ("models:/fraud", "it names no alias or version"),
        ("models:/fraud/Production", "'Production' is not a version number"),
        ("models:/fraud/latest", "'latest' is not a version number"),
        ("models:/fraud/0", "'0' is not a version number"),
        ("models:/fraud@latest", "the alias is reserved by MLflow"),
        ("models:/fraud@v3", "the alias is reserved by MLflow"),
        ("models:/fraud@a b", "the alias is not an MLflow alias"),
        ("models:/@champion", "the model name is missing"),
    ],
)
def test_registry_references_outside_the_two_pinned_forms_are_refused_on_their_line(ref, problem):
    text = f"""version: 1
data: {{test: t.csv, target: y}}
models:
  candidate: "{ref}"
gates:
  - metric: accuracy
    min: 0.5
"""
    with pytest.raises(SpecError) as info:
        parse_spec(text)
    message = str(info.value)
    assert message.startswith(f"gates.yaml:4: models.candidate: {problem}")
    assert "the forms are models:/<name>@<alias> (e.g. models:/fraud@champion) or " in message


def test_the_two_forms_parse():
    assert parse_registry_uri("models:/fraud@champion", "k").alias == "champion"
    ref = parse_registry_uri("models:/team.fraud/12", "k")
    assert (ref.name, ref.version, ref.alias) == ("team.fraud", "12", None)
    with pytest.raises(RegistryError, match=r"^k: 'models:/fraud': it names no alias"):
        parse_registry_uri("models:/fraud", "k")


@pytest.mark.parametrize(
    ("block", "message"),
    [
        (
            "  tracking_uri: ftp://host\n",
            "gates.yaml:9: mlflow.tracking_uri: not a scheme MLflow tracking uses (allowed: "
            "http://, https://, file://, sqlite://",
        ),
        ("  tracking_uri: http://\n", "gates.yaml:9: mlflow.tracking_uri: the URI names no host"),
        ("  tracking_uri: 'http://a b'\n", "gates.yaml:9: mlflow.tracking_uri: not a URI"),
        ("  promote_alias: latest\n", "gates.yaml:9: mlflow.promote_alias: reserved by MLflow"),
        ("  canary_alias: champion\n", "gates.yaml:8: mlflow: promote_alias and canary_alias "),
        ("  log: 'yes'\n", "gates.yaml:9: mlflow.log:"),
        ("  experiment: ''\n", "gates.yaml:9: mlflow.experiment:"),
    ],
)
def test_mlflow_section_is_validated(block, message):
    text = f"""version: 1
data: {{test: t.csv, target: y}}
models:
  candidate: m.joblib
gates:
  - metric: accuracy
    min: 0.5
mlflow:
{block}"""
    with pytest.raises(SpecError) as info:
        parse_spec(text)
    assert str(info.value).startswith(message), str(info.value)


def test_tracking_uri_from_the_spec_else_the_environment_else_a_clear_error(monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://env:5000")
    assert tracking_uri("http://spec:5000", "k") == ("http://spec:5000", "k")
    assert tracking_uri(None, "k") == (
        "http://env:5000",
        "the environment variable MLFLOW_TRACKING_URI",
    )
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://user:s3cret@env:5000/x y")
    with pytest.raises(RegistryError) as info:
        tracking_uri(None, "k")
    assert str(info.value) == (
        "the environment variable MLFLOW_TRACKING_URI: 'http://***@env:5000/x y': not a URI "
        "(it is empty or holds spaces)"
    )
    assert "s3cret" not in str(info.value)
    monkeypatch.delenv("MLFLOW_TRACKING_URI")
    with pytest.raises(RegistryError, match=r"^k: no MLflow tracking server is named; set"):
        tracking_uri(None, "k")


def test_credentials_never_shown():
    assert shown_uri("https://me:pw@host:8443/path") == "https://***@host:8443/path"
    assert shown_uri("http://127.0.0.1:5000") == "http://127.0.0.1:5000"
    error = ValueError("API request to https://bob:pw@host:5000/api failed\nretry 1\nretry 2")
    assert mlflow_error_text(error) == "API request to https://***@host:5000/api failed"


def test_an_unreadable_certificate_is_a_message_not_a_traceback(monkeypatch, tmp_path):
    monkeypatch.setenv("MLFLOW_TRACKING_SERVER_CERT_PATH", str(tmp_path / "missing.pem"))
    with pytest.raises(RegistryError, match=r"^src: cannot reach the MLflow tracking server at "):
        check_reachable("https://127.0.0.1:9", "src")


def test_missing_mlflow_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "mlflow", None)  # import mlflow raises ImportError
    with pytest.raises(RegistryError) as info:
        need_mlflow("gates.yaml:4: models.candidate")
    assert str(info.value) == (
        "gates.yaml:4: models.candidate: MLflow is needed, but importing it is not installed. "
        "Install it with: pip install 'pytest-modelgate[mlflow]'"
    )


@pytest.mark.parametrize(
    ("outcome", "partial", "why"),
    [
        ("block", False, "the decision is BLOCK"),
        ("review", False, "the decision is REVIEW"),
        ("promote", True, "only part of the gates ran"),
    ],
)
def test_block_review_and_partial_runs_never_reach_the_registry(outcome, partial, why):
    # an unreachable server: any request would fail, so returning proves none was made
    model = RegistryModel(
        "models:/m@champion", "m", "3", "champion", "r", "s", "http://127.0.0.1:9"
    )
    decision = Decision(outcome, ("reason",), {}, partial=partial)
    changed, text = promote(
        decision, model, promote_alias="champion", canary_alias="canary", source="--x"
    )
    assert not changed
    assert text.startswith(f"mlflow: models:/m/3 NOT promoted: {why}")
