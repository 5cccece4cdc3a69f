"""Clusters and sampling weights: validated once, at the edge, and attached to evidence.

``data.cluster`` / ``evaluate(..., cluster=)`` name which rows belong together (the same
customer, patient or session); ``data.weight`` / ``evaluate(..., sample_weight=)`` give each row
a sampling weight. Both shells call :func:`cluster_codes` and :func:`sampling_weights`, so a bad
value gets the same message whichever shell read it; :func:`with_design` attaches them to an
:class:`~pytest_modelgate.evidence.core.Evidence` (candidate and baseline alike).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from pytest_modelgate.errors import DataError
from pytest_modelgate.evidence.core import Evidence

__all__ = ["cluster_codes", "sampling_weights", "with_design"]


def _values(values: Any) -> pd.Series:
    if isinstance(values, pd.Series):
        return values.reset_index(drop=True)
    array = np.asarray(values)
    if array.ndim != 1:
        raise DataError(f"must be one value per row (got shape {array.shape})")
    return pd.Series(array)


def _first_rows(mask: np.ndarray) -> str:
    rows = np.flatnonzero(mask)
    return f"{rows.size} row(s); first rows: {rows[:5].tolist()}"


def cluster_codes(values: Any, n: int, where: str) -> np.ndarray:
    """Each row's cluster as an int64 code ``0..K-1`` (any hashable ids: numbers, text).

    ``where`` names the argument or the spec key (``gates.yaml:4: data.cluster``)."""
    try:
        s = _values(values)
    except DataError as exc:
        raise DataError(f"{where}: {exc}") from None
    if len(s) != n:
        raise DataError(f"{where}: has {len(s)} values, the data have {n} rows")
    missing = s.isna().to_numpy()
    if missing.any():
        raise DataError(
            f"{where}: cluster ids are missing (NaN/None) in {_first_rows(missing)}; every row "
            "needs the id of its cluster (e.g. the customer id) — fill or drop those rows"
        )
    codes, _uniques = pd.factorize(s, sort=False)
    return codes.astype(np.int64)


def sampling_weights(values: Any, n: int, where: str) -> np.ndarray:
    """Sampling weights as float64: numeric, finite, ``>= 0`` and not all zero."""
    try:
        s = _values(values)
    except DataError as exc:
        raise DataError(f"{where}: {exc}") from None
    if len(s) != n:
        raise DataError(f"{where}: has {len(s)} values, the data have {n} rows")
    if pd.api.types.is_bool_dtype(s) or not (
        pd.api.types.is_numeric_dtype(s)
        or pd.api.types.is_object_dtype(s)
        or pd.api.types.is_string_dtype(s)
    ):
        raise DataError(
            f"{where}: sampling weights must be numbers (got dtype {s.dtype}); allowed: finite "
            "numbers >= 0, not all zero"
        )
    numeric = pd.to_numeric(s, errors="coerce")
    text = numeric.isna() & s.notna()
    if text.any():
        first = s[text.to_numpy()].iloc[0]
        raise DataError(
            f"{where}: sampling weights must be numbers (got {first!r} in "
            f"{_first_rows(text.to_numpy())}); allowed: finite numbers >= 0, not all zero"
        )
    w = numeric.to_numpy(dtype=np.float64)
    bad = ~np.isfinite(w)
    if bad.any():
        raise DataError(
            f"{where}: sampling weights must be finite (got {float(w[bad][0]):g} in "
            f"{_first_rows(bad)}); allowed: finite numbers >= 0, not all zero"
        )
    negative = w < 0
    if negative.any():
        raise DataError(
            f"{where}: sampling weights must be >= 0 (got {float(w[negative][0]):g} in "
            f"{_first_rows(negative)}); allowed: finite numbers >= 0, not all zero"
        )
    if not (w > 0).any():
        raise DataError(
            f"{where}: every sampling weight is 0, so no row counts; allowed: finite numbers "
            ">= 0, not all zero"
        )
    return w


def with_design(
    ev: Evidence, cluster: np.ndarray | None, sample_weight: np.ndarray | None
) -> Evidence:
    """``ev`` with its rows' cluster codes and sampling weights (validated already)."""
    if cluster is None and sample_weight is None:
        return ev
    return replace(ev, cluster=cluster, sample_weight=sample_weight)
