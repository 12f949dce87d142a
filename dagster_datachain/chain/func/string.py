"""Functions over text columns: `func.string.lower("file.path")`."""

from __future__ import annotations

from ..expr import Expr
from ._base import call


def length(column: str | Expr) -> Expr:
    """Number of characters."""
    return call("length", "string.length", column)


def lower(column: str | Expr) -> Expr:
    return call("lower", "string.lower", column)


def upper(column: str | Expr) -> Expr:
    return call("upper", "string.upper", column)


def split(column: str | Expr, separator: str) -> Expr:
    """A list of the parts between separators."""
    return call("string_split", "string.split", column, separator)


def replace(column: str | Expr, old: str, new: str) -> Expr:
    """Every occurrence of `old` replaced by `new`."""
    return call("replace", "string.replace", column, old, new)


def regexp_replace(column: str | Expr, pattern: str, replacement: str) -> Expr:
    """Every match of a regular expression replaced (`\\1` refers to groups)."""
    return call("regexp_replace", "string.regexp_replace", column, pattern, replacement, "g")
