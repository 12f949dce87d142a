"""Column expressions: `C("info.width") > 400` builds a DuckDB expression once the chain's schema is known.

An `Expr` holds a function from schema to `duckdb.Expression`, plus a readable text used in errors and in
the fingerprint that keys checkpoints. Values become DuckDB literals through its expression API; no user
value is ever pasted into SQL by this package.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from typing import Any

import duckdb
from duckdb import col, fn, lit

from ..errors import ColumnNotFoundError
from ..memory.schema import Schema, known_columns

Builder = Callable[[Schema], duckdb.Expression]


class Expr:
    """A lazily resolved column expression; combine with operators, `&`, `|`, `~` and the methods below."""

    __slots__ = ("_build", "text", "is_aggregate")

    def __init__(self, build: Builder, text: str, *, is_aggregate: bool = False) -> None:
        self._build = build
        self.text = text
        self.is_aggregate = is_aggregate

    def build(self, schema: Schema) -> duckdb.Expression:
        """The DuckDB expression for a chain with `schema` (raises ColumnNotFoundError for unknown columns)."""
        return self._build(schema)

    def __repr__(self) -> str:
        return self.text

    __hash__ = object.__hash__

    # ----------------------------------------------------------------- operators
    def _binary(self, other: Any, op: Callable[[Any, Any], Any], symbol: str, *, swap: bool = False) -> Expr:
        left, right = (lift(other), self) if swap else (self, lift(other))
        return Expr(
            lambda s: op(left.build(s), right.build(s)),
            f"({left.text} {symbol} {right.text})",
            is_aggregate=left.is_aggregate or right.is_aggregate,
        )

    def __eq__(self, other: Any) -> Expr:  # type: ignore[override]
        """`C("x") == None` means IS NULL, as in SQLAlchemy and the reference; otherwise SQL equality."""
        if other is None:
            return self.is_null()
        return self._binary(other, lambda a, b: a == b, "==")

    def __ne__(self, other: Any) -> Expr:  # type: ignore[override]
        """`C("x") != None` means IS NOT NULL."""
        if other is None:
            return self.is_not_null()
        return self._binary(other, lambda a, b: a != b, "!=")

    def __lt__(self, other: Any) -> Expr:
        return self._binary(other, lambda a, b: a < b, "<")

    def __le__(self, other: Any) -> Expr:
        return self._binary(other, lambda a, b: a <= b, "<=")

    def __gt__(self, other: Any) -> Expr:
        return self._binary(other, lambda a, b: a > b, ">")

    def __ge__(self, other: Any) -> Expr:
        return self._binary(other, lambda a, b: a >= b, ">=")

    def __and__(self, other: Any) -> Expr:
        return self._binary(other, lambda a, b: a & b, "&")

    def __or__(self, other: Any) -> Expr:
        return self._binary(other, lambda a, b: a | b, "|")

    def __add__(self, other: Any) -> Expr:
        return self._binary(other, lambda a, b: a + b, "+")

    def __radd__(self, other: Any) -> Expr:
        return self._binary(other, lambda a, b: a + b, "+", swap=True)

    def __sub__(self, other: Any) -> Expr:
        return self._binary(other, lambda a, b: a - b, "-")

    def __rsub__(self, other: Any) -> Expr:
        return self._binary(other, lambda a, b: a - b, "-", swap=True)

    def __mul__(self, other: Any) -> Expr:
        return self._binary(other, lambda a, b: a * b, "*")

    def __rmul__(self, other: Any) -> Expr:
        return self._binary(other, lambda a, b: a * b, "*", swap=True)

    def __truediv__(self, other: Any) -> Expr:
        return self._binary(other, lambda a, b: a / b, "/")

    def __rtruediv__(self, other: Any) -> Expr:
        return self._binary(other, lambda a, b: a / b, "/", swap=True)

    def __mod__(self, other: Any) -> Expr:
        return self._binary(other, lambda a, b: a % b, "%")

    def __invert__(self) -> Expr:
        return Expr(lambda s: ~self.build(s), f"~{self.text}", is_aggregate=self.is_aggregate)

    def __neg__(self) -> Expr:
        return Expr(lambda s: -self.build(s), f"-{self.text}", is_aggregate=self.is_aggregate)

    # ----------------------------------------------------------------- predicates and ordering
    def like(self, pattern: str) -> Expr:
        """SQL LIKE (`%` any run, `_` one character), case-sensitive."""
        return self._method(lambda e: e.like(pattern), f"like({pattern!r})")

    def ilike(self, pattern: str) -> Expr:
        """Case-insensitive LIKE: `C("file.path").ilike("%cocker_spaniel%")`."""
        return self._method(lambda e: e.ilike(pattern), f"ilike({pattern!r})")

    def glob(self, pattern: str) -> Expr:
        """Shell-style GLOB (`*`, `?`, `[...]`), case-sensitive; `*` also matches `/`."""
        # `~~~` is DuckDB's GLOB operator; `glob` itself is only a table function (it lists files)
        return self._method(lambda e: fn("~~~", e, pattern), f"glob({pattern!r})")

    def regexp(self, pattern: str) -> Expr:
        """True where the whole value matches a regular expression."""
        return self._method(lambda e: fn("regexp_full_match", e, pattern), f"regexp({pattern!r})")

    def isin(self, values: Iterable[Any]) -> Expr:
        """True where the value is one of `values`."""
        items = list(values)
        return self._method(lambda e: e.isin(*items) if items else lit(False), f"isin({items!r})")

    def is_null(self) -> Expr:
        return self._method(lambda e: e.isnull(), "is_null()")

    def is_not_null(self) -> Expr:
        return self._method(lambda e: e.isnotnull(), "is_not_null()")

    def cast(self, sql_type: str) -> Expr:
        """Convert to a DuckDB type, e.g. `C("size").cast("DOUBLE")`."""
        return self._method(lambda e: e.cast(sql_type), f"cast({sql_type})")

    def desc(self) -> Expr:
        """Descending order (for `order_by`)."""
        return self._method(lambda e: e.desc(), "desc()")

    def asc(self) -> Expr:
        return self._method(lambda e: e.asc(), "asc()")

    def _method(self, apply: Callable[[duckdb.Expression], duckdb.Expression], text: str) -> Expr:
        return Expr(lambda s: apply(self.build(s)), f"{self.text}.{text}", is_aggregate=self.is_aggregate)


class C(Expr):
    """A column by name; nested fields use dots: `C("info.width")`, `C("file.path")`.

    Example:
        >>> big = (C("info.width") > 400) & ~C("file.path").ilike("%cocker_spaniel%")
    """

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(lambda s: resolve_column(name, s), f"C({name!r})")


def lift(value: Any) -> Expr:
    """An Expr as is; any other value as a literal."""
    if isinstance(value, Expr):
        return value
    return Expr(lambda _s: lit(value), repr(value))


def column_or_expr(value: str | Expr) -> Expr:
    """Strings name columns (as in `order_by("dist")`); Exprs pass through."""
    return C(value) if isinstance(value, str) else lift(value)


def resolve_column(name: str, schema: Schema) -> duckdb.Expression:
    """`info.width` -> the DuckDB expression `"info"['width']` after checking the field exists."""
    if name in schema:
        return col(name)
    head, *rest = name.split(".")
    spec = schema.get(head)
    if spec is not None and rest and spec.at(rest) is not None:
        expression: duckdb.Expression = col(head)
        for part in rest:
            expression = expression[part]
        return expression
    raise ColumnNotFoundError(_unknown_column_message(name, schema))


def _unknown_column_message(name: str, schema: Schema) -> str:
    known = known_columns(schema)
    close = difflib.get_close_matches(name, known, n=3)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    return f"unknown column {name!r}{hint} (columns: {', '.join(known)})"
