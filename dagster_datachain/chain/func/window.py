"""`func.window`: how a window function partitions and orders rows."""

from __future__ import annotations

from dataclasses import dataclass

from ..expr import Expr, column_or_expr


@dataclass(frozen=True)
class Window:
    """A window: rows with equal `partition_by` form a partition, ordered by `order_by` (NULLs last)."""

    partition_by: Expr
    order_by: Expr
    desc: bool = False

    def __repr__(self) -> str:
        return f"window({self.partition_by.text}, {self.order_by.text}, desc={self.desc})"


def window(partition_by: str | Expr, order_by: str | Expr, desc: bool = False) -> Window:
    """A window for `.over()`.

    Example:
        >>> w = func.window(partition_by="city", order_by="age")
        >>> chain.mutate(n=func.row_number().over(w))
    """
    return Window(column_or_expr(partition_by), column_or_expr(order_by), desc)
