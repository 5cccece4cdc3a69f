"""Weak-slice discovery with honest statistics: ``--modelgate-scan`` and ``Evaluation.scan()``.

A search over many slices finds weak-looking ones by chance. So the rows are split (seeded) into
a *discovery* half and a *confirmation* half (or ``data.scan`` rows discover and the test rows
confirm). Every candidate slice — each value of a column, each quantile bin of a numeric one,
each pair of those (``max_depth: 2``) with at least ``min_support`` rows in the metric's
denominator — is compared with the rest of the rows on the discovery half (a one-sided z test);
the ``max_candidates`` most significant are carried to the confirmation half and tested once
more, there alone, with Holm (family-wise error) or Benjamini–Hochberg (false discovery rate)
across the carried slices. The carried set does not depend on the confirmation rows, so the
correction holds as if only those slices had ever been looked at. Effect sizes and intervals
come from the confirmation half only (the discovery half's numbers are biased by the selection).

Tests on the confirmation half: for a proportion metric (accuracy, recall, fpr, ...), Fisher's
exact one-sided test of slice vs rest (``scipy.stats.hypergeom``), the slice's Clopper–Pearson
interval and a MOVER–Clopper–Pearson interval of the shortfall; for a mean loss (log loss,
Brier, mae, mse, mape), Welch's z and normal intervals.

Everything runs on per-code sums (one ``bincount`` per slicing and half), never per row in
Python. A slice and its sub-slice (``sex=Female`` and ``sex=Female, race=Black``) are one finding
unless the sub-slice is worse beyond its interval (its upper end below the parent's estimate).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pytest_modelgate.errors import DataError

__all__ = ["Condition", "Finding", "ScanResult", "scan_slices"]

LOSSES = ("log_loss", "brier_score", "mae", "mse", "mape")
MAX_LEVELS = 50  # a categorical column with more values is skipped (an id, a free text)


@dataclass(frozen=True)
class Condition:
    """One column's part of a slice: a value (as the slice labels print it) or ``[low, high)``."""

    column: str
    text: str | None = None
    low: float | None = None
    high: float | None = None

    @property
    def label(self) -> str:
        if self.text is not None:
            return self.text
        from pytest_modelgate.evidence.slicing import _range_text

        return _range_text(self.low, self.high)

    def where_value(self) -> Any:
        """The condition as a ``where:`` entry of ``gates.yaml`` (exact floats)."""
        if self.text is not None:
            return self.text
        out: dict[str, float] = {}
        if self.low is not None:
            out["min"] = float(self.low)
        if self.high is not None:
            out["max"] = float(self.high)
        return out


@dataclass(frozen=True)
class Finding:
    """A confirmed weak slice; every number is from the confirmation rows."""

    conditions: tuple[Condition, ...]
    n: int  # rows in the metric's denominator, confirmation rows
    estimate: float  # the metric on the slice
    low: float
    high: float  # the slice's interval at ``level``
    rest: float  # the metric on the other rows
    shortfall: float  # how much worse than the rest (positive = worse)
    shortfall_low: float
    shortfall_high: float
    p_value: float
    adjusted_p: float
    discovery_estimate: float
    discovery_n: int
    merged: tuple[str, ...] = ()  # sub- or super-slices reported as this one finding

    @property
    def label(self) -> dict[str, str]:
        return {c.column: c.label for c in self.conditions}

    @property
    def key(self) -> str:
        from pytest_modelgate._format import slice_label

        return slice_label(self.label)

    def to_dict(self) -> dict[str, Any]:
        return {
            "slice": self.label,
            "where": {c.column: c.where_value() for c in self.conditions},
            "n": self.n,
            "estimate": self.estimate,
            "interval": [self.low, self.high],
            "rest": self.rest,
            "shortfall": self.shortfall,
            "shortfall_interval": [self.shortfall_low, self.shortfall_high],
            "p_value": self.p_value,
            "adjusted_p": self.adjusted_p,
            "discovery": {"estimate": self.discovery_estimate, "n": self.discovery_n},
            "merged": list(self.merged),
        }


@dataclass(frozen=True)
class ScanResult:
    """What a scan found (``findings``, worst first) and how it looked."""

    metric: str
    higher_is_better: bool
    overall: float  # the metric on the confirmation rows
    n_discovery: int
    n_confirmation: int
    split: str  # "half" or "data.scan"
    columns: tuple[str, ...]
    skipped: tuple[str, ...]  # columns not searched, with why
    candidates: int  # slices tested on the discovery rows
    carried: int  # slices tested on the confirmation rows
    correction: str
    alpha: float
    level: float
    seed: int
    findings: tuple[Finding, ...]
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # this process's CPU time (wall time on a busy machine is more)
    proposed: str = field(default="", compare=False)  # the YAML snippet

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "higher_is_better": self.higher_is_better,
            "overall": self.overall,
            "n_discovery": self.n_discovery,
            "n_confirmation": self.n_confirmation,
            "split": self.split,
            "columns": list(self.columns),
            "skipped": list(self.skipped),
            "candidates": self.candidates,
            "carried": self.carried,
            "correction": self.correction,
            "alpha": self.alpha,
            "level": self.level,
            "seed": self.seed,
            "seconds": self.seconds,
            "cpu_seconds": self.cpu_seconds,
            "findings": [f.to_dict() for f in self.findings],
            "proposed_gates": self.proposed,
        }


# --- per-row quantities ---------------------------------------------------------------------------


def _row_values(metric: Any, ev: Any) -> tuple[np.ndarray, np.ndarray | None]:
    """Per stored row: (numerator, denominator) of a proportion metric, or (loss, None)."""
    if metric.proportion is not None:
        if ev.y_pred is None:
            raise DataError(f"the scan's metric {metric.name} needs predicted labels")
        k = len(ev.classes)
        eye = np.eye(k * k).reshape(k * k, k, k)
        num, den = metric.proportion(eye)
        cell = ev.y_true * k + ev.y_pred
        return np.asarray(num, float)[cell], np.asarray(den, float)[cell]
    if metric.name in LOSSES:
        from pytest_modelgate.estimates.metric import per_row_loss

        return np.asarray(per_row_loss(metric, ev), dtype=float), None
    raise DataError(
        f"the scan needs a proportion metric (accuracy, recall, precision, fpr, ...) or a mean "
        f"loss ({', '.join(LOSSES)}); {metric.name} is neither"
    )


# --- candidate slicings --------------------------------------------------------------------------


@dataclass
class _Column:
    name: str
    codes: np.ndarray  # one code per stored row
    conditions: list[Condition]  # index = code


def _encode_column(name: str, values: pd.Series, weights: np.ndarray, bins: int) -> _Column | str:
    """Codes of one column: categorical values as text, numbers in quantile bins (or between
    their few distinct values); a string says why the column is skipped."""
    from pytest_modelgate.evidence.slicing import _factorize

    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    if not numeric:
        codes, texts = _factorize(values)
        if len(texts) > MAX_LEVELS:
            return f"{name} ({len(texts)} values; bin it or leave it out)"
        return _Column(name, codes, [Condition(name, text=t) for t in texts])
    x = values.to_numpy(dtype=float)
    present = ~np.isnan(x)
    distinct = np.unique(x[present])
    if len(distinct) == 0:
        return f"{name} (no values)"
    if len(distinct) <= bins:
        edges = (distinct[:-1] + distinct[1:]) / 2
    else:
        from pytest_modelgate.evidence.core import weighted_quantile

        probs = np.linspace(0, 1, bins + 1)[1:-1]
        edges = np.unique(weighted_quantile(x[present], weights[present], probs))
        edges = edges[(edges > distinct[0])]  # a bin below the smallest value would be empty
        if len(edges) == 0:  # most rows share the smallest value (zero-inflated): it vs the rest
            edges = distinct[1:2]
    codes = np.searchsorted(edges, np.where(present, x, 0.0), side="right").astype(np.int64)
    bounds = [None, *edges.tolist(), None]
    conditions = [Condition(name, low=bounds[i], high=bounds[i + 1]) for i in range(len(edges) + 1)]
    if not present.all():
        codes = np.where(present, codes, len(conditions))
        conditions.append(Condition(name, text="<missing>"))
    if len(conditions) < 2:
        return f"{name} (one value)"
    return _Column(name, codes, conditions)


@dataclass
class _Candidates:
    keys: list[tuple[tuple[int, int], ...]] = field(default_factory=list)  # (column, code) pairs
    sums: list[np.ndarray] = field(default_factory=list)  # per slicing: (halves, stats, codes)


def _sums(
    codes: np.ndarray, size: int, weights: list[np.ndarray], a: np.ndarray, b: np.ndarray | None
) -> np.ndarray:
    """Per code and half: (Σ w·a, Σ w·b) for proportions, (Σ w·l, Σ w·l², Σ w) for losses."""
    out = []
    for w in weights:
        parts = (w * a, w * a * a, w) if b is None else (w * a, w * b)
        out.append([np.bincount(codes, weights=p, minlength=size) for p in parts])
    return np.asarray(out)  # (2, stats, size)


def _candidates(
    columns: list[_Column],
    depth: int,
    weights: list[np.ndarray],
    a: np.ndarray,
    b: np.ndarray | None,
) -> tuple[list[tuple[tuple[int, int], ...]], np.ndarray]:
    keys: list[tuple[tuple[int, int], ...]] = []
    blocks = []
    for i, col in enumerate(columns):
        size = len(col.conditions)
        blocks.append(_sums(col.codes, size, weights, a, b))
        keys.extend(((i, k),) for k in range(size))
    if depth >= 2:
        for i in range(len(columns)):
            for j in range(i + 1, len(columns)):
                ci, cj = columns[i], columns[j]
                kj = len(cj.conditions)
                size = len(ci.conditions) * kj
                blocks.append(_sums(ci.codes * kj + cj.codes, size, weights, a, b))
                keys.extend(((i, k // kj), (j, k % kj)) for k in range(size))
    return keys, np.concatenate(blocks, axis=2)


# --- tests ---------------------------------------------------------------------------------------


def _z_worse(s: np.ndarray, total: np.ndarray, proportion: bool, higher: bool) -> np.ndarray:
    """One-sided z of "the slice is worse than the rest", per candidate (discovery)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if proportion:
            x, n = s[0], s[1]
            xr, nr = total[0] - x, total[1] - n
            pooled = total[0] / total[1]
            se = np.sqrt(pooled * (1 - pooled) * (1 / n + 1 / nr))
            diff = x / n - xr / nr
        else:
            diff, se = _welch(s, total)
        z = (-diff if higher else diff) / se
    return np.where(np.isfinite(z), z, -np.inf)


def _welch(s: np.ndarray, total: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    s1, s2, n = s[0], s[1], s[2]
    r1, r2, nr = total[0] - s1, total[1] - s2, total[2] - n
    m, mr = s1 / n, r1 / nr
    v = np.maximum(s2 / n - m * m, 0) * n / (n - 1)
    vr = np.maximum(r2 / nr - mr * mr, 0) * nr / (nr - 1)
    return m - mr, np.sqrt(v / n + vr / nr)


def _confirm_p(s: np.ndarray, total: np.ndarray, proportion: bool, higher: bool) -> np.ndarray:
    """One-sided p of "the slice is worse than the rest" on the confirmation rows: Fisher's
    exact test for proportions (conditional on the margins), Welch's z for mean losses."""
    from scipy import stats

    if not proportion:
        from scipy.special import ndtr

        diff, se = _welch(s, total)
        with np.errstate(divide="ignore", invalid="ignore"):
            z = (-diff if higher else diff) / se
        return np.where(np.isfinite(z), ndtr(-z), 1.0)
    x = np.rint(s[0]).astype(np.int64)
    n = np.rint(s[1]).astype(np.int64)
    big_x, big_n = round(total[0]), round(total[1])
    # successes in the slice given the margins ~ hypergeom(N, X, n); worse = few (or many)
    if higher:
        p = stats.hypergeom.cdf(x, big_n, big_x, n)
    else:
        p = stats.hypergeom.sf(x - 1, big_n, big_x, n)
    return np.where(n > 0, np.clip(p, 0.0, 1.0), 1.0)


def _adjust(p: np.ndarray, correction: str) -> np.ndarray:
    from pytest_modelgate.stats.multiplicity import holm_adjust

    if correction == "holm" or len(p) == 0:
        return holm_adjust(p)
    from scipy.stats import false_discovery_control

    return np.asarray(false_discovery_control(p, method="bh"))


# --- the scan ------------------------------------------------------------------------------------


def scan_slices(
    evidence: Any,
    frame: pd.DataFrame,
    metric: Any,
    *,
    columns: Sequence[str],
    seed: int,
    max_depth: int = 2,
    bins: int = 4,
    min_support: int = 100,
    alpha: float = 0.05,
    correction: str = "holm",
    max_candidates: int = 20,
    level: float = 0.95,
    discovery_rows: np.ndarray | None = None,
) -> ScanResult:
    """Search ``frame[columns]`` for slices where ``metric`` is worse than on the other rows.

    Parameters
    ----------
    evidence : the model's :class:`~pytest_modelgate.evidence.core.Evidence` (one stored row per
        frame row; frequency-weighted cells are split by binomial thinning).
    metric : a :class:`~pytest_modelgate.estimates.metrics.Metric` (proportion or mean loss).
    discovery_rows : a boolean mask of the rows that only discover (``data.scan`` rows); the
        others only confirm. ``None``: a seeded half of the rows discovers.

    Returns
    -------
    ScanResult
        Findings worst first, every number from the confirmation rows.
    """
    from pytest_modelgate.checks.engine import estimate_rng
    from pytest_modelgate.stats.difference import mover_difference_interval, proportion_limits

    started, cpu = time.perf_counter(), time.process_time()
    if evidence.has_design:
        raise DataError(
            "the scan splits rows at random, which is not valid for clustered or sampling-"
            "weighted rows (data.cluster, data.weight): scan without them"
        )
    a, b = _row_values(metric, evidence)
    freq = evidence.frequencies.astype(np.int64)
    if discovery_rows is None:
        rng = estimate_rng(seed, f"scan:{metric.name}")
        w_discovery = rng.binomial(freq, 0.5).astype(float)
        split = "half"
    else:
        w_discovery = np.where(discovery_rows, freq, 0).astype(float)
        split = "data.scan"
    w_confirm = freq - w_discovery
    encoded: list[_Column] = []
    skipped: list[str] = []
    for name in columns:
        col = _encode_column(str(name), frame[name], freq.astype(float), bins)
        (skipped.append(col) if isinstance(col, str) else encoded.append(col))
    proportion = b is not None
    higher = metric.higher_is_better
    keys: list[tuple[tuple[int, int], ...]]
    if not encoded:
        keys, sums = [], np.zeros((2, 3 - proportion, 0))
    else:
        keys, sums = _candidates(encoded, max_depth, [w_discovery, w_confirm], a, b)
    total = _total([w_discovery, w_confirm], a, b)
    support = sums[:, 1 if proportion else 2, :]  # denominator rows per half
    ok = support[0] >= min_support
    ok &= support[0] < total[0][-1]  # not every row (a column with one value)
    idx = np.flatnonzero(ok)
    z = _z_worse(sums[0][:, idx], total[0], proportion, higher)
    from scipy.special import ndtr

    p_discovery = ndtr(-z)
    keep = idx[p_discovery < alpha]
    keep = keep[np.argsort(-z[p_discovery < alpha], kind="stable")][:max_candidates]
    conf = sums[1][:, keep]
    p = _confirm_p(conf, total[1], proportion, higher)
    adjusted = _adjust(p, correction) if len(p) else p
    confirmed = np.flatnonzero(adjusted <= alpha)

    def metric_of(s: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return s[0] / (s[1] if proportion else s[2])

    rest_sums = total[1][:, None] - conf
    est, rest = metric_of(conf), metric_of(rest_sums)
    disc = sums[0][:, keep]
    from scipy.special import ndtri

    zq = float(ndtri(0.5 + level / 2))
    if proportion:
        low, high = proportion_limits(conf[0], conf[1], zq)
        if higher:  # shortfall = rest − slice
            s_low, s_high = mover_difference_interval(
                rest_sums[0], rest_sums[1], conf[0], conf[1], level
            )
        else:
            s_low, s_high = mover_difference_interval(
                conf[0], conf[1], rest_sums[0], rest_sums[1], level
            )
    else:
        diff, se = _welch(conf, total[1])
        n = conf[2]
        sd = np.sqrt(np.maximum(conf[1] / n - est * est, 0) * n / np.maximum(n - 1, 1))
        low, high = est - zq * sd / np.sqrt(n), est + zq * sd / np.sqrt(n)
        short = -diff if higher else diff
        s_low, s_high = short - zq * se, short + zq * se
    findings = []
    for j in confirmed:
        k = keep[j]
        conds = tuple(encoded[c].conditions[code] for c, code in keys[k])
        short = (rest[j] - est[j]) if higher else (est[j] - rest[j])
        findings.append(
            Finding(
                conditions=conds,
                n=round(conf[1 if proportion else 2][j]),
                estimate=float(est[j]),
                low=float(low[j]),
                high=float(high[j]),
                rest=float(rest[j]),
                shortfall=float(short),
                shortfall_low=float(s_low[j]),
                shortfall_high=float(s_high[j]),
                p_value=float(p[j]),
                adjusted_p=float(adjusted[j]),
                discovery_estimate=float(metric_of(disc[:, j : j + 1])[0]),
                discovery_n=round(disc[1 if proportion else 2][j]),
            )
        )
    merged = merge_findings(findings, higher)
    overall = float(metric_of(total[1][:, None])[0])
    result = ScanResult(
        metric=metric.name,
        higher_is_better=higher,
        overall=overall,
        n_discovery=int(w_discovery.sum()),
        n_confirmation=int(w_confirm.sum()),
        split=split,
        columns=tuple(c.name for c in encoded),
        skipped=tuple(skipped),
        candidates=len(idx),
        carried=len(keep),
        correction=correction,
        alpha=alpha,
        level=level,
        seed=seed,
        findings=tuple(merged),
        seconds=time.perf_counter() - started,
        cpu_seconds=time.process_time() - cpu,
    )
    from pytest_modelgate.audit.snippets import scan_snippet

    return _with_snippet(result, scan_snippet(result))


def _with_snippet(result: ScanResult, text: str) -> ScanResult:
    from dataclasses import replace

    return replace(result, proposed=text)


def _total(weights: list[np.ndarray], a: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    if b is None:
        return np.asarray([[np.sum(w * a), np.sum(w * a * a), np.sum(w)] for w in weights])
    return np.asarray([[np.sum(w * a), np.sum(w * b)] for w in weights])


def merge_findings(findings: list[Finding], higher: bool) -> list[Finding]:
    """Worst first; a sub-slice joins its confirmed parent's finding unless it is worse beyond
    its own interval (its upper end, for a higher-is-better metric, below the parent's
    estimate). The parent is the shallowest confirmed slice whose conditions it contains."""
    from dataclasses import replace

    ordered = sorted(findings, key=lambda f: (len(f.conditions), -f.shortfall))
    kept: list[Finding] = []
    for f in ordered:
        own = set(f.conditions)
        parent = next(
            (i for i, k in enumerate(kept) if set(k.conditions) < own),
            None,
        )
        if parent is not None:
            p = kept[parent]
            beyond = f.high < p.estimate if higher else f.low > p.estimate
            if not beyond:
                kept[parent] = replace(p, merged=(*p.merged, f.key))
                continue
        kept.append(f)
    return sorted(kept, key=lambda f: (-f.shortfall, f.key))


def round_bar(value: float, higher: bool, digits: int = 3) -> float:
    """A bar rounded away from the model (down for a min, up for a max) to ``digits``."""
    scale = 10**digits
    return (math.floor if higher else math.ceil)(value * scale) / scale
