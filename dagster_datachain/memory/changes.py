"""What changed between two dataset versions, computed in DuckDB: rows added, removed and changed.

The one source of change counts: a save uses it to skip a version identical to the previous one, and the
Dagster metadata, the Knowledge Base and `diff` all report what it counts.

Rows are compared whole (as JSON, so versions with different schemas compare too). A row is *changed* when its
File key (source, path) is in both versions with different values. Two versions in the same rows table share
every unchanged row physically, so only the rows that one sees and the other does not are compared.
"""

from __future__ import annotations

from typing import NamedTuple

import duckdb

from .catalog import VersionRecord
from .schema import Schema
from .sql import ADDED, REMOVED, quote


class ChangeCounts(NamedTuple):
    """How many rows a version added, removed and changed relative to another."""

    added: int
    removed: int
    changed: int

    def __str__(self) -> str:
        return f"+{self.added} ~{self.changed} -{self.removed}"

    @property
    def identical(self) -> bool:
        """True when no row was added, removed or changed."""
        return not (self.added or self.removed or self.changed)


def file_key(schema: Schema) -> str | None:
    """The first column holding a File (a model with `source` and `path`), which identifies a row's file."""
    for column, spec in schema.items():
        if spec.kind == "model" and {"source", "path"} <= set(spec.fields):
            return column
    return None


def version_changes(con: duckdb.DuckDBPyConnection, old: VersionRecord,
                    new: VersionRecord) -> duckdb.DuckDBPyRelation:
    """Rows `(change, row)`: `added` and `changed` rows as in `new`, `removed` rows as in `old`; rows as JSON."""
    sql = f"{_compare(old, new)} SELECT change, v AS row FROM changes WHERE v IS NOT NULL ORDER BY change, k, v"
    return con.sql(sql, params={"old": old.seq, "new": new.seq})


def count_changes(con: duckdb.DuckDBPyConnection, old: VersionRecord | None, new: VersionRecord) -> ChangeCounts:
    """Counts of added, removed and changed rows from `old` to `new` (everything added when `old` is None)."""
    if old is None:
        return ChangeCounts(new.row_count, 0, 0)
    sql = (f"{_compare(old, new)} SELECT count(*) FILTER (change = 'added'), count(*) FILTER (change = 'removed'), "
           "count(DISTINCT k) FILTER (change = 'changed') FROM changes")
    added, removed, changed = con.execute(sql, {"old": old.seq, "new": new.seq}).fetchall()[0]
    return ChangeCounts(added, removed, changed)


def _compare(old: VersionRecord, new: VersionRecord) -> str:
    """A WITH clause defining `changes(change, k, v)`; parameters `$old` and `$new` are the two sequence numbers.

    `k` is the File key (NULL without one: then rows are only added or removed); `v` the whole row as JSON.
    """
    key = file_key(new.dataset_schema)
    key = key if key is not None and file_key(old.dataset_schema) == key else None
    return f"""WITH
        new_rows AS ({_rows(new, "$new", key, unless=(old, "$old"))}),
        old_rows AS ({_rows(old, "$old", key, unless=(new, "$new"))}),
        new_keys AS ({_rows(new, "$new", key, keys_only=True)}),
        old_keys AS ({_rows(old, "$old", key, keys_only=True)}),
        new_only AS (FROM new_rows EXCEPT ALL FROM old_rows),
        old_only AS (FROM old_rows EXCEPT ALL FROM new_rows),
        changes AS (
            SELECT 'added' AS change, k, v FROM new_only ANTI JOIN old_keys USING (k)
            UNION ALL SELECT 'removed', k, v FROM old_only ANTI JOIN new_keys USING (k)
            UNION ALL SELECT 'changed', k, v FROM new_only SEMI JOIN old_keys USING (k)
            UNION ALL SELECT 'changed', k, NULL FROM old_only SEMI JOIN new_keys USING (k))"""


def _rows(record: VersionRecord, seq: str, key: str | None, *, unless: tuple[VersionRecord, str] | None = None,
          keys_only: bool = False) -> str:
    """`(k, v)` of the rows of `record` (or only the distinct `k`), leaving out the rows it physically shares
    with the version `unless` when both live in one table."""
    where = _visible(seq)
    if unless is not None and unless[0].table_name == record.table_name:
        where += f" AND NOT ({_visible(unless[1])})"
    columns = ", ".join(quote(c) for c in record.dataset_schema)
    k = f"row(r.{quote(key)}.source, r.{quote(key)}.path)" if key else "NULL"
    rows = f"(SELECT {columns} FROM {quote(record.table_name)} WHERE {where}) r"
    return f"SELECT DISTINCT {k} AS k FROM {rows}" if keys_only else f"SELECT {k} AS k, to_json(r) AS v FROM {rows}"


def _visible(seq: str) -> str:
    return f"{ADDED} <= {seq} AND ({REMOVED} IS NULL OR {REMOVED} > {seq})"
