"""Class-based UDFs: an object whose `setup()` runs once per process before its `process()` calls, and whose
`teardown()` runs once at the end — for a model or a client built once and reused over many rows."""

from __future__ import annotations

from typing import Any


class AbstractUDF:
    """Base of class-based UDFs. Subclass `Mapper`, `Generator` or `Aggregator` and define `process`; its
    parameter names pick input columns and its return annotation types the output, as for a plain function."""

    def setup(self) -> None:
        """Build expensive state (a model, a connection). Runs once in each process that calls `process`."""

    def process(self, *args: Any, **kwargs: Any) -> Any:
        """Compute the output for one row (Mapper), the rows for one row (Generator) or for one group
        (Aggregator)."""
        raise NotImplementedError(f"{type(self).__name__} must define process()")

    def teardown(self) -> None:
        """Release what `setup()` built. Runs once in each process after its last `process` call."""


class Mapper(AbstractUDF):
    """A class-based `map()` UDF: `process` returns one value per input row.

    Example:
        >>> class Scale(Mapper):
        ...     def setup(self):
        ...         self.factor = 10
        ...     def process(self, n: int) -> int:
        ...         return n * self.factor
        >>> read_values(n=[1, 2]).map(scaled=Scale()).to_values("scaled")
        [10, 20]
    """


class Generator(AbstractUDF):
    """A class-based `gen()` UDF: `process` yields zero or more output rows per input row."""


class Aggregator(AbstractUDF):
    """A class-based `agg()` UDF: `process` receives lists of a group's values and yields output rows."""


class BatchMapper(AbstractUDF):
    """A class-based `batch_map()` UDF: `process` receives lists of a batch's values and returns one result each."""
