"""Gates against the release history (#17): ``compare: previous`` (with ``max_drop`` & co.
against the last promoted release, or ``max_cumulative_drop`` against the release named by
``since``) and ``compare: trend`` (the slope over the last releases).

The comparison rules are the compare gates' own (:func:`~.compare.check_comparison`); the
trend's slope is judged by the threshold rule (:func:`~.threshold.check_threshold`) against
``-max_decline``. What is read from the history: :mod:`pytest_modelgate.history.previous`.
"""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import numpy as np

from pytest_modelgate.errors import DataError
from pytest_modelgate.results import CheckResult, MetricResult, Verdict

__all__ = ["history_gate"]


def _history(inputs: Any) -> Any:
    key = ("history",)
    if key not in inputs._cache:
        try:
            inputs._cache[key] = inputs.history()
        except DataError as exc:
            inputs._cache[key] = exc
    found = inputs._cache[key]
    if isinstance(found, DataError):
        raise found
    return found


def _inconclusive(gate: Any, metric: str, label: Any, why: str) -> CheckResult:
    return CheckResult(
        **{**gate.result_fields(), "metric": metric},
        verdict=Verdict.INCONCLUSIVE,
        slice=label,
        message=f"INCONCLUSIVE: {why}",
    )


def history_gate(
    gate: Any, inputs: Any, rows: Any, label: Any, common: dict[str, Any]
) -> tuple[CheckResult, MetricResult | None]:
    cfg = gate.config
    metric = inputs.metric(cfg.metric)
    history = _history(inputs)
    if cfg.compare == "trend":
        return _trend_gate(gate, inputs, history, metric, common)
    return _previous_gate(gate, inputs, history, metric, rows, label, common)


def _previous_gate(
    gate: Any, inputs: Any, history: Any, metric: Any, rows: Any, label: Any, common: Any
) -> tuple[CheckResult, MetricResult | None]:
    from pytest_modelgate.checks.compare import check_comparison
    from pytest_modelgate.estimates.compare import compare_unpaired
    from pytest_modelgate.history.previous import release_label

    cfg = gate.config
    cumulative = cfg.max_cumulative_drop is not None
    since = (cfg.since or "first") if cumulative else None
    record = history.release(since)
    if record is None:
        return _inconclusive(
            gate,
            metric.name,
            label,
            f"no promoted release in the history yet ({history.store.where}): a run whose "
            "decision is promote (or canary), not on a pull request, becomes one; to start "
            "from a reviewed run, mark it: modelgate history promote RUN_ID",
        ), None
    name = release_label(record)
    against = (
        "first release" if since == "first" else "release" if cumulative else "previous release"
    )
    opts = inputs.defaults.options(gate)
    release_ev, why = history.paired_evidence(record, inputs.candidate)
    if release_ev is not None:
        cmp = inputs.compare(
            cfg.metric, f"{against}:{record['history']['run_id']}", release_ev, rows, label, opts
        )
        cmp = replace(cmp, against=against, source=f"{name}, paired: same test rows")
    else:
        if cfg.pairing == "required":
            raise DataError(f"{gate.id}: pairing: required, but {name} cannot be paired: {why}")
        number = history.number(record, metric.name)
        if number is None:
            return _inconclusive(
                gate,
                metric.name,
                label,
                f"{name} has no {metric.name} with an interval and cannot be paired ({why})",
            ), None
        if rows is not None:
            raise DataError(
                f"{gate.id}: {name} cannot be paired ({why}); a sliced comparison needs the "
                "release's per-row predictions on the same rows"
            )
        cmp = compare_unpaired(
            metric, inputs.candidate, number, opts, inputs.rng(f"metric:{metric.name}", None)
        )
        cmp = replace(
            cmp,
            against=against,
            source=f"{name}, unpaired from its stored interval: {why}",
            note=f"unpaired: {why}",
        )
    margins = (
        SimpleNamespace(
            max_drop=cfg.max_cumulative_drop, max_relative_drop=None, min_gain=None, max_gain=None
        )
        if cumulative
        else cfg
    )
    return check_comparison(metric, cmp, margins, **common)


def _trend_gate(
    gate: Any, inputs: Any, history: Any, metric: Any, common: Any
) -> tuple[CheckResult, MetricResult | None]:
    from pytest_modelgate.checks.threshold import check_threshold
    from pytest_modelgate.estimates.compare import _z
    from pytest_modelgate.history.previous import release_label
    from pytest_modelgate.stats.trend import weighted_slope

    cfg = gate.config
    k = cfg.releases or 5
    opts = inputs.defaults.options(gate)
    points: list[tuple[str, float, float]] = []
    skipped = []
    for record in history.releases[-(k - 1) :]:
        number = history.number(record, metric.name)
        iv = (number or {}).get("interval") or {}
        if number is None or iv.get("low") is None or iv.get("high") is None:
            skipped.append(release_label(record))
            continue
        se = (float(iv["high"]) - float(iv["low"])) / (2 * _z(float(iv.get("level") or 0.95)))
        points.append((release_label(record), float(number["estimate"]), se))
    est = inputs.estimate(cfg.metric, opts=opts)
    if est.interval.is_defined:
        points.append(("this run", est.estimate, est.interval.width / (2 * _z(est.interval.level))))
    if len(points) < 3:
        return _inconclusive(
            gate,
            metric.name,
            None,
            f"a trend needs 3 releases with an interval of {metric.name}, this run included; "
            f"the history ({history.store.where}) gives {len(points)}"
            + (f" (without an interval: {', '.join(skipped)})" if skipped else ""),
        ), None
    sign = 1.0 if metric.higher_is_better else -1.0
    y = sign * np.array([p[1] for p in points])
    ses = np.array([p[2] for p in points])
    slope, interval, p_decline = weighted_slope(y, ses, opts.confidence)
    orientation = "" if metric.higher_is_better else f" ({metric.name} is a loss: sign flipped)"
    trend = MetricResult(
        f"slope of {metric.name} per release",
        slope,
        interval,
        est.n,
        note=f"over {len(points)} releases{orientation}",
    )
    extra = [
        ("releases", "; ".join(f"{n}: {v:.4f} ± {s:.4f}" for n, v, s in points)),
        ("slope", f"per release, oriented so that higher is better{orientation}"),
    ]
    result = check_threshold(
        estimate=trend,
        lo=-cfg.max_decline if cfg.max_decline else 0.0,
        hi=None,
        kind="compare",
        metric_name=metric.name,
        extra_rows=extra,
        p_value=p_decline,
        fail_advice=(
            f"{metric.name} has declined release after release: each release passed its own "
            "gates, but the trend shows the losses adding up; compare with an older release "
            "(max_cumulative_drop) and look at what changed"
        ),
        **common,
    )
    return result, trend
