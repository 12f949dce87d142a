"""Functions over text columns: `func.string.length("file.path")`."""

from __future__ import annotations

import re

import duckdb

from ...memory.expressions import col, fn, lambda_, lit, when
from ..expr import Expr, is_integer, type_of
from ._base import call, compose, compose_typed


def length(col: str | Expr) -> Expr:
    """Number of characters (of the text form, for a number: `length(123)` is 3, as in DataChain)."""

    def build(built, exprs, schema):
        text = built[0] if type_of(exprs[0], built[0], schema) == "VARCHAR" else built[0].cast("VARCHAR")
        return fn("length", text)

    return compose_typed(build, "string.length", col)


def lower(col: str | Expr) -> Expr:
    """Lower-case text (not in DataChain 0.62)."""
    return call("lower", "string.lower", col, static_type="VARCHAR")


def upper(col: str | Expr) -> Expr:
    """Upper-case text (not in DataChain 0.62)."""
    return call("upper", "string.upper", col, static_type="VARCHAR")


def split(col: str | Expr, sep: str, limit: int | None = None) -> Expr:
    """The parts between separators; with `limit`, at most `limit` splits (the rest stays in the last part),
    as Python's `str.split(sep, limit)`."""
    if limit is None:
        return call("string_split", "string.split", col, sep)

    def build(text: duckdb.Expression, separator: duckdb.Expression) -> duckdb.Expression:
        parts = fn("string_split", text, separator)
        head = fn("list_slice", parts, lit(1), lit(limit))
        tail = fn("array_to_string", fn("list_slice", parts, lit(limit + 1), fn("len", parts)), separator)
        return when(fn("len", parts) > lit(limit), fn("list_append", head, tail)).otherwise(parts)

    return compose(build, "string.split", col, sep)


def replace(col: str | Expr, pattern: str, replacement: str) -> Expr:
    """Every occurrence of the text `pattern` replaced by `replacement`."""
    if pattern == "":  # nothing to replace (DuckDB would insert between characters)
        return compose(lambda e, *_: e, "string.replace", col, pattern, replacement)
    return call("replace", "string.replace", col, pattern, replacement, static_type="VARCHAR")


def regexp_replace(col: str | Expr, regex: str, replacement: str) -> Expr:
    """Every match of a regular expression replaced; the replacement uses Python's `re.sub` syntax
    (`\\1`, `\\g<1>`), as in DataChain."""
    return call("regexp_replace", "string.regexp_replace", col, regex, _re2_replacement(replacement), "g",
                static_type="VARCHAR")


def byte_hamming_distance(*args: str | Expr) -> Expr:
    """Number of positions where two strings differ, plus the difference of their lengths
    (strings name columns; wrap text in `func.literal`)."""
    if len(args) != 2:
        raise ValueError("byte_hamming_distance() requires exactly two arguments")

    def build(a: duckdb.Expression, b: duckdb.Expression) -> duckdb.Expression:
        position = col("i")
        differs = fn("substr", a, position, lit(1)) != fn("substr", b, position, lit(1))
        shorter = fn("least", fn("length", a), fn("length", b))
        mismatches = fn("list_count", fn("list_filter", fn("range", lit(1), shorter + lit(1)),
                                         lambda_("i", differs)))
        return (fn("abs", fn("length", a) - fn("length", b)) + mismatches).cast("BIGINT")

    return compose(build, "byte_hamming_distance", *args, columns=2, static_type="BIGINT")


def string_hash(*cols: str | Expr) -> Expr:
    """A signed 64-bit hash of one or more values (joined by `|` as text; NULL if any is NULL): the first
    8 bytes of their SHA-256, as DataChain computes it."""

    def build(built, exprs, schema):
        texts = [_as_text(e, x, schema) for e, x in zip(built, exprs, strict=True)]
        joined = texts[0] if len(texts) == 1 else fn("concat_ws", lit("|"), *texts)
        for text in texts:  # concat_ws skips NULLs; DataChain gives NULL when any value is
            joined = when(text.isnull(), lit(None)).otherwise(joined)
        unsigned = fn("||", lit("0x"), fn("substr", fn("sha256", joined), lit(1), lit(16))).cast("UBIGINT")
        signed = when(unsigned < lit(2**63).cast("UHUGEINT"), unsigned.cast("HUGEINT"))
        return signed.otherwise(unsigned.cast("HUGEINT") - lit(2**64).cast("HUGEINT")).cast("BIGINT")

    return compose_typed(build, "string_hash", *cols, columns=len(cols))


def _as_text(built: duckdb.Expression, expr: Expr, schema: dict) -> duckdb.Expression:
    """Values as text, as DataChain hashes them: booleans as 1/0."""
    sql_type = type_of(expr, built, schema)
    if sql_type == "BOOLEAN" or is_integer(sql_type):
        return built.cast("BIGINT").cast("VARCHAR")
    return built.cast("VARCHAR")


def _re2_replacement(replacement: str) -> str:
    """Python `re.sub` replacement syntax -> RE2's: `\\g<1>` and `\\g<0>` become `\\1` and `\\0`."""
    return re.sub(r"\\g<(\d+)>", r"\\\1", replacement)
