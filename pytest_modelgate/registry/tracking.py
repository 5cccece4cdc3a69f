"""``--modelgate-log-mlflow``: one gate run as one MLflow tracking run.

Every result's estimate and interval bounds are metrics (``<gate>.estimate``, ``.ci_low``,
``.ci_high``), every verdict and the decision are tags (``modelgate.verdict.<gate>``,
``modelgate.decision``), the JSON/HTML reports are artifacts. Gate labels such as
``f1[sex=Femme]`` become names MLflow accepts (:func:`metric_names`); two labels that would
share a name are told apart deterministically, and ``modelgate/metric_names.json`` maps each
name back to its label.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_modelgate._format import one_line
from pytest_modelgate.registry.client import RegistryModel, client_for, shown_uri, talking_to

__all__ = ["LoggedRun", "log_run", "metric_names", "sanitise"]

_MAX_KEY = 250  # MLflow's longest metric or tag key
_MAX_TAG_VALUE = 5000  # below MLflow's 8000 for run tags and every backend's column
_DISALLOWED = re.compile(r"[^A-Za-z0-9_.\- ]+")  # what MLflow allows, minus ':' (not on Windows)
_VERDICT_TAG = "modelgate.verdict."  # the longest prefix or suffix decides the room left


def sanitise(label: str) -> str:
    """``f1[sex=F]`` → ``f1_sex_F``: runs of characters MLflow does not allow in a key become
    one ``_``; a leading ``.`` (a path MLflow refuses) is prefixed; never empty."""
    name = _DISALLOWED.sub("_", label).strip(" _") or "_"
    if name.startswith("."):
        name = "_" + name
    return name


def metric_names(labels: Sequence[str], room: int = _MAX_KEY) -> dict[str, str]:
    """A name for each distinct label, unique and at most ``room`` characters. Labels that
    sanitise to the same name are numbered ``_2``, ``_3``, … in the sorted order of the labels
    (so the names do not depend on the order of gates); a suffixed name never takes another
    label's plain name."""
    wanted = {label: sanitise(label)[:room] for label in sorted(set(labels))}
    taken: set[str] = set()
    out: dict[str, str] = {}
    by_name: dict[str, list[str]] = {}
    for label, name in wanted.items():
        by_name.setdefault(name, []).append(label)
    plain = set(by_name)
    for name, group in sorted(by_name.items()):
        out[group[0]] = name
        taken.add(name)
    for name, group in sorted(by_name.items()):
        k = 2
        for label in group[1:]:
            while True:
                tail = f"_{k}"
                candidate = name[: room - len(tail)] + tail
                k += 1
                if candidate not in taken and candidate not in plain:
                    break
            out[label] = candidate
            taken.add(candidate)
    return out


@dataclass(frozen=True)
class LoggedRun:
    """The tracking run a gate run was logged to."""

    run_id: str
    experiment_id: str
    url: str | None  # the run's page, for an http(s) tracking server

    def describe(self) -> str:
        return self.url or f"run {self.run_id} (experiment {self.experiment_id})"


def _tag_value(value: Any) -> str:
    text = one_line(value)
    return text if len(text) <= _MAX_TAG_VALUE else text[: _MAX_TAG_VALUE - 2] + " …"


def log_run(
    results: Sequence[Any],
    decision: Any,
    *,
    tracking_uri: str,
    source: str,
    experiment: str,
    run_name: str,
    tags: dict[str, str],
    reports: Sequence[Path],
    candidate: RegistryModel | None = None,
) -> LoggedRun:
    """Log ``results`` and ``decision`` as one finished run of ``experiment`` (created when
    missing). ``source`` names where the URI came from (for messages); ``tags`` are extra run
    tags (spec, seed, git commit); ``reports`` are uploaded under ``modelgate/``."""
    from mlflow.entities import Metric, RunStatus, RunTag

    what = f"{source}: logging the run to MLflow"
    client = client_for(tracking_uri, what)
    labels = [r.label for r in results]
    names = metric_names(labels, _MAX_KEY - len(_VERDICT_TAG))
    metrics: list[Any] = []
    run_tags = {
        "modelgate.decision": decision.outcome,
        "modelgate.partial": str(bool(decision.partial)).lower(),
        **({"modelgate.reason": decision.reasons[0]} if decision.reasons else {}),
        **tags,
    }
    if candidate is not None:
        run_tags.update(
            {
                "modelgate.candidate": candidate.ref,
                "modelgate.candidate.name": candidate.name,
                "modelgate.candidate.version": candidate.version,
            }
        )
    for r in results:
        name = names[r.label]
        run_tags[_VERDICT_TAG + name] = r.verdict.value
        values = [("estimate", r.estimate)]
        if r.interval is not None:
            values += [("ci_low", r.interval.low), ("ci_high", r.interval.high)]
        for suffix, value in values:
            if value is not None and math.isfinite(float(value)):
                metrics.append((f"{name}.{suffix}", float(value)))
    import time

    now = int(time.time() * 1000)
    with talking_to(tracking_uri, what):
        found = client.get_experiment_by_name(experiment)
        experiment_id = (
            found.experiment_id if found is not None else client.create_experiment(experiment)
        )
        run = client.create_run(experiment_id, run_name=run_name)
        run_id = run.info.run_id
        status = RunStatus.to_string(RunStatus.FAILED)
        try:
            tag_items = [RunTag(k[:_MAX_KEY], _tag_value(v)) for k, v in run_tags.items()]
            for start in range(0, max(len(metrics), len(tag_items)), 100):
                client.log_batch(
                    run_id,
                    metrics=[Metric(k, v, now, 0) for k, v in metrics[start : start + 100]],
                    tags=tag_items[start : start + 100],
                )
            for path in reports:
                client.log_artifact(run_id, str(path), "modelgate")
            mapping = {name: label for label, name in sorted(names.items())}
            client.log_dict(run_id, mapping, "modelgate/metric_names.json")
            status = RunStatus.to_string(RunStatus.FINISHED)
        finally:
            client.set_terminated(run_id, status)
    url = None
    if tracking_uri.lower().startswith(("http://", "https://")):
        url = f"{shown_uri(tracking_uri).rstrip('/')}/#/experiments/{experiment_id}/runs/{run_id}"
    return LoggedRun(run_id, str(experiment_id), url)
