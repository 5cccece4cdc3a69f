"""``engine: duckdb`` — one aggregate query for the score ranges, one ``GROUP BY`` for the cells.

DuckDB scans Parquet out of core and in parallel; only the cells come back to Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from pytest_modelgate._paths import display_path
from pytest_modelgate.errors import DataError
from pytest_modelgate.inputs.engines._core import (
    COUNT,
    CountPlan,
    ScoreSummary,
    float_literal,
    is_path,
    need,
    parquet_files,
)

__all__ = ["DuckDBAdapter", "quote"]

_NUMERIC = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "UHUGEINT",
    "FLOAT",
    "DOUBLE",
    "BOOLEAN",
)


def quote(name: str) -> str:
    """A SQL identifier, whatever characters the column name holds."""
    return '"' + name.replace('"', '""') + '"'


def _as_double(column: str) -> str:
    return f"CAST({quote(column)} AS DOUBLE)"


class DuckDBAdapter:
    """A Parquet path (file or folder), a DuckDB relation, a pandas DataFrame or an Arrow table."""

    engine = "duckdb"

    def __init__(self, source: Any, progress: bool | None) -> None:
        duckdb = need("duckdb", self.engine)
        self._duckdb = duckdb
        if isinstance(source, duckdb.DuckDBPyRelation):
            self.relation = source
            self.label = "the DuckDB relation"
            return
        self._con = duckdb.connect()
        # DuckDB draws its own bar on long queries; follow the same rule as the stream engine
        show = progress if progress is not None else False
        self._con.execute(f"SET enable_progress_bar = {str(bool(show)).lower()}")
        if is_path(source):
            self.relation = self._con.read_parquet(parquet_files(source, self.engine))
            self.label = display_path(source)
        elif isinstance(source, pd.DataFrame):
            self.relation = self._con.from_df(source)
            self.label = "the DataFrame"
        elif hasattr(source, "schema") and hasattr(source, "to_batches"):  # a pyarrow Table
            self.relation = self._con.from_arrow(source)
            self.label = "the Arrow table"
        else:
            raise TypeError(
                "engine: duckdb takes a path to a .parquet file or a folder of them, a DuckDB "
                f"relation, a pandas DataFrame or a pyarrow Table (got {type(source).__name__})"
            )

    def columns(self) -> list[str]:
        return list(self.relation.columns)

    def rows(self) -> int | None:
        return None

    def _run(self, relation: Any) -> Any:
        fetch = getattr(relation, "to_arrow_table", None) or relation.arrow
        try:
            return fetch()
        except self._duckdb.Error as exc:
            raise DataError(f"{self.label}: DuckDB failed ({type(exc).__name__}: {exc})") from None

    def summarize(self, columns: Sequence[str]) -> dict[str, ScoreSummary]:
        types = dict(zip(self.relation.columns, map(str, self.relation.dtypes), strict=True))
        for c in columns:
            if not types[c].upper().startswith(_NUMERIC):
                raise DataError(
                    f"{self.label}: score column {c!r} must be numeric (got {types[c]})"
                )
        parts = []
        for i, c in enumerate(columns):
            s = _as_double(c)
            parts += [
                f"count(*) FILTER (WHERE {s} IS NULL OR isnan({s})) AS m{i}",
                f"count(*) FILTER (WHERE isinf({s})) AS i{i}",
                f"min({s}) FILTER (WHERE isfinite({s})) AS lo{i}",
                f"max({s}) FILTER (WHERE isfinite({s})) AS hi{i}",
            ]
        row = self._run(self.relation.aggregate(", ".join(parts))).to_pylist()[0]

        def num(v: Any) -> float:
            return float("nan") if v is None else float(v)

        return {
            c: ScoreSummary(
                int(row[f"m{i}"]), int(row[f"i{i}"]), num(row[f"lo{i}"]), num(row[f"hi{i}"])
            )
            for i, c in enumerate(columns)
        }

    def count(self, plan: CountPlan) -> pd.DataFrame:
        select = [quote(k) for k in plan.keys]
        for name, col, t in plan.thresholds:
            select.append(
                f"CAST({_as_double(col)} >= {float_literal(t)} AS TINYINT) AS {quote(name)}"
            )
        for b in plan.binned:
            if b.span == 0:
                select.append(f"CAST(0 AS BIGINT) AS {quote(b.column)}")
                continue
            scaled = (
                f"(({_as_double(b.column)} - {float_literal(b.lo)}) / {float_literal(b.span)})"
                f" * {float_literal(float(b.bins))}"
            )
            select.append(
                f"LEAST(CAST(floor({scaled}) AS BIGINT), CAST({b.bins - 1} AS BIGINT))"
                f" AS {quote(b.column)}"
            )
        for col in plan.exact:
            select.append(f"{_as_double(col)} AS {quote(col)}")
        group = [quote(c) for c in plan.group_columns]
        if group:
            cells = self.relation.project(", ".join(select)).aggregate(
                f"{', '.join(group)}, count(*) AS {quote(COUNT)}", ", ".join(group)
            )
        else:
            cells = self.relation.aggregate(f"count(*) AS {quote(COUNT)}")
        return self._run(cells).to_pandas()
