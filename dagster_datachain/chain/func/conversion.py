"""`func.cast` and `func.literal`: typed values in expressions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ...errors import SchemaError
from ...memory.expressions import fn, lit, when
from ..expr import CAST_TYPES, Expr, column_or_expr, lift, type_of


def cast(col: str | Expr, type_: type) -> Expr:
    """`col` converted to int, float, str, bool, bytes or datetime; strings name columns (cast a text value
    with `func.cast(func.literal("5"), int)`). Floats become ints by truncation, as in DataChain.

    Example:
        >>> chain.mutate(id_int=func.cast("id_str", int))
    """
    if not isinstance(col, (str, Expr)):
        raise SchemaError("func.cast() expects a column name or an expression such as C('file.path'); "
                          "to cast a value, wrap it with func.literal(...)")
    if type_ not in CAST_TYPES:
        raise SchemaError("func.cast() supports target types int, float, str, bool, bytes, and datetime")
    source = column_or_expr(col)
    sql_type = CAST_TYPES[type_]

    def build(schema: dict) -> Any:
        value = source.build(schema)
        source_type = type_of(source, value, schema)
        if type_ is int and (source_type in ("FLOAT", "DOUBLE") or source_type.startswith("DECIMAL")):
            value = fn("trunc", value)
        if type_ is str and source_type.startswith("TIMESTAMP"):  # DataChain's text form of a datetime
            seconds = fn("strftime", value, "%Y-%m-%d %H:%M:%S")
            return when(fn("epoch_us", value) % lit(1_000_000) == lit(0), seconds).otherwise(
                fn("strftime", value, "%Y-%m-%d %H:%M:%S.%f"))
        if type_ is str and source_type == "BOOLEAN":  # DataChain stores booleans as 1/0
            value = value.cast("BIGINT")
        return value.cast(sql_type)

    return Expr(build, f"cast({source.text}, {sql_type})", parts=(source,),
                static_type=None if type_ is dt.datetime else sql_type)


def literal(value: Any, type_: type | str | None = None, literal_execute: bool = False) -> Expr:
    """A constant value in an expression: `func.literal("hi")` (a plain string would name a column);
    `type_` (a Python type as in `cast`, or a DuckDB type name) fixes its type. `literal_execute` is
    accepted for DataChain compatibility; values are always bound, never rendered into SQL text."""
    constant = lift(value)
    return constant if type_ is None else constant.cast(type_)
