"""``gates.yaml`` → a validated, frozen :class:`~pytest_modelgate.spec.models.Spec` whose every
gate knows its YAML line; and keyword arguments → the same gate objects (the Python API).

Validation happens once, here, at the edge. Every problem is collected (not just the first) and
raised as one :class:`~pytest_modelgate.errors.SpecError` whose lines read
``gates.yaml:LINE: key.path: what is wrong (got VALUE; allowed: ...)``.
"""

from __future__ import annotations

import difflib
import hashlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from pytest_modelgate._paths import display_path
from pytest_modelgate.errors import SpecError, SpecProblem
from pytest_modelgate.estimates.extra_metrics import NO_COMPARE as _CALIBRATION_COMPARE
from pytest_modelgate.estimates.metrics import (
    canonical_name,
    get_metric,
    is_metric_name,
    metric_name_problem,
    metric_names,
    suggest_metric,
)
from pytest_modelgate.spec.models import (
    _M,
    _NEEDS_REFERENCE,
    CHECK_MODELS,
    GATE_KEYS,
    FairnessGate,
    Gate,
    MetricGate,
    Spec,
    SpecDocument,
    _GateCommon,
)
from pytest_modelgate.spec.problems import (
    _bound_problems,
    _fairness_bound_problems,
    _fmt_value,
    _margin_problems,
    _pydantic_problems,
)
from pytest_modelgate.spec.yamlsource import YamlDocument, format_path, load_yaml

__all__ = [
    "gate_from_arguments",
    "json_schema",
    "load_spec",
    "parse_spec",
    "validate_arguments",
]


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
        if cfg.compare == "trend":
            decline = f",decline<={cfg.max_decline:g}" if cfg.max_decline else ""
            return f"{cfg.metric}_trend:releases={cfg.releases or 5}{decline}"
        if cfg.max_cumulative_drop is not None:
            rules = [f"cumdrop<={cfg.max_cumulative_drop:g},since={cfg.since or 'first'}"]
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
        known = metric_names(task)
        asked = f"{cfg.metric}[class]" if cfg.classes else cfg.metric  # #19: per class
        bad_parameters = metric_name_problem(cfg.metric)
        if bad_parameters is not None:
            problems.append(doc.problem(metric_path, f"{bad_parameters} in {cfg.metric!r}"))
        elif kind == "compare" and canonical_name(cfg.metric).startswith("calibration_"):
            problems.append(doc.problem(metric_path, _CALIBRATION_COMPARE))
        elif cfg.classes and not is_metric_name(asked, task):
            problems.append(
                doc.problem(
                    metric_path,
                    f"`classes` needs a metric that exists per class for task {task} (got "
                    f"{cfg.metric!r}; allowed: recall, precision, f1, specificity, fpr, fnr, "
                    "roc_auc, average_precision)",
                )
            )
        elif not is_metric_name(asked, task):
            guess = suggest_metric(cfg.metric, task)
            hint = f"did you mean `{guess}`? " if guess else ""
            scope = f" for task {task}" if task else ""
            everything = metric_names(None)
            extra = ""
            if task and cfg.metric in everything:
                extra = f" `{cfg.metric}` exists for other tasks, not {task}."
            if "[" in cfg.metric:  # per-class form (#19)
                from pytest_modelgate.estimates.per_class import PER_CLASS_BASES

                extra += (
                    " A per-class metric is written metric[class] with one of "
                    f"{', '.join(PER_CLASS_BASES)} (classification tasks)."
                )
            problems.append(
                doc.problem(
                    metric_path,
                    f"unknown metric{scope} (got {cfg.metric!r}; {hint}allowed: "
                    f"{', '.join(known)}).{extra}".rstrip("."),
                )
            )
        if kind == "metric":
            problems.extend(_bound_problems(cfg, path, doc, task))
        else:
            problems.extend(_margin_problems(cfg, path, doc, task))
        if cfg.slices is not None and not cfg.slices:
            problems.append(
                doc.problem(
                    (*path, "slices"),
                    "must name at least one slicing (got []; allowed: a column, a list of "
                    "columns, or {column, bins|quantiles})",
                )
            )
    elif isinstance(cfg, FairnessGate):
        kind = "fairness"
        if cfg.metric is not None:
            known = metric_names(task)
            if not is_metric_name(cfg.metric, task):
                guess = suggest_metric(cfg.metric, task)
                hint = f"did you mean `{guess}`? " if guess else ""
                problems.append(
                    doc.problem(
                        (*path, "metric"),
                        f"unknown metric (got {cfg.metric!r}; {hint}allowed: {', '.join(known)})",
                    )
                )
        problems.extend(_fairness_bound_problems(cfg, path, doc, task))
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
    from pytest_modelgate._format import plain

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


def _register_custom_metrics(doc: YamlDocument) -> list[SpecProblem]:
    """Register the spec's ``metrics:`` formulas (#19) so gates can name them; a formula that is
    not allowed, or a name that is built in or defined otherwise elsewhere, is a located
    problem."""
    from pytest_modelgate.estimates.extra_metrics import register_formula
    from pytest_modelgate.spec.models import CustomMetricSpec

    raw = doc.data.get("metrics") if isinstance(doc.data, dict) else None
    if not isinstance(raw, dict):
        return []
    problems = []
    for name, body in raw.items():
        if not isinstance(body, dict):
            continue  # SpecDocument's validation reports the shape
        try:
            spec = CustomMetricSpec.model_validate(body)
        except ValidationError:
            continue  # reported by SpecDocument's validation
        try:
            register_formula(
                str(name),
                spec.formula,
                higher_is_better=spec.higher_is_better,
                description=spec.description,
            )
        except ValueError as exc:
            key = "formula" if "formula" in str(exc) else None
            path = ("metrics", name, key) if key else ("metrics", name)
            problems.append(doc.problem(path, f"{exc} (got {_fmt_value(spec.formula)})"))
    return problems


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
    problems.extend(_register_custom_metrics(doc))
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
            # #19: the leakage check reads `train:`, else data.reference
            if (
                g.kind == "check"
                and getattr(g.config, "check", "") == "leakage"
                and getattr(g.config, "train", None) is None
            ):
                problems.append(
                    SpecProblem(
                        file,
                        g.line,
                        format_path(("gates", g.index, "check")),
                        "`check: leakage` compares the test data with the training data, "
                        "but neither `train:` nor data.reference is set (allowed: `train: "
                        "<file>` on the check, or data.reference)",
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
    elif document is not None:
        problems.extend(_model_file_problems(document, doc))
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
        if not is_metric_name(primary, task):
            guess = suggest_metric(primary, task)
            problems.append(
                doc.problem(
                    ("decision", "primary"),
                    f"unknown metric (got {primary!r}; "
                    + (f"did you mean `{guess}`? " if guess else "")
                    + f"allowed: {', '.join(metric_names(task))})",
                )
            )
        elif canonical_name(primary) not in {canonical_name(m or "") for m in compared}:
            candidates = ", ".join(dict.fromkeys(m or "" for m in compared))
            problems.append(
                doc.problem(
                    ("decision", "primary"),
                    f"no `compare: baseline` gate on {primary} (got {primary!r}; allowed: a "
                    f"metric of such a gate: {candidates or 'none yet'}). Add one, e.g. "
                    f"`- {{metric: {primary}, compare: baseline, max_drop: 0.01}}`",
                )
            )
    if document is not None and document.decision.canary_plan is not None:
        from pytest_modelgate.plan import RATES

        planned = document.decision.primary or next(
            (
                g.metric
                for g in gates
                if g.kind == "compare" and g.config.compare == "baseline"  # type: ignore[union-attr]
            ),
            None,
        )
        if planned is None or canonical_name(planned) not in RATES:
            problems.append(
                doc.problem(
                    ("decision", "canary_plan"),
                    "a canary plan sizes the primary baseline comparison on a per-request rate "
                    f"(got {planned or 'no `compare: baseline` gate'}; allowed: "
                    f"{', '.join(RATES)}); set `decision.primary` to such a metric",
                )
            )
    if problems:
        problems.sort(key=lambda p: p.line or 0)
        raise SpecError(problems)
    assert document is not None
    root = root if root is not None else Path.cwd()
    digest = hashlib.sha256(text.encode()).hexdigest()
    return Spec(Path(root) / file, Path(root), digest, document, tuple(gates), dict(doc.lines))


MODEL_FILE_SUFFIXES = (".joblib", ".pkl", ".pickle", ".skops")


def _model_file_problems(document: SpecDocument, doc: Any) -> list[SpecProblem]:
    """A model file of a kind no loader reads (``candidate.joblib.gz``), refused at its line
    rather than when the first gate runs. ``package.module:attr`` (a colon, no model suffix;
    not a drive letter) is an import reference, checked when it is imported."""
    problems = []
    for role in ("candidate", "baseline"):
        ref = getattr(document.models, role)
        if not isinstance(ref, str) or ref.lower().endswith(MODEL_FILE_SUFFIXES):
            continue
        if ":" in ref and not (len(ref) > 1 and ref[1] == ":"):
            continue
        problems.append(
            doc.problem(
                ("models", role),
                f"unsupported model file (got {ref!r}; allowed: .joblib, .pkl, .pickle or .skops "
                "files — joblib compresses inside the file: joblib.dump(model, 'model.joblib', "
                "compress=3) — an import reference 'package.module:attr', or prediction "
                "columns {predictions: col, scores: col})",
            )
        )
    return problems


def _engine_problems(document: SpecDocument, doc: Any, file: str) -> list[SpecProblem]:
    """A grouped engine never sees the rows one by one: models must be prediction columns."""
    engine = document.data.engine
    problems = []
    for role in ("candidate", "baseline"):
        ref = getattr(document.models, role)
        if isinstance(ref, str):
            problems.append(
                doc.problem(
                    ("models", role),
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
        per_class = getattr(g.config, "classes", None)  # #19: metric of each class
        try:
            get_metric(f"{g.metric}[class]" if per_class else g.metric, task)
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
