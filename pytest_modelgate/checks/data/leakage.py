"""``check: leakage``: what makes every interval on the test data optimistic (#19).

Six findings, each with counts, an interval and a few example rows:

``exact_duplicates``
    test rows whose feature values equal a training row's. Rows are hashed in one vectorised
    pass (``pandas.util.hash_pandas_object``, 64 bits per row; numbers compared as float64,
    everything else as text) and looked up with ``numpy.isin``: 10⁶ rows take about a second.
``near_duplicates``
    test rows that are not exact duplicates but become one once every number is rounded to
    ``digits`` significant digits and text is trimmed, lower-cased and its runs of white space
    collapsed ("near" means exactly that, nothing fuzzier).
``conflicting_labels``
    test rows whose feature values occur (in train or test) with another label: the label is
    not a function of the features, so some rows are mislabelled or a feature is missing.
``time_overlap``
    test rows whose time (``data.time``) is not later than the last training time: a
    random split of time-ordered data lets the model see the future.
``single_feature``
    a feature whose best one-feature rule, fitted on the training rows, reaches ``max_auc``
    ROC AUC on the test rows (binary targets). Numbers: the monotone rule (the feature itself,
    its direction taken from the training rows); other columns: each value scored by its
    training positive rate (unseen values: the overall rate). Interval: the DeLong–Newcombe
    hull, as for ``roc_auc``.
``id_columns``
    a column that looks like an id (unique per test row, or monotone with many values) and
    whose order predicts the label: its ROC AUC (or 1 − AUC) beyond ``max_id_auc``.

The four share-of-rows findings are judged by the one rule of share-of-rows checks,
:func:`pytest_modelgate.checks.common.judge_rate` (Clopper–Pearson, zero tolerance at a limit of
0); the two AUC findings like a ``max:`` metric gate on their interval (strict: flagged unless
the interval lies below the bar; lenient: flagged when it lies above; point: the estimate).
The gate fails when any finding is flagged (its default severity is ``block``); give
``look_for:`` to split findings over gates with their own severities.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pytest_modelgate._format import one_line
from pytest_modelgate.checks.common import CheckRule, details_table, gate_fields, judge_rate
from pytest_modelgate.checks.data.row_hashing import conflicting_keys, hash_rows, member
from pytest_modelgate.checks.inputs import CheckInputs
from pytest_modelgate.errors import DataError, did_you_mean
from pytest_modelgate.results import (
    CheckResult,
    GroupValue,
    Interval,
    RowExample,
    Threshold,
    Verdict,
)

__all__ = ["FINDINGS", "Finding", "hash_rows", "leakage_check", "leakage_findings"]

FINDINGS = (
    "exact_duplicates",
    "near_duplicates",
    "conflicting_labels",
    "time_overlap",
    "single_feature",
    "id_columns",
)
#: example rows each finding lists
EXAMPLES = 5
#: a numeric column with at least this many distinct values and monotone in row order is id-like
_MONOTONE_MIN_DISTINCT = 20


@dataclass(frozen=True)
class Finding:
    """One leakage finding: what was counted (or measured), its verdict and example rows."""

    name: str
    verdict: Verdict
    summary: str
    n: int
    estimate: float | None = None
    interval: Interval | None = None
    limit: float | None = None
    rule: str = ""
    count: int | None = None
    examples: tuple[RowExample, ...] = field(default_factory=tuple)
    skipped: str = ""  # why the finding does not apply here (no time column, ...)


# --- the findings --------------------------------------------------------------------------------


def _ids(frame: pd.DataFrame, id_column: str | None, positions: np.ndarray) -> list[str]:
    if id_column is not None and id_column in frame.columns:
        values = frame[id_column].to_numpy()[positions]
        return [one_line(str(v.item() if isinstance(v, np.generic) else v)) for v in values]
    return [str(int(p)) for p in positions]


def _share_finding(
    name: str, mask: np.ndarray, limit: float, rule: CheckRule, subject: str
) -> tuple[Finding, np.ndarray]:
    count, n = int(np.count_nonzero(mask)), int(mask.size)
    judged = judge_rate(count, n, limit, rule, name.replace("_", " "))
    share = (
        ""
        if not n
        else f" ({judged.share:.2%}, {judged.interval.method} "
        + (f"[{judged.interval.low:.2%}, {judged.interval.high:.2%}])")
    )
    summary = f"{count} of {n} test rows{share} {subject}"
    if judged.reason:
        summary += f" — {judged.reason}"
    finding = Finding(
        name,
        judged.verdict,
        summary,
        n,
        judged.share if n else None,
        judged.interval if n else None,
        limit,
        judged.rule,
        count,
    )
    return finding, np.flatnonzero(mask)


def _binary_target(train: pd.DataFrame, test: pd.DataFrame, target: str | None) -> Any:
    """The test labels as 0/1 and the train labels as 0/1, or a reason they are not binary."""
    if target is None or target not in test.columns or target not in train.columns:
        return None, None, "no target column in both the training and the test data"
    values = pd.unique(pd.concat([train[target], test[target]], ignore_index=True).dropna())
    if len(values) != 2:
        return None, None, f"needs a binary target ({target!r} has {len(values)} values)"
    positive = sorted(values, key=str)[1]
    y_train = (train[target] == positive).to_numpy(dtype=np.int64)
    y_test = (test[target] == positive).to_numpy(dtype=np.int64)
    return y_train, y_test, ""


def _auc_with_interval(y: np.ndarray, score: np.ndarray, level: float) -> tuple[float, Interval]:
    from pytest_modelgate.stats import auc_hull_interval, delong_auc_variance

    n_pos = int(y.sum())
    value, variance = delong_auc_variance(y.astype(bool), score, None)
    return float(value), auc_hull_interval(
        float(value), float(variance), n_pos, y.size - n_pos, level
    )


def _judge_auc(value: float, iv: Interval, bar: float, rule: CheckRule) -> bool:
    """Whether an AUC counts as reaching ``bar`` under the evidence rule (flagged)."""
    if rule.evidence == "lenient":
        return iv.low >= bar
    if rule.evidence == "point":
        return value >= bar
    return not iv.high < bar


def _numeric_codes(col: pd.Series) -> np.ndarray | None:
    if pd.api.types.is_bool_dtype(col) or not pd.api.types.is_numeric_dtype(col):
        return None
    return col.to_numpy(dtype=np.float64)


def _one_feature_score(
    train_col: pd.Series, test_col: pd.Series, y_train: np.ndarray
) -> np.ndarray:
    """The best one-feature rule, fitted on the training rows, scored on the test rows."""
    x_train, x_test = _numeric_codes(train_col), _numeric_codes(test_col)
    if x_train is not None and x_test is not None:
        low = np.nanmin(np.concatenate([x_train, x_test, [0.0]])) - 1.0
        x_train = np.where(np.isnan(x_train), low, x_train)
        x_test = np.where(np.isnan(x_test), low, x_test)
        from pytest_modelgate.stats import delong_auc_variance

        if 0 < y_train.sum() < y_train.size:
            direction, _ = delong_auc_variance(y_train.astype(bool), x_train, None)
            return x_test if direction >= 0.5 else -x_test
        return x_test
    keys_train = train_col.astype(str).to_numpy(dtype=object)
    rates = pd.Series(y_train, dtype=float).groupby(keys_train).mean()
    overall = float(y_train.mean()) if y_train.size else 0.0
    mapped = pd.Series(test_col.astype(str).to_numpy(dtype=object)).map(rates)
    return mapped.fillna(overall).to_numpy(dtype=np.float64)


def _auc_finding(
    name: str,
    test_y: np.ndarray,
    scored: list[tuple[str, np.ndarray]],
    bar: float,
    rule: CheckRule,
    what: str,
    two_sided: bool = False,
) -> Finding:
    n = int(test_y.size)
    n_pos = int(test_y.sum())
    if not scored:
        return Finding(name, Verdict.PASS, f"no {what} to examine", n, skipped=f"no {what}")
    if min(n_pos, n - n_pos) < rule.min_support:
        return Finding(
            name,
            Verdict.INCONCLUSIVE,
            f"only {min(n_pos, n - n_pos)} test rows in the smaller class (min_support = "
            f"{rule.min_support})",
            n,
        )
    results = []
    for column, score in scored:
        value, iv = _auc_with_interval(test_y, score, rule.confidence)
        if two_sided and value < 0.5:  # an id ordered against the label predicts it as well
            value, iv = 1.0 - value, Interval(1.0 - iv.high, 1.0 - iv.low, iv.level, iv.method)
        results.append((column, value, iv, _judge_auc(value, iv, bar, rule)))
    results.sort(key=lambda r: -r[1])
    column, value, iv, _ = results[0]
    flagged = [r for r in results if r[3]]
    level = f"{rule.confidence:.0%}"
    rule_text = {
        "strict": f"ROC AUC < {bar:g} (strict: upper {level} bound)",
        "lenient": f"ROC AUC < {bar:g} (lenient: lower {level} bound)",
        "point": f"ROC AUC < {bar:g} (point estimate)",
    }[rule.evidence]
    listed = ", ".join(f"{c} {v:.3f} [{i.low:.3f}, {i.high:.3f}]" for c, v, i, _ in results[:5])
    if flagged:
        names = ", ".join(r[0] for r in flagged[:10])
        summary = f"{len(flagged)} {what} predict the label on their own: {names} ({listed})"
    else:
        summary = f"no {what} reaches ROC AUC {bar:g} (best: {listed})"
    examples = tuple(
        RowExample(one_line(c), {"roc_auc": f"{v:.4f}", "interval": f"[{i.low:.4f}, {i.high:.4f}]"})
        for c, v, i, _ in flagged[:EXAMPLES]
    )
    return Finding(
        name,
        Verdict.FAIL if flagged else Verdict.PASS,
        summary,
        n,
        value,
        iv,
        bar,
        rule_text,
        len(flagged),
        examples,
    )


def _is_id_like(col: pd.Series) -> bool:
    n = len(col)
    if n < 2 or col.isna().any():
        return False
    x = _numeric_codes(col)
    if x is not None and not np.all(np.mod(x, 1) == 0):
        return False  # measurements with fractions are unique per row without being ids
    distinct = col.nunique()
    if distinct == n:
        return True
    if x is None or distinct < _MONOTONE_MIN_DISTINCT:
        return False
    return bool(col.is_monotonic_increasing or col.is_monotonic_decreasing)


def _order_score(col: pd.Series) -> np.ndarray:
    x = _numeric_codes(col)
    if x is not None:
        return x
    return pd.Series(col.astype(str)).rank(method="average").to_numpy(dtype=np.float64)


def _time_values(col: pd.Series, where: str) -> np.ndarray:
    if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        return col.to_numpy(dtype=np.float64)
    parsed = pd.to_datetime(col, errors="coerce", utc=True)
    bad = parsed.isna() & col.notna()
    if bad.any():
        example = col[bad].iloc[0]
        raise DataError(
            f"{where}: {int(bad.sum())} value(s) of the time column {col.name!r} are not times "
            f"(e.g. {one_line(str(example))!r}); give dates, timestamps or numbers"
        )
    return parsed.to_numpy(dtype="datetime64[ns]").astype(np.int64).astype(np.float64)


def leakage_findings(
    train: pd.DataFrame,
    test: pd.DataFrame,
    *,
    columns: list[str],
    target: str | None,
    look_for: list[str],
    rule: CheckRule,
    cfg: Any,
    time: str | None = None,
    id_column: str | None = None,
    where: str = "leakage",
) -> list[Finding]:
    """The findings ``look_for`` asks for (a pure function of the two frames)."""
    findings: list[Finding] = []
    n = len(test)
    h_test = h_train = None
    if {"exact_duplicates", "conflicting_labels", "near_duplicates"} & set(look_for):
        h_test, h_train = hash_rows(test[columns]), hash_rows(train[columns])
    train_position = None
    if h_train is not None:
        train_position = pd.Series(np.arange(len(train)), index=h_train)
        train_position = train_position[~train_position.index.duplicated()]

    def examples(positions: np.ndarray, extra: Any = None) -> tuple[RowExample, ...]:
        shown = positions[:EXAMPLES]
        out = []
        for row_id, p in zip(_ids(test, id_column, shown), shown.tolist(), strict=True):
            values = {c: one_line(str(test[c].iat[p])) for c in columns[:6]}
            if extra is not None:
                values.update(extra(p))
            out.append(RowExample(row_id, values))
        return tuple(out)

    exact = np.zeros(n, dtype=bool)
    if h_test is not None and h_train is not None:
        exact = member(h_test, h_train)
    if "exact_duplicates" in look_for:
        assert h_test is not None and train_position is not None
        f, rows = _share_finding(
            "exact_duplicates",
            exact,
            cfg.max_duplicates,
            rule,
            "equal a training row",
        )
        findings.append(
            _with_examples(
                f,
                examples(rows, lambda p: {"training row": str(int(train_position.loc[h_test[p]]))}),
            )
        )
    if "near_duplicates" in look_for:
        near_test = hash_rows(test[columns], cfg.digits)
        near_train = hash_rows(train[columns], cfg.digits)
        near = member(near_test, near_train) & ~exact
        f, rows = _share_finding(
            "near_duplicates",
            near,
            cfg.max_near_duplicates,
            rule,
            f"equal a training row once numbers are rounded to {cfg.digits} significant digits "
            "and text is normalised (exact duplicates not counted)",
        )
        findings.append(_with_examples(f, examples(rows)))
    if "conflicting_labels" in look_for:
        if target is None or target not in train.columns or target not in test.columns:
            findings.append(_skipped("conflicting_labels", n, "no target column in both frames"))
        else:
            assert h_test is not None and h_train is not None
            labels = pd.concat([train[target], test[target]], ignore_index=True)
            conflicting = conflicting_keys(np.concatenate([h_train, h_test]), labels)
            mask = member(h_test, conflicting)
            f, rows = _share_finding(
                "conflicting_labels",
                mask,
                cfg.max_conflicts,
                rule,
                "have feature values that occur with another label",
            )
            findings.append(
                _with_examples(
                    f, examples(rows, lambda p: {target: one_line(str(test[target].iat[p]))})
                )
            )
    if "time_overlap" in look_for:
        if time is None:
            findings.append(_skipped("time_overlap", n, "no time column (data.time)"))
        else:
            for frame, what in ((train, "training"), (test, "test")):
                if time not in frame.columns:
                    raise DataError(
                        f"{where}: the time column {time!r} is not in the {what} data"
                        f"{did_you_mean([time], list(frame.columns))}"
                    )
            t_train = _time_values(train[time], where)
            t_test = _time_values(test[time], where)
            last = np.nanmax(t_train) if t_train.size else -math.inf
            mask = t_test <= last
            f, rows = _share_finding(
                "time_overlap",
                mask,
                cfg.max_time_overlap,
                rule,
                f"are not later than the last training time ({one_line(str(train[time].max()))})",
            )
            findings.append(
                _with_examples(
                    f, examples(rows, lambda p: {time: one_line(str(test[time].iat[p]))})
                )
            )
    need_binary = {"single_feature", "id_columns"} & set(look_for)
    if need_binary:
        y_train, y_test, why = _binary_target(train, test, target)
        for name in ("single_feature", "id_columns"):
            if name not in look_for:
                continue
            if y_test is None:
                findings.append(_skipped(name, n, why))
                continue
            if name == "single_feature":
                scored = [
                    (c, _one_feature_score(train[c], test[c], y_train))
                    for c in columns
                    if c not in (time, id_column)
                ]
                findings.append(_auc_finding(name, y_test, scored, cfg.max_auc, rule, "features"))
            else:
                candidates = [
                    c for c in test.columns if c != target and c != time and _is_id_like(test[c])
                ]
                scored = [(c, _order_score(test[c])) for c in candidates]
                findings.append(
                    _auc_finding(
                        name, y_test, scored, cfg.max_id_auc, rule, "id-like columns", True
                    )
                )
    return findings


def _with_examples(f: Finding, examples: tuple[RowExample, ...]) -> Finding:
    from dataclasses import replace

    return replace(f, examples=examples if f.verdict is not Verdict.PASS or f.count else ())


def _skipped(name: str, n: int, why: str) -> Finding:
    return Finding(name, Verdict.PASS, f"not examined: {why}", n, skipped=why)


# --- the gate ------------------------------------------------------------------------------------

_ORDER = {Verdict.PASS: 0, Verdict.INCONCLUSIVE: 1, Verdict.FAIL: 2, Verdict.ERROR: 3}


def leakage_check(gate: Any, inputs: CheckInputs) -> CheckResult:
    """The ``check: leakage`` gate on the test data and the training data."""
    cfg = gate.config
    where = inputs.where("gates", gate.index, "check")
    if cfg.train is not None:
        train = inputs.model_input("read_data")(cfg.train, ("gates", gate.index, "train"))
    elif inputs.reference is not None:
        train = inputs.reference()
    else:
        raise DataError(
            f"{where}: `check: leakage` compares with the training data: set `train:` on the "
            "check or data.reference (reference= in check_data)"
        )
    test = inputs.test()
    time = cfg.time or inputs.time
    id_column = cfg.id or inputs.id
    if cfg.columns:
        missing = [c for c in cfg.columns if c not in test.columns or c not in train.columns]
        if missing:
            raise DataError(
                f"{inputs.where('gates', gate.index, 'columns')}: column(s) "
                f"{', '.join(map(repr, missing))} not in both the test and the training data"
                f"{did_you_mean(missing, list(train.columns))}"
            )
        columns = list(cfg.columns)
    else:
        columns = [c for c in inputs.compared_columns(train) if c not in (time, id_column)]
    if id_column is not None and id_column not in test.columns:
        raise DataError(
            f"{where}: the id column {id_column!r} is not in the test data"
            f"{did_you_mean([id_column], list(test.columns))}"
        )
    rule = CheckRule.of(gate, inputs.stats)
    findings = leakage_findings(
        train,
        test,
        columns=columns,
        target=inputs.target,
        look_for=list(cfg.look_for or FINDINGS),
        rule=rule,
        cfg=cfg,
        time=time,
        id_column=id_column,
        where=where,
    )
    return _result(gate, findings, rule, len(train), len(test), columns)


def _result(
    gate: Any,
    findings: list[Finding],
    rule: CheckRule,
    n_train: int,
    n_test: int,
    columns: list[str],
) -> CheckResult:
    verdict = max((f.verdict for f in findings), key=_ORDER.__getitem__, default=Verdict.PASS)
    driving = [f for f in findings if f.verdict is verdict and not f.skipped] or findings
    head = driving[0]
    failed = [f for f in findings if f.verdict is Verdict.FAIL]
    shown = failed or [f for f in findings if f.verdict is Verdict.INCONCLUSIVE] or findings
    message = f"{verdict.value}: " + "; ".join(f"{f.name}: {f.summary}" for f in shown[:3])
    rows = [
        ("check", "leakage"),
        ("rows", f"test {n_test}, training {n_train}; {len(columns)} columns compared"),
    ]
    for f in findings:
        mark = {Verdict.FAIL: "FLAGGED ", Verdict.INCONCLUSIVE: "UNDECIDED "}.get(f.verdict, "")
        rows.append((f.name, f"{mark}{f.summary}" + (f"; rule: {f.rule}" if f.rule else "")))
        for e in f.examples[:3]:
            text = ", ".join(f"{k}={v}" for k, v in list(e.values.items())[:6])
            rows.append((f"  row {e.id}", text))
    if failed:
        rows.append(
            (
                "next",
                "a test row the model trained on, a label the features give away, or a split "
                "that lets the model see the future makes every interval optimistic: "
                "deduplicate across the split, split by time or by entity, drop the leaking "
                "column, then evaluate again",
            )
        )
    groups = tuple(
        GroupValue(
            f.name,
            f.n,
            {k: v for k, v in (("estimate", f.estimate), ("count", f.count)) if v is not None},
            flagged=f.verdict is Verdict.FAIL,
            detail=f.summary,
        )
        for f in findings
    )
    examples = tuple(
        RowExample(e.id, {"finding": f.name, **e.values}) for f in findings for e in f.examples
    )
    return CheckResult(
        verdict=verdict,
        message=one_line(message),
        details=details_table(rows),
        estimate=head.estimate,
        interval=head.interval,
        threshold=Threshold(max=head.limit) if head.limit is not None else None,
        rule=head.rule or None,
        n=n_test,
        groups=groups,
        examples=examples or None,
        **gate_fields(gate, rule.evidence),
    )
