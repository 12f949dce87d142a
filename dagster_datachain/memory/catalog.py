"""The catalog of datasets, versions and listings, and the one-transaction commit of a new version.

In the local file, rows of every version of a dataset share one table per schema. Each row carries the range of
version sequence numbers it is visible in (`_dc_added` <= seq < `_dc_removed`), so a new version that keeps most
rows copies none of them, and reading `name@version` is an integer-range filter.

On a DuckLake, which refuses a commit that updates a table another transaction changed meanwhile, saves are
append-only: each version gets a table of its own (named after the dataset and version, so two processes saving
the same version of a dataset conflict and the loser retries with the next one), and only the catalog tables
are shared, by inserts. A delta save copies the previous version's rows it keeps into the new table.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import duckdb
import pyarrow as pa
from pydantic import BaseModel, Field

from ..errors import DatasetNotFoundError, DatasetVersionExistsError, DatasetVersionNotFoundError
from .expressions import col, lit
from .names import FIRST_VERSION, Bump, SemVer, parse_version, validate_columns
from .schema import Schema, TypeSpec, to_arrow_schema
from .sql import ADDED, REMOVED, close_open_rows, count_rows, drop_table, is_lake, quote, table_exists


class LineageEntry(BaseModel):
    """One input of a dataset version: another dataset version, or a storage listing."""

    kind: Literal["dataset", "listing"]
    name: str  # dataset name, or storage URI of the listing
    version: str | None = None  # dataset version, or listing fingerprint


class VersionRecord(BaseModel):
    """Everything Data Memory knows about one dataset version."""

    name: str
    version: str
    seq: int
    dataset_schema: Schema
    row_count: int
    created_at: datetime
    code_hash: str = ""
    chain_hash: str = ""
    lineage: list[LineageEntry] = Field(default_factory=list)
    run_id: str | None = None
    description: str | None = None
    table_name: str
    stats: dict[str, int] = Field(default_factory=dict)

    @property
    def semver(self) -> SemVer:
        return parse_version(self.version)

    @property
    def reference(self) -> str:
        """`name@version`."""
        return f"{self.name}@{self.version}"


class ListingRecord(BaseModel):
    """A stored listing of one storage prefix."""

    source: str
    prefix: str
    table_name: str
    listed_at: datetime
    fingerprint: str
    file_count: int
    total_size: int
    changed_at: datetime | None = None
    """When the listed content (its fingerprint) last changed; `save_listing` sets it, keeping it across listings
    that found the same files."""

    @property
    def uri(self) -> str:
        return f"{self.source.rstrip('/')}/{self.prefix}"


# --------------------------------------------------------------------------- reading the catalog

_VERSION_COLUMNS = [
    "name", "version", "seq", "schema_json", "row_count", "created_at", "code_hash", "chain_hash",
    "lineage_json", "run_id", "description", "table_name", "stats_json",
]  # fmt: skip


def _version_from_row(row: tuple[Any, ...]) -> VersionRecord:
    data = dict(zip(_VERSION_COLUMNS, row, strict=True))
    return VersionRecord(
        name=data["name"],
        version=data["version"],
        seq=data["seq"],
        dataset_schema={k: TypeSpec.model_validate(v) for k, v in json.loads(data["schema_json"]).items()},
        row_count=data["row_count"],
        created_at=data["created_at"],
        code_hash=data["code_hash"] or "",
        chain_hash=data["chain_hash"] or "",
        lineage=[LineageEntry.model_validate(e) for e in json.loads(data["lineage_json"] or "[]")],
        run_id=data["run_id"],
        description=data["description"],
        table_name=data["table_name"],
        stats=json.loads(data["stats_json"] or "{}"),
    )


def list_versions(con: duckdb.DuckDBPyConnection, name: str | None = None) -> list[VersionRecord]:
    """Versions of one dataset (or all), oldest first by semantic version."""
    rel = con.table("dc_versions")
    if name is not None:
        rel = rel.filter(col("name") == lit(name))
    rows = rel.sort(col("name"), col("major"), col("minor"), col("patch")).select(*_VERSION_COLUMNS).fetchall()
    return [_version_from_row(r) for r in rows]


def get_version(con: duckdb.DuckDBPyConnection, name: str, version: SemVer | None = None) -> VersionRecord:
    """One version (the latest when `version` is None); raises DatasetNotFoundError / DatasetVersionNotFoundError."""
    versions = list_versions(con, name)
    if not versions:
        raise DatasetNotFoundError(f"dataset {name!r} not found in Data Memory")
    if version is None:
        return versions[-1]
    for record in versions:
        if record.semver == version:
            return record
    known = ", ".join(r.version for r in versions)
    raise DatasetVersionNotFoundError(f"dataset {name!r} has no version {version} (versions: {known})")


def visible_at(seq: int) -> duckdb.Expression:
    """The condition that a row is part of the version with sequence number `seq`."""
    return (col(ADDED) <= lit(seq)) & (col(REMOVED).isnull() | (col(REMOVED) > lit(seq)))


def version_rows(con: duckdb.DuckDBPyConnection, record: VersionRecord) -> duckdb.DuckDBPyRelation:
    """The rows of one version, as a lazy relation with the version's columns."""
    return con.table(record.table_name).filter(visible_at(record.seq)).select(*[col(c) for c in record.dataset_schema])


def _table_name(prefix: str, name: str, key: str) -> str:
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    return f"{prefix}_{re.sub(r'[^A-Za-z0-9_]', '_', name)[:48]}_{digest}"


# --------------------------------------------------------------------------- committing a version


def next_version(previous: VersionRecord | None, schema: Schema, bump: Bump | None, code_hash: str = "") -> SemVer:
    """1.0.0 first; then PATCH, or MINOR when the schema or the producing code changed, or what `bump` says."""
    if previous is None:
        return FIRST_VERSION
    if bump is None:
        schema_changed = _schema_key(previous.dataset_schema) != _schema_key(schema)
        bump = "minor" if schema_changed or code_hash != previous.code_hash else "patch"
    return previous.semver.bump(bump)


def commit_version(
    con: duckdb.DuckDBPyConnection,
    *,
    name: str,
    version: SemVer,
    schema: Schema,
    rows: duckdb.DuckDBPyRelation,
    code_hash: str = "",
    chain_hash: str = "",
    lineage: list[LineageEntry] | None = None,
    run_id: str | None = None,
    description: str | None = None,
    close: Callable[[duckdb.DuckDBPyConnection, str, int], int] | None = None,
) -> VersionRecord:
    """Insert `rows` as `name@version`; call inside `Memory.transaction()` so it lands whole or not at all.

    By default every row of the previous version is replaced. A delta save passes `close(con, table, seq)`,
    which closes only the rows that changed and returns how many; all other rows carry over uncopied.
    """
    validate_columns(schema)
    existing = list_versions(con, name)
    if any(r.semver == version for r in existing):
        raise DatasetVersionExistsError(f"{name}@{version} already exists; versions are immutable")
    seq = max((r.seq for r in existing), default=0) + 1
    previous = existing[-1] if existing else None
    if is_lake(con):
        table = _version_table(con, name, version, schema)
        if close is not None and previous is not None and _schema_key(previous.dataset_schema) == _schema_key(schema):
            kept = [col(c) for c in schema] + [col(ADDED), col(REMOVED)]
            con.table(previous.table_name).filter(visible_at(previous.seq)).select(*kept).insert_into(table)
            removed = close(con, table, seq)
        else:
            removed = previous.row_count if previous else 0
    else:
        table = _ensure_table(con, name, schema)
        if close is not None and previous is not None and previous.table_name == table:
            removed = close(con, table, seq)
        else:
            close_open_rows(con, table, seq)
            removed = previous.row_count if previous else 0
    rows.select(*[col(c) for c in schema], lit(seq).alias(ADDED), lit(None).alias(REMOVED)).insert_into(table)
    added = count_rows(con, table, f"{ADDED} = ?", seq)
    row_count = count_rows(con, table, f"{ADDED} <= ? AND {REMOVED} IS NULL", seq)
    record = VersionRecord(
        name=name,
        version=str(version),
        seq=seq,
        dataset_schema=schema,
        row_count=row_count,
        created_at=datetime.now(UTC),
        code_hash=code_hash,
        chain_hash=chain_hash,
        lineage=lineage or [],
        run_id=run_id,
        description=description,
        table_name=table,
        stats={"added": added, "removed": removed},
    )
    _insert_version(con, record)
    return record


def _insert_version(con: duckdb.DuckDBPyConnection, record: VersionRecord) -> None:
    semver = record.semver
    values = [
        record.name, record.version, record.seq, semver.major, semver.minor, semver.patch,
        json.dumps({k: v.model_dump(exclude_defaults=True) for k, v in record.dataset_schema.items()}),
        record.row_count, record.created_at, record.code_hash, record.chain_hash,
        json.dumps([e.model_dump() for e in record.lineage]), record.run_id, record.description,
        record.table_name, json.dumps(record.stats),
    ]  # fmt: skip
    columns = "name, version, seq, major, minor, patch, " + ", ".join(_VERSION_COLUMNS[3:])
    con.execute(f"INSERT INTO dc_versions ({columns}) VALUES ({', '.join('?' * len(values))})", values)


def _schema_key(schema: Schema) -> str:
    return str(to_arrow_schema(schema))


def create_table(con: duckdb.DuckDBPyConnection, table: str, like: duckdb.DuckDBPyRelation) -> None:
    """Create an empty `table` with the columns and types of `like` (insert rows separately, once).

    Within one transaction, DuckDB 2.0 loses a large insert into a table that already received an empty
    insert: the rows read back as nothing on the database's other connections until the file is reopened.
    `rel.create()` inserts (possibly nothing) as it creates, so tables are made with plain DDL instead.
    """
    columns = ", ".join(f"{quote(name)} {sql_type}" for name, sql_type in zip(like.columns, like.types, strict=True))
    con.execute(f"CREATE TABLE {quote(table)} ({columns})")


def _ensure_table(con: duckdb.DuckDBPyConnection, name: str, schema: Schema) -> str:
    """The rows table for this dataset and schema, created empty on first use."""
    table = _schema_table_name(name, schema)
    if not table_exists(con, table):
        _create_rows_table(con, table, schema)
    return table


def _version_table(con: duckdb.DuckDBPyConnection, name: str, version: SemVer, schema: Schema) -> str:
    """A new, empty rows table of its own for `name@version` (a lake's append-only layout)."""
    table = _version_table_name(name, str(version))
    drop_table(con, table)  # left by a version deleted since: the catalog no longer refers to it
    _create_rows_table(con, table, schema)
    return table


def _create_rows_table(con: duckdb.DuckDBPyConnection, table: str, schema: Schema) -> None:
    empty = pa.Table.from_batches([], to_arrow_schema(schema))
    create_table(con, table, con.from_arrow(empty).select(
        "*", lit(0).cast("BIGINT").alias(ADDED), lit(None).cast("BIGINT").alias(REMOVED)))


def _schema_table_name(name: str, schema: Schema) -> str:
    """The local file's rows table of a dataset: one per schema, shared by its versions."""
    return _table_name("ds", name, f"{name}\0{_schema_key(schema)}")


def _version_table_name(name: str, version: str) -> str:
    """A lake's rows table of one version."""
    return _table_name("ds", name, f"{name}@{version}")


def rename_dataset(con: duckdb.DuckDBPyConnection, name: str, new_name: str) -> int:
    """Give every version of `name` the name `new_name` (rows tables, attributes and other datasets' lineage
    follow); call inside a transaction. Returns how many versions moved."""
    versions = list_versions(con, name)
    if not versions:
        raise DatasetNotFoundError(f"Dataset {name} not found in namespace local and project local")
    if list_versions(con, new_name):
        raise DatasetVersionExistsError(f"dataset {new_name!r} already exists: delete it first or choose another name")
    lake = is_lake(con)
    for record in {r.table_name: r for r in versions}.values():
        table = (_version_table_name(new_name, record.version) if lake
                 else _schema_table_name(new_name, record.dataset_schema))
        con.execute(f"ALTER TABLE {quote(record.table_name)} RENAME TO {quote(table)}")
        con.execute("UPDATE dc_versions SET table_name = ? WHERE name = ? AND table_name = ?",
                    [table, name, record.table_name])
    con.execute("UPDATE dc_versions SET name = ? WHERE name = ?", [new_name, name])
    con.execute("UPDATE dc_attrs SET name = ? WHERE name = ?", [new_name, name])
    for record in list_versions(con):
        if any(e.kind == "dataset" and e.name == name for e in record.lineage):
            lineage = [e.model_copy(update={"name": new_name}) if e.kind == "dataset" and e.name == name else e
                       for e in record.lineage]
            con.execute("UPDATE dc_versions SET lineage_json = ? WHERE name = ? AND version = ?",
                        [json.dumps([e.model_dump() for e in lineage]), record.name, record.version])
    return len(versions)


def delete_versions(con: duckdb.DuckDBPyConnection, name: str, version: SemVer | None = None) -> int:
    """Remove one version (or all) from the catalog and drop rows no remaining version can see."""
    victims = [r for r in list_versions(con, name) if version is None or r.semver == version]
    if not victims:
        get_version(con, name, version)  # raises the precise not-found error
    for record in victims:
        con.execute("DELETE FROM dc_versions WHERE name = ? AND version = ?", [name, record.version])
        con.execute("DELETE FROM dc_attrs WHERE name = ? AND version = ?", [name, record.version])
    remaining = list_versions(con, name)
    for table in {r.table_name for r in victims}:
        seqs = [r.seq for r in remaining if r.table_name == table]
        if not seqs:
            drop_table(con, table)
            continue
        con.execute(
            f"DELETE FROM {quote(table)} WHERE NOT list_has_any(?::BIGINT[], "
            f"range({ADDED}, coalesce({REMOVED}, ? + 1)))",
            [seqs, max(seqs)],
        )
    return len(victims)


def set_attrs(con: duckdb.DuckDBPyConnection, record: VersionRecord, attrs: list[str]) -> None:
    """Label a version with user attributes (`"team=vision"`, `"raw"`), as DataChain's `save(attrs=)` does."""
    con.execute("INSERT INTO dc_attrs VALUES (?, ?, ?)", [record.name, record.version, json.dumps(list(attrs))])


def all_attrs(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], list[str]]:
    """(name, version) -> the attributes its save gave it."""
    rows = con.execute("SELECT name, version, attrs_json FROM dc_attrs").fetchall()
    return {(name, version): json.loads(attrs) for name, version, attrs in rows}


# --------------------------------------------------------------------------- listings


_LISTING_COLUMNS = ("source", "prefix", "table_name", "listed_at", "fingerprint", "file_count", "total_size",
                    "changed_at")


def get_listing(con: duckdb.DuckDBPyConnection, source: str, prefix: str) -> ListingRecord | None:
    """The latest listing of `prefix` in `source` (a lake keeps earlier entries: its catalog is append-only)."""
    rows = (
        con.table("dc_listings")
        .filter((col("source") == lit(source)) & (col("prefix") == lit(prefix)))
        .select(*_LISTING_COLUMNS)
        .sort(col("listed_at").desc())
        .limit(1)
        .fetchall()
    )
    if not rows:
        return None
    return ListingRecord(**dict(zip(_LISTING_COLUMNS, rows[0], strict=True)))


def list_listings(con: duckdb.DuckDBPyConnection) -> list[ListingRecord]:
    rows = con.table("dc_listings").select("source", "prefix").distinct().sort("source", "prefix").fetchall()
    return [r for r in (get_listing(con, s, p) for s, p in rows) if r is not None]


def save_listing(con: duckdb.DuckDBPyConnection, record: ListingRecord, rows: Path | None) -> ListingRecord:
    """Store a listing: replace its rows from the Parquet file `rows` when given, else only refresh its time
    (inside a transaction). Its `changed_at` stays that of the stored listing when the fingerprint is the same."""
    digest = hashlib.sha256(f"{record.source}\0{record.prefix}".encode()).hexdigest()[:16]
    stored = get_listing(con, record.source, record.prefix)
    same = stored is not None and stored.fingerprint == record.fingerprint
    changed_at = (stored.changed_at if stored is not None and same else None) or record.listed_at
    record = record.model_copy(update={"table_name": f"lst_{digest}", "changed_at": changed_at})
    if rows is not None:
        drop_table(con, record.table_name)
        rel = con.read_parquet(str(rows))
        create_table(con, record.table_name, rel)
        rel.insert_into(record.table_name)
    if not is_lake(con):  # a lake's readers take the latest entry: a DELETE would conflict with other listings
        con.execute("DELETE FROM dc_listings WHERE source = ? AND prefix = ?", [record.source, record.prefix])
    con.execute(
        f"INSERT INTO dc_listings ({', '.join(_LISTING_COLUMNS)}) VALUES ({', '.join('?' * len(_LISTING_COLUMNS))})",
        [getattr(record, column) for column in _LISTING_COLUMNS],
    )
    return record


def drop_orphan_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Drop row and listing tables that no catalog entry refers to any more (left by crashed processes)."""
    used = {r[0] for r in con.execute("SELECT DISTINCT table_name FROM dc_versions").fetchall()}
    used |= {r[0] for r in con.execute("SELECT table_name FROM dc_listings").fetchall()}
    tables = con.execute("SELECT table_name FROM duckdb_tables() WHERE regexp_matches(table_name, '^(ds|lst)_') "
                         "AND database_name = current_database()")
    orphans = sorted({r[0] for r in tables.fetchall()} - used)
    for table in orphans:
        drop_table(con, table)
    return orphans
