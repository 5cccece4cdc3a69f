"""``engine: spark`` — one ``agg`` for the score ranges, one ``groupBy().count()`` for the cells.

The rows stay in the cluster; only the cells are collected (through Arrow where available).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any

import pandas as pd

from pytest_modelgate._paths import display_path
from pytest_modelgate.errors import DataError
from pytest_modelgate.inputs.engines._core import (
    COUNT,
    CountPlan,
    ScoreSummary,
    is_path,
    need,
    parquet_files,
)

__all__ = ["SparkAdapter"]


def _looks_like_path(source: Any) -> bool:
    if isinstance(source, os.PathLike):
        return True
    text = str(source)
    return os.path.exists(text) or "/" in text or text.lower().endswith((".parquet", ".pq"))


class SparkAdapter:
    """A PySpark DataFrame, a catalog table name, or a Parquet path read with the active
    SparkSession (or a new local one)."""

    engine = "spark"

    def __init__(self, source: Any) -> None:
        need("pyspark", self.engine)
        from pyspark.sql import DataFrame, SparkSession
        from pyspark.sql import functions as F

        self._F = F
        if isinstance(source, DataFrame):
            self.frame = source
            self.label = "the Spark DataFrame"
            return
        if not is_path(source):
            raise TypeError(
                "engine: spark takes a Spark DataFrame, a table name or a path to a .parquet "
                f"file or a folder of them (got {type(source).__name__})"
            )
        # a session started here runs any Python worker with this interpreter (its packages),
        # not whatever `python3` is first on PATH
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        spark = SparkSession.getActiveSession() or SparkSession.builder.getOrCreate()
        if _looks_like_path(source):
            self.frame = spark.read.parquet(*parquet_files(source, self.engine))
            self.label = display_path(source)
        else:
            if not spark.catalog.tableExists(str(source)):
                raise DataError(f"table {str(source)!r} does not exist in the Spark catalog")
            self.frame = spark.table(str(source))
            self.label = f"table {str(source)!r}"

    def _col(self, name: str) -> Any:
        return self._F.col("`" + name.replace("`", "``") + "`")

    def _double(self, name: str) -> Any:
        return self._col(name).cast("double")

    def columns(self) -> list[str]:
        return list(self.frame.columns)

    def rows(self) -> int | None:
        return None

    def summarize(self, columns: Sequence[str]) -> dict[str, ScoreSummary]:
        from pyspark.sql.types import BooleanType, DecimalType, NumericType

        F = self._F
        fields = {f.name: f.dataType for f in self.frame.schema.fields}
        for c in columns:
            kind = fields[c]
            if isinstance(kind, DecimalType) or not isinstance(kind, (NumericType, BooleanType)):
                raise DataError(
                    f"{self.label}: score column {c!r} must be numeric "
                    f"(got {fields[c].simpleString()})"
                )
        aggs = []
        for i, c in enumerate(columns):
            s = self._double(c)
            inf = F.abs(s) == F.lit(float("inf"))
            finite = s.isNotNull() & ~F.isnan(s) & ~inf
            aggs += [
                F.sum(F.when(s.isNull() | F.isnan(s), 1).otherwise(0)).alias(f"m{i}"),
                F.sum(F.when(inf, 1).otherwise(0)).alias(f"i{i}"),
                F.min(F.when(finite, s)).alias(f"lo{i}"),
                F.max(F.when(finite, s)).alias(f"hi{i}"),
            ]
        row = self.frame.agg(*aggs).first()
        assert row is not None

        def num(v: Any) -> float:
            return float("nan") if v is None else float(v)

        return {
            c: ScoreSummary(
                int(row[f"m{i}"] or 0),
                int(row[f"i{i}"] or 0),
                num(row[f"lo{i}"]),
                num(row[f"hi{i}"]),
            )
            for i, c in enumerate(columns)
        }

    def count(self, plan: CountPlan) -> pd.DataFrame:
        F = self._F
        select = [self._col(k).alias(k) for k in plan.keys]
        for name, col, t in plan.thresholds:
            select.append((self._double(col) >= F.lit(float(t))).cast("tinyint").alias(name))
        for b in plan.binned:
            if b.span == 0:
                select.append(F.lit(0).cast("bigint").alias(b.column))
                continue
            scaled = ((self._double(b.column) - F.lit(b.lo)) / F.lit(b.span)) * F.lit(float(b.bins))
            index = F.least(F.floor(scaled).cast("bigint"), F.lit(b.bins - 1).cast("bigint"))
            select.append(index.alias(b.column))
        for col in plan.exact:
            select.append(self._double(col).alias(col))
        group = plan.group_columns
        if not group:
            return pd.DataFrame({COUNT: [self.frame.count()]})
        cells = (
            self.frame.select(*select)
            .groupBy(*[self._col(c) for c in group])
            .agg(F.count(F.lit(1)).alias(COUNT))
        )
        if hasattr(cells, "toArrow"):  # Spark >= 4: no pandas round trip on the driver
            return cells.toArrow().to_pandas()
        return cells.toPandas()
