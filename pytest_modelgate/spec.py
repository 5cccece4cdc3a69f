"""``gates.yaml`` → a validated, frozen :class:`Spec` whose every gate knows its YAML line.

Validation happens once, here, at the edge. Every problem is collected (not just the first) and
raised as one :class:`~pytest_modelgate.errors.SpecError` whose lines read
``gates.yaml:LINE: key.path: what is wrong (got VALUE; allowed: ...)``.

The pydantic models below are the single source of the spec's JSON Schema
(:func:`json_schema`, shipped as ``pytest_modelgate/schema/gates.schema.json``).
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ._paths import display_path
from .errors import SpecError, SpecProblem
from .metrics import canonical_name, get_metric, metric_names, suggest_metric
from .yamlsource import YamlDocument, format_path, load_yaml

__all__ = [
    "Gate",
    "Spec",
    "gate_from_arguments",
    "json_schema",
    "load_spec",
    "parse_spec",
    "validate_arguments",
]

SPEC_VERSION = 1

Severity = Literal["block", "review", "warn"]
Evidence = Literal["strict", "lenient", "point"]
Scalar = Union[str, int, float, bool]  # noqa: UP007 - pydantic renders Union in the schema


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


_M = TypeVar("_M", bound=BaseModel)


Fraction = Annotated[float, Field(ge=0.0, le=1.0)]


# --- data, models, stats ------------------------------------------------------------------------


class DataSpec(_Model):
    """Where the rows come from and which columns mean what."""

    test: str = Field(
        description="test data: a .csv, .csv.gz or .parquet file, or a folder of "
        ".parquet files (relative to the spec's folder)"
    )
    reference: str | None = Field(None, description="training/reference data, same formats")
    target: str = Field(description="name of the label column")
    positive_label: Scalar | None = Field(
        None,
        description="binary tasks: the positive class value (inferred when the labels are "
        "0/1 or booleans)",
    )
    features: list[str] | None = Field(
        None,
        description="model input columns; default: every column except target, sensitive, "
        "exclude and prediction columns",
    )
    sensitive: list[str] = Field(
        [], description="protected attributes (not model input unless listed in features)"
    )
    exclude: list[str] = Field([], description="columns that are neither features nor labels")
    engine: Literal["memory", "stream", "duckdb", "spark"] = Field(
        "memory",
        description="how the test rows are turned into evidence: memory (pandas, every gate), "
        "or grouped where the data lives: stream (pyarrow record batches, bounded memory), "
        "duckdb, spark. Grouped engines need prediction columns as models and run the metric, "
        "compare and fairness gates only",
    )
    score_bins: int | None = Field(
        1024,
        ge=2,
        le=1_000_000,
        description="grouped engines: equal-width bins per score column (null: exact scores; "
        "default 1024, or 256 when a baseline's scores are grouped too); ROC AUC and average "
        "precision treat pairs within one bin as ties",
    )


class PredictionColumns(_Model):
    """Predictions already present in the data instead of a model file."""

    predictions: str | None = Field(None, description="column with predicted labels (or values)")
    scores: str | None = Field(None, description="column with positive-class scores/probabilities")

    @model_validator(mode="after")
    def _one_of(self) -> PredictionColumns:
        if self.predictions is None and self.scores is None:
            raise ValueError("give `predictions`, `scores` or both")
        return self


ModelRef = Annotated[
    Union[str, PredictionColumns],  # noqa: UP007
    Field(
        description='a .joblib/.pkl/.skops file, "package.module:attr", or '
        "{predictions: col, scores: col}"
    ),
]


class ModelsSpec(_Model):
    """The candidate model (and optionally the baseline it must not be worse than)."""

    candidate: ModelRef
    baseline: ModelRef | None = None
    threshold: float | None = Field(
        None,
        description="binary: predict positive when the positive-class score is >= this; "
        "default: the model's own predict()",
    )
    trusted_types: list[str] = Field(
        default_factory=list,
        description=".skops files: the types (beyond skops' own safe defaults) you have "
        "inspected and trust, e.g. sklearn.ensemble._hist_gradient_boosting.predictor."
        "TreePredictor; any other type in the file is refused",
    )


class StatsSpec(_Model):
    """How uncertainty is measured and how intervals are turned into verdicts."""

    confidence: float = Field(
        0.95, gt=0.5, lt=1.0, description="level of the two-sided intervals, e.g. 0.95"
    )
    evidence: Evidence = Field("strict", description="default threshold rule")
    interval: Literal["auto", "bootstrap", "wilson", "clopper-pearson", "delong", "normal"] = Field(
        "auto",
        description="interval method; a method that does not apply to a metric falls "
        "back to auto for it",
    )
    bootstrap: Literal["percentile", "basic", "bca"] = Field("bca", description="bootstrap flavour")
    resamples: int = Field(2000, ge=100, le=1_000_000, description="bootstrap resamples")
    seed: int = Field(0, ge=0, description="seed of every random draw")
    min_support: int = Field(30, ge=1, description="rows below which a result is INCONCLUSIVE")
    max_slices: int = Field(
        50, ge=2, le=10_000, description="most slices one slicing (or fairness grouping) may make"
    )
    inconclusive: Literal["fail", "warn", "pass"] = Field(
        "warn", description="what an INCONCLUSIVE gate does to the release decision"
    )


class BaselineStoreSpec(_Model):
    """Where ``--modelgate-update-baseline`` writes the stored baseline."""

    store: str = Field(".modelgate/baseline", description="folder of the stored baseline")


class DecisionSpec(_Model):
    """Release-decision settings."""

    primary: str | None = Field(
        None,
        description="metric on which the candidate must be shown "
        "better than the baseline to be promoted",
    )


# --- gates --------------------------------------------------------------------------------------


class SliceBins(_Model):
    """Numeric slicing: explicit bin edges or quantile bins of one column."""

    column: str
    bins: list[float] | None = Field(None, min_length=2)
    quantiles: int | None = Field(None, ge=2, le=100)

    @model_validator(mode="after")
    def _exactly_one(self) -> SliceBins:
        if (self.bins is None) == (self.quantiles is None):
            raise ValueError("give exactly one of `bins` or `quantiles`")
        return self


SliceSpec = Annotated[
    Union[str, list[str], SliceBins],  # noqa: UP007
    Field(
        description="a column (each value), a list of columns (intersections), or "
        "{column, bins|quantiles}"
    ),
]


class _GateCommon(_Model):
    name: str | None = Field(None, description="readable id of the gate (default: derived)")
    severity: Severity = Field("block", description="what a failure does to the release")
    evidence: Evidence | None = Field(None, description="overrides stats.evidence")
    confidence: float | None = Field(None, gt=0.5, lt=1.0, description="overrides stats.confidence")
    min_support: int | None = Field(None, ge=1, description="overrides stats.min_support")


class MetricGate(_GateCommon):
    """A threshold gate (``min``/``max``) or a baseline comparison (``compare``)."""

    metric: str = Field(description="metric name, e.g. roc_auc, recall, f1_macro, rmse")
    min: float | None = Field(None, description="the metric must be at least this")
    max: float | None = Field(None, description="the metric must be at most this")
    slices: list[SliceSpec] | None = Field(None, description="evaluate per slice")
    compare: Literal["baseline", "constant"] | None = Field(None, description="compare against")
    max_drop: float | None = Field(None, ge=0, description="non-inferiority margin (absolute)")
    max_relative_drop: float | None = Field(
        None, ge=0, lt=1, description="non-inferiority margin (fraction of the baseline value)"
    )
    min_gain: float | None = Field(None, ge=0, description="superiority margin")
    max_gain: float | None = Field(None, ge=0, description="suspicious-improvement alarm")
    pairing: Literal["auto", "required"] = Field("auto", description="require a paired comparison")

    @model_validator(mode="after")
    def _rule(self) -> MetricGate:
        margins = [self.max_drop, self.max_relative_drop, self.min_gain, self.max_gain]
        if self.compare is None:
            if self.min is None and self.max is None:
                raise ValueError("a metric gate needs `min`, `max`, or `compare` with a margin")
            if any(m is not None for m in margins):
                raise ValueError("margins (max_drop, min_gain, ...) need `compare: baseline`")
            if self.min is not None and self.max is not None and self.min > self.max:
                raise ValueError(f"`min` ({self.min}) is above `max` ({self.max})")
        else:
            if self.min is not None or self.max is not None:
                raise ValueError(
                    "a compare gate takes margins (max_drop, max_relative_drop, "
                    "min_gain, max_gain), not min/max"
                )
            if all(m is None for m in margins):
                raise ValueError(
                    "a compare gate needs one of max_drop, max_relative_drop, min_gain, max_gain"
                )
        return self


FairnessName = Literal[
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "equalized_odds_difference",
    "equalized_odds_ratio",
    "equal_opportunity_difference",
    "equal_opportunity_ratio",
    "metric_difference",
    "metric_ratio",
    "four_fifths_rule",
]


class FairnessGate(_GateCommon):
    """A fairness gap across the groups of a sensitive column."""

    fairness: FairnessName = Field(
        description="the gap; four_fifths_rule is demographic_parity_ratio with min: 0.8"
    )
    sensitive: str | list[str] = Field(description="sensitive column(s); several = intersections")
    metric: str | None = Field(None, description="for metric_difference / metric_ratio")
    min: float | None = Field(None, description="the gap must be at least this (ratios)")
    max: float | None = Field(None, description="the gap must be at most this (differences)")

    @model_validator(mode="after")
    def _rule(self) -> FairnessGate:
        generic = self.fairness in ("metric_difference", "metric_ratio")
        if generic and self.metric is None:
            raise ValueError(f"`fairness: {self.fairness}` needs `metric:` (e.g. recall)")
        if not generic and self.metric is not None:
            raise ValueError(
                f"`metric:` is only for metric_difference / metric_ratio, not {self.fairness}"
            )
        if self.min is None and self.max is None and self.fairness != "four_fifths_rule":
            raise ValueError(
                "a fairness gate needs `max` (for a difference) or `min` (for a ratio)"
            )
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"`min` ({self.min}) is above `max` ({self.max})")
        return self

    @property
    def gap(self) -> str:
        """The gap computed (the preset resolved)."""
        return "demographic_parity_ratio" if self.fairness == "four_fifths_rule" else self.fairness

    @property
    def bounds(self) -> tuple[float | None, float | None]:
        if self.fairness == "four_fifths_rule" and self.min is None and self.max is None:
            return 0.8, None
        return self.min, self.max

    @property
    def columns(self) -> list[str]:
        return [self.sensitive] if isinstance(self.sensitive, str) else list(self.sensitive)


class _Check(_GateCommon):
    columns: list[str] | None = Field(None, description="columns to check (default: all)")


class SchemaCheck(_Check):
    check: Literal["schema"]


class MissingValuesCheck(_Check):
    check: Literal["missing_values"]
    max_fraction: Fraction = 0.0


class UnseenCategoriesCheck(_Check):
    check: Literal["unseen_categories"]
    max_fraction: Fraction = 0.0


class RangeCheck(_Check):
    check: Literal["range"]
    max_fraction: Fraction = 0.0


class DriftCheck(_Check):
    check: Literal["drift", "prediction_drift", "label_drift"]
    method: Literal["psi", "jensen_shannon", "wasserstein", "ks", "chi2"] = Field(
        "psi",
        description="a distance with a threshold (psi, jensen_shannon, wasserstein) or a "
        "test with Holm across columns (ks, chi2)",
    )
    max: float | None = Field(
        None,
        ge=0,
        description="the distance's threshold (default: psi "
        "0.2, jensen_shannon 0.1, wasserstein 0.1) or the tests' alpha",
    )
    kinds: dict[str, Literal["numeric", "categorical"]] | None = Field(
        None, description="override the per-column kind chosen from the dtype"
    )


class ServingSkewCheck(_GateCommon):
    check: Literal["serving_skew"]
    column: str = Field(description="the column with the predictions the serving system logged")
    tolerance: float = Field(0.0, ge=0, description="numeric difference still counted as equal")
    max_mismatch: Fraction = Field(0.0, description="largest share of rows that may differ")


class LatencyCheck(_GateCommon):
    check: Literal["latency"]
    batch_size: int = Field(1, ge=1, description="rows per predict() call")
    p95_ms: float | None = Field(None, gt=0, description="95th percentile bound, milliseconds")
    p50_ms: float | None = Field(None, gt=0, description="median bound, milliseconds")
    repeats: int = Field(50, ge=5, le=100_000, description="timed calls after warm-up")

    @model_validator(mode="after")
    def _some_bound(self) -> LatencyCheck:
        if self.p95_ms is None and self.p50_ms is None:
            raise ValueError("a latency check needs `p95_ms` and/or `p50_ms`")
        return self


class ModelSizeCheck(_GateCommon):
    check: Literal["model_size"]
    max_mb: float = Field(gt=0, description="largest model file, in MB (10^6 bytes)")


class Perturbation(_Model):
    """How to change one column: swap two values, add or multiply a number, or set a value."""

    column: str
    swap: list[Scalar] | None = Field(None, min_length=2, max_length=2)
    add: float | None = None
    multiply: float | None = None
    set: Scalar | None = None

    @model_validator(mode="after")
    def _one(self) -> Perturbation:
        given = [k for k in ("swap", "add", "multiply", "set") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of `swap`, `add`, `multiply`, `set`")
        return self


class InvarianceCheck(_GateCommon):
    check: Literal["invariance"]
    perturb: Perturbation
    max_changed: Fraction = Field(0.0, description="largest share of predictions that may change")


class DirectionalCheck(_GateCommon):
    check: Literal["directional"]
    perturb: Perturbation
    direction: Literal["increase", "decrease"]
    max_violations: Fraction = Field(
        0.0, description="largest share of scores that may move the wrong way"
    )


CHECK_MODELS: dict[str, type[_GateCommon]] = {
    "schema": SchemaCheck,
    "missing_values": MissingValuesCheck,
    "unseen_categories": UnseenCategoriesCheck,
    "range": RangeCheck,
    "drift": DriftCheck,
    "prediction_drift": DriftCheck,
    "label_drift": DriftCheck,
    "serving_skew": ServingSkewCheck,
    "latency": LatencyCheck,
    "model_size": ModelSizeCheck,
    "invariance": InvarianceCheck,
    "directional": DirectionalCheck,
}

GATE_KEYS = ("metric", "fairness", "check")
_NEEDS_REFERENCE = {
    "schema",
    "unseen_categories",
    "range",
    "drift",
    "prediction_drift",
    "label_drift",
}


class SpecDocument(_Model):
    """The whole ``gates.yaml`` (schema root)."""

    version: Literal[1] = Field(description="spec format version; must be 1")
    task: Literal["binary", "multiclass", "regression"] | None = Field(
        None, description="inferred from the target when omitted"
    )
    data: DataSpec
    models: ModelsSpec
    stats: StatsSpec = StatsSpec()
    baseline: BaselineStoreSpec = BaselineStoreSpec()
    decision: DecisionSpec = DecisionSpec()
    gates: list[Any] = Field(min_length=1, description="the gates; see the reference")


# --- the frozen result --------------------------------------------------------------------------


@dataclass(frozen=True)
class Gate:
    """One validated gate, with everything a check needs and where it came from."""

    index: int
    id: str
    kind: Literal["metric", "compare", "fairness", "check"]
    config: MetricGate | FairnessGate | _GateCommon
    line: int
    file: str

    @property
    def severity(self) -> str:
        return self.config.severity

    @property
    def metric(self) -> str | None:
        return getattr(self.config, "metric", None)


@dataclass(frozen=True)
class Spec:
    """A validated gate spec. Paths are absolute; every gate carries its YAML line."""

    path: Path
    root: Path
    sha256: str
    doc: SpecDocument
    gates: tuple[Gate, ...]
    lines: dict[tuple[str | int, ...], int] = field(default_factory=dict, compare=False, repr=False)

    def where(self, *path: str | int) -> str:
        """``gates.yaml:LINE: key.path`` of a key, for messages about what it names."""
        key = tuple(path)
        line = None
        while key:
            if key in self.lines:
                line = self.lines[key]
                break
            key = key[:-1]
        shown = self.display_name
        return (
            f"{shown}:{line}: {format_path(tuple(path))}"
            if line
            else f"{shown}: {format_path(tuple(path))}"
        )

    @property
    def display_name(self) -> str:
        return display_path(self.path)

    @property
    def primary_metric(self) -> str | None:
        """``decision.primary``, else the metric of the first ``compare: baseline`` gate."""
        if self.doc.decision.primary is not None:
            return canonical_name(self.doc.decision.primary)
        for g in self.gates:
            if g.kind == "compare" and getattr(g.config, "compare", None) == "baseline":
                return canonical_name(g.metric or "")
        return None

    @property
    def stats(self) -> StatsSpec:
        return self.doc.stats

    @property
    def data(self) -> DataSpec:
        return self.doc.data

    @property
    def models(self) -> ModelsSpec:
        return self.doc.models

    def resolve(self, relative: str) -> Path:
        """A spec path, resolved against the folder holding the spec."""
        p = Path(os.path.expanduser(relative))
        return p if p.is_absolute() else (self.root / p)


# --- validation ---------------------------------------------------------------------------------


def _fmt_value(value: Any) -> str:
    text = json.dumps(value, default=str) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _fields_of(model: type[BaseModel]) -> list[str]:
    return list(model.model_fields)


def _unwrap_models(annotation: Any) -> list[type[BaseModel]]:
    """Pydantic model classes reachable in one annotation (Optional, Union, list, Annotated)."""
    found: list[type[BaseModel]] = []
    stack = [annotation]
    while stack:
        a = stack.pop()
        if isinstance(a, type) and issubclass(a, BaseModel):
            found.append(a)
        stack.extend(getattr(a, "__args__", ()) or ())
        origin = getattr(a, "__origin__", None)
        if origin is not None and getattr(a, "__metadata__", None) is not None:
            stack.append(origin)
    return found


def _model_at(root: type[BaseModel], loc: tuple[Any, ...]) -> tuple[type[BaseModel], str | None]:
    """The model owning the last named field of ``loc`` and that field's name."""
    model = root
    field_name: str | None = None
    for part in loc:
        if isinstance(part, str) and part in model.model_fields:
            field_name = part
            sub = _unwrap_models(model.model_fields[part].annotation)
            if sub:
                model = sub[0]
                field_name = None
    return model, field_name


_TYPE_TAGS = {"str", "int", "float", "bool", "list", "dict"}


def _is_union_tag(part: Any) -> bool:
    """``str``, ``list[str]``, ``SliceBins``, ``function-after[...]``: member names, not keys
    (spec keys are lower-case snake case)."""
    return isinstance(part, str) and (
        part in _TYPE_TAGS or part[:1].isupper() or any(c in part for c in "[]-,(")
    )


def _preferred(errs: list[Any], value: Any) -> list[Any]:
    """Of the errors one union produced for a value, those of the member matching its shape."""
    want = "dict" if isinstance(value, dict) else "list" if isinstance(value, list) else "scalar"

    def member(err: Any) -> str:
        tags = [p for p in err["loc"] if _is_union_tag(p)]
        if not tags:
            return "none"
        tag = str(tags[-1])
        if any(c.isupper() for c in tag):  # a model class, possibly wrapped in a validator
            return "dict"
        return "list" if tag.startswith("list") else "scalar"

    matching = [e for e in errs if member(e) == want]
    return matching or errs


def _clean_loc(data: Any, loc: tuple[Any, ...]) -> tuple[str | int, ...]:
    """Drop pydantic's union-member tags so ``loc`` addresses the user's data only."""
    cleaned: list[str | int] = []
    current = data
    for part in loc:
        if (isinstance(current, dict) and isinstance(part, str) and part in current) or (
            isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current)
        ):
            cleaned.append(part)
            current = current[part]  # type: ignore[index]
        elif _is_union_tag(part):
            continue  # pydantic names the union member it tried: not part of the user's data
        elif isinstance(current, dict) and isinstance(part, str) and cleaned[-1:] != [part]:
            cleaned.append(part)  # a missing required key: keep it so the message names it
            current = None
        else:
            current = None
    return tuple(cleaned)


def _value_at(data: Any, path: tuple[str | int, ...]) -> Any:
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


_TYPE_WORDS = {
    "float_type": "must be a number",
    "int_type": "must be a whole number",
    "string_type": "must be a string",
    "bool_type": "must be true or false",
    "list_type": "must be a list",
    "dict_type": "must be a mapping",
    "model_type": "must be a mapping",
    "literal_error": "is not an allowed value",
    "missing": "is required",
    "extra_forbidden": "unknown key",
}


def _pydantic_problems(
    exc: ValidationError,
    model: type[BaseModel],
    doc: YamlDocument,
    data: Any,
    prefix: tuple[str | int, ...] = (),
) -> list[SpecProblem]:
    grouped: dict[tuple[str | int, ...], list[Any]] = {}
    for err in exc.errors():
        loc = _clean_loc(data, tuple(err["loc"]))
        grouped.setdefault(loc, []).append(err)
    # a union reports every member it tried: keep the member matching the value's shape, and
    # drop "wrong type" complaints about a value when a more specific error lies inside it
    grouped = {loc: _preferred(errs, _value_at(data, loc)) for loc, errs in grouped.items()}
    deeper = {loc[:i] for loc in grouped for i in range(len(loc))}
    grouped = {
        loc: errs
        for loc, errs in grouped.items()
        if not (loc in deeper and all(e["type"].endswith("_type") for e in errs))
    }
    problems = []
    for loc, errs in grouped.items():
        path = prefix + loc
        err = errs[0]
        owner, field_name = _model_at(model, tuple(err["loc"]))
        kind = err["type"]
        if kind == "extra_forbidden":
            key = str(loc[-1]) if loc else "?"
            allowed = _fields_of(owner)
            close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
            hint = f"did you mean `{close[0]}`? " if close else ""
            message = f"unknown key ({hint}allowed: {', '.join(allowed)})"
        elif kind == "missing":
            message = "required key is missing"
        else:
            words = {_TYPE_WORDS.get(e["type"], e["msg"]) for e in errs}
            if kind == "value_error":
                message = str(err.get("ctx", {}).get("error", err["msg"]))
            elif kind == "too_short":
                n = err.get("ctx", {}).get("min_length", 1)
                message = f"must have at least {n} item{'s' if n != 1 else ''}"
            elif len(words) > 1:
                message = "has the wrong type"
            elif kind in _TYPE_WORDS:
                message = _TYPE_WORDS[kind]
            elif err["msg"].startswith("Input should be "):  # greater_than, finite_number, ...
                message = "must be " + err["msg"][len("Input should be ") :]
            else:
                message = err["msg"][0].lower() + err["msg"][1:]
            value = _value_at(data, loc)
            allowed_text = ""
            if field_name is not None:
                info = owner.model_fields[field_name]
                if kind == "literal_error":
                    allowed_text = str(err.get("ctx", {}).get("expected", ""))
                elif info.description:
                    allowed_text = info.description
            if kind in ("float_type", "int_type") and isinstance(value, str):
                try:
                    float(value.strip().rstrip("%"))
                    message += " — quoted values are text in YAML: write it without quotes"
                    if value.strip().endswith("%"):
                        message += " and as a fraction (85% → 0.85)"
                except ValueError:
                    pass
            message += f" (got {_fmt_value(value)}"
            message += f"; allowed: {allowed_text})" if allowed_text else ")"
        problems.append(SpecProblem(doc.file, doc.line_of(path), format_path(path), message))
    return problems


def _bound_problems(
    cfg: MetricGate, path: tuple[str | int, ...], doc: YamlDocument, task: str | None
) -> list[SpecProblem]:
    """Thresholds outside the metric's range (``min: 60`` for recall) are spec errors."""
    ranges = set()
    for t in [task] if task else ["binary", "multiclass", "regression"]:
        try:
            ranges.add(get_metric(cfg.metric, t).bounds)
        except KeyError:
            continue
    if len(ranges) != 1:
        return []
    lo, hi = ranges.pop()
    out = []
    for key in ("min", "max"):
        value = getattr(cfg, key)
        if value is None or ((lo is None or value >= lo) and (hi is None or value <= hi)):
            continue
        span = f"[{'-inf' if lo is None else f'{lo:g}'}, {'inf' if hi is None else f'{hi:g}'}]"
        hint = ""
        if hi == 1.0 and value > 1 and value <= 100:
            hint = f"; did you mean {value / 100:g}? metrics are fractions, not percentages"
        out.append(
            SpecProblem(
                doc.file,
                doc.line_of((*path, key)),
                format_path((*path, key)),
                f"{cfg.metric} lies in {span}, so this bound can never be met (got {value:g}"
                f"{hint})",
            )
        )
    return out


def _gate_id(kind: str, cfg: Any) -> str:
    if cfg.name:
        return str(cfg.name)
    if kind == "metric":
        if cfg.min is not None and cfg.max is not None:
            return f"{cfg.min:g}<={cfg.metric}<={cfg.max:g}"
        if cfg.min is not None:
            return f"{cfg.metric}>={cfg.min:g}"
        return f"{cfg.metric}<={cfg.max:g}"
    if kind == "compare":
        rules = [
            f"drop<={cfg.max_drop:g}" if cfg.max_drop is not None else "",
            f"reldrop<={cfg.max_relative_drop:g}" if cfg.max_relative_drop is not None else "",
            f"gain>={cfg.min_gain:g}" if cfg.min_gain is not None else "",
            f"gain<={cfg.max_gain:g}" if cfg.max_gain is not None else "",
        ]
        return f"{cfg.metric}_vs_{cfg.compare}:" + ",".join(r for r in rules if r)
    if kind == "fairness":
        sens = "+".join(cfg.columns)
        what = f"{cfg.fairness}({cfg.metric})" if cfg.metric else cfg.fairness
        lo, hi = cfg.bounds
        rule = f">={lo:g}" if lo is not None else ""
        rule += ("," if rule and hi is not None else "") + (f"<={hi:g}" if hi is not None else "")
        return f"{what}:{sens}{rule}"
    return str(cfg.check)


def _validate_gate(
    i: int, raw: Any, doc: YamlDocument, task: str | None
) -> tuple[Gate | None, list[SpecProblem]]:
    path: tuple[str | int, ...] = ("gates", i)
    line = doc.line_of(path) or 0
    where = format_path(path)
    if not isinstance(raw, dict):
        return None, [
            SpecProblem(
                doc.file,
                line,
                where,
                f"each gate must be a mapping "
                f"(got {_fmt_value(raw)}; allowed: a mapping with one of "
                f"{', '.join(GATE_KEYS)})",
            )
        ]
    present = [k for k in GATE_KEYS if k in raw]
    if present == ["metric", "fairness"]:
        present = ["fairness"]  # `metric:` is a parameter of metric_difference / metric_ratio
    if len(present) != 1:
        close = [k for k in raw if difflib.get_close_matches(str(k), GATE_KEYS, n=1, cutoff=0.6)]
        hint = (
            f"; did you mean `{difflib.get_close_matches(close[0], GATE_KEYS, n=1)[0]}` "
            f"instead of `{close[0]}`?"
            if close and not present
            else ""
        )
        what = "has none of" if not present else "has more than one of"
        return None, [
            SpecProblem(
                doc.file,
                line,
                where,
                f"gate {what} {', '.join(GATE_KEYS)} (got keys {sorted(map(str, raw))}){hint}",
            )
        ]
    key = present[0]
    model: type[_GateCommon]
    if key == "metric":
        model = MetricGate
    elif key == "fairness":
        model = FairnessGate
    else:
        check = raw.get("check")
        if not isinstance(check, str) or check not in CHECK_MODELS:
            close = difflib.get_close_matches(str(check), list(CHECK_MODELS), n=1, cutoff=0.6)
            hint = f"did you mean `{close[0]}`? " if close else ""
            return None, [
                SpecProblem(
                    doc.file,
                    doc.line_of((*path, "check")) or line,
                    format_path((*path, "check")),
                    f"unknown check (got {_fmt_value(check)}; {hint}allowed: "
                    f"{', '.join(CHECK_MODELS)})",
                )
            ]
        model = CHECK_MODELS[check]
    try:
        cfg = model.model_validate(raw)
    except ValidationError as exc:
        return None, _pydantic_problems(exc, model, doc, raw, prefix=path)

    problems: list[SpecProblem] = []
    kind: Literal["metric", "compare", "fairness", "check"]
    if isinstance(cfg, MetricGate):
        kind = "compare" if cfg.compare else "metric"
        metric_path = (*path, "metric")
        name = canonical_name(cfg.metric)
        known = metric_names(task)
        if cfg.metric not in known and name not in known:
            guess = suggest_metric(cfg.metric, task)
            hint = f"did you mean `{guess}`? " if guess else ""
            scope = f" for task {task}" if task else ""
            everything = metric_names(None)
            extra = ""
            if task and cfg.metric in everything:
                extra = f" `{cfg.metric}` exists for other tasks, not {task}."
            problems.append(
                SpecProblem(
                    doc.file,
                    doc.line_of(metric_path),
                    format_path(metric_path),
                    f"unknown metric{scope} (got {cfg.metric!r}; {hint}allowed: "
                    f"{', '.join(known)}).{extra}".rstrip("."),
                )
            )
        if kind == "metric":
            problems.extend(_bound_problems(cfg, path, doc, task))
        if cfg.slices is not None and not cfg.slices:
            problems.append(
                SpecProblem(
                    doc.file,
                    doc.line_of((*path, "slices")),
                    format_path((*path, "slices")),
                    "must name at least one slicing (got []; allowed: a column, a list of "
                    "columns, or {column, bins|quantiles})",
                )
            )
    elif isinstance(cfg, FairnessGate):
        kind = "fairness"
        if cfg.metric is not None:
            known = metric_names(task)
            if cfg.metric not in known:
                guess = suggest_metric(cfg.metric, task)
                hint = f"did you mean `{guess}`? " if guess else ""
                problems.append(
                    SpecProblem(
                        doc.file,
                        doc.line_of((*path, "metric")),
                        format_path((*path, "metric")),
                        f"unknown metric (got {cfg.metric!r}; {hint}allowed: {', '.join(known)})",
                    )
                )
        ratio = cfg.gap.endswith("_ratio")
        for key in ("min", "max"):
            value = getattr(cfg, key)
            if value is not None and ratio and not 0 <= value <= 1:
                problems.append(
                    SpecProblem(
                        doc.file,
                        doc.line_of((*path, key)),
                        format_path((*path, key)),
                        f"a ratio (min / max over groups) lies in [0, 1], so this bound can never "
                        f"be met (got {value:g})",
                    )
                )
    else:
        kind = "check"
    if problems:
        return None, problems
    return Gate(i, _gate_id(kind, cfg), kind, cfg, line, doc.file), []


def _argument_problem(problem: SpecProblem, caller: str) -> SpecProblem:
    """A spec problem about a keyword argument: ``assert_metric(): min: ...`` (no YAML line)."""
    path = problem.path
    if path.startswith("gates[0]"):
        path = path[len("gates[0]") :].lstrip(".")
    return SpecProblem(caller, None, path, problem.message)


def _plain_arguments(raw: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments as YAML would give them: None left out, numpy scalars unwrapped."""
    from ._format import plain

    return {k: plain(v) for k, v in raw.items() if v is not None}


def gate_from_arguments(raw: dict[str, Any], *, task: str | None, caller: str) -> Gate:
    """A gate built from keyword arguments (the Python API), validated exactly as a
    ``gates.yaml`` entry is, with the same messages and "did you mean" hints.

    Raises
    ------
    SpecError
        Naming ``caller``, the argument, the bad value and what is allowed.
    """
    raw = _plain_arguments(raw)
    doc = YamlDocument(caller, {"gates": [raw]})
    gate, problems = _validate_gate(0, raw, doc, task)
    if problems or gate is None:
        raise SpecError([_argument_problem(p, caller) for p in problems])
    return gate


def validate_arguments(model: type[_M], raw: dict[str, Any], caller: str) -> _M:
    """Keyword arguments validated by a spec section's model (e.g. :class:`StatsSpec` for
    ``evaluate()``'s options), with the spec loader's messages."""
    raw = _plain_arguments(raw)
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        doc = YamlDocument(caller, raw)
        raise SpecError(
            [_argument_problem(p, caller) for p in _pydantic_problems(exc, model, doc, raw)]
        ) from None


def parse_spec(text: str, file: str = "gates.yaml", root: Path | None = None) -> Spec:
    """Validate spec text. ``file`` is the name used in messages; ``root`` resolves paths."""
    doc = load_yaml(text, file)
    problems = list(doc.problems)
    if doc.data is None and problems:
        raise SpecError(problems)
    if not isinstance(doc.data, dict):
        raise SpecError(
            [
                *problems,
                SpecProblem(
                    file,
                    doc.line_of(()) or 1,
                    "",
                    "the spec must be a mapping with version, data, models and gates "
                    f"(got {_fmt_value(doc.data)})",
                ),
            ]
        )
    document: SpecDocument | None = None
    try:
        document = SpecDocument.model_validate(doc.data)
    except ValidationError as exc:
        problems.extend(_pydantic_problems(exc, SpecDocument, doc, doc.data))
    task = doc.data.get("task") if isinstance(doc.data.get("task"), str) else None
    if task not in ("binary", "multiclass", "regression"):
        task = None
    gates: list[Gate] = []
    raw_gates = doc.data.get("gates")
    if isinstance(raw_gates, list):
        for i, raw in enumerate(raw_gates):
            gate, gate_problems = _validate_gate(i, raw, doc, task)
            problems.extend(gate_problems)
            if gate is not None:
                gates.append(gate)
    if document is not None and document.data.reference is None:
        for g in gates:
            if g.kind == "check" and getattr(g.config, "check", "") in _NEEDS_REFERENCE:
                problems.append(
                    SpecProblem(
                        file,
                        g.line,
                        format_path(("gates", g.index, "check")),
                        f"`check: {getattr(g.config, 'check', '')}` compares with reference "
                        "data, but data.reference is not set (allowed: set data.reference to the "
                        "training data)",
                    )
                )
    for g in gates:
        if (
            g.kind == "fairness"
            and task in ("multiclass", "regression")
            and getattr(g.config, "metric", None) is None
        ):
            problems.append(
                SpecProblem(
                    file,
                    g.line,
                    format_path(("gates", g.index, "fairness")),
                    f"{getattr(g.config, 'fairness', '')} needs a binary task (got task {task}; "
                    "allowed: "
                    "metric_difference / metric_ratio with a metric of this task)",
                )
            )
    if document is not None and document.data.engine != "memory":
        problems.extend(_engine_problems(document, doc, file))
    seen: dict[str, Gate] = {}
    for g in gates:
        if g.id in seen:
            problems.append(
                SpecProblem(
                    file,
                    g.line,
                    format_path(("gates", g.index)),
                    f"two gates share the id {g.id!r} (the other is on line "
                    f"{seen[g.id].line}); give one a distinct `name:`",
                )
            )
        seen[g.id] = g
    if document is not None and document.decision.primary is not None:
        primary = document.decision.primary
        compared = [
            g.metric
            for g in gates
            if g.kind == "compare" and g.config.compare == "baseline"  # type: ignore[union-attr]
        ]
        if primary not in metric_names(task):
            guess = suggest_metric(primary, task)
            problems.append(
                SpecProblem(
                    file,
                    doc.line_of(("decision", "primary")),
                    "decision.primary",
                    f"unknown metric (got {primary!r}; "
                    + (f"did you mean `{guess}`? " if guess else "")
                    + f"allowed: {', '.join(metric_names(task))})",
                )
            )
        elif canonical_name(primary) not in {canonical_name(m or "") for m in compared}:
            candidates = ", ".join(dict.fromkeys(m or "" for m in compared))
            problems.append(
                SpecProblem(
                    file,
                    doc.line_of(("decision", "primary")),
                    "decision.primary",
                    f"no `compare: baseline` gate on {primary} (got {primary!r}; allowed: a "
                    f"metric of such a gate: {candidates or 'none yet'}). Add one, e.g. "
                    f"`- {{metric: {primary}, compare: baseline, max_drop: 0.01}}`",
                )
            )
    if problems:
        problems.sort(key=lambda p: p.line or 0)
        raise SpecError(problems)
    assert document is not None
    root = root if root is not None else Path.cwd()
    digest = hashlib.sha256(text.encode()).hexdigest()
    return Spec(Path(root) / file, Path(root), digest, document, tuple(gates), dict(doc.lines))


def _engine_problems(document: SpecDocument, doc: Any, file: str) -> list[SpecProblem]:
    """A grouped engine never sees the rows one by one: models must be prediction columns."""
    engine = document.data.engine
    problems = []
    for role in ("candidate", "baseline"):
        ref = getattr(document.models, role)
        if isinstance(ref, str):
            problems.append(
                SpecProblem(
                    file,
                    doc.line_of(("models", role)),
                    f"models.{role}",
                    f"data.engine: {engine} groups the rows where they are stored, so no model "
                    f"can be run on them (got {ref!r}; allowed: prediction columns already in "
                    "the data, {predictions: col, scores: col}, or data.engine: memory)",
                )
            )
    return problems


def load_spec(path: str | os.PathLike[str]) -> Spec:
    """Load and validate a gate spec file.

    Parameters
    ----------
    path : the ``gates.yaml`` file. Relative paths inside it resolve against its folder.

    Raises
    ------
    SpecError
        With every problem found, each as ``file:line: key.path: message``.
    """
    p = Path(path)
    shown = display_path(p)
    if not p.is_file():
        what = "is a folder, not a file" if p.is_dir() else "does not exist"
        raise SpecError(
            [
                SpecProblem(
                    shown,
                    None,
                    "",
                    f"the gate spec {what} (looked for "
                    f"{p.resolve()}); pass --modelgate-spec PATH or set "
                    "`modelgate_spec` in the pytest ini file",
                )
            ]
        )
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError([SpecProblem(shown, None, "", f"cannot read the spec: {exc}")]) from None
    spec = parse_spec(text, shown, p.resolve().parent)
    return Spec(p.resolve(), spec.root, spec.sha256, spec.doc, spec.gates, spec.lines)


def json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of gates.yaml v1, gates included."""
    schema = SpecDocument.model_json_schema()
    gate_models: list[type[BaseModel]] = [
        MetricGate,
        FairnessGate,
        *dict.fromkeys(CHECK_MODELS.values()),
    ]
    defs = schema.setdefault("$defs", {})
    refs = []
    for m in gate_models:
        sub = m.model_json_schema(ref_template="#/$defs/{model}")
        defs.update(sub.pop("$defs", {}))
        defs[m.__name__] = sub
        refs.append({"$ref": f"#/$defs/{m.__name__}"})
    schema["properties"]["gates"]["items"] = {"anyOf": refs}
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "pytest-modelgate gate spec (gates.yaml) v1"
    return schema


def _check_metric_applies(
    spec: Spec, task: str, gates: Sequence[Gate] | None = None
) -> list[SpecProblem]:
    """Problems for metrics that do not apply to ``task`` (known only once data is loaded), for
    ``gates`` (default: all of the spec's)."""
    out = []
    for g in spec.gates if gates is None else gates:
        if g.metric is None:
            continue
        try:
            get_metric(g.metric, task)
        except KeyError:
            out.append(
                SpecProblem(
                    g.file,
                    g.line,
                    format_path(("gates", g.index, "metric")),
                    f"metric {g.metric!r} does not apply to a {task} task "
                    f"(allowed: {', '.join(metric_names(task))})",
                )
            )
    return out
