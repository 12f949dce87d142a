"""`dc.func`: functions that run inside DuckDB, vectorized, over chain columns.

Example:
    >>> from dagster_datachain import C, func
    >>> dist = func.cosine_distance(C("emb"), [0.1, 0.2, 0.3])
"""

from __future__ import annotations

from typing import Any

import duckdb
from duckdb import fn

from ..expr import Expr, column_or_expr, lift
from . import array, path, string
from ._base import call
from .array import cosine_distance, euclidean_distance

__all__ = [
    "any_value", "array", "avg", "case", "collect", "cosine_distance", "count", "euclidean_distance", "first",
    "greatest", "ifelse", "isnone", "least", "max", "min", "path", "string", "sum",
]  # fmt: skip


def case(*cases: tuple[Expr, Any], else_: Any = None) -> Expr:
    """`case((C("x") > 10, "big"), (C("x") > 5, "mid"), else_="small")`."""
    pairs = [(lift(cond), lift(value)) for cond, value in cases]
    default = lift(else_)

    def build(schema: dict) -> duckdb.Expression:
        first_cond, first_value = pairs[0]
        expression = duckdb.when(first_cond.build(schema)).then(first_value.build(schema))
        for cond, value in pairs[1:]:
            expression = expression.when(cond.build(schema)).then(value.build(schema))
        return expression.otherwise(default.build(schema))

    text = "case(" + ", ".join(f"({c.text}, {v.text})" for c, v in pairs) + f", else_={default.text})"
    return Expr(build, text)


def ifelse(condition: Expr, if_true: Any, if_false: Any) -> Expr:
    """`if_true` where the condition holds, else `if_false`."""
    return case((condition, if_true), else_=if_false)


def isnone(column: str | Expr) -> Expr:
    """True where the value is NULL."""
    return column_or_expr(column).is_null()


def greatest(*columns: str | Expr | Any) -> Expr:
    """The largest of several columns or values, row by row."""
    return call("greatest", "greatest", *columns, columns=len(columns))


def least(*columns: str | Expr | Any) -> Expr:
    """The smallest of several columns or values, row by row."""
    return call("least", "least", *columns, columns=len(columns))


# ----------------------------------------------------------------------------- aggregates (for group_by)


def count(column: str | Expr | None = None) -> Expr:
    """Number of rows (or of non-NULL values of `column`)."""
    if column is None:
        return Expr(lambda _s: fn("count"), "count()", is_aggregate=True)
    return call("count", "count", column, is_aggregate=True)


def sum(column: str | Expr) -> Expr:  # noqa: A001 - mirrors the reference API
    return call("sum", "sum", column, is_aggregate=True)


def avg(column: str | Expr) -> Expr:
    return call("avg", "avg", column, is_aggregate=True)


def min(column: str | Expr) -> Expr:  # noqa: A001
    return call("min", "min", column, is_aggregate=True)


def max(column: str | Expr) -> Expr:  # noqa: A001
    return call("max", "max", column, is_aggregate=True)


def collect(column: str | Expr) -> Expr:
    """All values of the group, as a list."""
    return call("list", "collect", column, is_aggregate=True)


def any_value(column: str | Expr) -> Expr:
    return call("any_value", "any_value", column, is_aggregate=True)


def first(column: str | Expr) -> Expr:
    return call("first", "first", column, is_aggregate=True)

