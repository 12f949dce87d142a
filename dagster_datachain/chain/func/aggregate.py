"""Aggregates for `group_by` and window functions for `mutate(...=func.row_number().over(window))`."""

from __future__ import annotations

from ...errors import SchemaError
from ...memory.expressions import coalesce, count_distinct, fn, lit
from ..expr import Distinct, Expr, column_or_expr, is_integer, type_of
from ._base import call, compose, compose_typed


def count(col: str | Expr | None = None) -> Expr:
    """Number of rows (or of non-NULL values of `col`): `group_by(cnt=func.count(), partition_by="breed")`."""
    if col is None:
        return Expr(lambda _s: fn("count"), "count()", is_aggregate=True, static_type="BIGINT")
    if isinstance(col, Distinct):  # count(C("x").distinct()): COUNT(DISTINCT x)
        inner = col.inner
        return Expr(lambda s: count_distinct(inner.build(s)), f"count({col.text})", parts=(inner,), is_aggregate=True,
                    static_type="BIGINT")
    return call("count", "count", col, is_aggregate=True, static_type="BIGINT")


def sum(col: str | Expr) -> Expr:
    """Sum of the group's values: an int for integer columns, a float for float columns."""

    def build(built, exprs, schema):
        total = fn("sum", built[0])
        source_type = type_of(exprs[0], built[0], schema)
        return total.cast("BIGINT") if is_integer(source_type) or source_type == "BOOLEAN" else total

    return compose_typed(build, "sum", col, is_aggregate=True)


def avg(col: str | Expr) -> Expr:
    """Mean of the group's values, as a float."""
    return compose(lambda e: fn("avg", e).cast("DOUBLE"), "avg", col, is_aggregate=True, static_type="DOUBLE")


def min(col: str | Expr) -> Expr:
    """Smallest value of the group."""
    return call("min", "min", col, is_aggregate=True)


def max(col: str | Expr) -> Expr:
    """Largest value of the group."""
    return call("max", "max", col, is_aggregate=True)


def any_value(col: str | Expr) -> Expr:
    """One value of the group, whichever comes first."""
    return call("any_value", "any_value", col, is_aggregate=True)


def collect(col: str | Expr) -> Expr:
    """All values of the group (NULLs included), as a list."""
    return call("list", "collect", col, is_aggregate=True)


def concat(col: str | Expr, separator: str = "") -> Expr:
    """The group's non-NULL text values joined by `separator`."""
    return call("string_agg", "concat", col, separator, is_aggregate=True, static_type="VARCHAR")


def xor_agg(col: str | Expr) -> Expr:
    """Bitwise XOR of the group's integers (0 for none): an order-independent fingerprint with `string_hash`."""
    return compose(lambda e: coalesce(fn("bit_xor", e), lit(0)).cast("BIGINT"), "xor_agg", col,
                   is_aggregate=True, static_type="BIGINT")


def row_number() -> Expr:
    """1, 2, 3... within each window partition: `func.row_number().over(func.window("city", "age"))`."""
    return _window_only("row_number")


def rank() -> Expr:
    """Rank within the window partition, with gaps after ties (1, 2, 2, 4)."""
    return _window_only("rank")


def dense_rank() -> Expr:
    """Rank within the window partition, without gaps (1, 2, 2, 3)."""
    return _window_only("dense_rank")


def first(col: str | Expr) -> Expr:
    """The first value of the window partition in window order (`.over(window)`); in `group_by`, the
    group's first value."""
    aggregate = call("first", "first", col, is_aggregate=True)
    value = column_or_expr(col)
    return Expr(aggregate.build, aggregate.text, is_aggregate=True,
                window_call=lambda s: ("first_value", [value.build(s)]))


def _window_only(name: str) -> Expr:
    text = f"{name}()"

    def unwindowed(_schema):
        raise SchemaError(f"Window function {text} requires over() clause with a window spec")

    return Expr(unwindowed, text, static_type="BIGINT", window_call=lambda _s: (name, []))
