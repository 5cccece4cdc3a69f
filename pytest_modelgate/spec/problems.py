"""Spec problems: pydantic's validation errors and impossible bounds, as messages that name the
file, the line, the key, the bad value and what is allowed."""

from __future__ import annotations

import difflib
import json
from typing import Any

from pydantic import BaseModel, ValidationError

from pytest_modelgate.errors import SpecProblem
from pytest_modelgate.estimates.metrics import get_metric
from pytest_modelgate.spec.models import MetricGate
from pytest_modelgate.spec.yamlsource import YamlDocument, format_path

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
    choices: list[type[BaseModel]] = []
    for part in loc:
        if isinstance(part, str) and part in model.model_fields:
            field_name = part
            sub = _unwrap_models(model.model_fields[part].annotation)
            if sub:
                model, choices = sub[0], list(sub)
                field_name = None
        elif isinstance(part, str) and choices:  # a union tag naming the member tried
            named = [m for m in choices if m.__name__ in part]
            if named:
                model = named[0]
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


def _slice_member_matches(data: Any, loc: tuple[Any, ...]) -> bool:
    """A slicing mapping is ``{where: ...}`` (SliceWhere) or ``{column, bins|quantiles}``
    (SliceBins): keep only the errors of the member its keys ask for."""
    for i, part in enumerate(loc):
        if isinstance(part, str) and _is_union_tag(part):
            for model in ("SliceWhere", "SliceBins"):
                if model in part:
                    value = _value_at(data, _clean_loc(data, tuple(loc[:i])))
                    if isinstance(value, dict):
                        return model == ("SliceWhere" if "where" in value else "SliceBins")
    return True


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
        if not _slice_member_matches(data, tuple(err["loc"])):
            continue
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


def _metric_range(name: str, task: str | None) -> tuple[float | None, float | None] | None:
    """The range of a metric when every task it exists for agrees on it (None otherwise)."""
    ranges = set()
    for t in [task] if task else ["binary", "multiclass", "regression"]:
        try:
            ranges.add(get_metric(name, t).bounds)
        except KeyError:
            continue
    return ranges.pop() if len(ranges) == 1 else None


def _percent_hint(value: float, width: float | None) -> str:
    if width == 1.0 and 1 < value <= 100:
        return f"; did you mean {value / 100:g}? metrics are fractions, not percentages"
    return ""


def _margin_problems(
    cfg: MetricGate, path: tuple[str | int, ...], doc: YamlDocument, task: str | None
) -> list[SpecProblem]:
    """Margins of a compare gate that make it unable to fail (``max_drop: 5`` on recall, whose
    Δ lies in [-1, 1]) or unable to pass are spec errors."""
    span = _metric_range(cfg.metric, task)
    if span is None or span[0] is None or span[1] is None:
        return []
    width = span[1] - span[0]
    out = []
    checks = (
        ("max_drop", "can never fail: Δ cannot drop below"),
        ("max_gain", "can never fail: Δ cannot rise above"),
        ("min_gain", "can never pass: Δ cannot rise above"),
    )
    for key, what in checks:
        value = getattr(cfg, key)
        if value is not None and value >= width:
            out.append(
                doc.problem(
                    (*path, key),
                    f"{cfg.metric} lies in [{span[0]:g}, {span[1]:g}], so this gate {what} "
                    f"{'-' if key == 'max_drop' else ''}{width:g} (got {value:g}"
                    f"{_percent_hint(value, width)}; allowed: less than {width:g})",
                )
            )
    return out


def _fairness_bound_problems(
    cfg: Any, path: tuple[str | int, ...], doc: YamlDocument, task: str | None
) -> list[SpecProblem]:
    """A gap is a max − min (≥ 0; at most 1 for rates) or a min / max (in [0, 1]): a bound
    outside that range can never be met, or can never fail."""
    out = []
    ratio = cfg.gap.endswith("_ratio")
    if ratio:
        span: tuple[float, float | None] = (0.0, 1.0)
    elif cfg.metric is None:
        span = (0.0, 1.0)  # differences of rates
    else:
        metric_span = _metric_range(cfg.metric, task)
        width = None
        if metric_span is not None and metric_span[0] is not None and metric_span[1] is not None:
            width = metric_span[1] - metric_span[0]
        span = (0.0, width)
    for key in ("min", "max"):
        value = getattr(cfg, key)
        if value is None:
            continue
        low, high = span
        if value < low or (high is not None and value > high):
            what = (
                "a ratio (min / max over groups)"
                if ratio
                else "a difference (max − min over groups)"
            )
            shown = f"[{low:g}, {high:g}]" if high is not None else f"[{low:g}, inf)"
            out.append(
                doc.problem(
                    (*path, key),
                    f"{what} lies in {shown}, so this bound can never be met or never fail "
                    f"(got {value:g}{_percent_hint(value, high)})",
                )
            )
    return out


def _bound_problems(
    cfg: MetricGate, path: tuple[str | int, ...], doc: YamlDocument, task: str | None
) -> list[SpecProblem]:
    """Thresholds outside the metric's range (``min: 60`` for recall) are spec errors."""
    span = _metric_range(cfg.metric, task)
    if span is None:
        return []
    lo, hi = span
    out = []
    for key in ("min", "max"):
        value = getattr(cfg, key)
        if value is None or ((lo is None or value >= lo) and (hi is None or value <= hi)):
            continue
        shown = f"[{'-inf' if lo is None else f'{lo:g}'}, {'inf' if hi is None else f'{hi:g}'}]"
        hint = _percent_hint(value, hi)
        out.append(
            doc.problem(
                (*path, key),
                f"{cfg.metric} lies in {shown}, so this bound can never be met (got {value:g}"
                f"{hint})",
            )
        )
    return out
