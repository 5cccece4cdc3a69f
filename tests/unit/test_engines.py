"""group_counts: every engine gives the memory engine's table bit for bit, and the memory engine
gives what an independent row-by-row count gives; streaming keeps memory bounded."""

from __future__ import annotations

import collections
import json
import math
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from pytest_modelgate.errors import DataError
from pytest_modelgate.inputs.engines import COUNT, group_counts

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

KEYS = ["label", "pred", "region", "bucket"]
SCORES: dict[str, int | None] = {"proba": 32, "margin": 7, "rating": None}
THRESHOLDS = {"yhat": ("proba", 0.5), "high_margin": ("margin", 0.25)}


def make_scored(n: int, seed: int) -> pd.DataFrame:
    """Scored rows with missing keys of several kinds, string and int labels, three scores."""
    rng = np.random.default_rng(seed)
    label = rng.choice(np.array(["<=50K", ">50K"], dtype=object), n)
    label[rng.random(n) < 0.03] = None
    region = rng.choice([1.0, 2.0, 3.0, np.nan], n, p=[0.4, 0.3, 0.2, 0.1])
    bucket = pd.array(rng.integers(0, 5, n), dtype="Int64")
    bucket[rng.random(n) < 0.05] = pd.NA
    return pd.DataFrame(
        {
            "label": pd.Series(label, dtype="str"),
            "pred": rng.integers(0, 2, n),
            "region": region,
            "bucket": bucket,
            "proba": rng.beta(2, 5, n),
            "margin": rng.normal(0, 1, n).astype(np.float32),
            "rating": rng.integers(1, 6, n).astype(np.float64) / 2,
        }
    )


@pytest.fixture(scope="module")
def scored_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of five Parquet files with row groups smaller than the files."""
    folder = tmp_path_factory.mktemp("scored")
    frame = make_scored(6000, seed=7)
    for i, part in enumerate(np.array_split(np.arange(len(frame)), 5)):
        table = pa.Table.from_pandas(frame.iloc[part], preserve_index=False)
        pq.write_table(table, folder / f"part-{i:02d}.parquet", row_group_size=500)
    return folder


@pytest.fixture(scope="module")
def scored(scored_folder: Path) -> pd.DataFrame:
    """The folder as pandas reads it (how the loader sees data.test)."""
    return pd.read_parquet(scored_folder)


def counts(source: Any, engine: str, **kw: Any) -> pd.DataFrame:
    return group_counts(
        source, KEYS, SCORES, engine=engine, thresholds=THRESHOLDS, **{"batch_rows": 777, **kw}
    )


# ---------------------------------------------------------------------------------------------
# the independent reference: a Python loop over the rows, with Python floats


def _missing(v: Any) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))


def brute_force(frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    rows = frame.astype(object).to_dict("records")
    ranges = {}
    for col, bins in SCORES.items():
        values = [float(r[col]) for r in rows]
        ranges[col] = (min(values), max(values), bins)

    def represent(col: str, s: float) -> float:
        lo, hi, bins = ranges[col]
        if bins is None:
            return s
        i = min(math.floor((s - lo) / (hi - lo) * bins), bins - 1)
        return lo + (i + 0.5) * ((hi - lo) / bins)

    cells: collections.Counter[tuple[Any, ...]] = collections.Counter()
    for r in rows:
        key = tuple(None if _missing(r[k]) else r[k] for k in KEYS)
        flags = tuple(int(float(r[c]) >= t) for c, t in THRESHOLDS.values())
        values = tuple(represent(c, float(r[c])) for c in SCORES)
        cells[key + flags + values] += 1

    def order(cell: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple((v is None, v if v is not None else 0) for v in cell)

    return [(*cell, n) for cell, n in sorted(cells.items(), key=lambda kv: order(kv[0]))]


def as_tuples(frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    return [
        tuple(None if _missing(v) else v for v in row)
        for row in frame.astype(object).itertuples(index=False)
    ]


# ---------------------------------------------------------------------------------------------
# agreement


def test_memory_engine_equals_a_row_by_row_count(scored: pd.DataFrame) -> None:
    result = counts(scored, "memory")
    assert list(result.columns) == [*KEYS, *THRESHOLDS, *SCORES, COUNT]
    assert result[COUNT].dtype == np.int64 and result["yhat"].dtype == np.int8
    assert as_tuples(result) == brute_force(scored)
    assert result[COUNT].sum() == len(scored) == result.attrs["rows"]
    # missing keys are their own groups, never dropped
    assert result["label"].isna().any() and result["region"].isna().any()
    bins = result.attrs["score_bins"]
    assert set(bins) == {"proba", "margin"} and bins["proba"]["bins"] == 32
    assert bins["proba"]["lo"] == scored["proba"].min()


@pytest.mark.parametrize(
    ("engine", "kind"),
    [
        ("stream", "path"),
        ("stream", "arrow"),
        ("duckdb", "path"),
        ("duckdb", "frame"),
        ("duckdb", "relation"),
        ("memory", "path"),
    ],
)
def test_engines_equal_the_memory_engine(
    engine: str, kind: str, scored_folder: Path, scored: pd.DataFrame
) -> None:
    if engine == "duckdb":
        duckdb = pytest.importorskip("duckdb")
    source: Any = {
        "path": scored_folder,
        "arrow": pa.Table.from_pandas(scored, preserve_index=False),
        "frame": scored,
    }.get(kind)
    if kind == "relation":
        source = duckdb.connect().read_parquet(str(scored_folder / "*.parquet"))
    expected = counts(scored, "memory")
    pd.testing.assert_frame_equal(counts(source, engine), expected, check_exact=True)


@pytest.mark.parametrize("batch_rows", [1, 999, 10**6])
def test_stream_batch_size_does_not_change_the_counts(
    batch_rows: int, scored_folder: Path, scored: pd.DataFrame
) -> None:
    small = scored_folder.parent / f"small-{batch_rows}"
    if batch_rows == 1:  # one row per batch: keep it quick on a slice of the data
        small.mkdir(exist_ok=True)
        head = scored.head(300)
        pq.write_table(pa.Table.from_pandas(head, preserve_index=False), small / "a.parquet")
        expected, source = counts(head, "memory"), small
    else:
        expected, source = counts(scored, "memory"), scored_folder
    result = counts(source, "stream", batch_rows=batch_rows)
    pd.testing.assert_frame_equal(result, expected, check_exact=True)


def test_nan_and_null_in_a_float_key_are_one_group(tmp_path: Path) -> None:
    # written by Arrow directly, the column holds a real NaN *and* a null; DuckDB and Spark would
    # group them apart, pandas together — every engine must give one "missing" group
    path = _nan_and_null(tmp_path)
    engines = ["memory", "stream"] + (["duckdb"] if _has("duckdb") else [])
    results = [group_counts(path, ["k"], {"s": 2}, engine=e) for e in engines]
    for result in results:
        pd.testing.assert_frame_equal(result, results[0], check_exact=True)
    assert as_tuples(results[0]) == NAN_AND_NULL_CELLS


def _nan_and_null(folder: Path) -> Path:
    table = pa.table(
        {"k": pa.array([1.0, float("nan"), None, 1.0, float("nan")]), "s": [0, 1, 2, 3, 4]}
    )
    pq.write_table(table, folder / "nan.parquet")
    return folder / "nan.parquet"


# bins over [0, 4]: [0, 2) and [2, 4]; the missing k (NaN, null, NaN) hold scores 1, 2, 4
NAN_AND_NULL_CELLS = [(1.0, 1.0, 1), (1.0, 3.0, 1), (None, 1.0, 1), (None, 3.0, 2)]


def test_no_keys_counts_rows_and_constant_score_has_one_bin(scored: pd.DataFrame) -> None:
    frame = scored.assign(const=0.25)
    for engine in ["memory", "stream"] + (["duckdb"] if _has("duckdb") else []):
        src = frame if engine != "stream" else pa.Table.from_pandas(frame, preserve_index=False)
        total = group_counts(src, [], {}, engine=engine)
        assert total[COUNT].tolist() == [len(frame)]
        const = group_counts(src, [], {"const": 10}, engine=engine)
        assert const["const"].tolist() == [0.25] and const[COUNT].tolist() == [len(frame)]


def test_scores_at_the_range_ends_land_in_the_end_bins() -> None:
    frame = pd.DataFrame({"s": [0.0, 0.25, 0.5, 0.75, 1.0]})
    result = group_counts(frame, [], {"s": 4}, engine="memory")
    assert result["s"].tolist() == [0.125, 0.375, 0.625, 0.875]
    assert result[COUNT].tolist() == [1, 1, 1, 2]  # the maximum joins the last bin


def _has(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


# ---------------------------------------------------------------------------------------------
# spark: one test, so that only one xdist worker starts a JVM


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Any:
    if shutil.which("java") is None:
        pytest.skip("engine: spark needs a Java runtime (`java` is not on PATH)")
    pytest.importorskip("pyspark", reason="engine: spark needs pyspark")
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # workers use this venv's Python
    session = (
        SparkSession.builder.master("local[1]")
        .appName("modelgate-tests")
        .config("spark.driver.memory", "512m")
        .config("spark.ui.enabled", "false")
        # not ./spark-warehouse in the repository
        .config("spark.sql.warehouse.dir", str(tmp_path_factory.mktemp("spark-warehouse")))
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "1")
        # tiny data: compiling query code and optimising the JVM's JIT cost more than they save
        .config("spark.sql.codegen.wholeStage", "false")
        .config("spark.sql.adaptive.enabled", "false")
        .config("spark.driver.extraJavaOptions", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")
def test_spark_engine_equals_the_memory_engine(
    spark: Any, scored_folder: Path, scored: pd.DataFrame, tmp_path: Path
) -> None:
    expected = counts(scored, "memory")
    pd.testing.assert_frame_equal(counts(scored_folder, "spark"), expected, check_exact=True)
    frame = spark.read.parquet(str(scored_folder))
    nan_path = _nan_and_null(tmp_path)
    assert as_tuples(group_counts(nan_path, ["k"], {"s": 2}, engine="spark")) == NAN_AND_NULL_CELLS
    frame.createOrReplaceTempView("scored_rows")
    pd.testing.assert_frame_equal(counts("scored_rows", "spark"), expected, check_exact=True)
    with pytest.raises(DataError, match=r"score column 'proba' has 0 missing/NaN and 1 infinite"):
        group_counts(
            spark.createDataFrame([(1, 0.5), (0, float("inf"))], ["y", "proba"]),
            ["y"],
            {"proba": 8},
            engine="spark",
        )
    with pytest.raises(DataError, match=r"key column\(s\) 'lable' not in the data; did you mean"):
        group_counts(frame, ["lable"], {}, engine="spark")
    with pytest.raises(DataError, match="table 'no_such_table' does not exist"):
        group_counts("no_such_table", ["label"], {}, engine="spark")


# ---------------------------------------------------------------------------------------------
# memory stays bounded when streaming

_MEASURE = textwrap.dedent(
    """
    import json, sys, tracemalloc
    import pyarrow as pa
    from pytest_modelgate.inputs.engines import group_counts

    def status(field):  # this process's own numbers (ru_maxrss would include the parent's)
        with open("/proc/self/status") as f:
            return next(int(l.split()[1]) * 1024 for l in f if l.startswith(field + ":"))

    kw = dict(keys=["y", "pred", "segment"], scores={"s": 1024},
              thresholds={"yhat": ("s", 0.5), "s2_pos": ("s2", 0.0)}, engine="stream",
              batch_rows=50_000)
    group_counts(sys.argv[2], **kw)  # warm up imports and code paths on a small folder
    before = status("VmRSS")
    tracemalloc.start()  # Python and numpy allocations; Arrow's own pool reports its peak
    result = group_counts(sys.argv[1], **kw)
    peak = status("VmHWM")
    print(json.dumps({"rss_growth": peak - before, "arrow_peak": pa.default_memory_pool().max_memory(),
                      "python_peak": tracemalloc.get_traced_memory()[1],
                      "rows": int(result["__count__"].sum()), "cells": len(result)}))
    """
)


def _write_rows(folder: Path, files: int, rows_per_file: int, seed: int) -> list[int]:
    """Write scored rows file by file, never holding the whole table; return each file's
    in-memory size (the columns group_counts reads)."""
    folder.mkdir()
    rng = np.random.default_rng(seed)
    sizes = []
    for i in range(files):
        n = rows_per_file
        y = (rng.random(n) < 0.3).astype(np.int64)
        s = 1 / (1 + np.exp(-(rng.normal(size=n) + 1.5 * y - 1)))
        table = pa.table(
            {
                "y": y,
                "pred": (s >= 0.5).astype(np.int64),
                "segment": pa.array(rng.choice(["north", "south", "east", "west"], n)),
                "s": s,
                "s2": rng.normal(size=n),
                "unused": rng.normal(size=n),
            }
        )
        pq.write_table(table, folder / f"part-{i:03d}.parquet", row_group_size=100_000)
        sizes.append(table.drop_columns(["unused"]).nbytes)
    return sizes


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc (Linux)")
def test_streaming_memory_is_bounded_and_independent_of_rows(tmp_path: Path) -> None:
    warm = tmp_path / "warm"
    _write_rows(warm, files=1, rows_per_file=10_000, seed=1)
    file_bytes = _write_rows(tmp_path / "rows-8", files=8, rows_per_file=500_000, seed=2)
    (tmp_path / "rows-2").mkdir()  # the first quarter of the same rows
    for name in ("part-000.parquet", "part-001.parquet"):
        (tmp_path / "rows-2" / name).hardlink_to(tmp_path / "rows-8" / name)
    sizes = {}
    for n_files in (2, 8):  # 1 and 4 million rows
        out = subprocess.run(
            [sys.executable, "-c", _MEASURE, str(tmp_path / f"rows-{n_files}"), str(warm)],
            capture_output=True,
            text=True,
            check=True,
        )
        measured = json.loads(out.stdout)
        assert measured["rows"] == n_files * 500_000
        sizes[n_files] = (sum(file_bytes[:n_files]), measured)
    small_bytes, small = sizes[2]
    big_bytes, big = sizes[8]
    mib = 2**20
    report = (
        f"1M rows ({small_bytes / mib:.0f} MiB of data): {small}; "
        f"4M rows ({big_bytes / mib:.0f} MiB of data): {big}"
    )
    # what the engine allocates (Arrow buffers + Python/numpy objects) is a small fraction of
    # the ~150 MiB the read columns of 4M rows take in memory: a few batches and the cells
    allocated = big["arrow_peak"] + big["python_peak"]
    assert big_bytes > 128 * mib and allocated < 32 * mib, report
    # Arrow's and Python's peaks do not grow with the rows (only with the cells seen)
    assert big["arrow_peak"] - small["arrow_peak"] < 4 * mib, report
    assert big["python_peak"] - small["python_peak"] < 4 * mib, report
    # Peak RSS adds allocator overhead on top (malloc arenas, mimalloc's retained pages:
    # 45-90 MiB measured, varying from run to run with thread timing), so its bounds are looser
    # but still exclude holding the rows: below the data, and 3M more rows (~115 MiB more
    # data) add less than a third of that
    assert big["rss_growth"] < big_bytes, report
    assert big["rss_growth"] - small["rss_growth"] < (big_bytes - small_bytes) / 3, report


# ---------------------------------------------------------------------------------------------
# errors


@pytest.mark.parametrize("engine", ["memory", "stream", "duckdb"])
def test_missing_column_names_column_source_and_close_match(
    engine: str, scored_folder: Path
) -> None:
    if engine == "duckdb":
        pytest.importorskip("duckdb")
    with pytest.raises(DataError) as info:
        group_counts(scored_folder, ["label", "regoin"], {}, engine=engine)
    message = str(info.value)
    assert "key column(s) 'regoin' not in the data; did you mean 'region'?" in message
    assert scored_folder.name in message and "(columns: label, pred, region" in message
    with pytest.raises(
        DataError, match=r"score column\(s\) 'prob' not in the data; did you mean 'proba'"
    ):
        group_counts(scored_folder, ["label"], {"prob": 8}, engine=engine)


@pytest.mark.parametrize("engine", ["memory", "stream", "duckdb"])
def test_nan_and_inf_scores_are_errors_with_their_counts(engine: str, tmp_path: Path) -> None:
    if engine == "duckdb":
        pytest.importorskip("duckdb")
    frame = pd.DataFrame(
        {"y": [0, 1, 0, 1, 1], "proba": [0.1, np.nan, 0.3, np.inf, np.nan], "m": [1.0] * 5}
    )
    path = tmp_path / "bad.parquet"
    frame.to_parquet(path, index=False)
    with pytest.raises(DataError) as info:
        group_counts(path, ["y"], {"m": 4}, thresholds={"yhat": ("proba", 0.5)}, engine=engine)
    assert "bad.parquet: score column 'proba' has 2 missing/NaN and 1 infinite value(s)" in str(
        info.value
    )


@pytest.mark.parametrize("engine", ["memory", "stream", "duckdb"])
def test_non_numeric_score_is_an_error(engine: str) -> None:
    if engine == "duckdb":
        pytest.importorskip("duckdb")
    frame = pd.DataFrame({"y": [0, 1], "proba": ["high", "low"]})
    with pytest.raises(DataError, match="score column 'proba' must be numeric"):
        group_counts(frame, ["y"], {"proba": 8}, engine=engine)


@pytest.mark.parametrize(
    ("module", "engine", "extra"),
    [
        ("duckdb", "duckdb", "duckdb"),
        ("pyspark", "spark", "spark"),
        ("pyarrow", "stream", "parquet"),
    ],
)
def test_missing_optional_dependency_names_the_pip_command(
    module: str, engine: str, extra: str, monkeypatch: pytest.MonkeyPatch, scored: pd.DataFrame
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # makes `import module` raise ImportError
    with pytest.raises(DataError) as info:
        group_counts(scored, ["label"], {}, engine=engine)
    assert str(info.value).startswith(f"engine: {engine} needs ")
    assert f"pip install 'pytest-modelgate[{extra}]'" in str(info.value)


def test_invalid_arguments() -> None:
    frame = pd.DataFrame({"y": [0, 1], "s": [0.1, 0.9]})
    with pytest.raises(ValueError, match="`engine` must be one of memory, stream, duckdb, spark"):
        group_counts(frame, ["y"], {}, engine="polars")
    with pytest.raises(ValueError, match=r"`scores\['s'\]` must be a positive number of bins"):
        group_counts(frame, ["y"], {"s": 0}, engine="memory")
    with pytest.raises(TypeError, match="not a string"):
        group_counts(frame, "y", {}, engine="memory")
    with pytest.raises(ValueError, match="both in `keys` and in `scores`"):
        group_counts(frame, ["y", "s"], {"s": 4}, engine="memory")
    with pytest.raises(ValueError, match="clashes"):
        group_counts(frame, ["y"], {}, thresholds={"y": ("s", 0.5)}, engine="memory")
    with pytest.raises(ValueError, match="finite number"):
        group_counts(frame, ["y"], {}, thresholds={"yhat": ("s", float("nan"))}, engine="memory")


def test_stream_refuses_csv_and_names_the_alternative(tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    pd.DataFrame({"y": [0, 1]}).to_csv(path, index=False)
    with pytest.raises(DataError, match="engine: stream reads Parquet .* or use engine: memory"):
        group_counts(path, ["y"], {}, engine="stream")
    assert group_counts(path, ["y"], {}, engine="memory")[COUNT].tolist() == [1, 1]


def test_progress_line_goes_to_stderr_only_when_asked(
    scored_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    group_counts(scored_folder, ["label"], {"proba": 4}, engine="stream", progress=True)
    err = capsys.readouterr().err
    assert "modelgate stream cells:" in err and "6,000 / 6,000 rows (100%)" in err
    group_counts(scored_folder, ["label"], {"proba": 4}, engine="stream")
    assert capsys.readouterr().err == ""  # not a terminal under pytest
