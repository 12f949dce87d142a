"""Row-by-row conditions: `case`, `ifelse`, `isnone`, `greatest`/`least` and `and_`/`or_`/`not_`."""

from __future__ import annotations

from functools import reduce
from typing import Any

import duckdb

from ...errors import SchemaError
from ...memory.expressions import when
from ..expr import Expr, column_or_expr, lift
from ._base import call


def greatest(*args: str | Expr | float) -> Expr:
    """The largest of several columns (names) or numbers, row by row (NULLs are skipped)."""
    return call("greatest", "greatest", *args, columns=len(args))


def least(*args: str | Expr | float) -> Expr:
    """The smallest of several columns (names) or numbers, row by row (NULLs are skipped)."""
    return call("least", "least", *args, columns=len(args))


def case(*args: tuple[Expr | bool, Any], else_: Any = None) -> Expr:
    """The value of the first true condition: `case((C("x") > 10, "big"), (C("x") > 5, "mid"), else_="small")`.

    Values are literals (a string is text, not a column): use `C("name")` for a column.
    """
    if not args:
        raise SchemaError("case: missing statements (give at least one (condition, value) pair)")
    pairs = [(lift(condition), lift(value)) for condition, value in args]
    default = lift(else_)

    def build(schema: dict) -> duckdb.Expression:
        first_cond, first_value = pairs[0]
        expression = when(first_cond.build(schema), first_value.build(schema))
        for cond, value in pairs[1:]:
            expression = expression.when(cond.build(schema), value.build(schema))
        return expression.otherwise(default.build(schema))

    text = "case(" + ", ".join(f"({c.text}, {v.text})" for c, v in pairs) + f", else_={default.text})"
    return Expr(build, text, parts=[default, *(e for pair in pairs for e in pair)])


def ifelse(condition: Expr, if_val: Any, else_val: Any) -> Expr:
    """`if_val` where the condition holds, else `else_val`."""
    return case((condition, if_val), else_=else_val)


def isnone(col: str | Expr) -> Expr:
    """True where the value is NULL."""
    return column_or_expr(col).is_null()


def and_(*args: str | Expr | bool) -> Expr:
    """True where every condition holds (strings name boolean columns)."""
    return reduce(lambda a, b: a & b, _conditions(args, "and_"))


def or_(*args: str | Expr | bool) -> Expr:
    """True where any condition holds."""
    return reduce(lambda a, b: a | b, _conditions(args, "or_"))


def not_(arg: str | Expr) -> Expr:
    """True where the condition does not hold."""
    return ~_conditions((arg,), "not_")[0]


def _conditions(args: tuple[Any, ...], name: str) -> list[Expr]:
    if not args:
        raise SchemaError(f"{name} needs at least one condition")
    return [_as_condition(column_or_expr(a) if isinstance(a, (str, Expr)) else lift(a)) for a in args]


def _as_condition(expr: Expr) -> Expr:
    """Logical operators apply to conditions: a column or value is cast to BOOLEAN, so `&` means AND."""
    if expr.static_type == "BOOLEAN":
        return expr
    return Expr(lambda s: expr.build(s).cast("BOOLEAN"), expr.text, parts=(expr,),
                static_type="BOOLEAN")
