"""The fault catalogue of ``--modelgate-mutate``: operators that turn the candidate's evidence into
a *mutant* — the evidence a known-bad model would have produced on the same rows.

An operator is a generator function registered with :func:`register_mutant`; it receives a
:class:`MutationContext` and a strength and yields ``(target, evidence)`` pairs (one per slice,
class, feature ... it applies to). Strengths are listed weakest first. Every random draw comes
from ``context.rng(...)``, keyed by the operator, target and strength, so a mutant does not depend
on which other operators ran. Extend the catalogue from Python::

    from pytest_modelgate import register_mutant

    @register_mutant("shift_up", strengths=(0.05, 0.1, 0.2))
    def shift_up(ctx, strength):
        "Every score raised by `strength` (a model that over-predicts)."
        yield "all rows", ctx.with_scores(np.clip(ctx.scores + strength, 0, 1))

or from another package with an entry point in the group ``pytest_modelgate.mutants`` (the
module is imported before a mutation run; registering is its side effect).

Operators that change input rows (``needs_model=True``) re-predict with the candidate model
through ``context.predict`` and are skipped when only predictions are available.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["OPERATORS", "MutationContext", "Operator", "register_mutant"]


@dataclass(frozen=True)
class Operator:
    name: str
    fn: Callable[..., Iterator[tuple[str, Any]]]
    strengths: tuple[float, ...]
    needs_model: bool
    description: str


OPERATORS: dict[str, Operator] = {}


def register_mutant(
    name: str, *, strengths: tuple[float, ...] = (1.0,), needs_model: bool = False
) -> Callable[[Callable[..., Iterator[tuple[str, Any]]]], Callable[..., Iterator[tuple[str, Any]]]]:
    """Register a fault operator (a decorator). ``strengths``: weakest first."""
    if not strengths or any(not np.isfinite(s) for s in strengths):
        raise ValueError(f"register_mutant({name!r}): strengths must be finite numbers")

    def decorate(fn: Callable[..., Iterator[tuple[str, Any]]]) -> Any:
        doc = (fn.__doc__ or "").strip().split("\n")[0]
        OPERATORS[name] = Operator(name, fn, tuple(float(s) for s in strengths), needs_model, doc)
        return fn

    return decorate


def load_entry_points() -> None:
    """Import the modules of the ``pytest_modelgate.mutants`` entry point group (once)."""
    from importlib.metadata import entry_points

    for ep in entry_points(group="pytest_modelgate.mutants"):
        ep.load()


@dataclass
class MutationContext:
    """What an operator may read: the candidate's evidence, the slice columns, the model.

    ``sensitive``: the columns ``flip_slice`` and ``swap_sensitive`` target; ``features``: the
    model's input frame (``None`` without a model); ``predict(frame)`` → evidence of the candidate
    on changed input rows; ``threshold``: the score at which a binary prediction turns positive.
    """

    evidence: Any
    frame: pd.DataFrame
    sensitive: list[str]
    seed: int
    features: pd.DataFrame | None = None
    predict: Callable[[pd.DataFrame], Any] | None = None
    threshold: float = 0.5

    def rng(self, key: str) -> np.random.Generator:
        from pytest_modelgate.checks.engine import estimate_rng

        return estimate_rng(self.seed, f"mutant:{key}")

    @property
    def scores(self) -> np.ndarray | None:
        return self.evidence.scores

    @property
    def task(self) -> str:
        return str(self.evidence.task)

    def pick(self, rows: np.ndarray, share: float, key: str) -> np.ndarray:
        """A seeded share of ``rows`` (at least one row when ``rows`` is not empty)."""
        rows = np.asarray(rows)
        k = min(len(rows), max(1, round(share * len(rows)))) if len(rows) else 0
        return np.sort(self.rng(key).choice(rows, size=k, replace=False)) if k else rows[:0]

    def groups(self, column: str) -> dict[str, np.ndarray]:
        """Row indices of each value of ``column``, labelled as the slices label them; empty
        for a column of more than 50 values (a number, an id: not a group)."""
        from pytest_modelgate.evidence.slicing import _factorize

        codes, texts = _factorize(self.frame[column])
        if len(texts) > 50:
            return {}
        order = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[order], np.arange(len(texts) + 1))
        return {t: order[bounds[k] : bounds[k + 1]] for k, t in enumerate(texts)}

    # --- building mutants ----------------------------------------------------------------------

    def with_scores(self, scores: np.ndarray) -> Any:
        """The evidence with new binary scores (or class probabilities); a row's predicted label
        changes only where its score crossed the threshold (multiclass: the arg max moved)."""
        ev = self.evidence
        old = ev.scores
        y_pred = ev.y_pred
        if y_pred is not None and old is not None:
            if ev.task == "binary" and old.ndim == 1:
                t = self.threshold
                crossed = (old >= t) != (scores >= t)
                y_pred = np.where(crossed, 1 - y_pred, y_pred)
            elif old.ndim == 2:
                moved = np.argmax(old, axis=1) != np.argmax(scores, axis=1)
                y_pred = np.where(moved, np.argmax(scores, axis=1), y_pred)
        return replace(ev, scores=scores, y_pred=y_pred)

    def flipped(self, rows: np.ndarray) -> Any:
        """The evidence with the predictions of ``rows`` made wrong the simplest way: binary
        labels flipped (scores 1 − s), multiclass labels and probabilities rolled by one class,
        regression predictions moved by two standard deviations of the target."""
        ev = self.evidence
        y_pred = None if ev.y_pred is None else ev.y_pred.copy()
        scores = None if ev.scores is None else ev.scores.copy()
        if ev.task == "regression":
            assert y_pred is not None
            y_pred[rows] = y_pred[rows] + 2.0 * float(np.std(ev.y_true))
            return replace(ev, y_pred=y_pred)
        k = len(ev.classes)
        if y_pred is not None:
            y_pred[rows] = (y_pred[rows] + 1) % k if k > 2 else 1 - y_pred[rows]
        if scores is not None:
            scores[rows] = (
                np.roll(scores[rows], 1, axis=1) if scores.ndim == 2 else 1 - scores[rows]
            )
        return replace(ev, y_pred=y_pred, scores=scores)


def _binary_logit(p: np.ndarray) -> np.ndarray:
    q = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(q / (1 - q))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _probabilities(ctx: MutationContext) -> np.ndarray | None:
    ev = ctx.evidence
    if ev.scores is None or ev.score_kind != "probability" or ev.task == "regression":
        return None
    return np.asarray(ev.scores, dtype=float)


def _softmax_of_logs(p: np.ndarray, scale: float, noise: np.ndarray | None = None) -> np.ndarray:
    z = np.log(np.clip(p, 1e-9, 1.0)) * scale
    if noise is not None:
        z = z + noise
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


# --- the catalogue ------------------------------------------------------------------------


@register_mutant("flip_slice", strengths=(0.1, 0.25, 0.5))
def flip_slice(ctx: MutationContext, strength: float) -> Iterator[tuple[str, Any]]:
    """A share of one slice's predictions made wrong (each value of each sensitive column)."""
    for column in ctx.sensitive:
        for value, rows in ctx.groups(column).items():
            target = f"{column}={value}"
            yield target, ctx.flipped(ctx.pick(rows, strength, f"flip_slice:{target}:{strength}"))


@register_mutant("degrade_class", strengths=(0.1, 0.25, 0.5))
def degrade_class(ctx: MutationContext, strength: float) -> Iterator[tuple[str, Any]]:
    """A share of one true class's correctly predicted rows predicted wrong."""
    ev = ctx.evidence
    if ev.task == "regression" or ev.y_pred is None:
        return
    for code, value in enumerate(ev.classes):
        rows = np.flatnonzero((ev.y_true == code) & (ev.y_pred == code))
        target = f"class {value}"
        yield target, ctx.flipped(ctx.pick(rows, strength, f"degrade_class:{target}:{strength}"))


@register_mutant("miscalibrate", strengths=(1.5, 2.0, 3.0))
def miscalibrate(ctx: MutationContext, strength: float) -> Iterator[tuple[str, Any]]:
    """Probabilities made over-confident: log-odds (log-probabilities) times a temperature;
    the predicted labels and the ranking do not change."""
    p = _probabilities(ctx)
    if p is None:
        return
    if p.ndim == 1:
        yield "all rows", ctx.with_scores(_sigmoid(_binary_logit(p) * strength))
    else:
        yield "all rows", ctx.with_scores(_softmax_of_logs(p, strength))


@register_mutant("noise", strengths=(0.25, 0.5, 1.0, 2.0))
def noise(ctx: MutationContext, strength: float) -> Iterator[tuple[str, Any]]:
    """Gaussian noise of this standard deviation on the log-odds (regression: on the predictions,
    in standard deviations of the target)."""
    ev = ctx.evidence
    rng = ctx.rng(f"noise:{strength}")
    if ev.task == "regression":
        if ev.y_pred is None:
            return
        sd = float(np.std(ev.y_true)) * strength
        yield "all rows", replace(ev, y_pred=ev.y_pred + rng.normal(0.0, sd, ev.y_pred.shape))
        return
    p = _probabilities(ctx)
    if p is None:
        return
    if p.ndim == 1:
        yield (
            "all rows",
            ctx.with_scores(_sigmoid(_binary_logit(p) + rng.normal(0, strength, p.shape))),
        )
    else:
        yield (
            "all rows",
            ctx.with_scores(_softmax_of_logs(p, 1.0, rng.normal(0, strength, p.shape))),
        )


@register_mutant("swap_sensitive", strengths=(0.25, 0.5, 1.0))
def swap_sensitive(ctx: MutationContext, strength: float) -> Iterator[tuple[str, Any]]:
    """The two largest groups of a sensitive column swap predictions: a share of each group's
    rows gets the prediction (label and score) of a random row of the other group."""
    ev = ctx.evidence
    for column in ctx.sensitive:
        groups = sorted(ctx.groups(column).items(), key=lambda kv: -len(kv[1]))[:2]
        if len(groups) < 2:
            continue
        (ga, ra), (gb, rb) = groups
        target = f"{column}: {ga} <-> {gb}"
        rng = ctx.rng(f"swap_sensitive:{target}:{strength}")
        a = ctx.pick(ra, strength, f"swap_sensitive:{target}:{strength}:a")
        b = ctx.pick(rb, strength, f"swap_sensitive:{target}:{strength}:b")
        source = np.arange(ev.n_stored)
        source[a] = rng.choice(rb, size=len(a))
        source[b] = rng.choice(ra, size=len(b))
        yield (
            target,
            replace(
                ev,
                y_pred=None if ev.y_pred is None else ev.y_pred[source],
                scores=None if ev.scores is None else ev.scores[source],
            ),
        )


@register_mutant("leak_label", strengths=(0.05, 0.1, 0.2))
def leak_label(ctx: MutationContext, strength: float) -> Iterator[tuple[str, Any]]:
    """A model that saw the label: a share of the rows predicted right with confidence (what
    leaking the target into a feature does to the test metrics — suspiciously good)."""
    ev = ctx.evidence
    rows = ctx.pick(np.arange(ev.n_stored), strength, f"leak_label:{strength}")
    y_pred = None if ev.y_pred is None else ev.y_pred.copy()
    scores = None if ev.scores is None else np.asarray(ev.scores, dtype=float).copy()
    if y_pred is not None:
        y_pred[rows] = ev.y_true[rows]
    if scores is not None and ev.task != "regression":
        if scores.ndim == 1:
            scores[rows] = np.where(ev.y_true[rows] == 1, 0.99, 0.01)
        else:
            k = scores.shape[1]
            scores[rows] = 0.01 / max(k - 1, 1)
            scores[rows, ev.y_true[rows]] = 0.99
    yield "all rows", replace(ev, y_pred=y_pred, scores=scores)


@register_mutant("shuffle_feature", strengths=(0.5, 1.0), needs_model=True)
def shuffle_feature(ctx: MutationContext, strength: float) -> Iterator[tuple[str, Any]]:
    """A share of one input column's values shuffled across rows, then re-predicted (a feature
    the pipeline scrambled: joins on the wrong key, a stale column)."""
    assert ctx.features is not None and ctx.predict is not None
    for column in ctx.features.columns:
        rng = ctx.rng(f"shuffle_feature:{column}:{strength}")
        rows = ctx.pick(np.arange(len(ctx.features)), strength, f"shuffle:{column}:{strength}")
        frame = ctx.features.copy()
        values = frame[column].to_numpy(copy=True)
        values[rows] = values[rng.permutation(rows)]
        frame[column] = values
        yield f"feature {column}", ctx.predict(frame)


@register_mutant("drop_category", strengths=(1.0,), needs_model=True)
def drop_category(ctx: MutationContext, strength: float) -> Iterator[tuple[str, Any]]:
    """The most frequent value of a text input column replaced by its second most frequent
    (a category the pipeline lost or merged), then re-predicted."""
    assert ctx.features is not None and ctx.predict is not None
    for column in ctx.features.columns:
        col = ctx.features[column]
        if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
            continue
        counts = col.value_counts()
        if len(counts) < 2:
            continue
        first, second = counts.index[0], counts.index[1]
        frame = ctx.features.copy()
        frame[column] = col.where(col != first, second)
        yield f"{column}: {first} -> {second}", ctx.predict(frame)
