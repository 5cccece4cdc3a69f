"""``expected_cost(fp=1, fn=5)``: the mean cost per row of the confusion cells (#19).

Each row costs the value of its cell (tn, fp, fn, tp), so the metric is the mean of a per-row
variable with four known values, and its interval comes from the four cell counts alone:

- **two distinct costs** (the usual case: ``fp`` and ``fn`` costed, or one of them, the rest
  0 — more generally every cell costs ``a`` or ``b``): the cost is ``a + (b − a)·π`` with ``π``
  the binomial share of rows in the ``b`` cells, so the interval is the exact Clopper–Pearson
  interval of ``π`` mapped linearly — exact at every n;
- **three or four distinct costs**: Hall's skewness-corrected t interval of the mean per-row
  cost (the interval the mean losses use, ``stats/skewed_mean.py``; undefined below Cochran's
  ``n ≥ 25·skewness²``), computed from the four values with their counts as frequencies.

Compare gates use the generic paired bootstrap of counts metrics on the joint confusion counts.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["cost_estimate", "cost_function"]

_CELLS = ("tn", "fp", "fn", "tp")


def cost_function(costs: dict[str, float]) -> Callable[[np.ndarray], np.ndarray]:
    """Vectorised mean cost per row from the counts ``(..., 2, 2)`` [true, predicted]."""
    matrix = np.array(
        [[costs.get("tn", 0.0), costs.get("fp", 0.0)], [costs.get("fn", 0.0), costs.get("tp", 0.0)]]
    )

    def f(c: np.ndarray) -> np.ndarray:
        c = np.asarray(c, dtype=float)
        n = c.sum((-2, -1))
        total = (c * matrix).sum((-2, -1))
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(n > 0, total / np.where(n > 0, n, 1.0), np.nan)

    f.matrix = matrix  # type: ignore[attr-defined]
    return f


def cost_estimate(metric, ev, opts, rng):
    """Expected cost with its interval (exact for two distinct costs, Hall's t otherwise)."""
    from pytest_modelgate.estimates.metric import _nan_interval
    from pytest_modelgate.results import MetricResult
    from pytest_modelgate.stats import Interval, clopper_pearson_interval, skewed_mean_interval

    if ev.has_design:  # clustered / weighted rows: the design-based counts interval
        from pytest_modelgate.estimates.clustered import design_estimate

        return design_estimate(metric, ev, opts, rng)
    counts = np.asarray(ev.counts, dtype=float)
    matrix = metric.from_counts.matrix
    value = float(metric.from_counts(counts[None])[0])
    level = opts.confidence
    n = float(counts.sum())
    if n == 0 or np.isnan(value):
        return MetricResult(metric.name, value, _nan_interval(level, "none"), ev.n, note="no rows")
    levels = np.unique(matrix)
    if levels.size == 2:
        a, b = float(levels[0]), float(levels[1])
        k = float(counts[matrix == b].sum())
        iv = clopper_pearson_interval(k, n, level)
        interval = Interval(a + (b - a) * iv.low, a + (b - a) * iv.high, level, "clopper-pearson")
        return MetricResult(
            metric.name,
            value,
            interval,
            ev.n,
            note=f"{int(k)} of {int(n)} rows in the cells costing {b:g} (the others {a:g})",
        )
    values = matrix.reshape(-1)
    freq = counts.reshape(-1)
    keep = freq > 0
    skewed = skewed_mean_interval(
        values[keep], freq[keep], level, bounds=(float(levels.min()), float(levels.max()))
    )
    return MetricResult(metric.name, value, skewed.interval, ev.n, note=skewed.note)
