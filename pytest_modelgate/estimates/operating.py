"""Operating-point metrics (#19): a rate at a threshold chosen on the same rows.

``recall_at_precision(t)``, ``precision_at_recall(r)``, ``tpr_at_fpr(f)``,
``sensitivity_at_specificity(s)``, ``precision_at_k(k)``, ``recall_at_k(k)`` and ``lift_at_k(k)``
are functions of the per-class score histogram ``h[..., label, bin]`` (bins in ascending score,
as :mod:`estimates.metrics`' ranking metrics), vectorised over the leading axes:

- a threshold is a distinct score (predict positive when ``score >= s``, ties together, as
  scikit-learn's ``precision_recall_curve`` / ``roc_curve``), plus "predict nothing";
- ``recall_at_precision(t)`` is the largest recall of a threshold whose precision is ``>= t``
  (0 when none reaches ``t``: only flagging nothing meets the constraint — scikit-learn's curve
  ends at (precision 1, recall 0) for that reason); ``precision_at_recall(r)`` the largest
  precision of a threshold whose recall is ``>= r``; ``tpr_at_fpr(f)`` the largest TPR with
  FPR ``<= f`` (0 at the threshold above every score); ``sensitivity_at_specificity(s)`` the
  largest TPR with specificity ``1 - FPR >= s``;
- ``*_at_k``: the ``k`` highest-scored rows (``k`` rows, or the top ``q`` share of rows). Ties at
  the boundary are shared: a tied block that straddles the k-th row contributes its positives
  in proportion to the part of it inside the top k — the expected value under random
  tie-breaking, so no row order decides the number. ``lift_at_k`` is precision at k over the
  prevalence.

**Interval.** The threshold is chosen on the rows that also measure the rate, so a binomial
interval at the chosen threshold would be conditional on a choice that is itself random. The
interval is a bootstrap of the whole procedure: each replicate redraws the rows (a multinomial
draw of the score histogram) and re-chooses the threshold on them (``count_bootstrap``;
percentile by default because the maximum over thresholds is not smooth — BCa's jackknife
acceleration is unreliable there). The validity matrix measures its coverage.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = [
    "at_k",
    "operating_compare",
    "operating_estimate",
    "rate_at",
]


def _div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def _curve(h: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Cumulative TP and FP at each threshold (descending score) and the class totals."""
    h = np.asarray(h, dtype=float)
    pos, neg = h[..., 1, ::-1], h[..., 0, ::-1]
    tp = np.cumsum(pos, axis=-1)
    fp = np.cumsum(neg, axis=-1)
    return tp, fp, tp[..., -1], fp[..., -1]


def rate_at(kind: str, target: float) -> Callable[[np.ndarray], np.ndarray]:
    """The vectorised histogram statistic of one constrained operating point."""

    def f(h: np.ndarray) -> np.ndarray:
        tp, fp, p, n = _curve(h)
        present = tp + fp > 0  # a threshold some row reaches (empty bins add no threshold)
        if kind == "recall_at_precision":
            precision = _div(tp, tp + fp)
            recall = _div(tp, p[..., None])
            ok = present & (precision >= target)
            best = np.max(np.where(ok, recall, 0.0), axis=-1)
            return np.where(p > 0, best, np.nan)
        if kind == "precision_at_recall":
            precision = _div(tp, tp + fp)
            recall = _div(tp, p[..., None])
            ok = present & (recall >= target)
            best = np.max(np.where(ok, precision, -np.inf), axis=-1)
            return np.where((p > 0) & np.isfinite(best), best, np.nan)
        tpr = _div(tp, p[..., None])
        fpr = _div(fp, n[..., None])
        # sensitivity_at_specificity: specificity 1 - FPR (as 1 - roc_curve's fpr)
        ok = present & ((fpr <= target) if kind == "tpr_at_fpr" else (1.0 - fpr >= target))
        best = np.max(np.where(ok, tpr, 0.0), axis=-1)
        return np.where((p > 0) & (n > 0), best, np.nan)

    return f


def at_k(kind: str, k: float, share: bool) -> Callable[[np.ndarray], np.ndarray]:
    """``precision_at_k`` / ``recall_at_k`` / ``lift_at_k`` on the top ``k`` rows (``share``:
    ``k`` is a fraction of the rows), boundary ties shared in proportion."""

    def f(h: np.ndarray) -> np.ndarray:
        h = np.asarray(h, dtype=float)
        pos, neg = h[..., 1, ::-1], h[..., 0, ::-1]
        total = pos + neg
        rows = total.sum(-1)
        p = pos.sum(-1)
        top = k * rows if share else np.full(rows.shape, float(k))
        before = np.cumsum(total, axis=-1) - total
        frac = np.clip(_div(top[..., None] - before, total), 0.0, 1.0)
        frac = np.where(total > 0, frac, 0.0)
        hits = (pos * frac).sum(-1)
        valid = (rows > 0) & (top <= rows) & (top > 0)
        precision = _div(hits, top)
        if kind == "precision_at_k":
            out = precision
        elif kind == "recall_at_k":
            out = _div(hits, p)
        else:  # lift_at_k
            out = _div(precision, _div(p, rows))
        return np.where(valid, out, np.nan)

    return f


# --- estimate and comparison -------------------------------------------------------------------


def operating_estimate(metric, ev, opts, rng):
    """Point estimate on the exact score histogram; interval by the bootstrap that re-chooses
    the threshold on each replicate (on at most ``MAX_SCORE_BINS`` quantile bins of the scores,
    shifted to centre on the exact value when the bins are coarser than the scores)."""
    from pytest_modelgate.estimates.metric import _nan_interval, score_codes
    from pytest_modelgate.results import MetricResult
    from pytest_modelgate.stats import Interval, count_bootstrap

    _refuse_design(ev, metric.name)
    stat = metric.from_histogram
    scores = ev.require_scores(metric.name)
    y = ev.positives
    n_pos = ev.total(y)
    level = opts.confidence
    codes = score_codes(scores, weight=ev.weight)
    exact_hist = codes.histogram(y, ev.weight, exact=True)
    value = float(stat(exact_hist[None])[0])
    support, label = _support(metric, ev, n_pos)
    notes = [_binned_note(ev)] if ev.score_bins is not None else []
    if np.isnan(value):
        why = _undefined_reason(metric, ev, n_pos)
        return MetricResult(
            metric.name,
            value,
            _nan_interval(level, "none"),
            ev.n,
            note=why,
            support=support,
            support_label=label,
        )
    hist = codes.histogram(y, ev.weight)
    method = opts.bootstrap if opts.interval == "bootstrap" else "percentile"
    boot = count_bootstrap(
        hist, stat, n_resamples=opts.resamples, confidence=level, method=method, rng=rng
    )
    shift = 0.0
    if not codes.exact:
        approx = float(stat(hist[None])[0])
        shift = value - approx
        notes.append(
            f"bootstrap on {hist.shape[1]} score bins (histogram value {approx:.6f} vs exact "
            f"{value:.6f})"
        )
    if boot.n_undefined:
        notes.append(f"{boot.n_undefined} of {opts.resamples} bootstrap replicates undefined")
    lo, hi = metric.bounds
    iv = boot.interval
    low, high = iv.low + shift, iv.high + shift
    if lo is not None:
        low, high = max(low, lo), max(high, lo)
    if hi is not None:
        low, high = min(low, hi), min(high, hi)
    notes.append("threshold re-chosen on each bootstrap replicate")
    return MetricResult(
        metric.name,
        value,
        Interval(low, high, level, f"{iv.method}-rechosen-threshold"),
        ev.n,
        note="; ".join(notes),
        support=support,
        support_label=label,
    )


def _support(metric, ev, n_pos: int) -> tuple[int, str]:
    n_neg = ev.n - n_pos
    if metric.name.startswith(("tpr_at_fpr", "sensitivity_at_specificity")):
        return min(n_pos, n_neg), f"positives: {n_pos}, negatives: {n_neg}"
    return n_pos, f"positives: {n_pos}"


def _undefined_reason(metric, ev, n_pos: int) -> str:
    if n_pos == 0:
        return f"no positive labels: {metric.name} is undefined"
    if n_pos == ev.n and metric.name.startswith(("tpr_at_fpr", "sensitivity_at_specificity")):
        return f"no negative labels: {metric.name} is undefined"
    if "_at_k(" in metric.name:
        return f"{metric.name}: k is larger than the {ev.n} rows here"
    return f"{metric.name} is undefined on these rows"


def _binned_note(ev) -> str:
    return (
        f"scores grouped into {ev.score_bins} equal-width bins (data.score_bins): the threshold "
        "is chosen among the bin edges"
    )


def _refuse_design(ev, name: str) -> None:
    """Clustered or sampling-weighted rows: no design-based interval for ``name`` yet."""
    if getattr(ev, "has_design", False):
        from pytest_modelgate.errors import DataError

        design = "clustered (data.cluster)" if ev.cluster is not None else "sampling-weighted"
        raise DataError(
            f"{name} has no cluster-robust or weighted interval yet, and the rows are {design}: "
            "an i.i.d. interval would be too narrow, so none is given. Drop data.cluster / "
            "data.weight to gate it on i.i.d. intervals knowingly, or gate a metric that has a "
            "design-based interval (recall, precision, roc_auc, ...)"
        )


def paired_histogram_replicates(
    cells: list[np.ndarray],
    sizes: list[int],
    frequencies: np.ndarray | None,
    n_resamples: int,
    rng: np.random.Generator,
    chunk_cells: int = 4_000_000,
) -> list[np.ndarray]:
    """Row-bootstrap replicates of two per-row histograms drawn *together* (paired): the rows
    are redrawn as one multinomial over their joint (cell of model 1, cell of model 2), and each
    replicate's two histograms ``(B, 2, bins)`` are summed from it — O(B × distinct pairs)."""
    key = cells[0].astype(np.int64) * sizes[1] + cells[1]
    uniq, inverse = np.unique(key, return_inverse=True)
    weight = np.bincount(inverse.reshape(-1), weights=frequencies, minlength=uniq.size)
    total = round(float(weight.sum()))
    codes = [uniq // sizes[1], uniq % sizes[1]]
    out = [np.empty((n_resamples, size)) for size in sizes]
    step = max(1, chunk_cells // max(uniq.size, 1))
    for start in range(0, n_resamples, step):
        b = min(step, n_resamples - start)
        draws = rng.multinomial(total, weight / weight.sum(), size=b).astype(float)
        offsets = np.arange(b)[:, None]
        for k, size in enumerate(sizes):
            flat = (offsets * size + codes[k][None, :]).reshape(-1)
            out[k][start : start + b] = np.bincount(
                flat, weights=draws.reshape(-1), minlength=b * size
            ).reshape(b, size)
    return [h.reshape(n_resamples, 2, -1) for h in out]


def operating_compare(metric, cand, base, opts, rng):
    """Paired Δ (candidate − baseline, oriented) of an operating-point metric: a row bootstrap
    that redraws the same rows for both models and re-chooses each model's threshold."""
    from pytest_modelgate.estimates.compare import _from_se
    from pytest_modelgate.estimates.metric import score_codes
    from pytest_modelgate.results import ComparisonResult
    from pytest_modelgate.stats import Interval

    _refuse_design(cand, f"a comparison of {metric.name}")
    stat = metric.from_histogram
    y = cand.positives.astype(np.int64)
    codes = [score_codes(ev.require_scores(metric.name), weight=ev.weight) for ev in (cand, base)]
    c_value, b_value = (
        float(stat(c.histogram(y, cand.weight, exact=True)[None])[0]) for c in codes
    )
    sign = 1.0 if metric.higher_is_better else -1.0
    delta = sign * (c_value - b_value)
    level = opts.confidence
    cells = [y * c.bins + c.binned for c in codes]
    sizes = [2 * c.bins for c in codes]

    freq = cand.weight
    if np.isnan(delta):
        reps = np.array([np.nan])
    else:
        h_cand, h_base = paired_histogram_replicates(cells, sizes, freq, opts.resamples, rng)
        with np.errstate(all="ignore"):
            reps = sign * (stat(h_cand) - stat(h_base))
    defined = reps[np.isfinite(reps)]
    if np.isnan(delta) or defined.size < 2:
        iv = Interval(float("nan"), float("nan"), level, "none")
        p = None
        note = f"{metric.name} is undefined for one of the models on these rows"
    else:
        # centre the replicate spread on the exact Δ (bins may be coarser than the scores)
        binned = [
            float(
                stat(
                    np.bincount(cell, minlength=size).reshape(1, 2, -1)
                    if freq is None
                    else np.bincount(cell, weights=freq, minlength=size).reshape(1, 2, -1)
                )[0]
            )
            for cell, size in zip(cells, sizes, strict=True)
        ]
        shift = delta - sign * (binned[0] - binned[1])
        a = (1 - level) / 2
        low, high = np.quantile(defined, [a, 1 - a]) + shift
        iv = Interval(float(low), float(high), level, "paired-percentile-rechosen-threshold")
        se = float(np.std(defined, ddof=1))
        _, p = _from_se(delta, se, level, "")
        note = "paired row bootstrap; each model's threshold re-chosen on each replicate"
        if defined.size < reps.size:
            note += f"; {reps.size - defined.size} of {reps.size} replicates undefined"
    n_pos = int(cand.total(cand.positives))
    return ComparisonResult(
        metric.name,
        delta,
        iv,
        c_value,
        b_value,
        cand.n,
        True,
        iv.method,
        p,
        note,
        support=n_pos,
        support_label=f"positives: {n_pos}",
    )
