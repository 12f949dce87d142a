"""The one place that builds DuckDB expressions from Python, so the engine runs on DuckDB 1.5.5 and 2.x alike.

DuckDB 2.0 added a richer expression API (`duckdb.col/fn/lit/star`, `expr["field"]`, `.over()`, `.like()`,
`rel.group_by()`, `rel.distinct(on=)`), but the extension wheels the team features need (DuckLake, httpfs, vss)
exist only for 1.5.5. Everything here uses what both versions have: `ColumnExpression`, `ConstantExpression`,
`FunctionExpression`, `StarExpression`, `CaseExpression`, `CoalesceOperator`, `LambdaExpression` and the relation
methods common to both; the one version difference (how a column name is read) is handled in `col`.

Every value becomes a `ConstantExpression`: bound, never SQL text. `SQLExpression` carries only text written here:
the OVER clause of a window function (1.5.5 has no Python API for it), which names generated columns, and on 1.x a
column name holding a double quote, as a quoted identifier.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, cast

import duckdb

from ..errors import SchemaError
from .sql import quote

Expression = duckdb.Expression
Relation = duckdb.DuckDBPyRelation


def col(name: str) -> Expression:
    """The column `name` (dots and quotes are part of the name; use `field` for a STRUCT field)."""
    if not _PARSES_COLUMN_NAMES:
        return duckdb.ColumnExpression(name)
    if '"' in name:  # 1.x cannot unquote `""`: the name goes as an identifier quoted here, never a value
        return duckdb.SQLExpression(quote(name))
    return duckdb.ColumnExpression(quote(name))


# DuckDB 1.x reads ColumnExpression("a.b") as column b of table a; 2.x takes the name as it is
_PARSES_COLUMN_NAMES = int(duckdb.__version__.split(".")[0]) < 2


def lit(value: Any) -> Expression:
    """A constant: the value is bound, never written into SQL text."""
    return duckdb.ConstantExpression(value)


def fn(name: str, *args: Any) -> Expression:
    """The function or operator `name` (e.g. `"||"`, `"~~~"`) applied to expressions; other arguments are
    constants (1.5.5 would read a bare string as a column name)."""
    return duckdb.FunctionExpression(name, *(a if isinstance(a, Expression) else lit(a) for a in args))


def star() -> Expression:
    """`*` (to leave columns out, use `select_except`)."""
    return duckdb.StarExpression()


def field(struct: Expression, name: str) -> Expression:
    """The field `name` of a STRUCT value."""
    return fn("struct_extract", struct, lit(name))


def when(condition: Expression, value: Expression) -> Expression:
    """`CASE WHEN condition THEN value`; continue with `.when(...)` and `.otherwise(...)`."""
    return duckdb.CaseExpression(condition, value)


def coalesce(*args: Expression) -> Expression:
    """The first non-NULL argument."""
    return duckdb.CoalesceOperator(*args)


def lambda_(parameter: str, body: Expression) -> Expression:
    """`lambda parameter: body` for list functions (`list_filter`, `list_transform`); refer to the
    parameter in `body` with `col(parameter)`."""
    return duckdb.LambdaExpression(parameter, body)


def like(value: Expression, pattern: str, escape: str | None = None, *, case_sensitive: bool = True) -> Expression:
    """`value LIKE pattern [ESCAPE escape]` (ILIKE unless `case_sensitive`)."""
    if escape is None:
        return fn("~~" if case_sensitive else "~~*", value, pattern)
    return fn("like_escape" if case_sensitive else "ilike_escape", value, pattern, escape)


def count_distinct(value: Expression) -> Expression:
    """The number of distinct non-NULL values of a group (`COUNT(DISTINCT value)`)."""
    return fn("list_unique", fn("list", value))


# ----------------------------------------------------------------------------- relations


def group(rel: Relation, keys: Sequence[tuple[str, Expression]], aggregates: Sequence[Expression]) -> Relation:
    """`SELECT keys..., aggregates... GROUP BY keys`: each key is computed as a generated column first, so the
    GROUP BY text names only those."""
    if not keys:
        return rel.aggregate(list(aggregates))
    names = [f"_dc_g{i}" for i in range(len(keys))]
    keyed = rel.select(star(), *(expression.alias(n) for n, (_, expression) in zip(names, keys, strict=True)))
    outputs = [col(n).alias(name) for n, (name, _) in zip(names, keys, strict=True)]
    return keyed.aggregate([*outputs, *aggregates], ", ".join(quote(n) for n in names))


def select_except(rel: Relation, exclude: Iterable[str], *expressions: Expression) -> Relation:
    """`SELECT * EXCLUDE (exclude), expressions... FROM rel`, the kept columns named one by one (1.x parses the
    names of an EXCLUDE list as it does column names)."""
    hidden = set(exclude)
    return rel.select(*(col(c) for c in rel.columns if c not in hidden), *expressions)


def join(left: Relation, right: Relation, condition: Expression | list[str], how: str) -> Relation:
    """`left JOIN right`; `how` is inner, left, right, full, semi or anti (1.x calls a full join "outer")."""
    # the stubs of 1.5.5 and 2.x disagree on the condition's type (a list of key names works on both)
    return left.join(right, cast(Any, condition), how=cast(Any, "outer" if how == "full" else how))


def offset(rel: Relation, count: int) -> Relation:
    """The rows after the first `count`."""
    return rel.limit(2**63 - 1, count)


def distinct_on(rel: Relation, keys: Sequence[Expression]) -> Relation:
    """One row per distinct combination of `keys`."""
    windows = Windows()
    first = windows.over("row_number", partition_by=keys).alias(_FIRST)
    return select_except(windows.select(rel, first).filter(col(_FIRST) == lit(1)), [_FIRST])


_FIRST = "_dc_first"


# ----------------------------------------------------------------------------- window functions


class Windows:
    """The window functions of one SELECT. DuckDB 1.5.5 has no Python API for OVER, and SQL text must not carry
    user values, so each argument, PARTITION BY and ORDER BY expression is first computed as a column
    `_dc_w<n>`; the OVER clause names only those. Build the expressions, then `select` them over the relation.

    Example:
        >>> windows = Windows()
        >>> n = windows.over("row_number", partition_by=[col("city")], order_by=[(col("age"), False)])
        >>> rel = windows.select(rel, n.alias("n"))
    """

    def __init__(self) -> None:
        self.columns: dict[str, Expression] = {}

    def over(self, function: str, args: Sequence[Expression] = (), partition_by: Sequence[Expression] = (),
             order_by: Sequence[tuple[Expression, bool]] = ()) -> Expression:
        """`function(args) OVER (PARTITION BY ... ORDER BY ...)`; `order_by` holds (expression, descending)
        pairs, NULLs last. `function` is one of ours (`row_number`, `first_value`...), never user text."""
        clauses = []
        if partition_by:
            clauses.append("PARTITION BY " + ", ".join(self._column(e) for e in partition_by))
        if order_by:
            clauses.append("ORDER BY " + ", ".join(f"{self._column(e)} {'DESC' if desc else 'ASC'} NULLS LAST"
                                                   for e, desc in order_by))
        call = f"{function}({', '.join(self._column(a) for a in args)})"
        return duckdb.SQLExpression(f"{call} OVER ({' '.join(clauses)})")

    def prepare(self, rel: Relation) -> Relation:
        """`rel` with the generated columns the window functions read."""
        if not self.columns:
            return rel
        return rel.select(star(), *(e.alias(name) for name, e in self.columns.items()))

    def select(self, rel: Relation, *expressions: Expression, exclude: Iterable[str] = ()) -> Relation:
        """`SELECT * EXCLUDE (exclude), expressions... FROM rel`, the window functions among `expressions`
        evaluated over their generated columns, which are dropped again."""
        return select_except(self.prepare(rel), [*exclude, *self.columns], *expressions)

    def _column(self, expression: Expression) -> str:
        name = f"_dc_w{len(self.columns)}"
        self.columns[name] = expression
        return quote(name)


_current: ContextVar[Windows | None] = ContextVar("dagster_datachain_windows", default=None)


@contextmanager
def windows() -> Iterator[Windows]:
    """Collect the window functions that expressions built inside this block use (see `over`)."""
    collected = Windows()
    token = _current.set(collected)
    try:
        yield collected
    finally:
        _current.reset(token)


def over(function: str, args: Sequence[Expression] = (), partition_by: Sequence[Expression] = (),
         order_by: Sequence[tuple[Expression, bool]] = ()) -> Expression:
    """A window function of the SELECT being built inside `windows()` (`mutate` and `filter`)."""
    collected = _current.get()
    if collected is None:
        raise SchemaError(f"window function {function}() works in mutate and filter only")
    return collected.over(function, args, partition_by, order_by)


def with_window_columns(rel: Relation) -> Relation:
    """`rel` with the generated columns of the window functions built so far in this `windows()` block."""
    collected = _current.get()
    return rel if collected is None else collected.prepare(rel)
