"""The one rule for what a column is: its kind (numeric or categorical), its dtype kind, its values.

Every data check asks this module, never the dtype directly, so that a check run from
``gates.yaml`` and the same check run from Python examine the same columns the same way:

* :func:`column_kind` — numeric or categorical. Integer codes with at most
  :data:`MAX_CATEGORICAL_LEVELS` distinct values are categorical: drift bins them as categories,
  and ``unseen_categories`` checks them by default.
* :func:`has_range` — a numeric (non-bool) dtype: ``range`` checks these columns by default,
  integer codes included (a code above the reference's largest is news too).
* :func:`dtype_kind` — the coarse dtype kind that ``schema`` compares.
* :func:`default_columns` — which columns a check examines when none are named.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal, cast

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pandas.api import types as pdt

from pytest_modelgate.checks.data.errors import BadParameter, ColumnNotNumeric, ColumnsAbsent

__all__ = [
    "MAX_CATEGORICAL_LEVELS",
    "ColumnKind",
    "as_series",
    "check_kind",
    "column_kind",
    "default_columns",
    "dtype_kind",
    "has_range",
    "numeric_values",
    "require_columns",
    "resolve_kinds",
]

ColumnKind = Literal["numeric", "categorical"]

#: Integer-valued columns with at most this many distinct values are treated as categorical.
MAX_CATEGORICAL_LEVELS = 20


def as_series(values: Any) -> pd.Series:
    return values if isinstance(values, pd.Series) else pd.Series(np.asarray(values))


def column_kind(series: Any, *, max_levels: int = MAX_CATEGORICAL_LEVELS) -> ColumnKind:
    """Classify a column as ``"numeric"`` or ``"categorical"``.

    Parameters
    ----------
    series : pandas.Series or array_like
        The column (usually the reference's; that is what the checks use).
    max_levels : int, default 20
        Integer-valued columns with at most this many distinct non-missing values are
        categorical (codes, counts of children, ratings): quantile bins would merge their
        levels arbitrarily, while category bins keep each level.

    Returns
    -------
    {"numeric", "categorical"}
        * bool, object, string and category dtypes: ``"categorical"``;
        * datetime and timedelta dtypes: ``"numeric"`` (compared as seconds);
        * numeric dtypes whose values are not all integers: ``"numeric"``, whatever their
          cardinality (a small sample of a continuous column must not become categorical);
        * integer-valued numeric columns (integer dtypes, or floats holding whole numbers,
          e.g. an integer column with missing values): ``"numeric"`` if they have more than
          ``max_levels`` distinct values, else ``"categorical"``.

    Notes
    -----
    Callers override the classification per column (``kinds=`` in the checks).
    """
    s = as_series(series)
    dtype = s.dtype
    if pdt.is_bool_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype):
        return "categorical"
    if pdt.is_datetime64_any_dtype(dtype) or pdt.is_timedelta64_dtype(dtype):
        return "numeric"
    if not pdt.is_numeric_dtype(dtype) or pdt.is_complex_dtype(dtype):
        return "categorical"
    values = _finite(s.to_numpy(dtype=np.float64, na_value=np.nan))
    # The integrality test is one vectorised pass and decides most float columns without the
    # hashing that counting distinct values needs.
    if values.size and not np.all(values == np.floor(values)):
        return "numeric"
    return "numeric" if pd.unique(values).size > max_levels else "categorical"


def has_range(series: pd.Series) -> bool:
    """Whether ``[min, max]`` means something for the column: a numeric dtype other than bool."""
    return pdt.is_numeric_dtype(series.dtype) and not pdt.is_bool_dtype(series.dtype)


def default_columns(
    check: str,
    reference: pd.DataFrame,
    test: pd.DataFrame,
    candidates: Iterable[str],
    kinds: Mapping[str, str] | None = None,
) -> list[str]:
    """The columns ``check`` examines when none are named, in the order of ``candidates``.

    ``unseen_categories`` keeps the categorical ones (:func:`column_kind`, or ``kinds``), read
    from the reference (from the test data when the reference lacks the column, or has no value
    in it: the check then reports what it finds). ``range`` keeps those with a range
    (:func:`has_range`) in each frame with values in them: a column that turned into text is the
    schema check's finding. Every other check keeps all.
    """
    wanted = list(candidates)
    if check == "range":
        return [c for c in wanted if all(has_range(s) for s in _observed(c, reference, test))]
    if check == "unseen_categories":
        resolve_kinds(reference, [], kinds)  # a typo in an override is an error, as everywhere
        overrides = dict(kinds or {})
        out = []
        for c in wanted:
            observed = _observed(c, reference, test)
            values = observed[0] if observed else _any_of(c, reference, test)
            if (overrides.get(c) or column_kind(values)) == "categorical":
                out.append(c)
        return out
    return wanted


def _observed(column: str, reference: pd.DataFrame, test: pd.DataFrame) -> list[pd.Series]:
    """The column in each frame (reference first) with at least one value in it: a column of
    nothing but missing values (or without rows) says nothing about its kind."""
    return [f[column] for f in (reference, test) if column in f.columns and f[column].notna().any()]


def _any_of(column: str, reference: pd.DataFrame, test: pd.DataFrame) -> pd.Series:
    return reference[column] if column in reference.columns else test[column]


def _finite(values: NDArray[np.float64]) -> NDArray[np.float64]:
    return values[np.isfinite(values)]


def numeric_values(series: pd.Series) -> NDArray[np.float64]:
    """Non-missing values of a numeric-like column as float64 (datetimes as epoch seconds).

    Raises
    ------
    ColumnNotNumeric (a TypeError)
        If the column cannot be compared as numeric (e.g. text).
    """
    s = series.dropna()
    dtype = s.dtype
    if pdt.is_datetime64_any_dtype(dtype):
        if getattr(dtype, "tz", None) is not None:
            s = s.dt.tz_convert("UTC").dt.tz_localize(None)
        # Through a fixed unit, so that frames stored at different resolutions compare.
        ns = s.to_numpy(dtype="datetime64[ns]").astype(np.int64)
        return ns.astype(np.float64) / 1e9
    if pdt.is_timedelta64_dtype(dtype):
        return np.asarray(s.dt.total_seconds().to_numpy(dtype=np.float64))
    try:
        values = s.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise ColumnNotNumeric(
            f"column {series.name!r} has dtype {series.dtype} and cannot be compared as "
            "numeric (pass kinds={...: 'categorical'} or check the schema)",
            "columns",
        ) from exc
    return values[~np.isnan(values)]


def check_kind(kind: str) -> None:
    """Raise BadParameter (a ValueError) unless ``kind`` is ``"numeric"`` or ``"categorical"``."""
    if kind not in ("numeric", "categorical"):
        raise BadParameter(f"kind must be 'numeric' or 'categorical', got {kind!r}", "kinds")


def require_columns(
    columns: Iterable[str], frames: Sequence[tuple[str, pd.DataFrame]]
) -> list[str]:
    """``columns`` as a list; ColumnsAbsent (a KeyError) names every one absent from a frame."""
    wanted = list(columns)
    problems = []
    for name, frame in frames:
        absent = [c for c in wanted if c not in frame.columns]
        if absent:
            problems.append(f"absent from the {name} data: {', '.join(map(repr, absent))}")
    if problems:
        raise ColumnsAbsent("data check columns " + "; ".join(problems), "columns")
    return wanted


def resolve_kinds(
    reference: pd.DataFrame, columns: Sequence[str], kinds: Mapping[str, str] | None
) -> dict[str, ColumnKind]:
    """The kind of each column: the override in ``kinds``, else :func:`column_kind`.

    Raises
    ------
    ColumnsAbsent (a KeyError)
        If ``kinds`` names a column that is not in ``reference``.
    BadParameter (a ValueError)
        If ``kinds`` holds a kind other than numeric/categorical.
    """
    overrides: dict[str, ColumnKind] = {}
    for column, kind in (kinds or {}).items():
        check_kind(kind)
        if column not in reference.columns:
            # A typo in an override would otherwise be silently ignored. Overrides for existing
            # columns that are not checked are fine: callers pass one mapping to every check.
            raise ColumnsAbsent(f"kinds names column {column!r}, which is not in the data", "kinds")
        overrides[column] = cast(ColumnKind, kind)
    return {c: overrides.get(c) or column_kind(reference[c]) for c in columns}


# --------------------------------------------------------------------------------------------
# Dtype kinds (schema)
# --------------------------------------------------------------------------------------------

_KIND_NAMES = {
    "numeric": "numeric",
    "number": "numeric",
    "int": "numeric",
    "integer": "numeric",
    "float": "numeric",
    "string": "string",
    "str": "string",
    "object": "string",
    "category": "string",
    "categorical": "string",
    "bool": "bool",
    "boolean": "bool",
    "datetime": "datetime",
    "datetime-tz": "datetime-tz",
    "timedelta": "timedelta",
}


def dtype_kind(dtype: Any) -> str:
    """The coarse kind of a dtype that the schema check compares.

    Parameters
    ----------
    dtype : numpy/pandas dtype or str
        A dtype, a dtype string (``"int64"``, ``"datetime64[ns]"``) or a kind name
        (``"numeric"``, ``"string"``, ``"bool"``, ``"datetime"``, ``"timedelta"``, and the
        aliases ``"int"``, ``"float"``, ``"object"``, ``"str"``, ``"category"``).

    Returns
    -------
    str
        ``"numeric"`` (all int, uint, float and complex widths, nullable or not), ``"bool"``,
        ``"string"`` (object, str, string), ``"datetime"`` (naive), ``"datetime-tz"`` (with a
        time zone: naive and zoned timestamps cannot be compared, so the change is flagged),
        ``"timedelta"``, or ``"other"``. A categorical dtype has the kind of its categories
        (``"string"`` when they are not known, e.g. the string ``"category"``).
    """
    if isinstance(dtype, str):
        if dtype.lower() in _KIND_NAMES:
            return _KIND_NAMES[dtype.lower()]
        try:
            dtype = pdt.pandas_dtype(dtype)
        except TypeError as exc:
            raise BadParameter(f"unknown dtype {dtype!r}") from exc
    if isinstance(dtype, pd.CategoricalDtype):
        categories = dtype.categories
        return "string" if categories is None else dtype_kind(categories.dtype)
    if pdt.is_bool_dtype(dtype):
        return "bool"
    if isinstance(dtype, pd.DatetimeTZDtype):
        return "datetime-tz"
    if pdt.is_datetime64_any_dtype(dtype):
        return "datetime"
    if pdt.is_timedelta64_dtype(dtype):
        return "timedelta"
    if pdt.is_numeric_dtype(dtype):
        return "numeric"
    if pdt.is_string_dtype(dtype) or pdt.is_object_dtype(dtype):
        return "string"
    return "other"
