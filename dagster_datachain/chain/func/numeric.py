"""Functions over integers: bitwise `bit_and`/`bit_or`/`bit_xor`, `bit_hamming_distance`, `int_hash_64`."""

from __future__ import annotations

import duckdb

from ...errors import SchemaError
from ...memory.expressions import fn, lit, when
from ..expr import Expr
from ._base import compose

_K, _M1, _M2 = 0x4CF2D2BAAE6DA887, 0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53  # ClickHouse's intHash64 constants
_LOW64 = 2**64 - 1


def bit_and(*args: str | Expr | int) -> Expr:
    """Bitwise AND of two integers (column names, Exprs or int literals)."""
    return _bitwise("&", "bit_and", args)


def bit_or(*args: str | Expr | int) -> Expr:
    """Bitwise OR of two integers."""
    return _bitwise("|", "bit_or", args)


def bit_xor(*args: str | Expr | int) -> Expr:
    """Bitwise XOR of two integers."""
    return _bitwise("xor", "bit_xor", args)


def bit_hamming_distance(*args: str | Expr | int) -> Expr:
    """Number of differing bits between two 64-bit integers (0 for equal values, at most 64)."""
    _two(args, "bit_hamming_distance")
    ordered, columns = _ordered(args)
    return compose(lambda a, b: fn("bit_count", fn("xor", a.cast("BIGINT"), b.cast("BIGINT"))).cast("BIGINT"),
                   "bit_hamming_distance", *ordered, columns=columns, static_type="BIGINT")


def int_hash_64(col: str | Expr | int) -> Expr:
    """ClickHouse's IntHash64 of an integer, as a signed 64-bit integer (the values DataChain gives)."""
    return compose(_int_hash_64, "int_hash_64", col, columns=0 if isinstance(col, int) else 1, static_type="BIGINT")


def _int_hash_64(x: duckdb.Expression) -> duckdb.Expression:
    # Python-integer semantics as DataChain computes it: signed steps in HUGEINT, then 64-bit products
    # (which need 128 bits) in UHUGEINT, then back to a signed 64-bit value
    def huge(value: int) -> duckdb.Expression:
        return lit(value).cast("HUGEINT")

    def unsigned(value: int) -> duckdb.Expression:
        return lit(value).cast("UHUGEINT")

    def fold(e: duckdb.Expression) -> duckdb.Expression:
        return fn("xor", e, fn(">>", e, lit(33)))

    h = fold(fn("xor", x.cast("HUGEINT"), huge(_K)))
    h = fold(fn("&", h * huge(_M1), huge(_LOW64)))
    u = fold(fn("&", h.cast("UHUGEINT") * unsigned(_M2), unsigned(_LOW64))).cast("HUGEINT")
    return when(u < huge(2**63), u).otherwise(u - huge(2**64)).cast("BIGINT")


def _bitwise(operator: str, name: str, args: tuple[str | Expr | int, ...]) -> Expr:
    _two(args, name)
    ordered, columns = _ordered(args)
    return compose(lambda a, b: fn(operator, a, b).cast("BIGINT"), name, *ordered, columns=columns,
                   static_type="BIGINT")


def _ordered(args: tuple[str | Expr | int, ...]) -> tuple[list[str | Expr | int], int]:
    """Columns first, then int literals (DataChain passes them in that order); and how many columns."""
    columns = [a for a in args if not isinstance(a, int)]
    return [*columns, *(a for a in args if isinstance(a, int))], len(columns)


def _two(args: tuple[object, ...], name: str) -> None:
    if len(args) != 2:
        raise SchemaError(f"{name}() requires exactly two arguments")
