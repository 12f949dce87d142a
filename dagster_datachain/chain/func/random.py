"""`func.rand()`: a random number per row."""

from __future__ import annotations

from duckdb import fn, lit

from ..expr import Expr

_SPAN = float(2**64)


def rand() -> Expr:
    """A random signed 64-bit integer per row, as DataChain's `rand` (e.g. `filter(func.rand() % 10 == 0)`)."""
    return Expr(lambda _s: fn("floor", (fn("random") - lit(0.5)) * lit(_SPAN)).cast("BIGINT"), "rand()",
                static_type="BIGINT")
