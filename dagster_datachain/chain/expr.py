"""Column expressions: `C("info.width") > 400` builds a DuckDB expression once the chain's schema is known.

An `Expr` holds a function from schema to `duckdb.Expression`, plus a readable text used in errors and in
the fingerprint that keys checkpoints. Values become DuckDB literals through its expression API; no user
value is ever pasted into SQL by this package. Operators follow DataChain's: `&`/`|` are AND/OR on booleans
and bitwise on integers, `//` truncates toward zero, `C("x") == None` is IS NULL.
"""

from __future__ import annotations

import datetime as dt
import difflib
import threading
from collections.abc import Callable, Iterable
from typing import Any

import duckdb
import pyarrow as pa

from ..errors import ColumnNotFoundError, SchemaError
from ..memory.expressions import coalesce, col, field, fn, lit, over, with_window_columns
from ..memory.expressions import like as like_expression
from ..memory.schema import Schema, known_columns, to_arrow_schema

Builder = Callable[[Schema], duckdb.Expression]
WindowCall = Callable[[Schema], tuple[str, list[duckdb.Expression]]]  # a window function's name and arguments
Combine = Callable[[duckdb.Expression, duckdb.Expression, str, str], duckdb.Expression]

# Python types `cast` accepts, as DataChain's func.cast does, with the DuckDB type each becomes
CAST_TYPES: dict[type, str] = {int: "BIGINT", float: "DOUBLE", str: "VARCHAR", bool: "BOOLEAN", bytes: "BLOB",
                               dt.datetime: "TIMESTAMPTZ"}
_INTEGER_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT",
                  "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT"}  # fmt: skip


class Expr:
    """A lazily resolved column expression; combine with Python operators and the methods below.

    Example:
        >>> big = (C("info.width") > 400) & ~C("file.path").ilike("%cocker_spaniel%")
    """

    __slots__ = ("_build", "_window_call", "is_aggregate", "is_window", "label_name", "static_type", "text")

    def __init__(self, build: Builder, text: str, *, parts: Iterable[Expr] = (), is_aggregate: bool = False,
                 is_window: bool = False, static_type: str | None = None,
                 window_call: WindowCall | None = None) -> None:
        parts = tuple(parts)  # the sub-expressions: an expression over an aggregate is an aggregate, etc.
        self._build = build
        self.text = text
        self.is_aggregate: bool = is_aggregate or any(p.is_aggregate for p in parts)
        self.is_window: bool = is_window or any(p.is_window for p in parts)
        self.static_type = static_type  # the DuckDB type when known without a schema ("BOOLEAN" for predicates)
        self.label_name: str | None = None
        self._window_call = window_call  # set for window functions: the call that OVER applies to

    def build(self, schema: Schema) -> duckdb.Expression:
        """The DuckDB expression for a chain with `schema` (raises ColumnNotFoundError for unknown columns)."""
        return self._build(schema)

    def __repr__(self) -> str:
        return self.text

    __hash__ = object.__hash__

    def __bool__(self) -> bool:
        """An expression has no truth value in Python (as in DataChain): `1 < C("x") < 3` or `a and b` would
        silently drop a condition, so they raise."""
        raise TypeError(f"Boolean value of {self.text} is not defined: combine conditions with &, | and ~ "
                        "(not and/or/not), and write ranges as (C(...) > a) & (C(...) < b)")

    def label(self, name: str) -> Expr:
        """The same expression named `name`: the column a `group_by(partition_by=...)` key expression becomes."""
        labelled = Expr(self._build, self.text, parts=(self,), static_type=self.static_type,
                        window_call=self._window_call)
        labelled.label_name = name
        return labelled

    def over(self, window: Any) -> Expr:
        """A window function evaluated over `func.window(partition_by=..., order_by=...)`; NULLs sort last."""
        window_call = self._window_call
        if window_call is None:
            raise SchemaError(f"{self.text} doesn't support window (over())")

        def build(schema: Schema) -> duckdb.Expression:
            function, args = window_call(schema)
            return over(function, args, partition_by=[window.partition_by.build(schema)],
                        order_by=[(window.order_by.build(schema), window.desc)])

        return Expr(build, f"{self.text}.over({window!r})", is_window=True, static_type=self.static_type)

    # ----------------------------------------------------------------- operators
    def _binary(self, other: Any, op: Callable[[Any, Any], Any], symbol: str, *, swap: bool = False,
                static_type: str | None = None) -> Expr:
        left, right = (lift(other), self) if swap else (self, lift(other))
        return Expr(
            lambda s: op(left.build(s), right.build(s)),
            f"({left.text} {symbol} {right.text})",
            parts=(left, right),
            static_type=static_type,
        )

    def _typed(self, other: Any, combine: Combine, symbol: str, *, swap: bool = False) -> Expr:
        """A binary operator whose DuckDB form depends on the operand types (known once the schema is)."""
        left, right = (lift(other), self) if swap else (self, lift(other))

        def build(schema: Schema) -> duckdb.Expression:
            a, b = left.build(schema), right.build(schema)
            return combine(a, b, type_of(left, a, schema), type_of(right, b, schema))

        return Expr(build, f"({left.text} {symbol} {right.text})", parts=(left, right))

    def __eq__(self, other: object) -> Expr:  # type: ignore[override]
        """`C("x") == None` means IS NULL, as in SQLAlchemy and the reference; otherwise SQL equality."""
        if other is None:
            return self.is_null()
        return self._binary(other, lambda a, b: a == b, "==", static_type="BOOLEAN")

    def __ne__(self, other: object) -> Expr:  # type: ignore[override]
        """`C("x") != None` means IS NOT NULL."""
        if other is None:
            return self.is_not_null()
        return self._binary(other, lambda a, b: a != b, "!=", static_type="BOOLEAN")

    def __lt__(self, other: Any) -> Expr:
        return self._binary(other, lambda a, b: a < b, "<", static_type="BOOLEAN")

    def __le__(self, other: Any) -> Expr:
        return self._binary(other, lambda a, b: a <= b, "<=", static_type="BOOLEAN")

    def __gt__(self, other: Any) -> Expr:
        return self._binary(other, lambda a, b: a > b, ">", static_type="BOOLEAN")

    def __ge__(self, other: Any) -> Expr:
        return self._binary(other, lambda a, b: a >= b, ">=", static_type="BOOLEAN")

    def _logical_or_bitwise(self, other: Any, logical: Callable[[Any, Any], Any], bitwise: str,
                            *, swap: bool = False) -> Expr:
        if self.static_type == "BOOLEAN" and lift(other).static_type == "BOOLEAN":
            return self._binary(other, logical, bitwise, swap=swap, static_type="BOOLEAN")
        return self._typed(other, lambda a, b, ta, tb: logical(a, b) if ta == tb == "BOOLEAN" else fn(bitwise, a, b),
                           bitwise, swap=swap)

    def __and__(self, other: Any) -> Expr:
        """AND of two conditions; bitwise AND of two integers."""
        return self._logical_or_bitwise(other, lambda a, b: a & b, "&")

    def __rand__(self, other: Any) -> Expr:
        return self._logical_or_bitwise(other, lambda a, b: a & b, "&", swap=True)

    def __or__(self, other: Any) -> Expr:
        """OR of two conditions; bitwise OR of two integers."""
        return self._logical_or_bitwise(other, lambda a, b: a | b, "|")

    def __ror__(self, other: Any) -> Expr:
        return self._logical_or_bitwise(other, lambda a, b: a | b, "|", swap=True)

    def __xor__(self, other: Any) -> Expr:
        """Bitwise XOR of two integers."""
        return self._binary(other, lambda a, b: fn("xor", a, b), "^")

    def __rxor__(self, other: Any) -> Expr:
        return self._binary(other, lambda a, b: fn("xor", a, b), "^", swap=True)

    def __lshift__(self, other: Any) -> Expr:
        return self._binary(other, lambda a, b: fn("<<", a, b), "<<")

    def __rlshift__(self, other: Any) -> Expr:
        return self._binary(other, lambda a, b: fn("<<", a, b), "<<", swap=True)

    def __rshift__(self, other: Any) -> Expr:
        return self._binary(other, lambda a, b: fn(">>", a, b), ">>")

    def __rrshift__(self, other: Any) -> Expr:
        return self._binary(other, lambda a, b: fn(">>", a, b), ">>", swap=True)

    def __add__(self, other: Any) -> Expr:
        """Sum of numbers; concatenation when both sides are text."""
        return self._typed(other, _add, "+")

    def __radd__(self, other: Any) -> Expr:
        return self._typed(other, _add, "+", swap=True)

    def __sub__(self, other: Any) -> Expr:
        return self._binary(other, lambda a, b: a - b, "-")

    def __rsub__(self, other: Any) -> Expr:
        return self._binary(other, lambda a, b: a - b, "-", swap=True)

    def __mul__(self, other: Any) -> Expr:
        return self._binary(other, lambda a, b: a * b, "*")

    def __rmul__(self, other: Any) -> Expr:
        return self._binary(other, lambda a, b: a * b, "*", swap=True)

    def __truediv__(self, other: Any) -> Expr:
        """Division; always a float, as in DataChain."""
        return self._binary(other, _divide, "/")

    def __rtruediv__(self, other: Any) -> Expr:
        return self._binary(other, _divide, "/", swap=True)

    def __floordiv__(self, other: Any) -> Expr:
        """The quotient truncated toward zero, as an integer (`-7 // 2` is -3, as in DataChain)."""
        return self._binary(other, _floordiv, "//")

    def __rfloordiv__(self, other: Any) -> Expr:
        return self._binary(other, _floordiv, "//", swap=True)

    def __mod__(self, other: Any) -> Expr:
        """Remainder with the sign of the dividend; floats are truncated to integers first, as in DataChain."""
        return self._typed(other, _modulo, "%")

    def __rmod__(self, other: Any) -> Expr:
        return self._typed(other, _modulo, "%", swap=True)

    def __pow__(self, other: Any) -> Expr:
        return self._binary(other, lambda a, b: fn("pow", a, b), "**")

    def __rpow__(self, other: Any) -> Expr:
        return self._binary(other, lambda a, b: fn("pow", a, b), "**", swap=True)

    def bitwise_and(self, other: Any) -> Expr:
        """Bitwise AND (SQLAlchemy's name)."""
        return self._binary(other, lambda a, b: fn("&", a, b), "&")

    def bitwise_or(self, other: Any) -> Expr:
        return self._binary(other, lambda a, b: fn("|", a, b), "|")

    def bitwise_xor(self, other: Any) -> Expr:
        return self.__xor__(other)

    def bitwise_lshift(self, other: Any) -> Expr:
        return self.__lshift__(other)

    def bitwise_rshift(self, other: Any) -> Expr:
        return self.__rshift__(other)

    def bitwise_not(self) -> Expr:
        """Bitwise NOT of an integer."""
        return self._method(lambda e: fn("~", e), "bitwise_not()")

    def op(self, operator: str) -> Callable[[Any], Expr]:
        """A DuckDB binary operator by name: `C("a").op("+")(1)`."""
        return lambda other: self._binary(other, lambda a, b: fn(operator, a, b), operator)

    def __invert__(self) -> Expr:
        """NOT of a condition."""
        return Expr(lambda s: ~self.build(s), f"~{self.text}", parts=(self,),
                    static_type="BOOLEAN")

    def __neg__(self) -> Expr:
        return Expr(lambda s: -self.build(s), f"-{self.text}", parts=(self,))

    def __abs__(self) -> Expr:
        return self._method(lambda e: fn("abs", e), "abs()")

    # ----------------------------------------------------------------- predicates and ordering
    def like(self, pattern: str, escape: str | None = None) -> Expr:
        """SQL LIKE (`%` any run, `_` one character), case-sensitive; `escape` quotes a wildcard."""
        return self._predicate(lambda e: like_expression(e, pattern, escape), f"like({pattern!r}, {escape!r})")

    def ilike(self, pattern: str, escape: str | None = None) -> Expr:
        """Case-insensitive LIKE: `C("file.path").ilike("%cocker_spaniel%")`."""
        return self._predicate(lambda e: like_expression(e, pattern, escape, case_sensitive=False),
                               f"ilike({pattern!r}, {escape!r})")

    def not_like(self, pattern: str) -> Expr:
        """NOT LIKE."""
        return ~self.like(pattern)

    notlike = not_like

    def not_ilike(self, pattern: str) -> Expr:
        """NOT ILIKE."""
        return ~self.ilike(pattern)

    notilike = not_ilike

    def startswith(self, prefix: str, autoescape: bool = False) -> Expr:
        """`LIKE prefix || '%'`, as SQLAlchemy's `startswith`: `%` and `_` in `prefix` stay wildcards unless
        `autoescape=True`."""
        return self._affix("like", "{}%", prefix, autoescape)

    def endswith(self, suffix: str, autoescape: bool = False) -> Expr:
        """`LIKE '%' || suffix`."""
        return self._affix("like", "%{}", suffix, autoescape)

    def contains(self, text: str, autoescape: bool = False) -> Expr:
        """`LIKE '%' || text || '%'` (for lists use `func.array.contains`)."""
        return self._affix("like", "%{}%", text, autoescape)

    def istartswith(self, prefix: str, autoescape: bool = False) -> Expr:
        """Case-insensitive `startswith`."""
        return self._affix("ilike", "{}%", prefix, autoescape)

    def iendswith(self, suffix: str, autoescape: bool = False) -> Expr:
        """Case-insensitive `endswith`."""
        return self._affix("ilike", "%{}", suffix, autoescape)

    def icontains(self, text: str, autoescape: bool = False) -> Expr:
        """Case-insensitive `contains`."""
        return self._affix("ilike", "%{}%", text, autoescape)

    def _affix(self, method: str, template: str, text: str, autoescape: bool) -> Expr:
        if autoescape:
            text = text.replace("/", "//").replace("%", "/%").replace("_", "/_")
        return getattr(self, method)(template.format(text), escape="/" if autoescape else None)

    def concat(self, other: Any) -> Expr:
        """Text concatenation (`||`)."""
        return self._binary(other, lambda a, b: fn("||", a, b), "||", static_type="VARCHAR")

    def glob(self, pattern: str) -> Expr:
        """Shell-style GLOB (`*`, `?`, `[...]`), case-sensitive; `*` also matches `/`."""
        # `~~~` is DuckDB's GLOB operator; `glob` itself is only a table function (it lists files)
        return self._predicate(lambda e: fn("~~~", e, pattern), f"glob({pattern!r})")

    def regexp(self, pattern: str) -> Expr:
        """True where a regular expression matches anywhere in the value (SQL REGEXP)."""
        return self._predicate(lambda e: fn("regexp_matches", e, pattern), f"regexp({pattern!r})")

    regexp_match = regexp

    def isin(self, values: Iterable[Any]) -> Expr:
        """True where the value is one of `values`."""
        items = list(values)
        return self._predicate(lambda e: e.isin(*(lit(v) for v in items)) if items else lit(False), f"isin({items!r})")

    in_ = isin

    def not_in(self, values: Iterable[Any]) -> Expr:
        """True where the value is none of `values`."""
        return ~self.isin(values)

    notin_ = not_in

    def between(self, low: Any, high: Any) -> Expr:
        """`low <= value <= high`."""
        return self._predicate(lambda e: e.between(lit(low), lit(high)), f"between({low!r}, {high!r})")

    def is_null(self) -> Expr:
        """IS NULL (also `C("x") == None`)."""
        return self._predicate(lambda e: e.isnull(), "is_null()")

    def is_not_null(self) -> Expr:
        """IS NOT NULL (also `C("x") != None`)."""
        return self._predicate(lambda e: e.isnotnull(), "is_not_null()")

    def is_(self, value: Any) -> Expr:
        """`IS value`: `is_(None)` is IS NULL; other values compare as IS NOT DISTINCT FROM."""
        if value is None:
            return self.is_null()
        return self._predicate(lambda e: coalesce(e == lit(value), lit(False)), f"is_({value!r})")

    def is_not(self, value: Any) -> Expr:
        """The negation of `is_`: `is_not(None)` is IS NOT NULL."""
        return ~self.is_(value)

    isnot = is_not

    def is_not_distinct_from(self, other: Any) -> Expr:
        """Equality where NULL equals NULL."""
        return self._binary(other, lambda a, b: coalesce(a == b, a.isnull() & b.isnull()),
                            "IS NOT DISTINCT FROM", static_type="BOOLEAN")

    isnot_distinct_from = is_not_distinct_from

    def is_distinct_from(self, other: Any) -> Expr:
        """Inequality where NULL equals NULL."""
        return ~self.is_not_distinct_from(other)

    def cast(self, to: type | str) -> Expr:
        """Convert to a Python type (int, float, str, bool, bytes, datetime) or a DuckDB type name."""
        sql_type = to if isinstance(to, str) else CAST_TYPES.get(to)
        if sql_type is None:
            raise SchemaError(f"cast supports int, float, str, bool, bytes and datetime, not {to!r}")
        return self._method(lambda e: e.cast(sql_type), f"cast({sql_type})")

    def distinct(self) -> Distinct:
        """The distinct values, for counting them: `group_by(n=func.count(C("breed").distinct()))`."""
        return Distinct(self)

    def desc(self) -> Expr:
        """Descending order (for `order_by`)."""
        return self._method(lambda e: e.desc(), "desc()")

    def asc(self) -> Expr:
        """Ascending order (for `order_by`)."""
        return self._method(lambda e: e.asc(), "asc()")

    def nulls_first(self) -> Expr:
        """NULLs before other values (for `order_by`)."""
        return self._method(lambda e: e.nulls_first(), "nulls_first()")

    def nulls_last(self) -> Expr:
        """NULLs after other values (for `order_by`)."""
        return self._method(lambda e: e.nulls_last(), "nulls_last()")

    nullsfirst, nullslast = nulls_first, nulls_last

    def collate(self, collation: str) -> Expr:
        """Compare and sort text by a DuckDB collation, e.g. `order_by(C("name").collate("NOCASE"))`."""
        return self._method(lambda e: e.collate(collation), f"collate({collation!r})")

    def _method(self, apply: Callable[[duckdb.Expression], duckdb.Expression], text: str) -> Expr:
        return Expr(lambda s: apply(self.build(s)), f"{self.text}.{text}", parts=(self,))

    def _predicate(self, apply: Callable[[duckdb.Expression], duckdb.Expression], text: str) -> Expr:
        return Expr(lambda s: apply(self.build(s)), f"{self.text}.{text}", parts=(self,),
                    static_type="BOOLEAN")


class Distinct(Expr):
    """`expr.distinct()`: only meaningful inside `func.count`, which counts distinct non-NULL values."""

    __slots__ = ("inner",)

    def __init__(self, inner: Expr) -> None:
        self.inner = inner

        def build(_schema: Schema) -> duckdb.Expression:
            raise SchemaError(f"{inner.text}.distinct() works inside func.count() only")

        super().__init__(build, f"{inner.text}.distinct()", parts=(inner,))


class _ColumnMeta(type):
    """`C.file.path` is `C("file.path")`, as in DataChain."""

    def __getattr__(cls, name: str) -> C:
        if name.startswith("_"):
            raise AttributeError(name)
        return cls(name)


class C(Expr, metaclass=_ColumnMeta):
    """A column by name; nested fields use dots or attributes: `C("info.width")`, `C("file").path`, `C.file.path`.

    Example:
        >>> big = (C("info.width") > 400) & ~C("file.path").ilike("%cocker_spaniel%")
    """

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(lambda s: resolve_column(name, s), f"C({name!r})")

    def __getattr__(self, field: str) -> C:
        if field.startswith("_"):
            raise AttributeError(field)
        return C(f"{self.name}.{field}")


def lift(value: Any) -> Expr:
    """An Expr as is; any other value as a literal."""
    if isinstance(value, Expr):
        return value
    static = {bool: "BOOLEAN", str: "VARCHAR", int: "BIGINT", float: "DOUBLE"}.get(type(value))
    if value is None:
        static = "NULL"
    return Expr(lambda _s: lit(value), repr(value), static_type=static)


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
            expression = field(expression, part)
        return expression
    raise ColumnNotFoundError(_unknown_column_message(name, schema))


def _unknown_column_message(name: str, schema: Schema) -> str:
    known = known_columns(schema)
    close = difflib.get_close_matches(name, known, n=3)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    return f"unknown column {name!r}{hint} (columns: {', '.join(known)})"


# ----------------------------------------------------------------------------- types of built expressions

_scratch = threading.local()


def type_of(expr: Expr, built: duckdb.Expression, schema: Schema) -> str:
    """The DuckDB type of `built` (the expression `expr` gave for `schema`), without reading any row."""
    if expr.static_type is not None:
        return expr.static_type
    cached_schema, empty = getattr(_scratch, "empty", (None, None))
    if cached_schema is not schema:  # one empty stand-in per schema, reused while a chain is built
        con = getattr(_scratch, "con", None)
        if con is None:
            con = _scratch.con = duckdb.connect()
        empty = con.from_arrow(pa.Table.from_batches([], to_arrow_schema(schema)))
        _scratch.empty = (schema, empty)
    assert empty is not None
    rel = with_window_columns(empty)
    return str((rel.aggregate([built]) if expr.is_aggregate else rel.select(built)).types[0])


def is_integer(sql_type: str) -> bool:
    return sql_type in _INTEGER_TYPES


def is_float(sql_type: str) -> bool:
    return sql_type in ("FLOAT", "DOUBLE") or sql_type.startswith("DECIMAL")


def _add(a: duckdb.Expression, b: duckdb.Expression, ta: str, tb: str) -> duckdb.Expression:
    return fn("||", a, b) if "VARCHAR" in (ta, tb) and {ta, tb} <= {"VARCHAR", "NULL"} else a + b


def _divide(a: duckdb.Expression, b: duckdb.Expression) -> duckdb.Expression:
    return a.cast("DOUBLE") / b


def _floordiv(a: duckdb.Expression, b: duckdb.Expression) -> duckdb.Expression:
    return fn("trunc", _divide(a, b)).cast("BIGINT")


def _modulo(a: duckdb.Expression, b: duckdb.Expression, ta: str, tb: str) -> duckdb.Expression:
    """SQL `%` works on integers (the operands' fractions are dropped) and `x % 0` is NULL, as in DataChain."""
    if is_float(ta) or is_float(tb):
        a, b = fn("trunc", a).cast("BIGINT"), fn("trunc", b).cast("BIGINT")
        return (a % fn("nullif", b, lit(0))).cast("DOUBLE")
    return a % fn("nullif", b, lit(0))
