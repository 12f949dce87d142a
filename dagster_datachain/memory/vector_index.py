"""Optional HNSW vector indexes (DuckDB's `vss` extension) on the `list[float]` column of one dataset version.

An index is a table of its own, `vx_...`: the version's rows with the vector column stored as a fixed-size
`FLOAT[n]` array (what HNSW needs), plus an HNSW index on it, persisted in the Data Memory file. It belongs to one
version (name, version and sequence number): a new version has none until one is built, deleting the version
drops it, and `gc()` drops any left without its version. A search fetches a few times `k` nearest candidates from
the index, applies the chain's filters to them and lets the exact distance order them; when fewer than `k`
survive it fetches more, and at last searches exactly. Without the extension (e.g. on DuckDB 2.x, for which
there is no `duckdb-extension-vss` wheel) building an index is refused and exact search keeps working.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import duckdb

from ..errors import DataChainParamsError, DataMemoryConfigError, SchemaError
from . import extensions
from .catalog import VersionRecord, _table_name, version_rows
from .expressions import col, fn, lit
from .sql import drop_table, is_lake, quote

Metric = Literal["cosine", "euclidean", "l2"]

_METRICS: dict[str, tuple[str, str]] = {
    "cosine": ("cosine", "array_cosine_distance"),
    "euclidean": ("l2sq", "array_distance"),  # the l2sq index serves array_distance (same order)
    "l2": ("l2sq", "array_distance"),
}
"""similarity_search metric -> (HNSW metric, the array distance function the index answers)."""

OVERFETCH = 10
"""Candidates fetched from the index per wanted row; with filters, FILTERED_OVERFETCH (a filter keeping a tenth
of the rows then still leaves `k` candidates in one search, mostly)."""
FILTERED_OVERFETCH = 50

EF_SEARCH = 128
"""HNSW's search breadth (`hnsw_ef_search`): at least the number of candidates is always used."""

VSS_DUCKDB = "1.5.5"
"""The DuckDB version the `duckdb-extension-vss` wheel is built for."""

_CATALOG = "dc_vector_indexes"
CATALOG_DDL = (f"CREATE TABLE IF NOT EXISTS {_CATALOG} (name VARCHAR NOT NULL, version VARCHAR NOT NULL, seq BIGINT, "
        "column_name VARCHAR NOT NULL, metric VARCHAR NOT NULL, dims INTEGER, table_name VARCHAR NOT NULL, "
               "vectors BIGINT)")
"""The catalog of indexes, created with Data Memory's other catalog tables."""


@dataclass(frozen=True)
class VectorIndex:
    """An HNSW index on `column` of `name@version` (sequence number `seq`), kept in `table`; `vectors` rows
    have one (the others' vector is NULL)."""

    name: str
    version: str
    seq: int
    column: str
    metric: str
    dims: int
    table: str
    vectors: int


def load_vss(con: duckdb.DuckDBPyConnection) -> None:
    """Load the vss extension from its wheel, or DataMemoryConfigError saying what to install."""
    try:
        extensions.load(con, "vss")
    except DataMemoryConfigError as exc:
        why = str(exc) if duckdb.__version__ == VSS_DUCKDB else f"this is DuckDB {duckdb.__version__}"
        raise DataMemoryConfigError(
            f"vector indexes need DuckDB's vss extension, whose wheel exists for DuckDB {VSS_DUCKDB} only "
            f"(`pip install duckdb=={VSS_DUCKDB} duckdb-extension-vss=={VSS_DUCKDB}`); exact similarity_search "
            f"works without it ({why})") from None


def create(con: duckdb.DuckDBPyConnection, record: VersionRecord, column: str, metric: Metric) -> VectorIndex:
    """Build (or rebuild) the index on `column` of the version `record`; call inside a transaction."""
    if metric not in _METRICS:
        raise DataChainParamsError(f"vector index: unknown metric {metric!r}; use one of {sorted(_METRICS)}")
    spec = record.dataset_schema.get(column)
    if spec is None or spec.kind != "list" or spec.item is None or spec.item.kind != "float":
        raise SchemaError(f"vector index: {record.reference} has no list[float] column {column!r}")
    if is_lake(con):
        raise DataMemoryConfigError("vector indexes live in a local Data Memory file; a DuckLake keeps no indexes")
    load_vss(con)
    con.execute("SET hnsw_enable_experimental_persistence = true")  # the index is kept in the Data Memory file
    rows = version_rows(con, record)
    lengths = rows.aggregate([fn("min", fn("len", col(column))), fn("max", fn("len", col(column))),
                              fn("count", col(column))]).fetchall()[0]
    if lengths[0] is None or lengths[0] != lengths[1] or not lengths[0]:
        raise SchemaError(f"vector index: the vectors in {column!r} of {record.reference} must all have one "
                          f"length, found {lengths[0]}..{lengths[1]}")
    dims, hnsw_metric = int(lengths[0]), _METRICS[metric][0]
    drop(con, record, column, metric)
    table = _table_name("vx", record.name, f"{record.name}@{record.version}#{record.seq}\0{column}\0{hnsw_metric}")
    drop_table(con, table)
    vectors = rows.select(*[col(c) if c != column else col(c).cast(f"FLOAT[{dims}]").alias(c)
                            for c in record.dataset_schema])
    vectors.create(table)
    # identifiers are generated here (quoted); the metric is one of the fixed names above
    con.execute(f"CREATE INDEX {quote(table + '_hnsw')} ON {quote(table)} USING HNSW ({quote(column)}) "
                f"WITH (metric = '{hnsw_metric}')")
    index = VectorIndex(record.name, record.version, record.seq, column, hnsw_metric, dims, table, int(lengths[2]))
    con.execute(f"INSERT INTO {_CATALOG} VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [index.name, index.version, index.seq, index.column, index.metric, index.dims, index.table,
                 index.vectors])
    return index


def find(con: duckdb.DuckDBPyConnection, record: VersionRecord, column: str, metric: Metric) -> VectorIndex | None:
    """The index on `column` of exactly this version (same sequence number) for `metric`, if one was built."""
    if metric not in _METRICS:
        return None
    row = con.execute(f"SELECT dims, table_name, vectors FROM {_CATALOG} WHERE name = ? AND version = ? AND seq = ? "
                      "AND column_name = ? AND metric = ?",
                      [record.name, record.version, record.seq, column, _METRICS[metric][0]]).fetchone()
    if row is None:
        return None
    return VectorIndex(record.name, record.version, record.seq, column, _METRICS[metric][0], int(row[0]), row[1],
                       int(row[2]))


def drop(con: duckdb.DuckDBPyConnection, record: VersionRecord, column: str, metric: Metric) -> bool:
    """Drop the index on `column` of `record` for `metric`; False when there was none."""
    index = find(con, record, column, metric)
    if index is None:
        return False
    _drop(con, index.table)
    return True


def drop_stale(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Drop indexes whose version is gone (deleted, or replaced under the same number) and index tables no
    catalog entry names. Returns the dropped tables."""
    stale = [r[0] for r in con.execute(
        f"SELECT table_name FROM {_CATALOG} i WHERE NOT EXISTS (SELECT 1 FROM dc_versions v "
        "WHERE v.name = i.name AND v.version = i.version AND v.seq = i.seq)").fetchall()]
    used = {r[0] for r in con.execute(f"SELECT table_name FROM {_CATALOG}").fetchall()}
    tables = con.execute("SELECT table_name FROM duckdb_tables() WHERE starts_with(table_name, 'vx_') "
                         "AND database_name = current_database()").fetchall()
    stale += sorted({r[0] for r in tables} - used)
    for table in stale:
        _drop(con, table)
    return stale


def _drop(con: duckdb.DuckDBPyConnection, table: str) -> None:
    drop_table(con, table)
    con.execute(f"DELETE FROM {_CATALOG} WHERE table_name = ?", [table])


Narrow = Callable[[duckdb.DuckDBPyRelation], duckdb.DuckDBPyRelation]


def search(con: duckdb.DuckDBPyConnection, record: VersionRecord, index: VectorIndex, query: Sequence[float],
           k: int, narrow: Narrow | None) -> duckdb.DuckDBPyRelation:
    """The version's rows among the index's nearest candidates to `query` that pass `narrow` (the chain's
    filters), at least `k` of them when the version has that many, in the version's schema; the caller orders
    them by the exact distance. Escalates to more candidates, then to all rows, when the filters keep too few."""
    if len(query) != index.dims:
        raise SchemaError(f"similarity_search: the query has {len(query)} numbers, the vectors in "
                          f"{index.column!r} have {index.dims}")
    load_vss(con)
    vector = lit([float(x) for x in query]).cast(f"FLOAT[{index.dims}]")
    distance = fn(_function(index.metric), col(index.column), vector)
    columns = [col(c) if c != index.column else col(c).cast("FLOAT[]").alias(c) for c in record.dataset_schema]
    if narrow is None and index.vectors >= k:  # no filters: the nearest candidates hold the top k
        con.execute("SET hnsw_ef_search = ?", [max(EF_SEARCH, k * OVERFETCH)])
        return con.table(index.table).sort(distance).limit(k * OVERFETCH).select(*columns)
    wanted = k * (OVERFETCH if narrow is None else FILTERED_OVERFETCH)
    while wanted < record.row_count:
        con.execute("SET hnsw_ef_search = ?", [max(EF_SEARCH, wanted)])
        nearest = con.table(index.table).sort(distance).limit(wanted).select(*columns)
        found = con.from_arrow(nearest.to_arrow_table())
        found = (narrow(found) if narrow is not None else found).to_arrow_table()
        if found.num_rows >= k:
            return con.from_arrow(found)
        wanted *= 8
    rows = version_rows(con, record)
    return narrow(rows) if narrow is not None else rows


def _function(hnsw_metric: str) -> str:
    return next(function for metric, function in _METRICS.values() if metric == hnsw_metric)
