"""Candidate vs baseline on the same rows: the difference Δ, its interval and a paired test.

Δ is always oriented so that **higher is better**: Δ = candidate − baseline for accuracy-like
metrics and baseline − candidate for losses and errors. A positive Δ means the candidate is
better. Paired statistics (both models scored on the same rows) are used whenever per-row
baseline predictions exist:

=================================  ===========================================================
metric                             paired interval / test
=================================  ===========================================================
one proportion with label-set      Tango's score interval for paired proportions, skewness- and
rows (accuracy, recall, fpr, ...)  continuity-corrected, on the rate's own rows (positives for
                                   recall); McNemar's exact test on the discordant rows
a proportion with each model's     MOVER on the two Clopper–Pearson limits with the
own denominator (precision)        delta-method correlation of the two ratio estimators
other confusion metrics            bootstrap on the joint cells label × candidate × baseline
(f1, mcc, ...)                     (a row bootstrap, exactly); p from the bootstrap SE
roc_auc                            paired DeLong (covariance of the two AUCs)
average_precision                  paired row bootstrap (shared multinomial row weights)
log_loss, brier, mae, mse, mape    union of the t and Hall's skewness-corrected intervals of the
                                   mean per-row loss difference
rmse, r2                           delta method on the per-row influence functions
=================================  ===========================================================

Each result carries Δ's ``support`` (the positives for Δrecall, the smaller of the two models'
predicted positives for Δprecision, the smaller class for ΔROC AUC and ΔAP), which the compare
gate checks against ``min_support`` with the threshold rule's one check.

Against stored numbers only (no per-row baseline predictions), the comparison is *unpaired*:
Δ's standard error combines the two intervals' half-widths, and every output says "unpaired".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
from scipy import special

from pytest_modelgate.estimates.metric import (
    ScoreCodes,
    StatsOptions,
    estimate_metric,
    per_row_loss,
    weighted_mean,
    weighted_sd,
)
from pytest_modelgate.estimates.metrics import Metric
from pytest_modelgate.evidence.core import Evidence, weighted_bincount
from pytest_modelgate.results import ComparisonResult
from pytest_modelgate.stats import (
    Interval,
    count_bootstrap,
    mcnemar,
    paired_mean_difference_interval,
    paired_score_interval,
)

__all__ = ["compare_metric", "compare_unpaired", "constant_evidence"]

_EPS = np.finfo(np.float64).eps


def _z(level: float) -> float:
    return float(special.ndtri(0.5 + level / 2))


def _orient(metric: Metric) -> float:
    return 1.0 if metric.higher_is_better else -1.0


def _from_se(delta: float, se: float, level: float, method: str) -> tuple[Interval, float | None]:
    if not np.isfinite(se):
        return Interval(float("nan"), float("nan"), level, method), None
    half = _z(level) * se
    p = float(2 * special.ndtr(-abs(delta) / se)) if se > 0 else (1.0 if delta == 0 else 0.0)
    return Interval(delta - half, delta + half, level, method), p


def _joint_counts(cand: Evidence, base: Evidence) -> np.ndarray:
    k = len(cand.classes)
    assert cand.y_pred is not None and base.y_pred is not None
    codes = (cand.y_true * k + cand.y_pred) * k + base.y_pred
    return weighted_bincount(codes, cand.weight, k**3).reshape(k, k, k)  # [true, cand, base]


_CORRECTNESS = ("accuracy", "recall_micro", "precision_micro", "f1_micro")


def _single_row_proportions(metric: Metric, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(successes, trials) of ``metric`` for one row in each confusion cell [true, predicted]."""
    assert metric.proportion is not None
    one_row = np.eye(k * k).reshape(k * k, k, k)
    successes, trials = metric.proportion(one_row)
    return np.asarray(successes).reshape(k, k), np.asarray(trials).reshape(k, k)


def _paired_table(metric: Metric, joint: np.ndarray) -> tuple[int, int, int, int] | None:
    """The paired 2×2 table (both, candidate only, baseline only, neither) of a proportion
    whose denominator does not depend on the predictions (accuracy, recall, specificity, fpr,
    fnr, selection rate: its rows are set by the labels), from the joint counts
    [true, candidate, baseline]; ``None`` for other metrics (precision: each model has its own
    denominator)."""
    if metric.proportion is None:
        return None
    k = joint.shape[0]
    successes, trials = _single_row_proportions(metric, k)
    t_cand = np.broadcast_to(trials[:, :, None], joint.shape)
    t_base = np.broadcast_to(trials[:, None, :], joint.shape)
    if not np.array_equal(t_cand, t_base):
        return None
    rows = t_cand > 0
    s_cand = np.broadcast_to(successes[:, :, None], joint.shape) > 0
    s_base = np.broadcast_to(successes[:, None, :], joint.shape) > 0
    cells = [
        round(float(joint[rows & sc & sb].sum()))
        for sc, sb in ((s_cand, s_base), (s_cand, ~s_base), (~s_cand, s_base), (~s_cand, ~s_base))
    ]
    return cells[0], cells[1], cells[2], cells[3]


def _proportion_support(metric: Metric, joint: np.ndarray) -> dict[str, Any]:
    """Rows in the denominator of a proportion Δ, as ``min_support`` counts them: the
    positives for Δrecall, the smaller of the two models' predicted positives for Δprecision
    (each model has its own); nothing for metrics that are not one proportion."""
    if metric.proportion is None:
        return {}
    cand, base = (round(float(metric.proportion(joint.sum(axis=a))[1])) for a in (-1, -2))
    if cand == base:
        return {"support": cand}
    return {
        "support": min(cand, base),
        "support_label": f"in the smaller denominator: candidate {cand}, baseline {base}",
    }


#: Method of a Δ proportion whose two models have their own denominators (Δprecision).
MOVER_OWN_DENOMINATORS = "mover-cp-correlated"


def _mover_own_denominators(
    metric: Metric, joint: np.ndarray, level: float
) -> tuple[Interval, float | None]:
    """Δ = p_c − p_b of a proportion whose denominator depends on the model (precision: each
    model's predicted positives), by MOVER (Zou & Donner 2008) on the two Clopper–Pearson
    limits with the correlation of the two ratio estimators on the same rows (the delta-method
    covariance from the joint cells). It replaced the joint-cell BCa bootstrap, which passed
    3.2–3.5% falsely at n = 200 (docs/validity.md, compare-precision)."""
    from scipy import stats as _stats

    from pytest_modelgate.stats.difference import mover_difference_correlated, proportion_limits

    k = joint.shape[0]
    basis = np.eye(k * k).reshape(k * k, k, k)
    num, den = (np.asarray(x, dtype=np.float64).reshape(k, k) for x in metric.proportion(basis))  # type: ignore[misc]
    # per joint cell [true, cand, base]: each model's numerator and denominator indicators
    num_c, den_c = num[:, :, None], den[:, :, None]
    num_b, den_b = num[:, None, :], den[:, None, :]
    j = joint.astype(np.float64)
    x_c, n_c = float((j * num_c).sum()), float((j * den_c).sum())
    x_b, n_b = float((j * num_b).sum()), float((j * den_b).sum())
    p_c, p_b = x_c / n_c, x_b / n_b
    psi_c = (num_c - p_c * den_c) / n_c
    psi_b = (num_b - p_b * den_b) / n_b
    var_c, var_b = float((j * psi_c**2).sum()), float((j * psi_b**2).sum())
    cov = float((j * psi_c * psi_b).sum())
    rho = cov / np.sqrt(var_c * var_b) if var_c > 0 and var_b > 0 else 0.0
    z = float(_stats.norm.ppf(0.5 + level / 2))
    (l_c, l_b), (u_c, u_b) = proportion_limits([x_c, x_b], [n_c, n_b], z)
    low, high = mover_difference_correlated(
        np.array(p_c), np.array(l_c), np.array(u_c), np.array(p_b), np.array(l_b),
        np.array(u_b), np.array(rho),
    )  # fmt: skip
    variance = var_c + var_b - 2 * cov
    p = float(2 * _stats.norm.sf(abs(p_c - p_b) / np.sqrt(variance))) if variance > 0 else None
    iv = Interval(max(float(low), -1.0), min(float(high), 1.0), level, MOVER_OWN_DENOMINATORS)
    return iv, p


def _counts_comparison(
    metric: Metric, cand: Evidence, base: Evidence, opts: StatsOptions, rng: np.random.Generator
) -> ComparisonResult:
    assert metric.from_counts is not None
    f = metric.from_counts
    sign = _orient(metric)
    joint = _joint_counts(cand, base)

    def delta_of(j: np.ndarray) -> np.ndarray:
        return sign * (f(j.sum(axis=-1)) - f(j.sum(axis=-2)))

    c_value = float(f(joint.sum(axis=-1)[None])[0])
    b_value = float(f(joint.sum(axis=-2)[None])[0])
    delta = sign * (c_value - b_value)
    level = opts.confidence
    support = _proportion_support(metric, joint)
    table = _paired_table(metric, joint)
    if table is not None:
        both, only_c, only_b, neither = table
        iv = paired_score_interval(both, only_c, only_b, neither, level)
        if sign < 0:  # a rate where lower is better (fpr): Δ = baseline − candidate
            iv = Interval(-iv.high, -iv.low, iv.level, iv.method)
        test = mcnemar(only_c, only_b)
        what = "right" if metric.name in _CORRECTNESS else f"counted in {metric.name}"
        return ComparisonResult(
            metric.name,
            delta,
            iv,
            c_value,
            b_value,
            cand.n,
            True,
            "mcnemar-exact",
            test.p_value,
            f"discordant rows: candidate {what} only {only_c}, baseline {what} only {only_b}",
            **support,
        )
    if metric.proportion is not None and not np.isnan(delta):
        iv, p = _mover_own_denominators(metric, joint, level)
        return ComparisonResult(
            metric.name,
            delta,
            iv if sign > 0 else Interval(-iv.high, -iv.low, level, iv.method),
            c_value,
            b_value,
            cand.n,
            True,
            MOVER_OWN_DENOMINATORS,
            p,
            "each model divides by its own rows (e.g. its predicted positives): MOVER on the two "
            "Clopper–Pearson limits with the correlation of the two ratio estimators",
            **support,
        )
    if np.isnan(delta):
        return ComparisonResult(
            metric.name,
            delta,
            Interval(float("nan"), float("nan"), level, "none"),
            c_value,
            b_value,
            cand.n,
            True,
            "none",
            None,
            f"{metric.name} is undefined for one of the models on these rows",
            **support,
        )
    boot = count_bootstrap(
        joint,
        delta_of,
        n_resamples=opts.resamples,
        confidence=level,
        method=opts.bootstrap,  # type: ignore[arg-type]
        rng=rng,
    )
    _, p = _from_se(delta, boot.standard_error, level, "")
    note = "the models agree on every row" if boot.standard_error == 0 else ""
    if boot.n_undefined:
        note = f"{boot.n_undefined} of {opts.resamples} bootstrap replicates undefined"
    return ComparisonResult(
        metric.name,
        delta,
        boot.interval,
        c_value,
        b_value,
        cand.n,
        True,
        "paired-bootstrap",
        p,
        note,
        **support,
    )


def _ap_comparison(
    metric: Metric, cand: Evidence, base: Evidence, opts: StatsOptions, rng: np.random.Generator
) -> ComparisonResult:
    from pytest_modelgate.estimates.metrics import average_precision_from_histogram

    y = cand.positives
    for ev in (cand, base):
        ev.require_scores(metric.name)
    codes = [ev.score_codes for ev in (cand, base)]  # one sort per model, cached on its evidence
    # the exact values (one bin per distinct score); the interval's SE from the binned scores
    c_value, b_value = (
        float(average_precision_from_histogram(c.histogram(y, cand.weight, exact=True)[None])[0])
        for c in codes
    )
    delta = c_value - b_value
    se = ap_difference_jackknife_se(y, cand.weight, codes, rng)
    interval, p = _from_se(delta, se, opts.confidence, "paired-group-jackknife")
    return ComparisonResult(
        metric.name,
        delta,
        interval,
        c_value,
        b_value,
        cand.n,
        True,
        "paired-group-jackknife",
        p,
    )


JACKKNIFE_GROUPS = 200


def ap_difference_jackknife_se(
    y_pos: np.ndarray,
    weight: np.ndarray | None,
    codes: Sequence[ScoreCodes],
    rng: np.random.Generator,
    groups: int = JACKKNIFE_GROUPS,
) -> float:
    """Standard error of AP(candidate) − AP(baseline) on the same rows, by a delete-a-group
    jackknife on score histograms (``codes``: the two models' binned scores, row by row).

    The rows are dealt at random into ``groups`` groups; leaving one group out changes each
    model's per-class score histogram by that group's histogram, so the ``groups`` leave-out
    differences cost O(groups × bins) after one O(n) pass — where a paired row bootstrap costs
    O(B × n) (minutes at 10⁶ rows). Average precision is a smooth function of the histograms,
    for which the grouped jackknife variance is consistent; its coverage is simulated in
    ``tests/unit/test_compare.py``.
    """
    from pytest_modelgate.estimates.metrics import average_precision_from_histogram

    y = y_pos.astype(np.int64)
    n_rows = y.size if weight is None else int(weight.sum())
    g = int(min(groups, n_rows))
    if g < 2:
        return float("nan")
    cells = [y * c.bins + c.binned for c in codes]  # (label, score bin) of each stored row
    sizes = [2 * c.bins for c in codes]
    per_group = [np.zeros((g, size)) for size in sizes]
    if weight is None:  # each row to a random group
        member = rng.integers(0, g, size=y.size)
        for k, (cell, size) in enumerate(zip(cells, sizes, strict=True)):
            flat = np.bincount(member * size + cell, minlength=g * size)
            per_group[k] = flat.reshape(g, size).astype(np.float64)
    else:  # a cell's rows are dealt into the groups as single rows would be (in chunks of cells)
        chunk = max(1, 2_000_000 // g)
        for start in range(0, y.size, chunk):
            part = slice(start, start + chunk)
            dealt = rng.multinomial(weight[part], np.full(g, 1.0 / g))  # (cells, g)
            for k, (cell, size) in enumerate(zip(cells, sizes, strict=True)):
                for group in range(g):
                    per_group[k][group] += np.bincount(
                        cell[part], weights=dealt[:, group], minlength=size
                    )
    leave_out = []
    for hist in per_group:
        by_group = hist.reshape(g, 2, -1)
        leave_out.append(average_precision_from_histogram(by_group.sum(axis=0)[None] - by_group))
    theta = leave_out[0] - leave_out[1]
    if not np.all(np.isfinite(theta)):
        # a group held all of a class (AP undefined without it): too few positives or negatives
        # for this estimate of the uncertainty; dropping those leave-outs would understate it
        return float("nan")
    return float(np.sqrt((theta.size - 1) / theta.size * np.sum((theta - theta.mean()) ** 2)))


def _loss_comparison(
    metric: Metric, cand: Evidence, base: Evidence, opts: StatsOptions
) -> ComparisonResult:
    level = opts.confidence
    lc, lb = per_row_loss(metric, cand), per_row_loss(metric, base)
    n = cand.n
    w = cand.weight
    if metric.name in ("rmse", "r2"):
        mc, mb = weighted_mean(lc, w), weighted_mean(lb, w)
        if metric.name == "rmse":
            c_value, b_value = float(np.sqrt(mc)), float(np.sqrt(mb))
            delta = b_value - c_value
            if c_value == 0 or b_value == 0:
                se = float("nan")
            else:  # influence functions of sqrt(mean squared error)
                influence = (lb - mb) / (2 * b_value) - (lc - mc) / (2 * c_value)
                se = weighted_sd(influence, w) / np.sqrt(n)
        else:
            dev = cand.y_true - weighted_mean(cand.y_true, w)
            v = weighted_mean(dev * dev, w)
            c_value, b_value = 1 - mc / v, 1 - mb / v
            delta = float((mb - mc) / v)
            influence = ((lb - lc) - (mb - mc)) / v - (mb - mc) * (dev * dev - v) / (v * v)
            se = weighted_sd(influence, w) / np.sqrt(n)
        interval, p = _from_se(delta, se, level, "paired-delta")
        return ComparisonResult(
            metric.name,
            float(delta),
            interval,
            float(c_value),
            float(b_value),
            n,
            True,
            "paired-delta",
            p,
        )
    interval, _se, p = paired_mean_difference_interval(lb - lc, level, w)
    return ComparisonResult(
        metric.name,
        weighted_mean(lb, w) - weighted_mean(lc, w),
        interval,
        weighted_mean(lc, w),
        weighted_mean(lb, w),
        n,
        True,
        interval.method,
        p,
    )


def compare_metric(
    metric: Metric, cand: Evidence, base: Evidence, opts: StatsOptions, rng: np.random.Generator
) -> ComparisonResult:
    """Paired comparison of ``metric`` between two models scored on the same rows.

    On clustered or sampling-weighted rows (``cand.has_design``) the design-based interval of
    :func:`~pytest_modelgate.estimates.clustered.design_compare`; a ``DataError`` where none
    exists yet (never an i.i.d. interval, which would be too narrow)."""
    if cand.n_stored != base.n_stored or not np.array_equal(cand.frequencies, base.frequencies):
        raise ValueError("paired comparison needs the same rows")  # guarded by the callers
    if cand.has_design:
        from pytest_modelgate.errors import DataError
        from pytest_modelgate.estimates.clustered import design_compare, design_not_supported

        result = design_compare(metric, cand, base, opts)
        if result is None:
            raise DataError(design_not_supported(cand, f"a comparison of {metric.name}"))
        return result
    if metric.kind == "counts":
        return _counts_comparison(metric, cand, base, opts, rng)
    if metric.name == "roc_auc_ovr":  # #19: paired Δ of the macro one-vs-rest AUC
        from pytest_modelgate.estimates.per_class import macro_auc_comparison

        return macro_auc_comparison(cand, base, opts.confidence)
    if metric.kind == "calibration":  # #19: a target, not a direction
        from pytest_modelgate.errors import DataError
        from pytest_modelgate.estimates.extra_metrics import NO_COMPARE

        raise DataError(f"{metric.name}: {NO_COMPARE}")
    if metric.kind == "operating":  # #19: threshold re-chosen on each paired replicate
        from pytest_modelgate.estimates.operating import operating_compare

        return operating_compare(metric, cand, base, opts, rng)  # type: ignore[no-any-return]
    if metric.name in ("roc_auc", "average_precision"):
        from pytest_modelgate.estimates.metric import require_fine_enough_bins

        for ev in (cand, base):
            require_fine_enough_bins(ev, metric.name)
    if metric.name == "roc_auc":
        y = cand.positives
        n_pos = cand.total(y)
        if n_pos in (0, cand.n):
            nan = Interval(float("nan"), float("nan"), opts.confidence, "none")
            return ComparisonResult(
                metric.name,
                float("nan"),
                nan,
                float("nan"),
                float("nan"),
                cand.n,
                True,
                "none",
                None,
                "only one class: roc_auc undefined",
                **_class_support(cand),
            )
        sc, sb = cand.require_scores(metric.name), base.require_scores(metric.name)
        from pytest_modelgate.stats.delong import (
            delong_from_codes,
            delong_paired,
            difference_from_covariance,
        )

        if cand.weight is None:  # the rank codes cached on each evidence: no sort here
            aucs, cov = delong_from_codes(y, [cand.score_codes.distinct, base.score_codes.distinct])
        else:
            aucs, cov = delong_paired(y, sc, sb, cand.weight)
        delta, se, p = difference_from_covariance(aucs, cov)
        c_value, b_value = aucs
        interval, _ = _from_se(float(delta), float(se), opts.confidence, "delong-paired")
        return ComparisonResult(
            metric.name,
            float(delta),
            interval,
            float(c_value),
            float(b_value),
            cand.n,
            True,
            "delong-paired",
            float(p),
            **_class_support(cand),
        )
    if metric.name == "average_precision":
        return replace(_ap_comparison(metric, cand, base, opts, rng), **_class_support(cand))
    return _loss_comparison(metric, cand, base, opts)


def _class_support(cand: Evidence) -> dict[str, Any]:
    """A ranking Δ's support: the smaller class (as for a ranking metric's threshold gate)."""
    n_pos = int(cand.total(cand.positives))
    return {
        "support": min(n_pos, cand.n - n_pos),
        "support_label": f"positives: {n_pos}, negatives: {cand.n - n_pos}",
    }


def compare_unpaired(
    metric: Metric,
    cand: Evidence,
    stored: dict[str, Any],
    opts: StatsOptions,
    rng: np.random.Generator,
) -> ComparisonResult:
    """Candidate vs a stored number with its interval (no per-row baseline predictions)."""
    est = estimate_metric(metric, cand, opts, rng)
    sign = _orient(metric)
    b_value = float(stored["estimate"])
    iv = stored.get("interval") or {}
    if iv.get("low") is None or iv.get("high") is None:
        se_b = float("nan")
    else:
        se_b = (float(iv["high"]) - float(iv["low"])) / (2 * _z(float(iv.get("level", 0.95))))
    se_c = (
        est.interval.width / (2 * _z(est.interval.level))
        if est.interval.is_defined
        else float("nan")
    )
    delta = sign * (est.value - b_value)
    interval, p = _from_se(delta, float(np.hypot(se_c, se_b)), opts.confidence, "unpaired-normal")
    return ComparisonResult(
        metric.name,
        delta,
        interval,
        est.value,
        b_value,
        est.n,
        False,
        "unpaired-normal",
        p,
        "unpaired: stored numbers only, no per-row baseline predictions",
    )


# --- the best constant predictor ---------------------------------------------------------------


def constant_evidence(metric: Metric, cand: Evidence) -> tuple[Evidence, str]:
    """The best constant predictor for ``metric`` on the candidate's rows, as evidence (on the
    same stored rows, with the same weights, when the candidate's evidence is grouped)."""
    n = cand.n_stored
    w = cand.weight

    def constant(pred: np.ndarray, scores: np.ndarray | None, kind: str | None, label: str):
        return replace(
            cand, y_pred=pred, scores=scores, score_kind=kind, source=label, score_bins=None
        )

    if metric.kind == "counts":
        best: tuple[float, int] | None = None
        assert metric.from_counts is not None
        sign = _orient(metric)
        for code in range(len(cand.classes)):
            counts = np.zeros((len(cand.classes),) * 2)
            counts[:, code] = weighted_bincount(cand.y_true, w, len(cand.classes))
            value = float(metric.from_counts(counts[None])[0])
            if not np.isnan(value) and (best is None or sign * value > sign * best[0]):
                best = (value, code)
        code = best[1] if best is not None else 0
        label = f"always {cand.classes[code]!r}"
        pred = np.full(n, code, dtype=np.int64)
        return constant(pred, None, None, label), label
    if cand.task == "regression":
        y = cand.y_true
        if metric.name == "mae":
            value, label = _weighted_median(y, w), "the median"
        elif metric.name == "mape":
            inverse = 1 / np.maximum(np.abs(y), _EPS)
            order = np.argsort(y)
            cum = np.cumsum((inverse if w is None else inverse * w)[order])
            value = float(y[order][np.searchsorted(cum, cum[-1] / 2)])
            label = "the 1/|y|-weighted median"
        else:
            value, label = weighted_mean(y, w), "the mean"
        label = f"{label} ({value:.6g})"
        return constant(np.full(n, value), None, None, label), label
    if cand.task == "binary":
        prior = weighted_mean(cand.y_true.astype(float), w)
        scores = np.full(n, prior)
        label = f"the prior ({prior:.4f})"
        pred = np.full(n, int(prior >= 0.5), dtype=np.int64)
        return constant(pred, scores, "probability", label), label
    priors = weighted_bincount(cand.y_true, w, len(cand.classes)) / cand.n
    scores = np.tile(priors, (n, 1))
    label = "the class priors"
    pred = np.full(n, int(np.argmax(priors)), dtype=np.int64)
    return constant(pred, scores, "probability", label), label


def _weighted_median(y: np.ndarray, w: np.ndarray | None) -> float:
    """``np.median`` of the rows ``y`` stands for (frequencies ``w``)."""
    if w is None:
        return float(np.median(y))
    from pytest_modelgate.evidence.core import weighted_quantile

    return float(weighted_quantile(y, w, [0.5])[0])
