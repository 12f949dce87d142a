"""Functions over list columns (embeddings, tags): `func.array.length("emb")`.

Each takes a column name, an Expr or a literal list; indices are 0-based, as in DataChain.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb

from ...errors import SchemaError
from ...memory.expressions import fn, lit, when
from ..expr import Expr, lift, type_of
from ._base import as_int, call, compose, compose_typed

Array = str | Expr | Sequence[Any]


def length(arg: Array) -> Expr:
    """Number of items in a list."""
    return compose(lambda e: fn("len", e).cast("BIGINT"), "array.length", arg, static_type="BIGINT")


def contains(arr: Array, elem: Any) -> Expr:
    """1 where the list holds `elem`, else 0 (`None` looks for a NULL item)."""
    if elem is None:
        return compose(lambda e: as_int(fn("list_count", e) < fn("len", e)), "array.contains", arr,
                       static_type="BIGINT")

    def build(built, exprs, schema):
        array, value = built
        item_type = type_of(exprs[0], array, schema).removesuffix("[]")
        if not isinstance(elem, Expr) and (item_type == "VARCHAR") != isinstance(elem, str):
            # a text value never equals a number (nor a number a text), as in Python
            return when(array.isnull(), lit(None)).otherwise(lit(0)).cast("BIGINT")
        return as_int(fn("list_contains", array, value))

    return compose_typed(build, "array.contains", arr, elem)


def get_element(arg: Array, index: int) -> Expr:
    """The item at a 0-based position; negative positions count from the end (-1 is the last item);
    NULL past either end."""
    return call("list_extract", "array.get_element", arg, index + 1 if index >= 0 else index)


def slice(arr: Array, offset: int, length: int | None = None) -> Expr:
    """The items from a 0-based `offset` (negative counts from the end), `length` of them or all the rest:
    Python's `arr[offset:offset + length]`."""
    stop = None if length is None else offset + length

    def build(e: duckdb.Expression) -> duckdb.Expression:
        size = fn("len", e)
        begin, end = _position(offset, size), size if stop is None else _position(stop, size)
        return fn("list_slice", e, begin + lit(1), end)

    return compose(build, "array.slice", arr)


def join(arr: Array, sep: str = "") -> Expr:
    """The (text) items joined by `sep`."""
    return call("array_to_string", "array.join", arr, sep, static_type="VARCHAR")


def sip_hash_64(arg: Array) -> Expr:
    """SipHash-64 of a list. DataChain computes it on ClickHouse only; like its local (SQLite) backend,
    this DuckDB engine has no such function and raises."""

    def build(_schema: dict) -> duckdb.Expression:
        raise SchemaError("sip_hash_64 is only available on DataChain's ClickHouse warehouse, not on DuckDB")

    return Expr(build, f"sip_hash_64({lift(arg).text if not isinstance(arg, str) else arg})")


def cosine_distance(*args: Array) -> Expr:
    """1 - cosine similarity between two vectors (columns or a literal list)."""
    return _distance("list_cosine_distance", "cosine_distance", args)


def euclidean_distance(*args: Array) -> Expr:
    """Euclidean (L2) distance between two vectors."""
    return _distance("list_distance", "euclidean_distance", args)


def _position(index: int, size: duckdb.Expression) -> duckdb.Expression:
    """A Python slice bound as a 0-based count of items before it, clamped to the list."""
    if index >= 0:
        return fn("least", lit(index), size)
    return fn("greatest", size + lit(index), lit(0))


def _distance(sql_name: str, label: str, args: tuple[Array, ...]) -> Expr:
    if len(args) != 2:
        raise SchemaError(f"{label} needs exactly two vectors, got {len(args)}")
    return call(sql_name, label, *(_vector(a) for a in args), columns=2)


def _vector(value: Array) -> str | Expr:
    """Column names and Exprs pass through; a list (or array) of numbers becomes a FLOAT[] literal, the type
    `list[float]` columns are stored as, so DuckDB compares without casting every row."""
    if isinstance(value, (str, Expr)):
        return value
    return lift([float(x) for x in value]).cast("FLOAT[]")
