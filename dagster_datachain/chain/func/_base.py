"""Shared helper: wrap a DuckDB function as an `Expr` taking column names, Exprs or values."""

from __future__ import annotations

from typing import Any

from duckdb import fn

from ..expr import Expr, column_or_expr, lift


def call(sql_name: str, label: str, *args: Any, columns: int = 1, is_aggregate: bool = False) -> Expr:
    """`sql_name(args...)`: the first `columns` string arguments name columns, the rest are values."""
    exprs = [column_or_expr(a) if i < columns else lift(a) for i, a in enumerate(args)]
    text = f"{label}({', '.join(e.text for e in exprs)})"
    return Expr(lambda s: fn(sql_name, *(e.build(s) for e in exprs)), text, is_aggregate=is_aggregate)
