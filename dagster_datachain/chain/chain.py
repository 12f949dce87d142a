"""DataChain: an immutable, lazy list of steps over a source. Building methods add steps here; running them
(query steps compiled to one DuckDB relation, UDF steps through the checkpointed runner) is `execute.py`,
`save()` is `save.py`; terminal methods execute, with `export.py` / `output.py` shaping the rows."""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from typing import IO, TYPE_CHECKING, Any, Literal

import duckdb
import pyarrow as pa
from pydantic import ValidationError

from ..errors import (
    DataChainColumnError,
    DataChainError,
    DataChainParamsError,
    DatasetMergeError,
    SetupError,
)
from ..memory import catalog, vector_index
from ..memory.expressions import field as struct_field
from ..memory.expressions import fn
from ..memory.names import Bump
from ..memory.schema import (
    Schema,
    TypeSpec,
    ValueBuilder,
    column_spec,
    python_type,
    schema_from_arrow,
)
from ..memory.store import Memory
from ..storage.file import File
from ..udf.settings import Settings
from ..udf.signature import UDFKind, make_udf
from . import diff, execute, export, file_export, output, save
from .expr import C, Expr, column_or_expr, lift, resolve_column
from .namespaces import DEFAULT_NAMESPACE, DEFAULT_PROJECT
from .session import Job, Session
from .steps import (
    DatasetSource,
    Distinct,
    Filter,
    GroupBy,
    IndexedSearchSource,
    Merge,
    Mutate,
    OrderBy,
    Select,
    Shuffle,
    Slice,
    Source,
    Step,
    Subtract,
    UDFStep,
    Union,
    names,
)
from .types import DataChainSchema

if TYPE_CHECKING:
    import pandas as pd

logger = logging.getLogger(__name__)

class DataChain:
    """A lazy chain of steps over files, datasets or values. Every method returns a new chain.

    Example:
        >>> import dagster_datachain as dc
        >>> dc.read_values(n=[1, 2, 3]).filter(dc.C("n") > 1).count()
        2
    """

    def __init__(
        self,
        source: Source,
        steps: Sequence[tuple[Step, Schema]] = (),
        *,
        memory: Memory,
        settings: Settings | None = None,
        setup: dict[str, Callable[[], Any]] | None = None,
        schema: Schema | None = None,
    ) -> None:
        self._source = source
        self._steps = tuple(steps)
        self._memory = memory
        self._settings = settings or Settings()
        self._setup = dict(setup or {})
        self._schema = schema if schema is not None else source.schema

    # ================================================================== introspection

    @property
    def schema(self) -> DataChainSchema:
        """Column name -> its Python type or pydantic model (`int | None`, `File`), as in DataChain; known without
        running anything; its `flatten` method gives the leaf columns. `specs` has the storage descriptions.

        Example:
            >>> read_values(n=[1]).schema
            {'n': int | None}
        """
        return DataChainSchema(self._schema)

    @property
    def specs(self) -> Schema:
        """Column name -> TypeSpec (kind, fields, item type, nullability, description), known without running."""
        return dict(self._schema)

    @property
    def column_names(self) -> list[str]:
        return list(self._schema)

    @property
    def dataset(self) -> catalog.VersionRecord | None:
        """The saved dataset version this chain reads as is (after `save()` or `read_dataset()`), else None."""
        return self._source.record if isinstance(self._source, DatasetSource) and not self._steps else None

    @property
    def name(self) -> str | None:
        """The name of the saved dataset this chain reads (after `save()` or `read_dataset()`), else None."""
        return self._source.record.name if isinstance(self._source, DatasetSource) else None

    @property
    def version(self) -> str | None:
        """The version of the saved dataset this chain reads (after `save()` or `read_dataset()`), else None."""
        return self._source.record.version if isinstance(self._source, DatasetSource) else None

    def column(self, name: str) -> C:
        """The column `name` as an expression; raises DataChainColumnError when the chain has no such column.

        Example:
            >>> chain.filter(chain.column("size") > 0)
        """
        if column_spec(name, self._schema) is None:
            raise DataChainColumnError(name, f"column with name {name} not found in the schema")
        return C(name)

    def c(self, column: str | C) -> C:
        """The column `column` (a name or a `C`) as an expression, checked against the schema.

        Args:
            column: A column name (`"info.width"`) or a `C`.

        Returns:
            The column as a `C`.

        Raises:
            DataChainColumnError: The chain has no such column.

        Example:
            >>> chain = dc.read_values(n=[1, 5, 9])
            >>> chain.filter(chain.c("n") > 3).count()
            2
        """
        return self.column(column.name if isinstance(column, C) else column)

    def clone(self) -> DataChain:
        """An equal chain (chains are immutable, so this is only for DataChain scripts that call it).

        Returns:
            A chain with the same source, steps and settings.

        Example:
            >>> dc.read_values(n=[1, 2]).clone().count()
            2
        """
        return self._copy()

    @property
    def memory(self) -> Memory:
        """The Data Memory this chain reads and saves to."""
        return self._memory

    def column_sources(self) -> dict[str, list[str]]:
        """For each column, the source columns it was computed from (passthrough: itself; UDF outputs: the
        columns its parameters read; DuckDB expressions: unknown, so empty)."""
        sources: dict[str, list[str]] = {c: [c] for c in self._source.schema}
        for step, _ in self._steps:
            if isinstance(step, UDFStep):
                read = sorted({s for p in step.udf.params for s in sources.get(p.column.split(".")[0], [])})
                computed = {out: read for out in step.udf.output}
                sources = {**sources, **computed} if step.udf.kind in ("map", "batch_map") else computed
            elif isinstance(step, (Mutate, GroupBy)):
                sources.update({name: [] for name in getattr(step, "columns", getattr(step, "aggregates", {}))})
        return {column: sources.get(column, []) for column in self._schema}

    def __repr__(self) -> str:
        """The schema tree, as `print_schema()` prints it."""
        return output.render_schema(self._schema)

    def print_schema(self, file: IO[str] | None = None) -> None:
        """Print the nested schema: each column with its type, nested fields indented.

        Args:
            file: Where to print (default: standard output).

        Example:
            >>> dc.read_values(n=[1]).print_schema()
            n: int
        """
        print(output.render_schema(self._schema), file=file)

    def apply(self, func: Callable[..., DataChain], *args: Any, **kwargs: Any) -> DataChain:
        """`func(self, *args, **kwargs)`: a reusable sequence of steps in a method chain.

        Example:
            >>> chain.apply(lambda c, n: c.filter(C("n") > n), 1)
        """
        return func(self, *args, **kwargs)

    @property
    def empty(self) -> bool:
        """Whether the chain has no rows (runs it)."""
        return self.limit(1).count() == 0

    def fingerprint(self) -> str:
        """What the chain computes, from which input: source identity and every step (UDF bodies excluded)."""
        text = "\n".join([self._source.text, *(s.text for s, _ in self._steps)])
        return hashlib.sha256(text.encode()).hexdigest()

    def code_hash(self) -> str:
        """A hash of the chain's code: every step (UDF bodies, filters, mutations, ...) and its sub-chains' code.

        Inputs are left out (a sub-chain counts by its own code hash), so new data never changes it.
        """
        # filters a similarity search applies through a vector index are code as well
        parts = [f.text for f in self._source.filters] if isinstance(self._source, IndexedSearchSource) else []
        for step, _ in self._steps:
            if isinstance(step, UDFStep):
                parts.append(f"{execute.step_key(self, step.udf)}|{execute.code_key(self, step.udf)}")
            elif step.subchains():
                parts.append(type(step).__name__ + "".join(sub.code_hash() for sub in step.subchains()))
            else:
                parts.append(step.text)
        return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]

    def lineage(self) -> list[catalog.LineageEntry]:
        """Datasets and listings this chain reads, directly or through sub-chains."""
        entries = list(self._source.lineage())
        for step, _ in self._steps:
            for sub in step.subchains():
                entries.extend(sub.lineage())
        unique = {(e.kind, e.name, e.version): e for e in entries}
        return list(unique.values())

    # ================================================================== building

    def _derive(self, step: Step, **changes: Any) -> DataChain:
        if isinstance(step, UDFStep):
            schema = step.output_schema(self._schema)
        else:
            schema = execute.infer_schema(step, self._schema)
        return self._copy(steps=(*self._steps, (step, self._schema)), schema=schema, **changes)

    def _copy(self, **changes: Any) -> DataChain:
        state: dict[str, Any] = {"source": self._source, "steps": self._steps, "memory": self._memory,
                 "settings": self._settings, "setup": self._setup, "schema": self._schema}
        state.update(changes)
        return DataChain(**state)

    def settings(self, *, batch_size: int | None = None, prefetch: int | None = None,
                 parallel: int | bool | None = None, cache: bool | None = None,
                 on_error: Literal["raise", "skip"] | None = None, ephemeral: bool | None = None,
                 workers: int | None = None, min_task_size: int | None = None, namespace: str | None = None,
                 project: str | None = None) -> DataChain:
        """Change how UDFs run: `batch_size` rows per checkpoint, `prefetch` files read ahead, `parallel` workers,
        `on_error="skip"` to leave out rows the UDF fails on (recorded in dataset `<name>__errors` on save).
        DataChain's `ephemeral=True` makes `chain.job` raise (no job); `namespace`/`project` say where `save()`
        goes, which must be `local` (as in DataChain's local mode, another raises ProjectCreateNotAllowedError on
        save); its `workers` (distributed) and `min_task_size` are accepted and have no effect here: UDF results
        are always checkpoint parts removed after save.

        Args:
            batch_size: Rows per checkpointed unit of work (and per `batch_map` call).
            prefetch: Files read ahead of the UDF.
            parallel: Worker processes (`True`: one per CPU).
            cache: Cache files read from storage.
            on_error: `"raise"` (default) stops on a failing row; `"skip"` leaves it out.
            ephemeral: Run without a job.
            workers: Accepted, no effect.
            min_task_size: Accepted, no effect.
            namespace: Where `save()` goes (only `local`).
            project: Where `save()` goes (only `local`).

        Returns:
            A new chain with the settings changed (others kept).

        Raises:
            DataChainParamsError: A value is invalid.

        Example:
            >>> chain = dc.read_values(n=[1, 2, 3]).settings(on_error="skip")
            >>> chain.map(inv=lambda n: 1 / (n - 2), output=float).count()
            2
        """
        changes: dict[str, Any] = {"batch_size": batch_size, "prefetch": prefetch, "cache": cache,
                                   "on_error": on_error, "ephemeral": ephemeral, "namespace": namespace,
                                   "project": project}
        if parallel is not None:
            changes["parallel"] = (os.cpu_count() or 1) if parallel is True else (None if parallel is False
                                                                                else parallel)
        updates = {k: v for k, v in changes.items() if v is not None or k == "parallel" and parallel is False}
        try:
            settings = Settings.model_validate({**self._settings.model_dump(), **updates})
        except ValidationError as exc:
            problem = exc.errors()[0]
            raise DataChainParamsError(f"settings({problem['loc'][0]}=...): {problem['msg']}") from None
        return self._copy(settings=settings)

    def setup(self, **factories: Callable[[], Any]) -> DataChain:
        """Objects built once per run (a model, a client) and passed to UDFs by parameter name.

        Args:
            **factories: Parameter name -> a callable returning the object.

        Returns:
            A new chain whose UDFs receive the objects.

        Raises:
            SetupError: A factory is not callable.

        Example:
            >>> chain = dc.read_values(n=[1, 2]).setup(offset=lambda: 10)
            >>> chain.map(y=lambda n, offset: n + offset, output=int).to_values("y")
            [11, 12]
        """
        for name, factory in factories.items():
            if not callable(factory):
                raise SetupError(f"setup({name}=...) needs a callable returning the object, e.g. lambda: model")
        return self._copy(setup={**self._setup, **factories})

    # ----------------------------------------------------------------- UDF steps

    def _udf(self, kind: UDFKind, func: Callable[..., Any] | None, params: Sequence[str] | str | None,
             output: Any, signal_map: dict[str, Callable[..., Any]], partition_by: Any = None) -> DataChain:
        if func is not None and signal_map:
            raise DataChainError(f"{kind}() takes either a function or name=function, not both")
        if func is None:
            if len(signal_map) != 1:
                raise DataChainError(f"{kind}() takes one function per call: {kind}(name=function)")
            (output_name, func), = signal_map.items()
        else:
            output_name = None
        udf = make_udf(kind, func, output_name=output_name, output=output, params=params,
                       setup_names=list(self._setup), schema=self._schema, partition_by=names(partition_by))
        chain = self
        if kind == "agg":
            for key in udf.partition_by:
                C(key).build(self._schema)  # fails early, naming the column
        return chain._derive(UDFStep(udf))

    def map(self, func: Callable[..., Any] | None = None, *, params: Sequence[str] | str | None = None,
            output: Any = None, **signal_map: Callable[..., Any]) -> DataChain:
        """Add columns computed by a Python function per row: `.map(info=get_info)`.

        Several at once (`.map(a=f, b=g)`) add one step each. The function's parameter names pick input
        columns (`file`, or `params=["file.path"]`); its return annotation (or `output`) is the new column's type.

        Args:
            func: The function, when the output column is named by `output` (a dict) or the function's name.
            params: Input columns, when they differ from the function's parameter names.
            output: The new column's type, or `{name: type}` for several (from a tuple) or a model.
            **signal_map: `name=function`: the new column `name`.

        Returns:
            A new chain with the computed columns added (run at the first terminal method, checkpointed).

        Example:
            >>> dc.read_values(n=[1, 2]).map(double=lambda n: n * 2, output=int).to_values("double")
            [2, 4]
        """
        if func is None and len(signal_map) > 1:
            chain = self
            for name, one in signal_map.items():
                chain = chain._udf("map", None, params, output, {name: one})
            return chain
        return self._udf("map", func, params, output, signal_map)

    def gen(self, func: Callable[..., Any] | None = None, *, params: Sequence[str] | str | None = None,
            output: Any = None, **signal_map: Callable[..., Any]) -> DataChain:
        """Replace rows by 0..n rows per input row, yielded by a generator function.

        Args:
            func: A generator function; its parameter names pick input columns.
            params: Input columns, when they differ from the function's parameter names.
            output: The type of each yielded value, or `{name: type}` for tuples.
            **signal_map: `name=function`: the output column `name`.

        Returns:
            A new chain of the yielded rows (input columns are not kept).

        Example:
            >>> dc.read_values(n=[1, 2]).gen(lambda n: iter(range(n)), output={"i": int}).to_values("i")
            [0, 0, 1]
        """
        return self._udf("gen", func, params, output, signal_map)

    def agg(self, func: Callable[..., Any] | None = None, *, partition_by: Any = None,
            params: Sequence[str] | str | None = None, output: Any = None,
            **signal_map: Callable[..., Any]) -> DataChain:
        """Call a function once per group of `partition_by`, with lists of the group's values; yields rows.

        Args:
            func: A generator function receiving one list per parameter (the group's values).
            partition_by: Grouping column(s); without it the function sees all rows at once.
            params: Input columns, when they differ from the function's parameter names.
            output: The type of each yielded value, or `{name: type}` for tuples.
            **signal_map: `name=function`: the output column `name`.

        Returns:
            A new chain of the yielded rows.

        Example:
            >>> chain = dc.read_values(k=["a", "a", "b"], n=[1, 2, 3])
            >>> chain.agg(total=lambda n: [sum(n)], partition_by="k", output=int).to_values("total")
            [3, 3]
        """
        return self._udf("agg", func, params, output, signal_map, partition_by=partition_by)

    def batch_map(self, func: Callable[..., Any] | None = None, *, params: Sequence[str] | str | None = None,
                  output: Any = None, batch: int | None = None, **signal_map: Callable[..., Any]) -> DataChain:
        """Like map, but the function receives lists of values for a whole batch and returns one result each.

        Args:
            func: The function taking one list per parameter and returning a list as long.
            params: Input columns, when they differ from the function's parameter names.
            output: The new column's type, or `{name: type}`.
            batch: Rows per call (default: the `batch_size` setting).
            **signal_map: `name=function`: the new column `name`.

        Returns:
            A new chain with the computed columns added.

        Example:
            >>> dc.read_values(n=[1, 2, 3]).batch_map(double=lambda n: [x * 2 for x in n], output=int,
            ...                                        batch=2).to_values("double")
            [2, 4, 6]
        """
        chain = self.settings(batch_size=batch) if batch else self
        return chain._udf("batch_map", func, params, output, signal_map)

    def explode(self, col: str, model_name: str | None = None, column: str | None = None,
                schema_sample_size: int = 1) -> DataChain:
        """Parse the JSON text of column `col` into a model column (`column`, default `<col>_expl`) whose fields are
        inferred from the first `schema_sample_size` values.

        Example:
            >>> read_values(j=['{"a": 1}']).explode("j").to_values("j_expl")[0].a
            1
        """
        samples = [v for v in self.select(col).limit(schema_sample_size).to_values(col) if v]
        if not samples:
            raise DataChainParamsError(f"explode({col!r}): no JSON value to infer the schema from")
        name = model_name or f"{col.replace('.', '_').capitalize()}ExplodedModel"
        model = export.model_of(name, [json.loads(v) for v in samples])

        def parse_json(value: str | None) -> Any:
            return model.model_validate(json.loads(value)) if value else None

        return self.map(parse_json, params=[col], output={column or f"{col.replace('.', '_')}_expl": model})

    def parse_tabular(self, output: dict[str, Any] | None = None, column: str = "", model_name: str = "",
                      source: bool = True, nrows: int | None = None, format: str | None = None,  # noqa: A002
                      **kwargs: Any) -> DataChain:
        """Replace each file row (CSV, Parquet or JSON lines) by the rows of the file: one column per table
        column (types from the first file, or `output`), and `source` (the file and row index) unless
        `source=False`; `format` defaults to the first file's extension.

        Example:
            >>> read_storage("s3://bucket/tables/").parse_tabular(format="csv", source=False)
        """
        if kwargs or column or model_name:
            raise DataChainParamsError("parse_tabular: column=, model_name= and reader options are not supported")
        file_column = next((n for n, s in self._schema.items() if s.kind == "model"
                            and {"source", "path"} <= set(s.fields)), None)
        first = self.limit(1).to_values(file_column) if file_column else []
        if not first or file_column is None:
            raise DataChainParamsError("parse_tabular needs a chain of files with at least one row")
        fmt = format or first[0].path.rsplit(".", 1)[-1].lower().replace("jsonl", "json")
        types = output or {name: python_type(spec) for name, spec in
                           schema_from_arrow(export.read_table(first[0], fmt, 0).schema).items()}
        names_ = list(types)

        def parse_table(file: File) -> Iterator[tuple[Any, ...]]:
            for index, row in enumerate(export.read_table(file, fmt, nrows).to_pylist()):
                values = tuple(row.get(name) for name in names_)
                yield ((export.ArrowRow(file=file, index=index), *values) if source else values)

        outputs = {"source": export.ArrowRow, **types} if source else types
        return self.gen(parse_table, params=[file_column], output=outputs)

    # ----------------------------------------------------------------- query steps

    def filter(self, *conditions: Expr) -> DataChain:
        """Keep rows where every condition holds: `.filter(C("info.width") > 400)`.

        Args:
            *conditions: Boolean expressions (`C(...)` comparisons, `func.*` results), combined with AND.

        Returns:
            A new chain with the matching rows.

        Raises:
            DataChainError: A condition is not an expression.

        Example:
            >>> dc.read_values(n=[1, 2, 3]).filter(dc.C("n") > 1, dc.C("n") < 3).to_values("n")
            [2]
        """
        chain = self
        for condition in conditions:
            if not isinstance(condition, Expr):
                raise DataChainError(f"filter() takes expressions such as C('size') > 0, got {condition!r}")
            chain = chain._derive(Filter(condition))
        return chain

    def mutate(self, **columns: Expr | Any) -> DataChain:
        """Add or replace columns computed in DuckDB: `.mutate(dist=func.cosine_distance(C("emb"), ref))`.
        `file__path=...` replaces one field of a model column, keeping the others.

        Args:
            **columns: Column name -> expression or plain value.

        Returns:
            A new chain with the columns added or replaced.

        Example:
            >>> dc.read_values(n=[1, 2]).mutate(sq=dc.C("n") * dc.C("n")).to_values("sq")
            [1, 4]
        """
        exprs: dict[str, Expr] = {}
        for name, value in columns.items():
            path = name.split("__")
            spec = self._schema.get(path[0])
            if len(path) > 1 and spec is not None and spec.kind == "model" and spec.at(path[1:]) is not None:
                exprs[path[0]] = _with_field(exprs.get(path[0], C(path[0])), spec, path[1:], lift(value))
            else:
                exprs[name] = lift(value)
        return self._derive(Mutate(exprs))

    def select(self, *columns: str) -> DataChain:
        """Keep only these columns (nested fields by dotted name).

        Args:
            *columns: Column names, or dotted field paths (`"file.path"`).

        Returns:
            A new chain with only those columns, in that order.

        Example:
            >>> dc.read_values(n=[1], s=["a"]).select("s").to_list()
            [('a',)]
        """
        return self._derive(Select(tuple(columns)))

    def select_except(self, *columns: str) -> DataChain:
        """Drop these top-level columns.

        Args:
            *columns: Names of top-level columns to leave out.

        Returns:
            A chain with the other columns.

        Raises:
            SchemaError: A name is a nested field, not a top-level column.

        Example:
            >>> dc.read_values(a=[1], b=[2], c=[3]).select_except("b").to_list()
            [(1, 3)]
        """
        return self._derive(Select(tuple(columns), exclude=True))

    def order_by(self, *keys: str | Expr, descending: bool = False) -> DataChain:
        """Sort by columns or expressions; `descending=True` or `C("x").desc()` per key.

        Args:
            *keys: Column names or expressions, most significant first.
            descending: Sort every key descending.

        Returns:
            A new, sorted chain.

        Example:
            >>> dc.read_values(n=[2, 3, 1]).order_by("n", descending=True).to_values("n")
            [3, 2, 1]
        """
        return self._derive(OrderBy(tuple(keys), descending))

    def limit(self, n: int) -> DataChain:
        """Keep at most `n` rows (the first ones, after an `order_by`).

        Args:
            n: The number of rows.

        Returns:
            A new chain of at most `n` rows.

        Example:
            >>> dc.read_values(n=[1, 2, 3]).order_by("n").limit(2).to_values("n")
            [1, 2]
        """
        return self._derive(Slice(int(n)))

    def offset(self, n: int) -> DataChain:
        """Skip the first `n` rows (in the chain's order).

        Args:
            n: How many rows to leave out.

        Returns:
            A chain of the rows after the first `n`.

        Example:
            >>> dc.read_values(n=[1, 2, 3, 4]).order_by("n").offset(2).to_values("n")
            [3, 4]
        """
        return self._derive(Slice(None, int(n)))

    def group_by(self, *, partition_by: str | Expr | Sequence[str | Expr] | None = None,
                 **aggregates: Expr) -> DataChain:
        """Aggregate per group: `.group_by(cnt=func.count(), total=func.sum("file.size"), partition_by="breed")`.

        Args:
            partition_by: Grouping column(s) or expression(s); without it, one row for all rows.
            **aggregates: Output column -> aggregate expression (`func.count()`, `func.sum("n")`, ...).

        Returns:
            A new chain with one row per group: the keys, then the aggregates.

        Example:
            >>> chain = dc.read_values(k=["a", "a", "b"], n=[1, 2, 3])
            >>> chain.group_by(total=dc.func.sum("n"), partition_by="k").order_by("k").to_list()
            [('a', 3), ('b', 3)]
        """
        keys: tuple[str | Expr, ...]
        keys = (partition_by,) if isinstance(partition_by, (str, Expr)) else tuple(partition_by or ())
        return self._derive(GroupBy(keys, aggregates))

    def merge(self, right: DataChain, on: str | C | Sequence[str | C],
              right_on: str | C | Sequence[str | C] | None = None, *, inner: bool = False, full: bool = False,
              rname: str = "right_") -> DataChain:
        """Join with another chain (left join by default; `inner=True`, `full=True`); clashing right columns
        get the `rname` prefix.

        Args:
            right: The chain to join with.
            on: Key column(s) of this chain.
            right_on: Key column(s) of `right` (default: `on`).
            inner: Keep only rows with a match.
            full: Keep unmatched rows of both sides.
            rname: Prefix for right columns whose names clash.

        Returns:
            A new chain with the columns of both.

        Raises:
            DatasetMergeError: `on` and `right_on` differ in length, or are empty.

        Example:
            >>> left = dc.read_values(id=[1, 2], a=["x", "y"])
            >>> left.merge(dc.read_values(id=[2], b=[True]), on="id").order_by("id").to_list("id", "b")
            [(1, None), (2, True)]
        """
        left_keys = names(on)
        right_keys = names(right_on) if right_on is not None else left_keys
        if len(left_keys) != len(right_keys) or not left_keys:
            raise DatasetMergeError("merge needs as many right_on columns as on columns (at least one)")
        how = "full" if full else "inner" if inner else "left"
        return self._derive(Merge(right, left_keys, right_keys, how, rname))

    def union(self, other: DataChain) -> DataChain:
        """All rows of both chains (same columns and types); also `chain | other`.

        Args:
            other: A chain with the same columns and types.

        Returns:
            A new chain with the rows of both (duplicates kept).

        Example:
            >>> chain = dc.read_values(n=[1, 2])
            >>> (chain | chain).count()
            4
        """
        return self._derive(Union(other))

    def __or__(self, other: DataChain) -> DataChain:
        return self.union(other)

    def subtract(self, other: DataChain, on: str | Sequence[str] | None = None,
                 right_on: str | Sequence[str] | None = None) -> DataChain:
        """Rows with no match in `other` on the given columns (all common columns by default).

        Args:
            other: The chain whose matching rows are removed.
            on: Columns of this chain to match on.
            right_on: The matching columns of `other` (default: `on`).

        Returns:
            A chain of this chain's rows that `other` does not have.

        Example:
            >>> left = dc.read_values(n=[1, 2, 3])
            >>> left.subtract(dc.read_values(n=[2]), on="n").order_by("n").to_values("n")
            [1, 3]
        """
        left_keys = names(on) or tuple(c for c in self._schema if c in other.schema)
        right_keys = names(right_on) or left_keys
        if len(left_keys) != len(right_keys) or not left_keys:
            raise DataChainParamsError("subtract needs matching on/right_on columns")
        return self._derive(Subtract(other, left_keys, right_keys))

    def distinct(self, *columns: str) -> DataChain:
        """One row per distinct value of `columns` (whole rows when none are given).

        Args:
            *columns: The columns whose values must differ; none means all columns.

        Returns:
            A chain with the duplicates left out.

        Example:
            >>> dc.read_values(kind=["cat", "dog", "cat"]).distinct("kind").order_by("kind").to_values("kind")
            ['cat', 'dog']
        """
        return self._derive(Distinct(tuple(columns)))

    def sample(self, n: int) -> DataChain:
        """`n` rows chosen at random.

        Args:
            n: How many rows to keep (all rows when the chain has fewer).

        Returns:
            A chain of at most `n` rows.

        Example:
            >>> dc.read_values(n=list(range(100))).sample(5).count()
            5
        """
        return self._derive(Shuffle(int(n)))

    def shuffle(self) -> DataChain:
        """All rows in random order.

        Returns:
            A chain of the same rows, shuffled.

        Example:
            >>> sorted(dc.read_values(n=[1, 2, 3]).shuffle().to_values("n"))
            [1, 2, 3]
        """
        return self._derive(Shuffle())

    def shard(self, index: int, count: int) -> DataChain:
        """The part of the chain's input whose key hashes to `index` of `count` (applied before any UDF step), so
        `count` processes can each run one shard; the union of all shards is the whole chain.

        Example:
            >>> parts = [chain.shard(i, 4) for i in range(4)]
        """
        if not 0 <= index < count:
            raise DataChainError(f"shard index must be in [0, {count}), got {index}")
        key = next((n for n, spec in self._source.schema.items() if spec.kind == "model"
                    and {"source", "path"} <= set(spec.fields)), next(iter(self._source.schema)))
        bucket = Expr(lambda s: (fn("hash", resolve_column(key, s)) % count) == index, f"shard({key},{index},{count})")
        steps = ((Filter(bucket), self._source.schema), *self._steps)
        return self._copy(steps=steps)

    def chunk(self, index: int, total: int) -> DataChain:
        """Part `index` (0-based) of `total` disjoint parts of the chain (DataChain's name for `shard`).

        Args:
            index: Which part, from 0 to `total - 1`.
            total: How many parts the rows are split into.

        Returns:
            A chain of that part's rows; the parts together hold every row once.

        Example:
            >>> chain = dc.read_values(n=list(range(10)))
            >>> sum(chain.chunk(i, 3).count() for i in range(3))
            10
        """
        return self.shard(index, total)

    def similarity_search(self, column: str, query: Sequence[float], *, k: int | None = 10,
                          metric: Literal["cosine", "euclidean", "l2"] = "cosine",
                          score_column: str | None = None) -> DataChain:
        """The `k` rows whose embedding `column` is closest to `query` (all rows, sorted, when `k` is None); the
        distance is kept as `score_column` when one is named. On a saved dataset version (filtered or not) with a
        vector index on `column` for `metric` (see `create_index`), candidates come from the index.

        Example:
            >>> chain.similarity_search("emb", [0.1, 0.2, 0.3], k=5, score_column="dist")
        """
        from .func.array import cosine_distance, euclidean_distance

        distances = {"cosine": cosine_distance, "euclidean": euclidean_distance, "l2": euclidean_distance}
        if metric not in distances:
            raise DataChainParamsError(f"similarity_search: unknown metric {metric!r}; use one of {sorted(distances)}")
        score = score_column or "_dc_similarity"
        chain = self._indexed_search(column, metric, query, k)
        chain = chain.mutate(**{score: distances[metric](column, list(query))}).order_by(score)
        chain = chain.limit(k) if k is not None else chain
        return chain if score_column else chain.select_except(score)

    def _indexed_search(self, column: str, metric: vector_index.Metric, query: Sequence[float],
                        k: int | None) -> DataChain:
        """This chain, reading through the dataset version's vector index (when one is built) for a top-`k`
        search: possible when it reads a saved version and only filters it."""
        source = self._source
        if (k is None or k <= 0 or type(source) is not DatasetSource or source.delta is not None
                or not all(isinstance(step, Filter) and not step.condition.is_window for step, _ in self._steps)):
            return self  # a window function in a filter sees every row: candidates would change its result
        filters = tuple(step for step, _ in self._steps if isinstance(step, Filter))
        search = IndexedSearchSource(source.record, column=column, metric=metric,
                                     query=tuple(float(x) for x in query), k=int(k), filters=filters)
        return self._copy(source=search, steps=())

    def create_index(self, column: str, metric: vector_index.Metric = "cosine") -> DataChain:
        """Build an HNSW index (DuckDB's vss extension) on the `list[float]` column of the dataset version this
        chain reads, so `similarity_search(column, ..., metric=metric)` on it (also after filters) takes the
        nearest candidates from the index instead of measuring every row. The index belongs to this version: a
        new version has none. Needs `duckdb-extension-vss` (DuckDB 1.5.5); returns this chain.

        Example:
            >>> dc.read_dataset("embeddings").create_index("emb", metric="cosine")
        """
        record = self.dataset
        if record is None:
            raise DataChainParamsError("create_index: build an index on a saved dataset version "
                                       "(read_dataset(...) or the chain save() returns)")
        self._memory.commit(lambda con: vector_index.create(con, record, column, metric), "create_index")
        with self._memory.connect() as con:
            con.execute("CHECKPOINT")  # the index goes into the Data Memory file now, not at its next opening
        return self

    def checkpoint(self) -> DataChain:
        """Run the UDF steps now and keep their results as committed parts: a later `save()` (or any terminal
        step) of the same chain, in any process, reuses them instead of recomputing."""
        with execute.executing(self):
            return self

    def exec(self) -> DataChain:
        """Run the chain now (DataChain's name): UDF results are kept as parts, see `checkpoint()`.

        Returns:
            A chain reading the results.

        Example:
            >>> dc.read_values(n=[1, 2]).map(m=lambda n: n + 1, output=int).exec().to_values("m")
            [2, 3]
        """
        return self.checkpoint()

    def persist(self) -> DataChain:
        """Run the chain now and keep its UDF results for later steps (DataChain's name; see `checkpoint()`).

        Returns:
            A chain reading the kept results.

        Example:
            >>> dc.read_values(n=[1, 2]).map(m=lambda n: n * 10, output=int).persist().sum("m")
            30
        """
        return self.checkpoint()

    def diff(self, other: DataChain, on: str | Sequence[str], right_on: str | Sequence[str] | None = None,
             compare: str | Sequence[str] | None = None, right_compare: str | Sequence[str] | None = None,
             added: bool = True, deleted: bool = True, modified: bool = True, same: bool = False,
             status_col: str | None = None) -> DataChain:
        """This chain's rows compared with `other`'s, matched on `on` (`right_on`): added (only here), deleted
        (only in `other`), modified (`compare` columns differ; all common columns by default) or same; the
        `status_col` column, when named, says which (A, D, M, S).

        Example:
            >>> new.diff(old, on="id", status_col="diff").filter(C("diff") == "M")
        """
        step = diff.compare_step(self, other, on, right_on, compare, right_compare, added=added, deleted=deleted,
                                 modified=modified, same=same, status_col=status_col)
        return self._derive(step)

    def file_diff(self, other: DataChain, on: str = "file", right_on: str | None = None, added: bool = True,
                  modified: bool = True, deleted: bool = False, same: bool = False,
                  status_col: str | None = None) -> DataChain:
        """`diff` of File columns: files matched by (source, path), modified when version or etag differ; by
        default only new and changed files.

        Example:
            >>> read_storage("s3://bucket/").file_diff(read_dataset("processed"), right_on="file")
        """
        return self._derive(diff.file_compare_step(self, other, on, right_on, added=added, modified=modified,
                                                   deleted=deleted, same=same, status_col=status_col))

    # ================================================================== DataChain's context properties

    @property
    def session(self) -> Session:
        """The session this chain runs in (the current one when it uses this chain's Data Memory)."""
        return Session.for_memory(self._memory)

    @property
    def job(self) -> Job:
        """The job this chain runs in: the Dagster run that saves it, else one job per script run."""
        if self._settings.ephemeral:
            raise RuntimeError("Cannot access job in ephemeral mode. "
                               "Jobs are not created when running with .settings(ephemeral=True).")
        return Job.current()

    @property
    def namespace_name(self) -> str:
        """The namespace `save()` uses: `settings(namespace=...)`, else `local` (DataChain's local mode)."""
        return self._settings.namespace or DEFAULT_NAMESPACE

    @property
    def project_name(self) -> str:
        """The project `save()` uses: `settings(project=...)`, else `local` (DataChain's local mode)."""
        return self._settings.project or DEFAULT_PROJECT

    @property
    def delta(self) -> bool:
        """Whether saving this chain updates its dataset incrementally (`delta=True` on its reader)."""
        return self._source.delta is not None

    @property
    def delta_unsafe(self) -> bool:
        """Whether the reader was given `delta_unsafe=True` (accepted; delta still refuses steps it cannot
        update incrementally)."""
        return self._source.delta is not None and self._source.delta.unsafe

    def reset_settings(self, settings: Settings | None = None) -> DataChain:
        """The chain with default settings (or `settings`)."""
        return self._copy(settings=settings or Settings())

    # ----------------------------------------------------------------- terminal: saving

    def save(self, name: str, version: str | None = None, description: str | None = None,
             attrs: list[str] | None = None, update_version: Bump | None = None) -> DataChain:
        """Commit the chain's rows as a new version of dataset `name` (atomically) and return a chain reading it.

        The first version is 1.0.0; later saves bump PATCH, or MINOR when the schema changed, or what
        `update_version` ("patch" | "minor" | "major") or an explicit `version` says. A chain whose input and
        code are unchanged since the latest version saves nothing new; nor does one whose rows and schema equal
        the latest version's (unless `version` or `update_version` asks for a new version). `attrs` are
        labels (`"team=vision"`, `"raw"`) kept with the dataset, as `datasets()` lists them.

        Args:
            name: The dataset name.
            version: An explicit version (`"2.0.0"`) instead of the bump.
            description: Kept with the version (default: the previous version's).
            attrs: Labels kept with the dataset.
            update_version: Which part to bump: "patch", "minor" or "major".

        Returns:
            A chain reading the saved version (the existing one when nothing changed).

        Raises:
            ProjectCreateNotAllowedError: `settings(namespace=..., project=...)` name another than `local`.
            DataChainError: The name or a column name is invalid, or delta cannot update incrementally.

        Example:
            >>> saved = dc.read_values(n=[1, 2]).save("numbers")
            >>> saved.name, saved.version
            ('numbers', '1.0.0')
        """
        return self._read_version(save.save(self, name, version, description, attrs, update_version))

    def _read_version(self, record: catalog.VersionRecord) -> DataChain:
        return DataChain(DatasetSource(record), memory=self._memory, settings=self._settings, setup=self._setup)

    # ----------------------------------------------------------------- terminal: reading

    def count(self) -> int:
        """Number of rows (runs the chain).

        Returns:
            The row count.

        Example:
            >>> dc.read_values(n=[1, 2, 3]).count()
            3
        """
        return int(execute.with_relation(self, lambda rel: rel.aggregate([fn("count")]).fetchall()[0][0]))

    def sum(self, column: str | Expr) -> Any:
        """Sum of a column or expression over all rows (runs the chain); `avg`, `min` and `max` alike.

        Args:
            column: A column name (dotted for fields) or an expression.

        Returns:
            The sum (None when there are no rows).

        Example:
            >>> chain = dc.read_values(n=[1, 2, 3])
            >>> chain.sum("n"), chain.avg("n"), chain.min("n"), chain.max("n")
            (6, 2.0, 1, 3)
        """
        return self._aggregate("sum", column)

    def avg(self, column: str | Expr) -> Any:
        """Mean of a column or expression over all rows (see `sum`).

        Args:
            column: A column name (`"info.width"`) or an expression.

        Returns:
            The mean, or None for an empty chain.

        Example:
            >>> dc.read_values(n=[1, 2, 3, 6]).avg("n")
            3.0
        """
        return self._aggregate("avg", column)

    def min(self, column: str | Expr) -> Any:
        """Smallest value of a column or expression (see `sum`).

        Args:
            column: A column name or an expression.

        Returns:
            The smallest value, or None for an empty chain.

        Example:
            >>> dc.read_values(n=[3, 9, 4]).min("n")
            3
        """
        return self._aggregate("min", column)

    def max(self, column: str | Expr) -> Any:
        """Largest value of a column or expression (see `sum`).

        Args:
            column: A column name or an expression.

        Returns:
            The largest value, or None for an empty chain.

        Example:
            >>> dc.read_values(n=[3, 9, 4]).max("n")
            9
        """
        return self._aggregate("max", column)

    def _aggregate(self, function: str, column: str | Expr) -> Any:
        expression = fn(function, column_or_expr(column).build(self._schema))
        return execute.with_relation(self, lambda rel: rel.aggregate([expression]).fetchall()[0][0])

    def to_pyarrow(self) -> pa.Table:
        """All rows as an Arrow table (nested columns as structs).

        Returns:
            A `pyarrow.Table` with the chain's schema.

        Example:
            >>> dc.read_values(n=[1, 2]).to_pyarrow().column("n").to_pylist()
            [1, 2]
        """
        return execute.with_relation(self, lambda rel: rel.to_arrow_table())

    def to_pandas(self, flatten: bool = False, include_hidden: bool = True, as_object: bool = False) -> pd.DataFrame:
        """All rows as a DataFrame; nested fields become two-level columns (`flatten=True`: `info.width`).

        Args:
            flatten: One column per leaf field, named by its dotted path.
            include_hidden: Keep hidden fields (e.g. File's `etag`).
            as_object: Keep every column as Python objects (None stays None, ints stay ints).

        Returns:
            A `pandas.DataFrame`.

        Example:
            >>> dc.read_values(n=[1, 2]).to_pandas()["n"].tolist()
            [1, 2]
        """
        frame = output.to_dataframe(self.to_pyarrow(), self._schema, flatten=flatten, include_hidden=include_hidden)
        return frame.astype(object).where(frame.notna(), None) if as_object else frame

    def to_parquet(self, path: str | os.PathLike[str], partition_cols: Sequence[str] | None = None,
                   chunk_size: int = 100_000) -> None:
        """Write all rows to a Parquet file (nested columns as structs), `chunk_size` rows per row group; with
        `partition_cols`, to a folder of `col=value/` sub-folders (Hive partitioning)."""
        options: dict[str, Any] = {"row_group_size": int(chunk_size)}
        if partition_cols:
            options.update(partition_by=list(partition_cols), overwrite=True)
        execute.with_relation(self, lambda rel: rel.write_parquet(os.fspath(path), **options))

    def show(self, limit: int = 20, flatten: bool = False, transpose: bool = False, truncate: bool = True,
             include_hidden: bool = False) -> None:
        """Print the first `limit` rows, nested fields as dotted columns, like a DataFrame.

        Args:
            limit: Rows to print; a note says when there are more.
            flatten: One column per leaf field.
            transpose: One column per row.
            truncate: Shorten long values (`False`: in full).
            include_hidden: Show hidden fields too.

        Example:
            >>> dc.read_values(n=[1, 2]).show()
               n
            0  1
            1  2
        """
        table = self.limit(limit + 1).to_pyarrow()
        print(output.render_table(table, self._schema, limit, flatten=flatten, include_hidden=include_hidden,
                                  transpose=transpose, truncate=truncate))

    def collect(self, *columns: str) -> Iterator[Any]:
        """Yield rows as Python objects (pydantic models back); one column gives values, several give tuples.

        Args:
            *columns: The columns to yield (default: all).

        Yields:
            One value per row for one column, else a tuple per row.

        Example:
            >>> list(dc.read_values(n=[1, 2]).order_by("n").collect("n"))
            [1, 2]
        """
        chain = self.select(*columns) if columns else self
        builders = [ValueBuilder(spec) for spec in chain._schema.values()]
        for batch in execute.batches(chain):
            values = [[build(v) for v in batch.column(i).to_pylist()] for i, build in enumerate(builders)]
            for row in zip(*values, strict=True):
                yield row[0] if len(builders) == 1 and columns else row

    def __iter__(self) -> Iterator[Any]:
        return self.collect()

    def to_iter(self, *columns: str) -> Iterator[tuple[Any, ...]]:
        """Yield rows as tuples of Python objects (pydantic models back), one value per column asked for.

        Args:
            *columns: The columns to yield (default: all).

        Yields:
            A tuple per row.

        Example:
            >>> list(dc.read_values(n=[1, 2], s=["a", "b"]).order_by("n").to_iter("s", "n"))
            [('a', 1), ('b', 2)]
        """
        for row in self.collect(*columns):
            yield row if isinstance(row, tuple) else (row,)

    def to_records(self) -> list[dict[str, Any]]:
        """All rows as dicts of leaf fields, nested paths joined by `__`: `[{"pt__x": 1, "pt__y": 2.0}]`.

        Returns:
            A list with one dict per row.

        Example:
            >>> dc.read_values(n=[1], s=["a"]).to_records()
            [{'n': 1, 's': 'a'}]
        """
        return self.results(row_factory=lambda names, row: dict(zip(names, row, strict=True)))

    def results(self, *, row_factory: Callable[[list[str], tuple[Any, ...]], Any] | None = None,
                include_hidden: bool = True) -> list[Any]:
        """All rows as tuples of leaf values (nested fields flattened); `row_factory(names, values)` builds each
        row instead, with names as `pt__x`.

        Example:
            >>> chain.results(row_factory=lambda names, row: dict(zip(names, row)))
        """
        names = [n.replace(".", "__") for n in export.leaf_names(self._schema, include_hidden=include_hidden)]
        rows = export.leaf_tuples(execute.batches(self), self._schema, include_hidden=include_hidden)
        return [row_factory(names, row) for row in rows] if row_factory else list(rows)

    def to_columnar_data_with_names(self, chunk_size: int = 100_000) -> tuple[list[str], Iterator[list[list[Any]]]]:
        """Leaf column names (`pt.x`) and an iterator of chunks of up to `chunk_size` rows, each chunk a list of
        columns of values."""
        rows = export.leaf_tuples(execute.batches(self), self._schema)

        def chunks() -> Iterator[list[list[Any]]]:
            while batch := list(itertools.islice(rows, chunk_size)):
                yield [list(column) for column in zip(*batch, strict=True)]

        return export.leaf_names(self._schema), chunks()

    def to_json(self, path: str | os.PathLike[str], fs_kwargs: dict[str, Any] | None = None,
                include_outer_list: bool = True) -> None:
        """Write all rows as a JSON array (one object per line, nested models as objects) to a local path or a
        storage URI (`fs_kwargs`: the filesystem's options); `include_outer_list=False` writes JSON lines."""
        with export.open_text(path, fs_kwargs) as out:
            export.write_json(out, export.nested_rows(execute.batches(self)), outer_list=include_outer_list)

    def to_jsonl(self, path: str | os.PathLike[str], fs_kwargs: dict[str, Any] | None = None) -> None:
        """Write all rows as JSON lines, one object per row."""
        self.to_json(path, fs_kwargs, include_outer_list=False)

    def to_csv(self, path: str | os.PathLike[str], delimiter: str = ",", fs_kwargs: dict[str, Any] | None = None,
               **kwargs: Any) -> None:
        """Write all rows as CSV with a header of leaf field paths (`pt.x`); `kwargs` go to `csv.writer`."""
        names = [leaf for column, spec in self._schema.items() for leaf, _ in spec.leaves(column)]
        with export.open_text(path, fs_kwargs) as out:
            rows = export.flat_rows(execute.batches(self), self._schema, ".")
            export.write_csv(out, names, rows, delimiter, **kwargs)

    def to_pytorch(self, transform: Callable[[Any], Any] | None = None, tokenizer: Callable[..., Any] | None = None,
                   tokenizer_kwargs: dict[str, Any] | None = None, num_samples: int = 0,
                   remove_prefetched: bool = False) -> Any:
        """The rows as a PyTorch `IterableDataset` of lists (files read, images as tensors; see `chain/torch.py`).
        The chain runs once now; `num_samples` > 0 draws that many random rows per epoch. `remove_prefetched` is
        accepted for DataChain's signature (nothing is prefetched to disk)."""
        from .torch import pytorch_dataset

        return pytorch_dataset(self, transform, tokenizer, tokenizer_kwargs, num_samples)

    def to_storage(self, output: str | os.PathLike[str], signal: str = "file",
                   placement: file_export.Placement = "fullpath", link_type: Literal["copy", "symlink"] = "copy",
                   num_threads: int | None = 5, anon: bool | None = None,
                   client_config: dict[str, Any] | None = None) -> None:
        """Copy the files of column `signal` below `output` (a folder or storage prefix): at their path
        (`"filepath"`), bucket and path (`"fullpath"`), name (`"filename"`) or `"etag"`; `link_type="symlink"`
        links local files instead.

        Example:
            >>> chain.filter(C("file.size") > 0).to_storage("export/", placement="filename")
        """
        spec = column_spec(signal, self._schema)
        if spec is None or spec.kind != "model" or not {"source", "path"} <= set(spec.fields):
            raise DataChainParamsError(f"to_storage: column {signal!r} holds no files (columns: "
                                       f"{', '.join(self._schema)})")
        if placement == "filename":
            from .func.path import name

            if self.mutate(_dc_name=name(f"{signal}.path")).distinct("_dc_name").count() != self.count():
                raise DataChainParamsError("Files with the same name found")
        file_export.export_files(self.collect(signal), output, placement=placement, link_type=link_type,
                                 num_threads=num_threads, anon=anon, client_config=client_config)

    def to_database(self, table_name: str, connection: Any, *, batch_size: int = 10_000,
                    on_conflict: str | None = None, conflict_columns: list[str] | None = None,
                    column_mapping: dict[str, str | None] | None = None) -> int:
        """Insert all rows into a SQL table (created when missing), leaf fields as columns (`pt__x`); `connection`
        is a SQLAlchemy URL, engine, connection or session, or a sqlite3 connection. `on_conflict="ignore"` /
        `"update"` handle key conflicts (SQLite, PostgreSQL); `column_mapping` renames (`{"pt.x": "x"}`) or drops
        (`None`) columns. Returns the rows written.

        Example:
            >>> chain.to_database("files", "sqlite:///files.db")
        """
        from .database import to_database

        return to_database(self, table_name, connection, batch_size=batch_size, on_conflict=on_conflict,
                           conflict_columns=conflict_columns, column_mapping=column_mapping)

    def to_list(self, *columns: str) -> list[tuple[Any, ...]]:
        """All rows as a list of tuples of Python objects (pydantic models back).

        Args:
            *columns: Columns to return (default: all).

        Returns:
            One tuple per row.

        Example:
            >>> dc.read_values(n=[1, 2], s=["a", "b"]).to_list("s")
            [('a',), ('b',)]
        """
        rows = self.collect(*columns)
        return [row if isinstance(row, tuple) else (row,) for row in rows]

    def to_values(self, column: str) -> list[Any]:
        """One column's values as a list.

        Args:
            column: A column name (dotted for a field).

        Returns:
            The values, as Python objects.

        Example:
            >>> dc.read_values(n=[1, 2]).to_values("n")
            [1, 2]
        """
        return list(self.collect(column))


def _with_field(base: Expr, spec: TypeSpec, path: list[str], value: Expr) -> Expr:
    """`base` (a model column) with the field at `path` replaced by `value`, every other field kept."""

    def build(schema: Schema) -> duckdb.Expression:
        def rebuild(expr: duckdb.Expression, model: TypeSpec, rest: list[str]) -> duckdb.Expression:
            fields = []
            for field, field_spec in model.fields.items():
                current = struct_field(expr, field)
                if field == rest[0]:
                    current = value.build(schema) if len(rest) == 1 else rebuild(current, field_spec, rest[1:])
                fields.append(current.alias(field))
            return fn("struct_pack", *fields)

        return rebuild(base.build(schema), spec, path)

    return Expr(build, f"{base.text}.{'.'.join(path)}:={value.text}")

