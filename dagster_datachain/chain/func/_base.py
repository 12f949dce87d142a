"""Shared helpers: wrap DuckDB functions as `Expr`s taking column names, Exprs or values."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import duckdb

from ...memory.expressions import fn
from ...memory.schema import Schema
from ..expr import Expr, column_or_expr, lift


def call(sql_name: str, label: str, *args: Any, columns: int = 1, is_aggregate: bool = False,
         static_type: str | None = None) -> Expr:
    """`sql_name(args...)`: the first `columns` string arguments name columns, the rest are values."""
    return compose(lambda *e: fn(sql_name, *e), label, *args, columns=columns, is_aggregate=is_aggregate,
                   static_type=static_type)


def compose(make: Callable[..., duckdb.Expression], label: str, *args: Any, columns: int = 1,
            is_aggregate: bool = False, static_type: str | None = None) -> Expr:
    """`make(built args...)`, with the arguments resolved as in `call`."""
    exprs = operands(args, columns)
    text = f"{label}({', '.join(e.text for e in exprs)})"
    return Expr(lambda s: make(*(e.build(s) for e in exprs)), text, parts=exprs, is_aggregate=is_aggregate,
                static_type=static_type)


def compose_typed(make: Callable[[list[duckdb.Expression], list[Expr], Schema], duckdb.Expression], label: str,
                  *args: Any, columns: int = 1, is_aggregate: bool = False) -> Expr:
    """Like `compose`, for functions whose DuckDB form depends on the argument types: `make` gets the
    built arguments, the Exprs and the schema (to ask `type_of`)."""
    exprs = operands(args, columns)
    text = f"{label}({', '.join(e.text for e in exprs)})"
    return Expr(lambda s: make([e.build(s) for e in exprs], exprs, s), text, parts=exprs,
                is_aggregate=is_aggregate)


def operands(args: tuple[Any, ...], columns: int) -> list[Expr]:
    """The first `columns` arguments: strings are column names; later ones: strings are values."""
    return [column_or_expr(a) if i < columns else lift(a) for i, a in enumerate(args)]


def as_int(expression: duckdb.Expression) -> duckdb.Expression:
    """DataChain returns 0/1 integers where DuckDB has booleans (e.g. `array.contains`)."""
    return expression.cast("BIGINT")
