"""SQL text that Data Memory writes itself: every identifier quoted here, every value bound as a parameter.

Rows of all versions share a table; each row carries the range of version sequence numbers it is visible in
(`ADDED` <= seq < `REMOVED`, open while `REMOVED` is NULL).
"""

from __future__ import annotations

import duckdb

ADDED, REMOVED = "_dc_added", "_dc_removed"
RESERVED_COLUMNS = (ADDED, REMOVED)


def quote(identifier: str) -> str:
    """A table or column name as a DuckDB identifier, whatever characters it holds.

    Example:
        >>> print(quote('my "id" no'))
        "my ""id"" no"
    """
    return '"' + identifier.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A string as a SQL literal, for the few statements that take no bound parameters (ATTACH, CREATE SECRET).

    Example:
        >>> print(literal("it's"))
        'it''s'
    """
    return "'" + text.replace("'", "''") + "'"


def column_path(column: str, nested: bool) -> str:
    """`file.path` -> `"file"."path"` (a field of a STRUCT column) when `nested`, else the one column `"file.path"`."""
    return ".".join(quote(part) for part in column.split(".")) if nested else quote(column)


def table_exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    """Whether the current database (the local file, or the attached lake) has `table`."""
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ? "
                            "AND database_name = current_database()", [table]).fetchall()[0][0])


def is_lake(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether `con` works on a DuckLake (shared, append-only layout) rather than the local DuckDB file."""
    return con.execute("SELECT type FROM duckdb_databases() WHERE database_name = current_database()"
                       ).fetchall()[0][0] == "ducklake"


def close_open_rows(con: duckdb.DuckDBPyConnection, table: str, seq: int) -> None:
    """Hide every row still visible from version `seq` on."""
    con.execute(f"UPDATE {quote(table)} SET {REMOVED} = ? WHERE {REMOVED} IS NULL", [seq]).fetchall()


def count_rows(con: duckdb.DuckDBPyConnection, table: str, where: str, *params: object) -> int:
    """`SELECT count(*) FROM table WHERE <where>`: `where` is our own condition text, values bound as `?`."""
    return int(con.execute(f"SELECT count(*) FROM {quote(table)} WHERE {where}", list(params)).fetchall()[0][0])


def drop_table(con: duckdb.DuckDBPyConnection, table: str) -> None:
    con.execute(f"DROP TABLE IF EXISTS {quote(table)}")
