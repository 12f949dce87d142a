"""memory/expressions.py gives the same results on DuckDB 1.5.5 and 2.x (the suite runs on both), and keeps user
values out of SQL text even where 1.5.5 needs a piece of it (window functions)."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pytest

from dagster_datachain.memory import expressions as ex

HOSTILE = "x') OVER (); DROP TABLE t; --"


@pytest.fixture
def rel():
    con = duckdb.connect()
    table = pa.table({"file.source": ["a", "b", "c", "d"], 'my "id"': [1, 2, 3, 4], "g": ["p", "q", "p", None],
                      "s": [{"path": "a/1"}, {"path": "b/%"}, {"path": "a/3"}, {"path": "A/4"}]})
    yield con.from_arrow(table)
    con.close()


def test_column_names_with_dots_and_quotes_are_taken_as_they_are(rel):
    rows = rel.select(ex.col("file.source"), ex.col('my "id"'), ex.field(ex.col("s"), "path")).fetchall()
    assert rows[0] == ("a", 1, "a/1")
    assert ex.select_except(rel, ['my "id"', "s"]).columns == ["file.source", "g"]


def test_string_arguments_are_constants_not_columns(rel):
    texts = rel.select(ex.fn("concat", ex.col("g"), "file.source")).fetchall()
    assert [t for (t,) in texts] == ["pfile.source", "qfile.source", "pfile.source", "file.source"]


def test_like_and_ilike_with_escape(rel):
    path = ex.field(ex.col("s"), "path")

    def matching(condition):
        return sorted(v for (v,) in rel.filter(condition).select(path).fetchall())

    assert matching(ex.like(path, "a/%")) == ["a/1", "a/3"]
    assert matching(ex.like(path, "a/%", case_sensitive=False)) == ["A/4", "a/1", "a/3"]
    assert matching(ex.like(path, "b//%", escape="/")) == ["b/%"]


def test_window_text_names_generated_columns_never_values(rel):
    windows = ex.Windows()
    key = ex.fn("concat", ex.col("g"), ex.lit(HOSTILE))
    n = windows.over("row_number", partition_by=[key], order_by=[(ex.col('my "id"'), True)])
    assert HOSTILE not in str(n) and "_dc_w0" in str(n)
    rows = windows.select(rel, n.alias("n")).fetchall()
    assert sorted((r[1], r[-1]) for r in rows) == [(1, 2), (2, 1), (3, 1), (4, 1)]
    assert windows.select(rel, n.alias("n")).columns == ["file.source", 'my "id"', "g", "s", "n"]


def test_window_functions_need_a_windows_block():
    with pytest.raises(Exception, match="mutate and filter"):
        ex.over("row_number")
    with ex.windows() as collected:
        ex.over("rank", order_by=[(ex.col("g"), False)])
    assert list(collected.columns) == ["_dc_w0"]


def test_group_distinct_offset_and_full_join(rel):
    grouped = ex.group(rel, [("key", ex.coalesce(ex.col("g"), ex.lit(HOSTILE)))], [ex.fn("count").alias("n")])
    assert sorted(grouped.fetchall()) == [("p", 2), ("q", 1), (HOSTILE, 1)]
    assert len(ex.distinct_on(rel, [ex.col("g")]).fetchall()) == 3
    assert [r[1] for r in ex.offset(rel.sort(ex.col('my "id"')), 3).fetchall()] == [4]
    left = rel.select(ex.col("g")).limit(1).set_alias("l")
    right = rel.select(ex.col("g").alias("h")).filter(ex.col("h") == ex.lit("q")).set_alias("r")
    joined = ex.join(left, right, ex.col("g") == ex.col("h"), "full")
    assert sorted(joined.fetchall(), key=str) == [("p", None), (None, "q")]
