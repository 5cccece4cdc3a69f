"""Slices: which rows belong to which part of the data a gate is evaluated on.

A gate's ``slices:`` is a list; each element is one *slicing*:

- ``sex``: one slice per observed value of the column;
- ``[sex, race]``: one slice per observed combination (intersections);
- ``{column: age, bins: [17, 25, 45, 65, 91]}``: left-closed bins ``[17, 25)``, ..., values
  outside the edges form an ``<outside bins>`` slice;
- ``{column: age, quantiles: 4}``: quantile bins of the test data.

Missing values form their own ``<missing>`` slice: rows are never silently dropped.

On a grouped table (one row per distinct cell, see :func:`~pytest_modelgate.evidence.core.
build_grouped_evidence`) the frame holds the cells and ``weights`` their row counts: a slice is
then the set of its cells, and quantile edges are the quantiles of the rows the cells stand for
(computed exactly from the cells, so the slices are those of the row-level path). A slicing
with more than ``max_slices`` slices (an id column, say) is an error that says how to bin it;
the slices are counted on the combinations the rows have, before any label is built.
The same machinery builds the (intersectional) groups of fairness gates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pytest_modelgate.errors import DataError, did_you_mean

__all__ = ["MISSING", "Slice", "group_codes", "slice_rows"]

MISSING = "<missing>"
OUTSIDE = "<outside bins>"


@dataclass(frozen=True)
class Slice:
    """One slice: its label (column → value) and the row indices it holds."""

    label: dict[str, str]
    rows: np.ndarray

    @property
    def key(self) -> str:
        from pytest_modelgate._format import slice_label

        return slice_label(self.label)


def _fmt_edge(x: float) -> str:
    return f"{x:g}"


def _factorize(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Codes per row (vectorised) and the text of each code; missing values get ``<missing>``.

    Codes that no row has (unobserved categories) are allowed: slicing keeps present codes.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):  # already coded: no hashing pass
        codes = values.cat.codes.to_numpy()
        texts = [str(u) for u in values.cat.categories]
    else:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        texts = [str(u) for u in uniques]
    if (codes < 0).any():
        codes = np.where(codes < 0, len(texts), codes)
        texts.append(MISSING)
    return codes.astype(np.int64), texts


def _binned(
    frame: pd.DataFrame, spec: Any, where: str, weights: np.ndarray | None = None
) -> tuple[np.ndarray, list[str]]:
    col = pd.to_numeric(frame[spec.column], errors="coerce")
    bad = col.isna() & frame[spec.column].notna()
    if bad.any():
        raise DataError(
            f"{where}: column {spec.column!r} has non-numeric values (e.g. "
            f"{frame[spec.column][bad].iloc[0]!r}); binning needs numbers"
        )
    if spec.bins is not None:
        edges = sorted(spec.bins)
        cut = pd.cut(col, edges, right=False)
        texts = [f"[{_fmt_edge(iv.left)}, {_fmt_edge(iv.right)})" for iv in cut.cat.categories]
    else:
        try:
            if weights is None:
                cut = pd.qcut(col, spec.quantiles, duplicates="drop")
            else:
                cut = _weighted_qcut(col, spec.quantiles, weights)
        except ValueError as exc:
            raise DataError(
                f"{where}: cannot cut {spec.column!r} into {spec.quantiles} quantiles ({exc})"
            ) from None
        texts = [f"({_fmt_edge(iv.left)}, {_fmt_edge(iv.right)}]" for iv in cut.cat.categories]
    codes = cut.cat.codes.to_numpy().astype(np.int64)  # -1: missing or outside the edges
    outside = (codes < 0) & col.notna().to_numpy()
    missing = col.isna().to_numpy()
    texts = [*texts, OUTSIDE, MISSING]
    codes = np.where(outside, len(texts) - 2, np.where(missing, len(texts) - 1, codes))
    return codes, texts


def _weighted_qcut(col: pd.Series, q: int, weights: np.ndarray) -> pd.Series:
    """``pd.qcut(col, q, duplicates="drop")`` of the rows that ``col``'s cells stand for: the
    edges are pandas' own quantiles of the expanded rows (the same probabilities, the same
    interpolation), cut with qcut's own options."""
    from pytest_modelgate.evidence.core import weighted_quantile

    quantiles = np.linspace(0, 1, q + 1)
    # as pandas' qcut: round up probabilities that are not representable in base 2
    np.putmask(quantiles, q * quantiles != np.arange(q + 1), np.nextafter(quantiles, 1))
    present = col.notna().to_numpy()
    edges = weighted_quantile(col.to_numpy(dtype=float)[present], weights[present], quantiles)
    return pd.cut(col, edges, include_lowest=True, duplicates="drop")


class _Labels:
    """The label tuple of every combined code, built only for the codes asked for.

    ``parts[j][k]`` is column ``j``'s code within combined code ``k``; ``texts[j]`` the text of
    each of column ``j``'s codes. Holding these instead of every label keeps a slicing of
    several high-cardinality columns as small as the combinations the rows have.
    """

    def __init__(self, texts: list[list[str]], parts: list[np.ndarray]) -> None:
        self.texts = texts
        self.parts = parts

    def __len__(self) -> int:
        return len(self.parts[0])

    def __getitem__(self, k: int) -> tuple[str, ...]:
        return tuple(t[int(p[k])] for t, p in zip(self.texts, self.parts, strict=True))


def _combine(
    frame: pd.DataFrame, columns: list[str]
) -> tuple[np.ndarray, list[list[str]], list[np.ndarray]]:
    """A combined code per row for several columns, bounded by the rows rather than by the
    product of the columns' values.

    Mixed-radix codes while the code range stays within a few times the row count (a bincount
    then finds the observed ones); beyond that, the combinations are renumbered to the observed
    ones (``np.unique``) after each column, so neither the codes (int64) nor any per-code array
    ever grows with the product — 20k × 20k ids cost one sort of the rows, not 4·10⁸ labels.
    """
    dense_limit = 4 * len(frame) + 1024
    combined: np.ndarray | None = None
    texts: list[list[str]] = []
    parts: list[np.ndarray] = []
    for c in columns:
        codes, own = _factorize(frame[c])
        radix = len(own)
        texts.append(own)
        if combined is None:
            combined, parts = codes, [np.arange(radix, dtype=np.int64)]
            continue
        n_codes = len(parts[0])
        if n_codes * radix <= dense_limit:
            combined = combined * radix + codes
            parts = [np.repeat(p, radix) for p in parts]
            parts.append(np.tile(np.arange(radix, dtype=np.int64), n_codes))
        else:  # both factors are at most ~4 × rows: the product fits in int64
            observed, combined = np.unique(combined * radix + codes, return_inverse=True)
            previous, last = np.divmod(observed, radix)
            parts = [p[previous] for p in parts]
            parts.append(last)
            combined = combined.reshape(-1).astype(np.int64)
    assert combined is not None
    return combined, texts, parts


def _column_codes(
    frame: pd.DataFrame, spec: Any, where: str, weights: np.ndarray | None = None
) -> tuple[list[str], np.ndarray, _Labels]:
    """Column names, a combined code per row, and the labels of the codes."""
    columns = _slicing_columns(spec)
    _require_columns(frame, columns, where)
    if not isinstance(spec, (str, list, tuple)):
        codes, texts = _binned(frame, spec, where, weights)
        return columns, codes, _Labels([texts], [np.arange(len(texts), dtype=np.int64)])
    combined, texts_per_column, parts = _combine(frame, columns)
    return columns, combined, _Labels(texts_per_column, parts)


def _is_where(spec: Any) -> bool:
    """A ``{where: {column: value, ...}}`` slicing: exactly one slice."""
    return not isinstance(spec, (str, list, tuple)) and hasattr(spec, "where")


def _range_text(lo: float | None, hi: float | None) -> str:
    if lo is None:
        return f"< {_fmt_edge(float(hi))}"  # type: ignore[arg-type]
    if hi is None:
        return f">= {_fmt_edge(lo)}"
    return f"[{_fmt_edge(lo)}, {_fmt_edge(hi)})"


def _where_slice(frame: pd.DataFrame, spec: Any, where: str) -> Slice:
    """The one slice of ``{where: ...}``: rows whose value prints as the given text (as the
    slice labels print it, ``<missing>`` for missing cells) or lies in ``[min, max)``."""
    mask = np.ones(len(frame), dtype=bool)
    label: dict[str, str] = {}
    for column, condition in spec.where.items():
        if hasattr(condition, "min"):  # a ValueRange
            col = pd.to_numeric(frame[column], errors="coerce")
            bad = col.isna() & frame[column].notna()
            if bad.any():
                raise DataError(
                    f"{where}: column {column!r} has non-numeric values (e.g. "
                    f"{frame[column][bad].iloc[0]!r}); a {{min, max}} range needs numbers"
                )
            values = col.to_numpy(dtype=float)
            inside = ~np.isnan(values)
            if condition.min is not None:
                inside &= values >= condition.min
            if condition.max is not None:
                inside &= values < condition.max
            mask &= inside
            label[column] = _range_text(condition.min, condition.max)
        else:
            from pytest_modelgate._format import plain

            codes, texts = _factorize(frame[column])
            text = str(plain(condition))
            hits = [k for k, t in enumerate(texts) if t == text]
            mask &= np.isin(codes, hits) if hits else False
            label[column] = text
    return Slice(label, np.flatnonzero(mask))


def _slicing_columns(spec: Any) -> list[str]:
    if _is_where(spec):
        return list(spec.where)
    if isinstance(spec, str):
        return [spec]
    if isinstance(spec, (list, tuple)):
        return list(spec)
    return [spec.column]


def _require_columns(frame: pd.DataFrame, columns: Sequence[str], where: str) -> None:
    """Every column in the frame, else one error naming all that are missing."""
    from pytest_modelgate._format import column_list

    missing = list(dict.fromkeys(c for c in columns if c not in frame.columns))
    if missing:
        names = list(map(str, frame.columns))
        raise DataError(
            f"{where}: column(s) {', '.join(map(repr, missing))} not in the test data"
            f"{did_you_mean(missing, names)} (columns: {column_list(names)})"
        )


def _order_key(value: str) -> tuple[int, float, str]:
    """Missing and outside last; numbers (and bin labels) in numeric order."""
    if value in (MISSING, OUTSIDE):
        return (2, 0.0, value)
    head = value.strip("[(").split(",")[0]
    try:
        return (0, float(head), value)
    except ValueError:
        return (1, 0.0, value)


def _present_codes(codes: np.ndarray, n_codes: int) -> list[int]:
    """The codes that occur, ascending: a bincount when the code range is small, else a sort."""
    if codes.size and n_codes <= 4 * codes.size + 1024:
        return np.flatnonzero(np.bincount(codes, minlength=n_codes)).tolist()
    return np.unique(codes).tolist()


def _stable_order(codes: np.ndarray, n_codes: int) -> np.ndarray:
    """``np.argsort(codes, kind="stable")``; 16-bit codes take numpy's O(n) radix sort."""
    if n_codes <= np.iinfo(np.uint16).max:
        return np.argsort(codes.astype(np.uint16), kind="stable")
    return np.argsort(codes, kind="stable")


def _slicing(
    frame: pd.DataFrame,
    spec: Any,
    *,
    max_slices: int,
    where: str,
    weights: np.ndarray | None = None,
) -> tuple[list[str], np.ndarray, _Labels, list[int]]:
    """One slicing: column names, a code per row, the label of every code, and the codes that
    form slices in report order (after checking the cap)."""
    columns, codes, labels = _column_codes(frame, spec, where, weights)
    keep = set(_present_codes(codes, len(labels)))
    if not isinstance(spec, (str, list, tuple)) and spec.bins is not None:
        keep |= set(range(len(labels) - 2))  # every bin, empty or not (not outside/missing)
    if len(keep) > max_slices:
        raise DataError(
            f"{where}: slicing by {' × '.join(columns)} makes {len(keep)} slices (cap: "
            f"stats.max_slices = {max_slices}); bin a numeric column ({{column: "
            f"{columns[0]}, quantiles: 4}}), slice by a coarser column, or raise the cap"
        )
    ordered = sorted(keep, key=lambda k: tuple(_order_key(p) for p in labels[k]))
    return columns, codes, labels, ordered


def slice_rows(
    frame: pd.DataFrame,
    slices: Sequence[Any],
    *,
    max_slices: int,
    where: str,
    weights: np.ndarray | None = None,
) -> list[Slice]:
    """All slices of a gate, slicing by slicing, in a stable order.

    Bins without rows are kept (n = 0) so that the report shows them. ``weights``: the row
    count of each frame row when the frame is a grouped table (``Slice.rows`` are then cells).
    """
    _require_columns(frame, [c for spec in slices for c in _slicing_columns(spec)], where)
    out: list[Slice] = []
    for spec in slices:
        if _is_where(spec):
            out.append(_where_slice(frame, spec, where))
            continue
        columns, codes, labels, ordered = _slicing(
            frame, spec, max_slices=max_slices, where=where, weights=weights
        )
        # a stable sort keeps each slice's rows in ascending order
        order = _stable_order(codes, len(labels))
        sorted_codes = codes[order]
        for k in ordered:
            a, b = np.searchsorted(sorted_codes, [k, k + 1])
            out.append(Slice(dict(zip(columns, labels[k], strict=True)), order[a:b]))
    return out


def group_codes(
    frame: pd.DataFrame, columns: Sequence[str], *, max_groups: int, where: str
) -> tuple[np.ndarray, list[str]]:
    """Integer group code per row and the group labels, for one or several sensitive columns
    (intersections; missing values form a ``<missing>`` group)."""
    names, codes, labels, ordered = _slicing(
        frame, list(columns), max_slices=max_groups, where=where
    )
    # every kept code occurs (no empty bins here): number them in report order
    renumber = np.full(len(labels), -1, dtype=np.int64)
    renumber[ordered] = np.arange(len(ordered))
    keys = [", ".join(f"{c}={v}" for c, v in zip(names, labels[k], strict=True)) for k in ordered]
    return renumber[codes], keys
