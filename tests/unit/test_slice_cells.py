"""A slice's count metrics read its confusion cells, not a copy of its rows (#16): every count
metric and its interval on the cells equals the one on the row subset, bit for bit."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from pytest_modelgate.estimates.metric import StatsOptions, estimate_metric
from pytest_modelgate.estimates.metrics import get_metric, metric_names
from pytest_modelgate.evidence.core import Evidence
from pytest_modelgate.evidence.grouped import compress, confusion_cells


def _same(a: object, b: object) -> bool:
    """Equal field by field, ``nan`` equal to ``nan`` (bit-for-bit floats otherwise)."""
    return repr(dataclasses.astuple(a)) == repr(dataclasses.astuple(b)) and all(  # type: ignore[call-overload]
        x == y or (x != x and y != y) for x, y in zip(_flat(a), _flat(b), strict=True)
    )


def _flat(result: object) -> list[object]:
    out: list[object] = []
    for value in dataclasses.astuple(result):  # type: ignore[call-overload]
        out.extend(value if isinstance(value, tuple) else [value])
    return out


def _evidence(task: str, k: int, n: int = 1500) -> Evidence:
    rng = np.random.default_rng(k)
    y = rng.integers(0, k, n)
    pred = np.where(rng.random(n) < 0.7, y, rng.integers(0, k, n))
    return Evidence(task, tuple(range(k)), y, pred, None, None, "test")


@pytest.mark.parametrize(("task", "k"), [("binary", 2), ("multiclass", 4)])
@pytest.mark.parametrize("grouped", [False, True])
def test_count_metrics_on_cells_equal_those_on_the_rows(task, k, grouped):
    ev = _evidence(task, k)
    if grouped:  # frequency-weighted evidence (a grouped engine's cells), sliced again
        keys = pd.DataFrame({"g": np.random.default_rng(2).integers(0, 10, ev.n_stored)})
        ev = compress(ev, keys=keys).evidence[0]
    rows = np.flatnonzero(np.random.default_rng(1).random(ev.n_stored) < 0.4)
    names = [
        m
        for m in metric_names(task)
        if "(" not in m  # parameterised families are templates here (#19)
        and get_metric(m, task).kind == "counts"
        and m == get_metric(m, task).name
    ]
    assert len(names) >= 5
    for name in names:
        metric = get_metric(name, task)
        opts = StatsOptions(resamples=200)
        on_rows = estimate_metric(metric, ev.subset(rows), opts, np.random.default_rng(5))
        on_cells = estimate_metric(
            metric, confusion_cells(ev, rows), opts, np.random.default_rng(5)
        )
        assert _same(on_cells, on_rows), name
    assert confusion_cells(ev, rows).n_stored <= k * k
