"""Delta updates: process only new or changed inputs, carry unchanged rows over, drop rows of deleted inputs.

Storage sources keep, per dataset, the identities of the input files each version saw (`dst_*` tables, with the
same visibility ranges as dataset rows). A new version compares the current listing with what the previous
version saw: files whose (source, path) is new or whose (etag, version, last_modified, size) changed go through
the chain; rows of changed and deleted files are closed in one transaction with the insert of the new rows.
Dataset sources compare two versions of the upstream dataset through its own visibility ranges.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

from ..errors import DataChainError
from ..memory.catalog import VersionRecord, create_table, visible_at
from ..memory.expressions import col, fn, join, lit, select_except
from ..memory.schema import Schema, column_spec
from ..memory.sql import ADDED, REMOVED, close_open_rows, column_path, count_rows, quote, table_exists
from .expr import resolve_column


@dataclass(frozen=True)
class DeltaSpec:
    """Which columns identify an input item (`on`) and which columns tell that it changed (`compare`).

    Items are matched with hash joins on these columns (`USING`), so NULL keys never match.
    """

    on: tuple[str, ...]
    compare: tuple[str, ...] = ()
    unsafe: bool = field(default=False, compare=False)  # DataChain's delta_unsafe: recorded, not acted on

    def key_names(self) -> list[str]:
        return [f"_dc_k{i}" for i in range(len(self.on))]

    def identity_names(self) -> list[str]:
        return self.key_names() + [f"_dc_c{i}" for i in range(len(self.compare))]

    def identity(self, schema: Schema, *, with_compare: bool = True) -> list[duckdb.Expression]:
        """Expressions projecting the key (and compare) columns under stable names."""
        keys = [resolve_column(c, schema).alias(n) for c, n in zip(self.on, self.key_names(), strict=True)]
        if not with_compare:
            return keys
        compare = [resolve_column(c, schema).alias(f"_dc_c{i}") for i, c in enumerate(self.compare)]
        return keys + compare


def file_delta(column: str) -> DeltaSpec:
    """Delta for a File column: key (source, path), changed when etag, version, last_modified or size differ."""
    return DeltaSpec(
        on=(f"{column}.source", f"{column}.path"),
        compare=(f"{column}.etag", f"{column}.version", f"{column}.last_modified", f"{column}.size"),
    )


def default_dataset_delta(schema: Schema, delta_on: str | tuple[str, ...] | None) -> DeltaSpec:
    """`delta_on` columns, or the (source, path) of the dataset's first File column."""
    if delta_on:
        return DeltaSpec(on=(delta_on,) if isinstance(delta_on, str) else tuple(delta_on))
    for name, spec in schema.items():
        if spec.kind == "model" and {"source", "path"} <= set(spec.fields):
            return DeltaSpec(on=(f"{name}.source", f"{name}.path"))
    raise DataChainError("delta=True on a dataset without a File column needs delta_on=<key column(s)>")


@dataclass
class DeltaPlan:
    """What a delta save will do: the input rows to process and the keys whose old rows to close."""

    restrict: Callable[[duckdb.DuckDBPyConnection, duckdb.DuckDBPyRelation], duckdb.DuckDBPyRelation]
    close_keys: pa.Table
    fresh: pa.Table | None = None  # identities to add to the seen-state (storage sources)
    new: int = 0
    changed: int = 0
    deleted: int = 0
    unchanged: int = 0
    text: str = field(default="")

    @property
    def empty(self) -> bool:
        return not (self.new or self.changed or self.deleted)

    def summary(self) -> str:
        """`Skipping 10,000 unchanged · processing 500 new`, plus changed and deleted counts when there are any."""
        parts = [f"Skipping {self.unchanged:,} unchanged", f"processing {self.new:,} new"]
        others = ((self.changed, "changed"), (self.deleted, "deleted"))
        parts += [f"{count:,} {what}" for count, what in others if count]
        return " · ".join(parts)


# ----------------------------------------------------------------------------- storage sources


def state_table(dataset: str) -> str:
    """The seen-inputs table of a dataset."""
    digest = hashlib.sha256(dataset.encode()).hexdigest()[:12]
    return f"dst_{re.sub(r'[^A-Za-z0-9_]', '_', dataset)[:48]}_{digest}"


def plan_storage(con: duckdb.DuckDBPyConnection, current: duckdb.DuckDBPyRelation, schema: Schema,
                 spec: DeltaSpec, dataset: str, previous: VersionRecord) -> DeltaPlan | None:
    """Compare the current input with what `previous` saw; None when there is no seen-state to compare with."""
    table = state_table(dataset)
    if not table_exists(con, table):
        return None
    names = spec.identity_names()
    seen_count = con.table(table).filter(visible_at(previous.seq)).aggregate([fn("count")]).fetchall()[0][0]
    if not seen_count and previous.row_count:
        return None  # the previous version was saved without delta: nothing reliable to compare with
    now = current.select(*spec.identity(schema))
    seen = con.table(table).filter(visible_at(previous.seq)).select(*[col(n) for n in names])
    fresh = join(now, seen, names, "anti").to_arrow_table()
    gone = join(seen, now, names, "anti").to_arrow_table()
    keys = spec.key_names()
    fresh_rel, gone_rel = con.from_arrow(fresh), con.from_arrow(gone)
    changed = join(fresh_rel, gone_rel, keys, "semi").aggregate([fn("count")]).fetchall()[0][0]
    total = now.aggregate([fn("count")]).fetchall()[0][0]
    fresh_keys = fresh.select(keys)

    def restrict(con: duckdb.DuckDBPyConnection, rel: duckdb.DuckDBPyRelation) -> duckdb.DuckDBPyRelation:
        marked = rel.select("*", *spec.identity(schema, with_compare=False))
        kept = join(marked, con.from_arrow(fresh_keys), keys, "semi")
        return select_except(kept, keys)

    digest = hashlib.sha256(repr(fresh.to_pydict()).encode()).hexdigest()[:16]
    return DeltaPlan(restrict, gone.select(keys), fresh, new=fresh.num_rows - changed, changed=changed,
                     deleted=gone.num_rows - changed, unchanged=total - fresh.num_rows, text=f"delta:{digest}")


def record_seen(con: duckdb.DuckDBPyConnection, dataset: str, seq: int, identities: pa.Table,
                closed: pa.Table | None, spec: DeltaSpec) -> None:
    """Write the seen-state of version `seq`: everything (`closed` None) or only what changed."""
    table = state_table(dataset)
    if not table_exists(con, table):
        create_table(con, table, con.from_arrow(identities).select(
            "*", lit(0).cast("BIGINT").alias(ADDED), lit(None).cast("BIGINT").alias(REMOVED)).limit(0))
    names = spec.identity_names()
    if closed is None:
        close_open_rows(con, table, seq)
    elif closed.num_rows:
        _close_rows(con, table, closed, [quote(n) for n in spec.key_names()], seq)
    con.from_arrow(identities).select(*[col(n) for n in names], lit(seq).alias(ADDED),
                                      lit(None).alias(REMOVED)).insert_into(table)


def forget_seen(con: duckdb.DuckDBPyConnection, dataset: str, seq: int) -> None:
    """A version saved without storage delta: the next delta run must start from a full comparison."""
    table = state_table(dataset)
    if table_exists(con, table):
        close_open_rows(con, table, seq)


def current_identities(current: duckdb.DuckDBPyRelation, schema: Schema, spec: DeltaSpec) -> pa.Table:
    return current.select(*spec.identity(schema)).to_arrow_table()


# ----------------------------------------------------------------------------- dataset sources


def plan_dataset(con: duckdb.DuckDBPyConnection, old: VersionRecord, new: VersionRecord, spec: DeltaSpec,
                 schema: Schema) -> DeltaPlan | None:
    """Rows added to / removed from the upstream dataset between two of its versions; None if not comparable."""
    if old.table_name != new.table_name:
        return None
    rows = con.table(new.table_name)
    added_cond = visible_at(new.seq) & ~visible_at(old.seq)
    removed = rows.filter(visible_at(old.seq) & ~visible_at(new.seq)).select(
        *spec.identity(schema, with_compare=False)).to_arrow_table()
    added_count = rows.filter(added_cond).aggregate([fn("count")]).fetchall()[0][0]

    def restrict(con: duckdb.DuckDBPyConnection, rel: duckdb.DuckDBPyRelation) -> duckdb.DuckDBPyRelation:
        return con.table(new.table_name).filter(added_cond).select(*[col(c) for c in new.dataset_schema])

    removed_rel = con.from_arrow(removed)
    added_keys = rows.filter(added_cond).select(*spec.identity(schema, with_compare=False))
    changed = join(removed_rel, added_keys, spec.key_names(), "semi").aggregate(
        [fn("count")]).fetchall()[0][0]
    return DeltaPlan(restrict, removed, new=added_count - changed, changed=changed,
                     deleted=removed.num_rows - changed, unchanged=new.row_count - added_count,
                     text=f"delta:{old.version}->{new.version}")


# ----------------------------------------------------------------------------- committing


def close_target_rows(con: duckdb.DuckDBPyConnection, table: str, keys: pa.Table, spec: DeltaSpec,
                      schema: Schema, seq: int) -> int:
    """Close (mark removed at `seq`) the open rows of `table` whose key is in `keys`; returns how many."""
    if not keys.num_rows:
        return 0
    targets = []
    for column in spec.on:
        if column_spec(column, schema) is None:
            raise DataChainError(f"delta needs the key column {column!r} in the saved dataset; keep it in the chain")
        targets.append(column_path(column, nested=column not in schema))
    return _close_rows(con, table, keys, targets, seq)


def _close_rows(con: duckdb.DuckDBPyConnection, table: str, keys: pa.Table, targets: list[str], seq: int) -> int:
    """UPDATE with the keys joined from a registered Arrow table: no key value is written into SQL text."""
    pairs = zip(keys.column_names, targets, strict=True)
    match = " AND ".join(f"k.{quote(n)} IS NOT DISTINCT FROM t.{t}" for n, t in pairs)
    sql = (f"UPDATE {quote(table)} AS t SET {REMOVED} = ? WHERE t.{REMOVED} IS NULL "
           f"AND EXISTS (SELECT 1 FROM _dc_close_keys AS k WHERE {match})")
    con.register("_dc_close_keys", keys)
    con.execute(sql, [seq]).fetchall()  # on failure the transaction is rolled back and the connection closed
    con.unregister("_dc_close_keys")
    return count_rows(con, table, f"{REMOVED} = ?", seq)
