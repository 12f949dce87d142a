"""What changed between two dataset versions, computed in DuckDB: rows added, removed and changed.

Rows are compared whole (as JSON, so versions with different schemas compare too). A row is *changed* when its
File key (source, path) is in both versions with different values. Two versions in the same rows table share
every unchanged row physically, so only the rows that one sees and the other does not are compared.
"""

from __future__ import annotations

from typing import NamedTuple

import duckdb

from ..memory.catalog import ADDED, REMOVED, VersionRecord
from ..memory.schema import Schema


class ChangeCounts(NamedTuple):
    """How many rows a version added, removed and changed relative to another."""

    added: int
    removed: int
    changed: int

    def __str__(self) -> str:
        return f"+{self.added} ~{self.changed} -{self.removed}"


def file_key(schema: Schema) -> str | None:
    """The first column holding a File (a model with `source` and `path`), which identifies a row's file."""
    for column, spec in schema.items():
        if spec.kind == "model" and {"source", "path"} <= set(spec.fields):
            return column
    return None


def version_changes(con: duckdb.DuckDBPyConnection, old: VersionRecord, new: VersionRecord) -> duckdb.DuckDBPyRelation:
    """Rows `(change, row)`: `added` and `changed` rows as in `new`, `removed` rows as in `old`; rows as JSON."""
    return con.sql(f"{_compare(old, new)} SELECT change, v AS row FROM changes WHERE v IS NOT NULL ORDER BY change, k, v",
                   params={"old": old.seq, "new": new.seq})


def count_changes(con: duckdb.DuckDBPyConnection, old: VersionRecord | None, new: VersionRecord) -> ChangeCounts:
    """Counts of added, removed and changed rows from `old` to `new` (everything added when `old` is None)."""
    if old is None:
        return ChangeCounts(new.row_count, 0, 0)
    sql = (f"{_compare(old, new)} SELECT count(*) FILTER (change = 'added'), count(*) FILTER (change = 'removed'), "
           "count(DISTINCT k) FILTER (change = 'changed') FROM changes")
    added, removed, changed = con.execute(sql, {"old": old.seq, "new": new.seq}).fetchall()[0]
    return ChangeCounts(added, removed, changed)


def _compare(old: VersionRecord, new: VersionRecord) -> str:
    """A WITH clause defining `changes(change, k, v)`; parameters `$old` and `$new` are the two sequence numbers."""
    key = file_key(new.dataset_schema)
    if key is None or file_key(old.dataset_schema) != key:
        key = None
    return f"""WITH
        new_rows AS ({_rows(new, "$new", old, "$old", key)}),
        old_rows AS ({_rows(old, "$old", new, "$new", key)}),
        new_keys AS (SELECT DISTINCT {_key(key)} AS k FROM {quote_identifier(new.table_name)} WHERE {_visible("$new")}),
        old_keys AS (SELECT DISTINCT {_key(key)} AS k FROM {quote_identifier(old.table_name)} WHERE {_visible("$old")}),
        new_only AS (FROM new_rows EXCEPT ALL FROM old_rows),
        old_only AS (FROM old_rows EXCEPT ALL FROM new_rows),
        changes AS (
            SELECT 'added' AS change, k, v FROM new_only ANTI JOIN old_keys USING (k)
            UNION ALL SELECT 'removed', k, v FROM old_only ANTI JOIN new_keys USING (k)
            UNION ALL SELECT 'changed', k, v FROM new_only SEMI JOIN old_keys USING (k)
            UNION ALL SELECT 'changed', k, NULL FROM old_only SEMI JOIN new_keys USING (k))"""


def _rows(record: VersionRecord, seq: str, other: VersionRecord, other_seq: str, key: str | None) -> str:
    """(k, v) of the rows of `record` that `other` may not share: all of them unless both use one table."""
    where = _visible(seq)
    if other.table_name == record.table_name:
        where += f" AND NOT ({_visible(other_seq)})"
    columns = ", ".join(quote_identifier(c) for c in record.dataset_schema)
    return (f"SELECT {_key(key, 'r.')} AS k, to_json(r) AS v "
            f"FROM (SELECT {columns} FROM {quote_identifier(record.table_name)} WHERE {where}) r")


def _key(column: str | None, prefix: str = "") -> str:
    return f"row({prefix}{quote_identifier(column)}.source, {prefix}{quote_identifier(column)}.path)" if column else "NULL"


def _visible(seq: str) -> str:
    return f"{ADDED} <= {seq} AND ({REMOVED} IS NULL OR {REMOVED} > {seq})"


def quote_identifier(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'
