"""Sources and query steps of a chain. Each step turns a DuckDB relation into the next one; no rows pass
through Python. `text` is a stable description that fingerprints the step for checkpoints and versions."""

from __future__ import annotations

import hashlib
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from functools import reduce
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import duckdb
import pyarrow as pa

from ..errors import SchemaError
from ..memory import vector_index
from ..memory.catalog import LineageEntry, ListingRecord, VersionRecord, version_rows
from ..memory.expressions import col, distinct_on, field, fn, group, join, offset, select_except, star, windows
from ..memory.schema import Schema, to_arrow_schema
from ..udf.signature import UDF
from .delta import DeltaPlan, DeltaSpec
from .expr import C, Expr, column_or_expr, resolve_column

if TYPE_CHECKING:
    from .chain import DataChain


class Compiler(Protocol):
    """Gives the relation of a (sub-)chain: the real rows, or an empty stand-in for schema inference."""

    con: duckdb.DuckDBPyConnection

    def relation(self, chain: DataChain) -> duckdb.DuckDBPyRelation: ...


# ============================================================================ sources


class Source:
    """Where a chain's rows start; `delta` says how to find new or changed input items, if enabled."""

    schema: Schema
    text: str
    delta: DeltaSpec | None = None

    def relation(self, con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyRelation:
        raise NotImplementedError

    def lineage(self) -> list[LineageEntry]:
        return []


@dataclass(eq=False)
class DatasetSource(Source):
    record: VersionRecord
    delta: DeltaSpec | None = None

    def __post_init__(self) -> None:
        self.schema = self.record.dataset_schema
        self.text = f"dataset:{self.record.name}@{self.record.version}#{self.record.seq}"

    def relation(self, con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyRelation:
        return version_rows(con, self.record)

    def lineage(self) -> list[LineageEntry]:
        return [LineageEntry(kind="dataset", name=self.record.name, version=self.record.version)]


@dataclass(eq=False)
class IndexedSearchSource(DatasetSource):
    """A dataset version narrowed by `filters` for a top-`k` similarity search: through the version's vector
    index on `column` when one was built (candidates from the index, then the filters), else all its rows."""

    column: str = ""
    metric: vector_index.Metric = "cosine"
    query: tuple[float, ...] = ()
    k: int = 0
    filters: tuple[Filter, ...] = ()

    def __post_init__(self) -> None:
        super().__post_init__()
        self.text += "".join(f"\n{f.text}" for f in self.filters)  # the plain chain's fingerprint

    def relation(self, con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyRelation:
        def narrow(rel: duckdb.DuckDBPyRelation) -> duckdb.DuckDBPyRelation:
            return reduce(lambda r, f: f.apply(r, self.schema, _NoSubchains(con)), self.filters, rel)

        index = vector_index.find(con, self.record, self.column, self.metric)
        if index is None:
            return narrow(version_rows(con, self.record))
        return vector_index.search(con, self.record, index, self.query, self.k, narrow if self.filters else None)


@dataclass
class _NoSubchains:
    """The compiler a filter inside a source gets: filters have no sub-chains."""

    con: duckdb.DuckDBPyConnection

    def relation(self, chain: DataChain) -> duckdb.DuckDBPyRelation:
        raise AssertionError("a filter has no sub-chains")


@dataclass(eq=False)
class ListingSource(Source):
    listing: ListingRecord
    regex: str | None
    column: str
    schema: Schema
    delta: DeltaSpec | None = None

    def __post_init__(self) -> None:
        self.text = f"listing:{self.listing.uri}#{self.listing.fingerprint}|{self.regex}|{self.column}"

    def relation(self, con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyRelation:
        rel = con.table(self.listing.table_name)
        condition = field(col("file"), "is_latest")
        if self.regex:
            condition = condition & fn("regexp_full_match", field(col("file"), "path"), self.regex)
        return rel.filter(condition).sort(field(col("file"), "path")).select(col("file").alias(self.column))

    def lineage(self) -> list[LineageEntry]:
        return [LineageEntry(kind="listing", name=self.listing.uri, version=self.listing.fingerprint)]


@dataclass(eq=False)
class ArrowSource(Source):
    """Rows held in memory (read_values, read_pandas)."""

    table: pa.Table
    schema: Schema

    def __post_init__(self) -> None:
        digest = hashlib.sha256()
        for batch in self.table.to_batches():
            sink = pa.BufferOutputStream()
            with pa.ipc.new_stream(sink, batch.schema) as writer:
                writer.write_batch(batch)
            digest.update(sink.getvalue().to_pybytes())
        self.text = f"values:{digest.hexdigest()[:24]}"

    def relation(self, con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyRelation:
        return con.from_arrow(self.table)


@dataclass(eq=False)
class FileSource(Source):
    """A CSV, Parquet or JSON file (or glob of them) read by DuckDB directly."""

    kind: str
    paths: list[str]
    options: dict[str, Any]
    schema: Schema

    def __post_init__(self) -> None:
        stats = [f"{p}:{Path(p).stat().st_mtime_ns}:{Path(p).stat().st_size}" if Path(p).exists() else p
                 for p in self.paths]
        self.text = f"{self.kind}:{stats}:{sorted(self.options.items())}"

    def relation(self, con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyRelation:
        reader: Any = {"csv": con.read_csv, "parquet": con.read_parquet, "json": con.read_json}[self.kind]
        target: Any = self.paths if len(self.paths) > 1 else self.paths[0]
        return reader(target, **self.options)


@dataclass(eq=False)
class RestrictedSource(Source):
    """A delta-enabled source narrowed to the input items a delta plan says to process."""

    base: Source
    plan: DeltaPlan

    def __post_init__(self) -> None:
        self.schema = self.base.schema
        self.text = f"{self.base.text}|{self.plan.text}"

    def relation(self, con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyRelation:
        return self.plan.restrict(con, self.base.relation(con))

    def lineage(self) -> list[LineageEntry]:
        return self.base.lineage()


@dataclass(eq=False)
class PartsSource(Source):
    """The committed parts of a UDF step: its output rows."""

    paths: list[Path]
    schema: Schema
    key: str
    upstream: list[LineageEntry]

    def __post_init__(self) -> None:
        self.text = f"parts:{self.key}"

    def relation(self, con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyRelation:
        if not self.paths:
            return con.from_arrow(pa.Table.from_batches([], to_arrow_schema(self.schema)))
        # parts are listed by their first unit and hold their rows in unit order, so the scan (which keeps file
        # and row order) is already in input order: no sort, which would hold every output row at once
        return con.read_parquet([str(p) for p in self.paths]).select(*[col(c) for c in self.schema])

    def lineage(self) -> list[LineageEntry]:
        return self.upstream


# ============================================================================ query steps


class Step:
    """One lazy transformation of a relation."""

    text: str

    def apply(self, rel: duckdb.DuckDBPyRelation, schema: Schema, compiler: Compiler) -> duckdb.DuckDBPyRelation:
        raise NotImplementedError

    def subchains(self) -> list[DataChain]:
        return []


@dataclass(eq=False)
class Filter(Step):
    condition: Expr

    def __post_init__(self) -> None:
        self.text = f"filter({self.condition.text})"

    def apply(self, rel: duckdb.DuckDBPyRelation, schema: Schema, compiler: Compiler) -> duckdb.DuckDBPyRelation:
        with windows() as window_functions:
            condition = self.condition.build(schema)
        if not self.condition.is_window:
            return rel.filter(condition)
        # SQL evaluates window functions after WHERE: compute the condition as a column first
        marked = window_functions.select(rel, condition.alias(_KEEP))
        return select_except(marked.filter(col(_KEEP)), [_KEEP])


_KEEP = "_dc_keep"


@dataclass(eq=False)
class Mutate(Step):
    columns: dict[str, Expr]

    def __post_init__(self) -> None:
        self.text = "mutate(" + ", ".join(f"{k}={v.text}" for k, v in self.columns.items()) + ")"

    def apply(self, rel: duckdb.DuckDBPyRelation, schema: Schema, compiler: Compiler) -> duckdb.DuckDBPyRelation:
        for name, expr in self.columns.items():
            if expr.is_aggregate:
                raise SchemaError(f"mutate: {name}={expr.text} is an aggregate; use it in group_by")
        with windows() as window_functions:
            new = [expr.build(schema).alias(name) for name, expr in self.columns.items()]
        return window_functions.select(rel, *new, exclude=[name for name in self.columns if name in schema])


@dataclass(eq=False)
class Select(Step):
    columns: tuple[str, ...]
    exclude: bool = False

    def __post_init__(self) -> None:
        self.text = f"{'select_except' if self.exclude else 'select'}{self.columns}"

    def apply(self, rel: duckdb.DuckDBPyRelation, schema: Schema, compiler: Compiler) -> duckdb.DuckDBPyRelation:
        exprs = [resolve_column(c, schema).alias(c) for c in self.columns]  # validates every name
        if not self.exclude:
            return rel.select(*exprs)
        nested = [c for c in self.columns if c not in schema]
        if nested:
            raise SchemaError(f"select_except takes top-level columns only, not {', '.join(nested)}")
        return select_except(rel, self.columns)


@dataclass(eq=False)
class OrderBy(Step):
    keys: tuple[str | Expr, ...]
    descending: bool

    def __post_init__(self) -> None:
        self.text = f"order_by({[column_or_expr(k).text for k in self.keys]}, desc={self.descending})"

    def apply(self, rel: duckdb.DuckDBPyRelation, schema: Schema, compiler: Compiler) -> duckdb.DuckDBPyRelation:
        exprs = [column_or_expr(k).build(schema) for k in self.keys]
        return rel.sort(*[e.desc() if self.descending else e for e in exprs])


@dataclass(eq=False)
class Slice(Step):
    limit: int | None
    offset: int = 0

    def __post_init__(self) -> None:
        self.text = f"slice({self.limit}, {self.offset})"

    def apply(self, rel: duckdb.DuckDBPyRelation, schema: Schema, compiler: Compiler) -> duckdb.DuckDBPyRelation:
        if self.limit is None:
            return offset(rel, self.offset)
        return rel.limit(self.limit, self.offset)


@dataclass(eq=False)
class GroupBy(Step):
    partition_by: tuple[str | Expr, ...]
    aggregates: dict[str, Expr]

    def __post_init__(self) -> None:
        keys = [f"{k.text}.label({k.label_name!r})" if k.label_name else k.text
                for k in (column_or_expr(k) for k in self.partition_by)]
        self.text = f"group_by({keys}, " + ", ".join(f"{k}={v.text}" for k, v in self.aggregates.items()) + ")"

    def apply(self, rel: duckdb.DuckDBPyRelation, schema: Schema, compiler: Compiler) -> duckdb.DuckDBPyRelation:
        keys = [(name, expr.build(schema)) for name, expr in group_keys(self.partition_by)]
        aggregates = [e.build(schema).alias(n) for n, e in self.aggregates.items()]
        try:
            return group(rel, keys, aggregates)
        except duckdb.BinderException:
            for name, expr in self.aggregates.items():
                if not expr.is_aggregate:
                    raise SchemaError(f"group_by: {name}={expr.text} is not an aggregate (use func.count, "
                                      "func.sum, ...) nor a function of the partition_by keys") from None
            raise


def group_keys(partition_by: Sequence[str | Expr]) -> list[tuple[str, Expr]]:
    """`group_by` keys as (name, expression), as DataChain orders and names them: columns first (by their
    names), then expressions, named by `.label()` or else `gr_0`, `gr_1`..."""
    columns = [k for k in partition_by if isinstance(k, str) or (isinstance(k, C) and k.label_name is None)]
    exprs = [column_or_expr(k) for k in partition_by if not any(k is c for c in columns)]
    named = [(k if isinstance(k, str) else k.name, column_or_expr(k)) for k in columns]
    return named + [(e.label_name or f"gr_{i}", e) for i, e in enumerate(exprs)]


@dataclass(eq=False)
class Merge(Step):
    right: DataChain
    on: tuple[str, ...]
    right_on: tuple[str, ...]
    how: str
    rname: str

    def __post_init__(self) -> None:
        self.text = f"merge({self.right.fingerprint()}, {self.on}, {self.right_on}, {self.how}, {self.rname})"

    def subchains(self) -> list[DataChain]:
        return [self.right]

    def apply(self, rel: duckdb.DuckDBPyRelation, schema: Schema, compiler: Compiler) -> duckdb.DuckDBPyRelation:
        right_schema = self.right.specs
        left_keys = [resolve_column(k, schema) for k in self.on]
        right_keys = [resolve_column(k, right_schema) for k in self.right_on]
        left = rel.select(star(), *[k.alias(f"_dc_lk{i}") for i, k in enumerate(left_keys)])
        right_rel = compiler.relation(self.right)
        right = right_rel.select(*[col(c).alias(f"_dc_r_{c}") for c in right_schema],
                                 *[k.alias(f"_dc_rk{i}") for i, k in enumerate(right_keys)])
        terms = [col(f"_dc_lk{i}") == col(f"_dc_rk{i}") for i in range(len(left_keys))]
        joined = join(left, right, reduce(operator.and_, terms), self.how)
        renamed = [col(f"_dc_r_{c}").alias(self.rname + c if c in schema else c) for c in right_schema]
        return joined.select(*[col(c) for c in schema], *renamed)


@dataclass(eq=False)
class Union(Step):
    other: DataChain

    def __post_init__(self) -> None:
        self.text = f"union({self.other.fingerprint()})"

    def subchains(self) -> list[DataChain]:
        return [self.other]

    def apply(self, rel: duckdb.DuckDBPyRelation, schema: Schema, compiler: Compiler) -> duckdb.DuckDBPyRelation:
        mine, theirs = to_arrow_schema(schema), to_arrow_schema(self.other.specs)
        if set(mine.names) != set(theirs.names) or any(
            not mine.field(n).type.equals(theirs.field(n).type) for n in mine.names
        ):
            raise SchemaError(f"union needs the same columns and types; got {mine.names} and {theirs.names}")
        return rel.union(compiler.relation(self.other).select(*[col(c) for c in schema]))


@dataclass(eq=False)
class Subtract(Step):
    other: DataChain
    on: tuple[str, ...]
    right_on: tuple[str, ...]

    def __post_init__(self) -> None:
        self.text = f"subtract({self.other.fingerprint()}, {self.on}, {self.right_on})"

    def subchains(self) -> list[DataChain]:
        return [self.other]

    def apply(self, rel: duckdb.DuckDBPyRelation, schema: Schema, compiler: Compiler) -> duckdb.DuckDBPyRelation:
        names = [f"_dc_k{i}" for i in range(len(self.on))]
        left = rel.select("*", *[resolve_column(k, schema).alias(n) for k, n in zip(self.on, names, strict=True)])
        right = compiler.relation(self.other).select(
            *[resolve_column(k, self.other.specs).alias(n) for k, n in zip(self.right_on, names, strict=True)])
        return select_except(join(left, right, names, "anti"), names)  # a hash join on the keys


@dataclass(eq=False)
class Distinct(Step):
    on: tuple[str, ...]

    def __post_init__(self) -> None:
        self.text = f"distinct{self.on}"

    def apply(self, rel: duckdb.DuckDBPyRelation, schema: Schema, compiler: Compiler) -> duckdb.DuckDBPyRelation:
        if not self.on:
            return rel.distinct()
        return distinct_on(rel, [resolve_column(c, schema) for c in self.on])


@dataclass(eq=False)
class Shuffle(Step):
    """Random order, optionally only the first `limit` rows of it (`sample`)."""

    limit: int | None = None

    def __post_init__(self) -> None:
        self.text = f"shuffle({self.limit})"

    def apply(self, rel: duckdb.DuckDBPyRelation, schema: Schema, compiler: Compiler) -> duckdb.DuckDBPyRelation:
        shuffled = rel.sort(fn("random"))
        return shuffled if self.limit is None else shuffled.limit(self.limit)


@dataclass(eq=False)
class UDFStep(Step):
    """A step that runs user code; the chain executes it through the checkpointed runner, not as a relation."""

    udf: UDF

    def __post_init__(self) -> None:
        self.text = f"udf:{self.udf.signature_key}"

    def output_schema(self, schema: Schema) -> Schema:
        if self.udf.kind in ("map", "batch_map"):
            return {**{k: v for k, v in schema.items() if k not in self.udf.output}, **self.udf.output}
        return dict(self.udf.output)


def names(value: str | C | Sequence[str | C] | None) -> tuple[str, ...]:
    """Normalise `on=`/`partition_by=` arguments to a tuple of column names."""
    if value is None:
        return ()
    items = [value] if isinstance(value, (str, Expr)) else list(value)
    result = []
    for item in items:
        if isinstance(item, C):
            result.append(item.name)
        elif isinstance(item, str):
            result.append(item)
        else:
            raise SchemaError(f"expected column names, got {item!r}")
    return tuple(result)

