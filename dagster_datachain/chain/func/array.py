"""Functions over list columns (embeddings, tags): `func.array.length("emb")`."""

from __future__ import annotations

from typing import Any

from ..expr import Expr, lift
from ._base import call


def length(column: str | Expr) -> Expr:
    """Number of items in a list column."""
    return call("len", "array.length", column)


def contains(column: str | Expr, value: Any) -> Expr:
    """True where the list holds `value`."""
    return call("list_contains", "array.contains", column, value)


def get_element(column: str | Expr, index: int) -> Expr:
    """The item at a 0-based position (NULL past the end)."""
    return call("list_extract", "array.get_element", column, index + 1)


def cosine_distance(left: str | Expr | list[float], right: str | Expr | list[float]) -> Expr:
    """1 - cosine similarity between two vectors (columns or a literal list)."""
    return _distance("list_cosine_distance", "cosine_distance", left, right)


def euclidean_distance(left: str | Expr | list[float], right: str | Expr | list[float]) -> Expr:
    """Euclidean (L2) distance between two vectors."""
    return _distance("list_distance", "euclidean_distance", left, right)


def _distance(sql_name: str, label: str, left: Any, right: Any) -> Expr:
    return call(sql_name, label, _vector(left), _vector(right), columns=2)


def _vector(value: Any) -> str | Expr:
    """Column names and Exprs pass through; a list (or array) of numbers becomes a FLOAT[] literal, the type
    `list[float]` columns are stored as, so DuckDB compares without casting every row."""
    return value if isinstance(value, (str, Expr)) else lift([float(x) for x in value]).cast("FLOAT[]")
