"""`func.rand()`: a random number per row."""

from __future__ import annotations

from ...memory.expressions import fn, lit
from ..expr import Expr


def rand() -> Expr:
    """A random signed 64-bit integer per row, as DataChain's `rand` (e.g. `filter(func.rand() % 10 == 0)`)."""
    # hashing a random double spreads its 53 random bits over all 64, so low bits (rand() % n) are uniform too
    return Expr(lambda _s: (fn("hash", fn("random")).cast("HUGEINT") - lit(2**63).cast("HUGEINT")).cast("BIGINT"),
                "rand()", static_type="BIGINT")
